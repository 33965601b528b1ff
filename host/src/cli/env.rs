//! `ferry env`: list, select, show or remove stored environments.
//!
//! `list`, `use` and `remove` read only clear metadata and need no passphrase. `show` unlocks the
//! credentials to show the last four characters of the API key, which is also how a user checks a
//! passphrase without touching Palette. Removing the last environment also forgets the passphrase
//! check, so the next `ferry login` may choose a new passphrase (the way out of a lost one).

use super::exit;
use crate::outln;
use std::process::ExitCode;

use super::Globals;
use super::table::print_table;
use crate::config::{Credentials, Store};
use crate::native;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// The stored environments; `*` marks the current one.
    List,
    /// Make NAME the environment commands use when --env is not given.
    Use { name: String },
    /// One environment's details (unlocks the credentials).
    Show { name: Option<String> },
    /// Forget an environment and its API key.
    Remove { name: String },
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let store = globals.store()?;
    match args.command {
        Command::List => list(&store),
        Command::Use { name } => {
            let lock = store.lock()?;
            let mut config = store.load()?;
            config.select(Some(&name))?;
            config.current = Some(name.clone());
            store.save(&lock, &config)?;
            outln!("Now using {name:?}.")?;
            Ok(exit::success())
        }
        Command::Show { name } => {
            let config = store.load()?;
            let name = config.select(name.as_deref())?.0.to_owned();
            let credentials = Credentials::unlock(config, globals.passphrase())?;
            let home = globals.home()?;
            let native = native::Context {
                home: &home,
                policy: None,
            };
            show(&credentials, &name, native)
        }
        Command::Remove { name } => {
            let lock = store.lock()?;
            let mut config = store.load()?;
            config.select(Some(&name))?;
            config.environments.remove(&name);
            if config.current.as_deref() == Some(&name) {
                config.current = None;
            }
            if !config.has_secrets() {
                config.passphrase_check = None;
            }
            store.save(&lock, &config)?;
            outln!("Removed {name:?} and its API key.")?;
            if config.environments.is_empty() {
                outln!("No environment is left; the next `ferry login` chooses the passphrase.")?;
            } else if config.current.is_none() {
                outln!("No environment is selected now: pick one with `ferry env use NAME`.")?;
            }
            Ok(exit::success())
        }
    }
}

fn list(store: &Store) -> anyhow::Result<ExitCode> {
    let config = store.load()?;
    if config.environments.is_empty() {
        outln!(
            "No environment is stored. Add one with `ferry login --env NAME --endpoint URL --api-key-stdin`."
        )?;
        return Ok(exit::success());
    }
    let rows: Vec<[String; 4]> = config
        .environments
        .iter()
        .map(|(name, env)| {
            let current = if config.current.as_deref() == Some(name) {
                "*"
            } else {
                ""
            };
            let scope = env
                .project
                .as_ref()
                .map_or("tenant".to_owned(), |p| format!("project {}", p.name));
            [
                current.to_owned(),
                name.clone(),
                env.endpoint.clone(),
                scope,
            ]
        })
        .collect();
    print_table(&["", "NAME", "ENDPOINT", "SCOPE"], &rows)?;
    Ok(exit::success())
}

fn show(
    credentials: &Credentials,
    name: &str,
    native: native::Context,
) -> anyhow::Result<ExitCode> {
    let config = credentials.config();
    let env = &config.environments[name];
    // The provider is not asked just to show a key's tail: showing must not run native code.
    let key_line = match &env.credential_provider {
        Some(provider) => {
            format!("from credential provider {provider} (asked when a command needs it)")
        }
        None => {
            let key = credentials.api_key(name, native)?;
            let tail: String = key
                .expose()
                .chars()
                .rev()
                .take(4)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("****{tail} (encrypted at rest)")
        }
    };
    outln!(
        "name:      {name}{}",
        if config.current.as_deref() == Some(name) {
            " (current)"
        } else {
            ""
        }
    )?;
    outln!("endpoint:  {}", env.endpoint)?;
    outln!("tenant:    {}", env.tenant_uid)?;
    match &env.project {
        Some(p) => outln!("scope:     project {} ({})", p.name, p.uid)?,
        None => outln!("scope:     tenant")?,
    }
    if env.insecure {
        outln!("tls:       certificate not verified (--insecure)")?;
    }
    outln!("api key:   {key_line}")?;
    Ok(exit::success())
}
