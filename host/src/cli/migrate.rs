//! `ferry migrate`: export, mask, validate, approve and import a few profiles in one go, secrets
//! carried in memory only, each step's outcome printed as it happens.

use std::process::ExitCode;

use super::Globals;
use super::import::{DeliverArgs, conclude};
use super::session::{Session, say};
use crate::pipeline::secrets::Fill;
use crate::pipeline::transfer;
use crate::runtime::manifest::Step;

#[derive(clap::Args)]
pub struct Args {
    /// The stored environment to move from.
    #[arg(long)]
    from: String,
    /// The stored environment to move to.
    #[arg(long)]
    to: String,
    /// The profiles: NAME or NAME@VERSION (the highest version when none is given).
    #[arg(required = true)]
    profiles: Vec<String>,
    #[command(flatten)]
    deliver: DeliverArgs,
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    if args.from == args.to {
        anyhow::bail!(
            "--from and --to name the same environment ({}); nothing would move",
            args.from
        );
    }
    let (opts, sets) = args.deliver.options()?;
    let session = Session::open(globals, &[&args.from, &args.to])?;
    let pipeline = session.pipeline(
        args.deliver.policy.as_deref(),
        &Step::ALL,
        args.deliver.settings(Some(&args.from), &args.to),
    )?;
    let mut worst = super::exit::success();
    for wanted in &args.profiles {
        say(&format!("── {wanted}: {} → {}", args.from, args.to));
        let extracted = transfer::extract(
            &pipeline,
            &session.transport,
            &args.from,
            &super::export::profile_ref(wanted),
            &say,
        )?;
        let mut fills: Vec<Fill> = extracted.secrets.iter().map(Fill::from).collect();
        fills.extend(crate::pipeline::edit::resolve_sets(
            &extracted.document,
            &sets.values,
        )?);
        let carried = transfer::Carried {
            fills: &fills,
            macros: &extracted.macros,
        };
        let (outcome, findings) = transfer::deliver(
            &pipeline,
            &session.transport,
            &args.to,
            &extracted.document,
            &carried,
            &opts,
            &say,
        )?;
        let code = conclude(&outcome, &findings, args.deliver.output)?;
        if code != super::exit::success() {
            worst = code;
        }
    }
    Ok(worst)
}
