//! Bulk migration: many profiles, each moved exactly once, a few at a time, journaled.
//!
//! - Workers (`concurrency` threads) take the next profile of the plan and move it whole: export
//!   and mask from the source ([`transfer::extract`]), then fill, validate, approve, import and read
//!   back on the target ([`transfer::deliver`]). Their requests share each environment's rate
//!   limiter ([`crate::palette::limiter`]); their plugin calls wait for a slot of the instance pool.
//! - Every state change is journaled ([`journal`]) before the next side effect: before an import the
//!   name and version it goes under, after it the uid. A profile whose journal says it was being
//!   imported is delivered again under that name and version with `--on-conflict fail`, so the
//!   target is looked up first: found as sent, it is done; never imported twice.
//! - A failure that may pass (a transport error after the client's own retries, a plugin that
//!   failed on one) is tried again, up to [`ATTEMPTS`] times; a profile that fails validation or
//!   approval is reported and skipped, and the run goes on (`fail_fast` stops it).
//! - Each profile goes from its source scope to its target scope (its journal entry's projects,
//!   through the run's routes). Macros the profiles share are created once per target scope, by the
//!   first delivery that needs them, once its validation and approval passed
//!   ([`crate::pipeline::target::MacroBook`]): an invalid or denied profile creates none.

pub mod journal;
pub mod select;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use journal::{Entry, Finish, Journal, State};

use crate::cli::projects::Route;
use crate::config::crash_hook::crash_point;
use crate::palette::transport::ClientTransport;
use crate::pipeline::secrets::Fill;
use crate::pipeline::transfer::{self, Carried, DeliverOptions, OnConflict, Outcome};
use crate::pipeline::{Pipeline, Reported, edit, target};
use crate::runtime::bindings::types::{ProfileRef, Severity};

/// Tries per profile in one run, for failures that may pass.
pub const ATTEMPTS: u32 = 3;

/// What a bulk run moves, and how.
pub struct Run<'a> {
    pub pipeline: &'a Pipeline,
    pub transport: &'a ClientTransport,
    /// Where each source scope's profiles go ([`route_of`] an entry).
    pub routes: &'a [Route],
    pub opts: &'a DeliverOptions,
    /// `--set` values, resolved against each document.
    pub sets: &'a [(edit::SetPlace, String)],
    pub concurrency: usize,
    pub fail_fast: bool,
}

/// A failure of the journal itself: the run cannot go on without it.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the journal: {0:#}")]
struct JournalFailed(anyhow::Error);

fn is_journal_failure(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.is::<JournalFailed>())
}

/// The journal, shared by the workers, and the delivery options of each target scope.
struct Shared<'a> {
    journal: &'a Mutex<Journal>,
    /// By target key: the run's options with that target's registries, read once.
    opts: BTreeMap<String, DeliverOptions>,
}

impl Shared<'_> {
    fn write(&self, f: impl FnOnce(&Journal) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let journal = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        f(&journal).map_err(|e| JournalFailed(e).into())
    }
}

/// Moves `pending` (entries of the journal's plan); `done` hears of each profile as it ends.
/// Returns whether it stopped early (`fail_fast`); an error is one the run cannot go on after
/// (the journal cannot be written).
pub fn run(
    run: &Run,
    journal: &Mutex<Journal>,
    pending: &[Entry],
    done: &(dyn Fn(&Entry, &Finish) + Sync),
) -> anyhow::Result<bool> {
    // Each target's registries, read once for every delivery of the run.
    let mut opts = BTreeMap::new();
    for route in run.routes {
        if !opts.contains_key(&route.to_key) {
            let client = run.transport.client(&route.to_key)?;
            let mut these = run.opts.clone();
            these.registries = Some(run.transport.block_on(target::registries(&client))?);
            opts.insert(route.to_key.clone(), these);
        }
    }
    let shared = Shared { journal, opts };
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let workers = run.concurrency.clamp(1, pending.len().max(1));
    let results: Vec<anyhow::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    while !stop.load(Ordering::SeqCst) {
                        let Some(entry) = pending.get(next.fetch_add(1, Ordering::SeqCst)) else {
                            break;
                        };
                        let finish = match move_one(run, &shared, entry) {
                            Ok(finish) => finish,
                            Err(err) => {
                                stop.store(true, Ordering::SeqCst);
                                return Err(err);
                            }
                        };
                        if let Err(err) = shared.write(|j| j.finish(entry.seq, &finish)) {
                            stop.store(true, Ordering::SeqCst);
                            return Err(err);
                        }
                        if finish.state == State::Failed && run.fail_fast {
                            stop.store(true, Ordering::SeqCst);
                        }
                        done(entry, &finish);
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker panicked")))
            })
            .collect()
    });
    for result in results {
        result?;
    }
    Ok(stop.load(Ordering::SeqCst))
}

/// What one attempt came to.
enum Attempt {
    Done(Finish),
    /// May pass: try again.
    Again(String),
}

/// Moves one profile, trying again what may pass. An error only when the journal fails.
fn move_one(run: &Run, shared: &Shared, entry: &Entry) -> anyhow::Result<Finish> {
    let start = Instant::now();
    let mut sent_as = entry.sent_as.clone();
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match attempt_once(run, shared, entry, &mut sent_as) {
            Ok(Attempt::Done(mut finish)) => {
                finish.elapsed_ms = start.elapsed().as_millis() as i64;
                return Ok(finish);
            }
            Ok(Attempt::Again(why)) => last = why,
            Err(err) if is_journal_failure(&err) => return Err(err),
            Err(err) => last = format!("{err:#}"),
        }
        tracing::debug!(
            "{}: attempt {attempt} of {ATTEMPTS} failed: {last}",
            entry.label()
        );
    }
    Ok(Finish {
        state: State::Failed,
        outcome: "error".into(),
        detail: Some(last),
        findings: None,
        target_uid: None,
        sent_as,
        elapsed_ms: start.elapsed().as_millis() as i64,
    })
}

/// Tells the journal where a delivery stands; progress lines go to the debug log (`-v`).
struct Watch<'a> {
    shared: &'a Shared<'a>,
    seq: i64,
    label: String,
    sent_as: Mutex<Option<String>>,
}

impl transfer::Progress for Watch<'_> {
    fn say(&self, line: &str) {
        tracing::debug!("{}: {line}", self.label);
    }
    fn validated(&self) -> anyhow::Result<()> {
        self.shared.write(|j| j.advance(self.seq, State::Validated))
    }
    fn approved(&self) -> anyhow::Result<()> {
        self.shared.write(|j| j.advance(self.seq, State::Approved))
    }
    fn importing(&self, label: &str) -> anyhow::Result<()> {
        *self.sent_as.lock().unwrap_or_else(|p| p.into_inner()) = Some(label.to_string());
        self.shared.write(|j| j.importing(self.seq, label))
    }
    fn imported(&self, uid: &str) -> anyhow::Result<()> {
        // A test hook: the import landed and the journal does not know yet.
        crash_point("bulk:imported");
        self.shared.write(|j| j.imported(self.seq, uid))
    }
}

fn attempt_once(
    run: &Run,
    shared: &Shared,
    entry: &Entry,
    sent_as: &mut Option<String>,
) -> anyhow::Result<Attempt> {
    let say = |line: &str| tracing::debug!("{}: {line}", entry.label());
    let route = route_of(run.routes, entry)?;
    let wanted = ProfileRef {
        name: entry.name.clone(),
        version: Some(entry.version.clone()),
        uid: Some(entry.source_uid.clone()),
    };
    let extracted = transfer::extract(run.pipeline, run.transport, &route.from_key, &wanted, &say)?;
    if sent_as.is_none() {
        shared.write(|j| j.advance(entry.seq, State::Exported))?;
    }
    let mut document = extracted.document.clone();
    let mut opts = shared.opts[&route.to_key].clone();
    if let Some(label) = sent_as.as_deref() {
        // It may have been imported already, under this name and version: look there first, and
        // never bump or rename it a second time.
        let (name, version) = label.rsplit_once('@').unwrap_or((label, ""));
        let rename = (name != extracted.name).then_some(name);
        let reversion = (version != extracted.version).then_some(version);
        if rename.is_some() || reversion.is_some() {
            document = edit::rename(&document, rename, reversion)?;
        }
        opts.on_conflict = OnConflict::Fail;
    }
    let mut fills: Vec<Fill> = extracted.secrets.iter().map(Fill::from).collect();
    // Each `--set` fills the profiles that have its place.
    for found in edit::resolve_each(&document, run.sets)?
        .into_iter()
        .flatten()
    {
        fills.extend(found);
    }
    let carried = Carried {
        fills: &fills,
        macros: &extracted.macros,
    };
    let watch = Watch {
        shared,
        seq: entry.seq,
        label: entry.label(),
        sent_as: Mutex::new(sent_as.clone()),
    };
    let delivered = transfer::deliver(
        run.pipeline,
        run.transport,
        &route.to_key,
        &document,
        &carried,
        &opts,
        &watch,
    );
    *sent_as = watch
        .sent_as
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let (outcome, findings) = delivered?;
    Ok(conclude(outcome, &findings, sent_as.clone()))
}

/// The route of `entry`: from its source scope to its target scope, as its journal entry records
/// them (a journal from before projects has one route, the stored scopes').
pub fn route_of<'r>(routes: &'r [Route], entry: &Entry) -> anyhow::Result<&'r Route> {
    let matches = |r: &&Route| match (&entry.source_project, &entry.target_project) {
        (Some(from), Some(to)) => &r.from.to_string() == from && &r.to.to_string() == to,
        _ => true,
    };
    routes.iter().find(matches).ok_or_else(|| {
        anyhow::anyhow!(
            "the journal moves {} from project {} to {}, which this run does not: give the same project options as the run that wrote it",
            entry.label(),
            entry.source_project.as_deref().unwrap_or("-"),
            entry.target_project.as_deref().unwrap_or("-")
        )
    })
}

/// The journal's words for an outcome.
fn conclude(outcome: Outcome, findings: &[Reported], sent_as: Option<String>) -> Attempt {
    let json = (!findings.is_empty()).then(|| {
        let all: Vec<serde_json::Value> =
            findings.iter().map(crate::cli::findings::to_json).collect();
        serde_json::Value::Array(all).to_string()
    });
    let finish = |state, outcome: &str, detail: Option<String>, uid: Option<String>| Finish {
        state,
        outcome: outcome.to_string(),
        detail,
        findings: json.clone(),
        target_uid: uid,
        sent_as: sent_as.clone(),
        elapsed_ms: 0,
    };
    Attempt::Done(match outcome {
        Outcome::Imported {
            uid, verification, ..
        } if verification.ok() => finish(State::Verified, "moved", None, Some(uid)),
        Outcome::Imported {
            uid, verification, ..
        } => finish(
            State::Failed,
            "differs",
            Some(format!(
                "arrived, but not as sent: {}",
                verification.differences.join("; ")
            )),
            Some(uid),
        ),
        Outcome::AlreadyThere { uid, .. } => {
            finish(State::Verified, "already-there", None, Some(uid))
        }
        Outcome::Skipped { .. } => finish(
            State::Skipped,
            "skipped",
            Some("the name and version are taken in the target (--on-conflict skip)".into()),
            None,
        ),
        Outcome::Invalid => {
            let errors: Vec<&Reported> = findings
                .iter()
                .filter(|r| matches!(r.finding.severity, Severity::Error))
                .collect();
            // A validate plugin that failed (a request it could not get answered) may pass.
            if errors.iter().all(|r| r.finding.code == "plugin-failed") {
                let why: Vec<&str> = errors.iter().map(|r| r.finding.message.as_str()).collect();
                return Attempt::Again(why.join("; "));
            }
            let codes: Vec<&str> = errors.iter().map(|r| r.finding.code.as_str()).collect();
            finish(
                State::Failed,
                "invalid",
                Some(format!("validation: {}", codes.join(", "))),
                None,
            )
        }
        // Bulk runs ask once, before they start: no delivery asks.
        Outcome::Declined { label } => finish(
            State::Failed,
            "declined",
            Some(format!("{label} was not confirmed")),
            None,
        ),
        Outcome::Denied { plugin, reason } => finish(
            State::Failed,
            "denied",
            Some(format!("{plugin}: {reason}")),
            None,
        ),
        Outcome::NeedsReview { plugin, reason } => finish(
            State::Failed,
            "needs-review",
            Some(format!("{plugin}: {reason}")),
            None,
        ),
        Outcome::DryRun { label } => finish(
            State::Planned,
            "dry-run",
            Some(format!("would import {label}")),
            None,
        ),
    })
}
