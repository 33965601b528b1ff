//! What the host itself asks an environment, outside any plugin: whether a name is free, the
//! profile that holds it, the registries and macros there, and creating macros. These are the
//! host's own decisions (conflicts, read-back, `--create-macros`), so they do not go through a
//! plugin's grants.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::json;

use crate::palette::transport::ClientTransport;
use crate::palette::{Client, ClientError, Scope};

/// A registry of an environment, as `GET /v1/registries/metadata` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Registry {
    pub uid: String,
    pub name: String,
    pub kind: String,
}

#[derive(Deserialize)]
struct Items<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Deserialize)]
struct ProfileMeta {
    metadata: Meta,
    #[serde(default)]
    spec: Option<VersionSpec>,
}

#[derive(Deserialize)]
struct Meta {
    name: String,
    uid: String,
}

#[derive(Deserialize)]
struct VersionSpec {
    #[serde(default)]
    version: String,
}

/// Whether `name`@`version` is free in the client's scope (`validate/name` answers 204).
pub async fn name_free(client: &Client, name: &str, version: &str) -> Result<bool, ClientError> {
    let query = [
        ("name".to_string(), name.to_string()),
        ("version".to_string(), version.to_string()),
    ];
    let path = "/v1/clusterprofiles/validate/name";
    let answer = client.send_raw("GET", path, &query, None).await?;
    match answer.status {
        409 => Ok(false),
        _ if answer.is_success() => Ok(true),
        _ => Err(client.error_of("GET", path, &answer)),
    }
}

/// The uid of `name`@`version` in the client's scope, if there is one.
pub async fn find_profile(
    client: &Client,
    name: &str,
    version: &str,
) -> Result<Option<String>, ClientError> {
    let list: Items<ProfileMeta> = client
        .get_json("/v1/dashboard/clusterprofiles/metadata", &[])
        .await?;
    Ok(list
        .items
        .into_iter()
        .find(|p| p.metadata.name == name && p.spec.as_ref().is_some_and(|s| s.version == version))
        .map(|p| p.metadata.uid))
}

/// The profile's export document, as Palette gives it.
pub async fn export(client: &Client, uid: &str) -> Result<String, ClientError> {
    let path = format!("/v1/clusterprofiles/{uid}/export");
    let query = [("format".to_string(), "json".to_string())];
    Ok(client.send_checked("GET", &path, &query, None).await?.body)
}

pub async fn registries(client: &Client) -> Result<Vec<Registry>, ClientError> {
    let list: Items<Registry> = client.get_json("/v1/registries/metadata", &[]).await?;
    Ok(list.items)
}

#[derive(Deserialize)]
struct Macros {
    #[serde(default)]
    macros: Vec<Macro>,
}

#[derive(Deserialize)]
struct Macro {
    name: String,
    #[serde(default)]
    value: String,
}

/// The macros in effect in the client's scope (project over tenant over system), by name.
pub async fn macros(client: &Client) -> Result<Vec<(String, String)>, ClientError> {
    let body: Macros = client.get_json("/v1/clusterprofiles/macros", &[]).await?;
    Ok(body.macros.into_iter().map(|m| (m.name, m.value)).collect())
}

/// Adds macros where the client works: its project, or its tenant at tenant scope. Returns where.
pub async fn create_macros(
    client: &Client,
    macros: &[(String, String)],
) -> Result<String, ClientError> {
    let (path, place) = match client.scope() {
        Scope::Project(uid) => (format!("/v1/projects/{uid}/macros"), "project"),
        Scope::Tenant => {
            let tenant = client.user_info().await?.tenant_uid;
            (format!("/v1/tenants/{tenant}/macros"), "tenant")
        }
    };
    let items: Vec<_> = macros
        .iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect();
    let body = json!({ "macros": items }).to_string();
    client.send_checked("POST", &path, &[], Some(body)).await?;
    Ok(place.to_string())
}

/// The macros a run knows its targets to have: each target's list read once, each macro created
/// once, whatever the number of deliveries (a bulk run's workers) that share it. Keyed by
/// transport key (an environment, or `ENV/PROJECT`).
#[derive(Debug, Default)]
pub struct MacroBook {
    known: Mutex<BTreeMap<String, BTreeSet<String>>>,
}

impl MacroBook {
    /// The names of the macros defined in `env`.
    pub fn defined(
        &self,
        transport: &ClientTransport,
        env: &str,
    ) -> anyhow::Result<BTreeSet<String>> {
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        Ok(Self::read(&mut known, transport, env)?.clone())
    }

    /// Creates those of `create` that `env` still lacks (another delivery may have created some
    /// since it was asked): the names created, and where (as [`create_macros`] says).
    pub fn create(
        &self,
        transport: &ClientTransport,
        env: &str,
        create: &[(String, String)],
    ) -> anyhow::Result<(Vec<String>, String)> {
        // Held across the request: two deliveries never create the same macro.
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let defined = Self::read(&mut known, transport, env)?;
        let missing: Vec<(String, String)> = create
            .iter()
            .filter(|(name, _)| !defined.contains(name))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok((Vec::new(), String::new()));
        }
        let client = transport.client(env)?;
        let place = match transport.block_on(create_macros(&client, &missing)) {
            Ok(place) => place,
            Err(err) => {
                // It may have landed: read the list again before the next try.
                known.remove(env);
                return Err(err.into());
            }
        };
        let names: Vec<String> = missing.into_iter().map(|(n, _)| n).collect();
        if let Some(defined) = known.get_mut(env) {
            defined.extend(names.iter().cloned());
        }
        Ok((names, place))
    }

    fn read<'a>(
        known: &'a mut BTreeMap<String, BTreeSet<String>>,
        transport: &ClientTransport,
        env: &str,
    ) -> anyhow::Result<&'a BTreeSet<String>> {
        if !known.contains_key(env) {
            let client = transport.client(env)?;
            let defined = transport.block_on(macros(&client))?;
            known.insert(
                env.to_string(),
                defined.into_iter().map(|(n, _)| n).collect(),
            );
        }
        Ok(&known[env])
    }
}
