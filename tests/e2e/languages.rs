//! Plugins in Python and JavaScript, as their authors make them: `ferry plugin new`, the
//! project's own test, `ferry plugin build` with the real toolchains, `ferry plugin install`, then
//! a masker in the policy masking `ferry export` of a sandbox's profile, and a validator that
//! imports palette-api and http (both toolchains import their whole world) loading and running
//! with no grants.
//!
//! The toolchains come from `bash .ci/toolchains` (or PATH). Missing, these tests fail and say how
//! to install them; `FERRY_SKIP_LANG_TESTS=1` skips them instead, for a machine without them.
//! Each builds two components (10-30 s each) and compiles them at install (20-40 s each).

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_sandbox::Role;
use serde_json::Value;

use crate::sandbox_support::{Sandbox, small_profile};
use crate::steps::{ferry_run, login};
use crate::support::{ferry, run};

const SECRET: &str = "ACME-7f3e9c41d2";

#[derive(Clone, Copy)]
enum Lang {
    Python,
    Js,
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Lang::Python => "componentize-py",
            Lang::Js => "componentize-js",
        }
    }

    /// The project's own test command.
    fn test_command(self) -> Command {
        match self {
            Lang::Python => {
                let mut cmd = Command::new("python3");
                cmd.args(["-m", "unittest"]);
                cmd
            }
            Lang::Js => {
                let mut cmd = Command::new("node");
                cmd.arg("--test");
                cmd
            }
        }
    }
}

/// PATH with the toolchains `.ci/toolchains` installs, or None when the developer chose to skip.
fn toolchain_path(lang: Lang) -> Option<String> {
    if std::env::var("FERRY_SKIP_LANG_TESTS").is_ok_and(|v| v == "1") {
        eprintln!("skipped: FERRY_SKIP_LANG_TESTS=1");
        return None;
    }
    let root = std::env::var_os("FERRY_TOOLCHAINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/ferry/toolchains")
        });
    let mut dirs = vec![root.join("py/bin"), root.join("js/node_modules/.bin")];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    assert!(
        dirs.iter().any(|d| d.join(lang.tool()).is_file()),
        "{} is not installed: run `bash .ci/toolchains` (installs componentize-py and componentize-js under {}), or set FERRY_SKIP_LANG_TESTS=1 to skip the Python and JavaScript plugin tests",
        lang.tool(),
        root.display()
    );
    Some(std::env::join_paths(dirs).unwrap().into_string().unwrap())
}

/// `ferry plugin new ID --step STEP --lang LANG`, its own test, build, install: the project folder.
fn scaffold_build_install(home: &Path, work: &Path, path: &str, lang: Lang, id: &str, step: &str) {
    let project = work.join(id);
    let (code, out, err) = run(ferry(home)
        .args([
            "plugin",
            "new",
            id,
            "--step",
            step,
            "--lang",
            lang.name(),
            "--dir",
        ])
        .arg(&project));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ferry plugin build"), "{out}");

    let test = lang.test_command().current_dir(&project).output().unwrap();
    assert!(
        test.status.success(),
        "the {id} project's own test fails:\n{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );

    let (code, _, err) = run(ferry(home)
        .env("PATH", path)
        .args(["plugin", "build"])
        .arg(&project));
    assert_eq!(code, 0, "build {id}: {err}");
    let (code, out, err) = run(ferry(home).args(["plugin", "install"]).arg(&project));
    assert_eq!(code, 0, "install {id}: {err}");
    assert!(out.contains(&format!("installed {id} 0.1.0")), "{out}");
    // Compiled at install (big components say so), so the first run loads it from the cache.
    assert!(
        err.contains(&format!("compiled plugin {id} 0.1.0")),
        "{err}"
    );
}

async fn lang_plugins_end_to_end(lang: Lang) {
    let Some(path) = toolchain_path(lang) else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let masker = format!("acme-{}-mask", lang.name());
    let validator = format!("acme-{}-check", lang.name());
    let (home_p, work_p, path_c, masker_c, validator_c) = (
        home.path().to_path_buf(),
        work.path().to_path_buf(),
        path.clone(),
        masker.clone(),
        validator.clone(),
    );
    // Builds and compiles take tens of seconds: off the runtime the sandbox serves on.
    tokio::task::spawn_blocking(move || {
        scaffold_build_install(&home_p, &work_p, &path_c, lang, &masker_c, "mask");
        scaffold_build_install(&home_p, &work_p, &path_c, lang, &validator_c, "validate");
    })
    .await
    .unwrap();

    // The validator imports palette-api and http and is granted nothing: it loads and runs.
    let doc = work.path().join("loose.json");
    std::fs::write(
        &doc,
        r#"{"metadata":{"name":"w"},"spec":{"template":{"packs":[{"name":"a","version":"latest"}]}}}"#,
    )
    .unwrap();
    let (code, out, err) = run(ferry(home.path())
        .args([
            "plugin",
            "run",
            &validator,
            "--step",
            "validate",
            "--output",
            "json",
            "--document",
        ])
        .arg(&doc));
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let imports =
        run(ferry(home.path()).args(["plugin", "inspect", &validator, "--output", "json"])).1;
    assert!(
        imports.contains("ferry:plugin/palette-api") && imports.contains("ferry:plugin/http"),
        "{imports}"
    );
    assert_eq!(
        report["plugins"][0]["findings"][0]["code"], "acme-unpinned-pack",
        "{report}"
    );

    // A pack that is null: the Python template's logic raises AttributeError, uncaught,
    // and the failure says so (not the runtime's boilerplate); the JavaScript template catches its
    // TypeError and reports it as invalid input.
    std::fs::write(&doc, r#"{"spec":{"template":{"packs":[null]}}}"#).unwrap();
    let (code, out, err) = run(ferry(home.path())
        .args([
            "plugin",
            "run",
            &validator,
            "--step",
            "validate",
            "--output",
            "json",
            "--document",
        ])
        .arg(&doc));
    assert_eq!(code, 1, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let message = report["plugins"][0]["message"].as_str().unwrap();
    match lang {
        Lang::Python => assert!(
            message.contains(
                "crashed: AttributeError: 'NoneType' object has no attribute 'get' (logic.py, line"
            ),
            "{message}"
        ),
        Lang::Js => assert!(
            message.contains("reported an error (invalid-input): not a profile export"),
            "{message}"
        ),
    }
    assert!(
        !message.contains("Python function threw") && !message.contains("mozalloc_abort"),
        "{message}"
    );

    // The masker, named by the policy for the mask step, masks a sandbox profile's export.
    std::fs::write(
        home.path().join("policy.toml"),
        format!("[steps]\nmask = [\"{masker}\"]\n\n[plugins.{masker}]\nconfig = {{ key-words = \"token\" }}\n"),
    )
    .unwrap();
    let source = Sandbox::start().await;
    source
        .admin()
        .import(&small_profile(
            "web",
            &format!("app:\n  acmeToken: {SECRET} # from the vault\n  replicas: 2\n"),
        ))
        .await;
    login(home.path(), "src", &source, Role::ReadOnly).await;
    let out_doc = work.path().join("web.json");
    let bundle = work.path().join("web.secrets");
    let (code, out, err) = ferry_run(
        home.path(),
        &[
            "export",
            "web@1.0.0",
            "--env",
            "src",
            "-o",
            out_doc.to_str().unwrap(),
            "--secrets-out",
            bundle.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}{err}");
    let masked = std::fs::read_to_string(&out_doc).unwrap();
    assert!(!masked.contains(SECRET), "{masked}");
    let exported: Value = serde_json::from_str(&masked).unwrap();
    let values = exported["spec"]["template"]["packs"][0]["values"]
        .as_str()
        .unwrap();
    assert!(
        values.contains("acmeToken: \"********\" # from the vault")
            && values.contains("replicas: 2"),
        "{values}"
    );
    assert!(!std::fs::read_to_string(&bundle).unwrap().contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_plugins_from_scaffold_to_export() {
    lang_plugins_end_to_end(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_plugins_from_scaffold_to_export() {
    lang_plugins_end_to_end(Lang::Js).await;
}
