//! `ferry config`: ferry's own configuration.
//!
//! `rotate-passphrase` opens every secret with the current passphrase, seals it again under the new
//! one (fresh salt) and replaces the config in one atomic rename: a crash at any point leaves the old
//! file (old passphrase) or the new one (new passphrase), never a mix.

use super::exit;
use crate::outln;
use std::process::ExitCode;

use super::Globals;
use crate::config::Credentials;
use crate::config::crash_hook::crash_point;
use crate::config::passphrase;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Re-encrypt every stored secret under a new passphrase (the current one unlocks them first).
    RotatePassphrase {
        /// Read the new passphrase from standard input (else FERRY_NEW_ENCRYPTION_PASSWORD, else a prompt).
        #[arg(long)]
        new_passphrase_stdin: bool,
    },
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let Command::RotatePassphrase {
        new_passphrase_stdin,
    } = args.command;
    let store = globals.store()?;
    let lock = store.lock()?;
    let config = store.load()?;
    if !config.has_secrets() {
        anyhow::bail!(
            "there is nothing to re-encrypt: no environment is stored (the next `ferry login` sets the passphrase)"
        );
    }
    let credentials = Credentials::unlock(config, globals.passphrase())?;
    crash_point("rotate:unlocked");
    let new = passphrase::obtain_new(new_passphrase_stdin)?;
    let (config, _key) = credentials.resealed(&new)?;
    crash_point("rotate:resealed");
    store.save(&lock, &config)?;
    let secrets = config.environments.len();
    outln!(
        "Re-encrypted {secrets} secret{} under the new passphrase in {}.",
        if secrets == 1 { "" } else { "s" },
        store.path().display()
    )?;
    Ok(exit::success())
}
