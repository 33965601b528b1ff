//! The `ferry` command line: one module per command. Exit codes live in [`exit`]; everything
//! printed to stdout goes through [`out`] (`outln!`), so a closed pipe ends a command quietly.
// `println!` panics when the reader of stdout has gone: commands print with `outln!(...)?`.
#![warn(clippy::print_stdout)]

use std::process::ExitCode;

use crate::config::passphrase::Passphrase;
use clap::{Parser, Subcommand};

pub mod config;
pub mod confirm;
pub mod demo;
pub mod diff;
pub mod document_file;
pub mod env;
pub mod exit;
pub mod export;
pub mod findings;
pub mod hints;
pub mod import;
pub mod line_diff;
pub mod login;
pub mod mask;
pub mod migrate;
pub mod out;
pub mod plugin;
pub mod plugin_build;
pub mod plugin_new;
pub mod plugin_sign;
pub mod plugin_test;
pub mod policy;
pub mod profiles;
pub mod progress;
pub mod projects;
pub mod sandbox;
pub mod session;
pub mod shell;
pub mod table;
pub mod user_file;
pub mod validate;

#[derive(Parser)]
#[command(
    name = "ferry",
    version,
    about = "Move Palette cluster profiles between environments",
    after_help = exit::HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub globals: Globals,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Globals {
    /// Passphrase that unlocks stored credentials (else PALETTE_ENCRYPTION_PASSWORD, else a prompt).
    #[arg(
        short = 'k',
        long = "encryption-passphrase",
        global = true,
        value_parser = |text: &str| Ok::<_, std::convert::Infallible>(Passphrase::new(text))
    )]
    pub encryption_passphrase: Option<Passphrase>,
    /// More log output (-v: debug, -vv: trace). FERRY_LOG=<filter> overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// ferry's home for this run, in place of `FERRY_HOME` / `~/.ferry` (`ferry demo` keeps its
    /// environments in a folder of its own this way).
    #[arg(skip)]
    pub home: Option<std::path::PathBuf>,
}

impl Globals {
    /// The passphrase given with `-k`, if any (it is zeroized when `Globals` is dropped).
    pub fn passphrase(&self) -> Option<&str> {
        self.encryption_passphrase.as_ref().map(Passphrase::expose)
    }

    /// ferry's home: the one set for this run, else `FERRY_HOME`, else `~/.ferry`.
    pub fn home(&self) -> anyhow::Result<std::path::PathBuf> {
        match &self.home {
            Some(home) => Ok(home.clone()),
            None => crate::home::dir(),
        }
    }

    /// The credentials store in [`Globals::home`].
    pub fn store(&self) -> anyhow::Result<crate::config::store::Store> {
        Ok(crate::config::store::Store::new(self.home()?))
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// See it work: a migration between two sandboxes in this process, findings, fixes, secrets intact.
    Demo(demo::Args),
    /// Move profiles from one environment to another: export, mask, validate, approve, import
    /// (many at once with --all, --selector or --from-file: journaled, resumable).
    Migrate(migrate::Args),
    /// Export a profile, masked, with its secrets sealed beside it.
    Export(export::Args),
    /// Mask the secrets of an export document on disk.
    Mask(mask::Args),
    /// Check a document against a target environment (exit 3 when something would fail).
    Validate(validate::Args),
    /// Import a document into an environment, secrets restored, then verify it arrived as sent.
    Import(import::Args),
    /// What differs between a profile in two environments, or a file and an environment (exit 6).
    Diff(diff::Args),
    /// Check an API key against a Palette endpoint and store the environment.
    Login(login::Args),
    /// List, select, show or remove stored environments.
    Env(env::Args),
    /// Cluster profiles of an environment.
    Profiles(profiles::Args),
    /// ferry's own configuration (passphrase rotation).
    Config(config::Args),
    /// The plugins that run each step: list, inspect, install, run, test; sign and verify them.
    Plugin(plugin::Args),
    /// The policy in force: the pipeline it makes and where each setting came from; its mistakes.
    Policy(policy::Args),
    /// A local Palette-compatible API server to try ferry on.
    Sandbox(sandbox::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.globals.verbose);
    let result = dispatch(cli.command, &cli.globals);
    match result {
        Ok(code) => code,
        // The reader of stdout has gone (`ferry ... | head`): it has what it wanted.
        Err(err) if out::is_broken_pipe(&err) => exit::success(),
        Err(err) => {
            report(&err);
            exit::failure()
        }
    }
}

/// Runs `command`.
pub fn dispatch(command: Command, globals: &Globals) -> anyhow::Result<ExitCode> {
    match command {
        Command::Demo(args) => demo::run(args, globals),
        Command::Migrate(args) => migrate::run(args, globals),
        Command::Export(args) => export::run(args, globals),
        Command::Mask(args) => mask::run(args, globals),
        Command::Validate(args) => validate::run(args, globals),
        Command::Import(args) => import::run(args, globals),
        Command::Diff(args) => diff::run(args, globals),
        Command::Login(args) => login::run(args, globals),
        Command::Env(args) => env::run(args, globals),
        Command::Profiles(args) => profiles::run(args, globals),
        Command::Config(args) => config::run(args, globals),
        Command::Plugin(args) => plugin::run(args, globals),
        Command::Policy(args) => policy::run(args, globals),
        Command::Sandbox(args) => sandbox::run(args, globals),
    }
}

/// Prints an error the way the user reads it: what failed, then why, then what to do about it.
pub fn report(err: &anyhow::Error) {
    let mut hints = Vec::new();
    let mut lines = Vec::new();
    for cause in err.chain() {
        match hints::as_hint(cause) {
            Some(hint) => hints.push(hint.to_string()),
            None => lines.push(cause.to_string()),
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            eprintln!("error: {line}");
        } else {
            eprintln!("  caused by: {line}");
        }
    }
    for hint in hints {
        eprintln!("hint: {hint}");
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn,ferry=info",
        1 => "info,ferry=debug",
        _ => "debug,ferry=trace",
    };
    let filter = EnvFilter::try_from_env("FERRY_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for a person reading a terminal, not in a CI log or a file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .try_init();
}
