//! Cluster profiles: list, get, export, import (JSON and file), validations, create, update, publish,
//! clone, variables and delete.
//!
//! A profile is stored as its export document (see [`super::document`]); every view (`v1ClusterProfile`,
//! summaries, metadata) is built from it on read, masked first (see [`super::masking`]).

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::auth::Principal;
use super::document::{self, Identity};
use super::errors::{ApiError, ApiResult, parse_json};
use super::filters::{one_of, string_filter};
use super::ids::{new_uid, now_rfc3339};
use super::masking::{keep_masked_variables, mask_document};
use super::packmeta::from_api;
use super::packs::{
    self, Pack, Registry, find_pack, matching_registries, pack_by_uid_row, resolve_doc_pack,
};
use super::server::{Params, Shared};
use super::{macros, roles, yaml};

/// Where a profile lives: a tenant, and a project of it or none (tenant scope).
#[derive(Debug, Clone)]
struct Scope {
    tenant_uid: String,
    project_uid: Option<String>,
}

impl Scope {
    fn of(p: &Principal) -> Scope {
        Scope {
            tenant_uid: p.tenant_uid.clone(),
            project_uid: p.project_uid.clone(),
        }
    }
}

/// 201 with `v1Uid` and an `AuditUid` header.
pub fn created(uid: &str) -> Response {
    audited((StatusCode::CREATED, Json(json!({ "uid": uid }))).into_response())
}

fn no_content_audited() -> Response {
    audited(StatusCode::NO_CONTENT.into_response())
}

fn audited(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&new_uid()) {
        response.headers_mut().insert("AuditUid", value);
    }
    response
}

// ---- storage ----

struct ProfileRow {
    uid: String,
    project_uid: Option<String>,
    version: String,
    published: bool,
    doc: Value,
    created: String,
    modified: String,
}

const COLUMNS: &str = "uid, project_uid, version, published, doc, created, modified";

impl ProfileRow {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<ProfileRow> {
        let doc: String = r.get(4)?;
        Ok(ProfileRow {
            uid: r.get(0)?,
            project_uid: r.get(1)?,
            version: r.get(2)?,
            published: r.get(3)?,
            doc: serde_json::from_str(&doc).unwrap_or(Value::Null),
            created: r.get(5)?,
            modified: r.get(6)?,
        })
    }

    fn name(&self) -> &str {
        self.doc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// Profiles a scope sees: its project's and its tenant's (tenant scope: the tenant's only), oldest first.
fn visible_rows(conn: &Connection, scope: &Scope) -> rusqlite::Result<Vec<ProfileRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM profiles WHERE tenant_uid = ?1 AND (project_uid IS NULL OR project_uid = ?2) ORDER BY seq"
    );
    let mut stmt = conn.prepare(&sql)?;
    stmt.query_map(
        params![scope.tenant_uid, scope.project_uid],
        ProfileRow::from_row,
    )?
    .collect()
}

fn visible(conn: &Connection, scope: &Scope, uid: &str) -> ApiResult<ProfileRow> {
    let sql = format!(
        "SELECT {COLUMNS} FROM profiles WHERE uid = ?1 AND tenant_uid = ?2 AND (project_uid IS NULL OR project_uid = ?3)"
    );
    conn.query_row(
        &sql,
        params![uid, scope.tenant_uid, scope.project_uid],
        ProfileRow::from_row,
    )
    .optional()?
    .ok_or_else(|| ApiError::not_found(format!("cluster profile '{uid}'")))
}

/// The uid of a profile with `name` (and `version`, when given) in exactly `scope`.
fn taken(
    conn: &Connection,
    scope: &Scope,
    name: &str,
    version: Option<&str>,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT uid FROM profiles WHERE tenant_uid = ?1 AND project_uid IS ?2 AND name = ?3 AND (?4 IS NULL OR version = ?4)",
        params![scope.tenant_uid, scope.project_uid, name, version],
        |r| r.get(0),
    )
    .optional()
}

fn already_exists(name: &str, version: &str) -> ApiError {
    ApiError::conflict(
        "ClusterProfileAlreadyExists",
        format!(
            "a cluster profile named '{name}' with version '{version}' already exists in this scope"
        ),
    )
}

/// The checks of an import, in the scope the profile would land in; resolves each pack's registry to
/// this sandbox's (by uid, else name and kind) and drops `matchingRegistries`.
fn prepare(conn: &Connection, scope: &Scope, mut doc: Value) -> ApiResult<(Value, Identity)> {
    let identity = document::check(&doc)?;
    document::check_values(&doc)?;
    document::check_variables(&doc)?;
    document::check_macros(
        &doc,
        &macros::effective_set(conn, &scope.tenant_uid, scope.project_uid.as_deref())?,
    )?;
    let Some(packs) = document::packs_mut(&mut doc) else {
        return Ok((doc, identity));
    };
    for pack in packs.iter_mut() {
        if document::pack_type(pack) == "manifest" && pack.get("registry").is_none() {
            continue;
        }
        let Some((registry, _)) = resolve_doc_pack(conn, pack)? else {
            return Err(pack_not_found(pack));
        };
        if let Some(reg) = pack.get_mut("registry").and_then(Value::as_object_mut) {
            reg.remove("matchingRegistries");
            if let Some(meta) = reg.get_mut("metadata").and_then(Value::as_object_mut)
                && meta.get("uid").and_then(Value::as_str) != Some(registry.uid.as_str())
            {
                meta.insert("uid".into(), Value::String(registry.uid));
            }
        }
    }
    Ok((doc, identity))
}

fn pack_not_found(pack: &Value) -> ApiError {
    let name = pack.get("name").and_then(Value::as_str).unwrap_or("");
    let version = document::version_of(pack).unwrap_or("");
    let reg = pack.pointer("/registry/metadata");
    let field = |k: &str| {
        reg.and_then(|r| r.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    ApiError::bad_request(format!(
        "pack '{name}' version '{version}' is in no registry of this environment{}",
        if reg.is_some() { format!(" named '{}' of kind '{}'", field("name"), field("kind")) } else { String::new() }
    ))
    .with_code("PackNotFound")
    .with_details(json!({ "pack": name, "version": version, "registry": { "name": field("name"), "kind": field("kind") } }))
}

/// Stores a prepared document in `scope`; 409 when its name and version are taken there.
fn insert(
    conn: &Connection,
    scope: &Scope,
    doc: &Value,
    identity: &Identity,
    published: bool,
) -> ApiResult<String> {
    if taken(conn, scope, &identity.name, Some(&identity.version))?.is_some() {
        return Err(already_exists(&identity.name, &identity.version));
    }
    let uid = new_uid();
    let now = now_rfc3339();
    conn.execute(
        "INSERT INTO profiles (uid, tenant_uid, project_uid, name, version, published, doc, created, modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![uid, scope.tenant_uid, scope.project_uid, identity.name, identity.version, published, doc.to_string(), now],
    )?;
    Ok(uid)
}

/// Replaces a stored document after the same checks as an import.
fn save(conn: &Connection, scope: &Scope, row: &ProfileRow, doc: Value) -> ApiResult<()> {
    let (doc, identity) = prepare(conn, scope, doc)?;
    let row_scope = Scope {
        tenant_uid: scope.tenant_uid.clone(),
        project_uid: row.project_uid.clone(),
    };
    if let Some(other) = taken(conn, &row_scope, &identity.name, Some(&identity.version))?
        && other != row.uid
    {
        return Err(already_exists(&identity.name, &identity.version));
    }
    conn.execute(
        "UPDATE profiles SET name = ?1, version = ?2, doc = ?3, modified = ?4 WHERE uid = ?5",
        params![
            identity.name,
            identity.version,
            doc.to_string(),
            now_rfc3339(),
            row.uid
        ],
    )?;
    Ok(())
}

async fn import_doc(state: Shared, p: Principal, doc: Value, publish: bool) -> ApiResult<Response> {
    let scope = Scope::of(&p);
    let uid = state
        .store
        .write(move |tx| {
            let (doc, identity) = prepare(tx, &scope, doc)?;
            insert(tx, &scope, &doc, &identity, publish)
        })
        .await?;
    Ok(created(&uid))
}

// ---- views ----

/// A stable uid for a manifest of a profile (manifests have no table of their own).
fn manifest_uid(profile_uid: &str, name: &str) -> String {
    hex::encode(&Sha256::digest(format!("{profile_uid}/{name}"))[..12])
}

fn object_meta(row: &ProfileRow) -> Value {
    let mut annotations = Map::new();
    if let Some(description) = row
        .doc
        .pointer("/metadata/description")
        .and_then(Value::as_str)
    {
        annotations.insert("description".into(), json!(description));
    }
    annotations.insert(
        "scope".into(),
        json!(if row.project_uid.is_some() {
            "project"
        } else {
            "tenant"
        }),
    );
    if let Some(project) = &row.project_uid {
        annotations.insert("projectUid".into(), json!(project));
    }
    let labels = row
        .doc
        .pointer("/metadata/labels")
        .filter(|l| l.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    json!({ "name": row.name(), "uid": row.uid, "labels": labels, "annotations": annotations,
            "creationTimestamp": row.created, "lastModifiedTimestamp": row.modified })
}

/// `[{uid, version}]` of the profiles with the same name the scope sees.
fn versions(rows: &[ProfileRow], name: &str) -> Vec<Value> {
    rows.iter()
        .filter(|r| r.name() == name)
        .map(|r| json!({ "uid": r.uid, "version": r.version }))
        .collect()
}

fn template_field(row: &ProfileRow) -> &'static str {
    if row.published { "published" } else { "draft" }
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `v1ClusterProfile` of a (masked) stored profile; pack schemas and presets when `include` asks.
fn profile_view(
    conn: &Connection,
    row: &ProfileRow,
    siblings: &[ProfileRow],
    include: &[&str],
) -> rusqlite::Result<Value> {
    let doc = &row.doc;
    let mut refs = Vec::new();
    for pack in document::packs(doc) {
        let resolved = resolve_doc_pack(conn, pack)?;
        let manifests: Vec<Value> = pack
            .get("manifests")
            .and_then(Value::as_array)
            .map(|ms| ms.iter().map(|m| json!({ "kind": "Manifest", "name": str_of(m, "name"), "uid": manifest_uid(&row.uid, str_of(m, "name")) })).collect())
            .unwrap_or_default();
        let mut r = json!({
            "name": str_of(pack, "name"), "type": document::pack_type(pack), "layer": str_of(pack, "layer"),
            "version": document::version_of(pack).unwrap_or(""), "tag": pack.get("tag").and_then(Value::as_str).or(document::version_of(pack)).unwrap_or(""),
            "values": str_of(pack, "values"), "manifests": manifests,
        });
        if let Some((registry, found)) = &resolved {
            r["registryUid"] = json!(registry.uid);
            r["packUid"] = json!(found.uid);
        }
        if include.contains(&"schema") {
            r["schema"] = resolved
                .as_ref()
                .map(|(_, f)| f.schema.clone())
                .unwrap_or_else(|| json!([]));
        }
        if include.contains(&"presets") {
            r["presets"] = resolved
                .as_ref()
                .map(|(_, f)| f.presets.clone())
                .unwrap_or_else(|| json!([]));
        }
        refs.push(r);
    }
    let template = json!({
        "name": row.name(), "uid": row.uid, "type": doc.pointer("/spec/template/type").and_then(Value::as_str).unwrap_or("cluster"),
        "cloudType": doc.pointer("/spec/template/cloudType").and_then(Value::as_str).unwrap_or("all"),
        "profileVersion": row.version, "version": 1, "packs": refs,
    });
    let mut spec = json!({ "version": row.version, "versions": versions(siblings, row.name()) });
    spec[template_field(row)] = template;
    Ok(json!({
        "apiVersion": "v1", "kind": "ClusterProfile", "metadata": object_meta(row), "spec": spec,
        "status": { "isPublished": row.published, "hasUserMacros": !document::references(doc, ferry_plugin_api::refs::Kind::Macro).is_empty(),
                    "inUseClusterUids": [], "inUseClusters": [], "inUseClusterTemplates": [] },
    }))
}

/// `v1ClusterProfileSummary`.
fn summary_view(
    conn: &Connection,
    row: &ProfileRow,
    siblings: &[ProfileRow],
) -> rusqlite::Result<Value> {
    let doc = &row.doc;
    let mut refs = Vec::new();
    for pack in document::packs(doc) {
        let resolved = resolve_doc_pack(conn, pack)?;
        let (display, pack_uid, addon) = match &resolved {
            Some((_, f)) => (
                f.display_name.clone(),
                f.uid.clone(),
                f.meta
                    .get("addonType")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            ),
            None => (
                str_of(pack, "name").to_string(),
                String::new(),
                String::new(),
            ),
        };
        refs.push(json!({
            "name": str_of(pack, "name"), "displayName": display, "type": document::pack_type(pack),
            "layer": str_of(pack, "layer"), "version": document::version_of(pack).unwrap_or(""),
            "tag": pack.get("tag").and_then(Value::as_str).or(document::version_of(pack)).unwrap_or(""),
            "packUid": pack_uid, "addonType": addon,
        }));
    }
    let template = json!({
        "type": doc.pointer("/spec/template/type").and_then(Value::as_str).unwrap_or("cluster"),
        "cloudType": doc.pointer("/spec/template/cloudType").and_then(Value::as_str).unwrap_or("all"),
        "packs": refs,
    });
    let mut spec = json!({ "version": row.version, "versions": versions(siblings, row.name()) });
    spec[template_field(row)] = template;
    Ok(json!({
        "metadata": object_meta(row), "specSummary": spec,
        "status": { "isPublished": row.published, "inUseClusterUids": [], "inUseClusters": [],
                    "fips": { "mode": "none" }, "pack": { "deleted": 0, "deprecated": 0, "disabled": 0 } },
    }))
}

// ---- handlers ----

/// `GET /v1/dashboard/clusterprofiles/metadata` → `v1ClusterProfilesMetadata` (every visible profile).
pub async fn list_metadata(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_LIST)?;
    let scope = Scope::of(&p);
    let rows = state
        .store
        .read(move |c| Ok(visible_rows(c, &scope)?))
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| json!({
            "metadata": { "name": r.name(), "uid": r.uid },
            "spec": { "cloudType": r.doc.pointer("/spec/template/cloudType").and_then(Value::as_str).unwrap_or("all"),
                      "version": r.version },
        }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /v1/dashboard/clusterprofiles` with `v1ClusterProfilesFilterSpec` → `v1ClusterProfilesSummary`,
/// paged at 50.
pub async fn list_summary(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_LIST)?;
    let spec: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        parse_json(&body)?
    };
    if !spec.is_object() {
        return Err(ApiError::bad_request(
            "the filter body must be a JSON object",
        ));
    }
    let page = params.page()?;
    let scope = Scope::of(&p);
    let items = state
        .store
        .read(move |c| {
            let rows = visible_rows(c, &scope)?;
            let filter = spec.get("filter").cloned().unwrap_or(Value::Null);
            let f = |k: &str| filter.get(k);
            let mut picked: Vec<&ProfileRow> = rows
                .iter()
                .filter(|r| {
                    let kind = r
                        .doc
                        .pointer("/spec/template/type")
                        .and_then(Value::as_str)
                        .unwrap_or("cluster");
                    let cloud = r
                        .doc
                        .pointer("/spec/template/cloudType")
                        .and_then(Value::as_str)
                        .unwrap_or("all");
                    let row_scope = if r.project_uid.is_some() {
                        "project"
                    } else {
                        "tenant"
                    };
                    string_filter(f("profileName"), r.name())
                        && string_filter(f("version"), &r.version)
                        && one_of(f("profileType"), kind)
                        && one_of(f("environment"), cloud)
                        && f("scope")
                            .and_then(Value::as_str)
                            .is_none_or(|s| s == row_scope)
                })
                .collect();
            if let Some(sort) = spec
                .get("sort")
                .and_then(Value::as_array)
                .and_then(|s| s.first())
            {
                let key = |r: &ProfileRow| -> String {
                    match sort.get("field").and_then(Value::as_str).unwrap_or("") {
                        "profileName" => r.name().to_lowercase(),
                        "environment" => r
                            .doc
                            .pointer("/spec/template/cloudType")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .into(),
                        "profileType" => r
                            .doc
                            .pointer("/spec/template/type")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .into(),
                        "lastModifiedTimestamp" => r.modified.clone(),
                        _ => r.created.clone(),
                    }
                };
                picked.sort_by_key(|r| key(r));
                if sort.get("order").and_then(Value::as_str) == Some("desc") {
                    picked.reverse();
                }
            }
            let (page_rows, listmeta) = page.page(picked)?;
            let items = page_rows
                .iter()
                .map(|r| summary_view(c, r, &rows))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(json!({ "items": items, "listmeta": listmeta }))
        })
        .await?;
    Ok(Json(items))
}

/// `GET /v1/clusterprofiles/{uid}[?includePackMeta=schema,presets]` → `v1ClusterProfile`, masked.
pub async fn get_profile(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_GET)?;
    let include: Vec<String> = params
        .get("includePackMeta")
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .collect();
    let scope = Scope::of(&p);
    let view = state
        .store
        .read(move |c| {
            let mut row = visible(c, &scope, &uid)?;
            mask_document(c, &mut row.doc)?;
            let siblings = visible_rows(c, &scope)?;
            let include: Vec<&str> = include.iter().map(String::as_str).collect();
            Ok(profile_view(c, &row, &siblings, &include)?)
        })
        .await?;
    Ok(Json(view))
}

/// `GET /v1/clusterprofiles/{uid}/export?format=json|yaml`: the stored document, masked, as a file.
pub async fn export(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_GET)?;
    let format = params.get("format").unwrap_or("json").to_string();
    if format != "json" && format != "yaml" {
        return Err(ApiError::bad_request(format!(
            "format={format}: expected json or yaml"
        )));
    }
    let scope = Scope::of(&p);
    let (name, version, doc) = state
        .store
        .read(move |c| {
            let mut row = visible(c, &scope, &uid)?;
            mask_document(c, &mut row.doc)?;
            Ok((row.name().to_string(), row.version.clone(), row.doc))
        })
        .await?;
    let body = if format == "json" {
        doc.to_string()
    } else {
        yaml::to_string(&doc)
    };
    let file = format!("{}-{version}.{format}", name.replace(['"', '/', '\\'], "_"));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// `POST /v1/clusterprofiles/import[?publish=true]` with the export document → 201 `{uid}`.
pub async fn import_json(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
    body: Bytes,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_CREATE)?;
    let publish = params.flag("publish", false)?;
    let doc: Value = parse_json(&body)?;
    import_doc(state, p, doc, publish).await
}

/// `POST /v1/clusterprofiles/import/file[?format=json|yaml]`, multipart field `importFile`.
pub async fn import_file(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_CREATE)?;
    let publish = params.flag("publish", false)?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!(
            "expected a multipart/form-data body with field importFile: {e}"
        ))
    })?;
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?
    {
        if field.name() == Some("importFile") {
            let file_name = field.file_name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::bad_request(format!("cannot read importFile: {e}")))?;
            file = Some((file_name, bytes));
        }
    }
    let (file_name, bytes) = file
        .ok_or_else(|| ApiError::bad_request("the multipart body has no field named importFile"))?;
    let is_yaml = match params.get("format") {
        Some("yaml") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "format={other}: expected json or yaml"
            )));
        }
        None => file_name.ends_with(".yaml") || file_name.ends_with(".yml"),
    };
    let doc = if is_yaml {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::bad_request("importFile is not UTF-8 text"))?;
        yaml::parse(text).map_err(|e| ApiError::bad_request(format!("importFile: {e}")))?
    } else {
        parse_json(&bytes)?
    };
    import_doc(state, p, doc, publish).await
}

/// `POST /v1/clusterprofiles/import/validate`: the import's checks; answers the document with each pack's
/// `registry.matchingRegistries` (same name and kind, holding the pack; empty when none does).
pub async fn import_validate(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_CREATE)?;
    let mut doc: Value = parse_json(&body)?;
    let scope = Scope::of(&p);
    let doc = state
        .store
        .read(move |c| {
            document::check(&doc)?;
            document::check_values(&doc)?;
            document::check_variables(&doc)?;
            document::check_macros(
                &doc,
                &macros::effective_set(c, &scope.tenant_uid, scope.project_uid.as_deref())?,
            )?;
            for pack in document::packs_mut(&mut doc).into_iter().flatten() {
                let (name, version) = (
                    str_of(pack, "name").to_string(),
                    document::version_of(pack).unwrap_or("").to_string(),
                );
                let Some(reg) = pack.get_mut("registry").and_then(Value::as_object_mut) else {
                    continue;
                };
                let meta = reg.get("metadata").cloned().unwrap_or(Value::Null);
                let matches = matching_registries(
                    c,
                    str_of(&meta, "name"),
                    str_of(&meta, "kind"),
                    &name,
                    &version,
                )?;
                reg.insert(
                    "matchingRegistries".into(),
                    matches.iter().map(Registry::import_metadata).collect(),
                );
            }
            Ok(doc)
        })
        .await?;
    Ok(Json(doc))
}

/// `GET /v1/clusterprofiles/validate/name?name=&version=`: 204 when free in the caller's scope, else 409.
pub async fn validate_name(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_LIST)?;
    let name = params
        .get("name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("the name parameter is required"))?
        .to_string();
    let version = params
        .get("version")
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let scope = Scope::of(&p);
    state
        .store
        .read(
            move |c| match taken(c, &scope, &name, version.as_deref())? {
                Some(_) => Err(already_exists(&name, version.as_deref().unwrap_or("any"))),
                None => Ok(()),
            },
        )
        .await?;
    Ok(no_content_audited())
}

/// A `v1PackManifestEntity` (create, update, validate) → a document pack.
fn pack_from_entity(conn: &Connection, entity: &Value) -> ApiResult<Value> {
    let name = str_of(entity, "name");
    if name.is_empty() {
        return Err(ApiError::bad_request("every pack needs a name"));
    }
    let manifests: Vec<Value> = entity
        .get("manifests")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .map(|m| json!({ "name": str_of(m, "name"), "content": str_of(m, "content") }))
                .collect()
        })
        .unwrap_or_default();
    if str_of(entity, "type") == "manifest" {
        let mut pack = json!({ "name": name, "type": "manifest", "layer": entity.get("layer").and_then(Value::as_str).unwrap_or("addon"),
                               "values": str_of(entity, "values") });
        pack["manifests"] = json!(manifests);
        return Ok(pack);
    }
    let found = lookup_entity_pack(conn, entity)?.ok_or_else(|| {
        ApiError::bad_request(format!(
            "pack '{name}' (uid '{}', tag '{}') is in no registry of this environment",
            str_of(entity, "uid"),
            str_of(entity, "tag")
        ))
        .with_code("PackNotFound")
    })?;
    let registry = packs::registry(conn, &found.registry_uid)?
        .ok_or_else(|| ApiError::internal("pack without registry"))?;
    let values = entity
        .get("values")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| found.values.clone());
    let tag = Some(str_of(entity, "tag"))
        .filter(|t| !t.is_empty())
        .unwrap_or(&found.version);
    let mut pack = json!({
        "name": found.name, "type": found.pack_type, "layer": found.layer, "version": found.version, "tag": tag,
        "values": values, "registry": { "metadata": registry.import_metadata() },
    });
    if !manifests.is_empty() {
        pack["manifests"] = json!(manifests);
    }
    Ok(pack)
}

/// The registry pack a `v1PackManifestEntity` names: by pack uid, else registry uid + name + tag.
fn lookup_entity_pack(conn: &Connection, entity: &Value) -> rusqlite::Result<Option<Pack>> {
    let uid = str_of(entity, "uid");
    if !uid.is_empty()
        && let Some(found) = pack_by_uid_row(conn, uid)?
    {
        return Ok(Some(found));
    }
    let tag = Some(str_of(entity, "tag"))
        .filter(|t| !t.is_empty())
        .unwrap_or(str_of(entity, "version"));
    find_pack(
        conn,
        str_of(entity, "registryUid"),
        str_of(entity, "name"),
        tag,
    )
}

/// `POST /v1/clusterprofiles[?publish=true]` with `v1ClusterProfileEntity` → 201 `{uid}`.
pub async fn create(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
    body: Bytes,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_CREATE)?;
    let publish = params.flag("publish", false)?;
    let entity: Value = parse_json(&body)?;
    let scope = Scope::of(&p);
    let uid = state
        .store
        .write(move |tx| {
            let meta = entity.get("metadata").cloned().unwrap_or(Value::Null);
            let spec = entity.get("spec").cloned().unwrap_or(Value::Null);
            let template = spec.get("template").cloned().unwrap_or(Value::Null);
            let packs = template.get("packs").and_then(Value::as_array).cloned().unwrap_or_default();
            let packs = packs.iter().map(|e| pack_from_entity(tx, e)).collect::<ApiResult<Vec<_>>>()?;
            let mut doc_meta = json!({ "name": str_of(&meta, "name") });
            if let Some(description) = meta.pointer("/annotations/description") {
                doc_meta["description"] = description.clone();
            }
            if let Some(labels) = meta.get("labels") {
                doc_meta["labels"] = labels.clone();
            }
            let mut doc_spec = json!({
                "version": spec.get("version").and_then(Value::as_str).unwrap_or("1.0.0"),
                "template": { "type": template.get("type").and_then(Value::as_str).unwrap_or("cluster"),
                              "cloudType": template.get("cloudType").and_then(Value::as_str).unwrap_or("all"),
                              "packs": packs },
            });
            if let Some(vars) = spec.get("variables") {
                doc_spec["variables"] = vars.clone();
            }
            let (doc, identity) = prepare(tx, &scope, json!({ "metadata": doc_meta, "spec": doc_spec }))?;
            insert(tx, &scope, &doc, &identity, publish)
        })
        .await?;
    Ok(created(&uid))
}

/// `PUT /v1/clusterprofiles/{uid}` with `v1ClusterProfileUpdateEntity`: labels, description, version, type
/// and packs, when given.
pub async fn update(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    p.require(roles::PROFILE_UPDATE)?;
    let entity: Value = parse_json(&body)?;
    if !entity.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    let scope = Scope::of(&p);
    state
        .store
        .write(move |tx| {
            let row = visible(tx, &scope, &uid)?;
            let mut doc = row.doc.clone();
            if let Some(labels) = entity.pointer("/metadata/labels") {
                doc["metadata"]["labels"] = labels.clone();
            }
            if let Some(description) = entity.pointer("/metadata/annotations/description") {
                doc["metadata"]["description"] = description.clone();
            }
            if let Some(version) = entity.pointer("/spec/version").and_then(Value::as_str) {
                doc["spec"]["version"] = json!(version);
            }
            if let Some(kind) = entity
                .pointer("/spec/template/type")
                .and_then(Value::as_str)
            {
                doc["spec"]["template"]["type"] = json!(kind);
            }
            if let Some(entities) = entity
                .pointer("/spec/template/packs")
                .and_then(Value::as_array)
            {
                let packs = entities
                    .iter()
                    .map(|e| pack_from_entity(tx, e))
                    .collect::<ApiResult<Vec<_>>>()?;
                doc["spec"]["template"]["packs"] = json!(packs);
            }
            save(tx, &scope, &row, doc)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `DELETE /v1/clusterprofiles/{uid}`.
pub async fn delete(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
) -> ApiResult<StatusCode> {
    p.require(roles::PROFILE_DELETE)?;
    let scope = Scope::of(&p);
    state
        .store
        .write(move |tx| {
            let row = visible(tx, &scope, &uid)?;
            tx.execute("DELETE FROM profiles WHERE uid = ?1", [&row.uid])?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `PATCH /v1/clusterprofiles/{uid}/publish`.
pub async fn publish(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
) -> ApiResult<StatusCode> {
    p.require(roles::PROFILE_PUBLISH)?;
    let scope = Scope::of(&p);
    state
        .store
        .write(move |tx| {
            let row = visible(tx, &scope, &uid)?;
            tx.execute(
                "UPDATE profiles SET published = 1, modified = ?1 WHERE uid = ?2",
                params![now_rfc3339(), row.uid],
            )?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// The target scope and identity of a clone (`v1ClusterProfileCloneMetaInputEntity`).
fn clone_target(
    conn: &Connection,
    p: &Principal,
    meta: &Value,
    source_version: &str,
) -> ApiResult<(Scope, String, String)> {
    let name = str_of(meta, "name").trim().to_string();
    if name.is_empty() {
        return Err(ApiError::bad_request("metadata.name is required"));
    }
    let version = Some(str_of(meta, "version"))
        .filter(|v| !v.is_empty())
        .unwrap_or(source_version)
        .to_string();
    let scope = match meta.get("target") {
        None | Some(Value::Null) => Scope::of(p),
        Some(target) => match str_of(target, "scope") {
            "tenant" => Scope {
                tenant_uid: p.tenant_uid.clone(),
                project_uid: None,
            },
            "project" => {
                let project = str_of(target, "projectUid").to_string();
                let exists = conn
                    .query_row(
                        "SELECT 1 FROM projects WHERE uid = ?1 AND tenant_uid = ?2",
                        [&project, &p.tenant_uid],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some();
                if !exists {
                    return Err(ApiError::not_found(format!("target project '{project}'")));
                }
                Scope {
                    tenant_uid: p.tenant_uid.clone(),
                    project_uid: Some(project),
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "target.scope '{other}': a clone goes to scope tenant or project"
                )));
            }
        },
    };
    Ok((scope, name, version))
}

/// `POST /v1/clusterprofiles/{uid}/clone` with `{metadata:{name,version,target:{scope,projectUid}}}`.
pub async fn clone(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_GET)?;
    p.require(roles::PROFILE_CREATE)?;
    let entity: Value = parse_json(&body)?;
    let meta = entity.get("metadata").cloned().unwrap_or(Value::Null);
    let scope = Scope::of(&p);
    let new_uid = state
        .store
        .write(move |tx| {
            let row = visible(tx, &scope, &uid)?;
            let (target, name, version) = clone_target(tx, &p, &meta, &row.version)?;
            let mut doc = row.doc.clone();
            doc["metadata"]["name"] = json!(name);
            doc["spec"]["version"] = json!(version);
            let (doc, identity) = prepare(tx, &target, doc)?;
            insert(tx, &target, &doc, &identity, row.published)
        })
        .await?;
    Ok(created(&new_uid))
}

/// `POST /v1/clusterprofiles/{uid}/clone/validate`: 204 when the clone's name and version are free.
pub async fn clone_validate(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    p.require(roles::PROFILE_GET)?;
    let meta: Value = parse_json(&body)?;
    let scope = Scope::of(&p);
    state
        .store
        .read(move |c| {
            let row = visible(c, &scope, &uid)?;
            let (target, name, version) = clone_target(c, &p, &meta, &row.version)?;
            match taken(c, &target, &name, Some(&version))? {
                Some(_) => Err(already_exists(&name, &version)),
                None => Ok(()),
            }
        })
        .await?;
    Ok(no_content_audited())
}

/// Checks packs of a `v1ClusterProfileTemplateDraft`: known to a registry, values that parse, required
/// schema fields present. Answers only the packs with errors.
fn validate_draft(conn: &Connection, draft: &Value) -> ApiResult<Value> {
    let mut results = Vec::new();
    let entities = draft
        .get("packs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for entity in &entities {
        let name = str_of(entity, "name");
        let mut errors = Vec::new();
        let found = if str_of(entity, "type") == "manifest" {
            None
        } else {
            lookup_entity_pack(conn, entity)?
        };
        if found.is_none() && str_of(entity, "type") != "manifest" {
            errors.push(json!({ "code": "PackNotFound", "message": format!("pack '{name}' tag '{}' is not in registry '{}'", str_of(entity, "tag"), str_of(entity, "registryUid")) }));
        }
        let values = entity
            .get("values")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| found.as_ref().map(|f| f.values.clone()))
            .unwrap_or_default();
        match ferry_plugin_api::values::scalars(&values) {
            Err(e) => errors.push(json!({ "code": "InvalidPackValues", "message": e })),
            Ok(scalars) => {
                let schema = found.as_ref().and_then(|f| f.schema.as_array());
                for field in schema
                    .into_iter()
                    .flatten()
                    .map(from_api)
                    .filter(|f| f.required)
                {
                    let set = ferry_plugin_api::values::find(&scalars, &field.name)
                        .any(|s| !s.value.is_empty());
                    if !set {
                        errors.push(json!({ "code": "PackValueRequired",
                            "message": format!("{} is required by the pack schema", field.name) }));
                    }
                }
            }
        }
        if !errors.is_empty() {
            let display = found
                .as_ref()
                .map(|f| f.display_name.clone())
                .unwrap_or_else(|| name.to_string());
            results.push(json!({ "name": name, "displayName": display, "errors": errors }));
        }
    }
    Ok(json!({ "packs": { "results": results } }))
}

/// `POST /v1/clusterprofiles/validate/packs` → `v1ClusterProfileValidatorResponse`.
pub async fn validate_packs(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_CREATE)?;
    let draft: Value = parse_json(&body)?;
    Ok(Json(
        state.store.read(move |c| validate_draft(c, &draft)).await?,
    ))
}

/// `POST /v1/clusterprofiles/{uid}/validate/packs` → `v1ClusterProfileValidatorResponse`.
pub async fn validate_profile_packs(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_GET)?;
    let draft: Value = parse_json(&body)?;
    let scope = Scope::of(&p);
    Ok(Json(
        state
            .store
            .read(move |c| {
                visible(c, &scope, &uid)?;
                validate_draft(c, &draft)
            })
            .await?,
    ))
}

// ---- variables ----

/// `GET /v1/clusterprofiles/{uid}/variables` → `v1Variables`, sensitive values masked.
pub async fn variables_get(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROFILE_GET)?;
    let scope = Scope::of(&p);
    let vars = state
        .store
        .read(move |c| {
            let mut doc = visible(c, &scope, &uid)?.doc;
            mask_document(c, &mut doc)?;
            Ok(document::variables(&doc).to_vec())
        })
        .await?;
    Ok(Json(json!({ "variables": vars })))
}

#[derive(Clone, Copy, PartialEq)]
enum VarOp {
    Replace,
    Update,
}

fn parse_variables(body: &[u8]) -> ApiResult<Vec<Value>> {
    let body: Value = parse_json(body)?;
    let vars = body
        .get("variables")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| ApiError::bad_request("variables (a list) is required"))?;
    for (i, var) in vars.iter().enumerate() {
        if str_of(var, "name").is_empty() {
            return Err(ApiError::bad_request(format!(
                "variables[{i}].name is required"
            )));
        }
    }
    Ok(vars)
}

async fn change_variables(
    state: Shared,
    p: Principal,
    uid: String,
    body: Bytes,
    op: VarOp,
) -> ApiResult<StatusCode> {
    p.require(roles::PROFILE_UPDATE)?;
    let mut given = parse_variables(&body)?;
    let scope = Scope::of(&p);
    state
        .store
        .write(move |tx| {
            let row = visible(tx, &scope, &uid)?;
            let stored = document::variables(&row.doc).to_vec();
            keep_masked_variables(&stored, &mut given);
            let vars = match op {
                VarOp::Replace => given,
                VarOp::Update => {
                    let mut vars = stored.clone();
                    for var in given {
                        let slot = vars
                            .iter_mut()
                            .find(|v| str_of(v, "name") == str_of(&var, "name"));
                        let slot = slot.ok_or_else(|| {
                            ApiError::not_found(format!("variable '{}'", str_of(&var, "name")))
                        })?;
                        *slot = var;
                    }
                    vars
                }
            };
            let mut doc = row.doc.clone();
            doc["spec"]["variables"] = json!(vars);
            save(tx, &scope, &row, doc)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `PUT /v1/clusterprofiles/{uid}/variables`: replaces them all.
pub async fn variables_put(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    change_variables(state, p, uid, body, VarOp::Replace).await
}

/// `PATCH /v1/clusterprofiles/{uid}/variables`: replaces the named ones (404 for an unknown name).
pub async fn variables_patch(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    change_variables(state, p, uid, body, VarOp::Update).await
}

/// `DELETE /v1/clusterprofiles/{uid}/variables` with `{variables:[names]}`; refused (400
/// `PackVariablesUndefined`) while values still reference one.
pub async fn variables_delete(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    p.require(roles::PROFILE_UPDATE)?;
    let body: Value = parse_json(&body)?;
    let names: Vec<String> = body
        .get("variables")
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .ok_or_else(|| ApiError::bad_request("variables (a list of names) is required"))?;
    let scope = Scope::of(&p);
    state
        .store
        .write(move |tx| {
            let row = visible(tx, &scope, &uid)?;
            let mut vars = document::variables(&row.doc).to_vec();
            for name in &names {
                let before = vars.len();
                vars.retain(|v| str_of(v, "name") != name);
                if vars.len() == before {
                    return Err(ApiError::not_found(format!("variable '{name}'")));
                }
            }
            let mut doc = row.doc.clone();
            doc["spec"]["variables"] = json!(vars);
            save(tx, &scope, &row, doc)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
