//! The built-in `secret-scan` masker through the binary: secrets in pack values, manifests and
//! variable defaults come out as `********`, nowhere else, and every other byte stays.

use serde_json::{Value, json};

use crate::support::{ferry, run};

/// A document as an exporter writes it (spacing, field order, Go's `\u003c` escapes), with a
/// secret in each kind of place: values YAML, a URL's password, a manifest's Secret
/// (`stringData` and base64 `data`, second document of the manifest) and a variable default.
const DOC: &str = r##"{
  "metadata": {"name": "web", "description": "db \u003c-\u003e api"},
  "spec": {
    "version": "1.0.0",
    "template": {"type": "add-on", "packs": [
      {"name": "api", "type": "spectro", "layer": "addon", "values": "# api settings\napi:\n  dbPassword: Values-Pw-7731 # the db\n  replicas: 2\n  database: postgres://app:Url-Pw-4419@db:5432/app?sslmode=require\n  cache: 'redis://cache:6379/0'\n  adminPassword: \"{{.spectro.macro.ADMIN_PW}}\"\n"},
      {"name": "creds", "type": "manifest", "layer": "addon", "manifests": [
        {"name": "db", "content": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  host: db\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db-creds\ntype: Opaque\nstringData:\n  password: Manifest-Pw-9902\ndata:\n  token: TWFuaWZlc3QtVG9rZW4=\n"}
      ]}
    ]},
    "variables": [
      {"name": "region", "defaultValue": "eu-west-1"},
      {"name": "apiToken", "displayName": "API token", "defaultValue": "Var-Token-5520"}
    ]
  }
}"##;

const SECRETS: [&str; 5] = [
    "Values-Pw-7731",
    "Url-Pw-4419",
    "Manifest-Pw-9902",
    "TWFuaWZlc3QtVG9rZW4=",
    "Var-Token-5520",
];

const HELLO: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/hello-universe-1.3.1"
);

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn assert_no_leak(secrets: &[&str], out: &str, err: &str) {
    for secret in secrets {
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{secret} leaked:\n{out}\n{err}"
        );
    }
}

/// (pointer, key, rule) of each masked value a JSON report lists for plugin number `n`.
fn masked(report: &Value, n: usize) -> Vec<(String, String, String)> {
    report["plugins"][n]["masked"]
        .as_array()
        .unwrap_or_else(|| panic!("{report}"))
        .iter()
        .map(|m| {
            let s = |k: &str| m[k].as_str().unwrap().to_string();
            (s("pointer"), s("key"), s("rule"))
        })
        .collect()
}

#[test]
fn secrets_in_every_place_are_masked_and_nothing_else_changes() {
    let home = tempfile::tempdir().unwrap();
    let doc = home.path().join("profile.json");
    std::fs::write(&doc, DOC).unwrap();
    // `-v` goes before the command, `--output` after it.
    let scan = |verbose: &[&str], output: &[&str]| {
        run(ferry(home.path())
            .args(verbose)
            .args(["plugin", "run", "secret-scan", "--step", "mask"])
            .args(output)
            .arg("--document")
            .arg(&doc))
    };

    let (code, out, err) = scan(&["-v"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_no_leak(&SECRETS, &out, &err);
    // The input with each secret's text, and only that, replaced by the placeholder.
    let expected = DOC
        .replace(
            "dbPassword: Values-Pw-7731 # the db",
            r#"dbPassword: \"********\" # the db"#,
        )
        .replace("app:Url-Pw-4419@db", "app:********@db")
        .replace("password: Manifest-Pw-9902", r#"password: \"********\""#)
        .replace("token: TWFuaWZlc3QtVG9rZW4=", r#"token: \"********\""#)
        .replace(
            r#""defaultValue": "Var-Token-5520""#,
            r#""defaultValue": "********""#,
        );
    assert_eq!(out, format!("{expected}\n"));
    assert!(err.contains("masked 5 value(s)"), "{err}");
    // One debug line per value: where and why, never what.
    assert!(
        err.contains("[secret-scan] masked /spec/template/packs/1/manifests/0/content [1]/stringData/password (k8s-secret-data)"),
        "{err}"
    );

    let (code, out, err) = scan(&[], &["--output", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_no_leak(&SECRETS, &out, &err);
    let report = json(&out);
    let values = "/spec/template/packs/0/values";
    let manifest = "/spec/template/packs/1/manifests/0/content";
    let expect = |p: &str, k: &str, r: &str| (p.to_string(), k.to_string(), r.to_string());
    assert_eq!(
        masked(&report, 0),
        [
            expect(values, "/api/dbPassword", "key-name:password"),
            expect(values, "/api/database", "url-password"),
            expect(manifest, "[1]/stringData/password", "k8s-secret-data"),
            expect(manifest, "[1]/data/token", "k8s-secret-data"),
            expect("/spec/variables/1/defaultValue", "", "key-name:token"),
        ]
    );
    assert_eq!(report["document"], expected.as_str());
}

/// The hello-universe pack with its `enable-api` preset, as a user fills it in: `dbPassword` and
/// `authToken` are plain `${string}` fields, which Palette exports in clear.
fn hello_universe_document(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let values = std::fs::read_to_string(format!("{HELLO}/values.yaml")).unwrap();
    let presets = std::fs::read_to_string(format!("{HELLO}/presets.yaml")).unwrap();
    let scalars = ferry_plugin_api::values::scalars(&presets).unwrap();
    let enable_api = scalars
        .iter()
        .position(|s| s.dotted() == "presets.$[].name" && s.value == "enable-api")
        .expect("the enable-api preset");
    let add = scalars[enable_api..]
        .iter()
        .find(|s| s.dotted() == "presets.$[].add")
        .expect("its values");
    let head = &values[..values.find("\nmanifests:").expect("a manifests section") + 1];
    let filled = format!("{head}{}", add.value)
        .replacen("REPLACE_ME", "aGVsbG8tZGItcGFzcw==", 1)
        .replacen("REPLACE_ME", "aGVsbG8tYXV0aC10b2tlbg==", 1);
    let doc = json!({
        "metadata": {"name": "hello"},
        "spec": {"version": "1.0.0", "template": {"type": "add-on", "packs": [
            {"name": "hello-universe", "type": "spectro", "layer": "addon", "version": "1.3.1", "tag": "1.3.1", "values": filled}
        ]}}
    });
    let path = dir.join("hello.json");
    std::fs::write(&path, doc.to_string()).unwrap();
    (path, filled)
}

fn values_of(report: &Value) -> String {
    let document = json(report["document"].as_str().unwrap());
    document["spec"]["template"]["packs"][0]["values"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn hello_universe_secrets_that_palette_leaves_are_caught_after_palette_mask() {
    let home = tempfile::tempdir().unwrap();
    let (doc, values) = hello_universe_document(home.path());
    assert!(values.contains("dbPassword: aGVsbG8tZGItcGFzcw== # Add base64 encoded password"));
    let (code, out, err) = run(ferry(home.path())
        .args(["plugin", "run", "palette-mask", "secret-scan"])
        .args(["--step", "mask", "--output", "json", "--document"])
        .arg(&doc)
        .arg("--schema")
        .arg(format!("hello-universe={HELLO}/schema.yaml")));
    assert_eq!(code, 0, "{err}");
    let secrets = ["aGVsbG8tZGItcGFzcw==", "aGVsbG8tYXV0aC10b2tlbg=="];
    assert_no_leak(&secrets, &out, &err);
    let report = json(&out);
    assert_eq!(masked(&report, 0), [], "the schema marks no password");
    let pointer = "/spec/template/packs/0/values".to_string();
    assert_eq!(
        masked(&report, 1),
        [
            (
                pointer.clone(),
                "/manifests/hello-universe/dbPassword".into(),
                "key-name:password".into()
            ),
            (
                pointer,
                "/manifests/hello-universe/authToken".into(),
                "key-name:token".into()
            ),
        ]
    );
    let expected = values
        .replace("aGVsbG8tZGItcGFzcw==", "\"********\"")
        .replace("aGVsbG8tYXV0aC10b2tlbg==", "\"********\"");
    assert_eq!(values_of(&report), expected);
}

#[test]
fn the_policy_allow_list_leaves_a_value_in_clear() {
    let home = tempfile::tempdir().unwrap();
    let (doc, values) = hello_universe_document(home.path());
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[plugins.secret-scan]\nconfig = { allow = \"manifests.hello-universe.authToken, rule=entropy\" }\n",
    )
    .unwrap();
    let (code, out, err) = run(ferry(home.path())
        .args(["-v", "plugin", "run", "secret-scan", "--step", "mask"])
        .arg("--policy")
        .arg(&policy)
        .args(["--output", "json", "--document"])
        .arg(&doc));
    assert_eq!(code, 0, "{err}");
    assert_no_leak(&["aGVsbG8tZGItcGFzcw=="], &out, &err);
    let report = json(&out);
    let keys: Vec<String> = masked(&report, 0).into_iter().map(|m| m.1).collect();
    assert_eq!(keys, ["/manifests/hello-universe/dbPassword"]);
    assert_eq!(
        values_of(&report),
        values.replace("aGVsbG8tZGItcGFzcw==", "\"********\"")
    );
    assert!(
        err.contains("allowed by policy: /spec/template/packs/0/values /manifests/hello-universe/authToken (key-name:token)"),
        "{err}"
    );
}

#[test]
fn the_real_export_has_nothing_to_scan_and_comes_out_byte_for_byte() {
    let home = tempfile::tempdir().unwrap();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/ml-ops-export.json"
    );
    let (code, out, err) = run(ferry(home.path())
        .args([
            "plugin",
            "run",
            "secret-scan",
            "--step",
            "mask",
            "--document",
        ])
        .arg(fixture));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("masked 0 value(s)"), "{err}");
    let original = std::fs::read_to_string(fixture).unwrap();
    assert_eq!(out.trim_end(), original.trim_end());
}
