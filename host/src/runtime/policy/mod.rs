//! The organization's policy: which plugins run at each step and in which order, their settings,
//! the capabilities granted to them, their limits, the versions and digests they are pinned to,
//! and the keys their signatures must come from. See [`file`] for where it is read from: a
//! repository's `ferry.toml` laid over `<ferry home>/policy.toml`, or the one file `--policy FILE`
//! or `FERRY_POLICY` names; without any, the built-in plugins run alone.
//!
//! ```toml
//! require-signed = true            # installed plugins need a signature by a trusted key
//! [trusted-keys]
//! acme-security = "ed25519:…"      # as `ferry plugin keygen` prints it
//!
//! [steps]
//! mask = ["palette-mask", "acme-mask"]
//!
//! [plugins.acme-mask]
//! version = "^1.2"                 # a semver range its version must match
//! sha256 = "…"                     # the wasm it must be
//! grants = ["http:https://vault.acme.example"]
//! config = { patterns = "ACME-[0-9]{8}" }
//! limits = { timeout-ms = 2000, memory-mib = 64 }
//! ```
//!
//! A nearer file sets a setting over a farther one (a step's list, a plugin's grants, version,
//! digest, each limit and each config key), except that `require-signed` once set stays set and
//! trusted keys add up: a repository's file cannot lift the organization's signature rule.
//!
//! `[credential-providers]` (`allow = true` or a list of names, `dir = "..."` relative to the file)
//! lets native credential providers load (docs/NATIVE.md); only the home's file or a file the user
//! names may set it, never a repository's `ferry.toml`.
//!
//! Built-in plugins are ferry's own code: they get what their manifest requests unless the
//! policy lists `grants` for them, and need no signature. Installed plugins get only what the
//! policy grants.

pub mod check;
pub mod file;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use semver::VersionReq;

use super::catalog::{Entry, Origin};
use super::limits::{LimitOverrides, Limits};
use super::manifest::{Capability, Manifest, Step};
use super::signature::{PublicKey, SIGNATURE_FILE, SignatureFile};
pub use file::Place;

#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Plugin ids per step, in the order they run.
    pub steps: BTreeMap<Step, Vec<String>>,
    pub plugins: BTreeMap<String, PluginPolicy>,
    pub require_signed: bool,
    pub trusted_keys: BTreeMap<String, PublicKey>,
    /// Native credential providers that may load (`[credential-providers]`); none when absent.
    pub credential_providers: Option<NativeProviders>,
    /// The files read, farthest first.
    pub files: Vec<PathBuf>,
    /// Where each setting was written, by its dotted name: `steps.mask`, `steps.mask.1`,
    /// `plugins.ID.grants`, `plugins.ID.grants.0`, `plugins.ID.config.KEY`, `plugins.ID.limits`,
    /// `plugins.ID.version`, `plugins.ID.sha256`, `plugins.ID`, `require-signed`,
    /// `trusted-keys.NAME`, `credential-providers.allow`, `credential-providers.dir`.
    pub origins: BTreeMap<String, Place>,
}

#[derive(Debug, Clone, Default)]
pub struct PluginPolicy {
    pub grants: Option<Vec<Capability>>,
    pub config: BTreeMap<String, toml::Value>,
    pub limits: LimitOverrides,
    pub version: Option<VersionReq>,
    pub sha256: Option<String>,
}

/// Where native credential providers may load from, and which.
#[derive(Debug, Clone)]
pub struct NativeProviders {
    /// Only these provider names; `None`: any in `dir`.
    pub allow: Option<Vec<String>>,
    /// Resolved against the policy file's folder.
    pub dir: PathBuf,
}

impl NativeProviders {
    pub fn allows(&self, name: &str) -> bool {
        self.allow
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == name))
    }

    /// What `allow` lets load, for messages.
    pub fn allowed_text(&self) -> String {
        match &self.allow {
            None => "any provider in its directory".into(),
            Some(names) if names.is_empty() => "it allows none".into(),
            Some(names) => format!("it allows only {}", names.join(", ")),
        }
    }
}

/// A mistake in a policy file, where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl Policy {
    /// The policy in force (see [`file::discover`]). A mistake in it is an error that lists every
    /// one, with its file and line.
    pub fn load(home: &Path, explicit: Option<&Path>) -> anyhow::Result<Policy> {
        let (policy, problems) = Policy::read(home, explicit)?;
        if problems.is_empty() {
            return Ok(policy);
        }
        let list: Vec<String> = problems.iter().map(|p| format!("  {p}")).collect();
        Err(crate::cli::hints::with_hint(
            anyhow::anyhow!(
                "the policy has {} mistake(s):\n{}",
                problems.len(),
                list.join("\n")
            ),
            "fix them (`ferry policy check` lists them all, with what the plugins request)",
        ))
    }

    /// The policy in force and the mistakes found reading it (bad ranges, digests, keys,
    /// grants, step names), each with its place. Fails only on a file that cannot be read or is
    /// not TOML of the policy's shape.
    pub fn read(home: &Path, explicit: Option<&Path>) -> anyhow::Result<(Policy, Vec<Problem>)> {
        let mut policy = Policy::default();
        let mut problems = Vec::new();
        for path in file::discover(home, explicit) {
            let file = file::File::read(&path)?;
            if let Some(section) = &file.doc.credential_providers {
                if file::may_load_native(home, explicit, &path) {
                    policy.lay_providers(&file, section, &mut problems);
                } else {
                    problems.push(Problem {
                        place: file.place(section),
                        message: format!(
                            "[credential-providers] is read only from {} or the file --policy or FERRY_POLICY names: \
                             a repository's ferry.toml could otherwise make ferry load native code it ships; \
                             move the section there",
                            home.join(file::HOME_FILE).display()
                        ),
                    });
                }
            }
            policy.lay(&file, &mut problems);
            policy.files.push(path);
        }
        Ok((policy, problems))
    }

    /// Lays one file's settings over these.
    fn lay(&mut self, file: &file::File, problems: &mut Vec<Problem>) {
        let doc = &file.doc;
        let mut problem = |place: Place, message: String| problems.push(Problem { place, message });
        if let Some(required) = &doc.require_signed {
            if *required.get_ref() {
                self.require_signed = true;
                self.origins
                    .insert("require-signed".into(), file.place(required));
            } else if self.require_signed {
                problem(
                    file.place(required),
                    format!(
                        "require-signed = false cannot lift the requirement set at {}; remove the line",
                        self.origins["require-signed"]
                    ),
                );
            }
        }
        for (name, key) in &doc.trusted_keys {
            match PublicKey::parse(key.get_ref()) {
                Ok(parsed) => {
                    self.trusted_keys.insert(name.clone(), parsed);
                    self.origins
                        .insert(format!("trusted-keys.{name}"), file.place(key));
                }
                Err(e) => problem(file.place(key), format!("trusted key '{name}': {e}")),
            }
        }
        for (name, ids) in &doc.steps {
            let step: Step = match name.parse() {
                Ok(step) => step,
                Err(e) => {
                    problem(file.place(ids), format!("[steps]: {e}"));
                    continue;
                }
            };
            self.steps.insert(
                step,
                ids.get_ref()
                    .iter()
                    .map(|id| id.get_ref().clone())
                    .collect(),
            );
            let prefix = format!("steps.{step}");
            self.origins
                .retain(|k, _| !k.starts_with(&format!("{prefix}.")));
            self.origins.insert(prefix.clone(), file.place(ids));
            for (i, id) in ids.get_ref().iter().enumerate() {
                self.origins.insert(format!("{prefix}.{i}"), file.place(id));
            }
        }
        for (id, plugin) in &doc.plugins {
            let prefix = format!("plugins.{id}");
            self.origins
                .entry(prefix.clone())
                .or_insert_with(|| file.place(plugin));
            let into = self.plugins.entry(id.clone()).or_default();
            let plugin = plugin.get_ref();
            if let Some(grants) = &plugin.grants {
                let mut parsed = Vec::new();
                self.origins
                    .retain(|k, _| !k.starts_with(&format!("{prefix}.grants.")));
                for (i, grant) in grants.get_ref().iter().enumerate() {
                    match grant.get_ref().parse::<Capability>() {
                        Ok(c) => {
                            self.origins.insert(
                                format!("{prefix}.grants.{}", parsed.len()),
                                file.place(grant),
                            );
                            parsed.push(c);
                        }
                        Err(e) => problem(
                            file.place(grant),
                            format!("[plugins.{id}] grants[{i}]: {e}"),
                        ),
                    }
                }
                into.grants = Some(parsed);
                self.origins
                    .insert(format!("{prefix}.grants"), file.place(grants));
            }
            for (key, value) in &plugin.config {
                into.config.insert(key.clone(), value.get_ref().clone());
                self.origins
                    .insert(format!("{prefix}.config.{key}"), file.place(value));
            }
            if let Some(limits) = &plugin.limits {
                let l = limits.get_ref();
                into.limits = LimitOverrides {
                    timeout_ms: l.timeout_ms.or(into.limits.timeout_ms),
                    memory_mib: l.memory_mib.or(into.limits.memory_mib),
                    output_mib: l.output_mib.or(into.limits.output_mib),
                };
                self.origins
                    .insert(format!("{prefix}.limits"), file.place(limits));
            }
            if let Some(range) = &plugin.version {
                match VersionReq::parse(range.get_ref()) {
                    Ok(req) => {
                        into.version = Some(req);
                        self.origins
                            .insert(format!("{prefix}.version"), file.place(range));
                    }
                    Err(e) => problem(
                        file.place(range),
                        format!(
                            "[plugins.{id}] version '{}' is not a semver range ({e}); write one such as \"^1.2\", \"~1.2.3\" or \"=1.2.3\"",
                            range.get_ref()
                        ),
                    ),
                }
            }
            if let Some(digest) = &plugin.sha256 {
                let d = digest.get_ref();
                if d.len() == 64 && d.chars().all(|c| c.is_ascii_hexdigit()) {
                    into.sha256 = Some(d.to_ascii_lowercase());
                    self.origins
                        .insert(format!("{prefix}.sha256"), file.place(digest));
                } else {
                    problem(
                        file.place(digest),
                        format!(
                            "[plugins.{id}] sha256 '{d}' is not a sha256 (64 hex digits); copy it from `ferry plugin list --output json`"
                        ),
                    );
                }
            }
        }
    }

    /// Sets `[credential-providers]` from `file` (one that may opt in to native code).
    fn lay_providers(
        &mut self,
        file: &file::File,
        section: &toml::Spanned<file::ProvidersDoc>,
        problems: &mut Vec<Problem>,
    ) {
        let mut problem = |place: Place, message: String| problems.push(Problem { place, message });
        let doc = section.get_ref();
        let Some(allow) = &doc.allow else {
            problem(
                file.place(section),
                "[credential-providers] says nothing about `allow`: add `allow = [\"NAME\"]` (or `allow = true` for any provider in `dir`) to opt in, or remove the section".into(),
            );
            return;
        };
        self.origins
            .insert("credential-providers.allow".into(), file.place(allow));
        let names = match allow.get_ref() {
            toml::Value::Boolean(false) => {
                self.credential_providers = None;
                return;
            }
            toml::Value::Boolean(true) => None,
            toml::Value::Array(items) => {
                let mut names = Vec::new();
                for item in items {
                    match item.as_str().map(|n| (n, crate::native::check_name(n))) {
                        Some((name, Ok(()))) => names.push(name.to_owned()),
                        Some((_, Err(e))) => problem(
                            file.place(allow),
                            format!("[credential-providers] allow: {e}"),
                        ),
                        None => problem(
                            file.place(allow),
                            format!(
                                "[credential-providers] allow: {item} is not a provider name (a string)"
                            ),
                        ),
                    }
                }
                Some(names)
            }
            other => {
                problem(
                    file.place(allow),
                    format!(
                        "[credential-providers] allow = {other} is neither true, false nor a list of provider names: write e.g. allow = [\"ferry_credential_file\"]"
                    ),
                );
                return;
            }
        };
        let Some(dir) = &doc.dir else {
            problem(
                file.place(section),
                "[credential-providers] allows providers but names no `dir`: add dir = \"providers\" (the directory they load from, relative to this file)".into(),
            );
            return;
        };
        self.origins
            .insert("credential-providers.dir".into(), file.place(dir));
        let base = file.path.parent().unwrap_or(Path::new(""));
        self.credential_providers = Some(NativeProviders {
            allow: names,
            dir: base.join(dir.get_ref()),
        });
    }

    /// Where a setting was written (see [`Policy::origins`] for the names).
    pub fn origin(&self, setting: &str) -> Option<&Place> {
        self.origins.get(setting)
    }

    /// Whether the plugin may be loaded at all under this policy: the version and digest it is
    /// pinned to, and its signature. Checked before anything is compiled. Built-ins are pinned
    /// like any plugin but need no signature: they are part of the ferry binary.
    pub fn admit(&self, entry: &Entry) -> Result<(), String> {
        let m = &entry.manifest;
        let at = |setting: &str| {
            self.origin(&format!("plugins.{}.{setting}", m.id))
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        };
        if let Some(pin) = self.plugin(&m.id) {
            if let Some(range) = &pin.version
                && !range.matches(&m.version)
            {
                return Err(format!(
                    "the policy pins version {range}{}, but this is {}; install a version that matches, or change the pin",
                    at("version"),
                    m.version
                ));
            }
            if let Some(digest) = &pin.sha256
                && !digest.eq_ignore_ascii_case(&entry.sha256)
            {
                return Err(format!(
                    "the policy pins sha256 {digest}{}, but its wasm is {}; install the pinned build, or update the pin",
                    at("sha256"),
                    entry.sha256
                ));
            }
        }
        let Some(dir) = entry
            .dir
            .as_deref()
            .filter(|_| entry.origin != Origin::BuiltIn)
        else {
            return Ok(());
        };
        let required = || {
            self.origin("require-signed")
                .map(|p| format!(" ({p})"))
                .unwrap_or_default()
        };
        match SignatureFile::read_in(dir)? {
            None if self.require_signed => Err(format!(
                "it is not signed ({} is missing), and the policy requires signatures{}; it needs a signature by {}: `ferry plugin sign ferry-plugin.toml --key KEY_FILE` where the plugin is built, then install it again",
                SIGNATURE_FILE,
                required(),
                self.keys_needed()
            )),
            None => Ok(()),
            Some(signature) => {
                let key = signature.verify(m, &entry.sha256).map_err(|e| {
                    format!(
                        "its signature ({}) does not verify: {e}; install the plugin as its publisher signed it, or have the build you trust signed again",
                        dir.join(SIGNATURE_FILE).display()
                    )
                })?;
                if self.require_signed && !self.trusted_keys.values().any(|k| *k == key) {
                    return Err(format!(
                        "it is signed by '{}' ({key}), a key the policy does not trust{}; it needs a signature by {}, or, if you trust '{}', add it under [trusted-keys]",
                        signature.key,
                        required(),
                        self.keys_needed(),
                        signature.key
                    ));
                }
                Ok(())
            }
        }
    }

    /// The keys a signature must come from, for messages.
    fn keys_needed(&self) -> String {
        if self.trusted_keys.is_empty() {
            return "a key the policy trusts, and it trusts none yet: add the signer's public key under [trusted-keys]".into();
        }
        let keys: Vec<String> = self
            .trusted_keys
            .iter()
            .map(|(name, key)| format!("'{name}' ({key})"))
            .collect();
        format!("one of the trusted keys {}", keys.join(", "))
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
