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
    let (started, counted) = (std::time::Instant::now(), crate::timing::snapshot());
    let mut worst = super::exit::success();
    // Each `--set` fills the profiles that have its place; one that fills none is a mistake.
    let mut unused: Vec<Option<anyhow::Error>> = sets.values.iter().map(|_| None).collect();
    let mut used = vec![false; sets.values.len()];
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
        let each = crate::pipeline::edit::resolve_each(&extracted.document, &sets.values)?;
        for (i, found) in each.into_iter().enumerate() {
            match found {
                Ok(found) => {
                    used[i] = true;
                    fills.extend(found);
                }
                Err(why) => unused[i] = Some(why),
            }
        }
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
    if globals.verbose > 0 {
        let spent = crate::timing::snapshot().since(&counted);
        say(&format!("time      {}", spent.split(started.elapsed())));
    }
    if let Some(why) = used
        .iter()
        .zip(unused)
        .find_map(|(used, why)| if *used { None } else { why })
    {
        return Err(why.context("a --set filled nothing in any of the profiles"));
    }
    Ok(worst)
}
