//! `ferry plugin build [DIR]`: builds a project `ferry plugin new` wrote, with its language's
//! toolchain, into the `.wasm` its manifest names. JavaScript is built without `wasi:http` (`-d
//! http fetch-event`): ferry never links it; outbound HTTP goes through `ferry:plugin/http`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context as _;

use super::hints::with_hint;
use super::plugin_new::{Lang, lang_of, world};
use crate::runtime::manifest::Manifest;

/// The versions the scaffolds are written for.
pub const COMPONENTIZE_PY: &str = "0.25.1";
pub const COMPONENTIZE_JS: &str = "0.23.0";

/// Builds the project in `dir`; returns the component's path.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest_path = dir.join("ferry-plugin.toml");
    let text = std::fs::read_to_string(&manifest_path).with_context(|| {
        format!(
            "no ferry-plugin.toml in {}: build a project made by `ferry plugin new`",
            dir.display()
        )
    })?;
    let manifest = Manifest::parse(&text, &manifest_path.display().to_string())?;
    let step = *manifest
        .steps
        .first()
        .context("the manifest lists no step")?;
    let lang = lang_of(dir).with_context(|| {
        format!(
            "cannot tell the language of {}: a project has Cargo.toml (Rust), app.py (Python) or plugin.js (JavaScript)",
            dir.display()
        )
    })?;
    let out = dir.join(&manifest.wasm);
    let out_name = manifest.wasm.as_str();
    let mut cmd = match lang {
        Lang::Rust => {
            let mut cmd = Command::new("cargo");
            // Diagnostics still go to stderr as text; stdout says which files were built.
            cmd.args(["build", "--release", "--target", "wasm32-wasip2"])
                .args(["--message-format", "json-render-diagnostics"]);
            cmd
        }
        Lang::Python => {
            let mut cmd = Command::new(tool(dir, ".venv/bin", "componentize-py").ok_or_else(|| {
                anyhow::anyhow!(
                    "componentize-py is not installed; install it with `python3 -m venv .venv && .venv/bin/pip install componentize-py=={COMPONENTIZE_PY}` in {} (or put it on PATH)",
                    dir.display()
                )
            })?);
            cmd.args([
                "-d",
                "wit",
                "-w",
                world(step),
                "componentize",
                "app",
                "-o",
                out_name,
            ]);
            cmd
        }
        Lang::Js => {
            let mut cmd = Command::new(tool(dir, "node_modules/.bin", "componentize-js").ok_or_else(|| {
                anyhow::anyhow!(
                    "componentize-js is not installed; run `npm install` in {} (package.json names @bytecodealliance/componentize-js@~{COMPONENTIZE_JS}), or put it on PATH",
                    dir.display()
                )
            })?);
            cmd.args(["plugin.js", "--wit", "wit", "--world-name", world(step)])
                .args(["-d", "http", "fetch-event", "-o", out_name]);
            cmd
        }
    };
    eprintln!(
        "building {} ({:?}): {}",
        manifest.id,
        lang,
        match lang {
            Lang::Rust =>
                "cargo, wasm32-wasip2; the first build compiles the SDK and its dependencies (minutes), later ones only this crate",
            Lang::Python => "componentize-py; a Python component takes a minute or so",
            Lang::Js => "componentize-js; a JavaScript component takes half a minute or so",
        }
    );
    cmd.current_dir(dir);
    if lang == Lang::Rust {
        let built = cargo_component(&mut cmd)?;
        std::fs::copy(&built, &out)
            .with_context(|| format!("cannot copy {} to {}", built.display(), out.display()))?;
    } else {
        let status = cmd
            .status()
            .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
        anyhow::ensure!(
            status.success(),
            "the build failed ({status}); its output is above"
        );
    }
    Ok(out)
}

/// Runs cargo and returns the component it reports building: cargo's word rather than a guess at
/// its target folder (CARGO_TARGET_DIR, `build.target-dir` in a config) or the crate's file name.
fn cargo_component(cmd: &mut Command) -> anyhow::Result<PathBuf> {
    let output = cmd.stderr(Stdio::inherit()).output().map_err(|e| {
        with_hint(
            anyhow::anyhow!("cannot run cargo: {e}"),
            "a Rust plugin builds with cargo and its wasm32-wasip2 target: install Rust (https://rustup.rs), then `rustup target add wasm32-wasip2`",
        )
    })?;
    anyhow::ensure!(
        output.status.success(),
        "the build failed ({}); its output is above",
        output.status
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| {
            m["reason"] == "compiler-artifact"
                && m["target"]["kind"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k == "cdylib"))
        })
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
        .ok_or_else(|| {
            with_hint(
                anyhow::anyhow!("cargo built no .wasm component"),
                "the crate needs `crate-type = [\"cdylib\", \"rlib\"]` under [lib], as `ferry plugin new` writes it",
            )
        })
}

/// The project's own copy of a tool (`.venv`, `node_modules`), else the one on PATH.
fn tool(dir: &Path, local: &str, name: &str) -> Option<PathBuf> {
    let own = dir.join(local).join(name);
    if own.is_file() {
        return Some(own);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}
