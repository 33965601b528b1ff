//! The export step's logic (the built-in `palette-export` is this plus the bindings): find the
//! profile, take Palette's export of it as it is, and read each pack's schema.
//!
//! - With a uid, that profile. Else by name from `GET /v1/dashboard/clusterprofiles/metadata`,
//!   at the version given, or without one the highest semantic version (versions that are not
//!   semver rank below every one that is). Two profiles with one name and version (a tenant's and
//!   a project's) are ambiguous: the step asks for the uid rather than guess.
//! - The document is the body of `GET /v1/clusterprofiles/{uid}/export?format=json`, byte for byte:
//!   fields ferry does not know travel untouched.
//! - Schemas come from `GET /v1/clusterprofiles/{uid}?includePackMeta=schema` (`v1PackSchema` per
//!   pack), matched to the document's packs by name.

use serde_json::Value;

use crate::api::{self, Palette};
use crate::schema;
use crate::types::{ExportOutput, PackMeta, PluginError, ProfileRef};

/// A profile as the metadata list shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The profile's uid in the environment.
    pub uid: String,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
}

/// The profiles of a `v1ClusterProfilesMetadata` answer.
pub fn candidates(metadata: &Value) -> Vec<Candidate> {
    let items = metadata.get("items").and_then(Value::as_array);
    let text = |v: &Value, p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    items
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|i| Candidate {
            uid: text(i, "/metadata/uid"),
            name: text(i, "/metadata/name"),
            version: text(i, "/spec/version"),
        })
        .filter(|c| !c.uid.is_empty())
        .collect()
}

/// Orders versions: semver ones by semver, above any that is not.
fn rank(version: &str) -> Option<semver::Version> {
    semver::Version::parse(version.trim().trim_start_matches('v')).ok()
}

/// How two versions of a profile compare: semver ones by semver, above any that is not, which
/// compare as text.
pub fn version_order(a: &str, b: &str) -> std::cmp::Ordering {
    rank(a).cmp(&rank(b)).then(a.cmp(b))
}

/// The uid of profile `name` at `version` (or its highest version); the error says what exists.
pub fn choose(all: &[Candidate], name: &str, version: Option<&str>) -> Result<String, String> {
    let mut named: Vec<&Candidate> = all.iter().filter(|c| c.name == name).collect();
    if named.is_empty() {
        return Err(format!(
            "no cluster profile named '{name}' exists (in any version)"
        ));
    }
    named.sort_by(|a, b| version_order(&a.version, &b.version));
    let version = match version.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => v.to_string(),
        None => named.last().expect("not empty").version.clone(),
    };
    let picked: Vec<&&Candidate> = named.iter().filter(|c| c.version == version).collect();
    match picked.as_slice() {
        [one] => Ok(one.uid.clone()),
        [] => {
            let mut versions: Vec<&str> = named.iter().map(|c| c.version.as_str()).collect();
            versions.dedup();
            Err(format!(
                "cluster profile '{name}' has no version {version}; versions that exist: {}",
                versions.join(", ")
            ))
        }
        many => Err(format!(
            "{} cluster profiles are named '{name}' at version {version} (uids {}); give the uid",
            many.len(),
            many.iter()
                .map(|c| c.uid.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Each pack's schema from a `v1ClusterProfile` read with `includePackMeta=schema`.
pub fn pack_metas(profile: &Value) -> Vec<PackMeta> {
    // A profile shows its published template, or its draft; the spec names both.
    let packs = ["/spec/published/packs", "/spec/draft/packs"]
        .iter()
        .find_map(|p| profile.pointer(p).and_then(Value::as_array))
        .map(Vec::as_slice)
        .unwrap_or_default();
    packs
        .iter()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let tag = Some(text("tag"))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| text("version"));
            let fields = p.get("schema").and_then(Value::as_array).map(Vec::as_slice);
            PackMeta {
                name: text("name"),
                tag,
                schema: fields
                    .unwrap_or_default()
                    .iter()
                    .map(schema::from_api)
                    .collect(),
            }
        })
        .collect()
}

/// A uid goes into a path: letters, digits, `-` and `_` only.
fn check_uid(uid: &str) -> Result<&str, PluginError> {
    let ok = !uid.is_empty()
        && uid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then_some(uid)
        .ok_or_else(|| PluginError::InvalidInput(format!("'{uid}' is not a cluster profile uid")))
}

/// The whole step: find, export, read schemas.
pub fn export(api: &impl Palette, profile: &ProfileRef) -> Result<ExportOutput, PluginError> {
    let uid = match profile
        .uid
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        Some(uid) => check_uid(uid)?.to_string(),
        None => {
            if profile.name.trim().is_empty() {
                return Err(PluginError::InvalidInput(
                    "which profile? give its name (and version) or its uid".into(),
                ));
            }
            let list = api::get_json(
                api,
                "listing cluster profiles",
                "/v1/dashboard/clusterprofiles/metadata",
                &[],
            )?;
            choose(
                &candidates(&list),
                profile.name.trim(),
                profile.version.as_deref(),
            )
            .map_err(PluginError::InvalidInput)?
        }
    };
    let what = format!("exporting cluster profile {uid}");
    let request = api::request(
        "GET",
        &format!("/v1/clusterprofiles/{uid}/export"),
        &[("format", "json")],
        None,
    );
    let answer = api::send(api, &what, &request)?;
    if !(200..300).contains(&answer.status) {
        return Err(api::error_for(&what, &answer));
    }
    let view = api::get_json(
        api,
        &format!("reading the pack schemas of cluster profile {uid}"),
        &format!("/v1/clusterprofiles/{uid}"),
        &[("includePackMeta", "schema")],
    )?;
    Ok(ExportOutput {
        document: answer.body,
        packs: pack_metas(&view),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::fake;
    use serde_json::json;

    fn list() -> Vec<Candidate> {
        let c = |uid: &str, name: &str, version: &str| Candidate {
            uid: uid.into(),
            name: name.into(),
            version: version.into(),
        };
        vec![
            c("u1", "web", "1.9.0"),
            c("u2", "web", "1.10.0"),
            c("u3", "web", "1.10.0-rc.1"),
            c("u4", "db", "1.0.0"),
            c("u5", "db", "1.0.0"),
        ]
    }

    #[test]
    fn picks_the_version_asked_or_the_highest_semver() {
        assert_eq!(choose(&list(), "web", Some("1.9.0")).unwrap(), "u1");
        assert_eq!(
            choose(&list(), "web", None).unwrap(),
            "u2",
            "1.10.0 > 1.10.0-rc.1 > 1.9.0"
        );
    }

    #[test]
    fn says_which_versions_exist_or_that_none_does() {
        let err = choose(&list(), "web", Some("2.0.0")).unwrap_err();
        assert_eq!(
            err,
            "cluster profile 'web' has no version 2.0.0; versions that exist: 1.9.0, 1.10.0-rc.1, 1.10.0"
        );
        let err = choose(&list(), "nope", None).unwrap_err();
        assert!(err.contains("no cluster profile named 'nope'"), "{err}");
        let err = choose(&list(), "db", None).unwrap_err();
        assert!(err.contains("(uids u4, u5); give the uid"), "{err}");
    }

    #[test]
    fn exports_the_document_as_returned_with_schemas() {
        let doc = r#"{"metadata":{"name":"web"},  "spec":{"version":"1.10.0"}}"#;
        let api = fake::palette(|r| {
            match r.path.as_str() {
            "/v1/dashboard/clusterprofiles/metadata" => (200, json!({"items": [
                {"metadata": {"name": "web", "uid": "u2"}, "spec": {"version": "1.10.0"}}]}).to_string()),
            "/v1/clusterprofiles/u2/export" => (200, doc.to_string()),
            "/v1/clusterprofiles/u2" => (200, json!({"spec": {"published": {"packs": [
                {"name": "agent", "tag": "1.0.0", "schema": [{"name": "a.key", "format": "${password}", "required": true}]}
            ]}}}).to_string()),
            _ => (404, fake::error("ResourceNotFound", "no", Value::Null)),
        }
        });
        let out = export(
            &api,
            &ProfileRef {
                name: "web".into(),
                version: None,
                uid: None,
            },
        )
        .unwrap();
        assert_eq!(out.document, doc);
        assert_eq!(out.packs.len(), 1);
        assert_eq!(
            (out.packs[0].name.as_str(), out.packs[0].tag.as_str()),
            ("agent", "1.0.0")
        );
        assert!(schema::is_password(&out.packs[0].schema[0]));
        assert_eq!(
            api.calls.borrow()[1..],
            [
                "GET /v1/clusterprofiles/u2/export?format=json",
                "GET /v1/clusterprofiles/u2?includePackMeta=schema"
            ]
        );
    }

    #[test]
    fn palettes_errors_reach_the_user_with_their_code() {
        let api = fake::palette(|_| {
            (
                404,
                fake::error(
                    "ResourceNotFound",
                    "cluster profile 'zz' not found",
                    Value::Null,
                ),
            )
        });
        let err = export(
            &api,
            &ProfileRef {
                name: String::new(),
                version: None,
                uid: Some("zz".into()),
            },
        )
        .unwrap_err();
        let PluginError::InvalidInput(m) = err else {
            panic!("{err:?}")
        };
        assert_eq!(
            m,
            "exporting cluster profile zz: Palette answered 404 ResourceNotFound: cluster profile 'zz' not found"
        );
        let err = export(
            &api,
            &ProfileRef {
                name: String::new(),
                version: None,
                uid: Some("../x".into()),
            },
        )
        .unwrap_err();
        assert!(
            matches!(err, PluginError::InvalidInput(m) if m.contains("not a cluster profile uid"))
        );
    }
}
