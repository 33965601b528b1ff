//! `ferry diff` as a user runs it: a profile in two real sandboxes, or an exported file against
//! one; secrets compared by digest and never shown, not even at `-vv`.

use std::path::Path;

use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::sandbox_support::{Sandbox, small_profile};
use crate::steps::{ferry_run, login};

const DB_SRC: &str = "s3cr3t-src-7Hq2xW";
const DB_DST: &str = "s3cr3t-dst-9Kx4zP";

/// What a profile version holds, one knob per kind of difference.
struct Web<'a> {
    version: &'a str,
    kubeflow: &'a str,
    replicas: u32,
    password: &'a str,
    region: &'a str,
    hello: bool,
}

const SRC: Web = Web {
    version: "1.0.0",
    kubeflow: "1.2.0",
    replicas: 1,
    password: DB_SRC,
    region: "eu",
    hello: false,
};

/// Profile `web`: kubeflow with a value and a password, maybe hello-universe, and a variable.
fn web(w: &Web) -> Value {
    let values = format!(
        "replicas: {}\napi:\n  dbPassword: {}\n",
        w.replicas, w.password
    );
    let mut doc = small_profile("web", &values);
    doc["spec"]["version"] = json!(w.version);
    let kubeflow = &mut doc["spec"]["template"]["packs"][0];
    kubeflow["version"] = json!(w.kubeflow);
    kubeflow["tag"] = json!(w.kubeflow);
    if w.hello {
        doc["spec"]["template"]["packs"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "name": "hello-universe", "type": "oci", "layer": "addon", "version": "1.3.1", "tag": "1.3.1",
                "values": "replicas: 1\n",
                "registry": { "metadata": { "uid": "x", "name": "Palette Registry", "kind": "oci", "isPrivate": false } }
            }));
    }
    doc["spec"]["variables"] =
        json!([{ "name": "region", "defaultValue": w.region, "format": "string" }]);
    doc
}

/// Two sandboxes stored as environments `src` and `dst`, seeded with `src` and `dst`.
async fn two_envs(home: &Path, src: &[Value], dst: &[Value]) -> (Sandbox, Sandbox) {
    let (source, target) = (Sandbox::start().await, Sandbox::start().await);
    for (sandbox, docs) in [(&source, src), (&target, dst)] {
        for doc in docs {
            sandbox.admin().import(doc).await;
        }
    }
    login(home, "src", &source, Role::Admin).await;
    login(home, "dst", &target, Role::Admin).await;
    (source, target)
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [DB_SRC, DB_DST] {
        assert!(
            !text.contains(secret),
            "{secret} in clear in {what}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_profiles_differ_in_nothing() {
    let home = tempfile::tempdir().unwrap();
    let _envs = two_envs(home.path(), &[web(&SRC)], &[web(&SRC)]).await;

    let (code, out, err) = ferry_run(
        home.path(),
        &["diff", "web", "--from", "src", "--to", "dst"],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "", "nothing differs, nothing listed");
    assert!(
        err.contains("same between web@1.0.0 in src and web@1.0.0 in dst"),
        "{err}"
    );
    assert!(err.contains("1 secret(s) by digest"), "{err}");

    let (code, out, err) = ferry_run(
        home.path(),
        &[
            "diff",
            "web@1.0.0",
            "--from",
            "src",
            "--to",
            "dst",
            "--output",
            "json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["same"], true);
    assert_eq!(report["differences"], json!([]));
    assert_eq!(report["from"]["env"], "src");
    assert_eq!(report["compared"]["secretsByDigest"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_difference_is_listed_and_a_changed_secret_only_said_to_differ() {
    let home = tempfile::tempdir().unwrap();
    let changed = Web {
        kubeflow: "1.9.1",
        replicas: 3,
        password: DB_DST,
        region: "us",
        hello: true,
        ..SRC
    };
    let _envs = two_envs(home.path(), &[web(&SRC)], &[web(&changed)]).await;

    let (code, out, err) = ferry_run(
        home.path(),
        &["-vv", "diff", "web@1.0.0", "--from", "src", "--to", "dst"],
    )
    .await;
    assert_eq!(code, 6, "exit 6 when something differs: {err}");
    assert_eq!(
        out,
        "--- web@1.0.0 in src\n\
         +++ web@1.0.0 in dst\n\
         ~ pack kubeflow 1.2.0 → 1.9.1\n\
         ~ pack kubeflow tag: 1.2.0 → 1.9.1\n\
         ~ values kubeflow: replicas: 1 → 3\n\
         ~ values kubeflow: api.dbPassword: secret differs\n\
         + pack hello-universe 1.3.1\n\
         ~ variable region default: eu → us\n"
    );
    assert!(err.contains("6 difference(s)"), "{err}");
    assert_no_secret("diff's output at -vv", &(out + &err));

    let (code, out, err) = ferry_run(
        home.path(),
        &[
            "diff", "web", "--from", "src", "--to", "dst", "--output", "json",
        ],
    )
    .await;
    assert_eq!(code, 6, "{err}");
    assert_no_secret("diff's JSON", &out);
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["same"], false);
    let all = report["differences"].as_array().unwrap();
    assert!(
        all.contains(
            &json!({"change": "changed", "pack": "kubeflow", "field": "version",
                             "from": "1.2.0", "to": "1.9.1", "secret": false})
        ),
        "{out}"
    );
    assert!(
        all.contains(
            &json!({"change": "changed", "pack": "kubeflow", "field": "values",
                             "path": "api.dbPassword", "secret": true})
        ),
        "{out}"
    );
    assert!(
        all.contains(
            &json!({"change": "added", "pack": "hello-universe", "to": "1.3.1", "secret": false})
        ),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_against_an_environment_and_a_profile_one_side_lacks() {
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let changed = Web {
        password: DB_DST,
        ..SRC
    };
    let newer = Web {
        version: "1.1.0",
        ..SRC
    };
    let _envs = two_envs(home.path(), &[web(&SRC)], &[web(&changed), web(&newer)]).await;
    let file = work.path().join("web.json");
    let bundle = work.path().join("web.secrets");
    let (file_s, bundle_s) = (file.to_str().unwrap(), bundle.to_str().unwrap());
    let (code, _, err) = ferry_run(
        home.path(),
        &[
            "export",
            "web@1.0.0",
            "--env",
            "src",
            "-o",
            file_s,
            "--secrets-out",
            bundle_s,
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");

    // The file's password is masked: without its bundle it is not compared, and ferry says so.
    let (code, out, err) = ferry_run(home.path(), &["diff", file_s, "--to", "src"]).await;
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("1 value(s) withheld as ********"), "{err}");
    assert!(err.contains("give --secrets"), "{err}");
    let (code, out, err) = ferry_run(
        home.path(),
        &["diff", file_s, "--to", "src", "--secrets", bundle_s],
    )
    .await;
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(
        err.contains("1 secret(s) by digest") && !err.contains("withheld"),
        "{err}"
    );
    let (code, out, err) = ferry_run(
        home.path(),
        &["-vv", "diff", file_s, "--to", "dst", "--secrets", bundle_s],
    )
    .await;
    assert_eq!(code, 6, "{err}");
    assert!(
        out.ends_with("~ values kubeflow: api.dbPassword: secret differs\n"),
        "{out}"
    );
    assert_no_secret("a file's diff at -vv", &(out + &err));

    // Without a version, the highest on each side.
    let (code, out, err) = ferry_run(
        home.path(),
        &["diff", "web", "--from", "src", "--to", "dst"],
    )
    .await;
    assert_eq!(code, 6, "{err}");
    assert!(
        out.contains("+++ web@1.1.0 in dst\n~ profile version: 1.0.0 → 1.1.0\n"),
        "{out}"
    );

    // A version one side lacks, a profile neither has, a file that is not there: what and where.
    let (code, _, err) = ferry_run(
        home.path(),
        &["diff", "web@1.1.0", "--from", "dst", "--to", "src"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot read web@1.1.0 from src"), "{err}");
    assert!(err.contains("versions that exist: 1.0.0"), "{err}");
    assert!(
        err.contains("hint: `ferry profiles list --env src`"),
        "{err}"
    );
    let (code, _, err) = ferry_run(
        home.path(),
        &["diff", "nope", "--from", "src", "--to", "dst"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot read nope from src"), "{err}");
    let (code, _, err) = ferry_run(
        home.path(),
        &["diff", "web", "--from", "dst", "--to", "dst"],
    )
    .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("name the same environment"), "{err}");
    let (code, _, err) = ferry_run(home.path(), &["diff", "nope", "--to", "dst"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot read nope") && err.contains("hint:") && err.contains("--from"),
        "{err}"
    );
}
