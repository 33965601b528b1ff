//! Injected faults, for testing how clients cope: errors with chosen status codes, added latency, bursts of
//! 429s, dropped connections, answers lost after the work was done.
//!
//! Every `/v1` request draws its fate from one RNG seeded with [`FaultConfig::seed`], the same number of
//! draws per request for a given configuration, so the same sequence of requests meets the same faults on
//! every run (concurrent requests draw in arrival order). In order: a request inside a 429 burst gets 429;
//! else it may be dropped (`drop_rate`), start a burst of `burst_len` 429s (`burst_rate`), fail with one
//! of `error_statuses` (`error_rate`), have its answer lost (`lost_rate`) or be held `slow_ms` longer
//! (`slow_rate`); so the kinds never overlap and their rates add up. Latency, drawn from `latency_ms`, is
//! added to every request, faulty or not. A dropped connection is a response whose body fails before its
//! first byte: hyper then closes the connection and the client sees a transport error, not an HTTP
//! status. A lost answer is the same, after the request was handled: what it changed stays changed (a
//! load balancer that times out, a connection reset on the way back). [`Faults::counts`] says what
//! was injected.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::errors::ApiError;

/// What to inject. The default injects nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    pub seed: u64,
    /// Probability (0..=1) that a request fails with one of `error_statuses`.
    pub error_rate: f64,
    pub error_statuses: Vec<u16>,
    /// Added latency in milliseconds, drawn uniformly from the inclusive range.
    pub latency_ms: (u64, u64),
    /// Probability that a request starts a burst of 429s.
    pub burst_rate: f64,
    /// Length of a 429 burst, the request that starts it included.
    pub burst_len: u32,
    /// Probability that a request's connection is dropped.
    pub drop_rate: f64,
    /// Probability that a request is handled and its connection then dropped: the client never
    /// hears what it did.
    pub lost_rate: f64,
    /// Probability that a request is held [`FaultConfig::slow_ms`] longer (a latency spike).
    pub slow_rate: f64,
    pub slow_ms: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            seed: 0,
            error_rate: 0.0,
            error_statuses: vec![500, 502, 503],
            latency_ms: (0, 0),
            burst_rate: 0.0,
            burst_len: 5,
            drop_rate: 0.0,
            lost_rate: 0.0,
            slow_rate: 0.0,
            slow_ms: 0,
        }
    }
}

impl FaultConfig {
    /// Checks ranges, so a typo fails at start rather than silently injecting nothing.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("error rate", self.error_rate),
            ("burst rate", self.burst_rate),
            ("drop rate", self.drop_rate),
            ("lost rate", self.lost_rate),
            ("slow rate", self.slow_rate),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("the fault {name} must be between 0 and 1, not {p}"));
            }
        }
        if self.error_rate > 0.0 && self.error_statuses.is_empty() {
            return Err("a fault error rate needs at least one status code".into());
        }
        if let Some(bad) = self
            .error_statuses
            .iter()
            .find(|s| !(400..=599).contains(*s))
        {
            return Err(format!(
                "fault status {bad} is not an error status (400-599)"
            ));
        }
        if self.latency_ms.0 > self.latency_ms.1 {
            return Err("the fault latency range is reversed (MIN-MAX)".into());
        }
        Ok(())
    }

    fn is_active(&self) -> bool {
        self.error_rate > 0.0
            || self.burst_rate > 0.0
            || self.drop_rate > 0.0
            || self.lost_rate > 0.0
            || self.slow_rate > 0.0
            || self.latency_ms.1 > 0
    }
}

/// Parses `--fault-latency-ms`: `MS` or `MIN-MAX`.
pub fn parse_latency(s: &str) -> Result<(u64, u64), String> {
    let num = |t: &str| {
        t.trim()
            .parse::<u64>()
            .map_err(|_| format!("'{t}' is not a number of milliseconds"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok((num(a)?, num(b)?)),
        None => num(s).map(|ms| (ms, ms)),
    }
}

/// Parses `--fault-error-status`: `500,503`.
pub fn parse_statuses(s: &str) -> Result<Vec<u16>, String> {
    s.split(',')
        .map(|t| {
            t.trim()
                .parse::<u16>()
                .map_err(|_| format!("'{t}' is not an HTTP status code"))
        })
        .collect()
}

/// What happens to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Pass,
    Fail(ApiErrorKind),
    Drop,
    /// Handled, then the connection dropped.
    Lose,
}

/// What the injector did since it was (re)configured, request by request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Every `/v1` request that drew a fate.
    pub requests: u64,
    /// Failed with one of `error_statuses`.
    pub errors: u64,
    /// 429s of bursts.
    pub throttled: u64,
    pub dropped: u64,
    pub lost: u64,
    /// Held `slow_ms` longer.
    pub slowed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ApiErrorKind {
    Status(u16),
    TooManyRequests,
}

impl ApiErrorKind {
    pub fn error(self) -> ApiError {
        match self {
            ApiErrorKind::TooManyRequests => ApiError::too_many_requests(1),
            ApiErrorKind::Status(status) => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let code = match status.as_u16() {
                    500 => "InternalError",
                    502 => "BadGateway",
                    503 => "ServiceUnavailable",
                    504 => "GatewayTimeout",
                    429 => "TooManyRequests",
                    _ => "InjectedFault",
                };
                let mut err = ApiError::new(
                    status,
                    code,
                    "fault injected by the sandbox (--fault-error-rate)",
                );
                if status == StatusCode::TOO_MANY_REQUESTS {
                    err.retry_after = Some(1);
                }
                err
            }
        }
    }
}

struct State {
    config: FaultConfig,
    rng: StdRng,
    burst_left: u32,
    counts: FaultCounts,
}

/// The fault injector shared by every request.
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    pub fn new(config: FaultConfig) -> Self {
        let rng = StdRng::seed_from_u64(config.seed);
        Faults {
            state: Mutex::new(State {
                config,
                rng,
                burst_left: 0,
                counts: FaultCounts::default(),
            }),
        }
    }

    /// Replaces the configuration and restarts the sequence from its seed, and the counts from 0.
    pub fn set(&self, config: FaultConfig) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        *state = State {
            rng: StdRng::seed_from_u64(config.seed),
            config,
            burst_left: 0,
            counts: FaultCounts::default(),
        };
    }

    /// What was injected since the configuration was last set.
    pub fn counts(&self) -> FaultCounts {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).counts
    }

    /// Draws the next request's latency and fate.
    pub fn next(&self) -> (Duration, Fate) {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let state = &mut *guard;
        if !state.config.is_active() {
            return (Duration::ZERO, Fate::Pass);
        }
        let (lo, hi) = state.config.latency_ms;
        let latency = state.rng.gen_range(lo..=hi);
        let (drop, burst, error): (f64, f64, f64) =
            (state.rng.r#gen(), state.rng.r#gen(), state.rng.r#gen());
        let statuses = state.config.error_statuses.len().max(1);
        let pick = state.rng.gen_range(0..statuses);
        // Drawn only when configured, so the kinds added later leave the sequences of seeds
        // chosen before them as they were.
        let mut maybe = |rate: f64| if rate > 0.0 { state.rng.r#gen() } else { 1.0 };
        let (lost, slow): (f64, f64) =
            (maybe(state.config.lost_rate), maybe(state.config.slow_rate));
        let config = &state.config;
        let counts = &mut state.counts;
        counts.requests += 1;
        let mut latency = Duration::from_millis(latency);
        let fate = if state.burst_left > 0 {
            state.burst_left -= 1;
            counts.throttled += 1;
            Fate::Fail(ApiErrorKind::TooManyRequests)
        } else if drop < config.drop_rate {
            counts.dropped += 1;
            Fate::Drop
        } else if burst < config.burst_rate {
            state.burst_left = config.burst_len.saturating_sub(1);
            counts.throttled += 1;
            Fate::Fail(ApiErrorKind::TooManyRequests)
        } else if error < config.error_rate {
            counts.errors += 1;
            Fate::Fail(ApiErrorKind::Status(config.error_statuses[pick]))
        } else if lost < config.lost_rate {
            counts.lost += 1;
            Fate::Lose
        } else if slow < config.slow_rate {
            counts.slowed += 1;
            latency += Duration::from_millis(config.slow_ms);
            Fate::Pass
        } else {
            Fate::Pass
        };
        (latency, fate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(config: &FaultConfig, n: usize) -> Vec<Fate> {
        let faults = Faults::new(config.clone());
        (0..n).map(|_| faults.next().1).collect()
    }

    #[test]
    fn same_seed_same_sequence() {
        let config = FaultConfig {
            seed: 7,
            error_rate: 0.3,
            burst_rate: 0.05,
            burst_len: 3,
            drop_rate: 0.1,
            ..FaultConfig::default()
        };
        let a = run(&config, 200);
        assert_eq!(a, run(&config, 200));
        assert_ne!(
            a,
            run(
                &FaultConfig {
                    seed: 8,
                    ..config.clone()
                },
                200
            )
        );
        assert!(a.contains(&Fate::Drop));
        assert!(a.contains(&Fate::Fail(ApiErrorKind::TooManyRequests)));
        assert!(
            a.iter()
                .any(|f| matches!(f, Fate::Fail(ApiErrorKind::Status(500 | 502 | 503))))
        );
        assert!(a.contains(&Fate::Pass));
    }

    #[test]
    fn the_kinds_do_not_overlap_and_are_counted() {
        let config = FaultConfig {
            seed: 3,
            error_rate: 0.05,
            burst_rate: 0.0125,
            burst_len: 4,
            drop_rate: 0.05,
            lost_rate: 0.05,
            slow_rate: 0.05,
            slow_ms: 40,
            ..FaultConfig::default()
        };
        let faults = Faults::new(config.clone());
        let fates: Vec<(Duration, Fate)> = (0..2000).map(|_| faults.next()).collect();
        let counts = faults.counts();
        let count =
            |f: &dyn Fn(&(Duration, Fate)) -> bool| fates.iter().filter(|x| f(x)).count() as u64;
        assert_eq!(counts.requests, 2000);
        assert_eq!(counts.dropped, count(&|(_, f)| *f == Fate::Drop));
        assert_eq!(counts.lost, count(&|(_, f)| *f == Fate::Lose));
        assert_eq!(
            counts.throttled,
            count(&|(_, f)| *f == Fate::Fail(ApiErrorKind::TooManyRequests))
        );
        assert_eq!(
            counts.errors,
            count(&|(_, f)| matches!(f, Fate::Fail(ApiErrorKind::Status(_))))
        );
        // Only a request that otherwise passes is slowed.
        assert_eq!(
            counts.slowed,
            count(&|(d, f)| *f == Fate::Pass && *d == Duration::from_millis(40))
        );
        let faulty =
            counts.errors + counts.throttled + counts.dropped + counts.lost + counts.slowed;
        assert_eq!(faulty, count(&|(d, f)| *f != Fate::Pass || !d.is_zero()));
        for (kind, n) in [
            ("errors", counts.errors),
            ("throttled", counts.throttled),
            ("dropped", counts.dropped),
            ("lost", counts.lost),
            ("slowed", counts.slowed),
        ] {
            assert!(n > 0, "no {kind} in 2000 requests: {counts:?}");
        }
        faults.set(config);
        assert_eq!(faults.counts(), FaultCounts::default());
    }

    #[test]
    fn flags_parse_and_validate() {
        assert_eq!(parse_latency("5-10").unwrap(), (5, 10));
        assert_eq!(parse_latency("7").unwrap(), (7, 7));
        assert_eq!(parse_statuses("500, 503").unwrap(), vec![500, 503]);
        assert!(
            FaultConfig {
                error_rate: 1.5,
                ..FaultConfig::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            FaultConfig {
                lost_rate: -0.1,
                ..FaultConfig::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            FaultConfig {
                slow_rate: 1.01,
                ..FaultConfig::default()
            }
            .validate()
            .is_err()
        );
        assert!(
            FaultConfig {
                error_statuses: vec![200],
                ..FaultConfig::default()
            }
            .validate()
            .is_err()
        );
    }
}
