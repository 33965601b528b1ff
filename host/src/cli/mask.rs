//! `ferry mask`: the mask steps on a document already on disk.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;

use super::export::{WriteArgs, write_outputs};
use super::session::say;
use super::{Globals, document_file};
use crate::config::credentials::Credentials;
use crate::pipeline::secrets::{self, Secret};
use crate::pipeline::transfer::Extracted;
use crate::pipeline::{Pipeline, RunSettings, edit};
use crate::runtime::manifest::Step;
use crate::runtime::policy::Policy;

#[derive(clap::Args)]
pub struct Args {
    /// The export document to mask (JSON or YAML).
    file: PathBuf,
    /// A pack's schema: PACK=FILE (its schema.yaml), so schema-marked passwords are masked.
    #[arg(long = "schema", value_name = "PACK=FILE")]
    schemas: Vec<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn run(mut args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    args.write.check_places()?;
    let (document, format) = document_file::read(&args.file)?;
    args.write.format.get_or_insert(format);
    let store = globals.store()?;
    let home = store.home().to_path_buf();
    let policy = Policy::load(&home, args.write.policy.as_deref())?;
    let pipeline = Pipeline::new(&home, policy, None, &[Step::Mask], RunSettings::default())?;
    let packs = super::plugin::pack_metas(&args.schemas)?;
    let (name, version) = edit::name_version(&document)?;
    let masked = pipeline
        .mask(document, &packs)
        .with_context(|| format!("cannot mask {}", args.file.display()))?;
    for (plugin, count) in &masked.by_plugin {
        say(&format!("mask      {plugin}: {count} value(s) masked"));
    }
    let secrets: Vec<Secret> = masked.values.into_iter().map(Secret::from).collect();
    let known = secrets
        .iter()
        .map(|s| (s.pointer.clone(), s.key.clone()))
        .collect();
    let extracted = Extracted {
        placeholders: secrets::placeholders(&masked.document, &known)?,
        name,
        version,
        document: masked.document,
        secrets,
        macros: Vec::new(),
        by_plugin: masked.by_plugin,
    };
    // Sealing needs the passphrase's key: the home's, unlocked (or set up) like `login` does.
    let credentials = if extracted.secrets.is_empty() || args.write.secrets_out.is_none() {
        None
    } else {
        Some(Credentials::unlock_or_init(
            store.load()?,
            globals.passphrase(),
        )?)
    };
    write_outputs(&extracted, &args.write, credentials.as_ref())?;
    Ok(super::exit::success())
}
