//! Builds every plugin crate (`plugins/*`, and the test fixtures in `tests/plugins/*`) to a
//! wasm32-wasip2 component in one cargo invocation, then writes `builtins.rs`, which embeds the
//! built-in plugins (`plugins/*`, each with its `ferry-plugin.toml`) in the `ferry` binary. The
//! example organization plugins (`plugins/example-*`) are built but not embedded: an
//! organization installs them, as it would its own.
//!
//! The inner `cargo build` uses its own target folder so it never waits on the outer build's lock.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());

    for watched in [
        "plugins",
        "plugin-api",
        "wit",
        "tests/plugins",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let (examples, builtins): (Vec<PathBuf>, Vec<PathBuf>) = crates_in(&root.join("plugins"))
        .into_iter()
        .partition(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("example-"))
        });
    let fixtures = crates_in(&root.join("tests/plugins"));
    let target_dir = root.join("target").join("plugins");
    build_wasm(
        &root,
        &target_dir,
        builtins.iter().chain(&examples).chain(&fixtures),
    );

    let wasm_dir = target_dir.join("wasm32-wasip2").join("plugin");
    println!(
        "cargo:rustc-env=FERRY_PLUGIN_WASM_DIR={}",
        wasm_dir.display()
    );

    let mut src = String::from(
        "/// Built-in plugins: (manifest text, component bytes).\npub static BUILTINS: &[(&str, &[u8])] = &[\n",
    );
    for dir in &builtins {
        let manifest = dir.join("ferry-plugin.toml");
        let wasm = wasm_dir.join(format!("{}.wasm", lib_name(dir)));
        assert!(
            manifest.is_file(),
            "{} has no ferry-plugin.toml",
            dir.display()
        );
        src.push_str(&format!(
            "    (include_str!({:?}), include_bytes!({:?})),\n",
            manifest.display().to_string(),
            wasm.display().to_string()
        ));
    }
    src.push_str("];\n");
    std::fs::write(out_dir.join("builtins.rs"), src).unwrap();
}

/// Folders below `dir` that hold a Cargo.toml, sorted so the build is reproducible.
fn crates_in(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    found.sort();
    found
}

/// The crate's name as cargo spells its artifact: `ferry-plugin-x` → `ferry_plugin_x`.
fn lib_name(dir: &Path) -> String {
    let toml = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let name = toml
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("name = ")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("{} has no package name", dir.display()));
    name.replace('-', "_")
}

fn build_wasm<'a>(root: &Path, target_dir: &Path, crates: impl Iterator<Item = &'a PathBuf>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--profile",
            "plugin",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    for dir in crates {
        cmd.arg("-p").arg(lib_name(dir).replace('_', "-"));
    }
    // The outer build's settings are for the host target, not for wasm.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("run cargo to build the plugins");
    assert!(
        status.success(),
        "building the plugins for wasm32-wasip2 failed; is the target installed? (rustup target add wasm32-wasip2)"
    );
}
