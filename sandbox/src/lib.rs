//! A local Palette-compatible API server: `ferry sandbox serve`, the tests and the benchmarks run on it.
//!
//! It serves the paths and models of `palette-apis-subset.json` (Palette APIs 4.8): cluster profiles
//! (list, get with pack schemas, export as JSON or YAML, import as JSON or multipart file, import/validate,
//! name and pack validation, publish, clone, variables, delete), registries and packs, macros at project,
//! tenant and system scope, projects, users/info and auth/authenticate. Data lives in one SQLite file under
//! the data folder, so it survives a restart.
//!
//! # Command line
//!
//! ```text
//! ferry sandbox serve [--listen ADDR] [--data DIR] [--seed-dir DIR] [--print-keys]
//!                     [--api-key [TENANT[/ROLE]:]KEY]... [--rate-limit off|on|general=R/B,profiles=R/B]
//!                     [--fault-seed N] [--fault-error-rate P] [--fault-error-status 500,503]
//!                     [--fault-latency-ms MS|MIN-MAX] [--fault-burst-rate P] [--fault-burst-len N]
//!                     [--fault-drop-rate P] [--fault-lost-rate P] [--fault-slow-rate P] [--fault-slow-ms MS]
//! ```
//!
//! `--listen` defaults to `127.0.0.1:7480` (port 0 picks a free port); `--data` to `<FERRY_HOME>/sandbox`.
//! When ready it prints exactly one line to stdout, a JSON object, and flushes it:
//!
//! ```text
//! {"url":"http://127.0.0.1:PORT","tenants":[{"name":"acme","uid":"...","projects":[{"name":"Default","uid":"..."},...],
//!   "keys":[{"key":"...","role":"admin","permissions":["clusterProfile.create",...]},...]},...]}
//! ```
//!
//! `keys` is there only with `--print-keys` (it then also lists `--api-key` keys). The server runs until
//! SIGINT or SIGTERM, finishes in-flight requests and exits 0.
//!
//! # What is seeded
//!
//! Tenants "acme" (projects "Default", "prod", "staging") and "globex" ("Default", "dev"); per tenant an admin
//! key (every permission) and a read-only key, held by users `admin@<tenant>.sandbox` and
//! `viewer@<tenant>.sandbox`. Keys are random on the first start of a data folder and stored there, so a
//! restart keeps them. Registries and packs: see [`seed`]. `--api-key KEY` adds a key for this run only
//! (not stored): admin of the first tenant by default, `globex/read-only:KEY` picks tenant and role
//! (roles: `admin`, `read-only`, `list-only`).
//!
//! # Decisions where Palette's documentation is silent
//!
//! - Auth: `ApiKey: <key>`, or `Authorization: <token>` from `POST /v1/auth/authenticate` (HS256 JWT signed
//!   with a secret of the data folder, valid 15 minutes; `Bearer ` prefix tolerated). The sandbox has no
//!   passwords: a seeded user signs in with its email and its API key as the password. Without valid
//!   credentials: 401 `Unauthorized`; a missing permission: 403 `Forbidden` (details name it).
//! - Scope: without `ProjectUid` a request is at tenant scope and sees tenant profiles only; with it, the
//!   project's profiles and the tenant's. A project of another tenant, or none: 404 `ResourceNotFound`.
//!   Name+version must be unique within the scope a profile is created in (409
//!   `ClusterProfileAlreadyExists`).
//! - Registries: the seeded ones are `system` scope, seen by every tenant. `POST /v1/registries/pack|helm`
//!   creates a `tenant` registry (`spec.scope` absent or `tenant`; `system`: 400) that only its tenant
//!   lists; its name must be free among the registries that tenant sees (409 `RegistryAlreadyExists`).
//!   `GET /v1/registries/metadata?scope=system|tenant|all` (default `all`) filters by scope.
//! - `export?format=yaml` is plain block YAML: keys and strings unquoted unless quoting is what keeps
//!   them strings; multi-line text as `|` literal blocks.
//! - Lists with `listmeta` page at 50 (`limit` may lower it); `listmeta.continue` is an opaque token, empty
//!   on the last page; `offset` is the next page's offset, `count` the total. `GET
//!   /v1/dashboard/clusterprofiles/metadata` has no `listmeta` in the contract and returns every item.
//! - Import stores the document as sent (unknown fields kept), so an export gives back the same document.
//!   Each pack's registry is resolved by uid, else by name and kind; the stored uid is the sandbox's, and
//!   `matchingRegistries` (an input of import/validate) is dropped. A pack no registry holds: 400
//!   `PackNotFound`. Values referencing `{{.spectro.var.X}}` not declared in `spec.variables`: 400
//!   `PackVariablesUndefined`. Values referencing a `{{.spectro.macro.X}}` the scope does not define: 400
//!   `MacrosUndefined` (the export does not carry macros; the target must have them first).
//!   `import/validate` runs the same checks but reports missing packs as empty `matchingRegistries`.
//!   Pack values that are not YAML: 400 `InvalidPackValues`. Other malformed bodies: 400 `BadRequest`.
//! - `validate/packs` answers only the packs with problems: `PackNotFound`, `InvalidPackValues`,
//!   `PackValueRequired` (a `required` schema field without a value).
//! - Permissions: reads and exports need `clusterProfile.get`; lists and `validate/name`
//!   `clusterProfile.list`; import, create, `import/validate` and `validate/packs` `clusterProfile.create`;
//!   clone both `get` and `create`; see [`Role`] for what each role carries.
//! - Errors carry Palette's body `{code, message, ref, details}`; `ref` is fresh per error, `details` is
//!   `null` or an object naming what was wrong (a missing permission, undefined variables or macros).
//! - Reads and exports return `********` in place of values the pack schema marks `format "${password}"` and
//!   of the `defaultValue` of variables with `isSensitive: true`.
//! - Request bodies up to 64 MiB (profiles with CRDs in their manifests run to megabytes).
//! - Rate limits (on by default, like Palette): token buckets per client IP, 10 req/s burst 5, and for
//!   `/v1/clusterprofiles*` 50 req/s burst 250; over it 429 `TooManyRequests` with `Retry-After` (seconds).
//! - Faults (off by default) apply to every `/v1` request, drawn from one RNG seeded with `--fault-seed`,
//!   so the same sequence of requests meets the same faults. See [`faults`].

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Serialize;

mod accounts;
mod auth;
mod document;
mod errors;
pub mod faults;
mod filters;
mod ids;
mod macros;
mod masking;
mod packmeta;
mod packs;
mod paging;
mod profiles;
pub mod ratelimit;
mod roles;
pub mod seed;
mod server;
mod store;
mod yaml;

pub use faults::{FaultConfig, FaultCounts};
pub use ratelimit::{Bucket, RateLimits};
pub use roles::Role;
pub use server::{RunningSandbox, start};

/// The default listen address of `ferry sandbox serve`.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7480";

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Folder holding the SQLite file.
    pub data_dir: PathBuf,
    /// A folder of pack folders to seed instead of the packs compiled in.
    pub seed_dir: Option<PathBuf>,
    /// Keys accepted for this run only, on top of the stored ones.
    pub extra_keys: Vec<ExtraKey>,
    /// Rate limits; `None` turns them off.
    pub rate_limits: Option<RateLimits>,
    /// Injected faults (none by default).
    pub faults: FaultConfig,
    /// A private registry holding some packs in place of "Public Repo" (none by default).
    pub mirror: Option<Mirror>,
}

/// A private pack registry, as a self-hosted Palette mirrors packs: it holds the packs named here,
/// and "Public Repo" then lacks them.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The registry's name (kind `pack`, system scope, a random uid).
    pub name: String,
    /// The packs it holds, as `NAME@VERSION`.
    pub packs: Vec<String>,
}

impl SandboxConfig {
    /// A sandbox on `DEFAULT_LISTEN` storing in `data_dir`, with Palette's rate limits and no faults.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        SandboxConfig {
            listen: DEFAULT_LISTEN.parse().expect("valid default address"),
            data_dir: data_dir.into(),
            seed_dir: None,
            extra_keys: Vec::new(),
            rate_limits: Some(RateLimits::palette()),
            faults: FaultConfig::default(),
            mirror: None,
        }
    }
}

/// A key given on the command line or by a test: valid for one run, never stored.
#[derive(Debug, Clone)]
pub struct ExtraKey {
    pub key: String,
    /// Tenant name; `None` means the first tenant.
    pub tenant: Option<String>,
    pub role: Role,
}

impl std::str::FromStr for ExtraKey {
    type Err = String;

    /// `KEY`, `TENANT:KEY` or `TENANT/ROLE:KEY`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (scope, key) = match s.split_once(':') {
            Some((scope, key)) => (Some(scope), key),
            None => (None, s),
        };
        if key.trim().is_empty() {
            return Err("the key is empty (expected KEY, TENANT:KEY or TENANT/ROLE:KEY)".into());
        }
        let (tenant, role) = match scope.map(|s| s.split_once('/').unwrap_or((s, "admin"))) {
            None => (None, Role::Admin),
            Some((tenant, role)) => {
                let role = Role::parse(role).ok_or_else(|| {
                    format!("unknown role '{role}' (expected admin, read-only or list-only)")
                })?;
                (Some(tenant.to_string()).filter(|t| !t.is_empty()), role)
            }
        };
        Ok(ExtraKey {
            key: key.to_string(),
            tenant,
            role,
        })
    }
}

/// A tenant as the ready line shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TenantInfo {
    pub name: String,
    pub uid: String,
    pub projects: Vec<ProjectInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyInfo>,
}

impl TenantInfo {
    /// The uid of the project named `name`.
    pub fn project(&self, name: &str) -> Option<&str> {
        self.projects
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.uid.as_str())
    }

    /// The first key with `role`.
    pub fn key(&self, role: Role) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.role == role.name())
            .map(|k| k.key.as_str())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProjectInfo {
    pub name: String,
    pub uid: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyInfo {
    pub key: String,
    pub role: String,
    pub permissions: Vec<String>,
}

impl KeyInfo {
    pub fn new(key: String, role: Role) -> Self {
        KeyInfo {
            key,
            role: role.name().to_string(),
            permissions: role.permissions().iter().map(|p| p.to_string()).collect(),
        }
    }
}

/// The line `ferry sandbox serve` prints when ready.
#[derive(Debug, Clone, Serialize)]
pub struct ReadyLine<'a> {
    pub url: &'a str,
    pub tenants: &'a [TenantInfo],
}
