//! Who am I and which projects exist: `users/info`, projects metadata, get, update and delete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

use super::auth::Principal;
use super::errors::{ApiError, ApiResult, parse_json};
use super::roles;
use super::server::{Params, Shared};

/// `GET /v1/users/info` → `v1UserInfo`.
pub async fn user_info(Extension(p): Extension<Principal>) -> Json<Value> {
    Json(json!({ "orgName": p.tenant_name, "tenantUid": p.tenant_uid, "userUid": p.user_uid }))
}

/// `GET /v1/dashboard/projects/metadata[?name=]` → the tenant's projects (`name` filters exactly).
pub async fn projects_metadata(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    params: Params,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROJECT_LIST)?;
    let name = params.get("name").unwrap_or("").to_string();
    let items = state
        .store
        .read(move |c| {
            let mut stmt = c.prepare(
                "SELECT name, uid FROM projects WHERE tenant_uid = ?1 AND (?2 = '' OR name = ?2) ORDER BY rowid",
            )?;
            let rows = stmt.query_map(params![p.tenant_uid, name], |r| {
                Ok(json!({ "metadata": { "name": r.get::<_, String>(0)?, "uid": r.get::<_, String>(1)? } }))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await?;
    Ok(Json(json!({ "items": items })))
}

/// `GET /v1/projects/{uid}` → `v1Project`.
pub async fn project_get(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
) -> ApiResult<Json<Value>> {
    p.require(roles::PROJECT_GET)?;
    let project = state
        .store
        .read(move |c| {
            c.query_row(
                "SELECT name, created FROM projects WHERE uid = ?1 AND tenant_uid = ?2",
                [&uid, &p.tenant_uid],
                |r| {
                    let created: String = r.get(1)?;
                    Ok(json!({
                        "metadata": { "name": r.get::<_, String>(0)?, "uid": uid, "creationTimestamp": created,
                                      "lastModifiedTimestamp": created, "annotations": { "tenantUid": p.tenant_uid } },
                        "spec": { "alerts": [], "teams": [], "users": [] },
                        "status": { "isDisabled": false },
                    }))
                },
            )
            .optional()?
            .ok_or_else(|| ApiError::not_found(format!("project '{uid}'")))
        })
        .await?;
    Ok(Json(project))
}

/// `PUT /v1/projects/{uid}` with `v1ProjectEntity`: renames the project.
pub async fn project_update(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    p.require(roles::PROJECT_UPDATE)?;
    let entity: Value = parse_json(&body)?;
    let name = entity
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("metadata.name is required"))?
        .to_string();
    state
        .store
        .write(move |tx| {
            let taken: Option<String> = tx
                .query_row(
                    "SELECT uid FROM projects WHERE tenant_uid = ?1 AND name = ?2 AND uid <> ?3",
                    [&p.tenant_uid, &name, &uid],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Err(ApiError::conflict(
                    "ProjectAlreadyExists",
                    format!("a project named '{name}' exists"),
                ));
            }
            let changed = tx.execute(
                "UPDATE projects SET name = ?1 WHERE uid = ?2 AND tenant_uid = ?3",
                params![name, uid, p.tenant_uid],
            )?;
            if changed == 0 {
                return Err(ApiError::not_found(format!("project '{uid}'")));
            }
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// `DELETE /v1/projects/{uid}`: the project, its profiles and its macros, all or nothing.
pub async fn project_delete(
    State(state): State<Shared>,
    Extension(p): Extension<Principal>,
    Path(uid): Path<String>,
) -> ApiResult<StatusCode> {
    p.require(roles::PROJECT_DELETE)?;
    state
        .store
        .write(move |tx| {
            let changed = tx.execute(
                "DELETE FROM projects WHERE uid = ?1 AND tenant_uid = ?2",
                [&uid, &p.tenant_uid],
            )?;
            if changed == 0 {
                return Err(ApiError::not_found(format!("project '{uid}'")));
            }
            tx.execute("DELETE FROM profiles WHERE project_uid = ?1", [&uid])?;
            tx.execute(
                "DELETE FROM macros WHERE scope = 'project' AND owner_uid = ?1",
                [&uid],
            )?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}
