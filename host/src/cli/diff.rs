//! `ferry diff`: what differs between a profile in two environments (`NAME[@VERSION] --from A
//! --to B`), or between an export document on disk and the profile of its name and version in an
//! environment (`FILE --to B`). Each side is read as `ferry export` reads it (the export step,
//! then the mask steps, whose finds say which values are secrets) and compared by
//! [`crate::pipeline::compare`], the read-back check's comparison: secrets by digest, never shown.
//! Nothing is written anywhere. Exit 0 when nothing differs, 6 when something does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use ferry_plugin_api::document::Profile;
use serde_json::{Value, json};

use super::Globals;
use super::hints::with_hint;
use super::session::{Session, say};
use super::table::{self, Output};
use crate::pipeline::compare::{self, Comparison, Difference, Subject, What};
use crate::pipeline::secrets::{self, Fill};
use crate::pipeline::{Pipeline, RunSettings, edit, transfer};
use crate::runtime::bindings::types::ProfileRef;
use crate::runtime::error::{FailureKind, PluginFailure};
use crate::runtime::manifest::Step;

#[derive(clap::Args)]
pub struct Args {
    /// With --from: the profile, NAME or NAME@VERSION (without a version, the highest on each
    /// side). Without --from: an export document FILE, compared with the profile of its name
    /// and version in --to.
    #[arg(value_name = "NAME[@VERSION]|FILE")]
    profile: String,
    /// The environment to compare from (the `-` side).
    #[arg(long)]
    from: Option<String>,
    /// The environment to compare with (the `+` side).
    #[arg(long)]
    to: String,
    /// For a FILE: a secrets bundle (`ferry export --secrets-out`) or a filled secrets template,
    /// so that the values masked in the file are compared too.
    #[arg(long, value_name = "BUNDLE", conflicts_with = "from")]
    secrets: Option<PathBuf>,
    /// The differences as lines (stdout) or as a JSON object.
    #[arg(long, value_enum, default_value = "table")]
    output: Output,
    /// The policy file (else FERRY_POLICY, else <home>/policy.toml): its export and mask steps.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

/// One side of the comparison: the document with its secrets in place, and where they are.
struct Side {
    /// `{"env": ...}` or `{"file": ...}`, with the profile's name and version.
    origin: Value,
    /// For people: `web-stack@1.2.0 in prod`, `web.json (web-stack@1.2.0)`.
    label: String,
    profile: Profile,
    secrets: compare::Places,
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    if args.from.as_deref() == Some(args.to.as_str()) {
        anyhow::bail!(
            "--from and --to name the same environment ({}); give two environments, or a FILE and --to",
            args.to
        );
    }
    // A file is read before anything is unlocked: a wrong path fails fast.
    let file = match &args.from {
        Some(_) => None,
        None => Some(read_file(&args.profile)?),
    };
    let envs: Vec<&str> = args
        .from
        .iter()
        .map(String::as_str)
        .chain([args.to.as_str()])
        .collect();
    let session = Session::open(globals, args.policy.as_deref(), &envs)?;
    let pipeline = session.pipeline(
        args.policy.as_deref(),
        &[Step::Export, Step::Mask],
        RunSettings {
            source_env: args.from.clone(),
            target_env: Some(args.to.clone()),
            dry_run: true,
            ..RunSettings::default()
        },
    )?;
    let (a, b) = match (&args.from, file) {
        (Some(from), _) => {
            let wanted = super::export::profile_ref(&args.profile);
            let a = from_env(&pipeline, &session, from, &wanted)?;
            (a, from_env(&pipeline, &session, &args.to, &wanted)?)
        }
        (None, Some(document)) => {
            let a = from_file(&pipeline, &session, &args, document)?;
            let wanted = ProfileRef {
                name: a.origin["name"].as_str().unwrap_or_default().to_string(),
                version: a.origin["version"].as_str().map(str::to_string),
                uid: None,
            };
            (a, from_env(&pipeline, &session, &args.to, &wanted)?)
        }
        (None, None) => unreachable!("a file is read when --from is not given"),
    };
    let places = a.secrets.union(&b.secrets).cloned().collect();
    let c = compare::profiles(&a.profile, &b.profile, &places);
    print(&a, &b, &c, args.output)?;
    say(&summary(&a, &b, &c));
    if c.withheld > 0 && args.from.is_none() && args.secrets.is_none() {
        say("          (give --secrets with the file's bundle to compare the values masked in it)");
    }
    Ok(if c.differences.is_empty() {
        super::exit::success()
    } else {
        super::exit::code(super::exit::DIFFERS)
    })
}

/// An export document on disk (JSON or YAML), as JSON text.
fn read_file(path: &str) -> anyhow::Result<String> {
    if let Err(e) = std::fs::metadata(path) {
        return Err(with_hint(
            anyhow::anyhow!("cannot read {path}: {e}"),
            "without --from, ferry diff compares an export document FILE with --to; \
             to compare a profile between two environments, give NAME[@VERSION] --from ENV --to ENV",
        ));
    }
    Ok(super::document_file::read(std::path::Path::new(path))?.0)
}

/// The profile as `ferry export` reads it, secrets put back in place for the comparison.
fn from_env(
    pipeline: &Pipeline,
    session: &Session,
    env: &str,
    wanted: &ProfileRef,
) -> anyhow::Result<Side> {
    let asked = match &wanted.version {
        Some(v) => format!("{}@{v}", wanted.name),
        None => wanted.name.clone(),
    };
    let extracted = transfer::extract(pipeline, &session.transport, env, wanted, &say)
        .map_err(|e| missing_hint(e, env))
        .with_context(|| format!("cannot read {asked} from {env}"))?;
    let fills: Vec<Fill> = extracted.secrets.iter().map(Fill::from).collect();
    let document = secrets::restore(&extracted.document, &fills)?;
    let found: Vec<(String, String)> = fills
        .iter()
        .map(|f| (f.pointer.clone(), f.key.clone()))
        .collect();
    side(
        json!({"env": env, "name": extracted.name, "version": extracted.version}),
        format!("{} in {env}", extracted.label()),
        &document,
        &found,
    )
}

/// A missing profile or version: the export step says which exist; say where to look.
fn missing_hint(err: anyhow::Error, env: &str) -> anyhow::Error {
    let invalid = err.chain().any(|cause| {
        cause.downcast_ref::<PluginFailure>().is_some_and(|f| {
            matches!(&f.kind, FailureKind::PluginError { error, .. } if error == "invalid-input")
        })
    });
    if !invalid {
        return err;
    }
    with_hint(
        err,
        format!(
            "`ferry profiles list --env {env}` lists the profiles and versions there; \
             `ferry migrate` copies one over"
        ),
    )
}

/// The document of a file, its masked values put back from `--secrets`; the mask steps say which
/// of its values are secrets (a file may come straight from Palette, unmasked).
fn from_file(
    pipeline: &Pipeline,
    session: &Session,
    args: &Args,
    document: String,
) -> anyhow::Result<Side> {
    let path = &args.profile;
    let (name, version) = edit::name_version(&document)?;
    let fills = match &args.secrets {
        Some(bundle) => super::import::read_secrets(bundle, session)?.0,
        None => Vec::new(),
    };
    let document = secrets::restore(&document, &fills)
        .with_context(|| format!("putting the secrets of {path} back"))?;
    let masked = pipeline.mask(document.clone(), &[])?;
    let found: Vec<(String, String)> = masked
        .values
        .iter()
        .map(|m| (m.pointer.clone(), m.key.clone()))
        .chain(fills.iter().map(|f| (f.pointer.clone(), f.key.clone())))
        .collect();
    say(&format!(
        "read      {path}: {name}@{version}, {} secret(s) put back, {} found by the mask steps",
        fills.len(),
        masked.values.len()
    ));
    side(
        json!({"file": path, "name": name, "version": version}),
        format!("{path} ({name}@{version})"),
        &document,
        &found,
    )
}

fn side(
    origin: Value,
    label: String,
    document: &str,
    found: &[(String, String)],
) -> anyhow::Result<Side> {
    Ok(Side {
        origin,
        label,
        profile: Profile::parse(document).map_err(anyhow::Error::msg)?,
        secrets: compare::secret_places(document, found).map_err(anyhow::Error::msg)?,
    })
}

/// The differences, as `---`/`+++` and one line each, or as one JSON object.
fn print(a: &Side, b: &Side, c: &Comparison, output: Output) -> anyhow::Result<()> {
    match output {
        Output::Table if c.differences.is_empty() => {}
        Output::Table => {
            let mut text = format!("--- {}\n+++ {}\n", a.label, b.label);
            for d in &c.differences {
                text.push_str(&d.to_string());
                text.push('\n');
            }
            table::print_stdout(&text)?;
        }
        Output::Json => {
            let name = b.profile.metadata.name.as_str();
            let all: Vec<Value> = c.differences.iter().map(|d| to_json(d, name)).collect();
            let doc = json!({
                "from": a.origin, "to": b.origin, "same": c.differences.is_empty(),
                "compared": {
                    "packs": c.packs, "values": c.values,
                    "secretsByDigest": c.secrets_by_digest, "withheld": c.withheld,
                },
                "differences": all,
            });
            table::print_stdout(&(serde_json::to_string_pretty(&doc)? + "\n"))?;
        }
    }
    Ok(())
}

/// One difference for scripts: what changed (`added`, `removed`, `changed`), about what (the
/// `pack`, `variable` or `profile` by name, as findings name them), which `field`, the YAML
/// `path`, and `from`/`to` (absent for a secret, which has `"secret": true`).
fn to_json(d: &Difference, profile: &str) -> Value {
    let mut v = json!({ "change": d.change.name() });
    match &d.subject {
        Subject::Profile => v["profile"] = json!(profile),
        Subject::Pack(name) => v["pack"] = json!(name),
        Subject::Variable(name) => v["variable"] = json!(name),
    }
    match &d.what {
        What::Itself => {}
        What::Field(field) => v["field"] = json!(field),
        What::Values => v["field"] = json!("values"),
        What::Manifest(name) => {
            v["field"] = json!("manifest");
            v["manifest"] = json!(name);
        }
        What::Default => v["field"] = json!("default"),
    }
    for (key, value) in [("path", &d.path), ("from", &d.from), ("to", &d.to)] {
        if let Some(value) = value {
            v[key] = json!(value);
        }
    }
    v["secret"] = json!(d.secret);
    v
}

/// The last line: same or not, and how much was compared.
fn summary(a: &Side, b: &Side, c: &Comparison) -> String {
    let verdict = match c.differences.len() {
        0 => "same".to_string(),
        n => format!("{n} difference(s)"),
    };
    let withheld = match c.withheld {
        0 => String::new(),
        n => format!("; {n} value(s) withheld as ******** were not compared"),
    };
    format!(
        "diff      {verdict} between {} and {}: {} pack(s), {} value(s) compared ({} secret(s) by digest){withheld}",
        a.label, b.label, c.packs, c.values, c.secrets_by_digest
    )
}
