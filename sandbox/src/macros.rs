//! Macros (`{{.spectro.macro.NAME}}`) at system, tenant and project scope, and the effective set a scope
//! sees (project > tenant > system).
//!
//! Body `{"macros":[{"name","value"}]}`. POST adds (409 `MacroAlreadyExists` if a name is taken), PUT
//! replaces the scope's whole set, PATCH changes the values of existing names (404 for an unknown one),
//! DELETE removes the named macros (404 for an unknown one). System macros are one set for the whole
//! sandbox, shared by every tenant, as on a self-hosted Palette; writing them takes an admin key.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::Principal;
use super::errors::{ApiError, ApiResult, parse_json};
use super::roles;
use super::server::Shared;

/// Where a set of macros lives: (`scope` column, `owner_uid` column).
#[derive(Debug, Clone)]
struct Owner(&'static str, String);

#[derive(Deserialize)]
struct Body {
    #[serde(default)]
    macros: Vec<MacroIn>,
}

#[derive(Deserialize)]
struct MacroIn {
    name: Option<String>,
    value: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Add,
    Replace,
    Update,
    Delete,
}

/// The macros a caller in `tenant_uid` (and `project_uid`) sees, by name.
pub fn effective_set(
    conn: &Connection,
    tenant_uid: &str,
    project_uid: Option<&str>,
) -> rusqlite::Result<BTreeMap<String, String>> {
    let mut out = read(conn, &Owner("system", String::new()))?;
    out.extend(read(conn, &Owner("tenant", tenant_uid.to_string()))?);
    if let Some(project_uid) = project_uid {
        out.extend(read(conn, &Owner("project", project_uid.to_string()))?);
    }
    Ok(out)
}

fn read(conn: &Connection, owner: &Owner) -> rusqlite::Result<BTreeMap<String, String>> {
    let mut stmt =
        conn.prepare("SELECT name, value FROM macros WHERE scope = ?1 AND owner_uid = ?2")?;
    let rows = stmt.query_map(params![owner.0, owner.1], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn to_body(macros: BTreeMap<String, String>) -> Value {
    let items: Vec<Value> = macros
        .into_iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    json!({ "macros": items })
}

/// `GET /v1/clusterprofiles/macros`: the effective set of the caller's scope.
pub async fn effective(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Value>> {
    p.require(roles::MACRO_GET)?;
    let macros = state
        .store
        .read(move |c| Ok(effective_set(c, &p.tenant_uid, p.project_uid.as_deref())?))
        .await?;
    Ok(Json(to_body(macros)))
}

/// Checks that the caller may see `owner` (its own tenant, a project of it, or system).
async fn check_owner(state: &Shared, p: &Principal, owner: &Owner) -> ApiResult<()> {
    match owner.0 {
        "tenant" if owner.1 != p.tenant_uid => {
            Err(ApiError::not_found(format!("tenant '{}'", owner.1)))
        }
        "project" => {
            let (uid, tenant) = (owner.1.clone(), p.tenant_uid.clone());
            let found = state
                .store
                .read(move |c| {
                    Ok(c.query_row(
                        "SELECT 1 FROM projects WHERE uid = ?1 AND tenant_uid = ?2",
                        [&uid, &tenant],
                        |_| Ok(()),
                    )
                    .optional()?
                    .is_some())
                })
                .await?;
            if found {
                Ok(())
            } else {
                Err(ApiError::not_found(format!("project '{}'", owner.1)))
            }
        }
        _ => Ok(()),
    }
}

async fn list(state: Shared, p: Principal, owner: Owner) -> ApiResult<Json<Value>> {
    p.require(roles::MACRO_GET)?;
    check_owner(&state, &p, &owner).await?;
    let macros = state.store.read(move |c| Ok(read(c, &owner)?)).await?;
    Ok(Json(to_body(macros)))
}

async fn change(
    state: Shared,
    p: Principal,
    owner: Owner,
    op: Op,
    body: Bytes,
) -> ApiResult<StatusCode> {
    p.require(match op {
        Op::Add => roles::MACRO_CREATE,
        Op::Replace | Op::Update => roles::MACRO_UPDATE,
        Op::Delete => roles::MACRO_DELETE,
    })?;
    check_owner(&state, &p, &owner).await?;
    let body: Body = parse_json(&body)?;
    let mut given: Vec<(String, String)> = Vec::new();
    for m in body.macros {
        let name = m.name.unwrap_or_default();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(ApiError::bad_request(format!(
                "macro name '{name}' is not valid: use letters, digits, '_', '.' or '-'"
            )));
        }
        if given.iter().any(|(n, _)| *n == name) {
            return Err(ApiError::bad_request(format!(
                "macro '{name}' is given twice"
            )));
        }
        let value = match (op, m.value) {
            (Op::Delete, value) => value.unwrap_or_default(),
            (_, Some(value)) => value,
            (_, None) => {
                return Err(ApiError::bad_request(format!(
                    "macro '{name}' has no value"
                )));
            }
        };
        given.push((name, value));
    }
    state
        .store
        .write(move |tx| {
            let existing = read(tx, &owner)?;
            if op == Op::Replace {
                tx.execute("DELETE FROM macros WHERE scope = ?1 AND owner_uid = ?2", params![owner.0, owner.1])?;
            }
            for (name, value) in &given {
                let exists = existing.contains_key(name);
                match op {
                    Op::Add if exists => {
                        return Err(ApiError::conflict(
                            "MacroAlreadyExists",
                            format!("macro '{name}' already exists in this scope; use PATCH or PUT to change it"),
                        ));
                    }
                    Op::Update | Op::Delete if !exists => {
                        return Err(ApiError::not_found(format!("macro '{name}'")));
                    }
                    _ => {}
                }
                if op == Op::Delete {
                    tx.execute(
                        "DELETE FROM macros WHERE scope = ?1 AND owner_uid = ?2 AND name = ?3",
                        params![owner.0, owner.1, name],
                    )?;
                } else {
                    tx.execute(
                        "INSERT INTO macros (scope, owner_uid, name, value) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (scope, owner_uid, name) DO UPDATE SET value = excluded.value",
                        params![owner.0, owner.1, name, value],
                    )?;
                }
            }
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// The five handlers of one macro scope, its owner taken from the path (or none for system).
macro_rules! scope_handlers {
    ($scope:literal, $list:ident, $add:ident, $replace:ident, $update:ident, $delete:ident) => {
        pub async fn $list(
            State(s): State<Shared>,
            Extension(p): Extension<Principal>,
            Path(uid): Path<String>,
        ) -> ApiResult<Json<Value>> {
            list(s, p, Owner($scope, uid)).await
        }
        pub async fn $add(
            State(s): State<Shared>,
            Extension(p): Extension<Principal>,
            Path(uid): Path<String>,
            body: Bytes,
        ) -> ApiResult<StatusCode> {
            change(s, p, Owner($scope, uid), Op::Add, body).await
        }
        pub async fn $replace(
            State(s): State<Shared>,
            Extension(p): Extension<Principal>,
            Path(uid): Path<String>,
            body: Bytes,
        ) -> ApiResult<StatusCode> {
            change(s, p, Owner($scope, uid), Op::Replace, body).await
        }
        pub async fn $update(
            State(s): State<Shared>,
            Extension(p): Extension<Principal>,
            Path(uid): Path<String>,
            body: Bytes,
        ) -> ApiResult<StatusCode> {
            change(s, p, Owner($scope, uid), Op::Update, body).await
        }
        pub async fn $delete(
            State(s): State<Shared>,
            Extension(p): Extension<Principal>,
            Path(uid): Path<String>,
            body: Bytes,
        ) -> ApiResult<StatusCode> {
            change(s, p, Owner($scope, uid), Op::Delete, body).await
        }
    };
}

scope_handlers!(
    "project",
    project_list,
    project_add,
    project_replace,
    project_update,
    project_delete
);
scope_handlers!(
    "tenant",
    tenant_list,
    tenant_add,
    tenant_replace,
    tenant_update,
    tenant_delete
);

pub async fn system_list(
    State(s): State<Shared>,
    Extension(p): Extension<Principal>,
) -> ApiResult<Json<Value>> {
    list(s, p, Owner("system", String::new())).await
}
pub async fn system_add(
    State(s): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    change(s, p, Owner("system", String::new()), Op::Add, body).await
}
pub async fn system_replace(
    State(s): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    change(s, p, Owner("system", String::new()), Op::Replace, body).await
}
pub async fn system_update(
    State(s): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    change(s, p, Owner("system", String::new()), Op::Update, body).await
}
pub async fn system_delete(
    State(s): State<Shared>,
    Extension(p): Extension<Principal>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    change(s, p, Owner("system", String::new()), Op::Delete, body).await
}
