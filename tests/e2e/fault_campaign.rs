//! The fault campaign: bulk migrations into a target that fails one request in five (5xx, 429
//! bursts, latency spikes, dropped connections, answers lost after the work was done), ferry
//! SIGKILLed at random points and resumed until it is done, and a target sandbox killed and
//! restarted mid-run. Afterwards every profile is in the target exactly once, as sent, and the
//! journal and the config still open.
//!
//! Seeded: each test prints its seed on stderr (shown when it fails); `FERRY_FAULT_SEED=N cargo
//! test --test e2e fault_campaign` replays the same faults and kill times (where a kill lands in
//! the run still depends on the machine's speed). Bounded by counts; each ferry run has a generous
//! time limit that fails the test as a hang, never a speed threshold.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferry_sandbox::{FaultConfig, FaultCounts, RateLimits, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

use crate::bulk_support::{
    Background, assert_each_once_as_sent, assert_journal_whole, assert_same_by_diff, journal_left,
    seeded_source,
};
use crate::sandbox_cli::serve_on;
use crate::sandbox_support::{Api, Sandbox};
use crate::steps::{ferry_in, login, login_with_key};

/// The mix, about one request in five: 5xx, 429s (in bursts of 4), connections dropped before any
/// work, answers lost after the work was done, latency spikes of 400 ms; about 4% of requests
/// each. The kinds never overlap (see `ferry_sandbox::faults`): each rate is of the requests the
/// kinds before it left, hence 4.5% for 4%.
fn mix(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        error_rate: 0.045,
        error_statuses: vec![500, 502, 503, 504],
        burst_rate: 0.0115,
        burst_len: 4,
        drop_rate: 0.045,
        lost_rate: 0.045,
        slow_rate: 0.045,
        slow_ms: 400,
        ..FaultConfig::default()
    }
}

/// `ferry sandbox serve`'s flags for `faults`.
fn fault_flags(f: &FaultConfig) -> Vec<String> {
    let statuses: Vec<String> = f.error_statuses.iter().map(u16::to_string).collect();
    [
        ("--fault-seed", f.seed.to_string()),
        ("--fault-error-rate", f.error_rate.to_string()),
        ("--fault-error-status", statuses.join(",")),
        ("--fault-burst-rate", f.burst_rate.to_string()),
        ("--fault-burst-len", f.burst_len.to_string()),
        ("--fault-drop-rate", f.drop_rate.to_string()),
        ("--fault-lost-rate", f.lost_rate.to_string()),
        ("--fault-slow-rate", f.slow_rate.to_string()),
        ("--fault-slow-ms", f.slow_ms.to_string()),
    ]
    .into_iter()
    .flat_map(|(flag, value)| [flag.to_string(), value])
    .collect()
}

/// `FERRY_FAULT_SEED`, else a fresh one; printed either way.
fn campaign_seed(test: &str) -> StdRng {
    let seed = match std::env::var("FERRY_FAULT_SEED") {
        Ok(text) => text.parse().expect("FERRY_FAULT_SEED is a number"),
        Err(_) => rand::random(),
    };
    eprintln!("{test}: seed {seed} (replay: FERRY_FAULT_SEED={seed})");
    StdRng::seed_from_u64(seed)
}

/// The target as its own process, `ferry sandbox serve` on `listen` with its data in `home`:
/// SIGKILLed when dropped.
struct Target(std::process::Child);

impl Target {
    fn start(home: &Path, listen: &str, flags: &[&str]) -> (Target, Value) {
        let (child, ready) = serve_on(home, listen, flags);
        (Target(child), ready)
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A time limit on one ferry run that only a hang reaches.
const HANG: Duration = Duration::from_secs(600);

/// `ferry migrate --all --resume` from `src` to `to`, journaled at `journal`.
fn migrate(home: &Path, to: &str, journal: &Path, limits: &str) -> Command {
    let mut cmd = ferry_in(home);
    cmd.args([
        "migrate",
        "--from",
        "src",
        "--to",
        to,
        "--all",
        "--resume",
        "--journal",
        journal.to_str().unwrap(),
        "--create-macros",
        "--concurrency",
        "4",
        "--rate-limit",
        limits,
    ]);
    cmd
}

/// Resumes the run until it ends with nothing failed (a profile whose every attempt met faults
/// fails for that run, and `--resume` tries it again); at most `runs` runs.
async fn resume_to_the_end(
    home: &Path,
    to: &str,
    journal: &Path,
    limits: &str,
    runs: usize,
) -> usize {
    let mut last = String::new();
    for run in 1..=runs {
        let mut cmd = migrate(home, to, journal, limits);
        cmd.args(["--output", "json"]);
        let (code, out, err) = Background::spawn(cmd)
            .wait(HANG, &format!("migrate to {to}"))
            .await;
        assert_journal_whole(journal);
        let summary: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
        if code == 0 && summary["failed"] == 0 && summary["notAttempted"] == 0 {
            return run;
        }
        // Only a profile that failed (exit 5) or an interrupted run (the target went away) is
        // worth another run; anything else is a finding.
        assert!(
            code == 5 || summary.is_null(),
            "run {run} to {to} ended {code}:\n{out}\n{err}"
        );
        eprintln!("{to}: run {run} ended {code}, resuming");
        last = err;
    }
    panic!("the migration to {to} was not done after {runs} runs; the last said:\n{last}");
}

/// After the run: the journal reads and has nothing left to do, and the config still unlocks.
async fn assert_journal_and_config_open(home: &Path, to: &str, journal: &Path, n: usize) {
    let (code, _, err) = Background::spawn(migrate(home, to, journal, "off"))
        .wait(HANG, "the last resume")
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!("0 to move, {n} done before")),
        "{err}"
    );
    let mut cmd = ferry_in(home);
    cmd.args(["env", "list"]);
    let (code, out, err) = Background::spawn(cmd).wait(HANG, "env list").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(to), "{out}");
}

/// Profiles the journal has as done (0 before it has a plan).
fn done(journal: &Path, n: usize) -> usize {
    match journal_left(journal) {
        i64::MAX => 0,
        left => n - left as usize,
    }
}

/// Waits until the journal has `due` profiles done: false if `run` ended first. A run that makes
/// no progress for [`HANG`] fails the test.
async fn until_done(journal: &Path, n: usize, due: usize, run: &mut Background) -> bool {
    let deadline = tokio::time::Instant::now() + HANG;
    while done(journal, n) < due {
        if run.ended() {
            return false;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no progress to {due} profiles in {HANG:?}:\n{}",
            run.stderr()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    true
}

/// Names of `count` profiles of `0..n`, drawn from `rng`: the ones `ferry diff` compares.
fn sample(rng: &mut StdRng, n: usize, count: usize) -> Vec<String> {
    (0..count)
        .map(|_| format!("bulk-{:04}", rng.gen_range(0..n)))
        .collect()
}

fn add(sum: &mut FaultCounts, c: FaultCounts) {
    sum.requests += c.requests;
    sum.errors += c.errors;
    sum.throttled += c.throttled;
    sum.dropped += c.dropped;
    sum.lost += c.lost;
    sum.slowed += c.slowed;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_campaign_kills_and_faults_leave_every_profile_once_as_sent() {
    const ROUNDS: usize = 5;
    const KILLS: usize = 10;
    const N: usize = 80;
    // Slow enough that a kill made a few profiles before the end always lands mid-run: each
    // profile needs 2 general requests of the target.
    const LIMITS: &str = "general=20/5,profiles=50/10";
    let mut rng = campaign_seed("fault campaign");
    let home = tempfile::tempdir().unwrap();
    let source = seeded_source(N).await;
    login(home.path(), "src", &source, Role::Admin).await;
    let mut injected = FaultCounts::default();
    for round in 0..ROUNDS {
        let target =
            Sandbox::start_with(|c| c.rate_limits = RateLimits::parse(LIMITS).unwrap()).await;
        let to = format!("dst{round}");
        login(home.path(), &to, &target, Role::Admin).await;
        target.running.set_faults(mix(rng.r#gen())).unwrap();
        let journal = home.path().join(format!("{to}.journal"));
        let started = std::time::Instant::now();

        for kill in 0..KILLS {
            let mut run = Background::spawn(migrate(home.path(), &to, &journal, LIMITS));
            if kill == 0 {
                // Anywhere in its start: planning, the first profiles.
                tokio::time::sleep(Duration::from_millis(rng.gen_range(50..1500))).await;
            } else {
                // A few profiles further each time, then wherever the other workers are.
                let due = kill * N / (KILLS + 2) + rng.gen_range(0..3);
                assert!(
                    until_done(&journal, N, due, &mut run).await,
                    "round {round}: the run ended before {due} profiles were done:\n{}",
                    run.stderr()
                );
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..200))).await;
            }
            assert!(
                !run.ended(),
                "round {round}, kill {kill}: the run ended before the kill:\n{}",
                run.stderr()
            );
            run.kill();
            assert_journal_whole(&journal);
        }
        let (left, killed) = (N - done(&journal, N), started.elapsed());
        let runs = resume_to_the_end(home.path(), &to, &journal, LIMITS, 5).await;
        let (moved, counts) = (started.elapsed(), target.running.fault_counts());
        add(&mut injected, counts);

        target.running.set_faults(FaultConfig::default()).unwrap();
        assert_each_once_as_sent(&target.admin(), N).await;
        assert_same_by_diff(home.path(), "src", &to, &sample(&mut rng, N, 8)).await;
        assert_journal_and_config_open(home.path(), &to, &journal, N).await;
        // For whoever reads a failure, and the CI budget: where the round's time went.
        eprintln!(
            "round {round}: {KILLS} kills left {left} profile(s) to move; {runs} run(s) of --resume then; \
             {:.1} s killing, {:.1} s to the end, {:.1} s checking; faults {counts:?}",
            killed.as_secs_f64(),
            (moved - killed).as_secs_f64(),
            (started.elapsed() - moved).as_secs_f64(),
        );
    }

    // Each kind was injected, and together they were about one request in five.
    let faulty =
        injected.errors + injected.throttled + injected.dropped + injected.lost + injected.slowed;
    eprintln!(
        "{} kills; the targets injected {injected:?}: {faulty} of {} requests",
        ROUNDS * KILLS,
        injected.requests
    );
    for (kind, n) in [
        ("5xx", injected.errors),
        ("429", injected.throttled),
        ("dropped connection", injected.dropped),
        ("lost answer", injected.lost),
        ("latency spike", injected.slowed),
    ] {
        assert!(n > 0, "no {kind} was injected: {injected:?}");
    }
    let share = faulty as f64 / injected.requests as f64;
    assert!(
        (0.12..0.28).contains(&share),
        "{share:.3} of requests met a fault"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_campaign_a_target_killed_and_restarted_mid_run_loses_nothing() {
    const N: usize = 80;
    const LIMITS: &str = "general=40/10,profiles=100/20";
    const RESTARTS: usize = 3;
    let mut rng = campaign_seed("sandbox restarts");
    let home = tempfile::tempdir().unwrap();
    // The target's own home: its SQLite file lives there, kept across restarts.
    let sandbox_home = tempfile::tempdir().unwrap();
    let source = seeded_source(N).await;
    login(home.path(), "src", &source, Role::Admin).await;
    let mut serve = fault_flags(&mix(rng.r#gen()));
    serve.extend(["--rate-limit".into(), LIMITS.into()]);
    let serve: Vec<&str> = serve.iter().map(String::as_str).collect();
    let (mut sandbox, ready) = Target::start(
        sandbox_home.path(),
        "127.0.0.1:0",
        &[&serve[..], &["--print-keys"]].concat(),
    );
    let url = ready["url"].as_str().unwrap().to_string();
    let listen = url.trim_start_matches("http://").to_string();
    let key = ready["tenants"][0]["keys"][0]["key"]
        .as_str()
        .unwrap()
        .to_string();
    login_with_key(home.path(), "dst", &url, &key).await;
    let journal = home.path().join("dst.journal");

    let mut run = Background::spawn(migrate(home.path(), "dst", &journal, LIMITS));
    for restart in 1..=RESTARTS {
        // Killed once a share of the profiles is done: mid-run, whatever the machine's speed.
        let due = N * restart / (RESTARTS + 1);
        while !until_done(&journal, N, due, &mut run).await {
            // It gave up while the target was away: resumed, as a user would.
            let (code, _, err) = run.wait(HANG, "the migration").await;
            eprintln!("the run ended {code} after a restart, resuming:\n{err}");
            run = Background::spawn(migrate(home.path(), "dst", &journal, LIMITS));
        }
        drop(sandbox);
        tokio::time::sleep(Duration::from_millis(rng.gen_range(100..1500))).await;
        sandbox = Target::start(sandbox_home.path(), &listen, &serve).0;
    }
    let (code, _, err) = run.wait(HANG, "the migration through restarts").await;
    eprintln!(
        "the run through {RESTARTS} restarts ended {code}: {}",
        err.lines()
            .rfind(|l| l.starts_with("migrate "))
            .unwrap_or("")
    );
    if code != 0 {
        let runs = resume_to_the_end(home.path(), "dst", &journal, LIMITS, 5).await;
        eprintln!("{runs} run(s) of --resume then");
    }

    // Once more, without faults, to read what it holds.
    drop(sandbox);
    let _sandbox = Target::start(sandbox_home.path(), &listen, &["--rate-limit", "off"]);
    assert_each_once_as_sent(&Api::new(&url, Some(key)), N).await;
    assert_same_by_diff(home.path(), "src", "dst", &sample(&mut rng, N, 8)).await;
    assert_journal_and_config_open(home.path(), "dst", &journal, N).await;
}
