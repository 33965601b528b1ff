//! Example organization validator: the organization's rules for the packs of a profile.
//!
//! ```toml
//! [plugins.org-rules]
//! config = { registries = "Public Repo; Acme Registry", forbidden = "istio < 1.10; argo-cd >=3.0, <3.26" }
//! ```
//!
//! - `registries`: the only pack registries (by name) a profile may take packs from; a pack
//!   from another one is an error (`org-registry`).
//! - `forbidden`: pack versions that must not be used, as `PACK RANGE` (a semver range); a pack
//!   whose version is in one is an error (`org-forbidden-version`).
//!
//! Entries are separated by `;` or new lines (a range may hold commas). Without either setting the plugin fails:
//! a validator configured wrong must be seen, not pass everything.

use ferry_plugin_api::document::Profile;
use ferry_plugin_api::types::{Context, Finding, PackMeta, PluginError, Subject};
use ferry_plugin_api::{config, export_validator, finding, validator};
use semver::{Version, VersionReq};

struct OrgRules;

/// The rules, from the plugin's config.
pub struct Rules {
    registries: Vec<String>,
    forbidden: Vec<(String, VersionReq)>,
}

fn entries(text: &str) -> impl Iterator<Item = &str> {
    text.split([';', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
}

impl Rules {
    pub fn parse(registries: &str, forbidden: &str) -> Result<Rules, String> {
        let registries: Vec<String> = entries(registries).map(str::to_string).collect();
        let forbidden = entries(forbidden)
            .map(|entry| {
                let (pack, range) = entry.split_once(' ').ok_or_else(|| {
                    format!("forbidden '{entry}': write PACK RANGE, such as \"istio < 1.10\"")
                })?;
                let range = VersionReq::parse(range.trim()).map_err(|e| {
                    format!(
                        "forbidden '{entry}': '{}' is not a semver range: {e}",
                        range.trim()
                    )
                })?;
                Ok((pack.to_string(), range))
            })
            .collect::<Result<Vec<_>, String>>()?;
        if registries.is_empty() && forbidden.is_empty() {
            return Err("no rules: set config.registries and/or config.forbidden under [plugins.org-rules] in the policy".into());
        }
        Ok(Rules {
            registries,
            forbidden,
        })
    }

    /// The findings for a profile document.
    pub fn check(&self, document: &str) -> Result<Vec<Finding>, String> {
        let profile = Profile::parse(document)?;
        let mut findings = Vec::new();
        for (i, pack) in profile.spec.template.packs.iter().enumerate() {
            let at = format!("/spec/template/packs/{i}");
            let registry = pack
                .registry
                .as_ref()
                .and_then(|r| r.pointer("/metadata/name"))
                .and_then(|n| n.as_str());
            if !self.registries.is_empty() {
                match registry {
                    Some(name) if self.registries.iter().any(|r| r == name) => {}
                    found => findings.push(
                        finding::error(
                            "org-registry",
                            format!(
                                "pack {} comes from {}, not from a registry the organization allows ({})",
                                pack.name,
                                found.map_or("an unnamed registry".to_string(), |n| format!("registry '{n}'")),
                                self.registries.join(", ")
                            ),
                        )
                        .at(format!("{at}/registry"))
                        .about(Subject::Pack(pack.name.clone()))
                        .hint("take the pack from an allowed registry, or ask for the registry to be allowed"),
                    ),
                }
            }
            let version = pack
                .version
                .as_deref()
                .or(pack.tag.as_deref())
                .and_then(|v| Version::parse(v).ok());
            for (name, range) in &self.forbidden {
                if *name == pack.name && version.as_ref().is_some_and(|v| range.matches(v)) {
                    findings.push(
                        finding::error(
                            "org-forbidden-version",
                            format!(
                                "pack {} {} is a version the organization forbids ({name} {range})",
                                pack.name,
                                version
                                    .as_ref()
                                    .map(ToString::to_string)
                                    .unwrap_or_default()
                            ),
                        )
                        .at(format!("{at}/version"))
                        .about(Subject::Pack(pack.name.clone()))
                        .hint("move the profile to an allowed version of the pack"),
                    );
                }
            }
        }
        Ok(findings)
    }
}

impl validator::Guest for OrgRules {
    fn validate(
        _cx: Context,
        document: String,
        _packs: Vec<PackMeta>,
    ) -> Result<Vec<Finding>, PluginError> {
        let setting = |key| config::get(key).unwrap_or_default();
        let rules = Rules::parse(&setting("registries"), &setting("forbidden"))
            .map_err(PluginError::Failed)?;
        rules.check(&document).map_err(PluginError::InvalidInput)
    }
}

export_validator!(OrgRules);
ferry_plugin_api::single_call_allocator!();
