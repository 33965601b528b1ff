//! What an organization rolls out: a policy found from the working directory (`ferry policy
//! show|check`), signed plugins (`ferry plugin keygen|sign|verify`, `require-signed`), the
//! fixture harness (`ferry plugin test`) and the example plugins in `plugins/example-*`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::attack_server::{AttackServer, Reply};
use crate::support::{ferry, repo_root, run, wasm_dir};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn example(name: &str) -> PathBuf {
    repo_root().join("plugins").join(format!("example-{name}"))
}

/// A copy of an example plugin, ready to sign or install: its manifest with the wasm beside it,
/// requesting `capabilities`.
fn plugin_copy(dir: &Path, name: &str, capabilities: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let lib = format!("ferry_plugin_example_{}", name.replace('-', "_"));
    std::fs::copy(
        wasm_dir().join(format!("{lib}.wasm")),
        dir.join("plugin.wasm"),
    )
    .unwrap();
    let manifest = std::fs::read_to_string(example(name).join("ferry-plugin.toml")).unwrap();
    let manifest: String = manifest
        .lines()
        .map(|l| match l {
            l if l.starts_with("wasm = ") => "wasm = \"plugin.wasm\"".to_string(),
            l if l.starts_with("capabilities = ") => format!("capabilities = {capabilities}"),
            l => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let path = dir.join("ferry-plugin.toml");
    std::fs::write(&path, manifest).unwrap();
    path
}

const TOKENS: &str = "plugins/example-regex-mask/fixtures/tokens.json";

/// `ferry plugin run regex-mask --step mask` on the example's fixture, under `policy`.
fn mask_run(home: &Path, policy: &Path) -> (i32, String, String) {
    run(ferry(home)
        .args([
            "plugin",
            "run",
            "regex-mask",
            "--step",
            "mask",
            "--output",
            "json",
            "--document",
        ])
        .arg(repo_root().join(TOKENS))
        .arg("--policy")
        .arg(policy))
}

#[test]
fn policy_show_says_where_each_setting_came_from() {
    let home = tempfile::tempdir().unwrap();
    let repo = tempfile::tempdir().unwrap();
    let install = plugin_copy(&repo.path().join("build"), "regex-mask", "[]");
    let (code, _, err) = run(ferry(home.path()).args(["plugin", "install"]).arg(&install));
    assert_eq!(code, 0, "{err}");
    // The organization's file in ferry's home; the repository's own, two folders up.
    std::fs::write(
        home.path().join("policy.toml"),
        "[steps]\nmask = [\"palette-mask\"]\n\n[plugins.regex-mask]\nconfig = { patterns = \"a = ACME\", api-token = \"s3cr3t-value\" }\nlimits = { timeout-ms = 2000 }\n",
    )
    .unwrap();
    std::fs::write(
        repo.path().join("ferry.toml"),
        "# the repo's\n[steps]\nmask = [\"palette-mask\", \"regex-mask\"]\n\n[plugins.regex-mask]\nconfig = { patterns = \"b = ACME-[0-9]+\" }\n",
    )
    .unwrap();
    let cwd = repo.path().join("deploy/web");
    std::fs::create_dir_all(&cwd).unwrap();

    let (code, out, err) = run(ferry(home.path())
        .current_dir(&cwd)
        .args(["policy", "show", "--output", "json"]));
    assert_eq!(code, 0, "{err}");
    let show = json(&out);
    let repo_file = repo.path().join("ferry.toml").display().to_string();
    let home_file = home.path().join("policy.toml").display().to_string();
    assert_eq!(show["files"], serde_json::json!([home_file, repo_file]));
    let mask = &show["steps"][1];
    assert_eq!(mask["step"], "mask");
    assert_eq!(mask["from"], format!("{repo_file}:3"));
    let regex = &mask["plugins"][1];
    assert_eq!(regex["id"], "regex-mask");
    let config = regex["config"].as_array().unwrap();
    let setting = |key: &str| config.iter().find(|c| c["key"] == key).unwrap().clone();
    assert_eq!(setting("patterns")["value"], "\"b = ACME-[0-9]+\"");
    assert_eq!(setting("patterns")["from"], format!("{repo_file}:6"));
    assert_eq!(setting("api-token")["from"], format!("{home_file}:5"));
    assert_eq!(regex["limits"]["value"]["timeout_ms"], 2000);
    assert_eq!(regex["limits"]["from"], format!("{home_file}:6"));
    assert_eq!(show["steps"][0]["from"], "ferry's default");

    // The text form says the same, and shows no secret-named value.
    let (code, out, err) = run(ferry(home.path())
        .current_dir(&cwd)
        .args(["policy", "show"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!("mask: palette-mask, regex-mask  [{repo_file}:3]")),
        "{out}"
    );
    assert!(!out.contains("s3cr3t-value"), "{out}");

    // --policy names the one file to use.
    let (code, out, _) = run(ferry(home.path())
        .current_dir(&cwd)
        .args(["policy", "show", "--output", "json", "--policy"])
        .arg(home.path().join("policy.toml")));
    assert_eq!(code, 0);
    assert_eq!(json(&out)["files"], serde_json::json!([home_file]));
}

#[test]
fn policy_check_reports_every_mistake_with_its_line_and_fix() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let install = plugin_copy(&dir.path().join("build"), "regex-mask", "[]");
    run(ferry(home.path()).args(["plugin", "install"]).arg(&install));
    let policy = dir.path().join("ferry.toml");
    std::fs::write(
        &policy,
        [
            "[steps]",                                   // 1
            "mask = [\"palette-mask\", \"acme-nope\"]",  // 2: unknown plugin
            "validate = [\"regex-mask\"]",               // 3: a step it does not serve
            "",                                          // 4
            "[plugins.regex-mask]",                      // 5
            "grants = [\"http:https://vault.example\"]", // 6: not requested
            "version = \"one point two\"",               // 7: a bad range
            "",                                          // 8
            "[trusted-keys]",                            // 9
            "acme = \"ed25519:nope\"",                   // 10: not a key
        ]
        .join("\n"),
    )
    .unwrap();
    let (code, out, err) = run(ferry(home.path())
        .args(["policy", "check", "--policy"])
        .arg(&policy));
    assert_eq!(code, 1, "{out}{err}");
    let file = policy.display().to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].starts_with(&format!("{file}:2: "))
            && lines[0].contains("no plugin 'acme-nope'")
            && lines[0].contains("ferry plugin install"),
        "{out}"
    );
    assert!(
        lines[1].starts_with(&format!("{file}:3: "))
            && lines[1].contains("'regex-mask' does not serve the validate step")
            && lines[1].contains("move it to the list of mask"),
        "{out}"
    );
    assert!(
        lines[2].starts_with(&format!("{file}:6: "))
            && lines[2].contains(
                "grants 'http:https://vault.example', which 'regex-mask' does not request"
            )
            && lines[2].contains("remove the grant"),
        "{out}"
    );
    assert!(
        lines[3].starts_with(&format!("{file}:7: "))
            && lines[3].contains("not a semver range")
            && lines[3].contains("\"^1.2\""),
        "{out}"
    );
    assert!(
        lines[4].starts_with(&format!("{file}:10: ")) && lines[4].contains("keygen"),
        "{out}"
    );
    assert!(err.contains("5 mistake(s)"), "{err}");

    // A command run under it stops before anything runs, and says where to look.
    let (code, _, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!("{file}:7")) && err.contains("hint: fix them (`ferry policy check`"),
        "{err}"
    );

    // Fixed, it is clean.
    std::fs::write(&policy, "[steps]\nmask = [\"palette-mask\", \"regex-mask\"]\n[plugins.regex-mask]\nversion = \"^0.1\"\n").unwrap();
    let (code, out, _) = run(ferry(home.path())
        .args(["policy", "check", "--policy"])
        .arg(&policy));
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("policy ok"), "{out}");
}

#[test]
fn a_plugin_outside_its_pins_is_refused_before_it_runs() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let install = plugin_copy(&dir.path().join("build"), "regex-mask", "[]");
    run(ferry(home.path()).args(["plugin", "install"]).arg(&install));
    let policy = dir.path().join("policy.toml");
    let pinned = |pin: &str| {
        std::fs::write(
            &policy,
            format!("[plugins.regex-mask]\nconfig = {{ patterns = \"a = ACME\" }}\n{pin}\n"),
        )
        .unwrap();
        mask_run(home.path(), &policy)
    };
    let (code, out, err) = pinned("version = \">=1.0\"");
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("the policy pins version >=1.0")
            && err.contains("but this is 0.1.0")
            && err.contains("change the pin"),
        "{err}"
    );
    let (code, _, err) = pinned(&format!("sha256 = \"{}\"", "0".repeat(64)));
    assert_eq!(code, 1);
    assert!(
        err.contains("the policy pins sha256 0000") && err.contains("update the pin"),
        "{err}"
    );
    let digest = ferry::runtime::catalog::sha256_hex(
        &std::fs::read(dir.path().join("build/plugin.wasm")).unwrap(),
    );
    let (code, _, err) = pinned(&format!("version = \"^0.1\"\nsha256 = \"{digest}\""));
    assert_eq!(code, 0, "{err}");
}

#[test]
fn signatures_decide_under_require_signed_and_tampering_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let keys = work.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();

    // keygen: the secret 0600 and never printed; the public key and the policy lines printed.
    let (code, out, err) = run(ferry(home.path())
        .args(["plugin", "keygen", "acme-security", "--out"])
        .arg(&keys));
    assert_eq!(code, 0, "{err}");
    let secret = std::fs::read_to_string(keys.join("acme-security.key")).unwrap();
    let mode = std::fs::metadata(keys.join("acme-security.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let secret_b64 = secret
        .lines()
        .find_map(|l| l.strip_prefix("secret-key = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert!(!out.contains(&secret_b64) && !err.contains(&secret_b64));
    let public = std::fs::read_to_string(keys.join("acme-security.pub"))
        .unwrap()
        .trim()
        .to_string();
    assert!(
        out.contains(&format!("acme-security = \"{public}\"")),
        "{out}"
    );
    let (code, _, err) = run(ferry(home.path())
        .args(["plugin", "keygen", "acme-security", "--out"])
        .arg(&keys));
    assert_eq!(code, 1);
    assert!(
        err.contains("already exists") && err.contains("never overwritten"),
        "{err}"
    );
    run(ferry(home.path())
        .args(["plugin", "keygen", "intern", "--out"])
        .arg(&keys));

    let policy = work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("require-signed = true\n[trusted-keys]\nacme-security = \"{public}\"\n[plugins.regex-mask]\nconfig = {{ patterns = \"a = ACME-[0-9]+\" }}\n"),
    )
    .unwrap();
    let build = work.path().join("build");
    let manifest = plugin_copy(&build, "regex-mask", "[]");
    let sign = |key: &str| {
        run(ferry(home.path())
            .args(["plugin", "sign"])
            .arg(&manifest)
            .arg("--key")
            .arg(keys.join(format!("{key}.key"))))
    };
    let install = || {
        run(ferry(home.path())
            .args(["plugin", "install"])
            .arg(&manifest))
    };

    // Unsigned: refused, naming the key that would be needed and how to sign.
    assert_eq!(install().0, 0);
    let (code, out, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains("refused by the policy: it is not signed")
            && err.contains(&format!("'acme-security' ({public})"))
            && err.contains("ferry plugin sign"),
        "{err}"
    );

    // Signed by a key the policy does not trust: refused, naming both keys.
    let (code, _, err) = sign("intern");
    assert_eq!(code, 0, "{err}");
    assert_eq!(install().0, 0);
    let (code, _, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 1);
    assert!(
        err.contains("signed by 'intern'")
            && err.contains("does not trust")
            && err.contains("'acme-security'"),
        "{err}"
    );
    let (code, _, err) = run(ferry(home.path())
        .args(["plugin", "verify", "regex-mask", "--policy"])
        .arg(&policy));
    assert_eq!(code, 1);
    assert!(
        err.contains("does not trust this key") && err.contains("[trusted-keys]"),
        "{err}"
    );

    // Signed by the trusted key: it runs, and verify says who signed it.
    let (code, out, err) = sign("acme-security");
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(&secret_b64));
    assert_eq!(install().0, 0);
    let (code, out, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json(&out)["plugins"][0]["masked"].as_array().unwrap().len(),
        2
    );
    let (code, out, err) = run(ferry(home.path())
        .args(["plugin", "verify", "regex-mask", "--policy"])
        .arg(&policy));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("signature valid, by 'acme-security'") && out.contains("trusted"),
        "{out}"
    );

    // Tampered after install: the manifest asks for more, or the wasm and its recorded digest
    // change together. Both are refused before anything is compiled.
    let installed = home.path().join("plugins/regex-mask");
    let original_manifest = std::fs::read_to_string(installed.join("ferry-plugin.toml")).unwrap();
    std::fs::write(
        installed.join("ferry-plugin.toml"),
        original_manifest.replace(
            "capabilities = []",
            "capabilities = [\"palette-api:write\"]",
        ),
    )
    .unwrap();
    let (code, _, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 1);
    assert!(
        err.contains("signature")
            && err.contains("does not verify")
            && err.contains("changed after it was signed"),
        "{err}"
    );
    std::fs::write(installed.join("ferry-plugin.toml"), &original_manifest).unwrap();

    let mut wasm = std::fs::read(installed.join("plugin.wasm")).unwrap();
    wasm.extend_from_slice(b"\0tampered");
    let old_digest =
        ferry::runtime::catalog::sha256_hex(&std::fs::read(installed.join("plugin.wasm")).unwrap());
    let new_digest = ferry::runtime::catalog::sha256_hex(&wasm);
    std::fs::write(installed.join("plugin.wasm"), &wasm).unwrap();
    let (code, _, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 1);
    assert!(
        err.contains("has changed since it was installed") && err.contains("reinstall"),
        "{err}"
    );
    std::fs::write(
        installed.join("ferry-plugin.toml"),
        original_manifest.replace(&old_digest, &new_digest),
    )
    .unwrap();
    let (code, _, err) = mask_run(home.path(), &policy);
    assert_eq!(code, 1);
    assert!(
        err.contains("the wasm changed after it was signed")
            && err.contains("install the plugin as its publisher signed it"),
        "{err}"
    );

    // Tampered before install: the signature beside the files no longer matches them.
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace("version = \"0.1.0\"", "version = \"0.1.1\""),
    )
    .unwrap();
    let (code, _, err) = install();
    assert_eq!(code, 1);
    assert!(
        err.contains("its signature")
            && err.contains("does not verify")
            && err.contains("sign it again"),
        "{err}"
    );
}

/// The fixtures of an example, copied so a test may change them.
fn fixtures_copy(name: &str, into: &Path) -> PathBuf {
    let dir = into.join("fixtures");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(example(name).join("fixtures"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    dir
}

#[test]
fn the_harness_compares_with_expected_files_and_blesses_them() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let manifest = plugin_copy(&work.path().join("build"), "regex-mask", "[]");
    let fixtures = fixtures_copy("regex-mask", work.path());
    // Run from the example's folder: its ferry.toml configures the patterns.
    let test = |extra: &[&str]| {
        run(ferry(home.path())
            .current_dir(example("regex-mask"))
            .args(["plugin", "test"])
            .arg(&manifest)
            .arg("--fixtures")
            .arg(&fixtures)
            .args(extra))
    };
    let (code, out, err) = test(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("ok      tokens.json") && out.contains("2 passed, 0 failed"),
        "{out}"
    );
    // What was masked is named, never kept: no secret in the expected file.
    let expected = std::fs::read_to_string(fixtures.join("tokens.expected.json")).unwrap();
    assert!(expected.contains("regex:acme-token") && expected.contains("********"));
    assert!(
        !expected.contains("ACME-20240117") && !expected.contains("ACME-99887766"),
        "{expected}"
    );

    // A changed expectation: the diff, exit 1, and how to accept the new output.
    std::fs::write(
        fixtures.join("tokens.expected.json"),
        expected.replace("regex:employee-id", "regex:badge"),
    )
    .unwrap();
    let (code, out, err) = test(&[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED  tokens.json")
            && out.contains(" - ")
            && out.contains("\"rule\": \"regex:badge\"")
            && out.contains(" + ")
            && out.contains("\"rule\": \"regex:employee-id\""),
        "{out}"
    );
    assert!(out.contains("1 passed, 1 failed"), "{out}");
    assert!(err.contains("--bless"), "{err}");

    // A fixture without an expected file fails until blessed.
    std::fs::copy(fixtures.join("tokens.json"), fixtures.join("again.json")).unwrap();
    let (code, out, _) = test(&[]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAILED  again.json: no ") && out.contains("--bless"),
        "{out}"
    );

    let (code, out, err) = test(&["--bless"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("blessed again.json")
            && out.contains("blessed tokens.json")
            && !out.contains("blessed clean.yaml"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(fixtures.join("tokens.expected.json")).unwrap(),
        expected
    );
    assert_eq!(test(&[]).0, 0);

    // Misconfigured (no patterns in the policy): the plugin's failure is the outcome, with its fix.
    let (code, out, _) = run(ferry(home.path())
        .current_dir(work.path())
        .args(["plugin", "test"])
        .arg(&manifest)
        .arg("--fixtures")
        .arg(&fixtures));
    assert_eq!(code, 1);
    assert!(
        out.contains("\"failure\": \"plugin-error\"") && out.contains("config.patterns"),
        "{out}"
    );
}

#[test]
fn the_example_plugins_pass_their_own_fixtures() {
    let home = tempfile::tempdir().unwrap();
    for name in ["regex-mask", "org-rules", "ticket-approver"] {
        // Installed from the example's own manifest, as docs/PLUGINS.md says.
        let (code, _, err) = run(ferry(home.path())
            .args(["plugin", "install"])
            .arg(example(name).join("ferry-plugin.toml")));
        assert_eq!(code, 0, "{name}: {err}");
        // The example's folder is named for its id.
        let (code, out, err) = run(ferry(home.path()).current_dir(example(name)).args([
            "plugin",
            "test",
            name,
            "--fixtures",
            "fixtures",
        ]));
        assert_eq!(code, 0, "{name}: {out}{err}");
        assert!(out.contains(", 0 failed"), "{out}");
        // Each example's policy is clean.
        let (code, out, _) = run(ferry(home.path())
            .current_dir(example(name))
            .args(["policy", "check"]));
        assert_eq!(code, 0, "{name}: {out}");
    }
}

#[test]
fn the_ticket_approver_asks_the_approval_service() {
    let service = AttackServer::start(|req| {
        let ticket = req
            .path
            .trim_start_matches("/tickets/")
            .split('?')
            .next()
            .unwrap_or_default();
        match ticket {
            "CHG-1" => Reply::json(r#"{"status":"approved"}"#),
            "CHG-2" => {
                Reply::json(r#"{"status":"rejected","reason":"change freeze until Monday"}"#)
            }
            "CHG-3" => Reply::json(r#"{"status":"pending"}"#),
            _ => Reply::Plain(404, vec![], String::new()),
        }
    });
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let grant = format!("http:{}", service.url);
    let manifest = plugin_copy(
        &work.path().join("build"),
        "ticket-approver",
        &format!("[\"{grant}\"]"),
    );
    let (code, _, err) = run(ferry(home.path())
        .args(["plugin", "install"])
        .arg(&manifest));
    assert_eq!(code, 0, "{err}");
    let policy = work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[steps]\napprove = [\"ticket-approver\"]\n[plugins.ticket-approver]\ngrants = [\"{grant}\"]\nconfig = {{ service = \"{}\" }}\n", service.url),
    )
    .unwrap();
    let decide = |ticket: &str| {
        let doc = work.path().join(format!("{ticket}.json"));
        std::fs::write(
            &doc,
            format!(r#"{{"metadata":{{"name":"web app","labels":{{"change-ticket":"{ticket}"}}}},"spec":{{"version":"1.0.0","template":{{"type":"add-on","packs":[]}}}}}}"#),
        )
        .unwrap();
        let (code, out, err) = run(ferry(home.path())
            .args([
                "plugin",
                "run",
                "ticket-approver",
                "--step",
                "approve",
                "--output",
                "json",
                "--document",
            ])
            .arg(&doc)
            .arg("--policy")
            .arg(&policy));
        assert_eq!(code, 0, "{err}");
        json(&out)["plugins"][0].clone()
    };
    assert_eq!(decide("CHG-1")["decision"], "approve");
    let rejected = decide("CHG-2");
    assert_eq!(rejected["decision"], "deny");
    assert!(
        rejected["reason"]
            .as_str()
            .unwrap()
            .contains("change freeze until Monday")
    );
    assert_eq!(decide("CHG-3")["decision"], "needs-review");
    let unknown = decide("CHG-404");
    assert_eq!(unknown["decision"], "deny");
    assert!(
        unknown["reason"]
            .as_str()
            .unwrap()
            .contains("knows no ticket CHG-404")
    );
    let seen = service.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/tickets/CHG-1?profile=web%20app");
}
