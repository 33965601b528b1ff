//! A masker: takes the values of YAML keys that contain one of some words out of every pack's
//! values. ferry seals what it reports and writes `"********"` in the document's place.

use ferry_plugin_api::types::{Context, MaskOutput, PackMeta, PluginError};
use ferry_plugin_api::values::Segment;
use ferry_plugin_api::{config, mask, masker};

// Built natively for `cargo test`, where the component's exports are left out.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Plugin;

/// Masks scalars whose key contains one of `words` (lowercase). The SDK edits the document in
/// place (only the masked values change), quotes the placeholder and reports each value with its
/// JSON pointer into the YAML.
pub fn mask_words(document: &str, words: &[String]) -> Result<MaskOutput, String> {
    mask::mask_document(
        document,
        |_pack| true,
        |_pack, scalar| {
            let Some(Segment::Key(key)) = scalar.path.last() else {
                return None;
            };
            let key = key.to_lowercase();
            words
                .iter()
                .any(|w| key.contains(w.as_str()))
                .then(|| "acme:key-word".to_string())
        },
        |_variable| None,
    )
}

impl masker::Guest for Plugin {
    fn mask(_cx: Context, document: String, _packs: Vec<PackMeta>) -> Result<MaskOutput, PluginError> {
        // Settings come from the policy: [plugins.{{id}}] config = { key-words = "token,secret" }
        let words: Vec<String> = config::get("key-words")
            .unwrap_or_else(|| "token".into())
            .split(',')
            .map(|w| w.trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        mask_words(&document, &words).map_err(PluginError::InvalidInput)
    }
}

#[cfg(target_arch = "wasm32")]
ferry_plugin_api::export_masker!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_values_of_keys_with_a_word_and_reports_where() {
        let doc = r#"{"spec":{"template":{"packs":[{"name":"p","values":"app:\n  apiToken: abc123 # keep me\n  replicas: 2\n"}]}}}"#;
        let out = mask_words(doc, &["token".into()]).unwrap();
        let keys: Vec<&str> = out.masked.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["/app/apiToken"]);
        assert!(out.document.unwrap().contains(r#"apiToken: \"********\" # keep me"#));
    }
}
