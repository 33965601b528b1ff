//! The main job as a user does it: `ferry migrate`, `ferry export` then `ferry import`, between
//! two real sandboxes, with every built-in step running as a plugin.

use std::path::Path;

use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::sandbox_support::{Api, Sandbox, ml_ops};
use crate::steps::{ferry_in, ferry_run, login, sandbox_without, write};
use crate::support::{install_fixture, repo_root, run as support_run};

/// Imports `doc` into `sandbox` (tenant acme, tenant scope); its uid.
async fn seed(sandbox: &Sandbox, doc: &Value) -> String {
    sandbox.admin().import(doc).await
}

/// The profiles of the admin's scope, as `name@version`.
async fn profiles(api: &Api) -> Vec<String> {
    let list = api
        .get("/v1/dashboard/clusterprofiles/metadata")
        .await
        .json();
    let mut out: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}@{}",
                p["metadata"]["name"].as_str().unwrap(),
                p["spec"]["version"].as_str().unwrap()
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ml_ops_migrates_once_its_missing_pack_exists_and_a_rerun_is_a_no_op() {
    let home = tempfile::tempdir().unwrap();
    let source = Sandbox::start().await;
    seed(&source, &ml_ops()).await;
    let (lacking, _seed) = sandbox_without("istio-1.6.2").await;
    let complete = Sandbox::start().await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "lacking", &lacking, Role::Admin).await;
    login(home.path(), "dst", &complete, Role::Admin).await;

    // The target lacks istio 1.6.2: reported, exit 3, nothing created.
    let (code, out, err) = ferry_run(
        home.path(),
        &[
            "migrate",
            "--from",
            "src",
            "--to",
            "lacking",
            "ML Ops@1.0.0",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 3, "{err}");
    let findings: Value = serde_json::from_str(&out).unwrap();
    let missing: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "pack-missing")
        .collect();
    assert_eq!(missing.len(), 1, "{out}");
    assert_eq!(missing[0]["pack"], "istio@1.6.2");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(profiles(&lacking.admin()).await.is_empty());

    // Where it exists: imported, read back, verified.
    let (code, _, err) = ferry_run(
        home.path(),
        &["migrate", "--from", "src", "--to", "dst", "ML Ops@1.0.0"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    for step in ["export", "mask", "validate", "import", "verify"] {
        assert!(err.contains(step), "no {step} line in:\n{err}");
    }
    assert!(err.contains("value(s) as sent"), "{err}");
    assert_eq!(profiles(&complete.admin()).await, ["ML Ops@1.0.0"]);

    // Again: already there, as sent; nothing new.
    let (code, _, err) = ferry_run(
        home.path(),
        &["migrate", "--from", "src", "--to", "dst", "ML Ops"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("nothing to do"), "{err}");
    assert_eq!(profiles(&complete.admin()).await, ["ML Ops@1.0.0"]);
}

const DB_PASSWORD: &str = "s3cr3t-db-Pa55";
const AUTH_TOKEN: &str = "tok-9f8e7d6c5b4a39281716";
const STRING_DATA: &str = "manifest-pass-42";
const VAR_TOKEN: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
const AKUITY_KEY: &str = "ak-live-0123456789";
const SENSITIVE: &str = "sensitive-var-value";

/// The values of the hello-universe pack: comments, a plain and a quoted secret, a macro.
fn hello_values() -> String {
    format!(
        "pack:\n  namespace: hello # keep this comment\napi:\n  dbPassword: {DB_PASSWORD}\n  authToken: \"{AUTH_TOKEN}\"\n  region: '{{{{.spectro.macro.region}}}}'\n"
    )
}

fn creds_manifest() -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {STRING_DATA}\n"
    )
}

/// A profile with secrets in each kind of place: a schema-marked password (Palette withholds it),
/// a value no schema marks, a Kubernetes Secret in a manifest, a variable's default, a sensitive
/// variable (Palette withholds it), and a macro.
fn secretive() -> Value {
    json!({
        "metadata": { "name": "web-stack", "labels": { "team": "web" } },
        "spec": {
            "version": "1.2.0",
            "template": { "type": "add-on", "cloudType": "all", "packs": [
                { "name": "hello-universe", "type": "oci", "layer": "addon", "version": "1.3.1", "tag": "1.3.1",
                  "values": hello_values(),
                  "registry": { "metadata": { "uid": "x", "name": "Palette Registry", "kind": "oci", "isPrivate": false } } },
                { "name": "akuity-agent", "type": "spectro", "layer": "addon", "version": "0.30.0-5.5.2026", "tag": "0.30.0-5.5.2026",
                  "values": format!("charts:\n  akuity-agent:\n    akuityApiKeySecret: \"{AKUITY_KEY}\"\n"),
                  "registry": { "metadata": { "uid": "y", "name": "Public Repo", "kind": "pack", "isPrivate": false } } },
                { "name": "creds", "type": "manifest", "layer": "addon", "version": "1.0.0",
                  "manifests": [{ "name": "db", "content": creds_manifest() }] }
            ]},
            "variables": [
                { "name": "git_token", "defaultValue": VAR_TOKEN, "format": "string" },
                { "name": "admin_pw", "defaultValue": SENSITIVE, "isSensitive": true, "format": "string" }
            ]
        }
    })
}

/// `export`, as the source's own export would read with ferry's maskers' `********` in place of
/// each secret they take out (Palette's own are there already): nothing else may differ.
fn masked_by_ferry(export: &str) -> String {
    let quoted = "\\\"********\\\"";
    export
        .replace(DB_PASSWORD, quoted)
        .replace(AUTH_TOKEN, "********")
        .replace(STRING_DATA, quoted)
        .replace(VAR_TOKEN, "********")
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [
        DB_PASSWORD,
        AUTH_TOKEN,
        STRING_DATA,
        VAR_TOKEN,
        AKUITY_KEY,
        SENSITIVE,
    ] {
        assert!(
            !text.contains(secret),
            "{secret} in clear in {what}:\n{text}"
        );
    }
}

/// The profile's export from `api`, as text.
async fn export_of(api: &Api, name: &str) -> String {
    let uid = uid_of(api, name).await;
    let reply = api
        .get(&format!("/v1/clusterprofiles/{uid}/export?format=json"))
        .await;
    reply.expect(200);
    reply.text
}

/// `ferry import DOC --env ENV --secrets BUNDLE --set ...` for the secretive profile: the values
/// Palette withheld given on the command line.
fn import_args(doc: &Path, env: &str, bundle: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["-vv".into(), "import".into()];
    args.push(doc.to_str().unwrap().into());
    args.extend(["--env", env, "--secrets"].map(String::from));
    args.push(bundle.to_str().unwrap().into());
    args.extend([
        "--set".into(),
        format!("akuity-agent:charts.akuity-agent.akuityApiKeySecret={AKUITY_KEY}"),
        "--set".into(),
        format!("var.admin_pw={SENSITIVE}"),
    ]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

async fn ferry_run_owned(home: &Path, args: Vec<String>) -> (i32, String, String) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ferry_run(home, &refs).await
}

/// Every secret the target hands out arrived with the exact bytes it left with; the ones it masks
/// on read (the schema password, the sensitive variable) are compared by the verify step.
fn assert_arrived_exactly(arrived: &str) {
    let doc: Value = serde_json::from_str(arrived).unwrap();
    let packs = doc["spec"]["template"]["packs"].as_array().unwrap();
    let pack = |name: &str| packs.iter().find(|p| p["name"] == name).unwrap();
    assert_eq!(
        pack("hello-universe")["values"],
        hello_values(),
        "{arrived}"
    );
    assert_eq!(
        pack("creds")["manifests"][0]["content"],
        creds_manifest(),
        "{arrived}"
    );
    assert_eq!(doc["spec"]["variables"][0]["defaultValue"], VAR_TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_in_every_place_arrive_and_never_sit_in_clear() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let source = Sandbox::start().await;
    let target = Sandbox::start().await;
    let yaml_target = Sandbox::start().await;
    source
        .admin()
        .post(
            &format!(
                "/v1/tenants/{}/macros",
                source.running.tenant("acme").unwrap().uid
            ),
            &json!({"macros": [{"name": "region", "value": "eu-west-1"}]}),
        )
        .await
        .expect(204);
    seed(&source, &secretive()).await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    login(home.path(), "yaml-dst", &yaml_target, Role::Admin).await;

    // Export: refused while the secrets have nowhere to go; nothing written.
    let doc = work.path().join("web.json");
    let bundle = work.path().join("web.secrets");
    let doc_s = doc.to_str().unwrap();
    let (code, _, err) = ferry_run(
        home.path(),
        &["export", "web-stack@1.2.0", "--env", "src", "-o", doc_s],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--secrets-out"), "{err}");
    assert!(!doc.exists());

    let (code, out, err) = ferry_run(
        home.path(),
        &[
            "-vv",
            "export",
            "web-stack@1.2.0",
            "--env",
            "src",
            "-o",
            doc_s,
            "--secrets-out",
            bundle.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_no_secret("export's output", &(out + &err));
    let masked = std::fs::read_to_string(&doc).unwrap();
    assert_no_secret("the masked document", &masked);
    // Only the masked values changed: field order, spacing, the YAML's comments and quoting are
    // the source's export byte for byte.
    let original = export_of(&source.admin(), "web-stack").await;
    assert_eq!(masked, masked_by_ferry(&original));
    assert!(masked.contains("# keep this comment"), "{masked}");
    assert_no_secret("the bundle", &std::fs::read_to_string(&bundle).unwrap());
    let template = std::fs::read_to_string(work.path().join("web.json.secrets.yaml")).unwrap();
    assert!(
        template.contains("akuity-agent:charts.akuity-agent.akuityApiKeySecret"),
        "{template}"
    );
    assert!(template.contains("var.admin_pw"), "{template}");

    // Import: the target lacks the macro; reported, then created from the bundle.
    let args = import_args(&doc, "dst", &bundle, &["--output", "json"]);
    let (code, out, err) = ferry_run_owned(home.path(), args).await;
    assert_eq!(code, 3, "{err}");
    assert!(out.contains("\"macro\": \"region\""), "{out}");
    assert!(profiles(&target.admin()).await.is_empty());

    // A dry run with --create-macros creates nothing.
    let args = import_args(&doc, "dst", &bundle, &["--create-macros", "--dry-run"]);
    let (code, out, err) = ferry_run_owned(home.path(), args).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("would create region"), "{err}");
    assert_no_secret("a dry run's output", &(out + &err));
    assert!(profiles(&target.admin()).await.is_empty());
    let macros = target
        .admin()
        .get("/v1/clusterprofiles/macros")
        .await
        .json();
    assert_eq!(macros["macros"], json!([]));

    // For real: macros created, every secret back, verified.
    let args = import_args(&doc, "dst", &bundle, &["--create-macros"]);
    let (code, out, err) = ferry_run_owned(home.path(), args).await;
    assert_eq!(code, 0, "{err}");
    assert_no_secret("import's output", &(out + &err));
    assert!(err.contains("created region"), "{err}");
    assert!(err.contains("verify"), "{err}");
    assert_eq!(profiles(&target.admin()).await, ["web-stack@1.2.0"]);
    assert_arrived_exactly(&export_of(&target.admin(), "web-stack").await);

    // The same as YAML, into another target: the file reads back as the document, and the
    // bundle's places still name its secrets.
    let yaml = work.path().join("web.yaml");
    let yaml_bundle = work.path().join("web-yaml.secrets");
    let (code, out, err) = ferry_run(
        home.path(),
        &[
            "export",
            "web-stack@1.2.0",
            "--env",
            "src",
            "--format",
            "yaml",
            "-o",
            yaml.to_str().unwrap(),
            "--secrets-out",
            yaml_bundle.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_no_secret("export's output", &(out + &err));
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(
        text.starts_with("metadata:") && text.contains("# keep this comment"),
        "{text}"
    );
    assert_no_secret("the YAML document", &text);
    let args = import_args(&yaml, "yaml-dst", &yaml_bundle, &["--create-macros"]);
    let (code, out, err) = ferry_run_owned(home.path(), args).await;
    assert_eq!(code, 0, "{err}");
    assert_no_secret("import's output", &(out + &err));
    assert!(err.contains("6 value(s) put back"), "{err}");
    assert!(err.contains("verify"), "{err}");
    assert_eq!(profiles(&yaml_target.admin()).await, ["web-stack@1.2.0"]);
    assert_arrived_exactly(&export_of(&yaml_target.admin(), "web-stack").await);

    // No file ferry wrote holds a secret in clear (its home included).
    for dir in [home.path(), work.path()] {
        for entry in walk(dir) {
            if let Ok(text) = std::fs::read_to_string(&entry) {
                assert_no_secret(&entry.display().to_string(), &text);
            }
        }
    }
}

/// `ferry mask FILE`: only the masked values change; a YAML file is read as well as JSON (and
/// written back as YAML); a file that is neither is refused, saying what to give instead.
#[test]
fn mask_changes_the_masked_values_and_nothing_else() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let input = repo_root().join("examples/web-stack-export.json");
    let schema = format!(
        "akuity-agent={}",
        repo_root()
            .join("examples/schemas/akuity-agent.yaml")
            .display()
    );
    let mask = |file: &Path, extra: &[&str]| {
        let mut cmd = ferry_in(home.path());
        cmd.arg("mask").arg(file).args(["--schema", &schema]);
        cmd.args(extra);
        support_run(&mut cmd)
    };
    let out = work.path().join("masked.json");
    let bundle = work.path().join("web.secrets");
    let (code, _, err) = mask(
        &input,
        &[
            "-o",
            out.to_str().unwrap(),
            "--secrets-out",
            bundle.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("palette-mask: 2 value(s) masked"), "{err}");
    let original = std::fs::read_to_string(&input).unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        original
            .replace("\\\"ak-live-7c1e9f0b2d4a\\\"", "\\\"********\\\"")
            .replace("\"s3cr3t-db-pass\"", "\"********\""),
        "the masked values changed, and nothing else"
    );

    // As YAML, then that file masked again: read as YAML, written as YAML, nothing left to mask.
    let yaml = work.path().join("masked.yaml");
    let (code, _, err) = mask(
        &input,
        &[
            "--format",
            "yaml",
            "-o",
            yaml.to_str().unwrap(),
            "--secrets-out",
            bundle.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let again = work.path().join("again.yaml");
    let (code, _, err) = mask(&yaml, &["-o", again.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("palette-mask: 0 value(s) masked"), "{err}");
    let text = std::fs::read_to_string(&yaml).unwrap();
    assert!(text.starts_with("metadata:"), "{text}");
    assert!(!text.contains("ak-live-7c1e9f0b2d4a") && !text.contains("s3cr3t-db-pass"));
    assert_eq!(std::fs::read_to_string(&again).unwrap(), text);

    let notes = write(work.path(), "notes.txt", "just some words\n");
    let (code, _, err) = mask(&notes, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("notes.txt is not a profile export") && err.contains("a line of text"),
        "{err}"
    );
    assert!(
        err.contains("hint: give the file `ferry export` wrote"),
        "{err}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub async fn uid_of(api: &Api, name: &str) -> String {
    let list = api
        .get("/v1/dashboard/clusterprofiles/metadata")
        .await
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["metadata"]["name"] == name)
        .map(|p| p["metadata"]["uid"].as_str().unwrap().to_string())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_and_an_approval_gate() {
    let home = tempfile::tempdir().unwrap();
    let source = Sandbox::start().await;
    let target = Sandbox::start().await;
    let small = crate::sandbox_support::small_profile("svc", "replicas: 1\n");
    seed(&source, &small).await;
    let mut changed = small.clone();
    changed["spec"]["template"]["packs"][0]["values"] = json!("replicas: 3\n");
    seed(&target, &changed).await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    let migrate = |extra: &[&str]| {
        let mut a = vec!["migrate", "--from", "src", "--to", "dst", "svc@1.0.0"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let go = |args: Vec<String>| {
        let home = home.path().to_path_buf();
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            ferry_run(&home, &refs).await
        }
    };

    let (code, out, err) = go(migrate(&[])).await;
    assert_eq!(code, 3, "fail is the default: {err}");
    assert!(
        out.contains("name-taken") && out.contains("--on-conflict"),
        "{out}"
    );
    let (code, _, err) = go(migrate(&["--on-conflict", "skip"])).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("skipped"), "{err}");
    let (code, _, err) = go(migrate(&["--on-conflict", "bump-patch"])).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = go(migrate(&["--on-conflict", "bump-minor"])).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = go(migrate(&["--on-conflict", "rename=svc-copy"])).await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        profiles(&target.admin()).await,
        ["svc-copy@1.0.0", "svc@1.0.0", "svc@1.0.1", "svc@1.1.0"]
    );

    // An organization's approver denies: its reason, exit 4, nothing created.
    // (The example approver: a profile without a change-ticket label is denied before it asks
    // the approval service, which is never reached here.)
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_example_ticket_approver",
        "ticket-approver",
        "steps = [\"approve\"]\ncapabilities = [\"http:http://127.0.0.1:9\"]\n",
    );
    assert_eq!(code, 0, "{err}");
    let policy = write(
        home.path(),
        "policy.toml",
        "[steps]\napprove = [\"ticket-approver\"]\n[plugins.ticket-approver]\ngrants = [\"http:http://127.0.0.1:9\"]\n",
    );
    let (code, _, err) = go(migrate(&[
        "--on-conflict",
        "rename=svc-gated",
        "--policy",
        policy.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(code, 4, "{err}");
    assert!(err.contains("no change-ticket label"), "{err}");
    assert!(
        !profiles(&target.admin())
            .await
            .contains(&"svc-gated@1.0.0".to_string())
    );

    // Denied with --create-macros: the macros it would have needed are not created either.
    source
        .admin()
        .post(
            &format!(
                "/v1/tenants/{}/macros",
                source.running.tenant("acme").unwrap().uid
            ),
            &json!({"macros": [{"name": "zone", "value": "eu-1a"}]}),
        )
        .await
        .expect(204);
    let zoned =
        crate::sandbox_support::small_profile("zoned", "zone: \"{{.spectro.macro.zone}}\"\n");
    seed(&source, &zoned).await;
    let (code, _, err) = go(vec![
        "migrate".into(),
        "--from".into(),
        "src".into(),
        "--to".into(),
        "dst".into(),
        "zoned@1.0.0".into(),
        "--create-macros".into(),
        "--policy".into(),
        policy.to_str().unwrap().into(),
    ])
    .await;
    assert_eq!(code, 4, "{err}");
    assert!(!err.contains("created zone"), "{err}");
    let macros = target
        .admin()
        .get("/v1/clusterprofiles/macros")
        .await
        .json();
    assert_eq!(macros["macros"], json!([]), "{err}");
}

/// `ferry ARGS` on a pseudo-terminal (util-linux `script`), fed `answer`; (exit code, what it printed).
async fn on_a_terminal(home: &Path, args: &str, answer: &str) -> (i32, String) {
    let mut cmd = std::process::Command::new("script");
    cmd.args([
        "-qec",
        &format!("{} {args}", env!("CARGO_BIN_EXE_ferry")),
        "/dev/null",
    ])
    .env("FERRY_HOME", home)
    .env(
        "PALETTE_ENCRYPTION_PASSWORD",
        crate::credentials::PASSPHRASE,
    );
    let (code, out, err) = crate::steps::run(cmd, answer).await;
    (code, out + &err)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_ferry_asks_before_it_changes_the_target() {
    let home = tempfile::tempdir().unwrap();
    let source = Sandbox::start().await;
    let target = Sandbox::start().await;
    for name in ["svc", "api"] {
        seed(
            &source,
            &crate::sandbox_support::small_profile(name, "replicas: 1\n"),
        )
        .await;
    }
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    let migrate = "migrate --from src --to dst svc@1.0.0";

    let (code, shown) = on_a_terminal(home.path(), migrate, "n\n").await;
    assert_eq!(code, 4, "{shown}");
    assert!(
        shown.contains("import svc@1.0.0 into dst? [y/N]"),
        "{shown}"
    );
    assert!(shown.contains("you did not confirm svc@1.0.0"), "{shown}");
    assert!(profiles(&target.admin()).await.is_empty());

    let (code, shown) = on_a_terminal(home.path(), migrate, "y\n").await;
    assert_eq!(code, 0, "{shown}");
    assert_eq!(profiles(&target.admin()).await, ["svc@1.0.0"]);

    // --yes: no question; nor without a terminal (every other test).
    let (code, shown) = on_a_terminal(
        home.path(),
        "migrate --from src --to dst api@1.0.0 --yes",
        "",
    )
    .await;
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert_eq!(profiles(&target.admin()).await, ["api@1.0.0", "svc@1.0.0"]);
}
