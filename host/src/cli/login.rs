//! `ferry login`.

use std::process::ExitCode;

use super::Globals;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args, _globals: &Globals) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ferry login` is not built yet")
}
