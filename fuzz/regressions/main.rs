//! Replays every input kept in `fuzz/regressions/<target>/` through the check its fuzz target runs
//! (`fuzz/src/lib.rs`): each one crashed ferry or broke a promise once, and must not again. Part of
//! the root `cargo test` (a test of the host crate, which has every crate the checks need), so no
//! nightly or libFuzzer is needed to run them.

#[path = "../src/lib.rs"]
mod checks;

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn regressions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions")
}

/// Runs `target`'s check on each kept input, failing with the files that failed.
fn replay(target: &str) {
    let (_, check) = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a fuzz target");
    let Ok(entries) = fs::read_dir(regressions().join(target)) else {
        return;
    };
    let mut failed = Vec::new();
    for entry in entries {
        let path = entry.expect("a readable folder").path();
        let data = fs::read(&path).expect("a readable input");
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(path.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target}: failed on {failed:#?}");
}

#[test]
fn every_folder_is_a_fuzz_target() {
    for entry in fs::read_dir(regressions()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(
                checks::TARGETS.iter().any(|(t, _)| *t == name),
                "{name} is not a fuzz target: its inputs would never run"
            );
        }
    }
}

macro_rules! replays {
    ($($target:ident),*) => {$(
        #[test]
        fn $target() {
            replay(stringify!($target));
        }
    )*};
}

replays!(document, values, scan, refs, envelope, config, manifest);
