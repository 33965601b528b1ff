//! The journal of a bulk migration: every profile's state, written before and after each side
//! effect, so that a run killed at any instant and started again with `--resume` imports nothing
//! twice and loses nothing.
//!
//! SQLite rather than a JSON file rewritten whole: each change is one small transaction (a JSON
//! file of 500 profiles would be rewritten and fsynced thousands of times), a transaction is
//! atomic whatever kills the process, and the rows are read back one at a time, so memory does not
//! grow with the number of profiles. WAL with `synchronous=NORMAL`: a killed process loses nothing
//! that was committed; a power cut may lose the last few commits, which the reconciliation on
//! resume (look the profile up in the target before sending it again) covers.
//!
//! No secret is ever written here: a resumed run exports the profile from the source again and
//! takes its secrets from there. What is kept: names, versions, uids, states, outcomes, findings
//! (as the command prints them) and error messages.

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{Connection, OptionalExtension, params};

/// Where a profile stands. The order is the order of a move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Planned,
    Exported,
    Validated,
    Approved,
    /// About to be sent: `sent_as` says under which name and version. On resume, looked up there.
    Importing,
    Imported,
    /// Done: read back and found as sent, or already there as sent.
    Verified,
    /// Done, nothing imported: `--on-conflict skip`.
    Skipped,
    /// Done for this run; `--resume` tries it again.
    Failed,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Planned => "planned",
            State::Exported => "exported",
            State::Validated => "validated",
            State::Approved => "approved",
            State::Importing => "importing",
            State::Imported => "imported",
            State::Verified => "verified",
            State::Skipped => "skipped",
            State::Failed => "failed",
        }
    }

    fn parse(s: &str) -> anyhow::Result<State> {
        Ok(match s {
            "planned" => State::Planned,
            "exported" => State::Exported,
            "validated" => State::Validated,
            "approved" => State::Approved,
            "importing" => State::Importing,
            "imported" => State::Imported,
            "verified" => State::Verified,
            "skipped" => State::Skipped,
            "failed" => State::Failed,
            other => anyhow::bail!("unknown state {other:?}"),
        })
    }

    /// Nothing is left to do for it (a failed one is retried by `--resume`).
    pub fn is_done(self) -> bool {
        matches!(self, State::Verified | State::Skipped)
    }
}

/// One profile of the run, as the journal holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The order of the plan, from 1.
    pub seq: i64,
    pub source_uid: String,
    pub name: String,
    pub version: String,
    pub state: State,
    /// `name@version` as sent to the target (after `--on-conflict`), once known.
    pub sent_as: Option<String>,
    pub target_uid: Option<String>,
    /// moved, already-there, skipped, invalid, denied, failed, differs.
    pub outcome: Option<String>,
    /// The error, or what the outcome needs said.
    pub detail: Option<String>,
    /// The findings as JSON (what `--output json` prints for them).
    pub findings: Option<String>,
    pub attempts: i64,
    pub elapsed_ms: i64,
    /// The scope it is read from and the one it goes to: a project's name or `@tenant`
    /// (`None` in a journal written before runs named projects: the environments' stored scopes).
    pub source_project: Option<String>,
    pub target_project: Option<String>,
}

impl Entry {
    pub fn label(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// A profile to plan.
pub struct Planned {
    pub source_uid: String,
    pub name: String,
    pub version: String,
    pub source_project: String,
    pub target_project: String,
}

pub struct Journal {
    db: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profile (
    seq INTEGER PRIMARY KEY,
    source_uid TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    state TEXT NOT NULL,
    sent_as TEXT,
    target_uid TEXT,
    outcome TEXT,
    detail TEXT,
    findings TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    elapsed_ms INTEGER NOT NULL DEFAULT 0,
    source_project TEXT,
    target_project TEXT
);";

/// Columns added since the first journals, added to those when opened.
const ADDED: &[(&str, &str)] = &[("source_project", "TEXT"), ("target_project", "TEXT")];

impl Journal {
    /// Opens (or creates) the journal at `path`, private to its owner.
    pub fn open(path: &Path) -> anyhow::Result<Journal> {
        // A folder ferry makes is private; one the user named (`--journal ~/work/x.journal`) is
        // theirs and keeps its mode: the journal file itself is private either way.
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            crate::config::atomic::ensure_private_dir(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        // Created private, before SQLite opens it (an empty file is an empty database): made
        // private after, a kill in between would leave it readable by others for good.
        {
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot create {}", path.display()));
                }
            }
        }
        let db = Connection::open(path)
            .with_context(|| format!("cannot open the journal {}", path.display()))?;
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.execute_batch(SCHEMA)
            .with_context(|| format!("{} is not a ferry journal", path.display()))?;
        let journal = Journal { db };
        journal.add_columns()?;
        Ok(journal)
    }

    fn add_columns(&self) -> anyhow::Result<()> {
        let mut query = self
            .db
            .prepare("SELECT name FROM pragma_table_info('profile')")?;
        let have: Vec<String> = query
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for (column, kind) in ADDED {
            if !have.iter().any(|c| c == column) {
                self.db
                    .execute_batch(&format!("ALTER TABLE profile ADD COLUMN {column} {kind}"))?;
            }
        }
        Ok(())
    }

    /// A value of the run (`source`, `target`, `selection`, `command`), if set.
    pub fn get(&self, key: &str) -> anyhow::Result<Option<String>> {
        Ok(self
            .db
            .query_row("SELECT value FROM run WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set(&self, key: &str, value: &str) -> anyhow::Result<()> {
        self.db.execute(
            "INSERT INTO run (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Records the plan in one transaction: all of it or none.
    pub fn plan(&mut self, profiles: &[Planned]) -> anyhow::Result<()> {
        let tx = self.db.transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO profile
                    (source_uid, name, version, state, source_project, target_project)
                 VALUES (?1, ?2, ?3, 'planned', ?4, ?5)",
            )?;
            for p in profiles {
                insert.execute(params![
                    p.source_uid,
                    p.name,
                    p.version,
                    p.source_project,
                    p.target_project
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every profile, in the plan's order.
    pub fn entries(&self) -> anyhow::Result<Vec<Entry>> {
        let mut query = self.db.prepare(
            "SELECT seq, source_uid, name, version, state, sent_as, target_uid, outcome, detail,
                    findings, attempts, elapsed_ms, source_project, target_project
             FROM profile ORDER BY seq",
        )?;
        let rows = query.query_map([], |r| {
            Ok((
                Entry {
                    seq: r.get(0)?,
                    source_uid: r.get(1)?,
                    name: r.get(2)?,
                    version: r.get(3)?,
                    state: State::Planned,
                    sent_as: r.get(5)?,
                    target_uid: r.get(6)?,
                    outcome: r.get(7)?,
                    detail: r.get(8)?,
                    findings: r.get(9)?,
                    attempts: r.get(10)?,
                    elapsed_ms: r.get(11)?,
                    source_project: r.get(12)?,
                    target_project: r.get(13)?,
                },
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (mut entry, state) = row?;
            entry.state = State::parse(&state)?;
            Ok(entry)
        })
        .collect()
    }

    /// Moves profile `seq` to `state`.
    pub fn advance(&self, seq: i64, state: State) -> anyhow::Result<()> {
        self.db.execute(
            "UPDATE profile SET state = ?2 WHERE seq = ?1",
            params![seq, state.name()],
        )?;
        Ok(())
    }

    /// Before the import: under which name and version it goes.
    pub fn importing(&self, seq: i64, sent_as: &str) -> anyhow::Result<()> {
        self.db.execute(
            "UPDATE profile SET state = 'importing', sent_as = ?2 WHERE seq = ?1",
            params![seq, sent_as],
        )?;
        Ok(())
    }

    /// After the import answered: the uid it has in the target.
    pub fn imported(&self, seq: i64, target_uid: &str) -> anyhow::Result<()> {
        self.db.execute(
            "UPDATE profile SET state = 'imported', target_uid = ?2 WHERE seq = ?1",
            params![seq, target_uid],
        )?;
        Ok(())
    }

    /// How an attempt at profile `seq` ended.
    pub fn finish(&self, seq: i64, end: &Finish) -> anyhow::Result<()> {
        self.db.execute(
            "UPDATE profile SET state = ?2, outcome = ?3, detail = ?4, findings = ?5,
                    target_uid = COALESCE(?6, target_uid), sent_as = COALESCE(?7, sent_as),
                    attempts = attempts + 1, elapsed_ms = elapsed_ms + ?8
             WHERE seq = ?1",
            params![
                seq,
                end.state.name(),
                end.outcome,
                end.detail,
                end.findings,
                end.target_uid,
                end.sent_as,
                end.elapsed_ms
            ],
        )?;
        Ok(())
    }
}

/// How one attempt at a profile ended.
#[derive(Debug, Clone)]
pub struct Finish {
    pub state: State,
    pub outcome: String,
    pub detail: Option<String>,
    pub findings: Option<String>,
    pub target_uid: Option<String>,
    pub sent_as: Option<String>,
    pub elapsed_ms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(uid: &str, name: &str) -> Planned {
        Planned {
            source_uid: uid.into(),
            name: name.into(),
            version: "1.0.0".into(),
            source_project: "prod".into(),
            target_project: "@tenant".into(),
        }
    }

    #[test]
    fn states_survive_reopening_and_a_plan_is_not_doubled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j/run.journal");
        {
            let mut j = Journal::open(&path).unwrap();
            j.set("source", "prod").unwrap();
            j.plan(&[planned("u1", "a"), planned("u2", "b")]).unwrap();
            j.importing(1, "a@1.0.0").unwrap();
            j.imported(1, "t1").unwrap();
        }
        let mut j = Journal::open(&path).unwrap();
        j.plan(&[planned("u1", "a"), planned("u2", "b")]).unwrap();
        let entries = j.entries().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].state, State::Imported);
        assert_eq!(entries[0].sent_as.as_deref(), Some("a@1.0.0"));
        assert_eq!(entries[0].target_uid.as_deref(), Some("t1"));
        assert_eq!(entries[1].state, State::Planned);
        assert_eq!(entries[1].source_project.as_deref(), Some("prod"));
        assert_eq!(entries[1].target_project.as_deref(), Some("@tenant"));
        assert_eq!(j.get("source").unwrap().as_deref(), Some("prod"));
        j.finish(
            2,
            &Finish {
                state: State::Failed,
                outcome: "invalid".into(),
                detail: Some("pack missing".into()),
                findings: None,
                target_uid: None,
                sent_as: None,
                elapsed_ms: 12,
            },
        )
        .unwrap();
        let b = &j.entries().unwrap()[1];
        assert_eq!((b.state, b.attempts, b.elapsed_ms), (State::Failed, 1, 12));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the journal is private: {mode:o}");
    }

    #[test]
    fn a_folder_the_user_named_keeps_its_mode_and_a_new_one_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = tempfile::tempdir().unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755)).unwrap();
        Journal::open(&work.join("x.journal")).unwrap();
        assert_eq!(mode(&work), 0o755);
        assert_eq!(mode(&work.join("x.journal")), 0o600);
        let new = work.join("journals");
        Journal::open(&new.join("y.journal")).unwrap();
        assert_eq!(mode(&new), 0o700);
    }

    #[test]
    fn a_journal_from_before_projects_gains_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.journal");
        {
            let db = Connection::open(&path).unwrap();
            db.execute_batch(
                "CREATE TABLE run (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE profile (seq INTEGER PRIMARY KEY, source_uid TEXT NOT NULL UNIQUE,
                    name TEXT NOT NULL, version TEXT NOT NULL, state TEXT NOT NULL, sent_as TEXT,
                    target_uid TEXT, outcome TEXT, detail TEXT, findings TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0, elapsed_ms INTEGER NOT NULL DEFAULT 0);
                 INSERT INTO profile (source_uid, name, version, state)
                    VALUES ('u1', 'a', '1.0.0', 'verified');",
            )
            .unwrap();
        }
        let j = Journal::open(&path).unwrap();
        let entries = j.entries().unwrap();
        assert_eq!(entries[0].state, State::Verified);
        assert_eq!(entries[0].source_project, None);
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x");
        std::fs::write(
            &path,
            "just text, not SQLite, long enough to have a header....",
        )
        .unwrap();
        assert!(Journal::open(&path).is_err());
    }
}
