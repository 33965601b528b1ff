//! `ferry import`: fill the masked values, fix up, validate, approve, import, read back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::session::{Session, say};
use super::table::Output;
use super::{Globals, document_file};
use crate::pipeline::secrets::{self, Fill, MacroValue};
use crate::pipeline::transfer::{self, Carried, DeliverOptions, OnConflict, Outcome};
use crate::pipeline::{Reported, RunSettings, edit};
use crate::runtime::manifest::Step;

/// What `import` and `migrate` share: how to deliver into the target.
#[derive(clap::Args)]
pub struct DeliverArgs {
    /// Fill a masked value or give a macro: PACK:PATH=VALUE, var.NAME=VALUE or macro.NAME=VALUE.
    #[arg(long = "set", value_name = "PLACE=VALUE")]
    pub set: Vec<String>,
    /// When the name and version are taken: fail, skip, bump-patch, bump-minor or rename=NAME.
    #[arg(long, default_value = "fail", value_parser = |s: &str| s.parse::<OnConflict>())]
    pub on_conflict: OnConflict,
    #[command(flatten)]
    pub map: super::validate::MapArgs,
    /// Create the macros the profile uses that the target lacks (values from the bundle or --set).
    #[arg(long)]
    pub create_macros: bool,
    /// Import published.
    #[arg(long)]
    pub publish: bool,
    /// Import even with values still ******** (they arrive as ********).
    #[arg(long)]
    pub allow_masked: bool,
    /// Show what would be sent and created; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before importing. ferry asks only when stdin and stderr are a terminal, so
    /// scripts and CI need no flag; this is for a person who wants no question.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Findings as a table (stderr) or JSON (stdout).
    #[arg(long, value_enum, default_value = "table")]
    pub output: Output,
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
}

impl DeliverArgs {
    pub fn options(&self) -> anyhow::Result<(DeliverOptions, edit::Sets)> {
        let sets = edit::parse_sets(&self.set)?;
        Ok((
            DeliverOptions {
                on_conflict: self.on_conflict.clone(),
                registry_map: self.map.parse()?,
                create_macros: self.create_macros,
                macro_values: sets.macros.clone(),
                allow_masked: self.allow_masked,
                dry_run: self.dry_run,
                confirm: (!self.yes && super::confirm::someone_to_ask())
                    .then_some(super::confirm::ask),
                registries: None,
                macros: Default::default(),
            },
            sets,
        ))
    }

    pub fn settings(&self, source: Option<&str>, target: &str) -> RunSettings {
        RunSettings {
            source_env: source.map(str::to_string),
            target_env: Some(target.to_string()),
            dry_run: self.dry_run,
            publish: self.publish,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// The (masked) export document to import (JSON or YAML).
    file: PathBuf,
    /// The stored environment to import into.
    #[arg(long)]
    env: String,
    /// A secrets bundle from `ferry export --secrets-out`, or a filled secrets template.
    #[arg(long, value_name = "FILE")]
    secrets: Option<PathBuf>,
    #[command(flatten)]
    deliver: DeliverArgs,
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let (document, _) = document_file::read(&args.file)?;
    let (opts, sets) = args.deliver.options()?;
    let session = Session::open(globals, args.deliver.policy.as_deref(), &[&args.env])?;
    let pipeline = session.pipeline(
        args.deliver.policy.as_deref(),
        &[Step::Validate, Step::Approve, Step::Import],
        args.deliver.settings(None, &args.env),
    )?;
    let (mut fills, macros) = match &args.secrets {
        Some(path) => read_secrets(path, &session)?,
        None => (Vec::new(), Vec::new()),
    };
    fills.extend(edit::resolve_sets(&document, &sets.values)?);
    let carried = Carried {
        fills: &fills,
        macros: &macros,
    };
    let (outcome, findings) = transfer::deliver(
        &pipeline,
        &session.transport,
        &args.env,
        &document,
        &carried,
        &opts,
        &say,
    )?;
    conclude(&outcome, &findings, args.deliver.output)
}

/// The values a `--secrets` file gives: a sealed bundle (values and macros) or a filled template.
pub fn read_secrets(
    path: &Path,
    session: &Session,
) -> anyhow::Result<(Vec<Fill>, Vec<MacroValue>)> {
    let text = super::user_file::read(path, "the secrets")?;
    if secrets::is_bundle(&text) {
        let bundle = secrets::open_bundle(
            &text,
            session.credentials.key(),
            session.credentials.passphrase(),
        )?;
        let fills = bundle.values.iter().map(Fill::from).collect();
        return Ok((fills, bundle.macros.clone()));
    }
    let fills = secrets::read_template(&text)
        .map_err(|e| e.context(format!("{}", path.display())))?
        .into_iter()
        .map(|p| secrets::typed(p.pointer, p.key, &p.value))
        .collect();
    Ok((fills, Vec::new()))
}

/// Prints the findings and turns the outcome into the exit code (docs/USAGE.md lists them).
pub fn conclude(
    outcome: &Outcome,
    findings: &[Reported],
    output: Output,
) -> anyhow::Result<ExitCode> {
    if !findings.is_empty() || output == Output::Json {
        super::findings::print(findings, output)?;
    }
    Ok(match outcome {
        Outcome::Imported { verification, .. } if !verification.ok() => {
            anyhow::bail!("the profile arrived, but not as sent (see the lines above)")
        }
        Outcome::Imported { .. }
        | Outcome::AlreadyThere { .. }
        | Outcome::Skipped { .. }
        | Outcome::DryRun { .. } => super::exit::success(),
        Outcome::Invalid => {
            say("nothing was imported: fix the errors above (each says how)");
            super::exit::code(super::exit::VALIDATION_FAILED)
        }
        Outcome::Denied { plugin, reason } | Outcome::NeedsReview { plugin, reason } => {
            say(&format!("nothing was imported: {plugin} said: {reason}"));
            super::exit::code(super::exit::DENIED)
        }
        Outcome::Declined { label } => {
            say(&format!(
                "nothing was imported: you did not confirm {label}"
            ));
            super::exit::code(super::exit::DENIED)
        }
    })
}
