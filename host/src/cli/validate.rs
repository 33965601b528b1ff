//! `ferry validate`: every validate step against the target; exit 3 when any finding is an error.

use std::path::PathBuf;
use std::process::ExitCode;

use super::session::{Session, say};
use super::table::Output;
use super::{Globals, document_file};
use crate::pipeline::{RunSettings, edit, has_errors, transfer};
use crate::runtime::manifest::Step;

#[derive(clap::Args)]
pub struct Args {
    /// The export document to check (JSON or YAML).
    file: PathBuf,
    /// The stored environment it would be imported into.
    #[arg(long)]
    env: String,
    #[command(flatten)]
    map: MapArgs,
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

/// Where the target's packs come from, when not from the registry of the same name (`validate`,
/// `import`, `migrate`).
#[derive(clap::Args)]
pub struct MapArgs {
    /// Take the packs of the document's registry SRC from the target's registry DST. Repeatable.
    #[arg(long = "registry-map", value_name = "SRC=DST")]
    pub registry_map: Vec<String>,
    /// Take one pack from the target's registry DST (a mirror holding it). Repeatable.
    #[arg(long = "pack-map", value_name = "PACK[@VERSION]=DST")]
    pub pack_map: Vec<String>,
}

impl MapArgs {
    pub fn parse(&self) -> anyhow::Result<edit::RegistryMap> {
        Ok(edit::RegistryMap {
            registries: edit::parse_pairs(&self.registry_map, "--registry-map")?,
            packs: edit::parse_pairs(&self.pack_map, "--pack-map")?,
        })
    }
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let (document, _) = document_file::read(&args.file)?;
    let session = Session::open(globals, args.policy.as_deref(), &[&args.env])?;
    let pipeline = session.pipeline(
        args.policy.as_deref(),
        &[Step::Validate],
        RunSettings {
            target_env: Some(args.env.clone()),
            dry_run: true,
            ..RunSettings::default()
        },
    )?;
    let document = transfer::map_registries(
        &session.transport,
        &args.env,
        &document,
        &args.map.parse()?,
        None,
        &say,
    )?;
    let findings = pipeline.validate(&args.env, &document, &[]);
    super::findings::print(&findings, args.output)?;
    Ok(if has_errors(&findings) {
        super::exit::code(super::exit::VALIDATION_FAILED)
    } else {
        super::exit::success()
    })
}
