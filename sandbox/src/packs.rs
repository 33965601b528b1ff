//! Registries and packs: the registry lists of each kind, pack lookups by name, uid, filter and search,
//! and the lookups imports use to resolve a document's packs.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

use super::auth::Principal;
use super::errors::{ApiError, ApiResult, parse_json};
use super::filters::{one_of, string_filter};
use super::ids::{new_uid, now_rfc3339};
use super::roles;
use super::server::{Params, Shared};

/// A registry row.
#[derive(Debug, Clone)]
pub struct Registry {
    pub uid: String,
    pub name: String,
    pub kind: String,
    pub endpoint: String,
    pub is_private: bool,
    pub is_default: bool,
    pub created: String,
    /// The tenant that created it; `None` for the system registries every tenant sees.
    pub owner: Option<String>,
}

impl Registry {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Registry> {
        Ok(Registry {
            uid: r.get(0)?,
            name: r.get(1)?,
            kind: r.get(2)?,
            endpoint: r.get(3)?,
            is_private: r.get(4)?,
            is_default: r.get(5)?,
            created: r.get(6)?,
            owner: Some(r.get::<_, String>(7)?).filter(|o| !o.is_empty()),
        })
    }

    /// Palette's `scope` of a registry: `tenant` for one a tenant created, else `system`.
    pub fn scope(&self) -> &'static str {
        if self.owner.is_some() {
            "tenant"
        } else {
            "system"
        }
    }

    /// `v1PackRegistryMetadata`, as a document's `registry.metadata` and `matchingRegistries` hold it.
    pub fn import_metadata(&self) -> Value {
        json!({ "uid": self.uid, "name": self.name, "kind": self.kind, "isPrivate": self.is_private })
    }

    fn object_meta(&self) -> Value {
        json!({ "name": self.name, "uid": self.uid, "creationTimestamp": self.created,
                "lastModifiedTimestamp": self.created, "annotations": { "scope": self.scope() } })
    }

    fn sync_status(&self) -> Value {
        json!({ "isSyncSupported": true, "lastSyncedTime": self.created, "lastRunTime": self.created,
                "status": "Completed", "message": "" })
    }
}

const REGISTRY_COLUMNS: &str = "uid, name, kind, endpoint, is_private, is_default, created, owner";

/// Which registries a listing shows, besides those of the caller's tenant (`?scope=` of the metadata).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    System,
    Tenant,
    All,
}

impl Scope {
    fn parse(text: Option<&str>) -> ApiResult<Scope> {
        match text.filter(|s| !s.is_empty()) {
            None | Some("all") => Ok(Scope::All),
            Some("system") => Ok(Scope::System),
            Some("tenant") => Ok(Scope::Tenant),
            Some(other) => Err(ApiError::bad_request(format!(
                "scope must be system, tenant or all; got '{other}'"
            ))),
        }
    }
}

/// The registries `tenant` sees: the system ones and its own (never another tenant's), of `kind` if given.
pub fn registries(
    conn: &Connection,
    kind: Option<&str>,
    tenant: &str,
    scope: Scope,
) -> rusqlite::Result<Vec<Registry>> {
    let sql = format!(
        "SELECT {REGISTRY_COLUMNS} FROM registries WHERE (?1 IS NULL OR kind = ?1)
           AND ((owner = '' AND ?3 <> 'tenant') OR (owner = ?2 AND ?3 <> 'system'))
         ORDER BY seq, created, name"
    );
    let scope = match scope {
        Scope::System => "system",
        Scope::Tenant => "tenant",
        Scope::All => "all",
    };
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map(params![kind, tenant, scope], Registry::from_row)?
        .collect()
}

pub fn registry(conn: &Connection, uid: &str) -> rusqlite::Result<Option<Registry>> {
    let sql = format!("SELECT {REGISTRY_COLUMNS} FROM registries WHERE uid = ?1");
    conn.query_row(&sql, [uid], Registry::from_row).optional()
}

/// A pack row.
#[derive(Debug, Clone)]
pub struct Pack {
    pub uid: String,
    pub registry_uid: String,
    pub name: String,
    pub version: String,
    pub layer: String,
    pub pack_type: String,
    pub display_name: String,
    pub meta: Value,
    pub values: String,
    pub schema: Value,
    pub presets: Value,
}

const PACK_COLUMNS: &str = r#"uid, registry_uid, name, version, layer, type, display_name, meta, "values", schema, presets"#;

impl Pack {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Pack> {
        let json = |i: usize| -> rusqlite::Result<Value> {
            Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(Value::Null))
        };
        Ok(Pack {
            uid: r.get(0)?,
            registry_uid: r.get(1)?,
            name: r.get(2)?,
            version: r.get(3)?,
            layer: r.get(4)?,
            pack_type: r.get(5)?,
            display_name: r.get(6)?,
            meta: json(7)?,
            values: r.get(8)?,
            schema: json(9)?,
            presets: json(10)?,
        })
    }

    fn meta_str(&self, key: &str) -> &str {
        self.meta.get(key).and_then(Value::as_str).unwrap_or("")
    }

    fn cloud_types(&self) -> Value {
        self.meta
            .get("cloudTypes")
            .filter(|c| c.is_array())
            .cloned()
            .unwrap_or_else(|| json!(["all"]))
    }

    fn annotations(&self) -> Value {
        let map: serde_json::Map<String, Value> = self
            .meta
            .get("annotations")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_string())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        Value::Object(map)
    }

    /// `v1PackUidValues`.
    fn uid_values(&self) -> Value {
        json!({ "packUid": self.uid, "values": self.values, "schema": self.schema, "presets": self.presets,
                "annotations": self.annotations(), "readme": "", "dependencies": [] })
    }
}

/// The packs named `name` at `version` (or tag) in registry `registry_uid`.
pub fn find_pack(
    conn: &Connection,
    registry_uid: &str,
    name: &str,
    version: &str,
) -> rusqlite::Result<Option<Pack>> {
    let sql = format!(
        "SELECT {PACK_COLUMNS} FROM packs WHERE registry_uid = ?1 AND name = ?2 AND version = ?3"
    );
    conn.query_row(&sql, [registry_uid, name, version], Pack::from_row)
        .optional()
}

pub fn pack_by_uid_row(conn: &Connection, uid: &str) -> rusqlite::Result<Option<Pack>> {
    let sql = format!("SELECT {PACK_COLUMNS} FROM packs WHERE uid = ?1");
    conn.query_row(&sql, [uid], Pack::from_row).optional()
}

/// Registries named `name` of kind `kind` that hold pack `pack` at `version`: a document's
/// `matchingRegistries`. Uids differ between environments, so name and kind are what match.
pub fn matching_registries(
    conn: &Connection,
    name: &str,
    kind: &str,
    pack: &str,
    version: &str,
) -> rusqlite::Result<Vec<Registry>> {
    let sql = format!(
        "SELECT {} FROM registries r WHERE r.name = ?1 AND r.kind = ?2 AND EXISTS
           (SELECT 1 FROM packs p WHERE p.registry_uid = r.uid AND p.name = ?3 AND p.version = ?4)
         ORDER BY r.seq",
        REGISTRY_COLUMNS
            .split(", ")
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([name, kind, pack, version], Registry::from_row)?
        .collect()
}

/// The registry kind that serves packs of `pack_type`.
pub fn kind_for_type(pack_type: &str) -> &'static str {
    match pack_type {
        "helm" => "helm",
        "oci" => "oci",
        _ => "pack",
    }
}

/// Resolves a document pack to a registry pack: by the registry uid it names, else by the registry's name
/// and kind, else (no registry named) any registry of the kind its type implies.
pub fn resolve_doc_pack(
    conn: &Connection,
    pack: &Value,
) -> rusqlite::Result<Option<(Registry, Pack)>> {
    let name = pack.get("name").and_then(Value::as_str).unwrap_or("");
    let Some(version) = super::document::version_of(pack) else {
        return Ok(None);
    };
    let meta = pack.pointer("/registry/metadata");
    let field = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(uid) = field("uid")
        && let Some(found) = find_pack(conn, uid, name, version)?
    {
        let reg = registry(conn, uid)?.expect("a pack's registry exists");
        return Ok(Some((reg, found)));
    }
    let kind = field("kind").unwrap_or_else(|| kind_for_type(super::document::pack_type(pack)));
    let candidates = match field("name") {
        Some(reg_name) => matching_registries(conn, reg_name, kind, name, version)?,
        // Packs live in the system registries; a tenant's own registries are empty.
        None if meta.is_none() => registries(conn, Some(kind), "", Scope::System)?,
        None => Vec::new(),
    };
    for reg in candidates {
        if let Some(found) = find_pack(conn, &reg.uid, name, version)? {
            return Ok(Some((reg, found)));
        }
    }
    Ok(None)
}

fn all_packs(conn: &Connection) -> rusqlite::Result<Vec<Pack>> {
    let sql = format!("SELECT {PACK_COLUMNS} FROM packs ORDER BY name, seq");
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map([], Pack::from_row)?.collect()
}

// ---- registries ----

/// `GET /v1/registries/metadata` → `v1RegistriesMetadata`.
pub async fn registries_metadata(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    p.require(roles::REGISTRY_LIST)?;
    let scope = Scope::parse(params.get("scope"))?;
    let items = state
        .store
        .read(move |c| Ok(registries(c, None, &p.tenant_uid, scope)?))
        .await?;
    let items: Vec<Value> = items
        .iter()
        .map(|r| {
            json!({ "uid": r.uid, "name": r.name, "kind": r.kind, "scope": r.scope(),
                         "isPrivate": r.is_private, "isDefault": r.is_default })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn list_kind(state: &Shared, p: &Principal, kind: &'static str) -> ApiResult<Vec<Registry>> {
    p.require(roles::REGISTRY_LIST)?;
    let tenant = p.tenant_uid.clone();
    state
        .store
        .read(move |c| Ok(registries(c, Some(kind), &tenant, Scope::All)?))
        .await
}

fn paged(params: &Params, items: Vec<Value>) -> ApiResult<Json<Value>> {
    let (items, listmeta) = params.page()?.page(items)?;
    Ok(Json(json!({ "items": items, "listmeta": listmeta })))
}

fn auth_none() -> Value {
    json!({ "type": "noAuth" })
}

/// `GET /v1/registries/pack` → `v1PackRegistries`.
pub async fn pack_registries(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let items = list_kind(&state, &p, "pack").await?;
    let items = items
        .iter()
        .map(|r| json!({
            "apiVersion": "v1", "kind": "PackRegistry", "metadata": r.object_meta(),
            "spec": { "name": r.name, "endpoint": r.endpoint, "private": r.is_private, "scope": r.scope(),
                      "registryUid": r.uid, "auth": auth_none() },
            "status": { "packSyncStatus": r.sync_status() },
        }))
        .collect();
    paged(&params, items)
}

/// `GET /v1/registries/pack/summary` → `v1PackRegistriesSummary`.
pub async fn pack_registries_summary(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let items = list_kind(&state, &p, "pack").await?;
    let items = items
        .iter()
        .map(|r| {
            json!({
                "metadata": r.object_meta(),
                "spec": { "endpoint": r.endpoint, "private": r.is_private, "scope": r.scope() },
                "status": { "sync": r.sync_status() },
            })
        })
        .collect();
    paged(&params, items)
}

/// `GET /v1/registries/helm` → `v1HelmRegistries`.
pub async fn helm_registries(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let items = list_kind(&state, &p, "helm").await?;
    let items = items
        .iter()
        .map(|r| json!({
            "apiVersion": "v1", "kind": "HelmRegistry", "metadata": r.object_meta(),
            "spec": { "name": r.name, "endpoint": r.endpoint, "isPrivate": r.is_private, "scope": r.scope(),
                      "registryUid": r.uid, "auth": auth_none() },
            "status": { "helmSyncStatus": r.sync_status() },
        }))
        .collect();
    paged(&params, items)
}

/// `GET /v1/registries/helm/summary` → `v1HelmRegistriesSummary`.
pub async fn helm_registries_summary(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let items = list_kind(&state, &p, "helm").await?;
    let items = items
        .iter()
        .map(|r| {
            json!({
                "metadata": r.object_meta(),
                "spec": { "endpoint": r.endpoint, "isPrivate": r.is_private, "scope": r.scope() },
                "status": { "sync": r.sync_status() },
            })
        })
        .collect();
    paged(&params, items)
}

/// `GET /v1/registries/oci/summary` → `v1OciRegistries` (no paging in the contract).
pub async fn oci_registries(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Value>> {
    let items = list_kind(&state, &p, "oci").await?;
    let items: Vec<Value> = items
        .iter()
        .map(|r| json!({
            "metadata": r.object_meta(),
            "spec": { "endpoint": r.endpoint, "isPrivate": r.is_private, "scope": r.scope(),
                      "providerType": "pack", "registryType": "basic", "containsSpectroManifest": true },
            "status": { "sync": r.sync_status() },
        }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// What a create request asks for.
struct NewRegistry<'a> {
    kind: &'static str,
    name: Option<&'a str>,
    endpoint: Option<&'a str>,
    private: bool,
    scope: Option<&'a str>,
}

/// Creates a registry of the caller's tenant: only that tenant sees it. System registries are the
/// operator's (seeded), so a request for `scope: system` is refused rather than silently demoted.
async fn create_registry(state: Shared, p: Principal, new: NewRegistry<'_>) -> ApiResult<Response> {
    p.require(roles::REGISTRY_CREATE)?;
    let kind = new.kind;
    let name = new
        .name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("the registry name is required"))?
        .to_string();
    let endpoint = new
        .endpoint
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| ApiError::bad_request("spec.endpoint is required"))?
        .to_string();
    match new.scope.filter(|s| !s.is_empty()) {
        None | Some("tenant") => {}
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "spec.scope '{other}': a tenant creates registries of scope 'tenant' only"
            )));
        }
    }
    let private = new.private;
    let tenant = p.tenant_uid.clone();
    let uid = state
        .store
        .write(move |tx| {
            // A name is taken when a registry this tenant sees has it; other tenants' names are theirs.
            let taken = registries(tx, Some(kind), &tenant, Scope::All)?
                .iter()
                .any(|r| r.name == name);
            if taken {
                return Err(ApiError::conflict("RegistryAlreadyExists", format!("a {kind} registry named '{name}' exists")));
            }
            let seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM registries", [], |r| r.get(0))?;
            let uid = new_uid();
            tx.execute(
                "INSERT INTO registries (uid, name, kind, endpoint, is_private, is_default, created, seq, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8)",
                params![uid, name, kind, endpoint, private, now_rfc3339(), seq, tenant],
            )?;
            Ok(uid)
        })
        .await?;
    Ok(super::profiles::created(&uid))
}

/// `POST /v1/registries/pack` with `v1PackRegistry`: an empty pack registry.
pub async fn create_pack_registry(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<Response> {
    let body: Value = parse_json(&body)?;
    let name = body
        .pointer("/metadata/name")
        .or_else(|| body.pointer("/spec/name"))
        .and_then(Value::as_str);
    let new = NewRegistry {
        kind: "pack",
        name,
        endpoint: body.pointer("/spec/endpoint").and_then(Value::as_str),
        private: body
            .pointer("/spec/private")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        scope: body.pointer("/spec/scope").and_then(Value::as_str),
    };
    create_registry(state, p, new).await
}

/// `POST /v1/registries/helm` with `v1HelmRegistryEntity`: an empty Helm registry.
pub async fn create_helm_registry(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<Response> {
    let body: Value = parse_json(&body)?;
    let name = body
        .pointer("/metadata/name")
        .or_else(|| body.pointer("/spec/name"))
        .and_then(Value::as_str);
    let new = NewRegistry {
        kind: "helm",
        name,
        endpoint: body.pointer("/spec/endpoint").and_then(Value::as_str),
        private: body
            .pointer("/spec/isPrivate")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        scope: body.pointer("/spec/scope").and_then(Value::as_str),
    };
    create_registry(state, p, new).await
}

// ---- packs ----

/// `v1PackSummary` of one pack.
fn summary(pack: &Pack) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pack",
        "metadata": { "name": pack.name, "uid": pack.uid },
        "spec": {
            "name": pack.name, "displayName": pack.display_name, "version": pack.version,
            "layer": pack.layer, "type": pack.pack_type, "registryUid": pack.registry_uid,
            "cloudTypes": pack.cloud_types(), "addonType": pack.meta_str("addonType"),
            "annotations": pack.annotations(), "values": pack.values, "schema": pack.schema,
            "presets": pack.presets,
        },
        "status": {},
    })
}

/// One `spec.KEY=VALUE` term of a `filters` query (`spec.name=XANDspec.version=Y`).
fn filter_matches(pack: &Pack, key: &str, value: &str) -> bool {
    let field = match key.trim().trim_start_matches("spec.") {
        "name" => &pack.name,
        "version" | "tag" => &pack.version,
        "layer" => &pack.layer,
        "type" => &pack.pack_type,
        "registryUid" => &pack.registry_uid,
        "displayName" => &pack.display_name,
        "addonType" => pack.meta_str("addonType"),
        _ => return false,
    };
    field == value.trim()
}

fn parse_filters(filters: &str) -> ApiResult<Vec<(String, String)>> {
    filters
        .split("AND")
        .filter(|t| !t.trim().is_empty())
        .map(|term| {
            let (k, v) = term.split_once('=').ok_or_else(|| {
                ApiError::bad_request(format!("filter '{term}': expected spec.FIELD=VALUE joined by AND"))
            })?;
            let known = ["name", "version", "tag", "layer", "type", "registryUid", "displayName", "addonType"];
            if !known.contains(&k.trim().trim_start_matches("spec.")) {
                return Err(ApiError::bad_request(format!("filter field '{k}' is not supported (spec.name, spec.version, spec.layer, spec.type, spec.registryUid, spec.displayName, spec.addonType)")));
            }
            Ok((k.to_string(), v.to_string()))
        })
        .collect()
}

/// `GET /v1/packs?filters=spec.name=XANDspec.version=Y` → `v1PackSummaries`, paged.
pub async fn list_packs(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    p.require(roles::PACK_LIST)?;
    let filters = parse_filters(params.get("filters").unwrap_or(""))?;
    let packs = state.store.read(|c| Ok(all_packs(c)?)).await?;
    let items = packs
        .iter()
        .filter(|pack| filters.iter().all(|(k, v)| filter_matches(pack, k, v)))
        .map(summary)
        .collect();
    paged(&params, items)
}

/// `POST /v1/packs/search` with `v1PacksFilterSpec` → `v1PackMetadataList`: one item per pack name and
/// type, listing the registries that hold it with their latest version.
pub async fn search_packs(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    p.require(roles::PACK_LIST)?;
    let spec: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        parse_json(&body)?
    };
    let filter = spec.get("filter").cloned().unwrap_or(Value::Null);
    let (packs, regs) = state
        .store
        .read(move |c| {
            Ok((
                all_packs(c)?,
                registries(c, None, &p.tenant_uid, Scope::All)?,
            ))
        })
        .await?;
    let reg_name: BTreeMap<&str, &str> = regs
        .iter()
        .map(|r| (r.uid.as_str(), r.name.as_str()))
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<&Pack>> = BTreeMap::new();
    for pack in &packs {
        let f = |k: &str| filter.get(k);
        let cloud_ok = match f("environment").and_then(Value::as_array) {
            Some(envs) if !envs.is_empty() => pack.cloud_types().as_array().is_some_and(|c| {
                c.iter()
                    .any(|t| t.as_str() == Some("all") || envs.contains(t))
            }),
            _ => true,
        };
        if string_filter(f("name"), &pack.name)
            && string_filter(f("displayName"), &pack.display_name)
            && one_of(f("type"), &pack.pack_type)
            && one_of(f("layer"), &pack.layer)
            && one_of(f("registryUid"), &pack.registry_uid)
            && one_of(f("addOnType"), pack.meta_str("addonType"))
            && cloud_ok
        {
            groups
                .entry((pack.name.clone(), pack.pack_type.clone()))
                .or_default()
                .push(pack);
        }
    }
    let mut items: Vec<Value> = groups
        .into_values()
        .map(|versions| {
            let first = versions[0];
            let mut by_registry: BTreeMap<&str, &Pack> = BTreeMap::new();
            for pack in &versions {
                let latest = by_registry.entry(&pack.registry_uid).or_insert(pack);
                if version_key(&pack.version) > version_key(&latest.version) {
                    *latest = pack;
                }
            }
            let registries: Vec<Value> = by_registry
                .into_iter()
                .map(|(uid, pack)| json!({ "uid": uid, "name": reg_name.get(uid).copied().unwrap_or(""),
                    "latestVersion": pack.version, "latestPackUid": pack.uid, "scope": "system",
                    "annotations": pack.annotations() }))
                .collect();
            json!({
                "apiVersion": "v1", "kind": "PackMetadata",
                "metadata": { "name": first.name, "uid": first.uid },
                "spec": { "name": first.name, "displayName": first.display_name, "layer": first.layer,
                          "type": first.pack_type, "addonType": first.meta_str("addonType"),
                          "cloudTypes": first.cloud_types(), "registries": registries },
            })
        })
        .collect();
    if let Some(sort) = spec
        .get("sort")
        .and_then(Value::as_array)
        .and_then(|s| s.first())
    {
        let field = match sort.get("field").and_then(Value::as_str).unwrap_or("name") {
            "displayName" => "displayName",
            "layer" => "layer",
            "type" => "type",
            "addOnType" => "addonType",
            _ => "name",
        };
        items.sort_by(|a, b| a["spec"][field].as_str().cmp(&b["spec"][field].as_str()));
        if sort.get("order").and_then(Value::as_str) == Some("desc") {
            items.reverse();
        }
    }
    paged(&params, items)
}

/// Orders versions numerically where they are numbers (`1.10.0` after `1.9.1`).
fn version_key(v: &str) -> Vec<(u64, String)> {
    v.split(['.', '-', '+'])
        .map(|part| (part.parse().unwrap_or(0), part.to_string()))
        .collect()
}

/// `v1PackTagEntity` for packs of one name in one registry.
fn tag_entity(packs: &[Pack]) -> Value {
    let first = &packs[0];
    let tags: Vec<Value> = packs
        .iter()
        .map(|p| json!({ "tag": p.version, "version": p.version, "packUid": p.uid, "group": "", "parentTags": [] }))
        .collect();
    let values: Vec<Value> = packs.iter().map(Pack::uid_values).collect();
    json!({
        "name": first.name, "displayName": first.display_name, "layer": first.layer,
        "addonType": first.meta_str("addonType"), "addonSubType": "", "cloudTypes": first.cloud_types(),
        "registryUid": first.registry_uid, "logoUrl": "", "tags": tags, "packValues": values,
    })
}

/// `GET /v1/packs/{packName}/registries/{registryUid}` → `v1PackTagEntity` (every version).
pub async fn pack_in_registry(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path((name, registry_uid)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    p.require(roles::PACK_GET)?;
    let (n, r) = (name.clone(), registry_uid.clone());
    let mut packs = state
        .store
        .read(move |c| {
            let sql =
                format!("SELECT {PACK_COLUMNS} FROM packs WHERE name = ?1 AND registry_uid = ?2");
            let mut stmt = c.prepare(&sql)?;
            Ok(stmt
                .query_map([&n, &r], Pack::from_row)?
                .collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    if packs.is_empty() {
        return Err(ApiError::not_found(format!(
            "pack '{name}' in registry '{registry_uid}'"
        )));
    }
    packs.sort_by_key(|p| version_key(&p.version));
    Ok(Json(tag_entity(&packs)))
}

/// `GET /v1/packs/{uid}` → `v1PackTagEntity` of that one pack version.
pub async fn pack_by_uid(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
) -> ApiResult<Response> {
    p.require(roles::PACK_GET)?;
    let u = uid.clone();
    let pack = state
        .store
        .read(move |c| Ok(pack_by_uid_row(c, &u)?))
        .await?;
    let pack = pack.ok_or_else(|| ApiError::not_found(format!("pack '{uid}'")))?;
    Ok(Json(tag_entity(&[pack])).into_response())
}
