//! What running a step as a plugin costs, measured side by side in one run (ratios, not absolute
//! times, are what to compare across machines):
//!
//! 1. the built-in masker through wasmtime (fresh store + instantiate + call, as every step runs)
//!    vs. the same masking code called natively, on `tests/fixtures/ml-ops-export.json`;
//! 2. where the plugin's time goes: the runtime's floor (a plugin that imports nothing and does
//!    nothing, `tests/plugins/floor`), the masker's fixed cost (a 58-byte document) and its work on
//!    the fixture, each against the native time;
//! 3. a step from a cold start: compile + instantiate + call vs. load the compiled component from
//!    ferry's cache + instantiate + call.
//!
//! The fixture's packs have no schema-marked passwords, so the benchmark marks every key named
//! like a password, secret or token as `${password}`: the masker then does real work. The fixture
//! as exported is measured twice: in fresh memory slots, and after those masking calls (a slot
//! keeps resetting every page a call ever wrote in it).
//!
//! Each figure is a median over interleaved rounds, and each ratio the median of per-round ratios:
//! both sides of a comparison see the same moment of a noisy machine.
//!
//! Run: `cargo bench -p ferry --bench plugin_overhead`

use std::path::Path;
use std::time::{Duration, Instant};

use ferry::runtime::Runtime;
use ferry::runtime::bindings::types;
use ferry::runtime::catalog;
use ferry::runtime::policy::Policy;
use ferry_plugin_api::{document::Profile, mask, values};

/// The smallest document a masker accepts: a call's cost with (almost) nothing to read.
const TINY: &str = r#"{"metadata":{"name":"x"},"spec":{"template":{"packs":[]}}}"#;

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Runs `f` `n` times and returns the median time of one run.
fn time(n: usize, mut f: impl FnMut()) -> Duration {
    let samples: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    median(&samples)
}

/// Rounds of a few runs of each case in turn, so that cases compared with each other share the
/// machine's noise of the moment. Returns each case's median run time per round.
fn interleaved<const N: usize>(mut cases: [&mut dyn FnMut(); N]) -> [Vec<Duration>; N] {
    const ROUNDS: usize = 15;
    const RUNS: usize = 15;
    let mut out: [Vec<Duration>; N] = std::array::from_fn(|_| Vec::with_capacity(ROUNDS));
    for _ in 0..ROUNDS {
        for (case, times) in cases.iter_mut().zip(&mut out) {
            times.push(time(RUNS, case));
        }
    }
    out
}

/// One line of figures: the median time of `case`, and its ratio to `base` when there is one.
fn report(label: &str, case: &[Duration], base: Option<&[Duration]>, note: &str) {
    let ratio = base.map_or(String::new(), |base| {
        format!("   = {:.2}x native", ratio(case, base))
    });
    println!(
        "{:<44}{:>10.1?}{ratio}{note}",
        format!("{label}:"),
        median(case)
    );
}

/// `case / base`, taken round by round (each against the same moment's noise), then the median.
fn ratio(case: &[Duration], base: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = case
        .iter()
        .zip(base)
        .map(|(c, b)| c.as_secs_f64() / b.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn sdk_packs(document: &str) -> Vec<ferry_plugin_api::types::PackMeta> {
    let profile = Profile::parse(document).unwrap();
    profile
        .spec
        .template
        .packs
        .iter()
        .map(|pack| {
            let scalars = values::scalars(pack.values.as_deref().unwrap_or("")).unwrap();
            let schema = scalars
                .iter()
                .filter(|s| {
                    let last = s
                        .dotted()
                        .rsplit('.')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    ["password", "secret", "token"]
                        .iter()
                        .any(|w| last.contains(w))
                })
                .map(|s| {
                    ferry_plugin_api::schema::parse_field(
                        &s.dotted(),
                        "{{ format \"${password}\" }}",
                    )
                })
                .collect();
            ferry_plugin_api::types::PackMeta {
                name: pack.name.clone(),
                tag: pack.tag.clone().unwrap_or_default(),
                schema,
            }
        })
        .collect()
}

fn host_packs(packs: &[ferry_plugin_api::types::PackMeta]) -> Vec<types::PackMeta> {
    packs
        .iter()
        .map(|p| types::PackMeta {
            name: p.name.clone(),
            tag: p.tag.clone(),
            schema: p
                .schema
                .iter()
                .cloned()
                .map(ferry::cli::plugin::to_host_field)
                .collect(),
        })
        .collect()
}

fn main() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/ml-ops-export.json"
    );
    let document = std::fs::read_to_string(fixture).unwrap();
    let cx = types::Context {
        run_id: "bench".into(),
        step: "mask".into(),
        source_env: None,
        target_env: None,
        dry_run: true,
    };

    let home = tempfile::tempdir().unwrap();
    let rt = Runtime::new(home.path(), Policy::default()).unwrap();
    let entry = catalog::builtins()
        .into_iter()
        .find(|e| e.manifest.id == "palette-mask")
        .unwrap();
    let plugin = rt.load(&entry).unwrap();

    // The fixture as it is (its packs' schemas mark no password: the masker checks it and answers
    // "unchanged"), then with every password/secret/token key marked (the masker edits YAML).
    let scenarios = [
        ("fixture as exported", Vec::new()),
        ("secret-like keys marked", sdk_packs(&document)),
    ];

    // `FERRY_BENCH_PROFILE=exported|marked|tiny` loops one case through the plugin, for `perf`.
    if let Ok(case) = std::env::var("FERRY_BENCH_PROFILE") {
        let (doc, sdk) = match case.as_str() {
            "tiny" => (TINY, &scenarios[0].1),
            "marked" => (document.as_str(), &scenarios[1].1),
            "exported" => (document.as_str(), &scenarios[0].1),
            other => panic!("FERRY_BENCH_PROFILE={other}: use exported, marked or tiny"),
        };
        let packs = host_packs(sdk);
        for _ in 0..20_000 {
            std::hint::black_box(plugin.mask(&cx, doc, &packs).unwrap());
        }
        return;
    }

    let [(exported, none), (marked, secrets)] = &scenarios;
    println!("--- {exported}");
    compare(&plugin, &cx, &document, none);
    breakdown(home.path(), &rt, &plugin, &cx, &document);
    println!("--- {marked}");
    compare(&plugin, &cx, &document, secrets);
    // A pooled memory slot zeroes every page a call has ever written, on every reset after: once a
    // call has used more memory, lighter calls in that slot pay for it.
    println!("--- {exported}, again: in memory slots the masking calls above have written");
    compare(&plugin, &cx, &document, none);

    for (name, sdk) in &scenarios {
        cold_and_cached(&rt, &entry, &plugin, &cx, &document, name, &host_packs(sdk));
    }
}

fn compare(
    plugin: &ferry::runtime::Plugin,
    cx: &types::Context,
    document: &str,
    sdk: &[ferry_plugin_api::types::PackMeta],
) {
    let packs = host_packs(sdk);
    let native_out = mask::palette_rules(document, sdk).unwrap();
    let plugin_out = plugin.mask(cx, document, &packs).unwrap();
    assert_eq!(
        native_out.document, plugin_out.document,
        "plugin and native agree"
    );
    println!(
        "document: {} bytes, {} values masked",
        document.len(),
        native_out.masked.len()
    );

    let [native, wasm] = interleaved([
        &mut || {
            std::hint::black_box(mask::palette_rules(document, sdk).unwrap());
        },
        &mut || {
            std::hint::black_box(plugin.mask(cx, document, &packs).unwrap());
        },
    ]);
    let overhead: Vec<Duration> = wasm
        .iter()
        .zip(&native)
        .map(|(w, n)| w.saturating_sub(*n))
        .collect();
    report("mask step, native", &native, None, "");
    report(
        "mask step, plugin (store+instantiate+call)",
        &wasm,
        Some(&native),
        " (target < 2x)",
    );
    report("  overhead, plugin - native", &overhead, Some(&native), "");
}

/// Splits the plugin's time on the fixture as exported into what any call costs, what the
/// masker's call costs before it reads a byte, and the masker's work on the document.
fn breakdown(
    home: &Path,
    rt: &Runtime,
    plugin: &ferry::runtime::Plugin,
    cx: &types::Context,
    document: &str,
) {
    let floor = floor_plugin(home, rt);
    let [native, masker_doc, masker_tiny, floor_doc, floor_tiny] = interleaved([
        &mut || {
            std::hint::black_box(mask::palette_rules(document, &[]).unwrap());
        },
        &mut || {
            std::hint::black_box(plugin.mask(cx, document, &[]).unwrap());
        },
        &mut || {
            std::hint::black_box(plugin.mask(cx, TINY, &[]).unwrap());
        },
        &mut || {
            std::hint::black_box(floor.mask(cx, document, &[]).unwrap());
        },
        &mut || {
            std::hint::black_box(floor.mask(cx, TINY, &[]).unwrap());
        },
    ]);
    // The guest's own work on the document: the masker's time beyond its fixed cost, less the
    // copy of the document into the guest (the floor's difference between the two documents).
    let guest: Vec<Duration> = (0..native.len())
        .map(|r| {
            let copy = floor_doc[r].saturating_sub(floor_tiny[r]);
            masker_doc[r]
                .saturating_sub(masker_tiny[r])
                .saturating_sub(copy)
        })
        .collect();
    let best: Vec<Duration> = (0..native.len()).map(|r| floor_doc[r] + guest[r]).collect();
    let n = TINY.len();
    println!("--- where the plugin's time goes (fixture as exported)");
    report("native skim of the document", &native, None, "");
    report(
        &format!("runtime floor, {n}-byte document"),
        &floor_tiny,
        None,
        "   a plugin that imports nothing and does nothing (tests/plugins/floor)",
    );
    report(
        "runtime floor, the document",
        &floor_doc,
        Some(&native),
        ": the same, plus copying the document in",
    );
    report(
        &format!("masker, {n}-byte document"),
        &masker_tiny,
        None,
        "   its fixed cost (std: WASI imports, 3 core instances)",
    );
    report("masker, the document", &masker_doc, Some(&native), "");
    report(
        "  of which the guest's own work",
        &guest,
        Some(&native),
        " (copy excluded)",
    );
    report(
        "  floor + the guest's own work",
        &best,
        Some(&native),
        ": the least this masker could cost",
    );
}

/// `tests/plugins/floor`, installed into the runtime's home from where host/build.rs built it.
fn floor_plugin(home: &Path, rt: &Runtime) -> ferry::runtime::Plugin {
    let staging = tempfile::tempdir().unwrap();
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/plugins/floor");
    std::fs::copy(
        format!("{fixture}/ferry-plugin.toml"),
        staging.path().join("ferry-plugin.toml"),
    )
    .unwrap();
    std::fs::copy(
        format!("{}/ferry_plugin_floor.wasm", env!("FERRY_PLUGIN_WASM_DIR")),
        staging.path().join("ferry_plugin_floor.wasm"),
    )
    .unwrap();
    let entry = catalog::install(home, &staging.path().join("ferry-plugin.toml")).unwrap();
    rt.load(&entry).unwrap()
}

fn cold_and_cached(
    rt: &Runtime,
    entry: &catalog::Entry,
    plugin: &ferry::runtime::Plugin,
    cx: &types::Context,
    document: &str,
    scenario: &str,
    packs: &[types::PackMeta],
) {
    println!("--- whole step, cold vs cached ({scenario})");

    let wasm_bytes = entry.wasm().unwrap();
    let cold = time(10, || {
        let component = wasmtime::component::Component::new(rt.engine(), &wasm_bytes[..]).unwrap();
        std::hint::black_box(component);
        std::hint::black_box(plugin.mask(cx, document, packs).unwrap());
    });
    // The cached step, and its two halves.
    let [cached, load, call] = interleaved([
        &mut || {
            let p = rt.load(entry).unwrap();
            assert_eq!(p.outcome, ferry::runtime::cache::Outcome::Cached);
            std::hint::black_box(p.mask(cx, document, packs).unwrap());
        },
        &mut || {
            std::hint::black_box(rt.load(entry).unwrap());
        },
        &mut || {
            std::hint::black_box(plugin.mask(cx, document, packs).unwrap());
        },
    ]);
    let (cached, load, call) = (median(&cached), median(&load), median(&call));
    println!("step from cold, compile + call:         {cold:>10.1?}");
    println!(
        "step from cache, load + link + call:    {cached:>10.1?}   ratio compile/cached = {:.1}x (target: cached < 1 ms)",
        cold.as_secs_f64() / cached.as_secs_f64()
    );
    println!("  of which load + link from the cache:  {load:>10.1?}");
    println!("  of which the call (plugin loaded):    {call:>10.1?}");
}
