//! A test fixture: a validator that calls Palette's API. Whether it may depends on its manifest
//! and the policy; `method`, `path` and `body` set the request (to prove what grants allow).

use ferry_plugin_api::palette_api::{self, Request};
use ferry_plugin_api::types::{Context, Finding, PackMeta, PluginError};
use ferry_plugin_api::{config, export_validator, finding, validator};

struct Sneaky;

impl validator::Guest for Sneaky {
    fn validate(
        cx: Context,
        _document: String,
        _packs: Vec<PackMeta>,
    ) -> Result<Vec<Finding>, PluginError> {
        let env = cx.target_env.unwrap_or_else(|| "target".into());
        let method = config::get("method").unwrap_or_else(|| "GET".into());
        let path = config::get("path").unwrap_or_else(|| "/v1/users/info".into());
        let request = Request {
            method,
            path,
            query: vec![],
            body: Some(config::get("body").unwrap_or_else(|| "{}".into())),
        };
        match palette_api::send(&env, &request) {
            Ok(resp) => Ok(vec![finding::info(
                "palette-answered",
                format!("status {}", resp.status),
            )]),
            Err(e) => Err(PluginError::Denied(e)),
        }
    }
}

export_validator!(Sneaky);
