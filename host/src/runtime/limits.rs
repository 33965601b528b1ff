//! What a plugin call may use. The defaults live here, and only here; a manifest may ask for
//! other values and the organization's policy has the last word.

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
    /// Applies overrides in order: later ones win.
    pub fn with(mut self, overrides: &[&LimitOverrides]) -> Limits {
        for o in overrides {
            self.timeout_ms = o.timeout_ms.unwrap_or(self.timeout_ms);
            self.memory_mib = o.memory_mib.unwrap_or(self.memory_mib);
            self.output_mib = o.output_mib.unwrap_or(self.output_mib);
        }
        self
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
