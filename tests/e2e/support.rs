//! What every end-to-end test needs: the binary, a fresh home, the shared fixtures.

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

/// `../shared` beside the repository, when it is there (CI has it; the product never needs it).
pub fn shared_dir() -> Option<PathBuf> {
    let dir = repo_root().parent()?.join("shared");
    dir.is_dir().then_some(dir)
}
