//! `ferry plugin build [DIR]`: builds a project `ferry plugin new` wrote, with its language's
//! toolchain, into the `.wasm` its manifest names. JavaScript is built without `wasi:http` (`-d
//! http fetch-event`): ferry never links it; outbound HTTP goes through `ferry:plugin/http`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context as _;

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
            cmd.args(["build", "--release", "--target", "wasm32-wasip2"]);
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
            Lang::Rust => "cargo, wasm32-wasip2",
            Lang::Python => "componentize-py; a Python component takes a minute or so",
            Lang::Js => "componentize-js; a JavaScript component takes half a minute or so",
        }
    );
    let status = cmd
        .current_dir(dir)
        .status()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    anyhow::ensure!(
        status.success(),
        "the build failed ({status}); its output is above"
    );
    if lang == Lang::Rust {
        let lib = manifest.id.replace('-', "_");
        // cargo's own target folder, wherever CARGO_TARGET_DIR puts it.
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(|t| dir.join(t))
            .unwrap_or_else(|| dir.join("target"));
        let built = target.join(format!("wasm32-wasip2/release/{lib}.wasm"));
        std::fs::copy(&built, &out)
            .with_context(|| format!("cannot copy {} to {}", built.display(), out.display()))?;
    }
    Ok(out)
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
