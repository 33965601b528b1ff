//! What running a step as a plugin costs, measured side by side in one run (ratios, not absolute
//! times, are what to compare across machines):
//!
//! 1. the built-in masker through wasmtime (fresh store + instantiate + call, as every step runs)
//!    vs. the same masking code called natively, on `tests/fixtures/ml-ops-export.json`;
//! 2. a step from a cold start: compile + instantiate + call vs. load the compiled component from
//!    ferry's cache + instantiate + call.
//!
//! The fixture's packs have no schema-marked passwords, so the benchmark marks every key named
//! like a password, secret or token as `${password}`: the masker then does real work.
//!
//! Run: `cargo bench -p ferry --bench plugin_overhead`

use std::time::{Duration, Instant};

use ferry::runtime::Runtime;
use ferry::runtime::bindings::types;
use ferry::runtime::catalog;
use ferry::runtime::policy::Policy;
use ferry_plugin_api::{document::Profile, mask, values};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `f` `n` times and returns the median time of one run.
fn time(n: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
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
    let tiny = r#"{"metadata":{"name":"x"},"spec":{"template":{"packs":[]}}}"#;

    // `FERRY_BENCH_PROFILE=exported|marked|tiny` loops one case through the plugin, for `perf`.
    if let Ok(case) = std::env::var("FERRY_BENCH_PROFILE") {
        let (doc, sdk) = match case.as_str() {
            "tiny" => (tiny, &scenarios[0].1),
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

    for (name, sdk) in &scenarios {
        println!("--- {name}");
        compare(&plugin, &cx, &document, sdk);
    }

    // The cost of a call itself: a tiny document.
    let empty = time(200, || {
        std::hint::black_box(plugin.mask(&cx, tiny, &[]).unwrap());
    });
    println!(
        "--- call overhead: store + instantiate + call on a {}-byte document: {empty:.1?}",
        tiny.len()
    );

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

    const N: usize = 200;
    // Interleave rounds so both sides see the same machine noise.
    let (mut native, mut wasm) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        native.push(time(N / 5, || {
            std::hint::black_box(mask::palette_rules(document, sdk).unwrap());
        }));
        wasm.push(time(N / 5, || {
            std::hint::black_box(plugin.mask(cx, document, &packs).unwrap());
        }));
    }
    let (native, wasm) = (median(native), median(wasm));
    println!("mask step, native:                      {native:>10.1?}");
    println!(
        "mask step, plugin (store+instantiate+call): {wasm:>10.1?}   ratio plugin/native = {:.2}x (target < 2x)",
        wasm.as_secs_f64() / native.as_secs_f64()
    );
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
    // Interleaved like the comparison above: the cached step, and its two halves.
    let (mut cached, mut load, mut call) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        cached.push(time(20, || {
            let p = rt.load(entry).unwrap();
            assert_eq!(p.outcome, ferry::runtime::cache::Outcome::Cached);
            std::hint::black_box(p.mask(cx, document, packs).unwrap());
        }));
        load.push(time(20, || {
            std::hint::black_box(rt.load(entry).unwrap());
        }));
        call.push(time(20, || {
            std::hint::black_box(plugin.mask(cx, document, packs).unwrap());
        }));
    }
    let (cached, load, call) = (median(cached), median(load), median(call));
    println!("step from cold, compile + call:         {cold:>10.1?}");
    println!(
        "step from cache, load + link + call:    {cached:>10.1?}   ratio compile/cached = {:.1}x (target: cached < 1 ms)",
        cold.as_secs_f64() / cached.as_secs_f64()
    );
    println!("  of which load + link from the cache:  {load:>10.1?}");
    println!("  of which the call (plugin loaded):    {call:>10.1?}");
}
