//! The built-in export, validate and import steps as a user runs them: `ferry login`, then
//! `ferry plugin run palette-export|palette-validate|palette-import`, against real sandboxes
//! (in-process, so a test can seed them and read back what they hold).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::credentials::PASSPHRASE;
use crate::sandbox_support::{Api, Sandbox, ml_ops, small_profile};
use crate::support::ferry;

/// `ferry` with the passphrase that unlocks the test home.
pub fn ferry_in(home: &Path) -> Command {
    let mut cmd = ferry(home);
    cmd.env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE);
    cmd
}

/// Runs ferry off the async runtime (the sandbox serves on it), feeding `stdin`.
pub async fn run(mut cmd: Command, stdin: &str) -> (i32, String, String) {
    let stdin = stdin.to_string();
    tokio::task::spawn_blocking(move || {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("ferry starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().expect("ferry ends");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

/// `ferry ARGS...` with the test home's passphrase: exit code, stdout, stderr.
pub async fn ferry_run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let mut cmd = ferry_in(home);
    cmd.args(args);
    run(cmd, "").await
}

/// Stores environment `env` for `sandbox` (tenant acme, tenant scope) with the key of `role`.
pub async fn login(home: &Path, env: &str, sandbox: &Sandbox, role: Role) {
    let key = sandbox.running.tenant("acme").unwrap().key(role).unwrap();
    login_with_key(home, env, sandbox.running.url(), key).await;
}

/// Stores environment `env` for the sandbox at `url` with `key` (tenant scope).
pub async fn login_with_key(home: &Path, env: &str, url: &str, key: &str) {
    let mut cmd = ferry_in(home);
    cmd.args(["login", "--env", env, "--endpoint", url, "--api-key-stdin"]);
    let (code, _, err) = run(cmd, &format!("{key}\n")).await;
    assert_eq!(code, 0, "login {env}: {err}");
}

/// `ferry plugin run ID --step STEP --env ENV --output json ARGS...`: exit code, report, stderr.
async fn step(home: &Path, id: &str, step: &str, env: &str, args: &[&str]) -> (i32, Value, String) {
    let mut cmd = ferry_in(home);
    cmd.args([
        "plugin", "run", id, "--step", step, "--env", env, "--output", "json",
    ])
    .args(args);
    let (code, out, err) = run(cmd, "").await;
    let report = serde_json::from_str(&out).unwrap_or(Value::Null);
    (code, report, err)
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The sandbox's own export of profile `uid`, as text.
async fn sandbox_export(api: &Api, uid: &str) -> String {
    let reply = api
        .get(&format!("/v1/clusterprofiles/{uid}/export?format=json"))
        .await;
    reply.expect(200);
    reply.text
}

/// A sandbox seeded from a copy of sandbox/seed without `leave_out` (a pack folder).
pub async fn sandbox_without(leave_out: &str) -> (Sandbox, tempfile::TempDir) {
    let seed = tempfile::tempdir().unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sandbox/seed");
    for pack in std::fs::read_dir(&from).unwrap().map(|e| e.unwrap().path()) {
        if !pack.is_dir() || pack.file_name().unwrap() == leave_out {
            continue;
        }
        let to = seed.path().join(pack.file_name().unwrap());
        std::fs::create_dir(&to).unwrap();
        for file in std::fs::read_dir(&pack).unwrap().map(|e| e.unwrap().path()) {
            std::fs::copy(&file, to.join(file.file_name().unwrap())).unwrap();
        }
    }
    let dir = seed.path().to_path_buf();
    (Sandbox::start_with(|c| c.seed_dir = Some(dir)).await, seed)
}

fn findings(report: &Value) -> Vec<Value> {
    report["plugins"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn codes(findings: &[Value]) -> Vec<String> {
    let mut c: Vec<String> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect();
    c.sort();
    c
}

fn with_code<'a>(findings: &'a [Value], code: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {findings:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_returns_palettes_document_and_the_pack_schemas() {
    let src = Sandbox::start().await;
    let admin = src.admin();
    let first = admin.import(&ml_ops()).await;
    let mut newer = ml_ops();
    newer["spec"]["version"] = json!("1.10.0");
    let latest = admin.import(&newer).await;
    let hello = small_profile("hello", "a: 1\n");
    let mut hello = hello;
    hello["spec"]["template"]["packs"][0] = json!({"name": "hello-universe", "type": "spectro", "layer": "addon",
        "version": "1.3.1", "values": "", "registry": {"metadata": {"name": "Public Repo", "kind": "pack"}}});
    let hello_uid = admin.import(&hello).await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "src", &src, Role::ReadOnly).await;

    // Without a version: the highest (1.10.0 over 1.0.0), the document exactly as Palette exports it.
    let (code, report, err) = step(
        home.path(),
        "palette-export",
        "export",
        "src",
        &["--profile", "ML Ops"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        report["document"].as_str().unwrap(),
        sandbox_export(&admin, &latest).await
    );
    let packs: Vec<&str> = report["plugins"][0]["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(packs, ["kubeflow", "argo-cd", "istio"]);

    let (code, report, err) = step(
        home.path(),
        "palette-export",
        "export",
        "src",
        &["--profile", "ML Ops@1.0.0"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        report["document"].as_str().unwrap(),
        sandbox_export(&admin, &first).await
    );

    // By uid, with the schema Palette serves for the pack (hello-universe marks fields).
    let (code, report, err) = step(
        home.path(),
        "palette-export",
        "export",
        "src",
        &["--uid", &hello_uid],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let pack = &report["plugins"][0]["packs"][0];
    assert_eq!(
        (pack["name"].as_str(), pack["tag"].as_str()),
        (Some("hello-universe"), Some("1.3.1"))
    );
    assert!(pack["fields"].as_u64().unwrap() > 0, "{report}");

    // A version that does not exist: the versions that do.
    let (code, report, err) = step(
        home.path(),
        "palette-export",
        "export",
        "src",
        &["--profile", "ML Ops@9.9.9"],
    )
    .await;
    assert_eq!(code, 1);
    assert_eq!(
        report["plugins"][0]["error"]["kind"], "plugin-error",
        "{report}"
    );
    assert_eq!(
        report["plugins"][0]["error"]["error"], "invalid-input",
        "{report}"
    );
    assert!(
        err.contains(
            "cluster profile 'ML Ops' has no version 9.9.9; versions that exist: 1.0.0, 1.10.0"
        ),
        "{err}"
    );
    // Palette's own error, with its code.
    let (code, _, err) = step(
        home.path(),
        "palette-export",
        "export",
        "src",
        &["--uid", "0123456789abcdef01234567"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("404 ResourceNotFound"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_reports_what_the_target_lacks() {
    // The source defines REGION and holds every pack; the profile uses both.
    let src = Sandbox::start().await;
    let admin = src.admin();
    let tenant = src.running.tenant("acme").unwrap().uid.clone();
    admin
        .post(
            &format!("/v1/tenants/{tenant}/macros"),
            &json!({"macros": [{"name": "REGION", "value": "eu-west-1"}]}),
        )
        .await
        .expect(204);
    let mut doc = ml_ops();
    let istio = doc["spec"]["template"]["packs"][2]["values"]
        .as_str()
        .unwrap()
        .to_string();
    doc["spec"]["template"]["packs"][2]["values"] = json!(format!(
        "{istio}\nferryRegion: \"{{{{.spectro.macro.REGION}}}}\"\n"
    ));
    admin.import(&doc).await;

    // The target lacks istio 1.6.2 and REGION, and already has an "ML Ops" 1.0.0.
    let (dst, _seed) = sandbox_without("istio-1.6.2").await;
    let taken = json!({"metadata": {"name": "ML Ops"}, "spec": {"version": "1.0.0", "template": {"type": "add-on",
        "packs": [{"name": "cm", "type": "manifest", "layer": "addon", "values": "", "manifests": [{"name": "cm", "content": "a: 1"}]}]}}});
    dst.admin().import(&taken).await;

    let home = tempfile::tempdir().unwrap();
    login(home.path(), "src", &src, Role::ReadOnly).await;
    login(home.path(), "dst", &dst, Role::ReadOnly).await;
    let (code, report, err) = step(
        home.path(),
        "palette-export",
        "export",
        "src",
        &["--profile", "ML Ops"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let exported = report["document"].as_str().unwrap().to_string();

    // Against its own source the export is clean but for its name.
    let file = write(home.path(), "export.json", &exported);
    let file = file.to_str().unwrap();
    let (code, report, err) = step(
        home.path(),
        "palette-validate",
        "validate",
        "src",
        &["--document", file],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(codes(&findings(&report)), ["name-taken"], "{report:#}");

    // A hand edit: a variable nobody declared, a value left masked, a registry the target lacks.
    let mut edited: Value = serde_json::from_str(&exported).unwrap();
    let kubeflow = edited["spec"]["template"]["packs"][0]["values"]
        .as_str()
        .unwrap()
        .to_string();
    edited["spec"]["template"]["packs"][0]["values"] = json!(format!(
        "{kubeflow}\nferryHost: \"{{{{.spectro.var.dbhost}}}}\"\nferryToken: \"********\"\n"
    ));
    edited["spec"]["template"]["packs"][1]["registry"]["metadata"]["name"] = json!("Corp Repo");
    let edited_file = write(home.path(), "edited.json", &edited.to_string());
    let (code, report, err) = step(
        home.path(),
        "palette-validate",
        "validate",
        "dst",
        &["--document", edited_file.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let found = findings(&report);
    assert_eq!(
        codes(&found),
        [
            "macro-undefined",
            "name-taken",
            "pack-missing",
            "registry-missing",
            "value-masked",
            "variable-undeclared"
        ],
        "{report:#}"
    );
    let pack = with_code(&found, "pack-missing");
    assert_eq!(
        pack["subject"],
        json!({"kind": "pack", "name": "istio@1.6.2"})
    );
    assert_eq!(
        pack["message"],
        "pack istio@1.6.2 is not in registry 'Public Repo' of dst; no registry of dst holds it"
    );
    let registry = with_code(&found, "registry-missing");
    assert_eq!(
        registry["subject"],
        json!({"kind": "registry", "name": "Corp Repo"})
    );
    assert!(
        registry["hint"]
            .as_str()
            .unwrap()
            .contains("--registry-map 'Corp Repo=Public Repo'"),
        "{registry}"
    );
    let region = with_code(&found, "macro-undefined");
    assert_eq!(
        region["subject"],
        json!({"kind": "macro", "name": "REGION"})
    );
    assert_eq!(
        (region["path"].as_str(), region["yaml_path"].as_str()),
        (Some("/spec/template/packs/2/values"), Some("ferryRegion"))
    );
    let var = with_code(&found, "variable-undeclared");
    assert_eq!(
        var["subject"],
        json!({"kind": "variable", "name": "dbhost"})
    );
    let masked = with_code(&found, "value-masked");
    assert_eq!(
        (masked["path"].as_str(), masked["yaml_path"].as_str()),
        (Some("/spec/template/packs/0/values"), Some("ferryToken"))
    );
    let name = with_code(&found, "name-taken");
    assert!(
        name["hint"].as_str().unwrap().contains("--on-conflict"),
        "{name}"
    );
    assert!(found.iter().all(|f| f["severity"] == "error"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_creates_the_profile_and_says_why_when_it_cannot() {
    let dst = Sandbox::start().await;
    let home = tempfile::tempdir().unwrap();
    login(home.path(), "dst", &dst, Role::Admin).await;
    login(home.path(), "viewer", &dst, Role::ReadOnly).await;
    let policy = write(
        home.path(),
        "policy.toml",
        "[plugins.palette-import]\nconfig = { publish = \"true\" }\n",
    );
    let policy = policy.to_str().unwrap();
    let doc = write(
        home.path(),
        "doc.json",
        &small_profile("imported", "a: 1\n").to_string(),
    );
    let doc = doc.to_str().unwrap();

    let (code, report, err) = step(
        home.path(),
        "palette-import",
        "import",
        "dst",
        &["--document", doc, "--policy", policy],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let uid = report["plugins"][0]["uid"].as_str().unwrap();
    let read = dst.admin().get(&format!("/v1/clusterprofiles/{uid}")).await;
    read.expect(200);
    let profile = read.json();
    assert_eq!(profile["metadata"]["name"], "imported");
    assert_eq!(
        profile["status"]["isPublished"], true,
        "config publish = \"true\""
    );

    // Again: the name is taken.
    let (code, _, err) = step(
        home.path(),
        "palette-import",
        "import",
        "dst",
        &["--document", doc],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("profile imported 1.0.0 already exists in dst (ClusterProfileAlreadyExists)"),
        "{err}"
    );

    // A read-only key: the permission it lacks.
    let other = write(
        home.path(),
        "other.json",
        &small_profile("other", "a: 1\n").to_string(),
    );
    let (code, report, err) = step(
        home.path(),
        "palette-import",
        "import",
        "viewer",
        &["--document", other.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("403 Forbidden") && err.contains("missing permission clusterProfile.create"),
        "{err}"
    );
    assert_eq!(report["plugins"][0]["error"]["error"], "denied", "{report}");

    // A document Palette refuses: its code and message.
    let bad = write(
        home.path(),
        "bad.json",
        &small_profile("bad", "a: \"{{.spectro.macro.NOPE}}\"\n").to_string(),
    );
    let (code, _, err) = step(
        home.path(),
        "palette-import",
        "import",
        "dst",
        &["--document", bad.to_str().unwrap()],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("dst refused bad 1.0.0: 400 MacrosUndefined"),
        "{err}"
    );
    assert!(
        !dst.admin()
            .profile_names()
            .await
            .contains(&"bad".to_string())
    );
}
