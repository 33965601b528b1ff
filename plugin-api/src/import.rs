//! The import step's logic (the built-in `palette-import` is this plus the bindings):
//! `POST /v1/clusterprofiles/import` with the document as its body, `?publish=true` when asked.
//!
//! Palette's answer becomes what a user can act on: 201 `{uid}` the new profile; 409 a profile of
//! that name and version exists (`failed`: nothing is wrong with the document, the target is
//! taken); 403 the permission the key lacks (`denied`); 400 the document is refused, with
//! Palette's code (`PackVariablesUndefined`, `MacrosUndefined`, `PackNotFound`, ...) as
//! `invalid-input`. A run marked dry is refused before anything is sent, whatever the host did.

use serde_json::Value;

use crate::api::{self, ApiError, Palette};
use crate::document::Skim;
use crate::types::{ImportOutput, PluginError};

/// Imports `document` into the environment `env`.
pub fn import(
    api: &impl Palette,
    dry_run: bool,
    env: &str,
    document: String,
    publish: bool,
) -> Result<ImportOutput, PluginError> {
    if dry_run {
        return Err(PluginError::Denied(
            "dry run: nothing may be written".into(),
        ));
    }
    // The document goes out as it came in (the request owns it, no copy): only its name and
    // version are read, borrowed.
    let skim = Skim::parse(&document).map_err(PluginError::InvalidInput)?;
    let (name, version) = (
        skim.name().unwrap_or("?").to_string(),
        skim.version().unwrap_or("?").to_string(),
    );
    let what = format!("importing {name} {version} into {env}");
    let query: &[(&str, &str)] = if publish { &[("publish", "true")] } else { &[] };
    let request = api::request("POST", "/v1/clusterprofiles/import", query, Some(document));
    let answer = api::send(api, &what, &request)?;
    let err = ApiError::parse(&answer);
    match answer.status {
        200..=299 => {
            let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
            let uid = body
                .get("uid")
                .and_then(Value::as_str)
                .filter(|u| !u.is_empty());
            let uid = uid.ok_or_else(|| {
                PluginError::Failed(format!(
                    "{what}: Palette answered {} without the new profile's uid",
                    answer.status
                ))
            })?;
            Ok(ImportOutput {
                uid: uid.to_string(),
                findings: Vec::new(),
            })
        }
        409 => Err(PluginError::Failed(format!(
            "profile {name} {version} already exists in {env} ({})",
            Some(err.code.as_str())
                .filter(|c| !c.is_empty())
                .unwrap_or("409")
        ))),
        400 => Err(PluginError::InvalidInput(format!(
            "{env} refused {name} {version}: {}",
            err.describe()
        ))),
        _ => Err(api::error_for(&what, &answer)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::fake;
    use serde_json::json;

    const DOC: &str = r#"{"metadata":{"name":"web"},"spec":{"version":"1.2.0"}}"#;

    #[test]
    fn posts_the_document_and_returns_the_uid() {
        let api = fake::palette(|r| {
            assert_eq!(r.body.as_deref(), Some(DOC));
            (201, json!({"uid": "new-uid"}).to_string())
        });
        let out = import(&api, false, "staging", DOC.into(), true).unwrap();
        assert_eq!(out.uid, "new-uid");
        assert!(out.findings.is_empty());
        assert_eq!(
            api.calls.borrow().as_slice(),
            ["POST /v1/clusterprofiles/import?publish=true"]
        );
        import(&api, false, "staging", DOC.into(), false).unwrap();
        assert_eq!(api.calls.borrow()[1], "POST /v1/clusterprofiles/import");
    }

    #[test]
    fn each_refusal_says_what_to_do() {
        let answer = |status: u16, code: &str, message: &str, details: Value| {
            let body = fake::error(code, message, details);
            let api = fake::palette(move |_| (status, body.clone()));
            import(&api, false, "staging", DOC.into(), false).unwrap_err()
        };
        let taken = answer(409, "ClusterProfileAlreadyExists", "exists", Value::Null);
        assert!(
            matches!(&taken, PluginError::Failed(m) if m == "profile web 1.2.0 already exists in staging (ClusterProfileAlreadyExists)"),
            "{taken:?}"
        );
        let denied = answer(
            403,
            "Forbidden",
            "the caller's role lacks the permission 'clusterProfile.create'",
            json!({"missingPermission": "clusterProfile.create"}),
        );
        assert!(
            matches!(&denied, PluginError::Denied(m) if m.contains("importing web 1.2.0 into staging") && m.ends_with("(missing permission clusterProfile.create)")),
            "{denied:?}"
        );
        let refused = answer(
            400,
            "MacrosUndefined",
            "pack values reference macros this scope does not define: REGION",
            json!({"macros": ["REGION"]}),
        );
        assert!(
            matches!(&refused, PluginError::InvalidInput(m) if m == "staging refused web 1.2.0: 400 MacrosUndefined: pack values reference macros this scope does not define: REGION"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_dry_run_writes_nothing() {
        let api = fake::palette(|_| panic!("nothing may be sent"));
        let err = import(&api, true, "staging", DOC.into(), true).unwrap_err();
        assert!(matches!(err, PluginError::Denied(m) if m == "dry run: nothing may be written"));
    }
}
