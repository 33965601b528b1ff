//! The cluster profile document (`v1ClusterProfileImportEntity`, the export format): the checks an import
//! runs on it, and the references its pack values make.
//!
//! The sandbox stores this document as the profile itself, as JSON with its keys in order, so whatever a
//! client sends (fields this version does not know included) comes back on export.

use std::collections::{BTreeMap, BTreeSet};

use ferry_plugin_api::refs::{self, Kind};
use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult};

pub const PROFILE_TYPES: &[&str] = &["cluster", "infra", "add-on", "system"];
pub const PACK_LAYERS: &[&str] = &["kernel", "os", "k8s", "cni", "csi", "addon"];
pub const PACK_TYPES: &[&str] = &["spectro", "helm", "manifest", "oci"];
pub const VARIABLE_FORMATS: &[&str] = &[
    "string", "number", "boolean", "ipv4", "ipv4cidr", "ipv6", "version", "base64",
];
pub const VARIABLE_INPUT_TYPES: &[&str] = &["text", "dropdown", "multiline"];

/// Name and version of a checked document.
#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub version: String,
}

fn invalid(path: &str, what: &str) -> ApiError {
    ApiError::bad_request(format!("{path}: {what}"))
}

fn str_at<'a>(v: &'a Value, key: &str, path: &str) -> ApiResult<Option<&'a str>> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(invalid(&format!("{path}.{key}"), "must be a string")),
    }
}

/// Checks the document's shape: what Palette would refuse, and what the sandbox's responses must be able to
/// show within the contract's models (enums, string maps).
pub fn check(doc: &Value) -> ApiResult<Identity> {
    if !doc.is_object() {
        return Err(ApiError::bad_request(
            "the profile document must be a JSON object",
        ));
    }
    let metadata = doc
        .get("metadata")
        .filter(|m| m.is_object())
        .ok_or_else(|| invalid("metadata", "is required"))?;
    let name = str_at(metadata, "name", "metadata")?
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("metadata.name", "is required"))?;
    if let Some(labels) = metadata.get("labels").filter(|l| !l.is_null()) {
        let ok = labels
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string));
        if !ok {
            return Err(invalid("metadata.labels", "must map names to strings"));
        }
    }
    let spec = doc
        .get("spec")
        .filter(|s| s.is_object())
        .ok_or_else(|| invalid("spec", "is required"))?;
    let version = str_at(spec, "version", "spec")?.unwrap_or("1.0.0");
    if !is_version(version) {
        return Err(invalid(
            "spec.version",
            &format!("'{version}' is not a semantic version like 1.0.0"),
        ));
    }
    let template = spec
        .get("template")
        .filter(|t| t.is_object())
        .ok_or_else(|| invalid("spec.template", "is required"))?;
    if let Some(kind) = str_at(template, "type", "spec.template")?
        && !PROFILE_TYPES.contains(&kind)
    {
        return Err(invalid(
            "spec.template.type",
            &format!("'{kind}' is not one of {PROFILE_TYPES:?}"),
        ));
    }
    str_at(template, "cloudType", "spec.template")?;
    let packs = match template.get("packs") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(packs)) => packs,
        Some(_) => return Err(invalid("spec.template.packs", "must be a list")),
    };
    let mut seen = BTreeSet::new();
    for (i, pack) in packs.iter().enumerate() {
        let path = format!("spec.template.packs[{i}]");
        if !pack.is_object() {
            return Err(invalid(&path, "must be an object"));
        }
        let pack_name = str_at(pack, "name", &path)?
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid(&path, "name is required"))?;
        if !seen.insert(pack_name) {
            return Err(invalid(
                &path,
                &format!(
                    "pack '{pack_name}' appears twice (name the second '<display-name>--{pack_name}')"
                ),
            ));
        }
        let layer =
            str_at(pack, "layer", &path)?.ok_or_else(|| invalid(&path, "layer is required"))?;
        if !PACK_LAYERS.contains(&layer) {
            return Err(invalid(
                &format!("{path}.layer"),
                &format!("'{layer}' is not one of {PACK_LAYERS:?}"),
            ));
        }
        if let Some(kind) = str_at(pack, "type", &path)?
            && !PACK_TYPES.contains(&kind)
        {
            return Err(invalid(
                &format!("{path}.type"),
                &format!("'{kind}' is not one of {PACK_TYPES:?}"),
            ));
        }
        for key in ["version", "tag", "values"] {
            str_at(pack, key, &path)?;
        }
        if let Some(manifests) = pack.get("manifests").filter(|m| !m.is_null()) {
            let ok = manifests.as_array().is_some_and(|m| {
                m.iter()
                    .all(|m| m.get("name").is_some_and(Value::is_string))
            });
            if !ok {
                return Err(invalid(
                    &format!("{path}.manifests"),
                    "must be a list of {name, content}",
                ));
            }
        }
        if pack_type(pack) != "manifest" && version_of(pack).is_none() {
            return Err(invalid(&path, "version or tag is required"));
        }
    }
    if !spec
        .get("variables")
        .is_none_or(|v| v.is_null() || v.is_array())
    {
        return Err(invalid("spec.variables", "must be a list"));
    }
    let mut names = BTreeSet::new();
    for (i, var) in variables(doc).iter().enumerate() {
        let path = format!("spec.variables[{i}]");
        let var_name = var
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let var_name = var_name.ok_or_else(|| invalid(&path, "name is required"))?;
        for (key, allowed) in [
            ("format", VARIABLE_FORMATS),
            ("inputType", VARIABLE_INPUT_TYPES),
        ] {
            if let Some(value) = str_at(var, key, &path)?
                && !allowed.contains(&value)
            {
                let what = format!("'{value}' is not one of {allowed:?}");
                return Err(invalid(&format!("{path}.{key}"), &what));
            }
        }
        for key in ["defaultValue", "displayName", "description", "regex"] {
            str_at(var, key, &path)?;
        }
        if !names.insert(var_name) {
            return Err(invalid(
                &path,
                &format!("variable '{var_name}' is declared twice"),
            ));
        }
    }
    Ok(Identity {
        name: name.to_string(),
        version: version.to_string(),
    })
}

fn is_version(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The document's packs.
pub fn packs(doc: &Value) -> &[Value] {
    doc.pointer("/spec/template/packs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub fn packs_mut(doc: &mut Value) -> Option<&mut Vec<Value>> {
    doc.pointer_mut("/spec/template/packs")
        .and_then(Value::as_array_mut)
}

/// A pack's version: `version`, else `tag`.
pub fn version_of(pack: &Value) -> Option<&str> {
    ["version", "tag"].iter().find_map(|k| {
        pack.get(*k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    })
}

pub fn pack_type(pack: &Value) -> &str {
    pack.get("type")
        .and_then(Value::as_str)
        .unwrap_or("spectro")
}

/// The document's variables.
pub fn variables(doc: &Value) -> &[Value] {
    doc.pointer("/spec/variables")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The names a document references with `{{.spectro.<kind>.NAME}}`, in pack values and manifests.
pub fn references(doc: &Value, kind: Kind) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for pack in packs(doc) {
        let manifests = pack
            .get("manifests")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let texts = std::iter::once(pack.get("values"))
            .chain(manifests.iter().map(|m| m.get("content")))
            .filter_map(|v| v.and_then(Value::as_str));
        for text in texts {
            out.extend(
                refs::references(text)
                    .into_iter()
                    .filter(|r| r.kind == kind)
                    .map(|r| r.name),
            );
        }
    }
    out
}

/// 400 `InvalidPackValues` when a pack's values are not YAML (reads must be able to mask them).
pub fn check_values(doc: &Value) -> ApiResult<()> {
    for (i, pack) in packs(doc).iter().enumerate() {
        if let Some(text) = pack.get("values").and_then(Value::as_str) {
            ferry_plugin_api::values::scalars(text).map_err(|e| {
                invalid(&format!("spec.template.packs[{i}].values"), &e)
                    .with_code("InvalidPackValues")
            })?;
        }
    }
    Ok(())
}

/// 400 `PackVariablesUndefined` when values reference variables `spec.variables` does not declare.
pub fn check_variables(doc: &Value) -> ApiResult<()> {
    let declared: BTreeSet<&str> = variables(doc)
        .iter()
        .filter_map(|v| v.get("name")?.as_str())
        .collect();
    let missing: Vec<String> = references(doc, Kind::Var)
        .into_iter()
        .filter(|name| !declared.contains(name.as_str()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "pack values reference variables that spec.variables does not declare: {}",
        missing.join(", ")
    ))
    .with_code("PackVariablesUndefined")
    .with_details(json!({ "variables": missing })))
}

/// 400 `MacrosUndefined` when values reference macros the target scope does not define.
pub fn check_macros(doc: &Value, defined: &BTreeMap<String, String>) -> ApiResult<()> {
    let missing: Vec<String> = references(doc, Kind::Macro)
        .into_iter()
        .filter(|name| !defined.contains_key(name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ApiError::bad_request(format!(
        "pack values reference macros this scope does not define (define them at project, tenant or system scope first): {}",
        missing.join(", ")
    ))
    .with_code("MacrosUndefined")
    .with_details(json!({ "macros": missing })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(values: &str, variables: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": {"version": "1.0.0", "variables": variables,
               "template": {"type": "add-on", "packs": [{"name": "a", "layer": "addon", "version": "1.0.0", "values": values}]}}})
    }

    #[test]
    fn finds_references_in_every_spelling() {
        let d = doc(
            "a: {{.spectro.var.x}}\nb: '{{ .spectro.macro.m1 | default \"q\" }}'\nc: {{.spectro.system.cluster.name}}",
            json!([]),
        );
        assert_eq!(references(&d, Kind::Var), BTreeSet::from(["x".to_string()]));
        assert_eq!(
            references(&d, Kind::Macro),
            BTreeSet::from(["m1".to_string()])
        );
        let err = check_variables(&d).unwrap_err();
        assert_eq!(err.code, "PackVariablesUndefined");
        assert!(check_variables(&doc("a: {{.spectro.var.x}}", json!([{"name": "x"}]))).is_ok());
    }

    #[test]
    fn refuses_bad_shapes() {
        assert!(check(&doc("", json!([]))).is_ok());
        let mut d = doc("", json!([]));
        d["spec"]["template"]["packs"][0]["layer"] = json!("middle");
        assert_eq!(check(&d).unwrap_err().status.as_u16(), 400);
        let mut d = doc("", json!([]));
        d["spec"]["version"] = json!("one");
        assert!(check(&d).is_err());
    }
}
