//! Who is calling, and in which scope: `ApiKey` or `Authorization` header, then `ProjectUid`.
//!
//! The token of `POST /v1/auth/authenticate` is a JWT (HS256) signed with a secret stored in the data
//! folder, valid 15 minutes, naming the user; a restart keeps tokens valid.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, body::Bytes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::errors::{ApiError, ApiResult, parse_json};
use super::ids::unix_now;
use super::roles::Role;
use super::server::AppState;

const TOKEN_LIFETIME_SECS: u64 = 15 * 60;

/// The caller of a request and its scope.
#[derive(Debug, Clone)]
pub struct Principal {
    pub tenant_uid: String,
    pub tenant_name: String,
    pub user_uid: String,
    pub role: Role,
    /// `ProjectUid` header; `None` is tenant scope.
    pub project_uid: Option<String>,
}

impl Principal {
    /// 403 unless the caller's role carries `permission`.
    pub fn require(&self, permission: &str) -> ApiResult<()> {
        if self.role.permissions().contains(&permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(permission))
        }
    }
}

/// A key accepted for this run only, resolved to its tenant.
#[derive(Debug, Clone)]
pub struct RunKey {
    pub key: String,
    pub tenant_uid: String,
    pub tenant_name: String,
    pub role: Role,
}

/// Middleware: resolves the caller, or answers 401; then the project scope, or 404.
pub async fn require_caller(
    State(state): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    match resolve(&state, req.headers()).await {
        Ok(principal) => {
            req.extensions_mut().insert(principal);
            next.run(req).await
        }
        Err(err) => err.into_response(),
    }
}

async fn resolve(state: &AppState, headers: &HeaderMap) -> ApiResult<Principal> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let project = header("ProjectUid").map(str::to_string);
    let mut principal = if let Some(key) = header("ApiKey") {
        principal_for_key(state, key).await?
    } else if let Some(token) = header("Authorization") {
        let token = token.strip_prefix("Bearer ").unwrap_or(token).trim();
        let user_uid = verify_token(&state.token_secret, token)?;
        principal_for_user(state, user_uid).await?
    } else {
        return Err(ApiError::unauthorized(
            "no credentials: send an API key in the `ApiKey` header, or a token in `Authorization`",
        ));
    };
    if let Some(project_uid) = project {
        let tenant_uid = principal.tenant_uid.clone();
        let uid = project_uid.clone();
        let exists = state
            .store
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT 1 FROM projects WHERE uid = ?1 AND tenant_uid = ?2",
                    [&uid, &tenant_uid],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
            })
            .await?;
        if !exists {
            return Err(ApiError::not_found(format!(
                "project '{project_uid}' (ProjectUid header) in tenant '{}'",
                principal.tenant_name
            )));
        }
        principal.project_uid = Some(project_uid);
    }
    Ok(principal)
}

async fn principal_for_key(state: &AppState, key: &str) -> ApiResult<Principal> {
    if let Some(k) = state.run_keys.iter().find(|k| k.key == key) {
        return Ok(Principal {
            tenant_uid: k.tenant_uid.clone(),
            tenant_name: k.tenant_name.clone(),
            // A run key has no stored user; its user uid is derived from the key so it stays stable.
            user_uid: hex::encode(&Sha256::digest(key.as_bytes())[..12]),
            role: k.role,
            project_uid: None,
        });
    }
    let key = key.to_string();
    let user_uid = state
        .store
        .read(move |c| {
            Ok(c.query_row(
                "SELECT u.uid FROM api_keys k JOIN users u ON u.uid = k.user_uid WHERE k.key = ?1",
                [&key],
                |r| r.get::<_, String>(0),
            )
            .optional()?)
        })
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API key is not valid"))?;
    principal_for_user(state, user_uid).await
}

async fn principal_for_user(state: &AppState, user_uid: String) -> ApiResult<Principal> {
    state
        .store
        .read(move |c| {
            c.query_row(
                "SELECT u.role, t.uid, t.name FROM users u JOIN tenants t ON t.uid = u.tenant_uid WHERE u.uid = ?1",
                [&user_uid],
                |r| {
                    Ok(Principal {
                        role: Role::parse(&r.get::<_, String>(0)?).unwrap_or(Role::ReadOnly),
                        tenant_uid: r.get(1)?,
                        tenant_name: r.get(2)?,
                        user_uid: user_uid.clone(),
                        project_uid: None,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| ApiError::unauthorized("the credentials name a user that does not exist"))
        })
        .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Login {
    email_id: Option<String>,
    password: Option<String>,
    org: Option<String>,
}

/// `POST /v1/auth/authenticate`: email and password (the user's API key) → `v1UserToken`.
pub async fn authenticate(State(state): State<Arc<AppState>>, body: Bytes) -> ApiResult<Response> {
    let login: Login = parse_json(&body)?;
    let (Some(email), Some(password)) = (login.email_id, login.password) else {
        return Err(ApiError::bad_request("emailId and password are required"));
    };
    let org = login.org.unwrap_or_default();
    let user_uid = state
        .store
        .read(move |c| {
            Ok(c.query_row(
                "SELECT u.uid FROM users u JOIN api_keys k ON k.user_uid = u.uid JOIN tenants t ON t.uid = u.tenant_uid
                 WHERE u.email = ?1 AND k.key = ?2 AND (?3 = '' OR t.name = ?3)",
                params![email, password, org],
                |r| r.get::<_, String>(0),
            )
            .optional()?)
        })
        .await?
        .ok_or_else(|| ApiError::unauthorized("wrong email, password or organization"))?;
    let token = sign_token(&state.token_secret, &user_uid);
    Ok(Json(json!({ "Authorization": token, "isMfa": false })).into_response())
}

fn sign_token(secret: &[u8], user_uid: &str) -> String {
    let now = unix_now();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = json!({ "sub": user_uid, "iat": now, "exp": now + TOKEN_LIFETIME_SECS });
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(secret, signed.as_bytes()));
    format!("{signed}.{signature}")
}

/// The user uid a valid, unexpired token names.
fn verify_token(secret: &[u8], token: &str) -> ApiResult<String> {
    let invalid = || ApiError::unauthorized("the Authorization token is not valid");
    let (signed, signature) = token.rsplit_once('.').ok_or_else(invalid)?;
    let expected = hmac_sha256(secret, signed.as_bytes());
    let given = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
    // Compare without an early exit, so timing says nothing about the signature.
    if given.len() != expected.len()
        || given
            .iter()
            .zip(expected)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            != 0
    {
        return Err(invalid());
    }
    let payload = signed.split_once('.').map(|(_, p)| p).ok_or_else(invalid)?;
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?)
            .map_err(|_| invalid())?;
    if claims["exp"].as_u64().is_none_or(|exp| exp < unix_now()) {
        return Err(ApiError::unauthorized(
            "the Authorization token has expired: authenticate again",
        ));
    }
    claims["sub"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(invalid)
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn tokens_verify_and_tampering_fails() {
        let token = sign_token(b"secret", "user1");
        assert_eq!(verify_token(b"secret", &token).unwrap(), "user1");
        assert!(verify_token(b"other", &token).is_err());
        let mut forged = token.clone();
        forged.insert(token.find('.').unwrap() + 2, 'x');
        assert!(verify_token(b"secret", &forged).is_err());
    }
}
