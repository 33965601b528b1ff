//! `ferry profiles`: the cluster profiles of an environment.
//!
//! `--project NAME` looks at another project of the same tenant than the one stored with the
//! environment; `--project` with a tenant-scoped environment works the same way.

use super::exit;
use crate::outln;
use std::process::ExitCode;

use super::Globals;
use super::hints::{self, Origin};
use super::table::{Output, print_stdout, print_table};
use crate::config::Credentials;
use crate::native;
use crate::palette::{self, Scope};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Name, version, uid, type and scope of each cluster profile.
    List(ListArgs),
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// The environment (default: the one chosen with `ferry env use`).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Option<String>,
    /// Another project of the environment's tenant, by name.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let Command::List(args) = args.command;
    let config = globals.store()?.load()?;
    let name = config.select(args.env.as_deref())?.0.to_owned();
    let credentials = Credentials::unlock(config, globals.passphrase())?;
    let home = globals.home()?;
    let client = credentials.client(
        &name,
        native::Context {
            home: &home,
            policy: None,
        },
    )?;
    let profiles = palette::block_on(async {
        let client = match &args.project {
            Some(project) => {
                client.with_scope(Scope::Project(client.resolve_project(project).await?.uid))
            }
            None => client,
        };
        client.profiles().await
    })?
    .map_err(|e| hints::explain(e, Origin::Stored { env: &name }))?;

    match args.output {
        Output::Json => print_stdout(&format!("{}\n", serde_json::to_string_pretty(&profiles)?))?,
        Output::Table if profiles.is_empty() => outln!("No cluster profiles in {name:?}.")?,
        Output::Table => {
            let rows: Vec<[String; 5]> = profiles
                .into_iter()
                .map(|p| [p.name, p.version, p.uid, p.profile_type, p.scope])
                .collect();
            print_table(&["NAME", "VERSION", "UID", "TYPE", "SCOPE"], &rows)?;
        }
    }
    Ok(exit::success())
}
