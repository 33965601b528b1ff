//! An importer: creates the profile in Palette (needs palette-api:write; ferry allows the write
//! only outside dry runs and adds the credentials).

use ferry_plugin_api::palette_api::{self, Request};
use ferry_plugin_api::types::{Context, ImportOutput, PluginError};
use ferry_plugin_api::importer;

// Built natively for `cargo test`, where the component's exports are left out.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Plugin;

pub fn request(document: &str) -> Result<Request, String> {
    serde_json::from_str::<serde_json::Value>(document).map_err(|e| format!("not a profile export: {e}"))?;
    Ok(Request {
        method: "POST".into(),
        path: "/v1/clusterprofiles/import".into(),
        query: vec![("publish".into(), "true".into())],
        body: Some(document.to_string()),
    })
}

impl importer::Guest for Plugin {
    fn import(_cx: Context, env: String, document: String) -> Result<ImportOutput, PluginError> {
        let req = request(&document).map_err(PluginError::InvalidInput)?;
        let resp = palette_api::send(&env, &req).map_err(PluginError::Failed)?;
        let answer: serde_json::Value = serde_json::from_str(&resp.body).unwrap_or_default();
        match answer["uid"].as_str() {
            Some(uid) if resp.status < 300 => Ok(ImportOutput { uid: uid.into(), findings: vec![] }),
            _ => Err(PluginError::Failed(format!("Palette answered {}: {}", resp.status, resp.body))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
ferry_plugin_api::export_importer!(Plugin);

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_posted() {
        assert_eq!(super::request("{}").unwrap().path, "/v1/clusterprofiles/import");
        assert!(super::request("not json").is_err());
    }
}
