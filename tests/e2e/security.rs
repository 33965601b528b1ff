//! Attacks on the real binary, one per hole of the security review (docs/SECURITY.md says what
//! ferry promises): a malicious plugin, a malicious or compromised endpoint, and a local attacker
//! who can write the files ferry reads. Every server is on loopback; each test shows the attack
//! refused, with a message that says what happened.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::attack_server::{AttackServer, Reply};
use crate::credentials::PASSPHRASE;
use crate::credentials_sandbox::Sandbox;
use crate::support::{ferry, install_fixture, repo_root, run};

const KEY: &str = "attack-me-KEY1";
const VALIDATOR: &str = "steps = [\"validate\"]\n";
/// A profile export with a sensitive variable the built-in masker takes out.
const SECRET_DOC: &str = r#"{"metadata":{"name":"web"},"spec":{"version":"1.0.0","template":{"type":"add-on","packs":[]},"variables":[{"name":"db","isSensitive":true,"defaultValue":"HUNTER2-pw"}]}}"#;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// `ferry login --env ENV --endpoint URL --api-key KEY` with extra arguments.
fn login(home: &Path, env: &str, url: &str, extra: &[&str]) -> (i32, String, String) {
    run(ferry(home)
        .args(["login", "--env", env, "--endpoint", url, "--api-key", KEY])
        .args(["-k", PASSPHRASE])
        .args(extra))
}

/// Runs validators `ids` on an empty document, reaching `env` if given; returns the exit code,
/// the JSON report and stderr.
fn validate(home: &Path, ids: &[&str], env: Option<&str>) -> (i32, Value, String) {
    let doc = home.join("empty-doc.json");
    fs::write(&doc, "{}").unwrap();
    let mut cmd = ferry(home);
    cmd.args(["plugin", "run"])
        .args(ids)
        .args(["--step", "validate", "--output", "json", "-k", PASSPHRASE]);
    if let Some(env) = env {
        cmd.args(["--env", env]);
    }
    let (code, out, err) = run(cmd.arg("--document").arg(&doc));
    (code, json(&out), err)
}

/// The report of plugin `id` in a `plugin run` report.
fn report<'a>(all: &'a Value, id: &str) -> &'a Value {
    all["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no report for {id}: {all}"))
}

fn message(all: &Value, id: &str) -> String {
    report(all, id)["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

// 1. Compiled components are trusted only with this home's MAC, in private folders.

#[test]
fn a_compiled_component_swapped_or_crafted_is_recompiled_never_run() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (code, _, err) =
        install_fixture(home, "ferry_plugin_hostile", "evil", "steps = [\"mask\"]\n");
    assert_eq!(code, 0, "{err}");
    let doc = home.join("profile.json");
    fs::write(&doc, SECRET_DOC).unwrap();
    let mask = |id: &str| {
        run(ferry(home)
            .args(["plugin", "run", id, "--step", "mask", "--document"])
            .arg(&doc))
    };
    let cached = |prefix: &str| -> PathBuf {
        let sha = json(&run(ferry(home).args(["plugin", "list", "--output", "json"])).1)
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == prefix)
            .unwrap()["sha256"]
            .as_str()
            .unwrap()
            .to_string();
        fs::read_dir(home.join("cache/components"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&sha))
            .unwrap_or_else(|| panic!("no cache file for {prefix}"))
    };
    assert_eq!(mask("palette-mask").0, 0);
    assert_eq!(mask("evil").0, 0);
    let (masker, evil) = (cached("palette-mask"), cached("evil"));

    // The attack: the hostile plugin's compiled code under the built-in masker's name. Its
    // "ok" mode hands the document back unmasked.
    fs::copy(&evil, &masker).unwrap();
    let (code, out, err) = mask("palette-mask");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("fails its integrity check") && err.contains("compiling again"),
        "{err}"
    );
    assert!(
        !out.contains("HUNTER2-pw"),
        "the built-in masker ran, not the swapped-in code: {out}"
    );

    // A crafted file: bytes of the attacker's choosing.
    fs::write(&masker, b"\x7fELF crafted native code").unwrap();
    let (code, out, err) = mask("palette-mask");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("fails its integrity check"), "{err}");
    assert!(!out.contains("HUNTER2-pw"), "{out}");

    // A cache folder others can write is not used at all.
    fs::copy(&evil, &masker).unwrap();
    fs::set_permissions(
        home.join("cache/components"),
        fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let (code, out, err) = mask("palette-mask");
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("not using the compiled cache") && err.contains("writable by other users"),
        "{err}"
    );
    assert!(!out.contains("HUNTER2-pw"), "{out}");
}

// 2. The `http` capability stays on its granted origins.

#[test]
fn plugin_http_stays_on_its_granted_origin() {
    let elsewhere = AttackServer::start(|_| Reply::json("{\"stolen\":true}"));
    let to = format!("{}/steal", elsewhere.url);
    let granted = AttackServer::start(move |req| match req.path.as_str() {
        "/redirect" => Reply::redirect(&to),
        "/endless" => Reply::Endless,
        _ => Reply::json("{}"),
    });
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let by_name = granted.url.replace("127.0.0.1", "localhost");
    let mut policy = String::new();
    let cases = [
        (
            "redirector",
            &granted.url,
            format!("{}/redirect", granted.url),
            "",
        ),
        (
            "host-setter",
            &granted.url,
            format!("{}/ok", granted.url),
            "Host: internal.example",
        ),
        (
            "upgrader",
            &granted.url,
            format!("{}/ok", granted.url),
            "Connection: upgrade",
        ),
        (
            "endless",
            &granted.url,
            format!("{}/endless", granted.url),
            "",
        ),
        ("rebinder", &by_name, format!("{by_name}/ok"), ""),
    ];
    for (id, origin, url, header) in &cases {
        let manifest = format!("{VALIDATOR}capabilities = [\"http:{origin}\"]\n");
        let (code, _, err) = install_fixture(home, "ferry_plugin_prober", id, &manifest);
        assert_eq!(code, 0, "{err}");
        policy.push_str(&format!(
            "[plugins.{id}]\ngrants = [\"http:{origin}\"]\nconfig = {{ url = \"{url}\", header = \"{header}\" }}\n"
        ));
    }
    // Asking is not being granted: `http` is linked all the same (Python and JavaScript
    // plugins import it unasked), and every call is refused before anything is sent.
    for (id, capabilities) in [
        (
            "asker",
            format!("capabilities = [\"http:{}\"]\n", granted.url),
        ),
        ("unasked", String::new()),
    ] {
        let manifest = format!("{VALIDATOR}{capabilities}");
        let (code, _, err) = install_fixture(home, "ferry_plugin_prober", id, &manifest);
        assert_eq!(code, 0, "{err}");
        policy.push_str(&format!(
            "[plugins.{id}]\nconfig = {{ url = \"{}/ungranted\" }}\n",
            granted.url
        ));
    }
    fs::write(home.join("policy.toml"), policy).unwrap();
    let mut ids: Vec<&str> = cases.iter().map(|c| c.0).collect();
    ids.extend(["asker", "unasked"]);
    let (code, all, err) = validate(home, &ids, None);
    assert_eq!(code, 1, "{err}");
    assert!(
        message(&all, "asker").contains("capability http not granted")
            && message(&all, "asker").contains("the policy does not grant it"),
        "{all}"
    );
    assert!(
        message(&all, "unasked").contains("its manifest does not request it"),
        "{all}"
    );

    let redirect = message(&all, "redirector");
    assert!(
        redirect.contains("refused a redirect") && redirect.contains("is not a granted origin"),
        "{redirect}"
    );
    assert!(elsewhere.seen().is_empty(), "the redirect was not followed");
    for id in ["host-setter", "upgrader"] {
        assert!(
            message(&all, id).contains("is refused: ferry sets Host"),
            "{all}"
        );
    }
    let endless = message(&all, "endless");
    assert!(
        endless.contains("over the 16 MiB cap") && endless.contains("stopped reading"),
        "{endless}"
    );
    let rebind = message(&all, "rebinder");
    assert!(
        rebind.contains("localhost resolves to")
            && rebind.contains("which is not a public address"),
        "{rebind}"
    );
    let paths: Vec<String> = granted.seen().iter().map(|s| s.path.clone()).collect();
    assert!(
        !paths.contains(&"/ok".to_string()) && !paths.contains(&"/ungranted".to_string()),
        "no refused request went out: {paths:?}"
    );
}

// 3. The API key stays on the environment's origin.

#[test]
fn the_api_key_never_follows_a_redirect_to_another_origin() {
    let thief = AttackServer::palette(|_| Reply::json("{}"));
    let to = format!("{}/v1/users/info", thief.url);
    let endpoint = AttackServer::start(move |_| Reply::redirect(&to));
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = login(home.path(), "prod", &endpoint.url, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!("it redirected to {}", thief.url))
            && err.contains("ferry sends the API key only to the environment's endpoint"),
        "{err}"
    );
    assert!(
        thief.seen().is_empty(),
        "the key went to {:?}",
        thief.seen()
    );
    let seen = endpoint.seen();
    assert_eq!(seen.len(), 1, "refused at once, not retried");
    assert_eq!(
        seen[0].header("ApiKey"),
        Some(KEY),
        "only the endpoint has it"
    );
    assert!(!home.path().join("config.yaml").exists());
}

// 4. `palette-api` requests are checked as they will be sent, against an allow-list.

#[test]
fn a_plugin_cannot_leave_the_api_paths_it_is_allowed() {
    let palette = AttackServer::palette(|_| Reply::json("{\"secret\":\"admin\"}"));
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let (code, _, err) = login(home, "prod", &palette.url, &[]);
    assert_eq!(code, 0, "{err}");
    let manifest = format!("{VALIDATOR}capabilities = [\"palette-api:read\"]\n");
    let attempts = [
        ("dotdot", "GET", "/v1/%2e%2e/%2e%2e/admin/secret"),
        ("slash", "GET", "/v1/clusterprofiles/%2f..%2fadmin"),
        ("unlisted", "GET", "/v1/registries/pack"),
        ("deleter", "DELETE", "/v1/clusterprofiles/abc"),
    ];
    let mut policy = String::new();
    for (id, method, path) in attempts {
        assert_eq!(
            install_fixture(home, "ferry_plugin_sneaky", id, &manifest).0,
            0
        );
        policy.push_str(&format!(
            "[plugins.{id}]\ngrants = [\"palette-api:read\"]\nconfig = {{ method = \"{method}\", path = \"{path}\" }}\n"
        ));
    }
    fs::write(home.join("policy.toml"), policy).unwrap();
    let ids: Vec<&str> = attempts.iter().map(|a| a.0).collect();
    let (code, all, err) = validate(home, &ids, Some("prod"));
    assert_eq!(code, 1, "{err}");
    assert!(
        message(&all, "dotdot").contains("must not carry encoded"),
        "{all}"
    );
    assert!(
        message(&all, "slash").contains("must not carry encoded"),
        "{all}"
    );
    for id in ["unlisted", "deleter"] {
        assert!(
            message(&all, id)
                .contains("is not one of the Palette requests ferry lets plugins make"),
            "{all}"
        );
    }
    let after_login: Vec<String> = palette
        .seen()
        .iter()
        .skip(1)
        .map(|s| s.path.clone())
        .collect();
    assert!(
        after_login.is_empty(),
        "nothing reached the endpoint: {after_login:?}"
    );
}

// 5. A manifest only lowers limits.

#[test]
fn a_manifest_cannot_raise_its_own_limits() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let greedy = "steps = [\"mask\"]\n[limits]\ntimeout-ms = 3600000\nmemory-mib = 4096\n";
    assert_eq!(
        install_fixture(home, "ferry_plugin_hostile", "greedy", greedy).0,
        0
    );
    let inspect = || {
        let (code, out, err) =
            run(ferry(home).args(["plugin", "inspect", "greedy", "--output", "json"]));
        assert_eq!(code, 0, "{err}");
        (json(&out)["limits"].clone(), err)
    };
    let (limits, err) = inspect();
    assert_eq!(limits["timeout_ms"], 10_000, "{limits}");
    assert_eq!(limits["memory_mib"], 256, "{limits}");
    assert!(
        err.contains("timeout-ms = 3600000 (above 10000)")
            && err.contains("a manifest may only lower limits"),
        "{err}"
    );
    fs::write(
        home.join("policy.toml"),
        "[plugins.greedy]\nlimits = { memory-mib = 512 }\n",
    )
    .unwrap();
    let (limits, _) = inspect();
    assert_eq!(limits["memory_mib"], 512, "the policy raises: {limits}");
}

// 6. A sealed key is bound to its environment's name, endpoint, TLS settings and scope.

fn edit_config(home: &Path, edit: impl FnOnce(&mut serde_yaml_ng::Value)) {
    let path = home.join("config.yaml");
    let mut config: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut config);
    fs::write(&path, serde_yaml_ng::to_string(&config).unwrap()).unwrap();
}

#[test]
fn a_sealed_key_opens_only_in_its_own_environment() {
    let palette = AttackServer::palette(|_| Reply::json("{\"items\":[]}"));
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    assert_eq!(login(home, "prod", &palette.url, &[]).0, 0);
    assert_eq!(login(home, "staging", &palette.url, &[]).0, 0);
    let original = fs::read_to_string(home.join("config.yaml")).unwrap();
    assert!(
        original.contains("version: 2") && original.contains("ferry:v2:"),
        "{original}"
    );

    // Swap the two environments' sealed keys.
    edit_config(home, |c| {
        let envs = &mut c["environments"];
        let prod = envs["prod"]["api_key"].clone();
        envs["prod"]["api_key"] = envs["staging"]["api_key"].clone();
        envs["staging"]["api_key"] = prod;
    });
    let (code, _, err) = run(ferry(home).args(["env", "show", "prod", "-k", PASSPHRASE]));
    assert_eq!(code, 1);
    assert!(
        err.contains("the API key of environment \"prod\" does not open in this entry")
            && err.contains("sealed for another environment, endpoint"),
        "{err}"
    );

    // Point prod at another endpoint: the key must not go there.
    fs::write(home.join("config.yaml"), &original).unwrap();
    let thief = AttackServer::palette(|_| Reply::json("{\"items\":[]}"));
    edit_config(home, |c| {
        c["environments"]["prod"]["endpoint"] = thief.url.clone().into();
    });
    let (code, _, err) =
        run(ferry(home).args(["profiles", "list", "--env", "prod", "-k", PASSPHRASE]));
    assert_eq!(code, 1);
    assert!(err.contains("does not open in this entry"), "{err}");
    assert!(
        thief.seen().is_empty(),
        "the key went to {:?}",
        thief.seen()
    );

    // Relaxing its TLS is a change of place too.
    fs::write(home.join("config.yaml"), &original).unwrap();
    edit_config(home, |c| {
        c["environments"]["prod"]["insecure"] = true.into()
    });
    let (code, _, err) = run(ferry(home).args(["env", "show", "prod", "-k", PASSPHRASE]));
    assert_eq!(code, 1);
    assert!(err.contains("does not open in this entry"), "{err}");
}

#[test]
fn a_v1_config_opens_and_is_sealed_as_v2_by_the_next_write() {
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    fs::copy(
        repo_root().join("tests/fixtures/config-v1.yaml"),
        home.join("config.yaml"),
    )
    .unwrap();
    let show = || run(ferry(home).args(["env", "show", "prod", "-k", PASSPHRASE]));
    let (code, out, err) = show();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("****1234"), "{out}");

    let palette = AttackServer::palette(|_| Reply::json("{}"));
    let (code, _, err) = login(home, "staging", &palette.url, &[]);
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(home.join("config.yaml")).unwrap();
    assert!(
        text.contains("version: 2") && !text.contains("ferry:v1:"),
        "{text}"
    );
    let (code, out, err) = show();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("****1234"),
        "the old key survived the migration: {out}"
    );
}

// 7. Writes only from the import step, never in a dry run.

#[test]
fn a_validator_granted_write_cannot_import() {
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(&tmp.path().join("sandbox"), &[]);
    let home = tmp.path().join("home");
    crate::credentials::login(&home, &sandbox, "prod", PASSPHRASE);
    let manifest = format!("{VALIDATOR}capabilities = [\"palette-api:write\"]\n");
    assert_eq!(
        install_fixture(&home, "ferry_plugin_sneaky", "writer", &manifest).0,
        0
    );
    let profile = serde_json::json!({
        "metadata": { "name": "planted" },
        "spec": { "version": "1.0.0", "template": { "type": "add-on", "cloudType": "all", "packs": [{
            "name": "settings", "type": "manifest", "layer": "addon", "values": "a: 1\n",
            "manifests": [{ "name": "settings", "content": "kind: ConfigMap\napiVersion: v1\n" }]
        }]}}
    });
    let policy = format!(
        "[plugins.writer]\ngrants = [\"palette-api:write\"]\nconfig = {{ method = \"POST\", path = \"/v1/clusterprofiles/import\", body = {} }}\n",
        toml_string(&profile.to_string())
    );
    fs::write(home.join("policy.toml"), policy).unwrap();
    let profiles =
        || run(ferry(&home).args(["profiles", "list", "--env", "prod", "-k", PASSPHRASE])).1;
    let before = profiles();
    let (code, all, err) = validate(&home, &["writer"], Some("prod"));
    assert_eq!(code, 1, "{err}");
    assert!(
        message(&all, "writer").contains(
            "POST /v1/clusterprofiles/import is denied: only the import step may write, and this is the validate step"
        ),
        "{all}"
    );
    let after = profiles();
    assert!(!after.contains("planted"), "{after}");
    assert_eq!(before, after);
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

// 8. A host call gets only the time its plugin has left.

#[test]
fn a_palette_call_ends_with_its_plugins_deadline() {
    // Every request but login's is told to come back in 50 s: the client would wait and retry.
    let palette = AttackServer::palette(|_| {
        Reply::Plain(
            429,
            vec![("Retry-After".into(), "50".into())],
            String::new(),
        )
    });
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    assert_eq!(login(home, "prod", &palette.url, &[]).0, 0);
    let manifest = format!("{VALIDATOR}capabilities = [\"palette-api:read\"]\n");
    assert_eq!(
        install_fixture(home, "ferry_plugin_sneaky", "waiter", &manifest).0,
        0
    );
    fs::write(
        home.join("policy.toml"),
        "[plugins.waiter]\ngrants = [\"palette-api:read\"]\nlimits = { timeout-ms = 1000 }\nconfig = { path = \"/v1/packs\" }\n",
    )
    .unwrap();
    let (code, all, err) = validate(home, &["waiter"], Some("prod"));
    assert_eq!(code, 1, "{err}");
    let waiter = message(&all, "waiter");
    assert!(waiter.contains("1000 ms"), "{all}");
    let packs = palette
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.path == "/v1/packs")
        .count();
    assert_eq!(packs, 1, "no retry after the deadline");
}

// 9. The smaller ones.

#[test]
fn a_plain_http_endpoint_off_loopback_needs_insecure_http() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = login(home.path(), "prod", "http://palette.example.invalid", &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("plain http:// on another machine") && err.contains("--insecure-http"),
        "{err}"
    );
    let (code, _, err) = login(
        home.path(),
        "prod",
        "http://palette.example.invalid",
        &["--insecure-http"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot reach"),
        "with the flag it is tried: {err}"
    );
    assert!(!home.path().join("config.yaml").exists());
}

#[test]
fn a_plugin_command_on_a_fresh_home_keeps_it_private() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let doc = tmp.path().join("doc.json");
    fs::write(&doc, SECRET_DOC).unwrap();
    let (code, _, err) = run(ferry(&home)
        .args([
            "plugin",
            "run",
            "palette-mask",
            "--step",
            "mask",
            "--document",
        ])
        .arg(&doc));
    assert_eq!(code, 0, "{err}");
    for dir in [&home, &home.join("cache"), &home.join("cache/components")] {
        assert_eq!(mode(dir), 0o700, "{}", dir.display());
    }
    assert_eq!(mode(&home.join("cache/cache.key")), 0o600);
    for file in fs::read_dir(home.join("cache/components"))
        .unwrap()
        .flatten()
    {
        assert_eq!(mode(&file.path()), 0o600, "{}", file.path().display());
    }
    let home2 = tmp.path().join("home2");
    assert_eq!(
        install_fixture(&home2, "ferry_plugin_sneaky", "s", VALIDATOR).0,
        0
    );
    assert_eq!(mode(&home2), 0o700);
    assert_eq!(mode(&home2.join("plugins")), 0o700);
}

#[test]
fn a_passphrase_typed_in_another_unicode_form_unlocks() {
    let palette = AttackServer::palette(|_| Reply::json("{}"));
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    let decomposed = "Cafe\u{301}-Pass1"; // é as e + combining accent, as macOS may type it
    let composed = "Caf\u{e9}-Pass1";
    let (code, _, err) = run(ferry(home)
        .args([
            "login",
            "--env",
            "prod",
            "--endpoint",
            &palette.url,
            "--api-key",
            KEY,
        ])
        .args(["-k", decomposed]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(ferry(home).args(["env", "show", "prod", "-k", composed]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("****KEY1"), "{out}");
}

#[test]
fn tampered_key_derivation_costs_are_refused_before_deriving() {
    let palette = AttackServer::palette(|_| Reply::json("{}"));
    let home = tempfile::tempdir().unwrap();
    let home = home.path();
    assert_eq!(login(home, "prod", &palette.url, &[]).0, 0);
    let path = home.join("config.yaml");
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains("m=65536,t=3,p=1"), "{text}");
    fs::write(&path, text.replace("m=65536,t=3,p=1", "m=1048576,t=16,p=1")).unwrap();
    let (code, _, err) = run(ferry(home).args(["env", "show", "prod", "-k", PASSPHRASE]));
    assert_eq!(code, 1);
    assert!(
        err.contains("key derivation parameters out of bounds (argon2id,m=1048576,t=16,p=1)"),
        "{err}"
    );
}
