//! `ferry export`: the export step, then every mask step, then the masked document on disk (or
//! stdout), with the secrets sealed beside it and the values Palette withheld listed in a
//! template. A document is never written while a secret it lost has nowhere to go.

use std::path::PathBuf;
use std::process::ExitCode;

use super::session::{Session, say};
use super::{Globals, document_file, user_file};
use crate::pipeline::RunSettings;
use crate::pipeline::secrets::{self, Bundle};
use crate::pipeline::transfer::{self, Extracted};
use crate::runtime::bindings::types::ProfileRef;
use crate::runtime::manifest::Step;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Yaml,
}

#[derive(clap::Args)]
pub struct Args {
    /// The profile: NAME or NAME@VERSION (the highest version when none is given).
    #[arg(required_unless_present = "uid", conflicts_with = "uid")]
    profile: Option<String>,
    /// The profile by uid instead of by name.
    #[arg(long)]
    uid: Option<String>,
    /// The stored environment to export from.
    #[arg(long)]
    env: String,
    #[command(flatten)]
    write: WriteArgs,
}

/// Where the masked document and its secrets go: shared by `export` and `mask`.
#[derive(clap::Args)]
pub struct WriteArgs {
    /// Where to write the masked document [default: stdout].
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The document's format [default: json; for `mask`, the format of the file it reads].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The policy file (else FERRY_POLICY, else <home>/policy.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Seal the masked values into this bundle (restore with `ferry import --secrets FILE`).
    #[arg(long, value_name = "FILE")]
    pub secrets_out: Option<PathBuf>,
    /// Write the masked document even though its secrets are not kept anywhere.
    #[arg(long)]
    pub drop_secrets: bool,
    /// Where to list the values Palette withheld [default: OUTPUT.secrets.yaml].
    #[arg(long, value_name = "FILE")]
    pub secrets_template: Option<PathBuf>,
}

impl WriteArgs {
    /// Refuses, before any work, a place given for the document or the bundle that cannot take
    /// a file (the template's place is checked with the others before writing).
    pub fn check_places(&self) -> anyhow::Result<()> {
        for path in [&self.output, &self.secrets_out].into_iter().flatten() {
            user_file::check_destination(path)?;
        }
        Ok(())
    }
}

/// `NAME[@VERSION]`.
pub fn profile_ref(text: &str) -> ProfileRef {
    let (name, version) = match text.split_once('@') {
        Some((n, v)) => (n.to_string(), Some(v.to_string())),
        None => (text.to_string(), None),
    };
    ProfileRef {
        name,
        version,
        uid: None,
    }
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    args.write.check_places()?;
    let session = Session::open(globals, args.write.policy.as_deref(), &[&args.env])?;
    let pipeline = session.pipeline(
        args.write.policy.as_deref(),
        &[Step::Export, Step::Mask],
        RunSettings {
            source_env: Some(args.env.clone()),
            ..RunSettings::default()
        },
    )?;
    let wanted = match (&args.profile, &args.uid) {
        (_, Some(uid)) => ProfileRef {
            name: String::new(),
            version: None,
            uid: Some(uid.clone()),
        },
        (Some(p), None) => profile_ref(p),
        (None, None) => unreachable!("clap requires one"),
    };
    let extracted = transfer::extract(&pipeline, &session.transport, &args.env, &wanted, &say)?;
    write_outputs(&extracted, &args.write, Some(&session.credentials))?;
    Ok(super::exit::success())
}

/// Writes the masked document, the bundle and the template, refusing to lose a secret.
pub fn write_outputs(
    extracted: &Extracted,
    args: &WriteArgs,
    credentials: Option<&crate::config::credentials::Credentials>,
) -> anyhow::Result<()> {
    let (output, format) = (args.output.as_deref(), args.format.unwrap_or(Format::Json));
    let label = extracted.label();
    let sealed = !extracted.secrets.is_empty() || !extracted.macros.is_empty();
    if !extracted.secrets.is_empty() && args.secrets_out.is_none() && !args.drop_secrets {
        anyhow::bail!(
            "{} secret(s) of {label} would be lost: nothing was written. Give --secrets-out FILE to seal them for `ferry import --secrets`, or --drop-secrets to write the document without them",
            extracted.secrets.len()
        );
    }
    let text = document_file::write(&extracted.document, format)?;
    let template =
        (!extracted.placeholders.is_empty()).then(|| match (&args.secrets_template, output) {
            (Some(p), _) => p.clone(),
            (None, Some(out)) => PathBuf::from(format!("{}.secrets.yaml", out.display())),
            (None, None) => PathBuf::from(format!(
                "{}-{}.secrets.yaml",
                extracted.name, extracted.version
            )),
        });
    // All the files or none: a document is never left without its bundle, nor a bundle alone.
    let mut files = Vec::new();
    let mut said = Vec::new();
    if let (Some(path), true, Some(credentials)) = (&args.secrets_out, sealed, credentials) {
        let bundle = Bundle {
            values: extracted.secrets.clone(),
            macros: extracted.macros.clone(),
        };
        let file = secrets::seal_bundle(credentials.key(), &label, &bundle);
        files.push((path.clone(), file.into_bytes()));
        said.push(format!(
            "secrets   {} value(s) and {} macro(s) sealed into {}",
            bundle.values.len(),
            bundle.macros.len(),
            path.display()
        ));
    }
    if let Some(path) = template {
        let text = secrets::template_text(&label, &extracted.placeholders);
        said.push(format!(
            "template  {} value(s) Palette withheld are listed in {}: fill them before importing",
            extracted.placeholders.len(),
            path.display()
        ));
        files.push((path, text.into_bytes()));
    }
    let stdout = match output {
        Some(path) => {
            said.push(format!("wrote     {label} to {}", path.display()));
            files.push((path.to_path_buf(), text.into_bytes()));
            None
        }
        None => Some(text),
    };
    user_file::write_all(&files)?;
    for line in said {
        say(&line);
    }
    if let Some(text) = stdout {
        super::table::print_stdout(&(text + "\n"))?;
    }
    Ok(())
}
