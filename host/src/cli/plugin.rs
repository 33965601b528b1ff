//! `ferry plugin`: see which plugins run each step, install your own, and try one on a document.
#![allow(clippy::result_large_err)] // see runtime/mod.rs: failures carry their report by value

use super::exit;
use crate::outln;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use serde_json::{Value, json};

use super::Globals;
use super::table::{self, Output};
use crate::config::Credentials;
use crate::native;
use crate::palette::transport::ClientTransport;
use crate::runtime::bindings::types;
use crate::runtime::catalog::{self, Entry, Origin};
use crate::runtime::manifest::Step;
use crate::runtime::policy::Policy;
use crate::runtime::{PluginFailure, Runtime};

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
    /// Built-in and installed plugins, with version, steps, contract, sha256 and grants.
    List {
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Everything about one plugin: manifest, digest, what it imports and exports, limits.
    Inspect {
        id: String,
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// What a finding code of a validator means and how to resolve it (a validator built for
    /// ferry:plugin@1.1.0 or later that exports `explainer`, as palette-validate does).
    Explain { id: String, code: String },
    /// Install a plugin from its manifest (ferry-plugin.toml, with the wasm beside it), or from
    /// a project folder. It is compiled now, so that its first run is fast.
    Install { manifest: PathBuf },
    /// Write a new plugin project: ferry-plugin.toml, the code of one step with its test, and
    /// for Python and JavaScript the contract (wit/). Then `ferry plugin build`.
    New {
        /// The plugin's id (lowercase letters, digits, dashes).
        name: String,
        #[arg(long, value_parser = parse_step)]
        step: Step,
        #[arg(long, value_enum)]
        lang: super::plugin_new::Lang,
        /// Where to write it (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Rust: the plugin SDK crate (plugin-api/ in a clone of ferry), if not where this ferry
        /// was built from.
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Build a project `ferry plugin new` wrote, with its language's toolchain (cargo,
    /// componentize-py, componentize-js), into the wasm its manifest names.
    Build {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Remove an installed plugin.
    Remove { id: String },
    /// Run plugins on a document, in the order given, and report each one's outcome. Export
    /// reads the profile given by --profile or --uid from --env; import writes the document
    /// into --env for real (the step is asked for by name: it is not a dry run).
    Run {
        /// Plugin ids.
        #[arg(required = true)]
        ids: Vec<String>,
        #[arg(long, value_parser = parse_step)]
        step: Step,
        /// The profile export (JSON) to work on (every step but export).
        #[arg(long, required_unless_present_any = ["profile", "uid"])]
        document: Option<PathBuf>,
        /// Export: the profile, as NAME or NAME@VERSION (without a version, its highest).
        #[arg(long, value_name = "NAME[@VERSION]", conflicts_with = "document")]
        profile: Option<String>,
        /// Export: the profile's uid.
        #[arg(long, conflicts_with = "document")]
        uid: Option<String>,
        /// A pack's schema.yaml, as PACK=FILE (repeatable); maskers use it to find passwords.
        #[arg(long = "schema", value_name = "PACK=FILE")]
        schemas: Vec<String>,
        /// A stored environment (see `ferry login`): named in the plugins' context, and reached
        /// through ferry's client by plugins granted palette-api. Unlocks the credentials.
        #[arg(long)]
        env: Option<String>,
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// Make an ed25519 signing key: NAME.key (secret, 0600) and NAME.pub.
    Keygen(super::plugin_sign::KeygenArgs),
    /// Sign a plugin: a detached signature (ferry-plugin.sig) over its wasm digest and manifest.
    Sign(super::plugin_sign::SignArgs),
    /// Check a plugin's signature, and whether the policy trusts its key.
    Verify(super::plugin_sign::VerifyArgs),
    /// Run a plugin on each fixture document of a folder and compare with the expected files
    /// beside them (a diff on a mismatch); --bless writes them.
    Test(super::plugin_test::Args),
}

fn parse_step(s: &str) -> Result<Step, String> {
    s.parse()
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let home = globals.home()?;
    // Making keys and signing need no policy: a broken one must not stop a signer.
    let policy = || Policy::load(&home, args.policy.as_deref());
    match args.command {
        Command::Keygen(a) => super::plugin_sign::keygen(a),
        Command::Sign(a) => super::plugin_sign::sign(a),
        Command::Verify(a) => super::plugin_sign::verify(a, &home, &policy()?),
        Command::Test(a) => super::plugin_test::run(a, &home, policy()?),
        Command::List { output } => list(&home, &policy()?, output),
        Command::Inspect { id, output } => inspect(&home, policy()?, &id, output),
        Command::Explain { id, code } => {
            let entry = catalog::find(&home, &id)?;
            let plugin = Runtime::new(&home, policy()?)?.load(&entry)?;
            match plugin.explain(&code)? {
                Some(text) => outln!("{code}: {text}")?,
                None => anyhow::bail!(
                    "{id} does not report '{code}'; the codes a plugin reports are in its findings (`ferry validate --output json`)"
                ),
            }
            Ok(exit::success())
        }
        Command::New {
            name,
            step,
            lang,
            dir,
            sdk,
        } => {
            let dir = super::plugin_new::create(&name, step, lang, dir, sdk)?;
            outln!(
                "wrote {}: build it with `ferry plugin build {0}`, then `ferry plugin install {0}`",
                dir.display()
            )?;
            Ok(exit::success())
        }
        Command::Build { dir } => {
            let wasm = super::plugin_build::build(&dir)?;
            outln!(
                "built {}; install it with `ferry plugin install {}`",
                wasm.display(),
                dir.display()
            )?;
            Ok(exit::success())
        }
        Command::Install { manifest } => {
            // A project folder stands for its manifest.
            let manifest = if manifest.is_dir() {
                manifest.join("ferry-plugin.toml")
            } else {
                manifest
            };
            let staged = catalog::stage(&home, &manifest)?;
            // Compiled now, into the cache, so that its first real run is fast; a component
            // that does not load is refused before it replaces anything.
            Runtime::new(&home, policy()?)?
                .load(&staged.entry)
                .map_err(|f| anyhow::anyhow!("not installed: {f}"))?;
            let entry = staged.commit()?;
            outln!(
                "installed {} {} (sha256 {}); it runs with no capabilities until the policy grants them",
                entry.manifest.id,
                entry.manifest.version,
                entry.sha256
            )?;
            Ok(exit::success())
        }
        Command::Remove { id } => {
            let entry = catalog::find(&home, &id)?;
            let Some(dir) = entry.dir.filter(|_| entry.origin == Origin::Installed) else {
                anyhow::bail!(
                    "'{id}' is built into ferry and cannot be removed; leave it out of the policy's [steps] instead"
                );
            };
            std::fs::remove_dir_all(&dir)?;
            outln!("removed {id}")?;
            Ok(exit::success())
        }
        Command::Run {
            ids,
            step,
            document,
            profile,
            uid,
            schemas,
            env,
            output,
        } => {
            let input = input_of(step, document, profile, uid, env.as_deref())?;
            let transport = env
                .as_deref()
                .map(|e| palette_transport(e, globals, args.policy.as_deref()))
                .transpose()?;
            let mut rt = Runtime::new(&home, policy()?)?;
            if let Some(transport) = transport {
                rt = rt.with_palette(std::sync::Arc::new(transport));
            }
            run_plugins(&home, &rt, &ids, step, input, &schemas, env, output)
        }
    }
}

fn steps_of(entry: &Entry) -> String {
    entry
        .manifest
        .steps
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(",")
}

fn origin_name(origin: Origin) -> &'static str {
    match origin {
        Origin::BuiltIn => "built-in",
        Origin::Installed => "installed",
    }
}

/// Grants as the runtime would apply them, without compiling anything.
fn grants_of(policy: &Policy, entry: &Entry) -> Vec<String> {
    policy
        .granted(entry)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The contract version a plugin was built for, as its component says ("-" when it says none).
fn contract_of(entry: &Entry) -> String {
    entry
        .contract()
        .map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn list(home: &std::path::Path, policy: &Policy, output: Output) -> anyhow::Result<ExitCode> {
    let entries = catalog::all(home);
    let mut rows = Vec::new();
    let mut items = Vec::new();
    for e in &entries {
        let grants = grants_of(policy, e);
        rows.push([
            e.manifest.id.clone(),
            e.manifest.version.to_string(),
            origin_name(e.origin).to_string(),
            steps_of(e),
            contract_of(e),
            e.sha256[..12].to_string(),
            if grants.is_empty() {
                "-".to_string()
            } else {
                grants.join(",")
            },
        ]);
        items.push(json!({
            "id": e.manifest.id, "version": e.manifest.version.to_string(), "origin": e.origin,
            "steps": e.manifest.steps, "contract": contract_of(e), "sha256": e.sha256,
            "capabilities": e.manifest.capabilities, "grants": grants, "description": e.manifest.description,
        }));
    }
    match output {
        Output::Json => outln!("{}", serde_json::to_string_pretty(&items)?)?,
        Output::Table => {
            let header = [
                "ID", "VERSION", "ORIGIN", "STEPS", "CONTRACT", "SHA256", "GRANTS",
            ];
            table::print_table(&header, &rows)?
        }
    }
    Ok(exit::success())
}

fn inspect(
    home: &std::path::Path,
    policy: Policy,
    id: &str,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let entry = catalog::find(home, id)?;
    let rt = Runtime::new(home, policy)?;
    let loaded = rt.load(&entry);
    let m = &entry.manifest;
    let mut info = json!({
        "id": m.id, "version": m.version.to_string(), "description": m.description,
        "origin": entry.origin, "path": entry.dir.as_ref().map(|d| d.display().to_string()),
        "steps": m.steps, "contract": contract_of(&entry),
        "host_contract": crate::runtime::manifest::HOST_CONTRACT,
        "sha256": entry.sha256, "capabilities": m.capabilities,
        "grants": grants_of(rt.policy(), &entry),
    });
    let code = match &loaded {
        Ok(p) => {
            info["status"] = json!("ready");
            info["limits"] = json!(p.limits);
            info["imports"] = json!(p.imports);
            info["exports"] = json!(p.exports);
            info["compiled_cache"] = json!(rt.cache().path_for(&p.sha256).display().to_string());
            exit::success()
        }
        Err(f) => {
            info["status"] = json!("refused");
            info["error"] = json!(f.to_string());
            info["error_kind"] = json!(f.kind.name());
            exit::failure()
        }
    };
    match output {
        Output::Json => outln!("{}", serde_json::to_string_pretty(&info)?)?,
        Output::Table => print_inspect(&info)?,
    }
    Ok(code)
}

fn print_inspect(info: &Value) -> std::io::Result<()> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".to_string(),
        Value::Array(a) if a.is_empty() => "-".to_string(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("\n                "),
        other => other.to_string(),
    };
    for key in [
        "id",
        "version",
        "description",
        "origin",
        "path",
        "steps",
        "contract",
        "host_contract",
        "sha256",
        "capabilities",
        "grants",
        "status",
        "error",
        "limits",
        "imports",
        "exports",
        "compiled_cache",
    ] {
        if let Some(v) = info.get(key) {
            outln!("{:<15} {}", format!("{key}:"), text(v))?;
        }
    }
    Ok(())
}

/// Reads `PACK=FILE` schema arguments into pack metadata for the plugins.
pub fn pack_metas(schemas: &[String]) -> anyhow::Result<Vec<types::PackMeta>> {
    schemas
        .iter()
        .map(|arg| {
            let (pack, file) = arg
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--schema takes PACK=FILE (the pack's name in the document, then its schema.yaml); got '{arg}'"))?;
            let text = super::user_file::read(std::path::Path::new(file), "the schema")?;
            let fields = ferry_plugin_api::schema::parse_schema_yaml(&text).map_err(|e| anyhow::anyhow!("schema {file}: {e}"))?;
            Ok(types::PackMeta { name: pack.to_string(), tag: String::new(), schema: fields.into_iter().map(to_host_field).collect() })
        })
        .collect()
}

/// The SDK's and the host's bindings are separate types of one WIT record.
pub fn to_host_field(f: ferry_plugin_api::types::SchemaField) -> types::SchemaField {
    types::SchemaField {
        name: f.name,
        format: f.format,
        required: f.required,
        readonly: f.readonly,
        regex: f.regex,
        hints: f.hints,
        list_options: f.list_options,
    }
}

/// Plugins reach the stored environment `env` through ferry's client, with its credentials.
fn palette_transport(
    env: &str,
    globals: &Globals,
    policy: Option<&std::path::Path>,
) -> anyhow::Result<ClientTransport> {
    let config = globals.store()?.load()?;
    let name = config.select(Some(env))?.0.to_owned();
    let credentials = Credentials::unlock(config, globals.passphrase())?;
    let home = globals.home()?;
    let native = native::Context {
        home: &home,
        policy,
    };
    let clients = BTreeMap::from([(name, credentials.client(env, native)?)]);
    Ok(ClientTransport::new(clients)?)
}

/// What the plugins of a `plugin run` work on: a document, or for export the profile to fetch.
enum Input {
    Document(PathBuf),
    Profile(types::ProfileRef),
}

fn input_of(
    step: Step,
    document: Option<PathBuf>,
    profile: Option<String>,
    uid: Option<String>,
    env: Option<&str>,
) -> anyhow::Result<Input> {
    if matches!(step, Step::Export | Step::Import) && env.is_none() {
        anyhow::bail!(
            "--step {step} needs --env ENV: the environment to {step} the profile {}",
            if step == Step::Export { "from" } else { "into" }
        );
    }
    match (step, document) {
        (Step::Export, _) => {
            let (name, version) = match profile
                .as_deref()
                .map(|p| p.split_once('@').unwrap_or((p, "")))
            {
                Some((name, version)) => (
                    name.to_string(),
                    Some(version.to_string()).filter(|v| !v.is_empty()),
                ),
                None => (String::new(), None),
            };
            if name.is_empty() && uid.is_none() {
                anyhow::bail!(
                    "--step export needs the profile: --profile NAME[@VERSION] or --uid UID"
                );
            }
            Ok(Input::Profile(types::ProfileRef { name, version, uid }))
        }
        (_, Some(document)) => Ok(Input::Document(document)),
        (_, None) => anyhow::bail!(
            "--step {step} works on a document: give --document FILE (--profile and --uid are for export)"
        ),
    }
}

fn failure_json(f: &PluginFailure) -> Value {
    json!({ "id": f.plugin, "version": f.version, "ok": false, "error": f.kind, "message": f.to_string() })
}

#[allow(clippy::too_many_arguments)]
fn run_plugins(
    home: &std::path::Path,
    rt: &Runtime,
    ids: &[String],
    step: Step,
    input: Input,
    schemas: &[String],
    env: Option<String>,
    output: Output,
) -> anyhow::Result<ExitCode> {
    let (mut doc, profile) = match input {
        Input::Document(path) => (super::document_file::read_any(&path)?, None),
        Input::Profile(p) => (String::new(), Some(p)),
    };
    let mut packs = pack_metas(schemas)?;
    // The environment a step reads from or writes to; both, as `plugin run` has one.
    let env_name = env.clone().unwrap_or_default();
    let cx = types::Context {
        run_id: format!("{:016x}", rand::random::<u64>()),
        step: step.name().to_string(),
        source_env: env.clone(),
        target_env: env.clone(),
        // Import is asked for by name: running it means writing.
        dry_run: step != Step::Import,
    };
    let mut reports = Vec::new();
    let mut findings_all = Vec::new();
    let mut failed = false;
    // Every id must name a plugin before any of them runs.
    let entries = ids
        .iter()
        .map(|id| catalog::find(home, id))
        .collect::<anyhow::Result<Vec<_>>>()?;
    for entry in entries {
        let outcome = rt.load(&entry).and_then(|plugin| match step {
            Step::Mask => plugin.mask(&cx, &doc, &packs).map(|out| {
                let masked: Vec<Value> = out
                    .masked
                    .iter()
                    .map(|m| json!({"pointer": m.pointer, "key": m.key, "rule": m.rule}))
                    .collect();
                let summary = format!("masked {} value(s)", masked.len());
                if let Some(masked) = out.document {
                    doc = masked;
                }
                (summary, json!({ "masked": masked }))
            }),
            Step::Validate => plugin.validate(&cx, &doc, &packs).map(|findings| {
                let summary = format!("{} finding(s)", findings.len());
                let list: Vec<Value> = findings.iter().map(finding_json).collect();
                findings_all.extend(findings);
                (summary, json!({ "findings": list }))
            }),
            Step::Approve => plugin.approve(&cx, &doc, &findings_all).map(|d| {
                let (decision, reason) = match d {
                    types::Decision::Approve => ("approve", None),
                    types::Decision::Deny(r) => ("deny", Some(r)),
                    types::Decision::NeedsReview(r) => ("needs-review", Some(r)),
                };
                (
                    format!(
                        "{decision}{}",
                        reason
                            .as_ref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                    json!({"decision": decision, "reason": reason}),
                )
            }),
            Step::Export => {
                let profile = profile.as_ref().expect("export has a profile reference");
                plugin.export(&cx, &env_name, profile).map(|out| {
                    let summary = format!(
                        "exported {} bytes, {} pack schema(s)",
                        out.document.len(),
                        out.packs.len()
                    );
                    let list: Vec<Value> = out
                        .packs
                        .iter()
                        .map(|p| json!({"name": p.name, "tag": p.tag, "fields": p.schema.len()}))
                        .collect();
                    doc = out.document;
                    packs = out.packs;
                    (summary, json!({ "packs": list }))
                })
            }
            Step::Import => plugin.import(&cx, &env_name, &doc).map(|out| {
                let list: Vec<Value> = out.findings.iter().map(finding_json).collect();
                (
                    format!("imported as {}", out.uid),
                    json!({ "uid": out.uid, "findings": list }),
                )
            }),
        });
        match outcome {
            Ok((summary, mut detail)) => {
                eprintln!(
                    "ok      {} {}: {summary}",
                    entry.manifest.id, entry.manifest.version
                );
                detail["id"] = json!(entry.manifest.id);
                detail["version"] = json!(entry.manifest.version.to_string());
                detail["ok"] = json!(true);
                reports.push(detail);
            }
            Err(f) => {
                failed = true;
                eprintln!("failed  {f}");
                reports.push(failure_json(&f));
            }
        }
    }
    // After a failed mask step the document may still hold what it was to mask: not printed.
    let shown = (matches!(step, Step::Mask | Step::Export) && !failed).then_some(&doc);
    match (output, shown) {
        (Output::Json, _) => outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "step": step, "plugins": reports, "document": shown })
            )?
        )?,
        (Output::Table, Some(doc)) => outln!("{}", for_reader(doc))?,
        (Output::Table, None) => {}
    }
    Ok(if failed {
        exit::failure()
    } else {
        exit::success()
    })
}

/// The document as a person reads it: indented on a terminal; as the plugins left it (the input's
/// bytes but for the values they masked) for a pipe or a file.
fn for_reader(doc: &str) -> std::borrow::Cow<'_, str> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return doc.into();
    }
    serde_json::from_str::<Value>(doc)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .map_or(doc.into(), Into::into)
}

pub(super) fn finding_json(f: &types::Finding) -> Value {
    let subject = f.subject.as_ref().map(|s| {
        let (kind, name) = super::findings::subject(s);
        json!({ "kind": kind, "name": name })
    });
    let mut v = json!({ "severity": super::findings::severity(f.severity), "code": f.code, "message": f.message,
            "path": f.path, "yaml_path": f.yaml_path, "subject": subject, "hint": f.hint });
    super::findings::add_fix(&mut v, f);
    v
}
