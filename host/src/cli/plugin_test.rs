//! `ferry plugin test PLUGIN --fixtures DIR`: runs a plugin on each fixture document of a folder
//! (`NAME.json` or `NAME.yaml`, a profile export) and compares what it made with `NAME.expected.json`
//! beside it: the masked document and what was masked (never the values), the findings, or the
//! decision. A mismatch prints a diff; `--bless` writes the expected files from what it made.
//! The plugin runs under the policy in force: its config, grants and limits.
#![allow(clippy::result_large_err)] // see runtime/mod.rs: failures carry their report by value

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::hints::with_hint;
use super::{document_file, exit, line_diff};
use crate::outln;
use crate::runtime::bindings::types;
use crate::runtime::catalog;
use crate::runtime::manifest::Step;
use crate::runtime::policy::Policy;
use crate::runtime::{Plugin, PluginFailure, Runtime};

/// The expected file of fixture `NAME.json`: `NAME.expected.json`.
const EXPECTED: &str = ".expected.json";

#[derive(clap::Args)]
pub struct Args {
    /// An installed plugin's id, or a plugin's manifest (or folder) before it is installed.
    plugin: String,
    /// The folder of fixture documents, each with its expected file beside it.
    #[arg(long)]
    fixtures: PathBuf,
    /// The step to test, when the plugin serves more than one of mask, validate, approve.
    #[arg(long, value_parser = |s: &str| s.parse::<Step>())]
    step: Option<Step>,
    /// Write each expected file from what the plugin made (check the diff first).
    #[arg(long)]
    bless: bool,
}

pub fn run(args: Args, home: &Path, policy: Policy) -> anyhow::Result<ExitCode> {
    let entry = catalog::find_or_open(home, &args.plugin)?;
    let step = step_of(&entry.manifest.steps, args.step, &entry.manifest.id)?;
    let fixtures = fixtures_in(&args.fixtures)?;
    let rt = Runtime::new(home, policy)?;
    let plugin = rt.load(&entry)?;
    let (mut passed, mut failed) = (0, 0);
    for doc_path in &fixtures {
        let name = doc_path.file_name().unwrap_or_default().to_string_lossy();
        let expected_path = expected_of(doc_path);
        let (document, _) = document_file::read(doc_path)?;
        let made = format!(
            "{}\n",
            serde_json::to_string_pretty(&outcome(&plugin, step, &document))?
        );
        let expected = std::fs::read_to_string(&expected_path).ok();
        if args.bless {
            if expected.as_deref() != Some(made.as_str()) {
                std::fs::write(&expected_path, &made).map_err(|e| {
                    anyhow::anyhow!("cannot write {}: {e}", expected_path.display())
                })?;
                outln!("blessed {name}: wrote {}", expected_path.display())?;
            } else {
                outln!("ok      {name}")?;
            }
            passed += 1;
            continue;
        }
        match expected {
            None => {
                failed += 1;
                outln!(
                    "FAILED  {name}: no {} beside it; check the output with `ferry plugin run`, then write it with --bless",
                    expected_path.display()
                )?;
            }
            Some(expected) => match line_diff::diff(&expected, &made) {
                None => {
                    passed += 1;
                    outln!("ok      {name}")?;
                }
                Some(diff) => {
                    failed += 1;
                    outln!(
                        "FAILED  {name}: the plugin's output differs from {} (-: expected, +: made)\n{diff}",
                        expected_path.display()
                    )?;
                }
            },
        }
    }
    outln!(
        "{} {} on {}: {passed} passed, {failed} failed",
        entry.manifest.id,
        entry.manifest.version,
        step
    )?;
    if failed > 0 {
        eprintln!("hint: if the new output is right, write it as expected with --bless");
        return Ok(exit::failure());
    }
    Ok(exit::success())
}

/// The step under test: the one asked for, else the plugin's only testable one.
fn step_of(serves: &[Step], asked: Option<Step>, id: &str) -> anyhow::Result<Step> {
    let testable: Vec<Step> = serves
        .iter()
        .copied()
        .filter(|s| matches!(s, Step::Mask | Step::Validate | Step::Approve))
        .collect();
    match (asked, testable.as_slice()) {
        (Some(step), _) if testable.contains(&step) => Ok(step),
        (None, [step]) => Ok(*step),
        (Some(step), _) if serves.contains(&step) => anyhow::bail!(
            "the harness runs mask, validate and approve steps on documents; '{id}' {step}s against an environment: try it with `ferry plugin run --step {step} --env ENV`"
        ),
        (Some(step), _) => anyhow::bail!("'{id}' does not serve the {step} step"),
        (None, []) => anyhow::bail!(
            "'{id}' serves no step the harness runs (mask, validate, approve); try it with `ferry plugin run --env ENV`"
        ),
        (None, _) => anyhow::bail!("'{id}' serves several steps; say which to test with --step"),
    }
}

/// The fixture documents of `dir`, by name.
fn fixtures_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read the fixtures folder {}: {e}", dir.display()))?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            !name.ends_with(EXPECTED)
                && [".json", ".yaml", ".yml"]
                    .iter()
                    .any(|ext| name.ends_with(ext))
        })
        .collect();
    found.sort();
    if found.is_empty() {
        return Err(with_hint(
            anyhow::anyhow!("no fixture documents in {}", dir.display()),
            "put profile exports there (NAME.json or NAME.yaml, as `ferry export` writes them), then run with --bless to write what the plugin makes beside them",
        ));
    }
    Ok(found)
}

fn expected_of(doc: &Path) -> PathBuf {
    let stem = doc.file_stem().unwrap_or_default().to_string_lossy();
    doc.with_file_name(format!("{stem}{EXPECTED}"))
}

/// What the plugin made of a document, as the expected file holds it.
fn outcome(plugin: &Plugin, step: Step, document: &str) -> Value {
    let cx = types::Context {
        // Fixed, so that a plugin that names its run makes the same output every time.
        run_id: "ferry-plugin-test".into(),
        step: step.name().to_string(),
        source_env: None,
        target_env: None,
        dry_run: true,
    };
    let result: Result<Value, PluginFailure> = match step {
        Step::Mask => plugin.mask(&cx, document, &[]).map(|out| {
            let masked: Vec<Value> = out
                .masked
                .iter()
                // Never the value: an expected file must not keep a secret in clear.
                .map(|m| json!({ "pointer": m.pointer, "key": m.key, "rule": m.rule }))
                .collect();
            let doc = out.document.as_deref().unwrap_or(document);
            let doc = serde_json::from_str::<Value>(doc).unwrap_or_else(|_| json!(doc));
            json!({ "masked": masked, "document": doc })
        }),
        Step::Validate => plugin.validate(&cx, document, &[]).map(|findings| {
            json!({ "findings": findings.iter().map(super::plugin::finding_json).collect::<Vec<_>>() })
        }),
        Step::Approve => plugin.approve(&cx, document, &[]).map(|d| match d {
            types::Decision::Approve => json!({ "decision": "approve" }),
            types::Decision::Deny(r) => json!({ "decision": "deny", "reason": r }),
            types::Decision::NeedsReview(r) => json!({ "decision": "needs-review", "reason": r }),
        }),
        Step::Export | Step::Import => unreachable!("step_of keeps to document steps"),
    };
    result.unwrap_or_else(|f| json!({ "failure": f.kind.name(), "message": f.to_string() }))
}
