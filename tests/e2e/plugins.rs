//! The plugin runtime as a user sees it: `ferry plugin list|inspect|install|run`, built-ins,
//! the compiled cache, and plugins that misbehave on purpose.

use ferry::runtime::manifest::HOST_CONTRACT;
use serde_json::Value;

use crate::support::{ferry, install_fixture, run, wasm_dir};

const MASKER: &str = "steps = [\"mask\"]\n";

/// A document with a schema-marked secret, a sensitive variable and an unmarked one.
fn secret_document(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let doc = dir.join("profile.json");
    std::fs::write(
        &doc,
        r#"{"metadata":{"name":"web"},"spec":{"version":"1.0.0","template":{"type":"add-on","packs":[
            {"name":"akuity","type":"spectro","layer":"addon","version":"0.30.0","values":"charts:\n  akuity-agent:\n    akuityApiKeySecret: SUPERSECRET-1 # api key\n    replicas: 2\n"}
        ]},"variables":[{"name":"db","isSensitive":true,"defaultValue":"HUNTER2-pw"}]}}"#,
    )
    .unwrap();
    let schema = dir.join("schema.yaml");
    std::fs::write(
        &schema,
        "charts.akuity-agent.akuityApiKeySecret:\n  schema: '{{ required | format \"${password}\" }}'\ncharts.akuity-agent.replicas:\n  schema: '{{ format \"${number}\" }}'\n",
    )
    .unwrap();
    (doc, schema)
}

/// `ferry plugin run palette-mask --step mask`, to which a test adds the document and options.
fn mask_with_builtin(home: &std::path::Path) -> std::process::Command {
    let mut cmd = ferry(home);
    cmd.args(["plugin", "run", "palette-mask", "--step", "mask"]);
    cmd
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn plugin_list_on_a_fresh_home_shows_the_built_ins() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(ferry(home.path()).args(["plugin", "list"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ID "), "{out}");
    assert!(
        out.contains("palette-mask") && out.contains("built-in") && out.contains(HOST_CONTRACT),
        "{out}"
    );

    let (code, out, _) = run(ferry(home.path()).args(["plugin", "list", "--output", "json"]));
    assert_eq!(code, 0);
    let list = json(&out);
    let mask = list
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "palette-mask")
        .expect("palette-mask listed");
    let wasm = std::fs::read(wasm_dir().join("ferry_plugin_palette_mask.wasm")).unwrap();
    assert_eq!(
        mask["sha256"],
        ferry::runtime::catalog::sha256_hex(&wasm),
        "the embedded component is the built one"
    );
    assert_eq!(mask["steps"], serde_json::json!(["mask"]));
    assert_eq!(
        mask["contract"], HOST_CONTRACT,
        "the contract the SDK builds against"
    );
}

#[test]
fn the_built_in_masker_masks_palette_secrets_and_prints_none() {
    let home = tempfile::tempdir().unwrap();
    let (doc, schema) = secret_document(home.path());
    let (code, out, err) = run(mask_with_builtin(home.path())
        .args(["--output", "json"])
        .arg("--document")
        .arg(&doc)
        .arg("--schema")
        .arg(format!("akuity={}", schema.display())));
    assert_eq!(code, 0, "{err}");
    for secret in ["SUPERSECRET-1", "HUNTER2-pw"] {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} leaked: {out}{err}"
        );
    }
    let report = json(&out);
    let masked = &report["plugins"][0]["masked"];
    assert_eq!(masked.as_array().unwrap().len(), 2, "{report}");
    assert_eq!(masked[0]["key"], "/charts/akuity-agent/akuityApiKeySecret");
    assert_eq!(masked[1]["pointer"], "/spec/variables/0/defaultValue");
    let document = json(report["document"].as_str().unwrap());
    let values = document["spec"]["template"]["packs"][0]["values"]
        .as_str()
        .unwrap();
    assert!(
        values.contains("akuityApiKeySecret: \"********\" # api key")
            && values.contains("replicas: 2"),
        "{values}"
    );
}

#[test]
fn a_document_with_nothing_to_mask_comes_out_byte_for_byte() {
    // The real export's packs mark no password and it has no sensitive variable: the masker
    // answers "unchanged" and the document printed is the file as it was, formatting and all.
    let home = tempfile::tempdir().unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/ml-ops-export.json"
    );
    let (code, out, err) = run(mask_with_builtin(home.path())
        .arg("--document")
        .arg(fixture));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("masked 0 value(s)"), "{err}");
    let original = std::fs::read_to_string(fixture).unwrap();
    assert_eq!(out.trim_end(), original.trim_end());
}

#[test]
fn the_second_run_of_a_step_is_served_from_the_compiled_cache() {
    let home = tempfile::tempdir().unwrap();
    let (doc, _) = secret_document(home.path());
    let step = || {
        let mut cmd = ferry(home.path());
        cmd.args([
            "-v",
            "plugin",
            "run",
            "palette-mask",
            "--step",
            "mask",
            "--document",
        ])
        .arg(&doc);
        run(&mut cmd)
    };
    let cache_files = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(home.path().join("cache/components"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(cache_files().is_empty());

    let (code, _, first) = step();
    assert_eq!(code, 0, "{first}");
    assert!(
        first.contains("plugin palette-mask 0.1.0: compiled"),
        "{first}"
    );
    let files = cache_files();
    assert_eq!(files.len(), 1, "one compiled component cached: {files:?}");
    let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();

    let (code, _, second) = step();
    assert_eq!(code, 0, "{second}");
    assert!(
        second.contains("plugin palette-mask 0.1.0: loaded from the compiled cache"),
        "{second}"
    );
    assert!(
        !second.contains("compiled component"),
        "no compile on the second run: {second}"
    );
    assert_eq!(cache_files(), files);
    assert_eq!(
        std::fs::metadata(&files[0]).unwrap().modified().unwrap(),
        written,
        "the cache file was not rewritten"
    );
}

#[test]
fn hostile_plugins_end_in_typed_errors_and_the_run_goes_on() {
    let home = tempfile::tempdir().unwrap();
    for mode in ["loop", "alloc", "huge", "trap", "files", "env", "print"] {
        let (code, _, err) = install_fixture(
            home.path(),
            "ferry_plugin_hostile",
            &format!("hostile-{mode}"),
            MASKER,
        );
        assert_eq!(code, 0, "{err}");
    }
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        r#"
[plugins.hostile-loop]
config = { mode = "loop" }
limits = { timeout-ms = 300 }
[plugins.hostile-alloc]
config = { mode = "alloc" }
limits = { memory-mib = 64 }
[plugins.hostile-huge]
config = { mode = "huge" }
limits = { memory-mib = 1200 }
[plugins.hostile-trap]
config = { mode = "trap" }
[plugins.hostile-files]
config = { mode = "files" }
[plugins.hostile-env]
config = { mode = "env" }
[plugins.hostile-print]
config = { mode = "print" }
"#,
    )
    .unwrap();
    let (doc, schema) = secret_document(home.path());
    let ids = [
        "hostile-loop",
        "hostile-alloc",
        "hostile-huge",
        "hostile-trap",
        "palette-mask",
        "hostile-print",
        "hostile-files",
        "hostile-env",
    ];
    let (code, out, err) = run(ferry(home.path())
        .env("SECRET_IN_ENV", "should-not-be-seen")
        .args(["plugin", "run"])
        .args(ids)
        .args(["--step", "mask", "--output", "json", "--document"])
        .arg(&doc)
        .arg("--schema")
        .arg(format!("akuity={}", schema.display())));
    assert_eq!(code, 1, "a failed plugin fails the run: {err}");
    let report = json(&out);
    let by_id = |id: &str| {
        report["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing: {report}"))
    };

    let looped = by_id("hostile-loop");
    assert_eq!(
        (
            looped["ok"].clone(),
            looped["error"]["kind"].clone(),
            looped["error"]["limit_ms"].clone()
        ),
        (false.into(), "timeout".into(), 300.into())
    );
    assert!(
        looped["message"]
            .as_str()
            .unwrap()
            .starts_with("plugin 'hostile-loop' 0.1.0 (step mask): timed out after 300 ms"),
        "{looped}"
    );
    assert_eq!(by_id("hostile-alloc")["error"]["kind"], "out-of-memory");
    assert_eq!(by_id("hostile-alloc")["error"]["limit_mib"], 64);
    let huge = by_id("hostile-huge");
    assert_eq!(huge["error"]["kind"], "output-too-large", "{huge}");
    assert_eq!(huge["error"]["limit_mib"], 32, "the default output cap");
    let trap = by_id("hostile-trap");
    assert_eq!(trap["error"]["kind"], "trap");
    assert!(
        trap["message"]
            .as_str()
            .unwrap()
            .contains("hostile plugin panics on purpose"),
        "the panic message is reported: {trap}"
    );

    // Plugins that poke at the host get nothing, and the run goes on past every failure.
    assert_eq!(by_id("hostile-files")["ok"], true);
    assert_eq!(by_id("hostile-env")["ok"], true);
    assert_eq!(by_id("palette-mask")["ok"], true);
    assert_eq!(by_id("palette-mask")["masked"].as_array().unwrap().len(), 2);
    assert!(
        err.contains("[hostile-print] stdout: hello from stdout")
            && err.contains("[hostile-print] stderr: hello from stderr"),
        "{err}"
    );
    assert!(!out.contains("should-not-be-seen") && !err.contains("should-not-be-seen"));
}

#[test]
fn an_ungranted_capability_answers_every_call_with_a_refusal() {
    let home = tempfile::tempdir().unwrap();
    let validator = "steps = [\"validate\"]\n";
    install_fixture(
        home.path(),
        "ferry_plugin_sneaky",
        "sneaky",
        &format!("{validator}capabilities = [\"palette-api:read\"]\n"),
    );
    install_fixture(home.path(), "ferry_plugin_sneaky", "undeclared", validator);
    let doc = home.path().join("d.json");
    std::fs::write(&doc, "{}").unwrap();
    let validate = |ids: &[&str]| {
        let (_, out, _) = run(ferry(home.path())
            .args(["plugin", "run"])
            .args(ids)
            .args(["--step", "validate", "--output", "json", "--document"])
            .arg(&doc));
        json(&out)["plugins"].as_array().unwrap().clone()
    };

    let report = validate(&["sneaky", "undeclared"]);
    assert_eq!(
        report[0]["error"]["kind"], "capability-denied",
        "{report:?}"
    );
    assert_eq!(report[0]["error"]["capability"], "palette-api:read");
    assert!(
        report[0]["message"]
            .as_str()
            .unwrap()
            .contains("the policy does not grant it"),
        "{report:?}"
    );
    assert_eq!(report[1]["error"]["kind"], "capability-denied");
    assert!(
        report[1]["message"]
            .as_str()
            .unwrap()
            .contains("its manifest does not request it"),
        "{report:?}"
    );

    // Granted: it links and runs; with no environment in this run the host answers its request
    // with an error, which the plugin reports as its own.
    std::fs::write(
        home.path().join("policy.toml"),
        "[plugins.sneaky]\ngrants = [\"palette-api:read\"]\n",
    )
    .unwrap();
    let report = validate(&["sneaky"]);
    assert_eq!(report[0]["error"]["kind"], "plugin-error", "{report:?}");
    assert!(
        report[0]["message"]
            .as_str()
            .unwrap()
            .contains("no Palette connection"),
        "{report:?}"
    );
}

#[test]
fn plugins_see_no_files_no_environment_no_arguments_and_no_network() {
    let home = tempfile::tempdir().unwrap();
    for mode in ["files", "env", "net"] {
        install_fixture(
            home.path(),
            "ferry_plugin_hostile",
            &format!("hostile-{mode}"),
            MASKER,
        );
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let policy = format!(
        "[plugins.hostile-files]\nconfig = {{ mode = \"files\" }}\n[plugins.hostile-env]\nconfig = {{ mode = \"env\" }}\n[plugins.hostile-net]\nconfig = {{ mode = \"net\", addr = \"{addr}\" }}\n"
    );
    std::fs::write(home.path().join("policy.toml"), policy).unwrap();
    let doc = home.path().join("d.json");
    std::fs::write(&doc, "{}").unwrap();
    let cases = [
        ("hostile-files", "passwd=Err("),
        ("hostile-env", "vars=[] args=[] home=None"),
        ("hostile-net", "tcp=Err("),
    ];
    for (id, expected) in cases {
        let (code, out, err) = run(ferry(home.path())
            .env("HOME", "/root")
            .args([
                "plugin",
                "run",
                id,
                "--step",
                "mask",
                "--output",
                "json",
                "--document",
            ])
            .arg(&doc));
        assert_eq!(code, 0, "{err}");
        let document = json(&out)["document"].as_str().unwrap().to_string();
        assert!(document.contains(expected), "{id}: {document}");
        assert!(
            !document.contains("Ok("),
            "{id} reached something: {document}"
        );
    }
    listener.set_nonblocking(true).unwrap();
    let nothing = listener.accept().unwrap_err().kind();
    assert_eq!(
        nothing,
        std::io::ErrorKind::WouldBlock,
        "no connection reached the listener"
    );
}

#[test]
fn a_plugin_built_for_contract_2_is_refused_before_it_runs() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_future",
        "future",
        "contract = \"2.0.0\"\nsteps = [\"mask\"]\n",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains(&format!(
            "built for plugin contract ferry:plugin@2.0.0, but this ferry implements ferry:plugin@{HOST_CONTRACT}"
        )),
        "{err}"
    );
    assert!(
        err.contains("upgrade ferry"),
        "the message says how to fix it: {err}"
    );
    assert!(
        !home.path().join("plugins/future").exists(),
        "nothing installed"
    );

    // A manifest that claims 1.1.0 does not get it past: the component's own exports say 2.0.0.
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_future",
        "future",
        "contract = \"1.1.0\"\nsteps = [\"mask\"]\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not installed") && err.contains("ferry:plugin@2.0.0"),
        "{err}"
    );
    assert!(
        !home.path().join("plugins/future").exists(),
        "nothing installed"
    );
    let (_, list, _) = run(ferry(home.path()).args(["plugin", "list"]));
    assert!(!list.contains("future"), "{list}");
}

#[test]
fn installed_plugins_are_listed_pinned_by_digest_and_removable() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) =
        install_fixture(home.path(), "ferry_plugin_hostile", "acme-mask", MASKER);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("installed acme-mask 0.1.0") && out.contains("no capabilities"),
        "{out}"
    );
    let (_, list, _) = run(ferry(home.path()).args(["plugin", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("acme-mask") && l.contains("installed")),
        "{list}"
    );

    // A wasm changed after install is refused.
    std::fs::write(
        home.path().join("plugins/acme-mask/plugin.wasm"),
        b"\0asm tampered",
    )
    .unwrap();
    let (code, out, _) =
        run(ferry(home.path()).args(["plugin", "inspect", "acme-mask", "--output", "json"]));
    assert_eq!(code, 1);
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("has changed since it was installed"),
        "{out}"
    );

    let (code, _, _) = run(ferry(home.path()).args(["plugin", "remove", "acme-mask"]));
    assert_eq!(code, 0);
    let (code, _, err) = run(ferry(home.path()).args(["plugin", "remove", "palette-mask"]));
    assert_eq!(code, 1);
    assert!(err.contains("built into ferry"), "{err}");
}

#[test]
fn a_granted_plugin_reaches_palette_through_ferrys_client_read_only() {
    use crate::credentials::{PASSPHRASE, login};
    use crate::credentials_sandbox::Sandbox;
    let tmp = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(&tmp.path().join("sandbox"), &[]);
    let home = tmp.path().join("home");
    login(&home, &sandbox, "prod", PASSPHRASE);
    let validator = "steps = [\"validate\"]\ncapabilities = [\"palette-api:read\"]\n";
    // `ungranted` asks in its manifest, but the policy grants it nothing.
    for id in ["reader", "writer", "ungranted"] {
        let (code, _, err) = install_fixture(&home, "ferry_plugin_sneaky", id, validator);
        assert_eq!(code, 0, "{err}");
    }
    std::fs::write(
        home.join("policy.toml"),
        "[plugins.reader]\ngrants = [\"palette-api:read\"]\n[plugins.writer]\ngrants = [\"palette-api:read\"]\nconfig = { method = \"POST\", path = \"/v1/clusterprofiles/import\" }\n",
    )
    .unwrap();
    let doc = tmp.path().join("d.json");
    std::fs::write(&doc, "{}").unwrap();
    let (code, out, err) = run(ferry(&home)
        .args([
            "plugin",
            "run",
            "reader",
            "writer",
            "ungranted",
            "--step",
            "validate",
            "--env",
            "prod",
            "--output",
            "json",
            "-k",
            PASSPHRASE,
            "--document",
        ])
        .arg(&doc));
    assert_eq!(code, 1, "{err}");
    let report = json(&out);
    let reader = &report["plugins"][0];
    assert_eq!(reader["ok"], true, "{report}");
    assert_eq!(
        reader["findings"][0]["message"], "status 200",
        "GET /v1/users/info went through with the stored key: {report}"
    );
    let writer = &report["plugins"][1];
    assert_eq!(writer["error"]["kind"], "plugin-error");
    assert!(
        writer["message"]
            .as_str()
            .unwrap()
            .contains("POST /v1/clusterprofiles/import is denied: it needs palette-api:write"),
        "{report}"
    );
    // With a live environment in the run, an ungranted plugin still gets only the refusal.
    let ungranted = &report["plugins"][2];
    assert_eq!(ungranted["error"]["kind"], "capability-denied", "{report}");
    assert!(
        ungranted["message"]
            .as_str()
            .unwrap()
            .contains("capability palette-api:read not granted"),
        "{report}"
    );
    let key = sandbox.key("acme", "admin");
    assert!(
        !out.contains(&key) && !err.contains(&key),
        "the key never reaches a plugin's output or the log"
    );
}
