//! The sandbox's storage: one SQLite file (`<data dir>/sandbox.db`, WAL mode) so data survives a restart.
//!
//! One connection behind a mutex, used from `spawn_blocking`: SQLite serializes writers anyway, and the
//! sandbox's load is a test's load. Every write runs in a transaction, so a failed request leaves nothing
//! half-written.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use rusqlite::{Connection, Transaction};

use super::errors::{ApiError, ApiResult};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (
    uid TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    uid TEXT PRIMARY KEY, tenant_uid TEXT NOT NULL REFERENCES tenants(uid), name TEXT NOT NULL,
    created TEXT NOT NULL, UNIQUE (tenant_uid, name));
CREATE TABLE IF NOT EXISTS users (
    uid TEXT PRIMARY KEY, tenant_uid TEXT NOT NULL REFERENCES tenants(uid), email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key TEXT PRIMARY KEY, user_uid TEXT NOT NULL REFERENCES users(uid));
CREATE TABLE IF NOT EXISTS registries (
    uid TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, endpoint TEXT NOT NULL,
    is_private INTEGER NOT NULL, is_default INTEGER NOT NULL, created TEXT NOT NULL,
    seq INTEGER NOT NULL, owner TEXT NOT NULL DEFAULT '', UNIQUE (name, kind, owner));
CREATE TABLE IF NOT EXISTS packs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE,
    registry_uid TEXT NOT NULL REFERENCES registries(uid), name TEXT NOT NULL, version TEXT NOT NULL,
    layer TEXT NOT NULL, type TEXT NOT NULL, display_name TEXT NOT NULL, meta TEXT NOT NULL,
    "values" TEXT NOT NULL, schema TEXT NOT NULL, presets TEXT NOT NULL, created TEXT NOT NULL,
    UNIQUE (registry_uid, name, version));
CREATE TABLE IF NOT EXISTS profiles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uid TEXT NOT NULL UNIQUE,
    tenant_uid TEXT NOT NULL REFERENCES tenants(uid), project_uid TEXT, name TEXT NOT NULL,
    version TEXT NOT NULL, published INTEGER NOT NULL, doc TEXT NOT NULL, created TEXT NOT NULL,
    modified TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS profiles_scope ON profiles (tenant_uid, project_uid, name, version);
CREATE TABLE IF NOT EXISTS macros (
    scope TEXT NOT NULL, owner_uid TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (scope, owner_uid, name));
"#;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (or creates) `<dir>/sandbox.db` and its tables.
    pub fn open(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the sandbox data folder {}", dir.display()))?;
        let path = dir.join("sandbox.db");
        let conn = Connection::open(&path)
            .with_context(|| format!("cannot open the sandbox database {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)
            .with_context(|| format!("cannot create the tables of {}", path.display()))?;
        migrate(&conn).with_context(|| format!("cannot upgrade {}", path.display()))?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` in a transaction on a blocking thread; commits when it returns `Ok`.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> ApiResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let tx = conn.transaction()?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
        .map_err(|err| ApiError::internal(format!("storage task failed: {err}")))?
    }

    /// Runs a read-only `f` on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&conn)
        })
        .await
        .map_err(|err| ApiError::internal(format!("storage task failed: {err}")))?
    }

    /// Runs `f` in a transaction on the calling thread (startup and seeding only).
    pub fn write_now<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut conn = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction()?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Brings a database written by an older sandbox up to [`SCHEMA`].
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    // Registries gained `owner` ('' for system, else the creating tenant's uid). An older file keeps
    // its UNIQUE (name, kind), so there two tenants cannot reuse a name; create_registry checks the rest.
    let has_owner: bool = conn.query_row(
        "SELECT COUNT(*) FROM pragma_table_info('registries') WHERE name = 'owner'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if !has_owner {
        conn.execute_batch("ALTER TABLE registries ADD COLUMN owner TEXT NOT NULL DEFAULT ''")?;
    }
    Ok(())
}

/// Reads a value of the `meta` table.
pub fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Writes a value of the `meta` table.
pub fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}
