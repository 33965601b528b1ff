//! `ferry policy show|check`: the pipeline the policy in force makes, with where each setting
//! came from, and every mistake in it, with its file and line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use super::table::Output;
use super::{Globals, exit};
use crate::outln;
use crate::pipeline::default_plugins;
use crate::runtime::catalog::{self, Entry};
use crate::runtime::manifest::Step;
use crate::runtime::policy::{Policy, check};

#[derive(clap::Args)]
pub struct Args {
    /// Policy file (default: FERRY_POLICY, else ferry.toml from here upward laid over
    /// <ferry home>/policy.toml).
    #[arg(long, global = true)]
    policy: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The effective pipeline: the plugins of each step in order, their grants, config, limits,
    /// pins, and the file and line each setting came from.
    Show {
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Every mistake: unknown plugins, grants a plugin does not request, bad ranges, steps a
    /// plugin does not serve, plugins the policy would refuse. Exit 1 when there is one.
    Check,
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let home = globals.home()?;
    match args.command {
        Command::Show { output } => {
            let policy = Policy::load(&home, args.policy.as_deref())?;
            show(&home, &policy, output)
        }
        Command::Check => run_check(&home, args.policy.as_deref()),
    }
}

fn run_check(home: &Path, explicit: Option<&Path>) -> anyhow::Result<ExitCode> {
    let (policy, mut problems) = Policy::read(home, explicit)?;
    if policy.files.is_empty() {
        outln!(
            "no policy file: the built-in plugins run alone (write ferry.toml here, or <ferry home>/policy.toml)"
        )?;
        return Ok(exit::success());
    }
    problems.extend(check::check(&policy, &catalog::all(home)));
    let problems = check::sorted(problems, &policy);
    for problem in &problems {
        outln!("{problem}")?;
    }
    let files: Vec<String> = policy
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    if problems.is_empty() {
        outln!("policy ok: {}", files.join(", "))?;
        return Ok(exit::success());
    }
    eprintln!(
        "{} mistake(s) in {}; each line says where and what to do",
        problems.len(),
        files.join(", ")
    );
    Ok(exit::failure())
}

/// A setting's source as `show` prints it.
fn from(policy: &Policy, setting: &str, default: &str) -> String {
    policy
        .origin(setting)
        .map_or_else(|| default.to_string(), ToString::to_string)
}

fn show(home: &Path, policy: &Policy, output: Output) -> anyhow::Result<ExitCode> {
    let known = catalog::all(home);
    let mut steps = Vec::new();
    for step in Step::ALL {
        let (ids, source) = match policy.steps.get(&step) {
            Some(ids) => (ids.clone(), from(policy, &format!("steps.{step}"), "")),
            None => (
                default_plugins(step)
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                "ferry's default".to_string(),
            ),
        };
        let plugins: Vec<Value> = ids
            .iter()
            .map(|id| plugin_json(policy, &known, id))
            .collect();
        steps.push(json!({ "step": step, "from": source, "plugins": plugins }));
    }
    let keys: Vec<Value> = policy
        .trusted_keys
        .iter()
        .map(|(name, key)| {
            json!({ "name": name, "key": key.to_string(), "from": from(policy, &format!("trusted-keys.{name}"), "") })
        })
        .collect();
    let providers = match &policy.credential_providers {
        None => {
            json!({ "allow": false, "from": from(policy, "credential-providers.allow", "ferry's default") })
        }
        Some(p) => json!({
            "allow": p.allow.as_ref().map_or(json!(true), |names| json!(names)),
            "from": from(policy, "credential-providers.allow", ""),
            "dir": p.dir.display().to_string(),
            "dir_from": from(policy, "credential-providers.dir", ""),
        }),
    };
    let info = json!({
        "files": policy.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "require_signed": { "value": policy.require_signed, "from": from(policy, "require-signed", "ferry's default") },
        "credential_providers": providers,
        "trusted_keys": keys,
        "steps": steps,
    });
    match output {
        Output::Json => outln!("{}", serde_json::to_string_pretty(&info)?)?,
        Output::Table => print_show(&info)?,
    }
    Ok(exit::success())
}

/// One plugin of a step: what it is and each setting it runs with, with its source.
fn plugin_json(policy: &Policy, known: &[Entry], id: &str) -> Value {
    let entry = known.iter().find(|e| e.manifest.id == id);
    let settings = policy.plugin(id);
    let at =
        |setting: &str, default: &str| from(policy, &format!("plugins.{id}.{setting}"), default);
    let mut info = json!({ "id": id });
    let Some(entry) = entry else {
        info["missing"] = json!("not installed: `ferry policy check` says more");
        return info;
    };
    info["version"] = json!(entry.manifest.version.to_string());
    info["origin"] = json!(entry.origin);
    let grants: Vec<String> = policy
        .granted(entry)
        .iter()
        .map(ToString::to_string)
        .collect();
    let grants_from = match (settings.and_then(|s| s.grants.as_ref()), entry.origin) {
        (Some(_), _) => at("grants", ""),
        (None, catalog::Origin::BuiltIn) => "its manifest (built-in)".to_string(),
        (None, catalog::Origin::Installed) => "ferry's default: nothing".to_string(),
    };
    info["grants"] = json!({ "value": grants, "from": grants_from });
    let (limits, _) = policy.limits(&entry.manifest);
    info["limits"] = json!({ "value": limits, "from": at("limits", "ferry's defaults") });
    if let Some(s) = settings {
        let config: Vec<Value> = s
            .config
            .iter()
            .map(|(k, v)| json!({ "key": k, "value": config_text(k, v), "from": at(&format!("config.{k}"), "") }))
            .collect();
        info["config"] = json!(config);
        if let Some(range) = &s.version {
            info["version_pin"] = json!({ "value": range.to_string(), "from": at("version", "") });
        }
        if let Some(digest) = &s.sha256 {
            info["sha256_pin"] = json!({ "value": digest, "from": at("sha256", "") });
        }
    }
    info
}

/// A config value on one line; one under a name that says secret is not shown.
fn config_text(key: &str, value: &toml::Value) -> String {
    let key = key.to_ascii_lowercase();
    if [
        "password",
        "secret",
        "token",
        "api-key",
        "apikey",
        "credential",
    ]
    .iter()
    .any(|word| key.contains(word))
    {
        return "(not shown: its name says it is secret)".into();
    }
    match value {
        toml::Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn print_show(info: &Value) -> std::io::Result<()> {
    let files: Vec<&str> = info["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if files.is_empty() {
        outln!("policy files: none (ferry's defaults)")?;
    } else {
        outln!("policy files (later ones set over earlier ones):")?;
        for f in files {
            outln!("  {f}")?;
        }
    }
    let signed = &info["require_signed"];
    outln!(
        "require-signed: {}  [{}]",
        signed["value"],
        signed["from"].as_str().unwrap_or_default()
    )?;
    let providers = &info["credential_providers"];
    let allowed = match &providers["allow"] {
        Value::Bool(true) => "any in its dir".to_string(),
        Value::Bool(false) => "none (native code is not loaded)".to_string(),
        names => names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
    };
    let allowed = if allowed.is_empty() {
        "none (the list is empty)".into()
    } else {
        allowed
    };
    outln!(
        "credential providers: {allowed}  [{}]",
        providers["from"].as_str().unwrap_or_default()
    )?;
    if let Some(dir) = providers["dir"].as_str() {
        outln!(
            "  from directory {dir}  [{}]",
            providers["dir_from"].as_str().unwrap_or_default()
        )?;
    }
    for key in info["trusted_keys"].as_array().into_iter().flatten() {
        outln!(
            "trusted key {}: {}  [{}]",
            key["name"].as_str().unwrap_or_default(),
            key["key"].as_str().unwrap_or_default(),
            key["from"].as_str().unwrap_or_default()
        )?;
    }
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    for step in info["steps"].as_array().into_iter().flatten() {
        let plugins = step["plugins"].as_array().cloned().unwrap_or_default();
        outln!(
            "\n{}: {}  [{}]",
            s(&step["step"]),
            if plugins.is_empty() {
                "-".to_string()
            } else {
                plugins
                    .iter()
                    .map(|p| s(&p["id"]))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            s(&step["from"])
        )?;
        for p in &plugins {
            if let Some(missing) = p.get("missing") {
                outln!("  {}: {}", s(&p["id"]), s(missing))?;
                continue;
            }
            outln!(
                "  {} {} ({})",
                s(&p["id"]),
                s(&p["version"]),
                s(&p["origin"])
            )?;
            let grants: Vec<String> = p["grants"]["value"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect();
            outln!(
                "    grants   {}  [{}]",
                if grants.is_empty() {
                    "-".into()
                } else {
                    grants.join(", ")
                },
                s(&p["grants"]["from"])
            )?;
            let l = &p["limits"]["value"];
            outln!(
                "    limits   timeout {} ms, memory {} MiB, output {} MiB  [{}]",
                l["timeout_ms"],
                l["memory_mib"],
                l["output_mib"],
                s(&p["limits"]["from"])
            )?;
            for c in p["config"].as_array().into_iter().flatten() {
                outln!(
                    "    config   {} = {}  [{}]",
                    s(&c["key"]),
                    s(&c["value"]),
                    s(&c["from"])
                )?;
            }
            for (name, key) in [("version", "version_pin"), ("sha256", "sha256_pin")] {
                if let Some(pin) = p.get(key) {
                    outln!("    {name:<8} {}  [{}]", s(&pin["value"]), s(&pin["from"]))?;
                }
            }
        }
    }
    Ok(())
}
