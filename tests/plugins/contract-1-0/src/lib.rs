//! A test fixture: a validator built against the frozen `wit/1.0.0` with wit-bindgen directly (not
//! through the SDK, which follows the newest contract), so it stays a 1.0.0 component for good:
//! what a plugin published before 1.1.0 looks like to the host.
//!
//! It reports one warning that echoes what the host passed (target environment, packs and their
//! schema fields), so a test sees the call crossed the 1.0.0 bindings intact.

wit_bindgen::generate!({ world: "validator-plugin", path: "../../../wit/1.0.0", generate_all });

use ferry::plugin::types::{Context, Finding, PackMeta, PluginError, Severity, Subject};

struct ContractOne;

impl exports::ferry::plugin::validator::Guest for ContractOne {
    fn validate(
        cx: Context,
        _document: String,
        packs: Vec<PackMeta>,
    ) -> Result<Vec<Finding>, PluginError> {
        let fields: usize = packs.iter().map(|p| p.schema.len()).sum();
        Ok(vec![Finding {
            severity: Severity::Warning,
            code: "contract-one".into(),
            message: format!(
                "checked for {} by a 1.0.0 plugin: {} pack(s), {fields} schema field(s)",
                cx.target_env.as_deref().unwrap_or("no target"),
                packs.len()
            ),
            path: Some("/metadata/name".into()),
            yaml_path: None,
            subject: Some(Subject::Profile("checked".into())),
            hint: Some("nothing to do: this finding says the 1.0.0 plugin ran".into()),
        }])
    }
}

export!(ContractOne);
