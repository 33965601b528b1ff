//! `ferry validate`: every validate step against the target; exit 3 when any finding is an error.

use std::path::PathBuf;
use std::process::ExitCode;

use super::Globals;
use super::session::{Session, say};
use super::table::Output;
use crate::pipeline::{RunSettings, edit, has_errors, target};
use crate::runtime::manifest::Step;

#[derive(clap::Args)]
pub struct Args {
    /// The export document to check.
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
    let document = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    edit::name_version(&document)
        .map_err(|e| e.context(format!("{} is not a profile export", args.file.display())))?;
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
