//! The same masker written in Rust, Python and JavaScript (each the `ferry plugin new --step mask`
//! template, built by `ferry plugin build`), measured side by side in one run:
//!
//! 1. the first call in a new process with an empty cache: compile + instantiate + call;
//! 2. the first call in a new process with the compiled cache warm: load + instantiate + call;
//! 3. a call once loaded, on `tests/fixtures/ml-ops-export.json`, interleaved rounds across the
//!    three languages and the built-in `palette-mask`, so all see the same moment of the machine.
//!
//! Needs the toolchains (`bash .ci/toolchains`, or on PATH) and network for the Rust template's
//! crates. Run: `cargo bench --bench plugin_langs`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ferry::runtime::bindings::types;
use ferry::runtime::catalog::{self, Entry};
use ferry::runtime::policy::Policy;
use ferry::runtime::{Plugin, Runtime};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ferry() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ferry"))
}

/// PATH with the toolchains `.ci/toolchains` installs in front.
fn toolchain_path() -> String {
    let root = std::env::var_os("FERRY_TOOLCHAINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/ferry/toolchains")
        });
    let mut dirs = vec![root.join("py/bin"), root.join("js/node_modules/.bin")];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap().into_string().unwrap()
}

/// Scaffolds and builds the masker in `lang`; returns its manifest's path.
fn build(work: &Path, lang: &str) -> PathBuf {
    let id = format!("bench-{lang}");
    let dir = work.join(&id);
    let ok = ferry()
        .args([
            "plugin", "new", &id, "--step", "mask", "--lang", lang, "--dir",
        ])
        .arg(&dir)
        .status()
        .unwrap()
        .success();
    assert!(ok, "plugin new {lang}");
    let ok = ferry()
        .env("PATH", toolchain_path())
        .args(["plugin", "build"])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "plugin build {lang}");
    dir.join("ferry-plugin.toml")
}

fn context() -> types::Context {
    types::Context {
        run_id: "bench".into(),
        step: "mask".into(),
        source_env: None,
        target_env: None,
        dry_run: true,
    }
}

/// A new process's first call: a fresh runtime on `home`, load, one call.
fn first_call(
    home: &Path,
    entry: &Entry,
    document: &str,
) -> (Duration, ferry::runtime::cache::Outcome) {
    let started = Instant::now();
    let rt = Runtime::new(home, Policy::default()).unwrap();
    let plugin = rt.load(entry).unwrap();
    plugin.mask(&context(), document, &[]).unwrap();
    (started.elapsed(), plugin.outcome)
}

fn main() {
    let document = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/ml-ops-export.json"
    ))
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let langs = ["rust", "python", "js"];
    let manifests: Vec<PathBuf> = langs.iter().map(|l| build(work.path(), l)).collect();

    println!("--- first call in a new process: cold (compiles) vs cached");
    println!(
        "{:<8} {:>8} {:>12} {:>12}",
        "masker", "wasm", "cold", "cached"
    );
    let mut entries = Vec::new();
    for (lang, manifest) in langs.iter().zip(&manifests) {
        let entry = catalog::stage(work.path(), manifest)
            .unwrap()
            .commit()
            .unwrap();
        let cold: Vec<Duration> = (0..2)
            .map(|_| {
                let home = tempfile::tempdir().unwrap();
                let (t, outcome) = first_call(home.path(), &entry, &document);
                assert_eq!(outcome, ferry::runtime::cache::Outcome::Compiled);
                t
            })
            .collect();
        let home = tempfile::tempdir().unwrap();
        first_call(home.path(), &entry, &document);
        let cached: Vec<Duration> = (0..7)
            .map(|_| {
                let (t, outcome) = first_call(home.path(), &entry, &document);
                assert_eq!(outcome, ferry::runtime::cache::Outcome::Cached);
                t
            })
            .collect();
        let size = entry.wasm().unwrap().len() as f64 / (1024.0 * 1024.0);
        println!(
            "{lang:<8} {size:>6.1}MB {:>12.1?} {:>12.1?}",
            median(cold),
            median(cached)
        );
        entries.push((lang.to_string(), entry));
    }
    entries.push((
        "palette-mask (built-in)".into(),
        catalog::builtins()
            .into_iter()
            .find(|e| e.manifest.id == "palette-mask")
            .unwrap(),
    ));

    println!(
        "--- a call once loaded (ml-ops export, {} KB), interleaved rounds",
        document.len() / 1024
    );
    let rt = Runtime::new(work.path(), Policy::default()).unwrap();
    let plugins: Vec<(String, Plugin)> = entries
        .iter()
        .map(|(name, e)| (name.clone(), rt.load(e).unwrap()))
        .collect();
    let cx = context();
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); plugins.len()];
    for _ in 0..15 {
        for ((_, plugin), times) in plugins.iter().zip(&mut samples) {
            let mut round: Vec<Duration> = (0..5)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(plugin.mask(&cx, &document, &[]).unwrap());
                    t.elapsed()
                })
                .collect();
            round.sort();
            times.push(round[2]);
        }
    }
    let rust = median(samples[0].clone());
    for ((name, _), times) in plugins.iter().zip(samples) {
        let m = median(times);
        println!(
            "{name:<24} {m:>10.2?}   = {:.2}x the Rust template",
            m.as_secs_f64() / rust.as_secs_f64()
        );
    }
}
