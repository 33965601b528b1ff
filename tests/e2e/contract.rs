//! Contract versions as a user meets them: a plugin built against the frozen ferry:plugin@1.0.0
//! runs beside the 1.1.0 built-ins on one host (told what it cannot do where 1.1.0 added a call),
//! and components of a version this ferry does not know are refused with what to do about it.

use std::path::Path;

use ferry::runtime::manifest::HOST_CONTRACT;
use ferry_sandbox::Role;
use serde_json::{Value, json};

use crate::sandbox_support::Sandbox;
use crate::steps::{ferry_run, login};
use crate::support::{ferry, install_fixture, run};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A profile whose pack uses a macro the target lacks and still holds a masked value.
const DOCUMENT: &str = r#"{"metadata":{"name":"web"},"spec":{"version":"1.0.0","template":{"type":"add-on","packs":[
    {"name":"cm","type":"manifest","layer":"addon","values":"region: \"{{.spectro.macro.REGION}}\"\npassword: \"********\"\n",
     "manifests":[{"name":"cm","content":"a: 1"}]}]}}}"#;

fn plugin_json(home: &Path, args: &[&str]) -> Value {
    let (code, out, err) = run(ferry(home).args(args).args(["--output", "json"]));
    assert_eq!(code, 0, "{args:?}: {err}");
    json(&out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_0_plugin_and_the_1_1_built_ins_run_on_one_host() {
    let home = tempfile::tempdir().unwrap();
    // Installed as its author wrote it: the manifest does not say the contract, the component does.
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_contract_1_0",
        "contract-one",
        "steps = [\"validate\"]\n",
    );
    assert_eq!(code, 0, "{err}");
    let list = plugin_json(home.path(), &["plugin", "list"]);
    let contract_of = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .unwrap_or_else(|| panic!("{id} listed: {list:#}"))["contract"]
            .clone()
    };
    assert_eq!(contract_of("contract-one"), "1.0.0");
    assert_eq!(contract_of("palette-validate"), HOST_CONTRACT);
    let inspect = plugin_json(home.path(), &["plugin", "inspect", "contract-one"]);
    assert_eq!(inspect["status"], "ready", "{inspect:#}");
    assert_eq!(inspect["exports"], json!(["ferry:plugin/validator@1.0.0"]));

    // A call 1.1.0 added: the built-in validator answers it, the 1.0.0 plugin is told it cannot.
    let (code, out, err) =
        run(ferry(home.path()).args(["plugin", "explain", "palette-validate", "macro-undefined"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("macro-undefined: ")
            && out.contains("--create-macros --set macro.NAME=VALUE"),
        "{out}"
    );
    let (code, _, err) =
        run(ferry(home.path()).args(["plugin", "explain", "palette-validate", "no-such-code"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("palette-validate does not report 'no-such-code'"),
        "{err}"
    );
    let (code, _, err) =
        run(ferry(home.path()).args(["plugin", "explain", "contract-one", "contract-one"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("explaining finding codes is not available before ferry:plugin@1.1.0, and this plugin was built for 1.0.0")
            && err.contains(&format!("rebuild it against ferry:plugin@{HOST_CONTRACT}")),
        "{err}"
    );

    let dst = Sandbox::start().await;
    login(home.path(), "dst", &dst, Role::ReadOnly).await;
    let doc = home.path().join("web.json");
    std::fs::write(&doc, DOCUMENT).unwrap();
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[steps]\nvalidate = [\"palette-validate\", \"contract-one\"]\n",
    )
    .unwrap();
    let validate = |output: &'static str| {
        let doc = doc.to_str().unwrap().to_string();
        let policy = policy.to_str().unwrap().to_string();
        let home = home.path().to_path_buf();
        async move {
            ferry_run(
                &home,
                &[
                    "validate", &doc, "--env", "dst", "--policy", &policy, "--output", output,
                ],
            )
            .await
        }
    };

    let (code, out, err) = validate("json").await;
    assert_eq!(code, 3, "errors found: {err}");
    let findings = json(&out);
    let by_code = |code: &str| {
        findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("{code} reported: {findings:#}"))
            .clone()
    };
    // The 1.1.0 built-in says how to fix what it found, as arguments a script can append.
    assert_eq!(
        by_code("macro-undefined")["fix"],
        json!(["--create-macros", "--set", "macro.REGION=VALUE"])
    );
    assert_eq!(
        by_code("value-masked")["fix"],
        json!(["--set", "cm:password=VALUE"])
    );
    // The 1.0.0 plugin ran with the same context, and its finding crossed whole, with no fix.
    let one = by_code("contract-one");
    assert_eq!(one["plugin"], "contract-one");
    assert_eq!(
        one["message"],
        "checked for dst by a 1.0.0 plugin: 0 pack(s), 0 schema field(s)"
    );
    assert_eq!(
        (&one["severity"], &one["path"], &one["profile"]),
        (
            &json!("warning"),
            &json!("/metadata/name"),
            &json!("checked")
        )
    );
    assert_eq!(
        one["hint"],
        "nothing to do: this finding says the 1.0.0 plugin ran"
    );
    assert!(one.get("fix").is_none(), "{one:#}");

    // A person reads the fix quoted for a shell.
    let (code, out, err) = validate("table").await;
    assert_eq!(code, 3, "{err}");
    let header = out.lines().next().unwrap_or_default();
    assert!(
        header.contains("HINT") && header.trim_end().ends_with("FIX"),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with("error")
            && l.contains("macro-undefined")
            && l.trim_end()
                .ends_with("--create-macros --set macro.REGION=VALUE")),
        "{out}"
    );
}

#[test]
fn a_component_of_a_contract_this_ferry_does_not_run_is_refused_with_the_fix() {
    let home = tempfile::tempdir().unwrap();
    let host = semver::Version::parse(HOST_CONTRACT).unwrap();
    let installed = || {
        let (_, list, _) = run(ferry(home.path()).args(["plugin", "list"]));
        list
    };

    // A newer minor: its manifest does not say so, its exports do; nothing is compiled or installed.
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_next_minor",
        "next-minor",
        "steps = [\"mask\"]\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "built for plugin contract ferry:plugin@1.2.0, but this ferry implements ferry:plugin@{HOST_CONTRACT} (it runs plugins built for 1.0 to 1.{})",
            host.minor
        )),
        "{err}"
    );
    assert!(
        err.contains("upgrade ferry to a release that supports ferry:plugin@1.2")
            && err.contains(&format!(
                "or rebuild the plugin against ferry:plugin@1.{}",
                host.minor
            )),
        "the message says how to fix it: {err}"
    );
    assert!(!installed().contains("next-minor"));

    // Another major, told by the component alone.
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_future",
        "future",
        "steps = [\"mask\"]\n",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("built for plugin contract ferry:plugin@2.0.0")
            && err.contains("upgrade ferry"),
        "{err}"
    );
    assert!(!installed().contains("future"));

    // A manifest that says another contract than its component: which one to write, or to drop it.
    let (code, _, err) = install_fixture(
        home.path(),
        "ferry_plugin_contract_1_0",
        "contract-one",
        &format!("contract = \"{HOST_CONTRACT}\"\nsteps = [\"validate\"]\n"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "its manifest says contract = \"{HOST_CONTRACT}\", but the component was built against ferry:plugin@1.0.0"
        )) && err.contains("set contract = \"1.0.0\" in ferry-plugin.toml, or leave `contract` out"),
        "{err}"
    );
    assert!(!installed().contains("contract-one"));
}
