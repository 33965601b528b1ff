//! `ferry login`, `env`, `profiles list` and `config rotate-passphrase` on a real home, with real
//! encryption, against a real sandbox server on loopback.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::credentials_sandbox::Sandbox;
use crate::support::ferry;

pub const PASSPHRASE: &str = "Ferry-test-pass1";
pub const OTHER_PASSPHRASE: &str = "Other-test-pass2";

/// Runs a prepared command with no terminal and empty stdin (what CI has).
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().expect("ferry runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A port on loopback where nothing listens.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn assert_nothing_stored(home: &Path) {
    assert!(
        !home.join("config.yaml").exists(),
        "no config may be written"
    );
}

#[test]
fn each_passphrase_rule_is_named_and_nothing_is_stored() {
    let cases = [
        ("Sh0rt!", "be 8 to 32 characters long (it has 6)"),
        (
            "Aa1!aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "be 8 to 32 characters long (it has 33)",
        ),
        ("no-capital-1", "have a capital letter"),
        ("NO-LOWER-1", "have a lowercase letter"),
        ("No-digit-here", "have a digit"),
        ("NoSpecial123", "have a special character"),
    ];
    for (passphrase, rule) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let out = run(ferry(&home)
            .args(["login", "--env", "prod", "--endpoint"])
            .arg(format!("http://127.0.0.1:{}", closed_port()))
            .args(["--api-key", "some-key", "-k", passphrase]));
        assert_eq!(out.status.code(), Some(1), "{passphrase}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("passphrase is too weak") && err.contains(rule),
            "{passphrase}: {err}"
        );
        assert!(
            !err.contains(passphrase),
            "the passphrase is not echoed: {err}"
        );
        assert_nothing_stored(&home);
    }
}

#[test]
fn no_terminal_and_no_passphrase_names_both_ways_to_give_it() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let out = run(ferry(&home)
        .args(["login", "--env", "prod", "--endpoint"])
        .arg(format!("http://127.0.0.1:{}", closed_port()))
        .args(["--api-key", "some-key"]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no terminal")
            && err.contains("PALETTE_ENCRYPTION_PASSWORD")
            && err.contains("-k/--encryption-passphrase"),
        "{err}"
    );
    assert_nothing_stored(&home);
}

#[test]
fn login_to_an_unreachable_endpoint_stores_nothing_and_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let endpoint = format!("http://127.0.0.1:{}", closed_port());
    let out = run(ferry(&home).args([
        "login",
        "--env",
        "prod",
        "--endpoint",
        &endpoint,
        "--api-key",
        "some-key",
        "-k",
        PASSPHRASE,
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("nothing was stored")
            && err.contains("cannot reach")
            && err.contains(&endpoint),
        "{err}"
    );
    assert_nothing_stored(&home);
    let list = run(ferry(&home).args(["env", "list"]));
    assert!(
        stdout(&list).contains("No environment is stored"),
        "{}",
        stdout(&list)
    );
}

#[test]
fn a_bad_environment_name_or_endpoint_is_refused_before_anything_else() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let out = run(ferry(&home).args([
        "login",
        "--env",
        "my prod",
        "--endpoint",
        "https://x",
        "--api-key",
        "k",
        "-k",
        PASSPHRASE,
    ]));
    assert!(
        stderr(&out).contains("environment name \"my prod\" is not allowed"),
        "{}",
        stderr(&out)
    );
    let out = run(ferry(&home).args([
        "login",
        "--env",
        "prod",
        "--endpoint",
        "api.spectrocloud.com",
        "--api-key",
        "k",
        "-k",
        PASSPHRASE,
    ]));
    assert!(stderr(&out).contains("is not a URL"), "{}", stderr(&out));
    assert_nothing_stored(&home);
}

#[test]
fn commands_on_an_empty_home_say_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let out = run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("run `ferry login"),
        "{}",
        stderr(&out)
    );
    let out = run(ferry(&home).args(["config", "rotate-passphrase", "-k", PASSPHRASE]));
    assert!(
        stderr(&out).contains("nothing to re-encrypt"),
        "{}",
        stderr(&out)
    );
    assert_nothing_stored(&home);
    assert!(fs::metadata(&home).is_err() || !home.join("config.yaml").exists());
}

/// A home logged in to `sandbox` as environment `env` (project "prod" of tenant "acme").
pub fn login(home: &Path, sandbox: &Sandbox, env: &str, passphrase: &str) -> Output {
    let key = sandbox.key("acme", "admin");
    let mut cmd = ferry(home);
    cmd.args([
        "login",
        "--env",
        env,
        "--endpoint",
        &sandbox.url,
        "--api-key-stdin",
        "--project",
        "prod",
    ])
    .env("PALETTE_ENCRYPTION_PASSWORD", passphrase)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{key}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "login failed: {}", stderr(&out));
    out
}

/// `ferry env show NAME` with `passphrase` given by -k.
fn show(home: &Path, env: &str, passphrase: &str) -> Output {
    run(ferry(home).args(["env", "show", env, "-k", passphrase]))
}

fn assert_cannot_decrypt(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{}", stderr(out));
    assert!(
        stderr(out).contains("cannot decrypt: wrong passphrase or tampered file"),
        "{}",
        stderr(out)
    );
}

fn config_bytes(home: &Path) -> Vec<u8> {
    fs::read(home.join("config.yaml")).unwrap()
}

fn sandbox(tmp: &Path) -> Sandbox {
    Sandbox::start(&tmp.join("sandbox-data"), &[])
}

#[test]
fn login_then_list_show_use_and_remove() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    let key = sandbox.key("acme", "admin");

    let out = login(&home, &sandbox, "prod", PASSPHRASE);
    let said = stdout(&out);
    assert!(
        said.contains("Logged in to \"prod\"")
            && said.contains(&sandbox.project_uid("acme", "prod")),
        "{said}"
    );
    assert!(
        said.contains("\"prod\" is now the current environment"),
        "{said}"
    );

    // On disk: sealed, private, atomic (no temporary file left).
    let config = String::from_utf8(config_bytes(&home)).unwrap();
    assert!(!config.contains(&key), "the API key is sealed: {config}");
    assert!(
        config.contains("api_key: ferry:v2:argon2id,m=65536,t=3,p=1:"),
        "{config}"
    );
    assert!(config.contains("passphrase_check: ferry:v2:"), "{config}");
    assert_eq!(
        fs::metadata(home.join("config.yaml"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(&home).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let names: Vec<String> = fs::read_dir(&home)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(
        names.iter().all(|n| n == "config.yaml" || n == ".lock"),
        "{names:?}"
    );

    // A second environment, at tenant scope.
    let mut cmd = ferry(&home);
    cmd.args([
        "login",
        "--env",
        "lab",
        "--endpoint",
        &sandbox.url,
        "--api-key",
        &key,
        "--tenant",
        "-k",
        PASSPHRASE,
    ]);
    let out = run(&mut cmd);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("tenant scope"), "{}", stdout(&out));

    let list = stdout(&run(ferry(&home).args(["env", "list"])));
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].contains("NAME") && lines[0].contains("ENDPOINT"),
        "{list}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("*") && l.contains("prod") && l.contains("project prod")),
        "{list}"
    );
    assert!(
        lines
            .iter()
            .any(|l| !l.starts_with("*") && l.contains("lab") && l.contains("tenant")),
        "{list}"
    );

    let out = show(&home, "prod", PASSPHRASE);
    assert!(out.status.success(), "{}", stderr(&out));
    let tail = &key[key.len() - 4..];
    assert!(
        stdout(&out).contains(&format!("api key:   ****{tail}")),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains(&key));

    let out = run(ferry(&home).args(["env", "use", "lab"]));
    assert!(out.status.success());
    assert!(
        stdout(&run(ferry(&home).args(["env", "list"])))
            .lines()
            .any(|l| l.starts_with("*") && l.contains("lab"))
    );
    let out = run(ferry(&home).args(["env", "use", "nope"]));
    assert!(
        stderr(&out).contains("no environment named \"nope\"; stored: lab, prod"),
        "{}",
        stderr(&out)
    );

    let out = run(ferry(&home).args(["env", "remove", "lab"]));
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("No environment is selected now"),
        "{}",
        stdout(&out)
    );
    let out = run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE]));
    assert!(
        stderr(&out).contains("no environment selected: pass --env NAME"),
        "{}",
        stderr(&out)
    );
    let out = run(ferry(&home).args([
        "profiles", "list", "--env", "prod", "-k", PASSPHRASE, "--output", "json",
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let profiles: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json output");
    assert!(profiles.is_array(), "{profiles}");

    // Removing the last environment forgets the passphrase: the next login may choose another.
    let out = run(ferry(&home).args(["env", "remove", "prod"]));
    assert!(
        stdout(&out).contains("the next `ferry login` chooses the passphrase"),
        "{}",
        stdout(&out)
    );
    assert!(
        !String::from_utf8(config_bytes(&home))
            .unwrap()
            .contains("passphrase_check")
    );
    login(&home, &sandbox, "prod", OTHER_PASSPHRASE);
    assert!(show(&home, "prod", OTHER_PASSPHRASE).status.success());
}

#[test]
fn login_with_a_bad_key_or_an_unknown_project_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    let out = run(ferry(&home).args([
        "login",
        "--env",
        "prod",
        "--endpoint",
        &sandbox.url,
        "--api-key",
        "not-a-real-key",
        "-k",
        PASSPHRASE,
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("nothing was stored") && err.contains("rejected the API key"),
        "{err}"
    );
    assert_nothing_stored(&home);

    let key = sandbox.key("acme", "admin");
    let out = run(ferry(&home).args([
        "login",
        "--env",
        "prod",
        "--endpoint",
        &sandbox.url,
        "--api-key",
        &key,
        "--project",
        "Prod",
        "-k",
        PASSPHRASE,
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("no project named \"Prod\"")
            && err.contains("prod")
            && err.contains("staging"),
        "{err}"
    );
    assert!(!err.contains(&key), "{err}");
    assert_nothing_stored(&home);
}

#[test]
fn a_wrong_passphrase_is_caught_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);
    let before = config_bytes(&home);

    assert_cannot_decrypt(&show(&home, "prod", OTHER_PASSPHRASE));
    assert_cannot_decrypt(&run(ferry(&home).args([
        "profiles",
        "list",
        "-k",
        OTHER_PASSPHRASE,
    ])));
    let key = sandbox.key("acme", "admin");
    assert_cannot_decrypt(&run(ferry(&home).args([
        "login",
        "--env",
        "staging",
        "--endpoint",
        &sandbox.url,
        "--api-key",
        &key,
        "-k",
        OTHER_PASSPHRASE,
    ])));
    assert_cannot_decrypt(&run(ferry(&home)
        .args(["config", "rotate-passphrase", "-k", OTHER_PASSPHRASE])
        .env("FERRY_NEW_ENCRYPTION_PASSWORD", "Brand-new-pass3")));
    assert_eq!(config_bytes(&home), before, "nothing changed");
    assert!(show(&home, "prod", PASSPHRASE).status.success());
}

#[test]
fn one_flipped_byte_in_a_sealed_key_is_detected() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);
    let config = String::from_utf8(config_bytes(&home)).unwrap();
    let line = config
        .lines()
        .find(|l| l.trim_start().starts_with("api_key:"))
        .unwrap();
    // Flip one byte of the ciphertext (the last field), keeping it valid base64url.
    let at = line.len() - 10;
    let flipped = if &line[at..at + 1] == "A" { "B" } else { "A" };
    let tampered_line = format!("{}{flipped}{}", &line[..at], &line[at + 1..]);
    fs::write(
        home.join("config.yaml"),
        config.replace(line, &tampered_line),
    )
    .unwrap();

    // The passphrase check still opens, so ferry can say which value was changed.
    for out in [
        show(&home, "prod", PASSPHRASE),
        run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE])),
    ] {
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out)
                .contains("the API key of environment \"prod\" does not open in this entry")
                && stderr(&out).contains("or the file was edited"),
            "{}",
            stderr(&out)
        );
    }
}

#[test]
fn the_flag_wins_over_the_environment_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);

    let out = run(ferry(&home)
        .args(["env", "show", "-k", PASSPHRASE])
        .env("PALETTE_ENCRYPTION_PASSWORD", OTHER_PASSPHRASE));
    assert!(
        out.status.success(),
        "the right flag beats a wrong variable: {}",
        stderr(&out)
    );
    let out = run(ferry(&home)
        .args(["env", "show", "-k", OTHER_PASSPHRASE])
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE));
    assert_cannot_decrypt(&out);
    assert!(
        stderr(&out).contains("the passphrase came from -k/--encryption-passphrase"),
        "{}",
        stderr(&out)
    );
    let out = run(ferry(&home)
        .args(["env", "show"])
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE));
    assert!(
        out.status.success(),
        "the variable alone works: {}",
        stderr(&out)
    );
    let out = run(ferry(&home)
        .args(["env", "show"])
        .env("PALETTE_ENCRYPTION_PASSWORD", OTHER_PASSPHRASE));
    assert!(
        stderr(&out).contains("the passphrase came from PALETTE_ENCRYPTION_PASSWORD"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn rotation_reseals_every_secret_under_the_new_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);
    login(&home, &sandbox, "staging", PASSPHRASE);
    let before = String::from_utf8(config_bytes(&home)).unwrap();

    // A new passphrase that breaks the policy is refused, and nothing changes.
    let out = run(ferry(&home)
        .args(["config", "rotate-passphrase", "-k", PASSPHRASE])
        .env("FERRY_NEW_ENCRYPTION_PASSWORD", "weakpass"));
    assert!(
        stderr(&out).contains("have a capital letter"),
        "{}",
        stderr(&out)
    );
    assert_eq!(String::from_utf8(config_bytes(&home)).unwrap(), before);

    let mut cmd = ferry(&home);
    cmd.args([
        "config",
        "rotate-passphrase",
        "--new-passphrase-stdin",
        "-k",
        PASSPHRASE,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{OTHER_PASSPHRASE}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Re-encrypted 2 secrets"),
        "{}",
        stdout(&out)
    );

    let after = String::from_utf8(config_bytes(&home)).unwrap();
    let sealed = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.contains("ferry:v2:"))
            .map(|l| l.split(':').nth(4).unwrap().to_owned())
            .collect()
    };
    let (old_salts, new_salts) = (sealed(&before), sealed(&after));
    assert_eq!(new_salts.len(), 3, "check value and two keys: {after}");
    assert!(
        new_salts
            .iter()
            .all(|s| s == &new_salts[0] && !old_salts.contains(s)),
        "one new salt: {after}"
    );
    for env in ["prod", "staging"] {
        assert_cannot_decrypt(&show(&home, env, PASSPHRASE));
        assert!(show(&home, env, OTHER_PASSPHRASE).status.success());
    }
    let out = run(ferry(&home).args([
        "profiles",
        "list",
        "--env",
        "staging",
        "-k",
        OTHER_PASSPHRASE,
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_crash_at_any_rotation_step_leaves_a_file_one_passphrase_opens() {
    use std::os::unix::process::ExitStatusExt;
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    // (step, whether the new passphrase is in force after the crash)
    let steps = [
        ("rotate:unlocked", false),
        ("rotate:resealed", false),
        ("write:temp-synced", false),
        ("write:renamed", true),
    ];
    for (step, rotated) in steps {
        let home = tmp.path().join(step.replace(':', "-"));
        login(&home, &sandbox, "prod", PASSPHRASE);
        let out = run(ferry(&home)
            .args(["config", "rotate-passphrase", "-k", PASSPHRASE])
            .env("FERRY_NEW_ENCRYPTION_PASSWORD", OTHER_PASSPHRASE)
            .env("FERRY_TEST_CRASH_AFTER", step));
        assert_eq!(
            out.status.signal(),
            Some(6),
            "{step}: aborted by the hook: {}",
            stderr(&out)
        );

        let (opens, fails) = if rotated {
            (OTHER_PASSPHRASE, PASSPHRASE)
        } else {
            (PASSPHRASE, OTHER_PASSPHRASE)
        };
        let out = show(&home, "prod", opens);
        assert!(out.status.success(), "{step}: {}", stderr(&out));
        assert_cannot_decrypt(&show(&home, "prod", fails));

        // The next write clears what the crashed writer left behind.
        assert!(
            run(ferry(&home).args(["env", "use", "prod"]))
                .status
                .success()
        );
        let names: Vec<String> = fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| n == "config.yaml" || n == ".lock"),
            "{step}: {names:?}"
        );
        assert!(show(&home, "prod", opens).status.success(), "{step}");
    }
}

#[test]
fn a_stored_key_that_palette_rejects_is_met_with_how_to_replace_it() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);
    // The endpoint's Palette is replaced by a fresh one, which does not know the key. (Editing
    // the stored endpoint instead would unbind the key: it would not open.)
    let listen = sandbox.url.trim_start_matches("http://").to_owned();
    drop(sandbox);
    let _other = Sandbox::start_on(&tmp.path().join("other-data"), &listen, &[]);

    let out = run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE]));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("Palette rejected the API key stored for \"prod\"")
            && err.contains("`ferry login --env prod`")
            && err.contains("401"),
        "{err}"
    );
}

#[test]
fn profiles_list_shows_the_environments_profiles_in_its_scope() {
    use ferry::palette::{ApiKey, Client, ClientOptions, Scope};
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = sandbox(tmp.path());
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);

    // Two profiles in project "prod", one at tenant scope, put there through the API.
    let key = ApiKey::new(sandbox.key("acme", "admin")).unwrap();
    let in_prod = Client::new(
        &sandbox.url,
        key.clone(),
        Scope::Project(sandbox.project_uid("acme", "prod")),
        &ClientOptions::default(),
    )
    .unwrap();
    let at_tenant = in_prod.with_scope(Scope::Tenant);
    let doc = |name: &str, version: &str, kind: &str| {
        serde_json::json!({"metadata": {"name": name}, "spec": {"version": version, "template": {"type": kind, "cloudType": "all", "packs": []}}})
            .to_string()
    };
    let uid = |answer: serde_json::Value| answer["uid"].as_str().unwrap().to_owned();
    let (web, base, shared) = ferry::palette::block_on(async {
        let web = in_prod
            .post_json(
                "/v1/clusterprofiles/import",
                &[],
                doc("web-stack", "1.2.0", "add-on"),
            )
            .await
            .unwrap();
        let base = in_prod
            .post_json(
                "/v1/clusterprofiles/import",
                &[],
                doc("base", "2.0.0", "cluster"),
            )
            .await
            .unwrap();
        let shared = at_tenant
            .post_json(
                "/v1/clusterprofiles/import",
                &[],
                doc("shared-addons", "0.1.0", "add-on"),
            )
            .await
            .unwrap();
        (uid(web), uid(base), uid(shared))
    })
    .unwrap();

    let out = run(ferry(&home).args(["profiles", "list", "-k", PASSPHRASE]));
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    let lines: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        lines[0],
        ["NAME", "VERSION", "UID", "TYPE", "SCOPE"],
        "{table}"
    );
    let mut rows = lines[1..].to_vec();
    rows.sort();
    assert_eq!(
        rows,
        [
            vec!["base", "2.0.0", base.as_str(), "cluster", "project"],
            vec![
                "shared-addons",
                "0.1.0",
                shared.as_str(),
                "add-on",
                "tenant"
            ],
            vec!["web-stack", "1.2.0", web.as_str(), "add-on", "project"],
        ],
        "{table}"
    );

    // Another project of the tenant sees only the tenant's profile.
    let out = run(ferry(&home).args([
        "profiles",
        "list",
        "--env",
        "prod",
        "--project",
        "staging",
        "--output",
        "json",
        "-k",
        PASSPHRASE,
    ]));
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"name": "shared-addons", "version": "0.1.0", "uid": shared, "type": "add-on", "scope": "tenant"}])
    );
    let out = run(ferry(&home).args(["profiles", "list", "--project", "nope", "-k", PASSPHRASE]));
    assert!(
        stderr(&out).contains("no project named \"nope\""),
        "{}",
        stderr(&out)
    );
}
