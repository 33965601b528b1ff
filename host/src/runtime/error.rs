//! How a plugin call fails. Every failure names the plugin, its version, the step and the kind,
//! so a report reads on its own; the run goes on to the next plugin rather than panicking.

use std::fmt;

use serde::Serialize;

/// The kinds a caller branches on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FailureKind {
    /// The call ran past its deadline and was interrupted.
    Timeout { limit_ms: u64 },
    /// The plugin tried to grow its memory past the cap.
    OutOfMemory { limit_mib: u64 },
    /// The plugin handed the host more than the output cap in one call (a result, a log line, a
    /// request); it was stopped before the copy.
    OutputTooLarge { limit_mib: u64 },
    /// The plugin crashed (a WebAssembly trap: panic, unreachable, bad memory access).
    Trap { message: String },
    /// The plugin ran and reported an error of its own.
    PluginError { error: String, message: String },
    /// The plugin needs a capability that is not granted.
    CapabilityDenied { capability: String, message: String },
    /// The plugin was built for a contract this ferry does not implement.
    Incompatible { message: String },
    /// The plugin could not be loaded (not a component, wrong exports, unreadable).
    Load { message: String },
    /// The policy does not admit it: a version or digest it is not pinned to, or a signature
    /// missing, broken or by a key the policy does not trust.
    Untrusted { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginFailure {
    pub plugin: String,
    pub version: String,
    pub step: String,
    #[serde(flatten)]
    pub kind: FailureKind,
}

impl FailureKind {
    /// A short stable name for reports and tests.
    pub fn name(&self) -> &'static str {
        match self {
            FailureKind::Timeout { .. } => "timeout",
            FailureKind::OutOfMemory { .. } => "out-of-memory",
            FailureKind::OutputTooLarge { .. } => "output-too-large",
            FailureKind::Trap { .. } => "trap",
            FailureKind::PluginError { .. } => "plugin-error",
            FailureKind::CapabilityDenied { .. } => "capability-denied",
            FailureKind::Incompatible { .. } => "incompatible",
            FailureKind::Load { .. } => "load",
            FailureKind::Untrusted { .. } => "untrusted",
        }
    }
}

impl fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin '{}' {} (step {}): ",
            self.plugin, self.version, self.step
        )?;
        match &self.kind {
            FailureKind::Timeout { limit_ms } => write!(
                f,
                "timed out after {limit_ms} ms and was stopped; if it needs longer, raise limits.timeout-ms for it in the policy"
            ),
            FailureKind::OutOfMemory { limit_mib } => write!(
                f,
                "ran out of memory (cap {limit_mib} MiB) and was stopped; if it needs more, raise limits.memory-mib for it in the policy"
            ),
            FailureKind::OutputTooLarge { limit_mib } => write!(
                f,
                "tried to hand ferry more than its output cap of {limit_mib} MiB and was stopped; raise limits.output-mib for it in the policy if that is expected"
            ),
            FailureKind::Trap { message } => write!(f, "crashed: {message}"),
            FailureKind::PluginError { error, message } => {
                write!(f, "reported an error ({error}): {message}")
            }
            FailureKind::CapabilityDenied { message, .. } => {
                write!(f, "capability denied: {message}")
            }
            FailureKind::Incompatible { message } => write!(f, "incompatible: {message}"),
            FailureKind::Load { message } => write!(f, "cannot be loaded: {message}"),
            FailureKind::Untrusted { message } => write!(f, "refused by the policy: {message}"),
        }
    }
}

impl std::error::Error for PluginFailure {}
