//! A validator: every pack must name a pinned version.

use ferry_plugin_api::types::{Context, Finding, PackMeta, PluginError, Subject};
use ferry_plugin_api::{finding, validator};

// Built natively for `cargo test`, where the component's exports are left out.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Plugin;

/// One finding per pack without a pinned version.
pub fn findings(document: &str) -> Result<Vec<Finding>, String> {
    let doc: serde_json::Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let packs = doc["spec"]["template"]["packs"].as_array().cloned().unwrap_or_default();
    Ok(packs
        .iter()
        .enumerate()
        .filter_map(|(n, pack)| {
            let version = pack["version"].as_str().unwrap_or_default();
            let pinned = !version.is_empty() && version != "latest" && !version.contains('*');
            let name = pack["name"].as_str().unwrap_or_default();
            (!pinned).then(|| {
                finding::error("acme-unpinned-pack", format!("pack '{name}' has no pinned version"))
                    .at(format!("/spec/template/packs/{n}/version"))
                    .about(Subject::Pack(format!("{name}@{version}")))
                    .hint("pin the pack to a released version in the source profile")
            })
        })
        .collect())
}

impl validator::Guest for Plugin {
    fn validate(_cx: Context, document: String, _packs: Vec<PackMeta>) -> Result<Vec<Finding>, PluginError> {
        findings(&document).map_err(PluginError::InvalidInput)
    }
}

#[cfg(target_arch = "wasm32")]
ferry_plugin_api::export_validator!(Plugin);

#[cfg(test)]
mod tests {
    #[test]
    fn an_unpinned_pack_is_a_finding() {
        let doc = r#"{"spec":{"template":{"packs":[{"name":"ok","version":"1.2.0"},{"name":"loose","version":"latest"}]}}}"#;
        let found = super::findings(doc).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path.as_deref(), Some("/spec/template/packs/1/version"));
    }
}
