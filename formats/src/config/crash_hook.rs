//! Test hook: abort the process at a named step, to prove that a crash there leaves a readable home.
//!
//! `FERRY_TEST_CRASH_AFTER=<step>` makes ferry abort (SIGABRT, no cleanup, no unwinding) right after
//! that step. The steps are `rotate:unlocked`, `rotate:resealed`, `write:temp-synced` and
//! `write:renamed`. It is compiled into every build because the end-to-end tests drive the real
//! binary; all it can do is stop the process early, which a user's `kill -9` can do too.

/// The variable the end-to-end tests set.
pub const CRASH_AFTER_ENV: &str = "FERRY_TEST_CRASH_AFTER";

/// Aborts the process if the test hook names `step`.
pub fn crash_point(step: &str) {
    if std::env::var_os(CRASH_AFTER_ENV).is_some_and(|v| v == step) {
        eprintln!("ferry: {CRASH_AFTER_ENV}={step}: aborting here (test hook)");
        std::process::abort();
    }
}
