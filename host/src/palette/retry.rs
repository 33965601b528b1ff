//! How long to wait before trying a request again: exponential backoff with jitter, or what the
//! server asked for in `Retry-After`.

use std::time::{Duration, SystemTime};

use rand::Rng;

/// The retry budget of one request.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 disables retries.
    pub max_attempts: u32,
    /// The backoff ceiling of the first retry; it doubles with each further retry.
    pub base_delay: Duration,
    /// No backoff ceiling grows past this.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out: the request fails and says so.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // 8 attempts over at most ~25 s: outlasts a short 429 burst or a rolling restart, and still
        // fails while the user is watching.
        Self {
            max_attempts: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The backoff before retry number `retry` (1 for the first retry): "equal jitter", half the
    /// ceiling plus a random part of the other half, so clients that failed together spread out
    /// without any of them retrying at once.
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let ceiling = self.base_delay.saturating_mul(1 << exp).min(self.max_delay);
        let half = ceiling / 2;
        let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(rng.gen_range(0..=nanos))
    }

    /// The wait before retry number `retry`: the backoff, or the server's `Retry-After` when that is
    /// longer (never sooner than it asked; a `Retry-After: 0` does not turn off the backoff). `None`
    /// when the server asks for longer than [`RetryPolicy::max_retry_after`].
    pub fn delay(
        &self,
        retry: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        let backoff = self.backoff(retry, rng);
        match retry_after {
            Some(wait) if wait > self.max_retry_after => None,
            Some(wait) => Some(wait.max(backoff)),
            None => Some(backoff),
        }
    }
}

/// Parses a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). A date in the past
/// means "now". Anything else is ignored, as if the header were absent.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(60),
        };
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let first = policy.backoff(1, &mut rng);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let third = policy.backoff(3, &mut rng);
            assert!(
                third >= Duration::from_millis(200) && third <= Duration::from_millis(400),
                "{third:?}"
            );
            let late = policy.backoff(30, &mut rng);
            assert!(
                late >= Duration::from_millis(500) && late <= Duration::from_millis(1000),
                "{late:?}"
            );
        }
    }

    #[test]
    fn jitter_spreads_retries() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        let delays: std::collections::BTreeSet<_> =
            (0..20).map(|_| policy.backoff(2, &mut rng)).collect();
        assert!(
            delays.len() > 10,
            "jitter should vary the delay: {delays:?}"
        );
    }

    #[test]
    fn retry_after_is_a_floor_and_long_waits_give_up() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3)), &mut rng),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(61)), &mut rng),
            None
        );
        assert!(policy.delay(1, None, &mut rng).unwrap() <= policy.base_delay);
    }

    #[test]
    fn parses_retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2026 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("1.5", now), None);
    }
}
