//! `ferry login`: checks an API key against a Palette endpoint, then stores the environment.
//!
//! Order matters: the passphrase is checked (or, on a fresh home, chosen and checked against the
//! policy) first, then the key is tried against the endpoint, and only when both succeed is anything
//! written. Without `--project` the environment works at tenant scope. Logging in again under the same
//! name replaces the entry. The first environment stored becomes the current one.
//!
//! With `--credential-provider NAME[:REF]` no key is stored: the provider (native code the policy
//! allows, docs/NATIVE.md) is asked for it now, to check it works, and by every later command.

use super::exit;
use crate::outln;
use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use zeroize::Zeroizing;

use super::Globals;
use super::hints::{self, Origin};
use crate::config::store::check_env_name;
use crate::config::{Credentials, Environment, ProjectRef};
use crate::native::{self, ProviderRef};
use crate::palette::{self, ApiKey, Client, ClientOptions, RetryPolicy, Scope};

#[derive(clap::Args)]
#[command(group = clap::ArgGroup::new("key").required(true).args(["api_key", "api_key_stdin", "credential_provider"]))]
pub struct Args {
    /// The name to store the environment under (e.g. prod).
    #[arg(long = "env", value_name = "NAME")]
    pub env: String,
    /// Palette API endpoint, e.g. https://api.spectrocloud.com.
    #[arg(long, value_name = "URL")]
    pub endpoint: String,
    /// The API key. Other users can see command lines: prefer --api-key-stdin.
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Read the API key from standard input.
    #[arg(long)]
    pub api_key_stdin: bool,
    /// Store no key: ask this native credential provider for it whenever one is needed
    /// (NAME is its library's name in the directory the policy's [credential-providers] names;
    /// REF is passed to it, e.g. a vault path). See docs/NATIVE.md.
    #[arg(long, value_name = "NAME[:REF]")]
    pub credential_provider: Option<String>,
    /// Policy file that allows the credential provider (default: FERRY_POLICY, else ferry's
    /// home policy.toml).
    #[arg(long, value_name = "FILE", requires = "credential_provider")]
    pub policy: Option<std::path::PathBuf>,
    /// Work in this project (its name; ferry stores its uid).
    #[arg(long, value_name = "NAME", conflicts_with = "tenant")]
    pub project: Option<String>,
    /// Work at tenant scope (the default when --project is not given).
    #[arg(long)]
    pub tenant: bool,
    /// Accept an invalid TLS certificate (a self-hosted Palette with a private CA).
    #[arg(long)]
    pub insecure: bool,
    /// Accept a plain http:// endpoint on another machine: the API key then crosses the network
    /// in clear. (Loopback endpoints need no flag.)
    #[arg(long)]
    pub insecure_http: bool,
}

impl std::fmt::Debug for Args {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Args")
            .field("env", &self.env)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    check_env_name(&args.env)?;
    let provider = args
        .credential_provider
        .as_deref()
        .map(ProviderRef::parse)
        .transpose()?;
    let home = globals.home()?;
    let api_key = match &provider {
        Some(provider) => {
            let native = native::Context {
                home: &home,
                policy: args.policy.as_deref(),
            };
            native::api_key(native, &args.env, &args.endpoint, provider)
                .with_context(|| format!("login to {:?} failed; nothing was stored", args.env))?
        }
        None => read_api_key(&args)?,
    };
    let store = globals.store()?;
    let lock = store.lock()?;
    let mut credentials = Credentials::unlock_or_init(store.load()?, globals.passphrase())?;

    let checked = palette::block_on(check_key(&args, api_key.clone()))?
        .with_context(|| format!("login to {:?} failed; nothing was stored", args.env))?;

    credentials.upgrade()?;
    let mut env = Environment {
        endpoint: checked.endpoint.clone(),
        insecure: args.insecure,
        insecure_http: args.insecure_http,
        tenant_uid: checked.tenant_uid.clone(),
        project: checked.project.clone(),
        api_key: String::new(),
        credential_provider: provider.clone(),
    };
    env.api_key = match &provider {
        Some(_) => credentials.seal_provider_marker(&args.env, &env),
        None => credentials.seal_api_key(&api_key, &args.env, &env),
    };
    let config = credentials.config_mut();
    let replaced = config.environments.contains_key(&args.env);
    config.environments.insert(args.env.clone(), env);
    let selected = config.current.is_none();
    if selected {
        config.current = Some(args.env.clone());
    }
    store.save(&lock, credentials.config())?;

    let scope = match &checked.project {
        Some(p) => format!("project {} ({})", p.name, p.uid),
        None => "tenant scope (use --project NAME to work in a project)".to_owned(),
    };
    outln!(
        "{} {:?}: {}, tenant {}, {scope}.",
        if replaced { "Updated" } else { "Logged in to" },
        args.env,
        checked.endpoint,
        checked.tenant_uid
    )?;
    if selected {
        outln!("{:?} is now the current environment.", args.env)?;
    }
    match &provider {
        Some(provider) => outln!(
            "Stored in {} (no API key: credential provider {} gives it when a command needs it).",
            store.path().display(),
            provider.name
        )?,
        None => outln!("Stored in {} (API key encrypted).", store.path().display())?,
    }
    Ok(exit::success())
}

struct Checked {
    endpoint: String,
    tenant_uid: String,
    project: Option<ProjectRef>,
}

/// Proves the key works (`/v1/users/info`) and resolves the project name.
async fn check_key(args: &Args, key: ApiKey) -> anyhow::Result<Checked> {
    // Fewer retries than a pipeline run: the user is waiting for an answer about a typo.
    let options = ClientOptions {
        insecure: args.insecure,
        insecure_http: args.insecure_http,
        retry: RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    };
    let client = Client::new(&args.endpoint, key, Scope::Tenant, &options)?;
    let explain = |e| {
        hints::explain(
            e,
            Origin::Login {
                endpoint: &args.endpoint,
            },
        )
    };
    let info = client.user_info().await.map_err(explain)?;
    let project = match &args.project {
        Some(name) => {
            let project = client.resolve_project(name).await.map_err(explain)?;
            Some(ProjectRef {
                name: project.name,
                uid: project.uid,
            })
        }
        None => None,
    };
    Ok(Checked {
        endpoint: client.endpoint().to_owned(),
        tenant_uid: info.tenant_uid,
        project,
    })
}

fn read_api_key(args: &Args) -> anyhow::Result<ApiKey> {
    let text = match &args.api_key {
        Some(key) => Zeroizing::new(key.clone()),
        None => {
            let mut text = Zeroizing::new(String::new());
            std::io::stdin()
                .read_to_string(&mut text)
                .context("cannot read the API key from standard input")?;
            text
        }
    };
    let source = if args.api_key.is_some() {
        "--api-key"
    } else {
        "standard input"
    };
    ApiKey::new(text.as_str())
        .map_err(|why| anyhow::anyhow!("no usable API key from {source}: {why}"))
}
