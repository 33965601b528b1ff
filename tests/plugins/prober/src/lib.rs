//! A test fixture: a validator that makes one outbound HTTP request through the `http`
//! capability, as its settings say (`url`, `method`, and `header` as `Name: value`), to prove the
//! host keeps such requests to their grant. It reports the answer's status and size as a finding,
//! or the host's refusal as a `denied` error.

use ferry_plugin_api::http::{self, Request};
use ferry_plugin_api::types::{Context, Finding, PackMeta, PluginError};
use ferry_plugin_api::{config, export_validator, finding, validator};

struct Prober;

impl validator::Guest for Prober {
    fn validate(
        _cx: Context,
        _document: String,
        _packs: Vec<PackMeta>,
    ) -> Result<Vec<Finding>, PluginError> {
        let url = config::get("url").ok_or(PluginError::InvalidInput("no url".into()))?;
        let headers = config::get("header")
            .and_then(|h| {
                h.split_once(':')
                    .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            })
            .into_iter()
            .collect();
        let request = Request {
            method: config::get("method").unwrap_or_else(|| "GET".into()),
            url,
            headers,
            body: None,
        };
        match http::send(&request) {
            Ok(resp) => Ok(vec![finding::info(
                "http-answered",
                format!("status {}, {} bytes", resp.status, resp.body.len()),
            )]),
            Err(e) => Err(PluginError::Denied(e)),
        }
    }
}

export_validator!(Prober);
