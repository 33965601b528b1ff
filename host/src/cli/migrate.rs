//! `ferry migrate`: export, mask, validate, approve and import profiles, secrets carried in memory
//! only.
//!
//! Profiles named on the command line alone move one after another, each step printed as it
//! happens. A bulk run (`--all`, `--selector`, `--from-file`, or any of `--journal`, `--resume`,
//! `--concurrency`, `--plan`, `--fail-fast`, `--all-versions`) moves them concurrently within the
//! environments' rate limits, journals every profile's state so that `--resume` after a kill
//! imports nothing twice, shows a progress bar (plain lines when stderr is not a terminal) and ends
//! with a summary: exit 0 when every profile moved, 5 when some failed.
//!
//! Either kind of run can read and write projects other than the stored ones ([`super::projects`]):
//! each source scope is a route to a target scope, and each journal entry records its route.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Globals;
use super::import::{DeliverArgs, conclude};
use super::progress::Progress;
use super::projects::{Place, ProjectArgs, Route};
use super::session::{Session, say};
use super::table::{self, Output};
use crate::bulk;
use crate::bulk::journal::{Entry, Journal, Planned, State};
use crate::bulk::select::{Selection, parse_selector};
use crate::palette::ProfileSummary;
use crate::palette::limiter::{self, RateLimits};
use crate::pipeline::secrets::Fill;
use crate::pipeline::target;
use crate::pipeline::transfer::{self, OnConflict};
use crate::runtime::manifest::Step;

#[derive(clap::Args)]
pub struct Args {
    /// The stored environment to move from.
    #[arg(long)]
    from: String,
    /// The stored environment to move to.
    #[arg(long)]
    to: String,
    /// The profiles: NAME or NAME@VERSION (the highest version when none is given).
    profiles: Vec<String>,
    /// Every profile of the source (bulk).
    #[arg(long)]
    all: bool,
    /// The profiles with this label (bulk).
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_selector)]
    selector: Option<(String, String)>,
    /// The profiles a file lists, one NAME[@VERSION] a line, # comments (bulk).
    #[arg(long, value_name = "LIST")]
    from_file: Option<PathBuf>,
    /// Every version of a profile selected by name, not only the highest (bulk).
    #[arg(long)]
    all_versions: bool,
    /// Profiles moved at once (bulk; default: sized from the rate limit, 6 for Palette's).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: Option<u16>,
    /// The rate limits ferry keeps to in each environment: general=R/B,profiles=R/B (requests a
    /// second / burst), off, or palette (default: Palette's documented 10/5 and 50/250).
    #[arg(long, value_name = "LIMITS", value_parser = |s: &str| RateLimits::parse(s).map(Limits))]
    rate_limit: Option<Limits>,
    /// The bulk run's journal (default: under ferry's home, named after source, target and
    /// selection).
    #[arg(long, value_name = "FILE")]
    journal: Option<PathBuf>,
    /// Go on with the run the journal records: profiles already moved are left alone, failed and
    /// unfinished ones are tried again (bulk).
    #[arg(long)]
    resume: bool,
    /// Stop at the first profile that fails (bulk; default: report it and go on).
    #[arg(long)]
    fail_fast: bool,
    /// Show what would be moved, skipped and created; change nothing (bulk).
    #[arg(long)]
    plan: bool,
    #[command(flatten)]
    projects: ProjectArgs,
    #[command(flatten)]
    deliver: DeliverArgs,
}

/// `--rate-limit`: `None` is `off`.
#[derive(Clone, Copy, Debug)]
struct Limits(Option<RateLimits>);

impl Args {
    fn is_bulk(&self) -> bool {
        self.all
            || self.selector.is_some()
            || self.from_file.is_some()
            || self.all_versions
            || self.concurrency.is_some()
            || self.journal.is_some()
            || self.resume
            || self.fail_fast
            || self.plan
            || self.projects.all_projects
    }

    fn selection(&self) -> Selection {
        Selection {
            names: self.profiles.clone(),
            all: self.all,
            selector: self.selector.clone(),
            from_file: self.from_file.clone(),
            all_versions: self.all_versions,
        }
    }
}

pub fn run(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    if args.from == args.to {
        anyhow::bail!(
            "--from and --to name the same environment ({}); nothing would move",
            args.from
        );
    }
    if args.is_bulk() {
        return run_bulk(args, globals);
    }
    if args.profiles.is_empty() {
        anyhow::bail!(
            "which profiles? name them (NAME or NAME@VERSION), or select them with --all, --selector KEY=VALUE or --from-file LIST"
        );
    }
    let (opts, sets) = args.deliver.options()?;
    let session = Session::open(
        globals,
        args.deliver.policy.as_deref(),
        &[&args.from, &args.to],
    )?;
    let routes = args.projects.routes(&session, &args.from, &args.to)?;
    let Route {
        from_key: from,
        to_key: to,
        ..
    } = &routes[0];
    let pipeline = session.pipeline(
        args.deliver.policy.as_deref(),
        &Step::ALL,
        args.deliver.settings(Some(from), to),
    )?;
    let (started, counted) = (std::time::Instant::now(), crate::timing::snapshot());
    let mut worst = super::exit::success();
    // Each `--set` fills the profiles that have its place; one that fills none is a mistake.
    // Per `--set`: `None` once it filled something, else why it filled nothing (so far).
    let mut unused: Vec<Option<anyhow::Error>> = sets
        .values
        .iter()
        .map(|_| Some(anyhow::anyhow!("no profile was read")))
        .collect();
    for wanted in &args.profiles {
        say(&format!("── {wanted}: {from} → {to}"));
        let extracted = transfer::extract(
            &pipeline,
            &session.transport,
            from,
            &super::export::profile_ref(wanted),
            &say,
        )?;
        let mut fills: Vec<Fill> = extracted.secrets.iter().map(Fill::from).collect();
        let each = crate::pipeline::edit::resolve_each(&extracted.document, &sets.values)?;
        for (i, found) in each.into_iter().enumerate() {
            match found {
                Ok(found) => {
                    unused[i] = None;
                    fills.extend(found);
                }
                Err(why) if unused[i].is_some() => unused[i] = Some(why),
                Err(_) => {}
            }
        }
        let carried = transfer::Carried {
            fills: &fills,
            macros: &extracted.macros,
        };
        let (outcome, findings) = transfer::deliver(
            &pipeline,
            &session.transport,
            to,
            &extracted.document,
            &carried,
            &opts,
            &say,
        )?;
        let code = conclude(&outcome, &findings, args.deliver.output)?;
        if code != super::exit::success() {
            worst = code;
        }
    }
    if globals.verbose > 0 {
        let spent = crate::timing::snapshot().since(&counted);
        say(&format!("time      {}", spent.split(started.elapsed())));
    }
    if let Some(why) = unused.into_iter().flatten().next() {
        return Err(why.context("a --set filled nothing in any of the profiles"));
    }
    Ok(worst)
}

fn run_bulk(args: Args, globals: &Globals) -> anyhow::Result<ExitCode> {
    let selection = args.selection();
    let selects = !selection.names.is_empty()
        || selection.all
        || selection.selector.is_some()
        || selection.from_file.is_some();
    if !selects && !args.resume {
        anyhow::bail!(
            "which profiles? name them, or select them with --all, --selector KEY=VALUE or --from-file LIST (or --resume a journal)"
        );
    }
    let limits = args.rate_limit.map_or(Some(RateLimits::palette()), |l| l.0);
    let concurrency = args
        .concurrency
        .map(usize::from)
        .unwrap_or_else(|| limiter::default_concurrency(limits));
    let (mut opts, sets) = args.deliver.options()?;
    let session = Session::open_limited(
        globals,
        args.deliver.policy.as_deref(),
        &[&args.from, &args.to],
        limits,
    )?;
    // Every project named or implied exists, on both sides, before anything is read.
    let routes = args.projects.routes(&session, &args.from, &args.to)?;
    let path = match &args.journal {
        Some(path) => path.clone(),
        None => default_journal(&session.home, &args, &selection),
    };
    if args.plan || args.deliver.dry_run {
        return plan(&args, &session, &routes, &selection, &path);
    }

    let mut journal = Journal::open(&path)?;
    let started = journal.get("selection")?.is_some();
    if started && !args.resume {
        let entries = journal.entries()?;
        let done = entries.iter().filter(|e| e.state.is_done()).count();
        return Err(super::hints::with_hint(
            anyhow::anyhow!(
                "a journal of this migration exists at {} ({done} of {} profile(s) done)",
                path.display(),
                entries.len()
            ),
            "add --resume to go on with it, or remove the file to start over",
        ));
    }
    let projects = projects_key(&args);
    if started {
        for (key, value) in [
            ("source", &args.from),
            ("target", &args.to),
            ("projects", &projects),
        ] {
            let recorded = journal.get(key)?.unwrap_or_default();
            if &recorded != value {
                anyhow::bail!(
                    "the journal {} is of a migration with {key} {recorded:?}, not {value:?}; give the same --from, --to and project options, or another --journal",
                    path.display()
                );
            }
        }
    } else {
        if !selects {
            anyhow::bail!(
                "--resume: there is no run to resume at {}; select the profiles (NAME, --all, --selector or --from-file) to start one",
                path.display()
            );
        }
        let planned = choose(&args, &session, &routes, &selection)?;
        if planned.is_empty() {
            anyhow::bail!(
                "the selection matches no profile in {} ({})",
                args.from,
                routes
                    .iter()
                    .map(|r| r.from.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        journal.plan(&planned)?;
        journal.set("source", &args.from)?;
        journal.set("target", &args.to)?;
        journal.set("projects", &projects)?;
        // Last: a journal with a selection has its whole plan.
        journal.set("selection", &selection.canonical())?;
    }
    let entries = journal.entries()?;
    let pending: Vec<Entry> = entries
        .iter()
        .filter(|e| !e.state.is_done())
        .cloned()
        .collect();
    for entry in &pending {
        bulk::route_of(&routes, entry)?;
    }
    say(&format!(
        "migrate   {} profile(s) {} → {}: {} to move, {} done before; {concurrency} at a time; journal {}",
        entries.len(),
        args.from,
        args.to,
        pending.len(),
        entries.len() - pending.len(),
        path.display()
    ));
    // One question for the whole run, not one per profile from concurrent workers.
    if let Some(confirm) = opts.confirm.take()
        && !pending.is_empty()
        && !confirm(&format!(
            "move {} profile(s) into {}?",
            pending.len(),
            args.to
        ))
    {
        say("nothing was imported: you did not confirm the run");
        return Ok(super::exit::code(super::exit::DENIED));
    }
    let pipeline = session.pipeline(
        args.deliver.policy.as_deref(),
        &Step::ALL,
        args.deliver.settings(Some(&args.from), &args.to),
    )?;
    let progress = Progress::new(entries.len(), entries.len() - pending.len());
    let journal = Mutex::new(journal);
    let run = bulk::Run {
        pipeline: &pipeline,
        transport: &session.transport,
        routes: &routes,
        opts: &opts,
        sets: &sets.values,
        concurrency,
        fail_fast: args.fail_fast,
    };
    let stopped = bulk::run(&run, &journal, &pending, &|e, f| progress.finished(e, f))?;
    let elapsed = progress.end();
    let journal = journal.into_inner().unwrap_or_else(|p| p.into_inner());
    let entries = journal.entries()?;
    let mut requests = serde_json::Map::new();
    for env in [&args.from, &args.to] {
        let (general, profiles) = session.transport.client(env)?.requests_sent();
        requests.insert(
            env.clone(),
            json!({
                "general": general.sent, "clusterprofiles": profiles.sent,
                // The 429s answered, and how long their Retry-After held each class back.
                "throttled": {"general": general.throttled, "clusterprofiles": profiles.throttled},
                "heldSeconds": {"general": general.held, "clusterprofiles": profiles.held},
            }),
        );
    }
    let ran = Ran {
        attempted: pending.len(),
        elapsed,
        stopped,
        requests: Value::Object(requests),
    };
    summarize(&args, &path, &entries, &ran)
}

/// The project options as the journal records them ("" when none was given).
fn projects_key(args: &Args) -> String {
    if args.projects.any() {
        args.projects.canonical()
    } else {
        String::new()
    }
}

/// The profiles the selection takes from each route's source scope. With `--all-projects` each
/// scope gives only its own profiles (a project's list shows its tenant's too).
fn selected(
    args: &Args,
    session: &Session,
    routes: &[Route],
    selection: &Selection,
) -> anyhow::Result<Vec<Vec<ProfileSummary>>> {
    let mut lists = Vec::new();
    for route in routes {
        let client = session.transport.client(&route.from_key)?;
        let mut listed = session.transport.block_on(client.profiles())?;
        if args.projects.all_projects {
            let own = match route.from {
                Place::Tenant => "tenant",
                Place::Project(_) => "project",
            };
            listed.retain(|p| p.scope == own);
        }
        lists.push(listed);
    }
    let borrowed: Vec<&[ProfileSummary]> = lists.iter().map(Vec::as_slice).collect();
    selection.resolve_each(&borrowed)
}

/// The plan of a new run: each selected profile with the route it takes.
fn choose(
    args: &Args,
    session: &Session,
    routes: &[Route],
    selection: &Selection,
) -> anyhow::Result<Vec<Planned>> {
    let chosen = selected(args, session, routes, selection)?;
    Ok(routes
        .iter()
        .zip(chosen)
        .flat_map(|(route, profiles)| {
            profiles.into_iter().map(|p| Planned {
                source_uid: p.uid,
                name: p.name,
                version: p.version,
                source_project: route.from.to_string(),
                target_project: route.to.to_string(),
            })
        })
        .collect())
}

/// What this run did, beside the journal's entries.
struct Ran {
    attempted: usize,
    elapsed: std::time::Duration,
    stopped: bool,
    /// Per environment and rate-limit class: requests sent (retries included), 429s answered
    /// and how long they held the class back.
    requests: Value,
}

/// `<home>/journals/<from>--<to>--<hash of the selection and project options>.journal`
fn default_journal(home: &Path, args: &Args, selection: &Selection) -> PathBuf {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let (from, to) = (&args.from, &args.to);
    let mut keyed = format!("{from}\n{to}\n{}", selection.canonical());
    // Runs without project options keep the name they had before there were any.
    let projects = projects_key(args);
    if !projects.is_empty() {
        keyed.push_str(&format!("\n{projects}"));
    }
    let hash = hex::encode(Sha256::digest(keyed.as_bytes()));
    home.join("journals").join(format!(
        "{}--{}--{}.journal",
        safe(from),
        safe(to),
        &hash[..12]
    ))
}

/// The summary: a table (or JSON) on stdout, the totals and what to do next on stderr.
fn summarize(args: &Args, path: &Path, entries: &[Entry], ran: &Ran) -> anyhow::Result<ExitCode> {
    let Ran {
        attempted,
        elapsed,
        stopped,
        ..
    } = *ran;
    let count = |outcome: &str| {
        entries
            .iter()
            .filter(|e| e.outcome.as_deref() == Some(outcome))
            .count()
    };
    let failed: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.state == State::Failed)
        .collect();
    let left = entries
        .iter()
        .filter(|e| !e.state.is_done() && e.state != State::Failed)
        .count();
    match args.deliver.output {
        Output::Json => {
            let profiles: Vec<Value> = entries.iter().map(entry_json).collect();
            let all = json!({
                "source": args.from, "target": args.to, "journal": path.display().to_string(),
                "elapsedMs": elapsed.as_millis() as u64, "requests": ran.requests,
                "moved": count("moved"), "alreadyThere": count("already-there"),
                "skipped": count("skipped"), "failed": failed.len(), "notAttempted": left,
                "profiles": profiles,
            });
            table::print_stdout(&(serde_json::to_string_pretty(&all)? + "\n"))?;
        }
        Output::Table => {
            let rows: Vec<[String; 6]> = entries
                .iter()
                .map(|e| {
                    [
                        e.label(),
                        projects_cell(e),
                        e.outcome.clone().unwrap_or_else(|| e.state.name().into()),
                        e.target_uid.clone().unwrap_or_else(|| "-".into()),
                        findings_cell(e.findings.as_deref()),
                        format!("{:.2} s", e.elapsed_ms as f64 / 1000.0),
                    ]
                })
                .collect();
            table::print_table(
                &[
                    "PROFILE",
                    "PROJECTS",
                    "OUTCOME",
                    "TARGET UID",
                    "FINDINGS",
                    "TIME",
                ],
                &rows,
            )?;
        }
    }
    let secs = elapsed.as_secs_f64();
    say(&format!(
        "migrate   {} profile(s): {} moved, {} already there, {} skipped, {} failed{}; {attempted} attempted in {secs:.1} s ({:.1}/s)",
        entries.len(),
        count("moved"),
        count("already-there"),
        count("skipped"),
        failed.len(),
        if left > 0 {
            format!(", {left} not attempted")
        } else {
            String::new()
        },
        attempted as f64 / secs.max(0.001)
    ));
    if failed.is_empty() && left == 0 {
        return Ok(super::exit::success());
    }
    for e in failed.iter().take(20) {
        say(&format!(
            "failed    {}: {}",
            e.label(),
            e.detail.as_deref().unwrap_or("-")
        ));
    }
    if failed.len() > 20 {
        say(&format!(
            "failed    ... and {} more (the journal lists them all)",
            failed.len() - 20
        ));
    }
    if stopped {
        say("stopped at the first failure (--fail-fast)");
    }
    say(&format!("journal   {}", path.display()));
    say(&format!("retry     {}", retry_command(args, path)));
    Ok(super::exit::code(super::exit::PARTIAL))
}

fn entry_json(e: &Entry) -> Value {
    let findings: Value = e
        .findings
        .as_deref()
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_else(|| json!([]));
    json!({
        "profile": e.label(), "name": e.name, "version": e.version, "sourceUid": e.source_uid,
        "state": e.state.name(), "outcome": e.outcome, "sentAs": e.sent_as,
        "targetUid": e.target_uid, "findings": findings, "detail": e.detail,
        "attempts": e.attempts, "timeMs": e.elapsed_ms,
        "sourceProject": e.source_project, "targetProject": e.target_project,
    })
}

/// "prod → qa": the scopes a profile is read from and written to (`-` in an old journal).
fn projects_cell(e: &Entry) -> String {
    match (&e.source_project, &e.target_project) {
        (Some(from), Some(to)) => format!("{from} → {to}"),
        _ => "-".into(),
    }
}

/// "2 (1 error)" from the journal's findings JSON.
fn findings_cell(findings: Option<&str>) -> String {
    let all: Vec<Value> = findings
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default();
    let errors = all.iter().filter(|f| f["severity"] == "error").count();
    match (all.len(), errors) {
        (0, _) => "-".into(),
        (n, 0) => n.to_string(),
        (n, e) => format!("{n} ({e} error(s))"),
    }
}

/// The command that retries only what failed or was not reached: the same options, `--resume`
/// on this journal. Values given with `--set` are not repeated (they may be secrets).
fn retry_command(args: &Args, path: &Path) -> String {
    let quote = super::shell::quote;
    let mut parts = vec![
        "ferry migrate".to_string(),
        format!("--from {}", quote(&args.from)),
        format!("--to {}", quote(&args.to)),
        "--resume".to_string(),
        format!("--journal {}", quote(&path.display().to_string())),
    ];
    let p = &args.projects;
    if let Some(from) = &p.from_project {
        parts.push(format!("--from-project {}", quote(&from.to_string())));
    }
    if let Some(to) = &p.to_project {
        parts.push(format!("--to-project {}", quote(&to.to_string())));
    }
    if p.all_projects {
        parts.push("--all-projects".into());
    }
    for (from, to) in &p.project_map {
        parts.push(format!("--project-map {}", quote(&format!("{from}={to}"))));
    }
    let d = &args.deliver;
    if d.on_conflict != OnConflict::Fail {
        let text = match &d.on_conflict {
            OnConflict::Skip => "skip".to_string(),
            OnConflict::BumpPatch => "bump-patch".into(),
            OnConflict::BumpMinor => "bump-minor".into(),
            OnConflict::Rename(n) => format!("rename={n}"),
            OnConflict::Fail => "fail".into(),
        };
        parts.push(format!("--on-conflict {}", quote(&text)));
    }
    for map in &d.map.registry_map {
        parts.push(format!("--registry-map {}", quote(map)));
    }
    for map in &d.map.pack_map {
        parts.push(format!("--pack-map {}", quote(map)));
    }
    for (flag, on) in [
        ("--create-macros", d.create_macros),
        ("--publish", d.publish),
        ("--allow-masked", d.allow_masked),
    ] {
        if on {
            parts.push(flag.to_string());
        }
    }
    if let Some(policy) = &d.policy {
        parts.push(format!("--policy {}", quote(&policy.display().to_string())));
    }
    if let Some(n) = args.concurrency {
        parts.push(format!("--concurrency {n}"));
    }
    for set in &d.set {
        let place = set.split_once('=').map_or(set.as_str(), |(p, _)| p);
        parts.push(format!("--set {}=…", quote(place)));
    }
    parts.join(" ")
}

/// `--plan`: what a run would move, skip and create (profiles, and with them the macros the
/// target lacks), asking the target only whether each name and version is free and which macros
/// it has, and exporting from the source the profiles that would be sent.
fn plan(
    args: &Args,
    session: &Session,
    routes: &[Route],
    selection: &Selection,
    path: &Path,
) -> anyhow::Result<ExitCode> {
    // What an earlier run of this journal did (read only: a plan writes nothing).
    let done: Vec<Entry> = if path.exists() {
        Journal::open(path)?.entries()?
    } else {
        Vec::new()
    };
    let chosen = if done.is_empty() || !selection.names.is_empty() || selection.all {
        choose(args, session, routes, selection)?
    } else {
        Vec::new()
    };
    let mut profiles: Vec<Entry> = chosen
        .into_iter()
        .enumerate()
        .map(
            |(i, p)| match done.iter().find(|e| e.source_uid == p.source_uid) {
                // What an earlier run did with it.
                Some(e) => e.clone(),
                None => Entry {
                    seq: i as i64,
                    source_uid: p.source_uid,
                    name: p.name,
                    version: p.version,
                    state: State::Planned,
                    sent_as: None,
                    target_uid: None,
                    outcome: None,
                    detail: None,
                    findings: None,
                    attempts: 0,
                    elapsed_ms: 0,
                    source_project: Some(p.source_project),
                    target_project: Some(p.target_project),
                },
            },
        )
        .collect();
    for e in &done {
        if !profiles.iter().any(|p| p.source_uid == e.source_uid) {
            profiles.push(e.clone());
        }
    }
    let mut rows: Vec<[String; 4]> = Vec::new();
    let mut creates = 0;
    // Per target key and macro: the target scope and the profiles that use it.
    let mut used: BTreeMap<(String, String), (String, usize)> = BTreeMap::new();
    let on_conflict = &args.deliver.on_conflict;
    for e in &profiles {
        let (label, projects) = (e.label(), projects_cell(e));
        if e.state.is_done() {
            let detail = format!(
                "{} in an earlier run (journal)",
                e.outcome.as_deref().unwrap_or("done")
            );
            rows.push([label, projects, "done".into(), detail]);
            continue;
        }
        let route = bulk::route_of(routes, e)?;
        let dest = session.transport.client(&route.to_key)?;
        let free = session
            .transport
            .block_on(target::name_free(&dest, &e.name, &e.version))?;
        let to = &route.to_key;
        let (action, detail) = if free {
            ("create", format!("new in {to}"))
        } else {
            match on_conflict {
                OnConflict::Skip => ("skip", "taken in the target (--on-conflict skip)".into()),
                OnConflict::BumpPatch | OnConflict::BumpMinor => {
                    ("create", "taken: imported under the next free version".into())
                }
                OnConflict::Rename(new) => ("create", format!("taken: imported as {new}")),
                OnConflict::Fail => (
                    "check",
                    "taken: nothing to do if the same profile is there, else it fails (--on-conflict)"
                        .into(),
                ),
            }
        };
        if action == "create" {
            creates += 1;
        }
        if action != "skip" {
            let source = session.transport.client(&route.from_key)?;
            let document = session
                .transport
                .block_on(target::export(&source, &e.source_uid))?;
            for name in transfer::macro_names(&document)? {
                used.entry((to.clone(), name))
                    .or_insert_with(|| (route.to.to_string(), 0))
                    .1 += 1;
            }
        }
        rows.push([label, projects, action.into(), detail]);
    }
    // The macros the profiles use that their target scope lacks.
    let mut defined: BTreeMap<&str, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut macros = 0;
    for ((to, name), (place, count)) in &used {
        if !defined.contains_key(to.as_str()) {
            let client = session.transport.client(to)?;
            let names = session.transport.block_on(target::macros(&client))?;
            defined.insert(to, names.into_iter().map(|(n, _)| n).collect());
        }
        if defined[to.as_str()].contains(name) {
            continue;
        }
        macros += 1;
        let (action, detail) = if args.deliver.create_macros {
            (
                "create",
                format!("in {to}, once, with the first of {count} profile(s) that use it"),
            )
        } else {
            (
                "missing",
                format!("{count} profile(s) use it; add --create-macros, or define it in {to}"),
            )
        };
        rows.push([
            format!("macro {name}"),
            place.clone(),
            action.into(),
            detail,
        ]);
    }
    match args.deliver.output {
        Output::Json => {
            let all: Vec<Value> = rows
                .iter()
                .map(|[p, projects, a, d]| match p.strip_prefix("macro ") {
                    Some(name) => {
                        json!({"macro": name, "project": projects, "action": a, "detail": d})
                    }
                    None => json!({"profile": p, "projects": projects, "action": a, "detail": d}),
                })
                .collect();
            table::print_stdout(&(serde_json::to_string_pretty(&all)? + "\n"))?;
        }
        Output::Table => {
            table::print_table(&["PROFILE", "PROJECTS", "ACTION", "DETAIL"], &rows)?;
        }
    }
    say(&format!(
        "plan      {} profile(s) {} → {}: {creates} to create, {macros} macro(s) the target lacks; nothing was changed",
        profiles.len(),
        args.from,
        args.to
    ));
    Ok(super::exit::success())
}
