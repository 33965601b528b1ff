//! `ferry sandbox serve`: a local Palette-compatible API server (see [`ferry_sandbox`] for the contract
//! of its output and its behaviour).

use super::exit;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::Globals;
use ferry_sandbox::{
    self as sandbox, ExtraKey, FaultConfig, RateLimits, ReadyLine, SandboxConfig, faults,
};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// Keeps the global `-k/--encryption-passphrase` out of `sandbox` and its help: the sandbox never
    /// unlocks credentials. Clap does not hand a global option to a subcommand that defines its own
    /// of that id; this one is hidden and refuses any value.
    #[arg(
        short = 'k',
        long = "encryption-passphrase",
        hide = true,
        value_parser = refuse_passphrase
    )]
    encryption_passphrase: Option<String>,
}

fn refuse_passphrase(_: &str) -> Result<String, String> {
    Err("the sandbox uses no passphrase".into())
}

#[derive(clap::Subcommand)]
enum Command {
    /// Serve Palette's API on loopback, storing in a SQLite file; prints one JSON line when ready.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = sandbox::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Folder of the SQLite database [default: <FERRY_HOME>/sandbox].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Seed the registries from this folder of pack folders (pack.json, values.yaml, schema.yaml,
    /// presets.yaml) instead of the packs built in.
    #[arg(long, value_name = "DIR")]
    seed_dir: Option<PathBuf>,
    /// Include each tenant's API keys in the ready line.
    #[arg(long)]
    print_keys: bool,
    /// Also accept this key for this run: KEY (admin of the first tenant), TENANT:KEY or TENANT/ROLE:KEY
    /// (roles: admin, read-only, list-only). Repeatable.
    #[arg(long = "api-key", value_name = "[TENANT[/ROLE]:]KEY")]
    api_keys: Vec<ExtraKey>,
    /// Rate limits: on (Palette's: 10 req/s burst 5, /v1/clusterprofiles* 50 req/s burst 250), off, or
    /// general=RATE/BURST,profiles=RATE/BURST.
    #[arg(long, default_value = "on", value_parser = |s: &str| RateLimits::parse(s).map(Limits))]
    rate_limit: Limits,
    /// Seed of the fault sequence: the same seed and requests give the same faults.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Probability (0-1) that a request fails with one of --fault-error-status.
    #[arg(long, default_value_t = 0.0)]
    fault_error_rate: f64,
    /// Status codes of injected errors.
    #[arg(long, default_value = "500,502,503", value_parser = |s: &str| faults::parse_statuses(s).map(Statuses))]
    fault_error_status: Statuses,
    /// Latency added to every request: MS or MIN-MAX.
    #[arg(long, default_value = "0", value_parser = faults::parse_latency)]
    fault_latency_ms: (u64, u64),
    /// Probability (0-1) that a request starts a burst of 429s.
    #[arg(long, default_value_t = 0.0)]
    fault_burst_rate: f64,
    /// Length of a 429 burst.
    #[arg(long, default_value_t = 5)]
    fault_burst_len: u32,
    /// Probability (0-1) that a request's connection is dropped.
    #[arg(long, default_value_t = 0.0)]
    fault_drop_rate: f64,
    /// Probability (0-1) that a request is handled and its connection then dropped (the answer lost).
    #[arg(long, default_value_t = 0.0)]
    fault_lost_rate: f64,
    /// Probability (0-1) that a request is held --fault-slow-ms longer (a latency spike).
    #[arg(long, default_value_t = 0.0)]
    fault_slow_rate: f64,
    /// The latency spike of --fault-slow-rate, in milliseconds.
    #[arg(long, default_value_t = 0)]
    fault_slow_ms: u64,
    /// A private registry holding these packs in place of "Public Repo", as a self-hosted Palette
    /// mirrors packs: `NAME=PACK@VERSION,...`.
    #[arg(long, value_name = "NAME=PACK@VERSION,...", value_parser = parse_mirror)]
    mirror: Option<ferry_sandbox::Mirror>,
}

// Newtypes: clap gives `Option<T>` and `Vec<T>` fields a meaning of their own.
#[derive(Clone)]
struct Limits(Option<RateLimits>);

#[derive(Clone)]
struct Statuses(Vec<u16>);

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Serve(args) => serve(args, globals),
    }
}

fn serve(args: ServeArgs, globals: &Globals) -> anyhow::Result<ExitCode> {
    let data_dir = match args.data {
        Some(dir) => dir,
        None => globals.home()?.join("sandbox"),
    };
    let config = SandboxConfig {
        listen: args.listen,
        data_dir,
        seed_dir: args.seed_dir,
        extra_keys: args.api_keys,
        rate_limits: args.rate_limit.0,
        faults: FaultConfig {
            seed: args.fault_seed,
            error_rate: args.fault_error_rate,
            error_statuses: args.fault_error_status.0,
            latency_ms: args.fault_latency_ms,
            burst_rate: args.fault_burst_rate,
            burst_len: args.fault_burst_len,
            drop_rate: args.fault_drop_rate,
            lost_rate: args.fault_lost_rate,
            slow_rate: args.fault_slow_rate,
            slow_ms: args.fault_slow_ms,
        },
        mirror: args.mirror,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let running = sandbox::start(config).await?;
        let mut tenants = running.tenants().to_vec();
        if !args.print_keys {
            tenants.iter_mut().for_each(|t| t.keys.clear());
        }
        let line = serde_json::to_string(&ReadyLine {
            url: running.url(),
            tenants: &tenants,
        })?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{line}")?;
        stdout.flush()?;
        drop(stdout);
        tracing::info!("sandbox serving at {}; stop with Ctrl-C", running.url());
        wait_for_signal().await?;
        running.shutdown().await?;
        Ok(exit::success())
    })
}

async fn wait_for_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("cannot listen for SIGINT")?,
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    Ok(())
}

fn parse_mirror(text: &str) -> Result<ferry_sandbox::Mirror, String> {
    let (name, packs) = text
        .split_once('=')
        .filter(|(name, packs)| !name.trim().is_empty() && packs.contains('@'))
        .ok_or_else(|| format!("--mirror takes NAME=PACK@VERSION,...; got {text:?}"))?;
    Ok(ferry_sandbox::Mirror {
        name: name.trim().to_string(),
        packs: packs.split(',').map(|p| p.trim().to_string()).collect(),
    })
}
