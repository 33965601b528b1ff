//! The organization's policy: which plugins run at each step and in which order, their settings,
//! the capabilities granted to them and their limits. One TOML file: `--policy FILE`,
//! `FERRY_POLICY`, or `<ferry home>/policy.toml`; without one, the built-in plugins run alone.
//!
//! ```toml
//! [steps]
//! mask = ["palette-mask", "acme-mask"]
//!
//! [plugins.acme-mask]
//! grants = ["http:https://vault.acme.example"]
//! config = { patterns = "ACME-[0-9]{8}" }
//! limits = { timeout-ms = 2000, memory-mib = 64 }
//! ```
//!
//! Built-in plugins are ferry's own code: they get what their manifest requests unless the
//! policy lists `grants` for them. Installed plugins get only what the policy grants.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::catalog::{Entry, Origin};
use super::limits::{LimitOverrides, Limits};
use super::manifest::{Capability, Manifest, Step};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Plugin ids per step, in the order they run.
    #[serde(default)]
    pub steps: BTreeMap<Step, Vec<String>>,
    #[serde(default)]
    pub plugins: BTreeMap<String, PluginPolicy>,
    /// Where it was read from, for messages.
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginPolicy {
    #[serde(default)]
    pub grants: Option<Vec<Capability>>,
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub limits: LimitOverrides,
}

impl Policy {
    /// Reads the policy from `explicit`, else `FERRY_POLICY`, else `<home>/policy.toml` if present.
    pub fn load(home: &Path, explicit: Option<&Path>) -> anyhow::Result<Policy> {
        let from_env = std::env::var_os("FERRY_POLICY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let path = match explicit.map(Path::to_path_buf).or(from_env) {
            Some(path) => path,
            None => {
                let default = home.join("policy.toml");
                if !default.is_file() {
                    return Ok(Policy::default());
                }
                default
            }
        };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow::anyhow!("cannot read the policy {}: {e}", path.display()))?;
        let mut policy: Policy = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("invalid policy {}: {e}", path.display()))?;
        policy.source = Some(path);
        Ok(policy)
    }

    /// What the plugin may use: what its manifest requests, cut down to what this policy grants.
    /// Built-ins are ferry's own: without a policy entry they get what they request.
    pub fn granted(&self, entry: &Entry) -> Vec<Capability> {
        let requested = &entry.manifest.capabilities;
        match (
            self.plugin(&entry.manifest.id)
                .and_then(|p| p.grants.as_ref()),
            entry.origin,
        ) {
            (Some(grants), _) => requested
                .iter()
                .filter(|c| grants.contains(c))
                .cloned()
                .collect(),
            (None, Origin::BuiltIn) => requested.clone(),
            (None, Origin::Installed) => Vec::new(),
        }
    }

    /// The limits a plugin runs with: the defaults, lowered by what its manifest asks, then this
    /// policy's; and what the manifest asked above the defaults (ignored: only a policy raises).
    pub fn limits(&self, manifest: &Manifest) -> (Limits, Vec<String>) {
        let policy = self
            .plugin(&manifest.id)
            .map(|p| p.limits)
            .unwrap_or_default();
        Limits::default().resolve(&manifest.limits, &policy)
    }

    pub fn plugin(&self, id: &str) -> Option<&PluginPolicy> {
        self.plugins.get(id)
    }

    /// The plugin's settings as the `config` interface hands them out (strings; other TOML values
    /// in their TOML spelling).
    pub fn config_for(&self, id: &str) -> Vec<(String, String)> {
        self.plugin(id)
            .map(|p| {
                p.config
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_string),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
