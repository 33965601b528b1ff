//! Plugins in Rust, Python and JavaScript, as their authors make them: `ferry plugin new`, the
//! project's own test, `ferry plugin build` with the real toolchains, `ferry plugin install`, then
//! a masker named by a repository's `ferry.toml` masking `ferry export` of a sandbox's profile, and
//! a validator that loads and runs with no grants (the Python and JavaScript ones import
//! palette-api and http: both toolchains import their whole world). The Rust masker is then
//! signed: refused unsigned under `require-signed`, run once signed by the trusted key.
//!
//! The Python and JavaScript toolchains come from `bash .ci/toolchains` (or PATH). Missing, these
//! tests fail and say how to install them; `FERRY_SKIP_LANG_TESTS=1` skips them instead, for a
//! machine without them. Each builds two components (10-30 s each) and compiles them at install
//! (20-40 s each). Rust needs what builds ferry (cargo, wasm32-wasip2); its projects share one
//! target folder under the workspace's, so the SDK's dependencies are compiled once, not per run.

use std::path::{Path, PathBuf};
use std::process::Command;

use ferry_sandbox::Role;
use serde_json::Value;

use crate::sandbox_support::{Sandbox, small_profile};
use crate::steps::{ferry_in, login};
use crate::support::{ferry, repo_root, run};

const SECRET: &str = "ACME-7f3e9c41d2";

#[derive(Clone, Copy, PartialEq)]
enum Lang {
    Rust,
    Python,
    Js,
}

impl Lang {
    fn name(self) -> &'static str {
        match self {
            Lang::Rust => "rust",
            Lang::Python => "python",
            Lang::Js => "js",
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Lang::Rust => "cargo",
            Lang::Python => "componentize-py",
            Lang::Js => "componentize-js",
        }
    }

    /// Sets what the language's build needs in a command that builds or tests a project.
    fn build_env(self, cmd: &mut Command) -> &mut Command {
        if self == Lang::Rust {
            // Every run's projects share one target folder that outlives them: the SDK and its
            // dependencies are compiled on the first run, only the projects' own crates after.
            cmd.env(
                "CARGO_TARGET_DIR",
                repo_root().join("target/plugin-scaffolds"),
            );
        }
        cmd
    }

    /// The project's own test command.
    fn test_command(self) -> Command {
        match self {
            Lang::Rust => {
                let mut cmd = Command::new("cargo");
                cmd.arg("test");
                cmd
            }
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
/// Rust's is the one that builds ferry.
fn toolchain_path(lang: Lang) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    if lang == Lang::Rust {
        return Some(path.into_string().unwrap());
    }
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
    dirs.extend(std::env::split_paths(&path));
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

    let test = lang
        .build_env(&mut lang.test_command())
        .current_dir(&project)
        .output()
        .unwrap();
    assert!(
        test.status.success(),
        "the {id} project's own test fails:\n{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );

    let (code, _, err) = run(lang
        .build_env(&mut ferry(home))
        .env("PATH", path)
        .args(["plugin", "build"])
        .arg(&project));
    assert_eq!(code, 0, "build {id}: {err}");
    let (code, out, err) = run(ferry(home).args(["plugin", "install"]).arg(&project));
    assert_eq!(code, 0, "install {id}: {err}");
    assert!(out.contains(&format!("installed {id} 0.1.0")), "{out}");
    // Compiled at install (big components say so), so the first run loads it from the cache.
    if lang != Lang::Rust {
        assert!(
            err.contains(&format!("compiled plugin {id} 0.1.0")),
            "{err}"
        );
    }
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

    // The validator is granted nothing: it loads and runs. Python and JavaScript components
    // import their whole world (palette-api and http included); a Rust one only what it calls.
    let doc = work.path().join("loose.json");
    std::fs::write(
        &doc,
        r#"{"metadata":{"name":"w"},"spec":{"template":{"packs":[{"name":"a","version":"latest"}]}}}"#,
    )
    .unwrap();
    let validate = |doc: &Path| {
        run(ferry(home.path())
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
            .arg(doc))
    };
    let (code, out, err) = validate(&doc);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let imports =
        run(ferry(home.path()).args(["plugin", "inspect", &validator, "--output", "json"])).1;
    let whole_world =
        imports.contains("ferry:plugin/palette-api") && imports.contains("ferry:plugin/http");
    assert_eq!(whole_world, lang != Lang::Rust, "{imports}");
    assert_eq!(
        report["plugins"][0]["findings"][0]["code"], "acme-unpinned-pack",
        "{report}"
    );

    // A pack that is null: the Python template's logic raises AttributeError, uncaught,
    // and the failure says so (not the runtime's boilerplate); the JavaScript template catches its
    // TypeError and reports it as invalid input; the Rust one reads it as a pack with no version.
    std::fs::write(&doc, r#"{"spec":{"template":{"packs":[null]}}}"#).unwrap();
    let (code, out, err) = validate(&doc);
    let report: Value = serde_json::from_str(&out).unwrap();
    if lang == Lang::Rust {
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            report["plugins"][0]["findings"][0]["message"], "pack '' has no pinned version",
            "{report}"
        );
    } else {
        assert_eq!(code, 1, "{err}");
        let message = report["plugins"][0]["message"].as_str().unwrap();
        if lang == Lang::Python {
            assert!(
                message.contains(
                    "crashed: AttributeError: 'NoneType' object has no attribute 'get' (logic.py, line"
                ),
                "{message}"
            );
        } else {
            assert!(
                message.contains("reported an error (invalid-input): not a profile export"),
                "{message}"
            );
        }
        assert!(
            !message.contains("Python function threw") && !message.contains("mozalloc_abort"),
            "{message}"
        );
    }

    // The masker, named for the mask step by the ferry.toml of the folder ferry runs in (a
    // repository's own policy), masks a sandbox profile's export.
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    let steps = format!(
        "[steps]\nmask = [\"{masker}\"]\n\n[plugins.{masker}]\nconfig = {{ key-words = \"token\" }}\n"
    );
    std::fs::write(repo.join("ferry.toml"), &steps).unwrap();
    let source = Sandbox::start().await;
    source
        .admin()
        .import(&small_profile(
            "web",
            &format!("app:\n  acmeToken: {SECRET} # from the vault\n  replicas: 2\n"),
        ))
        .await;
    login(home.path(), "src", &source, Role::ReadOnly).await;
    let export = |name: &str| {
        let mut cmd = ferry_in(home.path());
        cmd.current_dir(&repo).args([
            "export",
            "web@1.0.0",
            "--env",
            "src",
            "-o",
            &format!("{name}.json"),
            "--secrets-out",
            &format!("{name}.secrets"),
        ]);
        crate::steps::run(cmd, "")
    };
    let (code, out, err) = export("web").await;
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}{err}");
    assert!(
        err.contains(&format!("{masker}: 1 value(s) masked"))
            && err.contains("/app/acmeToken (acme:key-word)"),
        "{err}"
    );
    let masked = std::fs::read_to_string(repo.join("web.json")).unwrap();
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
    assert!(
        !std::fs::read_to_string(repo.join("web.secrets"))
            .unwrap()
            .contains(SECRET)
    );

    if lang != Lang::Rust {
        return;
    }
    // Signatures, once (they do not depend on the language): the repository requires them and
    // trusts one key. The masker as built is refused, with the key it needs and how to sign;
    // signed by that key and installed again, it masks.
    let keys = work.path().join("keys");
    let (code, out, err) = run(ferry(home.path())
        .args(["plugin", "keygen", "acme-security", "--out"])
        .arg(&keys));
    assert_eq!(code, 0, "{err}");
    let public = std::fs::read_to_string(keys.join("acme-security.pub")).unwrap();
    let trust = format!("[trusted-keys]\nacme-security = \"{}\"", public.trim());
    assert!(out.contains(&trust), "{out}");
    std::fs::write(
        repo.join("ferry.toml"),
        format!("require-signed = true\n{trust}\n\n{steps}"),
    )
    .unwrap();
    let (code, out, err) = export("unsigned").await;
    assert_eq!(code, 1, "{out}");
    assert!(
        err.contains(&format!(
            "plugin '{masker}' 0.1.0 (step mask): refused by the policy: it is not signed"
        )) && err.contains(&format!("'acme-security' ({})", public.trim()))
            && err.contains("ferry plugin sign"),
        "{err}"
    );
    assert!(!repo.join("unsigned.json").exists());

    let project = work.path().join(&masker);
    let (code, _, err) = run(ferry(home.path())
        .args(["plugin", "sign"])
        .arg(project.join("ferry-plugin.toml"))
        .arg("--key")
        .arg(keys.join("acme-security.key")));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(ferry(home.path()).args(["plugin", "install"]).arg(&project));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = export("signed").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("{masker}: 1 value(s) masked")),
        "{err}"
    );
    let signed = std::fs::read_to_string(repo.join("signed.json")).unwrap();
    assert!(
        !signed.contains(SECRET) && signed.contains(r#"acmeToken: \"********\""#),
        "{signed}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_plugins_from_scaffold_to_export() {
    lang_plugins_end_to_end(Lang::Rust).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_plugins_from_scaffold_to_export() {
    lang_plugins_end_to_end(Lang::Python).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_plugins_from_scaffold_to_export() {
    lang_plugins_end_to_end(Lang::Js).await;
}
