//! The main job's costs, measured on the real binary as a user runs it: one profile migrated from
//! one sandbox to another over loopback, its wall time split into Palette requests, plugin steps
//! and the rest (aim: plugin steps under 5%), and the peak memory of `ferry migrate` (export, mask,
//! validate, import, read back) for profiles of 1, 5 and 10 MB against a small one (aim: under 5x
//! the document).
//!
//! Run: `cargo bench -p ferry --bench migrate [-- time|start|memory]` (release profile). Both sandboxes are `ferry sandbox
//! serve` processes, so their memory is not counted; the time split comes from `ferry -v migrate`'s
//! own report (process-wide counters, `host/src/timing.rs`); everything a process pays besides
//! (start, unlocking credentials, loading the plugins from ferry's cache) is in "the rest".

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const FERRY: &str = env!("CARGO_BIN_EXE_ferry");
const PASSPHRASE: &str = "Bench-passphrase-1";
const ML_OPS: &str = include_str!("../../tests/fixtures/ml-ops-export.json");
const WEB_STACK: &str = include_str!("../demo/web-stack.json");
const ROUNDS: usize = 7;

fn main() {
    // `cargo bench --bench migrate -- memory` (or `time`) runs one part.
    let only: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runs = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    let source = Sandbox::start(&work.path().join("src"), "off");
    seed(&source, &[ML_OPS.into(), WEB_STACK.into()]);
    login(&home, "src", &source);
    let sets = [
        "--set",
        "akuity-agent:charts.akuity-agent.akuityApiKeySecret=ak-live-0123456789",
        "--set",
        "var.admin_pw=sensitive-var-value",
        "--create-macros",
    ];

    if runs("time") {
        println!(
            "--- one profile, sandbox to sandbox over loopback (median of {ROUNDS} rounds, a fresh target each)"
        );
        for (label, profile, extra, limits) in [
            (
                "ML Ops 1.0.0 (66 KB, 3 packs), no rate limit",
                "ML Ops@1.0.0",
                &[][..],
                "off",
            ),
            (
                "web-stack 1.2.0 (secrets), no rate limit",
                "web-stack@1.2.0",
                &sets[..],
                "off",
            ),
            (
                "ML Ops 1.0.0, Palette's rate limits",
                "ML Ops@1.0.0",
                &[][..],
                "on",
            ),
        ] {
            let mut runs = Vec::new();
            for round in 0..=ROUNDS {
                let target = Sandbox::start(
                    &work
                        .path()
                        .join(format!("dst-{label}-{round}").replace(' ', "_")),
                    limits,
                );
                login(&home, "dst", &target);
                let mut args = vec!["-v", "migrate", "--from", "src", "--to", "dst", profile];
                args.extend(extra);
                let run = measure(&home, &args);
                assert!(run.ok, "migrate failed:\n{}", run.stderr);
                if round > 0 {
                    // Round 0 warms ferry's compiled-plugin cache.
                    runs.push(run);
                }
            }
            report_split(label, &mut runs);
        }
    }

    start_part(&work, &home, &runs);
    memory_parts(&work, &home, &runs);
}

/// The whole pipeline started cold (no compiled plugin in ferry's cache: what the first run after
/// installing or upgrading ferry pays) against cached, interleaved; and `ferry validate` of the real
/// fixture against a target, which a user runs on its own before a migration.
fn start_part(work: &tempfile::TempDir, home: &Path, runs: &dyn Fn(&str) -> bool) {
    if !runs("start") {
        return;
    }
    println!(
        "--- ML Ops, the whole pipeline cold (compiled plugins removed) vs cached, and `ferry validate` (median of {ROUNDS})"
    );
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ml-ops-export.json");
    let (mut cold, mut cached, mut validate) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        for from_cold in [true, false] {
            if from_cold {
                let _ = std::fs::remove_dir_all(home.join("cache").join("components"));
            }
            let target = Sandbox::start(
                &work.path().join(format!("start-{round}-{from_cold}")),
                "off",
            );
            login(home, "dst", &target);
            let run = measure(
                home,
                &["migrate", "--from", "src", "--to", "dst", "ML Ops@1.0.0"],
            );
            assert!(run.ok, "migrate failed:\n{}", run.stderr);
            if from_cold { &mut cold } else { &mut cached }.push(run.wall);
            // Against the target it has just arrived in: every check runs, and it reports the
            // name and version taken (exit 3).
            let run = measure(
                home,
                &["validate", fixture.to_str().unwrap(), "--env", "dst"],
            );
            assert_eq!(run.code, Some(3), "validate:\n{}", run.stderr);
            validate.push(run.wall);
        }
    }
    let (cold, cached) = (median(&mut cold), median(&mut cached));
    println!("migrate, cold:   {cold:?} (compiles the five built-in plugins, then caches them)");
    println!("migrate, cached: {cached:?}");
    println!(
        "cold / cached:   {:.2}x",
        cold.as_secs_f64() / cached.as_secs_f64()
    );
    println!(
        "validate ml-ops-export.json (66 KB) against a sandbox: {:?} (process wall, unlock included; every check, one finding)",
        median(&mut validate)
    );
}

fn median(walls: &mut [Duration]) -> Duration {
    walls.sort();
    walls[walls.len() / 2]
}

fn memory_parts(work: &tempfile::TempDir, home: &Path, runs: &dyn Fn(&str) -> bool) {
    if !runs("memory") {
        return;
    }
    for pooling in ["on", "off"] {
        memory_series(
            &work.path().join(format!("mem-pooling-{pooling}")),
            home,
            pooling,
        );
    }
}

/// Peak memory of `ferry migrate` for profiles of growing size, with the instance pool `pooling`.
fn memory_series(dir: &Path, home: &Path, pooling: &str) {
    println!(
        "--- peak memory of `ferry migrate` by profile size (one run each, fresh target; FERRY_POOLING={pooling})"
    );
    let baseline = memory_run(&dir.join("small"), home, 0, pooling);
    println!(
        "small profile ({} KB): peak RSS {:.1} MiB (the process's own: runtime, plugins, client)",
        baseline.doc_bytes / 1024,
        mib(baseline.peak)
    );
    for mb in [1, 5, 10] {
        let run = memory_run(&dir.join(format!("{mb}")), home, mb << 20, pooling);
        let extra = run.peak.saturating_sub(baseline.peak);
        println!(
            "{:>5.1} MB profile: peak RSS {:.1} MiB, {:.1} MiB over the small one = {:.1}x the document{}",
            run.doc_bytes as f64 / (1 << 20) as f64,
            mib(run.peak),
            mib(extra),
            extra as f64 / run.doc_bytes as f64,
            if run.ok {
                String::new()
            } else {
                format!("  FAILED: {}", last_lines(&run.stderr))
            }
        );
    }
}

struct Run {
    ok: bool,
    /// The exit code (`None`: killed by a signal).
    code: Option<i32>,
    wall: Duration,
    peak: u64,
    stderr: String,
}

struct MemoryRun {
    ok: bool,
    peak: u64,
    doc_bytes: usize,
    stderr: String,
}

/// Migrates a generated profile of about `bytes` (0: a small one) into a fresh target.
fn memory_run(dir: &Path, home: &Path, bytes: usize, pooling: &str) -> MemoryRun {
    let source = Sandbox::start(&dir.join("src"), "off");
    let doc = big_profile(bytes);
    seed(&source, std::slice::from_ref(&doc));
    let target = Sandbox::start(&dir.join("dst"), "off");
    login(home, "src", &source);
    login(home, "dst", &target);
    let run = measure_with(
        home,
        &["migrate", "--from", "src", "--to", "dst", "big@1.0.0"],
        &[("FERRY_POOLING", pooling)],
    );
    MemoryRun {
        ok: run.ok,
        peak: run.peak,
        doc_bytes: doc.len(),
        stderr: run.stderr,
    }
}

/// The ML Ops export plus a manifest pack of ConfigMaps (the way CRDs and configuration swell real
/// profiles) to about `bytes`, a few secrets among them.
fn big_profile(bytes: usize) -> String {
    let mut doc: Value = serde_json::from_str(ML_OPS).unwrap();
    doc["metadata"]["name"] = json!("big");
    let mut manifests = Vec::new();
    let mut size = ML_OPS.len();
    let mut i = 0;
    while size < bytes {
        let mut content = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{i}\n  namespace: apps\ndata:\n"
        );
        for k in 0..400 {
            content.push_str(&format!(
                "  setting_{k}: \"value {k} of map {i}, with some text to it\"\n"
            ));
        }
        content.push_str(&format!(
            "---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: creds-{i}\nstringData:\n  password: pw-{i}-Xq7zLm2Rt9\n"
        ));
        size += content.len() + 40;
        manifests.push(json!({"name": format!("settings-{i}"), "content": content}));
        i += 1;
    }
    if !manifests.is_empty() {
        doc["spec"]["template"]["packs"]
            .as_array_mut()
            .unwrap()
            .push(
                json!({"name": "settings", "type": "manifest", "layer": "addon", "version": "1.0.0",
                "values": "", "manifests": manifests}),
            );
    }
    doc.to_string()
}

/// Runs ferry to its end, with its wall time and peak resident memory (from `wait4`).
fn measure(home: &Path, args: &[&str]) -> Run {
    measure_with(home, args, &[])
}

// The child is waited for by `wait`, with `wait4`, which clippy does not see.
#[allow(clippy::zombie_processes)]
fn measure_with(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let started = Instant::now();
    let mut child = ferry(home)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = drain(child.stdout.take().unwrap());
    let err = drain(child.stderr.take().unwrap());
    let (code, peak) = wait(&child);
    let wall = started.elapsed();
    let _ = out.join();
    Run {
        ok: code == Some(0),
        code,
        wall,
        peak,
        stderr: err.join().unwrap(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Waits for `child` with `wait4`: its exit code and its peak RSS (`ru_maxrss`, KiB on Linux).
fn wait(child: &Child) -> (Option<i32>, u64) {
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: `status` and `usage` are valid for writes; `pid` is our own unwaited child.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4 failed");
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss as u64 * 1024)
}

fn ferry(home: &Path) -> Command {
    let mut cmd = Command::new(FERRY);
    cmd.env("FERRY_HOME", home)
        .env("PALETTE_ENCRYPTION_PASSWORD", PASSPHRASE)
        .env_remove("FERRY_LOG");
    cmd
}

/// `ferry sandbox serve` in a process of its own; killed on drop.
struct Sandbox {
    child: Child,
    url: String,
    key: String,
}

impl Sandbox {
    fn start(data: &Path, rate_limit: &str) -> Sandbox {
        let mut child = Command::new(FERRY)
            .args([
                "sandbox",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--print-keys",
            ])
            .args(["--rate-limit", rate_limit, "--data"])
            .arg(data)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let ready: Value = serde_json::from_str(&line).expect("the sandbox's ready line");
        let acme = &ready["tenants"][0];
        let key = acme["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["role"] == "admin")
            .unwrap()["key"]
            .as_str()
            .unwrap()
            .to_string();
        Sandbox {
            child,
            url: ready["url"].as_str().unwrap().to_string(),
            key,
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn login(home: &Path, env: &str, sandbox: &Sandbox) {
    let status = ferry(home)
        .args([
            "login",
            "--env",
            env,
            "--endpoint",
            &sandbox.url,
            "--api-key",
            &sandbox.key,
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "login to {env}");
}

/// Imports `docs` into the sandbox (tenant acme, tenant scope) with the macros they use.
fn seed(sandbox: &Sandbox, docs: &[String]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let info: Value = http
            .get(format!("{}/v1/users/info", sandbox.url))
            .header("ApiKey", &sandbox.key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tenant = info["tenantUid"].as_str().expect("tenantUid");
        let macros = json!({"macros": [{"name": "region", "value": "eu-west-1"}, {"name": "cluster_prefix", "value": "acme"}]});
        let reply = http
            .post(format!("{}/v1/tenants/{tenant}/macros", sandbox.url))
            .header("ApiKey", &sandbox.key)
            .json(&macros)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success(), "macros: {}", reply.status());
        for doc in docs {
            let reply = http
                .post(format!("{}/v1/clusterprofiles/import", sandbox.url))
                .header("ApiKey", &sandbox.key)
                .header("Content-Type", "application/json")
                .body(doc.clone())
                .send()
                .await
                .unwrap();
            let status = reply.status();
            assert!(status.is_success(), "seeding: {status} {}", reply.text().await.unwrap());
        }
    });
}

/// Medians of wall time and of the shares `ferry -v migrate` reports.
fn report_split(label: &str, runs: &mut [Run]) {
    let mut walls: Vec<Duration> = runs.iter().map(|r| r.wall).collect();
    let parsed: Vec<Split> = runs.iter().map(|r| split_of(&r.stderr)).collect();
    let typical = |f: &dyn Fn(&Split) -> f64| {
        let mut v: Vec<f64> = parsed.iter().map(f).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let wall = median(&mut walls).as_secs_f64() * 1e3;
    let migrate = typical(&|p| p.0);
    let palette = typical(&|p| p.1);
    let plugins = typical(&|p| p.2);
    let calls = typical(&|p| p.3);
    let rest = wall - palette - plugins;
    println!("{label}:");
    println!("  process wall {wall:.0} ms (the migration itself {migrate:.0} ms)");
    println!(
        "  Palette requests {palette:.0} ms = {:.1}%",
        100.0 * palette / wall
    );
    println!(
        "  plugin steps     {plugins:.1} ms = {:.2}% ({calls:.0} calls; {:.2}% of the migration itself)",
        100.0 * plugins / wall,
        100.0 * plugins / migrate
    );
    println!(
        "  the rest         {rest:.0} ms = {:.1}% (process start, unlock, plugins from cache, ferry's own work)",
        100.0 * rest / wall
    );
}

/// (migration ms, Palette ms, plugin ms, plugin calls).
type Split = (f64, f64, f64, f64);

/// The split from the `time` line of `ferry -v migrate`.
fn split_of(stderr: &str) -> Split {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("time"))
        .unwrap_or_else(|| panic!("no time line in:\n{stderr}"));
    let numbers: Vec<f64> = line
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter_map(|t| t.parse().ok())
        .collect();
    // "{wall} ms: Palette {ms} ms ({n} requests, {pct}%), plugin steps {ms} ms ({n} calls, {pct}%), ..."
    assert!(numbers.len() >= 7, "unexpected time line: {line}");
    (numbers[0], numbers[1], numbers[4], numbers[5])
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(3)..].join(" | ")
}
