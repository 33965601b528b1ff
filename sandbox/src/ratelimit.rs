//! Palette's rate limits: token buckets per client IP; over the limit, 429 `TooManyRequests` with
//! `Retry-After`.
//!
//! Two classes, as Palette documents them: `/v1/clusterprofiles*` (50 req/s, burst 250) and everything
//! else (10 req/s, burst 5). A request draws from its class's bucket only.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// One bucket's refill rate and capacity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub per_second: f64,
    pub burst: u32,
}

/// The limits of both classes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub general: Bucket,
    pub profiles: Bucket,
}

impl RateLimits {
    /// Palette's documented limits.
    pub fn palette() -> Self {
        RateLimits {
            general: Bucket {
                per_second: 10.0,
                burst: 5,
            },
            profiles: Bucket {
                per_second: 50.0,
                burst: 250,
            },
        }
    }

    /// Parses `--rate-limit`: `off` (→ `None`), `on`, or `general=R/B,profiles=R/B` (either part may be left
    /// out and keeps Palette's value; R may be fractional, e.g. `0.01/3`).
    pub fn parse(s: &str) -> Result<Option<RateLimits>, String> {
        match s.trim() {
            "off" | "none" => return Ok(None),
            "on" | "palette" | "" => return Ok(Some(RateLimits::palette())),
            _ => {}
        }
        let mut limits = RateLimits::palette();
        for part in s.split(',') {
            let (class, spec) = part.split_once('=').ok_or_else(|| {
                format!("'{part}': expected general=RATE/BURST or profiles=RATE/BURST")
            })?;
            let (rate, burst) = spec
                .split_once('/')
                .ok_or_else(|| format!("'{spec}': expected RATE/BURST, e.g. 10/5"))?;
            let bucket = Bucket {
                per_second: rate
                    .trim()
                    .parse()
                    .ok()
                    .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                    .ok_or_else(|| format!("'{rate}' is not a rate in requests per second"))?,
                burst: burst
                    .trim()
                    .parse()
                    .ok()
                    .filter(|b| *b > 0)
                    .ok_or_else(|| {
                        format!("'{burst}' is not a burst size (a whole number above 0)")
                    })?,
            };
            match class.trim() {
                "general" => limits.general = bucket,
                "profiles" => limits.profiles = bucket,
                other => {
                    return Err(format!(
                        "unknown rate-limit class '{other}' (general or profiles)"
                    ));
                }
            }
        }
        Ok(Some(limits))
    }
}

/// Whether `path` draws from the cluster-profiles bucket (else the general one).
pub fn is_profiles_path(path: &str) -> bool {
    path.starts_with("/v1/clusterprofiles")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Class {
    General,
    Profiles,
}

struct State {
    tokens: f64,
    last: Instant,
}

/// The limiter shared by every request.
pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(IpAddr, Class), State>>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for a request from `ip` to `path`; `Err(seconds)` when the bucket is empty.
    pub fn check(&self, ip: IpAddr, path: &str) -> Result<(), u64> {
        let (class, bucket) = if is_profiles_path(path) {
            (Class::Profiles, self.limits.profiles)
        } else {
            (Class::General, self.limits.general)
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let state = buckets.entry((ip, class)).or_insert(State {
            tokens: f64::from(bucket.burst),
            last: now,
        });
        let elapsed = now.duration_since(state.last).as_secs_f64();
        state.tokens = (state.tokens + elapsed * bucket.per_second).min(f64::from(bucket.burst));
        state.last = now;
        if state.tokens >= 1.0 {
            state.tokens -= 1.0;
            return Ok(());
        }
        let wait = if bucket.per_second > 0.0 {
            (1.0 - state.tokens) / bucket.per_second
        } else {
            3600.0
        };
        Err(wait.ceil().clamp(1.0, 3600.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_flag() {
        assert_eq!(RateLimits::parse("off").unwrap(), None);
        assert_eq!(
            RateLimits::parse("on").unwrap(),
            Some(RateLimits::palette())
        );
        let l = RateLimits::parse("general=0.5/2").unwrap().unwrap();
        assert_eq!(
            l.general,
            Bucket {
                per_second: 0.5,
                burst: 2
            }
        );
        assert_eq!(l.profiles, RateLimits::palette().profiles);
        assert!(RateLimits::parse("general=1").is_err());
        assert!(RateLimits::parse("other=1/1").is_err());
    }

    #[test]
    fn empties_then_refuses_per_class() {
        let limiter = RateLimiter::new(RateLimits {
            general: Bucket {
                per_second: 0.0,
                burst: 2,
            },
            profiles: Bucket {
                per_second: 0.0,
                burst: 1,
            },
        });
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(limiter.check(ip, "/v1/users/info").is_ok());
        assert!(limiter.check(ip, "/v1/users/info").is_ok());
        assert!(limiter.check(ip, "/v1/users/info").is_err());
        assert!(limiter.check(ip, "/v1/clusterprofiles/x").is_ok());
        assert!(limiter.check(ip, "/v1/clusterprofiles/x").is_err());
        assert!(
            limiter
                .check("10.0.0.1".parse().unwrap(), "/v1/users/info")
                .is_ok()
        );
    }
}
