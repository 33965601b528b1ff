//! Moving a profile: the steps in order, each carried out by the plugins the policy names for it.
//!
//! ```text
//! export (plugin, palette-api read on the source)  → the document and its packs' schemas
//! mask   (plugins, offline, in policy order)       → masked document + the values taken out
//!   host: seals the values (secrets bundle) or keeps them in memory (migrate)
//! host:  restores secrets, applies --set, maps registries, settles name conflicts
//! validate (plugins, palette-api read on the target) → findings
//! approve  (plugins)                                 → approve | deny | needs-review
//! import   (plugin, palette-api write on the target) → the new uid
//! host:  reads the profile back and checks it arrived as sent
//! ```
//!
//! [`Pipeline`] holds the loaded plugins and the run's context; the host-side pieces are
//! [`secrets`] (bundle, template, restoring values), [`edit`] (changes to the document the host
//! makes), [`target`] (what the host asks the target itself), [`verify`] (the read-back) and
//! [`compare`] (what differs between two documents: the read-back's comparison and `ferry diff`'s).
//!
//! Without a `[steps]` list in the policy, a step runs ferry's built-ins ([`default_plugins`]).
//! A mask or export failure stops the run: a document that may still hold a secret is never
//! written. A validate plugin that fails counts as an error finding; an approve plugin that fails
//! counts as a denial.

pub mod compare;
pub mod edit;
pub mod secrets;
pub mod target;
pub mod transfer;
pub mod verify;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;

use crate::palette::transport::ClientTransport;
use crate::runtime::bindings::types::{self, Decision, Finding, MaskedValue, PackMeta, Severity};
use crate::runtime::manifest::Step;
use crate::runtime::policy::Policy;
use crate::runtime::{Plugin, Runtime, catalog};

/// The built-in plugins of each step, used when the policy lists none for it.
pub fn default_plugins(step: Step) -> &'static [&'static str] {
    match step {
        Step::Export => &["palette-export"],
        Step::Mask => &["palette-mask", "secret-scan"],
        Step::Validate => &["palette-validate"],
        Step::Approve => &[],
        Step::Import => &["palette-import"],
    }
}

/// What a run is about: which environments, and whether anything may be written.
#[derive(Debug, Clone, Default)]
pub struct RunSettings {
    pub source_env: Option<String>,
    pub target_env: Option<String>,
    pub dry_run: bool,
    /// Import published (`publish=true`), handed to import plugins as their `publish` setting.
    pub publish: bool,
}

/// The plugins of a run, loaded once, and the context every call gets.
pub struct Pipeline {
    plugins: BTreeMap<Step, Vec<Plugin>>,
    settings: RunSettings,
    run_id: String,
}

/// A document as exported, with its packs' schemas.
pub struct Exported {
    pub document: String,
    pub packs: Vec<PackMeta>,
}

/// What the mask steps made of a document.
pub struct Masked {
    pub document: String,
    /// Every value taken out, by every masker, in order.
    pub values: Vec<MaskedValue>,
    /// Per masker: (plugin id, values it masked).
    pub by_plugin: Vec<(String, usize)>,
}

/// A finding and the plugin that reported it.
#[derive(Debug, Clone)]
pub struct Reported {
    pub plugin: String,
    pub finding: Finding,
}

/// What the approve steps decided.
#[derive(Debug, Clone)]
pub enum Verdict {
    Approved,
    /// (plugin, reason)
    Denied(String, String),
    NeedsReview(String, String),
}

impl Pipeline {
    /// Loads the plugins of `steps` (as the policy orders them) for a run; environments the run
    /// talks to come with `transport`.
    pub fn new(
        home: &Path,
        mut policy: Policy,
        transport: Option<Arc<ClientTransport>>,
        steps: &[Step],
        settings: RunSettings,
    ) -> anyhow::Result<Pipeline> {
        let ids: BTreeMap<Step, Vec<String>> = steps
            .iter()
            .map(|&step| {
                let ids = policy.steps.get(&step).cloned().unwrap_or_else(|| {
                    default_plugins(step)
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                });
                (step, ids)
            })
            .collect();
        // Run options reach the import plugins as settings, over the policy's.
        for id in ids.get(&Step::Import).into_iter().flatten() {
            policy
                .plugins
                .entry(id.clone())
                .or_default()
                .config
                .insert("publish".into(), toml::Value::Boolean(settings.publish));
        }
        let mut runtime = Runtime::new(home, policy)?;
        if let Some(transport) = transport {
            runtime = runtime.with_palette(transport);
        }
        let mut plugins = BTreeMap::new();
        for (step, ids) in ids {
            let mut loaded = Vec::new();
            for id in ids {
                let entry = catalog::find(home, &id)
                    .with_context(|| format!("the {step} step names plugin '{id}'"))?;
                loaded.push(runtime.load(&entry)?);
            }
            plugins.insert(step, loaded);
        }
        Ok(Pipeline {
            plugins,
            settings,
            run_id: format!("{:016x}", rand::random::<u64>()),
        })
    }

    /// The plugin ids of a step, in order.
    pub fn plugin_ids(&self, step: Step) -> Vec<&str> {
        self.step(step).iter().map(Plugin::id).collect()
    }

    fn step(&self, step: Step) -> &[Plugin] {
        self.plugins.get(&step).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The context of a call; `source`/`target` name the environment (or `ENV/PROJECT`) this
    /// call works on, over the run's, since one run may read or write several projects.
    fn context(&self, step: Step, source: Option<&str>, target: Option<&str>) -> types::Context {
        types::Context {
            run_id: self.run_id.clone(),
            step: step.name().to_string(),
            source_env: source
                .map(str::to_string)
                .or_else(|| self.settings.source_env.clone()),
            target_env: target
                .map(str::to_string)
                .or_else(|| self.settings.target_env.clone()),
            dry_run: self.settings.dry_run,
        }
    }

    /// The first plugin of a step: export and import have exactly one author of their result.
    fn only(&self, step: Step) -> anyhow::Result<&Plugin> {
        self.step(step).first().with_context(|| {
            format!("the policy lists no plugin for the {step} step; name one under [steps]")
        })
    }

    pub fn export(&self, env: &str, profile: &types::ProfileRef) -> anyhow::Result<Exported> {
        let out = self.only(Step::Export)?.export(
            &self.context(Step::Export, Some(env), None),
            env,
            profile,
        )?;
        Ok(Exported {
            document: out.document,
            packs: out.packs,
        })
    }

    /// Every mask plugin in order, each on what the one before left.
    pub fn mask(&self, document: String, packs: &[PackMeta]) -> anyhow::Result<Masked> {
        let cx = self.context(Step::Mask, None, None);
        let mut masked = Masked {
            document,
            values: Vec::new(),
            by_plugin: Vec::new(),
        };
        for plugin in self.step(Step::Mask) {
            let out = plugin.mask(&cx, &masked.document, packs)?;
            if let Some(document) = out.document {
                masked.document = document;
            }
            masked
                .by_plugin
                .push((plugin.id().to_string(), out.masked.len()));
            masked.values.extend(out.masked);
        }
        Ok(masked)
    }

    /// Every validate plugin's findings against the target `env`; a plugin that fails is an
    /// error finding of its own.
    pub fn validate(&self, env: &str, document: &str, packs: &[PackMeta]) -> Vec<Reported> {
        let cx = self.context(Step::Validate, None, Some(env));
        let mut out = Vec::new();
        for plugin in self.step(Step::Validate) {
            match plugin.validate(&cx, document, packs) {
                Ok(findings) => out.extend(findings.into_iter().map(|finding| Reported {
                    plugin: plugin.id().to_string(),
                    finding,
                })),
                Err(failure) => out.push(Reported {
                    plugin: plugin.id().to_string(),
                    finding: Finding {
                        severity: Severity::Error,
                        code: "plugin-failed".into(),
                        message: failure.to_string(),
                        path: None,
                        yaml_path: None,
                        subject: None,
                        hint: None,
                        fix: None,
                    },
                }),
            }
        }
        out
    }

    /// The approve plugins in order, for an import into `env`; the first that does not approve
    /// decides.
    pub fn approve(&self, env: &str, document: &str, findings: &[Reported]) -> Verdict {
        let cx = self.context(Step::Approve, None, Some(env));
        let findings: Vec<Finding> = findings.iter().map(|r| r.finding.clone()).collect();
        for plugin in self.step(Step::Approve) {
            let id = plugin.id().to_string();
            match plugin.approve(&cx, document, &findings) {
                Ok(Decision::Approve) => {}
                Ok(Decision::Deny(reason)) => return Verdict::Denied(id, reason),
                Ok(Decision::NeedsReview(reason)) => return Verdict::NeedsReview(id, reason),
                Err(failure) => return Verdict::Denied(id, failure.to_string()),
            }
        }
        Verdict::Approved
    }

    /// Imports `document` into `env`; the new profile's uid.
    pub fn import(&self, env: &str, document: &str) -> anyhow::Result<String> {
        if self.settings.dry_run {
            anyhow::bail!("a dry run imports nothing");
        }
        let out = self.only(Step::Import)?.import(
            &self.context(Step::Import, None, Some(env)),
            env,
            document,
        )?;
        Ok(out.uid)
    }
}

/// Whether any finding is an error.
pub fn has_errors(findings: &[Reported]) -> bool {
    findings
        .iter()
        .any(|r| matches!(r.finding.severity, Severity::Error))
}
