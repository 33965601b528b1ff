//! `ferry demo`: the main job on an embedded default. Two Palette sandboxes run in this process: a
//! source holding realistic profiles, and a self-hosted-like target whose "Public Repo" lacks one pack
//! (a private mirror holds it) and which has none of the source's macros. Then the migration a user
//! would run: first as is, showing each finding, then with the fixes, the profiles arriving with
//! every secret intact. Every step is the real command (`login`, `migrate`) run on a throwaway home,
//! printed as the user would type it.

use std::ffi::OsString;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use ferry_sandbox::{Mirror, RunningSandbox, SandboxConfig};
use serde_json::json;

use super::{Cli, Globals, dispatch, exit};
use crate::config::passphrase::Passphrase;
use crate::outln;

#[derive(clap::Args)]
pub struct Args {}

/// The source's profiles: a real export, and one with secrets in every kind of place.
const ML_OPS: &str = include_str!("../../../tests/fixtures/ml-ops-export.json");
const WEB_STACK: &str = include_str!("../../demo/web-stack.json");
/// The values Palette withholds on export (a schema-marked password, a sensitive variable): the
/// user gives them with `--set`, as the findings say.
const WITHHELD: [(&str, &str); 2] = [
    (
        "akuity-agent:charts.akuity-agent.akuityApiKeySecret",
        "ak-live-0123456789",
    ),
    ("var.admin_pw", "sensitive-var-value"),
];
/// The source tenant's macros, which the target lacks.
const MACROS: [(&str, &str); 2] = [("region", "eu-west-1"), ("cluster_prefix", "acme")];
const MIRROR: &str = "Corp Mirror";
const MISSING_PACK: &str = "istio@1.6.2";

pub fn run(_args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let work = tempfile::tempdir().context("cannot make the demo's working folder")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    outln!("ferry demo: two Palette sandboxes on loopback, a migration between them.\n")?;
    let (saas, onprem) = runtime.block_on(async {
        let saas = start(work.path().join("saas"), None).await?;
        let onprem = start(
            work.path().join("onprem"),
            Some(Mirror {
                name: MIRROR.into(),
                packs: vec![MISSING_PACK.into()],
            }),
        )
        .await?;
        seed_source(&saas).await?;
        anyhow::Ok((saas, onprem))
    })?;
    outln!(
        "  saas    {}  the source: profiles \"ML Ops\" 1.0.0 (a real export) and \"web-stack\" 1.2.0\n          \
         (secrets in schema-marked, unmarked, manifest and variable places), macros {}",
        saas.url(),
        MACROS.map(|(name, _)| name).join(", ")
    )?;
    outln!(
        "  onprem  {}  the target, self-hosted: its Public Repo lacks {MISSING_PACK} (the registry\n          \
         \"{MIRROR}\" mirrors it) and it has none of the macros\n",
        onprem.url()
    )?;

    // A home of its own with a random passphrase: the demo never touches the user's environments.
    let home = work.path().join("home");
    let demo = Globals {
        encryption_passphrase: Some(Passphrase::new(random_passphrase())),
        verbose: globals.verbose,
        home: Some(home),
    };
    for (env, sandbox) in [("saas", &saas), ("onprem", &onprem)] {
        let key = admin_key(sandbox)?;
        let code = ferry(
            &demo,
            &[
                "login",
                "--env",
                env,
                "--endpoint",
                sandbox.url(),
                "--api-key",
                &key,
            ],
        )?;
        anyhow::ensure!(code == exit::success(), "logging in to {env} failed");
    }

    let profiles = [
        "--from",
        "saas",
        "--to",
        "onprem",
        "ML Ops@1.0.0",
        "web-stack@1.2.0",
    ];
    outln!("\n1. The migration as is: ferry checks the target before it changes anything.")?;
    let mut first = vec!["migrate"];
    first.extend(profiles);
    let code = ferry(&demo, &first)?;
    anyhow::ensure!(
        code == exit::code(exit::VALIDATION_FAILED),
        "the first run should have stopped at validation"
    );

    outln!(
        "\n2. With the fixes the findings name: the pack from the mirror, the macros created with the\n   \
         source's values, and the two values Palette withheld on export given with --set."
    )?;
    let pack_map = format!("{MISSING_PACK}={MIRROR}");
    let sets: Vec<String> = WITHHELD
        .iter()
        .map(|(place, value)| format!("{place}={value}"))
        .collect();
    let mut second = first.clone();
    second.extend(["--pack-map", &pack_map, "--create-macros", "--yes"]);
    for set in &sets {
        second.extend(["--set", set]);
    }
    let code = ferry(&demo, &second)?;
    anyhow::ensure!(code == exit::success(), "the second run did not import");

    outln!("\n3. Again: what has arrived as sent is not sent twice.")?;
    let code = ferry(&demo, &second)?;
    anyhow::ensure!(code == exit::success(), "the re-run failed");

    outln!(
        "\nBoth profiles are in onprem. The secrets travelled in memory only, never written to disk or\n\
         printed; after the import ferry read each profile back and compared every value the target\n\
         hands out (secrets by digest). To do this between your own environments: `ferry login` to\n\
         each, then `ferry migrate --from A --to B NAME@VERSION` (docs/USAGE.md)."
    )?;
    runtime.block_on(async {
        saas.shutdown().await?;
        onprem.shutdown().await
    })?;
    Ok(exit::success())
}

/// Runs a ferry command line in this process under `globals`, printing it first as typed (the
/// values of `--api-key` and `--set` shown as `…`: they are secrets).
fn ferry(globals: &Globals, args: &[&str]) -> anyhow::Result<ExitCode> {
    outln!("\n$ ferry {}", shown(args))?;
    let cli = Cli::try_parse_from(
        std::iter::once("ferry")
            .chain(args.iter().copied())
            .map(OsString::from),
    )?;
    dispatch(cli.command, globals)
}

fn shown(args: &[&str]) -> String {
    let mut out = Vec::new();
    let mut secret_next = false;
    for arg in args {
        let shown = if secret_next {
            match arg.split_once('=') {
                Some((place, _)) => format!("{place}=…"),
                None => "…".to_string(),
            }
        } else {
            arg.to_string()
        };
        secret_next = matches!(*arg, "--api-key" | "--set");
        out.push(
            if shown.contains([' ', '@', '\'']) && !shown.contains('\'') {
                format!("'{shown}'")
            } else {
                shown
            },
        );
    }
    out.join(" ")
}

async fn start(
    data_dir: std::path::PathBuf,
    mirror: Option<Mirror>,
) -> anyhow::Result<RunningSandbox> {
    let mut config = SandboxConfig::new(data_dir);
    config.listen = "127.0.0.1:0".parse()?;
    config.mirror = mirror;
    ferry_sandbox::start(config).await
}

fn admin_key(sandbox: &RunningSandbox) -> anyhow::Result<String> {
    sandbox
        .tenant("acme")
        .and_then(|t| t.keys.iter().find(|k| k.role == "admin"))
        .map(|k| k.key.clone())
        .context("the sandbox has no admin key for tenant acme")
}

/// The source's profiles and macros, put in through the API as a user's Palette would hold them.
async fn seed_source(saas: &RunningSandbox) -> anyhow::Result<()> {
    let key = admin_key(saas)?;
    let tenant = saas.tenant("acme").context("no tenant acme")?.uid.clone();
    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        http.post(format!("{}{path}", saas.url()))
            .header("ApiKey", &key)
            .json(&body)
            .send()
    };
    let macros: Vec<_> = MACROS
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let reply = post(
        format!("/v1/tenants/{tenant}/macros"),
        json!({ "macros": macros }),
    )
    .await?;
    anyhow::ensure!(
        reply.status().is_success(),
        "seeding macros: {}",
        reply.status()
    );
    for profile in [ML_OPS, WEB_STACK] {
        let body: serde_json::Value = serde_json::from_str(profile)?;
        let reply = post("/v1/clusterprofiles/import".into(), body).await?;
        anyhow::ensure!(
            reply.status().is_success(),
            "seeding a profile: {} {}",
            reply.status(),
            reply.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// Random, and meeting the passphrase policy (every class of character).
fn random_passphrase() -> String {
    use rand::Rng;
    let random: String = rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(24)
        .map(char::from)
        .collect();
    format!("Demo-9-{random}")
}
