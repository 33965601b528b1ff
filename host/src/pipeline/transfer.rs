//! The two halves of a move, shared by `ferry export`, `ferry import` and `ferry migrate`:
//! [`extract`] (export + mask on the source) and [`deliver`] (fill, fix up, validate, approve,
//! import and read back on the target). Each reports its steps through `say` as they happen.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context as _;
use ferry_plugin_api::document::Profile;
use ferry_plugin_api::refs::{self, Kind};

use super::compare;
use super::secrets::{self, Fill, MacroValue, Placeholder, Secret};
use super::verify::{self, Verification};
use super::{Pipeline, Reported, Verdict, edit, has_errors, target};
use crate::palette::transport::ClientTransport;
use crate::runtime::bindings::types::{ProfileRef, Severity, Subject};

/// A profile taken out of its environment, masked.
pub struct Extracted {
    pub name: String,
    pub version: String,
    /// The masked document.
    pub document: String,
    /// The values ferry's maskers took out.
    pub secrets: Vec<Secret>,
    /// The values Palette itself withheld (`********` in its export).
    pub placeholders: Vec<Placeholder>,
    /// The user macros the profile uses, with their values in the source.
    pub macros: Vec<MacroValue>,
    /// Per masker: (plugin id, values masked).
    pub by_plugin: Vec<(String, usize)>,
}

impl Extracted {
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// The user macros `document` refers to, by name.
pub fn macro_names(document: &str) -> anyhow::Result<BTreeSet<String>> {
    let profile = Profile::parse(document).map_err(anyhow::Error::msg)?;
    let mut names = BTreeSet::new();
    for pack in &profile.spec.template.packs {
        let texts = pack.values.iter().chain(
            pack.manifests
                .iter()
                .flatten()
                .filter_map(|m| m.content.as_ref()),
        );
        for text in texts {
            names.extend(
                refs::references(text)
                    .into_iter()
                    .filter(|r| r.kind == Kind::Macro)
                    .map(|r| r.name),
            );
        }
    }
    Ok(names)
}

/// Export and mask steps on the source.
pub fn extract(
    pipeline: &Pipeline,
    transport: &ClientTransport,
    env: &str,
    profile: &ProfileRef,
    say: &dyn Fn(&str),
) -> anyhow::Result<Extracted> {
    let exported = pipeline.export(env, profile)?;
    let (name, version) = edit::name_version(&exported.document)?;
    say(&format!(
        "export    {name}@{version} from {env} ({} pack(s))",
        exported.packs.len()
    ));
    let masked = pipeline.mask(exported.document, &exported.packs)?;
    for (plugin, count) in &masked.by_plugin {
        say(&format!("mask      {plugin}: {count} value(s) masked"));
    }
    for m in &masked.values {
        let inside = if m.key.is_empty() { "" } else { " " };
        say(&format!(
            "          masked {}{inside}{} ({})",
            m.pointer, m.key, m.rule
        ));
    }
    let secrets: Vec<Secret> = masked.values.into_iter().map(Secret::from).collect();
    let known: BTreeSet<(String, String)> = secrets
        .iter()
        .map(|s| (s.pointer.clone(), s.key.clone()))
        .collect();
    let placeholders = secrets::placeholders(&masked.document, &known)?;
    let used = macro_names(&masked.document)?;
    let macros = if used.is_empty() {
        Vec::new()
    } else {
        let client = transport.client(env)?;
        let defined = transport.block_on(target::macros(&client))?;
        defined
            .into_iter()
            .filter(|(n, _)| used.contains(n))
            .map(|(name, value)| MacroValue { name, value })
            .collect()
    };
    Ok(Extracted {
        name,
        version,
        document: masked.document,
        secrets,
        placeholders,
        macros,
        by_plugin: masked.by_plugin,
    })
}

/// What to do when the name and version are taken in the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnConflict {
    Fail,
    Skip,
    BumpPatch,
    BumpMinor,
    Rename(String),
}

impl std::str::FromStr for OnConflict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "fail" => OnConflict::Fail,
            "skip" => OnConflict::Skip,
            "bump-patch" => OnConflict::BumpPatch,
            "bump-minor" => OnConflict::BumpMinor,
            _ => match s.strip_prefix("rename=").filter(|n| !n.is_empty()) {
                Some(name) => OnConflict::Rename(name.to_string()),
                None => {
                    return Err(format!(
                        "unknown --on-conflict {s:?}: fail, skip, bump-patch, bump-minor or rename=NAME"
                    ));
                }
            },
        })
    }
}

/// How to deliver.
#[derive(Debug, Clone)]
pub struct DeliverOptions {
    pub on_conflict: OnConflict,
    pub registry_map: edit::RegistryMap,
    pub create_macros: bool,
    /// Macro values given with `--set macro.NAME=VALUE` (over the bundle's).
    pub macro_values: Vec<(String, String)>,
    pub allow_masked: bool,
    pub dry_run: bool,
    /// Asked before anything is changed in the target (the question; `false` stops there).
    /// `None`: nobody to ask (`--yes`, or not on a terminal).
    pub confirm: Option<fn(&str) -> bool>,
    /// The target's registries when the caller has read them already (a bulk run reads them
    /// once); else each delivery reads them.
    pub registries: Option<Vec<target::Registry>>,
    /// The target's macros as the run knows them, shared by its deliveries (`--create-macros`).
    pub macros: std::sync::Arc<target::MacroBook>,
}

/// How a delivery ended.
#[derive(Debug)]
pub enum Outcome {
    Imported {
        uid: String,
        label: String,
        verification: Verification,
    },
    /// The same profile is already there.
    AlreadyThere {
        uid: String,
        label: String,
    },
    Skipped {
        label: String,
    },
    /// Validation found errors; nothing was sent.
    Invalid,
    Denied {
        plugin: String,
        reason: String,
    },
    NeedsReview {
        plugin: String,
        reason: String,
    },
    /// `--dry-run`: what would have been imported.
    DryRun {
        label: String,
    },
    /// The user answered no when asked to go ahead.
    Declined {
        label: String,
    },
}

/// What travels with a document to the target: the secrets to put back, the macros' values.
pub struct Carried<'a> {
    pub fills: &'a [Fill],
    pub macros: &'a [MacroValue],
}

/// `document` with each pack pointed at its registry in `env` (by name and kind, after `map`),
/// saying which packs the map moved.
/// `known`: the target's registries when the caller has read them already.
pub fn map_registries(
    transport: &ClientTransport,
    env: &str,
    document: &str,
    map: &edit::RegistryMap,
    known: Option<&[target::Registry]>,
    say: &dyn Fn(&str),
) -> anyhow::Result<String> {
    let read;
    let registries = match known {
        Some(known) => known,
        None => {
            read = transport.block_on(target::registries(&*transport.client(env)?))?;
            &read[..]
        }
    };
    let (mapped, notes) = edit::map_registries(document, map, registries)?;
    for note in notes {
        say(&format!("registry  {note}"));
    }
    Ok(mapped)
}

/// The macros of `used` that `defined` lacks, with their values: given (`--set macro.NAME=VALUE`)
/// over carried (the source's). An error names those with no value.
pub fn macros_to_create(
    used: &BTreeSet<String>,
    defined: &BTreeSet<String>,
    carried: &[MacroValue],
    given: &[(String, String)],
) -> anyhow::Result<Vec<(String, String)>> {
    let mut values: BTreeMap<&str, &str> = carried
        .iter()
        .map(|m| (m.name.as_str(), m.value.as_str()))
        .collect();
    values.extend(given.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    let missing: Vec<&String> = used.iter().filter(|n| !defined.contains(*n)).collect();
    let unknown: Vec<&str> = missing
        .iter()
        .filter(|n| !values.contains_key(n.as_str()))
        .map(|n| n.as_str())
        .collect();
    if !unknown.is_empty() {
        anyhow::bail!(
            "--create-macros: no value for macro(s) {}; give each with --set macro.NAME=VALUE",
            unknown.join(", ")
        );
    }
    Ok(missing
        .iter()
        .map(|n| (n.to_string(), values[n.as_str()].to_string()))
        .collect())
}

/// What a delivery tells its caller as it goes: progress lines, and the points a caller that
/// journals the move records (before the import is sent, and once it answered).
pub trait Progress {
    fn say(&self, line: &str);
    /// Validation found no error.
    fn validated(&self) -> anyhow::Result<()> {
        Ok(())
    }
    /// Approval passed too; the import comes next.
    fn approved(&self) -> anyhow::Result<()> {
        Ok(())
    }
    /// The import is about to be sent, as `label` (`name@version`).
    fn importing(&self, _label: &str) -> anyhow::Result<()> {
        Ok(())
    }
    /// The import answered: the profile is in the target as `uid`.
    fn imported(&self, _uid: &str) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A plain line printer is a progress that records nothing.
impl<F: Fn(&str)> Progress for F {
    fn say(&self, line: &str) {
        self(line)
    }
}

/// Fill, fix up, validate, approve, import and read back `document` on the target `env`.
/// Findings are returned with the outcome (also when it is not an import).
pub fn deliver(
    pipeline: &Pipeline,
    transport: &ClientTransport,
    env: &str,
    document: &str,
    carried: &Carried,
    opts: &DeliverOptions,
    progress: &dyn Progress,
) -> anyhow::Result<(Outcome, Vec<Reported>)> {
    let say = |line: &str| progress.say(line);
    let Carried { fills, macros } = *carried;
    let client = transport.client(env)?;
    let mut doc = if fills.is_empty() {
        document.to_string()
    } else {
        let doc = secrets::restore(document, fills)?;
        say(&format!("secrets   {} value(s) put back", fills.len()));
        doc
    };
    doc = map_registries(
        transport,
        env,
        &doc,
        &opts.registry_map,
        opts.registries.as_deref(),
        &say,
    )?;

    // Name and version: an identical profile already there is success; otherwise as asked.
    let (mut name, mut version) = edit::name_version(&doc)?;
    if let OnConflict::Rename(new) = &opts.on_conflict
        && !transport.block_on(target::name_free(&client, &name, &version))?
    {
        doc = edit::rename(&doc, Some(new), None)?;
        say(&format!(
            "conflict  {name}@{version} is taken in {env}: renamed to {new}"
        ));
        name = new.clone();
    }
    let secret_places: Vec<(String, String)> = fills
        .iter()
        .map(|f| (f.pointer.clone(), f.key.clone()))
        .collect();
    let places = compare::secret_places(&doc, &secret_places).map_err(anyhow::Error::msg)?;
    if !transport.block_on(target::name_free(&client, &name, &version))? {
        if let Some(uid) = transport.block_on(target::find_profile(&client, &name, &version))? {
            let there = transport.block_on(target::export(&client, &uid))?;
            if verify::compare(&doc, &there, &places).is_ok_and(|v| v.ok()) {
                let label = format!("{name}@{version}");
                say(&format!(
                    "import    {label} is already in {env} as sent (uid {uid}): nothing to do"
                ));
                return Ok((Outcome::AlreadyThere { uid, label }, Vec::new()));
            }
        }
        match &opts.on_conflict {
            OnConflict::Skip => {
                let label = format!("{name}@{version}");
                say(&format!("conflict  {label} is taken in {env}: skipped"));
                return Ok((Outcome::Skipped { label }, Vec::new()));
            }
            OnConflict::BumpPatch | OnConflict::BumpMinor => {
                let taken = version.clone();
                loop {
                    version = edit::bump(&version, opts.on_conflict == OnConflict::BumpMinor)?;
                    if transport.block_on(target::name_free(&client, &name, &version))? {
                        break;
                    }
                }
                doc = edit::rename(&doc, None, Some(&version))?;
                say(&format!(
                    "conflict  {name}@{taken} is taken in {env}: importing as {version}"
                ));
            }
            // Validation reports the taken name, with the ways out.
            OnConflict::Fail | OnConflict::Rename(_) => {}
        }
    }
    let label = format!("{name}@{version}");

    // Macros the target lacks: with --create-macros, created from the carried or given values
    // once validation and approval have passed, so a refused import leaves nothing behind.
    let used = macro_names(&doc)?;
    let create = if opts.create_macros && !used.is_empty() {
        let defined = opts.macros.defined(transport, env)?;
        macros_to_create(&used, &defined, macros, &opts.macro_values)?
    } else {
        Vec::new()
    };
    let creating: Vec<&str> = create.iter().map(|(n, _)| n.as_str()).collect();

    let mut findings = pipeline.validate(env, &doc, &[]);
    if opts.allow_masked {
        for r in &mut findings {
            if r.finding.code == "value-masked" {
                r.finding.severity = Severity::Warning;
            }
        }
    }
    // The macros ferry will create are not missing.
    findings.retain(|r| {
        !(r.finding.code == "macro-undefined"
            && matches!(&r.finding.subject, Some(Subject::Macro(n)) if create.iter().any(|(c, _)| c == n)))
    });
    let errors = findings
        .iter()
        .filter(|r| matches!(r.finding.severity, Severity::Error))
        .count();
    say(&format!(
        "validate  {} finding(s), {errors} error(s) ({})",
        findings.len(),
        pipeline
            .plugin_ids(crate::runtime::manifest::Step::Validate)
            .join(", ")
    ));
    if has_errors(&findings) {
        return Ok((Outcome::Invalid, findings));
    }
    progress.validated()?;
    match pipeline.approve(env, &doc, &findings) {
        Verdict::Approved => {
            let approvers = pipeline.plugin_ids(crate::runtime::manifest::Step::Approve);
            if !approvers.is_empty() {
                say(&format!("approve   approved by {}", approvers.join(", ")));
            }
            progress.approved()?;
        }
        Verdict::Denied(plugin, reason) => {
            say(&format!("approve   denied by {plugin}: {reason}"));
            return Ok((Outcome::Denied { plugin, reason }, findings));
        }
        Verdict::NeedsReview(plugin, reason) => {
            say(&format!("approve   {plugin} asks for a review: {reason}"));
            return Ok((Outcome::NeedsReview { plugin, reason }, findings));
        }
    }
    if let Some(confirm) = opts.confirm.filter(|_| !opts.dry_run) {
        let macros = if creating.is_empty() {
            String::new()
        } else {
            format!(" and create macro(s) {}", creating.join(", "))
        };
        if !confirm(&format!("import {label} into {env}{macros}?")) {
            return Ok((Outcome::Declined { label }, findings));
        }
    }
    if !create.is_empty() {
        if opts.dry_run {
            say(&format!(
                "macros    would create {} in {env}",
                creating.join(", ")
            ));
        } else {
            // Those another delivery of the run created meanwhile are not created again.
            let (created, place) = opts.macros.create(transport, env, &create)?;
            if !created.is_empty() {
                say(&format!(
                    "macros    created {} in {env} ({place} scope)",
                    created.join(", ")
                ));
            }
        }
    }
    if opts.dry_run {
        let profile = Profile::parse(&doc).map_err(anyhow::Error::msg)?;
        say(&format!(
            "dry run   would import {label} into {env}: {} pack(s), {} secret(s) filled; nothing was changed",
            profile.spec.template.packs.len(),
            fills.len()
        ));
        return Ok((Outcome::DryRun { label }, findings));
    }
    progress.importing(&label)?;
    let uid = pipeline
        .import(env, &doc)
        .with_context(|| format!("importing {label} into {env}"))?;
    progress.imported(&uid)?;
    say(&format!("import    {label} into {env}: uid {uid}"));
    let back = transport.block_on(target::export(&client, &uid))?;
    let verification = verify::compare(&doc, &back, &places).map_err(anyhow::Error::msg)?;
    if verification.ok() {
        say(&format!("verify    {}", verification.summary()));
    } else {
        for d in &verification.differences {
            say(&format!("verify    DIFFERS {d}"));
        }
    }
    Ok((
        Outcome::Imported {
            uid,
            label,
            verification,
        },
        findings,
    ))
}
