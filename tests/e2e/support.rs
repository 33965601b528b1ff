//! What every end-to-end test needs: the binary, a fresh home, the plugin components.

use std::path::PathBuf;
use std::process::Command;

/// The `ferry` binary under test, with a fresh `FERRY_HOME` in `home`.
pub fn ferry(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferry"));
    cmd.env("FERRY_HOME", home)
        .env_remove("PALETTE_ENCRYPTION_PASSWORD")
        .env_remove("FERRY_LOG");
    cmd
}

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Where host/build.rs put the plugin components, test fixtures included.
pub fn wasm_dir() -> PathBuf {
    PathBuf::from(env!("FERRY_PLUGIN_WASM_DIR"))
}

/// Runs the command to completion and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("run ferry");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Installs a fixture plugin (a crate in tests/plugins) under `id`, with extra manifest lines.
pub fn install_fixture(
    home: &std::path::Path,
    lib: &str,
    id: &str,
    manifest: &str,
) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        wasm_dir().join(format!("{lib}.wasm")),
        dir.path().join("plugin.wasm"),
    )
    .unwrap();
    let text = format!("id = \"{id}\"\nversion = \"0.1.0\"\nwasm = \"plugin.wasm\"\n{manifest}");
    let path = dir.path().join("ferry-plugin.toml");
    std::fs::write(&path, text).unwrap();
    run(ferry(home).args(["plugin", "install"]).arg(&path))
}
