//! The request rate of one environment, shared by every request ferry sends there: the host's own
//! calls and the plugins' (they go through the same [`Client`](super::Client), and its clones for
//! other scopes share it).
//!
//! Palette limits each client per class of path (`/v1/clusterprofiles*`, and everything else) with a
//! token bucket; the limiter keeps each class to the same rate and burst on ferry's side, so that
//! concurrent work neither trips the limit nor idles below it. It schedules requests in arrival
//! order (GCRA: each request reserves the next slot, so waiters do not stampede when a slot frees).
//! A 429's `Retry-After` holds back the whole class, not only the request that got it: the server
//! said this client is over its limit. Other failures (5xx, dropped connections) back off per
//! request (see [`super::retry`]); every retry draws a slot like any request, so retries never push
//! the rate over the limit.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use ferry_sandbox::ratelimit::is_profiles_path;
pub use ferry_sandbox::{Bucket, RateLimits};

/// The rate limits of one environment, enforced on ferry's side.
#[derive(Debug)]
pub struct Limiter {
    general: Mutex<Class>,
    profiles: Mutex<Class>,
    /// Per class (general, profiles): requests sent so far (retries included), 429s answered,
    /// and microseconds the class's schedule was pushed back by their `Retry-After`.
    sent: [AtomicU64; 2],
    throttled: [AtomicU64; 2],
    held_us: [AtomicU64; 2],
}

/// What one class of an environment saw: how a run's time splits (`ferry migrate`'s summary).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClassCount {
    pub sent: u64,
    /// Answers of 429.
    pub throttled: u64,
    /// How far their `Retry-After` pushed back the class's schedule, in seconds.
    pub held: f64,
}

/// The share of the allowed rate ferry uses: requests that leave evenly spaced can still arrive
/// bunched, and Palette rounds a 429's `Retry-After` up to whole seconds.
const RATE_SHARE: f64 = 0.95;

#[derive(Debug)]
struct Class {
    /// Seconds between two requests at the allowed rate; zero: unlimited.
    interval: Duration,
    /// How far ahead of the steady rate a burst may run.
    tolerance: Duration,
    /// The theoretical arrival time of the next request at the steady rate.
    next: Instant,
}

impl Class {
    fn new(bucket: Option<Bucket>) -> Class {
        let (interval, tolerance) = match bucket {
            Some(b) if b.per_second > 0.0 => {
                let interval = Duration::from_secs_f64(1.0 / (b.per_second * RATE_SHARE));
                // Half the burst: the server's bucket may not be full when the run starts.
                (interval, interval * (b.burst / 2).saturating_sub(1))
            }
            // A zero rate would never send: treated as one request a second.
            Some(b) => (
                Duration::from_secs(1),
                Duration::from_secs(u64::from(b.burst)),
            ),
            None => (Duration::ZERO, Duration::ZERO),
        };
        Class {
            interval,
            tolerance,
            next: Instant::now(),
        }
    }

    /// Reserves the next slot: how long to wait for it.
    fn reserve(&mut self, now: Instant) -> Duration {
        if self.interval.is_zero() {
            return Duration::ZERO;
        }
        let next = self.next.max(now);
        let start = next.checked_sub(self.tolerance).unwrap_or(now).max(now);
        self.next = next + self.interval;
        start - now
    }

    /// Nothing starts before `until`, and no burst right after it. Returns how far that pushed
    /// back the earliest start of the class's next request.
    fn hold(&mut self, until: Instant, now: Instant) -> Duration {
        let earliest =
            |next: Instant, tolerance| next.checked_sub(tolerance).unwrap_or(now).max(now);
        let before = earliest(self.next, self.tolerance);
        self.next = self.next.max(until + self.tolerance);
        earliest(self.next, self.tolerance) - before
    }
}

impl Limiter {
    /// A limiter for `limits`; `None`: no limit (requests still honour `Retry-After`).
    pub fn new(limits: Option<RateLimits>) -> Limiter {
        Limiter {
            general: Mutex::new(Class::new(limits.map(|l| l.general))),
            profiles: Mutex::new(Class::new(limits.map(|l| l.profiles))),
            sent: Default::default(),
            throttled: Default::default(),
            held_us: Default::default(),
        }
    }

    /// What each class saw so far: (general, cluster profiles).
    pub fn counts(&self) -> (ClassCount, ClassCount) {
        let class = |i: usize| ClassCount {
            sent: self.sent[i].load(Ordering::Relaxed),
            throttled: self.throttled[i].load(Ordering::Relaxed),
            held: self.held_us[i].load(Ordering::Relaxed) as f64 / 1e6,
        };
        (class(0), class(1))
    }

    fn class(&self, path: &str) -> std::sync::MutexGuard<'_, Class> {
        let class = if is_profiles_path(path) {
            &self.profiles
        } else {
            &self.general
        };
        class.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot for a request to `path`.
    pub async fn acquire(&self, path: &str) {
        self.sent[usize::from(is_profiles_path(path))].fetch_add(1, Ordering::Relaxed);
        let wait = self.class(path).reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Palette answered 429 to a request to `path`: its class waits `retry_after` (1 s when the
    /// answer did not say).
    pub fn too_many(&self, path: &str, retry_after: Option<Duration>) {
        let wait = retry_after
            .filter(|d| !d.is_zero())
            .unwrap_or(Duration::from_secs(1));
        let now = Instant::now();
        let pushed = self.class(path).hold(now + wait, now);
        let i = usize::from(is_profiles_path(path));
        self.throttled[i].fetch_add(1, Ordering::Relaxed);
        self.held_us[i].fetch_add(pushed.as_micros() as u64, Ordering::Relaxed);
    }
}

/// How many requests to keep in flight for `limits`: enough to use the rate when an answer takes
/// about 100 ms, within what two cores and the plugin pool make useful.
pub fn default_concurrency(limits: Option<RateLimits>) -> usize {
    match limits {
        None => 8,
        Some(l) => {
            let per_second = l.general.per_second + l.profiles.per_second;
            ((per_second / 10.0).ceil() as usize).clamp(2, 16)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(per_second: f64, burst: u32) -> Class {
        Class::new(Some(Bucket { per_second, burst }))
    }

    #[test]
    fn a_burst_goes_at_once_then_the_rate_spaces_requests() {
        // Half the burst of 6 at once, then one per interval.
        let mut c = class(20.0, 6);
        let i = c.interval;
        assert_eq!(i.as_micros(), 52_631, "95% of 20/s");
        let now = Instant::now();
        c.next = now;
        let waits: Vec<Duration> = (0..6).map(|_| c.reserve(now)).collect();
        assert_eq!(
            waits,
            [
                Duration::ZERO,
                Duration::ZERO,
                Duration::ZERO,
                i,
                i * 2,
                i * 3
            ]
        );
    }

    #[test]
    fn retry_after_holds_the_class_back() {
        let mut c = class(10.0, 6);
        let now = Instant::now();
        c.next = now;
        assert_eq!(
            c.hold(now + Duration::from_secs(2), now),
            Duration::from_secs(2)
        );
        // A second 429 within the hold pushes it back no further.
        assert_eq!(c.hold(now + Duration::from_secs(1), now), Duration::ZERO);
        assert_eq!(c.reserve(now), Duration::from_secs(2));
        assert_eq!(c.reserve(now), Duration::from_secs(2) + c.interval);
    }

    #[test]
    fn no_limit_never_waits() {
        let limiter = Limiter::new(None);
        let mut c = limiter.general.lock().unwrap();
        assert!((0..1000).all(|_| c.reserve(Instant::now()).is_zero()));
    }

    #[test]
    fn concurrency_follows_the_rate() {
        assert_eq!(default_concurrency(Some(RateLimits::palette())), 6);
        assert_eq!(default_concurrency(None), 8);
    }
}
