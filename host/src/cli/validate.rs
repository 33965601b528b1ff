//! `ferry validate`: every validate step against the target; exit 3 when any finding is an error.

use std::path::PathBuf;
use std::process::ExitCode;

use super::session::{Session, say};
use super::table::Output;
use super::{Globals, document_file};
use crate::pipeline::{RunSettings, edit, has_errors, target};
use crate::runtime::manifest::Step;

#[derive(clap::Args)]
pub struct Args {
    /// The export document to check (JSON or YAML).
    file: PathBuf,
    /// The stored environment it would be imported into.
    #[arg(long)]
    env: String,
    /// Match the document's registry SRC to the target's DST. Repeatable.
    #[arg(long = "registry-map", value_name = "SRC=DST")]
    registry_map: Vec<String>,
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let (document, _) = document_file::read(&args.file)?;
    let session = Session::open(globals, &[&args.env])?;
    let pipeline = session.pipeline(
        args.policy.as_deref(),
        &[Step::Validate],
        RunSettings {
            target_env: Some(args.env.clone()),
            dry_run: true,
            ..RunSettings::default()
        },
    )?;
    let map = edit::parse_pairs(&args.registry_map, "--registry-map")?;
    let client = session.transport.client(&args.env)?;
    let registries = session.transport.block_on(target::registries(client))?;
    let (document, notes) = edit::map_registries(&document, &map, &registries)?;
    for note in notes {
        say(&format!("registry  {note}"));
    }
    let findings = pipeline.validate(&document, &[]);
    super::findings::print(&findings, args.output)?;
    Ok(if has_errors(&findings) {
        super::exit::code(super::exit::VALIDATION_FAILED)
    } else {
        super::exit::success()
    })
}
