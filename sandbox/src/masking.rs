//! What Palette never hands back: values a pack's schema marks `format "${password}"`, and the values of
//! variables with `isSensitive: true`. Profile reads and exports return `********` in their place.
//!
//! The rules are ferry's shared ones (`ferry_plugin_api::mask::palette_rules`, what the built-in masker
//! runs), fed with the schemas of the registry packs a document's packs resolve to. Values the schema does
//! not mark come back as stored, as on Palette. Writes that send `********` back for a sensitive variable
//! keep the stored value, so a masked read written back never replaces a secret with asterisks.

use ferry_plugin_api::mask::{PLACEHOLDER, palette_rules};
use ferry_plugin_api::types::PackMeta;
use rusqlite::Connection;
use serde_json::Value;

use super::document;
use super::errors::{ApiError, ApiResult};
use super::packmeta::from_api;
use super::packs::resolve_doc_pack;

/// Masks a stored profile document in place, for a read or an export.
pub fn mask_document(conn: &Connection, doc: &mut Value) -> ApiResult<()> {
    let mut metas = Vec::new();
    for pack in document::packs(doc) {
        let Some((_, found)) = resolve_doc_pack(conn, pack)? else {
            continue;
        };
        let schema = found
            .schema
            .as_array()
            .map(|items| items.iter().map(from_api).collect())
            .unwrap_or_default();
        let name = pack
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        metas.push(PackMeta {
            name,
            tag: found.version.clone(),
            schema,
        });
    }
    // Imports refuse values that are not YAML, so a failure here is the sandbox's fault: answer an
    // error rather than risk handing back a secret.
    let out = palette_rules(&doc.to_string(), &metas)
        .map_err(|e| ApiError::internal(format!("cannot mask the stored profile: {e}")))?;
    if let Some(masked) = out.document {
        *doc = serde_json::from_str(&masked)?;
    }
    Ok(())
}

/// Keeps the stored `defaultValue` of a sensitive variable when an update sends the mask back.
pub fn keep_masked_variables(stored: &[Value], incoming: &mut [Value]) {
    for var in incoming {
        if var.get("defaultValue").and_then(Value::as_str) != Some(PLACEHOLDER) {
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
