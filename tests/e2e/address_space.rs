//! Plugins where address space is limited (a container or CI runner under `ulimit -v`): the instance
//! pool is sized from what the run needs, and ferry falls back to on-demand allocation when it cannot
//! be reserved (issue 9, item 4).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::run;

fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(path)
}

/// `ferry plugin run palette-mask` on the README's example, under `ulimit -v 4000000` (about 3.8 GiB).
fn mask_example_under_ulimit(home: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -v 4000000 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "plugin",
            "run",
            "palette-mask",
            "--step",
            "mask",
            "--document",
        ])
        .arg(example("web-stack-export.json"))
        .arg("--schema")
        .arg(format!(
            "akuity-agent={}",
            example("schemas/akuity-agent.yaml").display()
        ))
        .env("FERRY_HOME", home)
        .env_remove("FERRY_POOLING")
        .env_remove("FERRY_POLICY")
        .env_remove("FERRY_LOG");
    cmd
}

fn assert_masked(code: i32, out: &str, err: &str) {
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("ok      palette-mask"), "{err}");
    assert!(out.contains("********"), "{out}");
    assert!(!err.contains("mmap failed"), "{err}");
}

#[test]
fn plugins_run_under_a_virtual_memory_limit() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&mut mask_example_under_ulimit(home.path()));
    assert_masked(code, &out, &err);
    let (code, out, err) = run(mask_example_under_ulimit(home.path()).env("FERRY_POOLING", "off"));
    assert_masked(code, &out, &err);
}

#[test]
fn a_pool_too_large_for_the_limit_falls_back_unless_ferry_pooling_is_on() {
    // A policy granting 1 GiB per call asks for a pool of several GiB: more than the limit allows.
    let home = tempfile::tempdir().unwrap();
    let policy = home.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[plugins.palette-mask]\nlimits = { memory-mib = 1024 }\n",
    )
    .unwrap();
    let (code, out, err) = run(mask_example_under_ulimit(home.path()).env("FERRY_POLICY", &policy));
    assert_masked(code, &out, &err);

    let (code, _, err) = run(mask_example_under_ulimit(home.path())
        .env("FERRY_POLICY", &policy)
        .env("FERRY_POOLING", "on"));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with("error: cannot reserve the plugin instance pool (FERRY_POOLING=on)"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
