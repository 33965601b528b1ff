//! What a plugin call may use. The defaults live here, and only here. A plugin's manifest may
//! only lower them (a plugin cannot grant itself more time or memory); the organization's policy
//! sets them either way and has the last word.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Defaults for every call: generous for real work, small enough that a runaway plugin is
/// stopped quickly and cannot take the machine down.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
pub const DEFAULT_MEMORY_MIB: u64 = 256;
pub const DEFAULT_OUTPUT_MIB: u64 = 32;

/// How often the engine's epoch ticks: the granularity of deadlines.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The limits in force for one plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub timeout_ms: u64,
    pub memory_mib: u64,
    pub output_mib: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            memory_mib: DEFAULT_MEMORY_MIB,
            output_mib: DEFAULT_OUTPUT_MIB,
        }
    }
}

/// Values a manifest or a policy sets; unset ones fall through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LimitOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_mib: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_mib: Option<u64>,
}

impl Limits {
    /// The limits for a plugin: these, lowered where its manifest asks for less, then set by the
    /// policy. Returns the manifest's requests that were above these and so ignored, for a warning.
    pub fn resolve(
        self,
        manifest: &LimitOverrides,
        policy: &LimitOverrides,
    ) -> (Limits, Vec<String>) {
        let mut ignored = Vec::new();
        let mut lower = |name: &str, current: u64, asked: Option<u64>| match asked {
            Some(asked) if asked > current => {
                ignored.push(format!("{name} = {asked} (above {current})"));
                current
            }
            Some(asked) => asked,
            None => current,
        };
        let lowered = Limits {
            timeout_ms: lower("timeout-ms", self.timeout_ms, manifest.timeout_ms),
            memory_mib: lower("memory-mib", self.memory_mib, manifest.memory_mib),
            output_mib: lower("output-mib", self.output_mib, manifest.output_mib),
        };
        let limits = Limits {
            timeout_ms: policy.timeout_ms.unwrap_or(lowered.timeout_ms),
            memory_mib: policy.memory_mib.unwrap_or(lowered.memory_mib),
            output_mib: policy.output_mib.unwrap_or(lowered.output_mib),
        };
        (limits, ignored)
    }

    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize).saturating_mul(1 << 20)
    }

    pub fn output_bytes(&self) -> usize {
        (self.output_mib as usize).saturating_mul(1 << 20)
    }

    /// The deadline in epoch ticks (at least one).
    pub fn deadline_ticks(&self) -> u64 {
        (self.timeout_ms / EPOCH_TICK.as_millis() as u64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_only_lowers_and_the_policy_decides() {
        let asks = |t, m| LimitOverrides {
            timeout_ms: Some(t),
            memory_mib: Some(m),
            output_mib: None,
        };
        let none = LimitOverrides::default();
        let (limits, ignored) = Limits::default().resolve(&asks(3_600_000, 4096), &none);
        assert_eq!(limits, Limits::default());
        assert_eq!(ignored.len(), 2, "{ignored:?}");
        let (limits, ignored) = Limits::default().resolve(&asks(500, 32), &none);
        assert_eq!((limits.timeout_ms, limits.memory_mib), (500, 32));
        assert!(ignored.is_empty());
        let (limits, _) = Limits::default().resolve(&asks(500, 4096), &asks(60_000, 1024));
        assert_eq!((limits.timeout_ms, limits.memory_mib), (60_000, 1024));
    }
}
