//! Bulk migration as a user runs it: `ferry migrate --all` between two real sandboxes, through
//! Palette's rate limits and injected faults, killed and resumed.
//!
//! The sandboxes' rate limits here are faster than Palette's real ones (which would make 500
//! profiles take minutes of waiting): the same two classes and the same behaviour (429 with
//! `Retry-After`), at a pace that keeps the test within its budget. ferry is told the same limits
//! with `--rate-limit`, as a user would tell it a self-hosted Palette's.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ferry_sandbox::{FaultConfig, RateLimits, Role};
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::bulk_support::{
    assert_each_once_as_sent, assert_journal_whole, get_patiently, journal_left, names,
    seeded_source,
};
use crate::sandbox_support::Sandbox;
use crate::steps::{ferry_in, login, run};

/// The limits both sides keep to in these tests: Palette's classes, a faster pace.
const LIMITS: &str = "general=100/20,profiles=250/100";

fn limits() -> RateLimits {
    RateLimits::parse(LIMITS).unwrap().unwrap()
}

/// About one request in ten meets a fault: 5xx, the start of a burst of 429s, or a dropped
/// connection.
fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        error_rate: 0.05,
        error_statuses: vec![500, 502, 503],
        latency_ms: (0, 2),
        burst_rate: 0.01,
        burst_len: 3,
        drop_rate: 0.04,
        ..FaultConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_profiles_arrive_once_through_rate_limits_and_faults() {
    const N: usize = 500;
    let home = tempfile::tempdir().unwrap();
    let source = seeded_source(N).await;
    let target = Sandbox::start_with(|c| c.rate_limits = Some(limits())).await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    source.running.set_faults(faults(11)).unwrap();
    target.running.set_faults(faults(12)).unwrap();

    let mut cmd = ferry_in(home.path());
    cmd.args([
        "migrate",
        "--from",
        "src",
        "--to",
        "dst",
        "--all",
        "--concurrency",
        "8",
        "--create-macros",
        "--rate-limit",
        LIMITS,
        "--output",
        "json",
    ]);
    let (code, out, err) = run(cmd, "").await;
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    let arrived = summary["moved"].as_u64().unwrap() + summary["alreadyThere"].as_u64().unwrap();
    assert_eq!(arrived, N as u64, "{err}");
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["profiles"].as_array().unwrap().len(), N);
    // The 429 bursts were seen, and held the classes back.
    let dst = &summary["requests"]["dst"];
    let throttled = &dst["throttled"];
    assert!(
        throttled["general"].as_u64().unwrap() + throttled["clusterprofiles"].as_u64().unwrap() > 0,
        "{dst}"
    );
    assert!(
        dst["heldSeconds"]["general"].as_f64().unwrap() > 0.0,
        "{dst}"
    );
    // Plain lines, one per profile, when stderr is not a terminal.
    assert_eq!(
        err.matches("] moved").count() + err.matches("] already-there").count(),
        N,
        "{err}"
    );

    target.running.set_faults(FaultConfig::default()).unwrap();
    assert_each_once_as_sent(&target.admin(), N).await;
    // The macro the profiles share was created once.
    let macros = get_patiently(&target.admin(), "/v1/clusterprofiles/macros").await;
    let region: Vec<&Value> = macros["macros"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["name"] == "region")
        .collect();
    assert_eq!(region.len(), 1, "{macros}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_and_resumed_every_profile_arrives_once() {
    // Enough that each of the 20 kills lands in the middle of the run.
    const N: usize = 200;
    let home = tempfile::tempdir().unwrap();
    let source = seeded_source(N).await;
    // Slow enough that the 20 kills cannot let the run finish, however fast the machine: each
    // profile needs 2 general requests (400 in all) and a round lasts at most 1.5 s, so 20 rounds
    // get through at most 20 x (1.5 s x 10/s + a burst of 2) = 340 of them.
    let slow = "general=10/2,profiles=20/4";
    let target = Sandbox::start_with(|c| c.rate_limits = RateLimits::parse(slow).unwrap()).await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    let journal = home.path().join("move.journal");
    let args = |cmd: &mut Command| {
        cmd.args([
            "migrate",
            "--from",
            "src",
            "--to",
            "dst",
            "--all",
            "--resume",
            "--journal",
            journal.to_str().unwrap(),
            "--create-macros",
            "--concurrency",
            "4",
            "--rate-limit",
            slow,
        ]);
    };

    // Once deterministically where it matters most: the import landed, the journal has not heard.
    let mut cmd = ferry_in(home.path());
    args(&mut cmd);
    cmd.env("FERRY_TEST_CRASH_AFTER", "bulk:imported");
    let (code, _, err) = run(cmd, "").await;
    assert_ne!(code, 0, "the hook should have stopped it: {err}");
    assert_journal_whole(&journal);

    // Then at random points (seeded, so a failure can be replayed).
    let mut rng = rand::rngs::StdRng::seed_from_u64(20);
    let mut interrupted = 0;
    for round in 0..20 {
        let wait = Duration::from_millis(rng.gen_range(200..1500));
        let mut cmd = ferry_in(home.path());
        args(&mut cmd);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(wait).await;
        // SIGKILL: no cleanup, no unwinding.
        child.kill().unwrap();
        child.wait().unwrap();
        if journal_left(&journal) > 0 {
            interrupted += 1;
        }
        let there = names(&target.admin()).await;
        for (name, uids) in &there {
            assert_eq!(
                uids.len(),
                1,
                "round {round}: {name} is there {} times",
                uids.len()
            );
        }
    }

    eprintln!(
        "after 20 kills: {} of {N} profile(s) left",
        journal_left(&journal)
    );
    assert!(
        interrupted >= 15,
        "only {interrupted} of 20 kills landed before the run's end"
    );

    // The last run ends it.
    let mut cmd = ferry_in(home.path());
    args(&mut cmd);
    cmd.args(["--output", "json"]);
    let (code, out, err) = run(cmd, "").await;
    assert_eq!(code, 0, "{err}");
    let summary: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["failed"], 0, "{out}");
    let states: Vec<&str> = summary["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert!(states.iter().all(|s| *s == "verified"), "{states:?}");
    // The crash after the import was reconciled by looking the profile up, not by importing again.
    assert!(summary["alreadyThere"].as_u64().unwrap() >= 1, "{out}");
    assert_each_once_as_sent(&target.admin(), N).await;
    // The config still opens: ferry unlocks it and lists the environments.
    let mut cmd = ferry_in(home.path());
    cmd.args(["env", "list"]);
    let (code, out, err) = run(cmd, "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("dst"), "{out}");
}

/// One `ferry migrate --all` run to completion: its summary, wall time and peak memory (the
/// child's maximum resident set, from `wait4`).
fn measured_run(home: &Path, extra: &[&str]) -> (Value, Duration, u64) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = ferry_in(home);
    cmd.args([
        "migrate",
        "--from",
        "src",
        "--to",
        "dst",
        "--all",
        "--create-macros",
        "--output",
        "json",
    ])
    .args(extra)
    .stdin(Stdio::null())
    .stdout(out.reopen().unwrap())
    .stderr(Stdio::null());
    let start = std::time::Instant::now();
    // Reaped by wait4 below, which also reports its peak memory.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().unwrap();
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for the child just spawned.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(pid, child.id() as i32);
    let text = std::fs::read_to_string(out.path()).unwrap();
    let summary: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(summary["failed"], 0, "{text}");
    (summary, wall, usage.ru_maxrss as u64)
}

/// Seconds the target's rate limit needs for the requests the run sent it: per class, the
/// requests past the first burst at the allowed rate; the slower class sets the floor.
fn floor(summary: &Value, limits: &RateLimits) -> f64 {
    let sent = &summary["requests"]["dst"];
    let class = |n: &Value, b: ferry_sandbox::Bucket| {
        (n.as_u64().unwrap() as f64 - f64::from(b.burst)).max(0.0) / b.per_second
    };
    class(&sent["general"], limits.general).max(class(&sent["clusterprofiles"], limits.profiles))
}

/// The figures of docs/BENCHMARKS.md, "Bulk migration": `cargo test --release --test e2e
/// bench_bulk -- --ignored --nocapture` (FERRY_BENCH_PROFILES sets the count, 500 by default).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: minutes at Palette's real rate limits"]
async fn bench_bulk_migration() {
    let n: usize = std::env::var("FERRY_BENCH_PROFILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let palette = RateLimits::palette();
    let mut memory = Vec::new();
    // The same faults less the 429 bursts: what the bursts' holds cost, by difference.
    let no_bursts = FaultConfig {
        burst_rate: 0.0,
        ..faults(7)
    };
    for (what, count, fault, concurrency) in [
        ("clean", n / 5, None, "8"),
        ("clean", n, None, "8"),
        ("10% faults", n, Some(faults(7)), "8"),
        ("9% faults, no 429 bursts", n, Some(no_bursts), "8"),
        // More workers to keep one class busy while the other is held.
        ("10% faults, --concurrency 16", n, Some(faults(7)), "16"),
    ] {
        let home = tempfile::tempdir().unwrap();
        let source = seeded_source(count).await;
        let target = Sandbox::start_with(|c| c.rate_limits = Some(palette)).await;
        login(home.path(), "src", &source, Role::Admin).await;
        login(home.path(), "dst", &target, Role::Admin).await;
        if let Some(f) = &fault {
            source.running.set_faults(f.clone()).unwrap();
            target.running.set_faults(f.clone()).unwrap();
        }
        let home_path = home.path().to_path_buf();
        let (summary, wall, rss_kib) = tokio::task::spawn_blocking(move || {
            measured_run(&home_path, &["--concurrency", concurrency])
        })
        .await
        .unwrap();
        let floor = floor(&summary, &palette);
        let dst = &summary["requests"]["dst"];
        println!(
            "{count} profiles, {what}: {:.1} s; target sent {} general + {} clusterprofiles requests; floor {floor:.1} s; ratio {:.2}; peak RSS {} MiB",
            wall.as_secs_f64(),
            dst["general"],
            dst["clusterprofiles"],
            wall.as_secs_f64() / floor,
            rss_kib / 1024
        );
        for side in ["src", "dst"] {
            let s = &summary["requests"][side];
            println!(
                "  {side}: 429s {} general, {} clusterprofiles; held back {:.1} s general, {:.1} s clusterprofiles",
                s["throttled"]["general"],
                s["throttled"]["clusterprofiles"],
                s["heldSeconds"]["general"].as_f64().unwrap_or_default(),
                s["heldSeconds"]["clusterprofiles"]
                    .as_f64()
                    .unwrap_or_default()
            );
        }
        memory.push((count, rss_kib));
        target.running.set_faults(FaultConfig::default()).unwrap();
    }
    let (small, large) = (memory[0], memory[1]);
    println!(
        "peak RSS {} MiB at {} profiles, {} MiB at {}: ratio {:.2} for {}x the profiles",
        small.1 / 1024,
        small.0,
        large.1 / 1024,
        large.0,
        large.1 as f64 / small.1 as f64,
        large.0 / small.0.max(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_that_fails_is_reported_and_skipped_and_the_retry_takes_only_it() {
    let home = tempfile::tempdir().unwrap();
    let source = seeded_source(3).await;
    // ML Ops uses a macro of its own, zone: it fails, so zone must not be created.
    let admin = source.admin();
    let tenant = source.running.tenant("acme").unwrap().uid.clone();
    admin
        .post(
            &format!("/v1/tenants/{tenant}/macros"),
            &json!({"macros": [{"name": "zone", "value": "eu-west-1a"}]}),
        )
        .await
        .expect(204);
    let mut ml_ops = crate::sandbox_support::ml_ops();
    let values = ml_ops["spec"]["template"]["packs"][0]["values"]
        .as_str()
        .unwrap()
        .to_string();
    ml_ops["spec"]["template"]["packs"][0]["values"] =
        json!(format!("{values}\nzone: '{{{{.spectro.macro.zone}}}}'\n"));
    admin.import(&ml_ops).await;
    // The target lacks a pack ML Ops needs: that one fails validation, the others move.
    let (target, _seed) = crate::steps::sandbox_without("istio-1.6.2").await;
    login(home.path(), "src", &source, Role::Admin).await;
    login(home.path(), "dst", &target, Role::Admin).await;
    let migrate = |extra: &[&str]| {
        let mut cmd = ferry_in(home.path());
        cmd.args([
            "migrate",
            "--from",
            "src",
            "--to",
            "dst",
            "--all",
            "--create-macros",
            "--rate-limit",
            "off",
        ])
        .args(extra);
        run(cmd, "")
    };

    let (code, out, err) = migrate(&["--plan"]).await;
    assert_eq!(code, 0, "{err}");
    // Four profiles, and the two macros they use that the target lacks.
    assert_eq!(out.matches(" create ").count(), 6, "{out}");
    for name in ["region", "zone"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("macro {name} ")) && l.contains(" create ")),
            "{out}"
        );
    }
    assert!(
        names(&target.admin()).await.is_empty(),
        "a plan changes nothing"
    );

    let (code, out, err) = migrate(&[]).await;
    assert_eq!(code, 5, "{err}");
    assert!(out.starts_with("PROFILE"), "{out}");
    assert_eq!(out.matches(" moved ").count(), 3, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("ML Ops@1.0.0 ") && l.contains(" invalid ")),
        "{out}"
    );
    assert!(
        err.contains("failed    ML Ops@1.0.0: validation: pack-missing"),
        "{err}"
    );
    let retry = err
        .lines()
        .find_map(|l| l.strip_prefix("retry     "))
        .unwrap_or_else(|| panic!("no retry command in:\n{err}"));
    assert!(retry.contains("--resume --journal "), "{retry}");
    assert!(retry.contains("--create-macros"), "{retry}");
    assert_eq!(names(&target.admin()).await.len(), 3);
    // Macros are created once a profile that needs them passed validation and approval: region
    // (bulk-0000's) is there, zone (only the invalid ML Ops uses it) is not.
    let macros = get_patiently(&target.admin(), "/v1/clusterprofiles/macros").await;
    let defined: Vec<&str> = macros["macros"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(defined.contains(&"region"), "{macros}");
    assert!(!defined.contains(&"zone"), "{macros}");

    // The same command again asks for --resume rather than start over.
    let (code, _, err) = migrate(&[]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("hint: add --resume"), "{err}");

    // The retry tries only the failed one.
    let (code, _, err) = migrate(&["--resume"]).await;
    assert_eq!(code, 5, "{err}");
    assert!(err.contains("; 1 attempted in"), "{err}");
    let (code, out, _) = migrate(&["--plan"]).await;
    assert_eq!(code, 0);
    assert_eq!(out.matches(" done ").count(), 3, "{out}");
    assert_eq!(names(&target.admin()).await.len(), 3);
}
