//! A plugin's manifest (`ferry-plugin.toml`): who it is, which steps it serves, which contract it
//! was built for, what it asks to be allowed to do, and how much it may use.
//!
//! ```toml
//! id = "acme-mask"
//! version = "1.2.0"
//! description = "Masks ACME's internal tokens"
//! contract = "1.1.0"             # optional: ferry reads it from the component; if given, it must agree
//! steps = ["mask"]
//! wasm = "acme_mask.wasm"        # beside the manifest
//! sha256 = "…"                   # optional; recorded by `ferry plugin install`
//! capabilities = ["palette-api:read", "http:https://vault.acme.example"]
//! [limits]                       # optional; may only lower ferry's defaults (the policy decides)
//! timeout-ms = 2000
//! memory-mib = 64
//! output-mib = 16
//! ```

use std::fmt;

use semver::Version;
use serde::{Deserialize, Serialize};

use super::limits::LimitOverrides;

/// The newest contract this host implements (`package ferry:plugin@…` in `wit/ferry-plugin.wit`);
/// it runs plugins built for any earlier minor of the same major too (`runtime::contract`).
pub const HOST_CONTRACT: &str = ferry_plugin_api::CONTRACT_VERSION;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub id: String,
    pub version: Version,
    #[serde(default)]
    pub description: String,
    /// The ferry:plugin version it was built against. The component's exports say it too, and
    /// are what counts; a manifest that gives it lets ferry refuse a plugin before reading it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<Version>,
    pub steps: Vec<Step>,
    pub wasm: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    #[serde(default)]
    pub limits: LimitOverrides,
}

/// The steps of a profile's journey; each has its own world in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Export,
    Mask,
    Validate,
    Approve,
    Import,
}

impl Step {
    pub const ALL: [Step; 5] = [
        Step::Export,
        Step::Mask,
        Step::Validate,
        Step::Approve,
        Step::Import,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Step::Export => "export",
            Step::Mask => "mask",
            Step::Validate => "validate",
            Step::Approve => "approve",
            Step::Import => "import",
        }
    }

    /// The interface a component exports to serve this step (without the version).
    pub fn interface(self) -> &'static str {
        match self {
            Step::Export => "ferry:plugin/exporter",
            Step::Mask => "ferry:plugin/masker",
            Step::Validate => "ferry:plugin/validator",
            Step::Approve => "ferry:plugin/approver",
            Step::Import => "ferry:plugin/importer",
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Step {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Step::ALL
            .into_iter()
            .find(|step| step.name() == s)
            .ok_or_else(|| {
                format!(
                    "unknown step '{s}': expected one of export, mask, validate, approve, import"
                )
            })
    }
}

/// What a plugin may ask for. Everything else is denied: no files, no environment, no sockets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Palette API, the requests export and validate steps need (`runtime::palette_access`).
    PaletteRead,
    /// Palette API, also the import paths, from the import step outside dry runs.
    PaletteWrite,
    /// Outbound HTTP(S) to one origin (`https://host[:port]`).
    Http(String),
}

impl Capability {
    /// Whether it links `ferry:plugin/palette-api` (read or write).
    pub fn is_palette(&self) -> bool {
        matches!(self, Capability::PaletteRead | Capability::PaletteWrite)
    }

    /// Whether it links `ferry:plugin/http`.
    pub fn is_http(&self) -> bool {
        matches!(self, Capability::Http(_))
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capability::PaletteRead => f.write_str("palette-api:read"),
            Capability::PaletteWrite => f.write_str("palette-api:write"),
            Capability::Http(origin) => write!(f, "http:{origin}"),
        }
    }
}

impl std::str::FromStr for Capability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "palette-api:read" => Ok(Capability::PaletteRead),
            "palette-api:write" => Ok(Capability::PaletteWrite),
            _ => match s.strip_prefix("http:") {
                Some(origin) if origin.starts_with("https://") || origin.starts_with("http://") => {
                    // Kept as the URL parser normalizes it: what requests are compared against.
                    crate::origin::origin_of(origin).map(Capability::Http).ok_or_else(|| {
                        format!("capability '{s}' does not name an origin (http:https://host[:port])")
                    })
                }
                _ => Err(format!(
                    "unknown capability '{s}': expected palette-api:read, palette-api:write or http:https://host"
                )),
            },
        }
    }
}

impl Serialize for Capability {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Capability {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Manifest {
    /// Parses and checks a manifest; `origin` names it in errors (a path, or "built-in").
    pub fn parse(text: &str, origin: &str) -> anyhow::Result<Manifest> {
        let manifest: Manifest = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("invalid plugin manifest {origin}: {e}"))?;
        if manifest.id.is_empty()
            || !manifest
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            anyhow::bail!(
                "invalid plugin manifest {origin}: id '{}' must be lowercase letters, digits and '-'",
                manifest.id
            );
        }
        if manifest.steps.is_empty() {
            anyhow::bail!(
                "invalid plugin manifest {origin}: `steps` is empty; name at least one of export, mask, validate, approve, import"
            );
        }
        Ok(manifest)
    }

    /// Whether this host can run a plugin built for the manifest's contract version, if it gives one.
    pub fn check_contract(&self) -> Result<(), String> {
        self.contract.as_ref().map_or(Ok(()), check_contract)
    }

    /// Whether the manifest's contract, if it gives one, is the one the component was built for.
    pub fn check_claim(&self, built_for: &Version) -> Result<(), String> {
        match &self.contract {
            Some(claim) if (claim.major, claim.minor) != (built_for.major, built_for.minor) => {
                Err(format!(
                    "its manifest says contract = \"{claim}\", but the component was built against ferry:plugin@{built_for} (the version of the interfaces it exports); set contract = \"{built_for}\" in ferry-plugin.toml, or leave `contract` out: ferry reads it from the component"
                ))
            }
            _ => Ok(()),
        }
    }
}

/// A plugin built for contract `built_for` runs here when the major versions match and the host's
/// minor is at least the plugin's (a minor version only adds; `runtime::contract` has a module
/// per minor). Before 1.0 every minor breaks.
pub fn check_contract(built_for: &Version) -> Result<(), String> {
    let host = Version::parse(HOST_CONTRACT).expect("the host contract version is valid semver");
    let compatible = built_for.major == host.major
        && if host.major == 0 {
            built_for.minor == host.minor
        } else {
            built_for.minor <= host.minor
        };
    if compatible {
        return Ok(());
    }
    let fix = if (built_for.major, built_for.minor) > (host.major, host.minor) {
        format!(
            "upgrade ferry to a release that supports ferry:plugin@{}.{}, or rebuild the plugin against ferry:plugin@{}.{} (its wit/, or ferry-plugin-api {host})",
            built_for.major, built_for.minor, host.major, host.minor
        )
    } else {
        format!(
            "rebuild the plugin against ferry:plugin@{host} (its wit/, or ferry-plugin-api {host})"
        )
    };
    let runs = if host.major == 0 {
        format!("{}.{}", host.major, host.minor)
    } else {
        format!("{}.0 to {}.{}", host.major, host.major, host.minor)
    };
    Err(format!(
        "it was built for plugin contract ferry:plugin@{built_for}, but this ferry implements ferry:plugin@{host} (it runs plugins built for {runs}); {fix}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn contract_compatibility_follows_semver() {
        assert!(check_contract(&v("1.0.0")).is_ok());
        assert!(check_contract(&v("1.1.0")).is_ok());
        let newer_major = check_contract(&v("2.0.0")).unwrap_err();
        assert!(
            newer_major.contains("ferry:plugin@2.0.0")
                && newer_major.contains("ferry:plugin@1.1.0"),
            "{newer_major}"
        );
        assert!(newer_major.contains("upgrade ferry"), "{newer_major}");
        let newer_minor = check_contract(&v("1.2.0")).unwrap_err();
        assert!(
            newer_minor.contains("upgrade ferry to a release that supports ferry:plugin@1.2")
                && newer_minor.contains("rebuild the plugin against ferry:plugin@1.1"),
            "{newer_minor}"
        );
        assert!(
            check_contract(&v("0.9.0"))
                .unwrap_err()
                .contains("rebuild the plugin")
        );
    }

    #[test]
    fn manifests_are_checked() {
        let ok = "id = \"a-b\"\nversion = \"1.0.0\"\ncontract = \"1.0.0\"\nsteps = [\"mask\"]\nwasm = \"a.wasm\"\ncapabilities = [\"palette-api:read\", \"http:https://vault.example/\"]\n[limits]\ntimeout-ms = 10\n";
        let m = Manifest::parse(ok, "test").unwrap();
        assert!(m.check_claim(&v("1.0.3")).is_ok());
        let drift = m.check_claim(&v("1.1.0")).unwrap_err();
        assert!(drift.contains("set contract = \"1.1.0\""), "{drift}");
        let unsaid = Manifest::parse(&ok.replace("contract = \"1.0.0\"\n", ""), "test").unwrap();
        assert!(unsaid.contract.is_none() && unsaid.check_claim(&v("1.1.0")).is_ok());
        assert_eq!(
            m.capabilities,
            [
                Capability::PaletteRead,
                Capability::Http("https://vault.example".into())
            ]
        );
        assert_eq!(m.limits.timeout_ms, Some(10));
        let bad_cap = ok.replace("palette-api:read", "files:/etc");
        assert!(
            Manifest::parse(&bad_cap, "test")
                .unwrap_err()
                .to_string()
                .contains("unknown capability 'files:/etc'")
        );
        let bad_step = ok.replace("\"mask\"", "\"deploy\"");
        assert!(
            Manifest::parse(&bad_step, "test")
                .unwrap_err()
                .to_string()
                .contains("deploy")
        );
        let bad_id = ok.replace("a-b", "A B");
        assert!(
            Manifest::parse(&bad_id, "test")
                .unwrap_err()
                .to_string()
                .contains("lowercase")
        );
    }
}
