//! An approver: a profile goes ahead only with a change-ticket label and no error findings.

use ferry_plugin_api::types::{Context, Decision, Finding, PluginError, Severity};
use ferry_plugin_api::approver;

// Built natively for `cargo test`, where the component's exports are left out.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
struct Plugin;

pub fn decide(document: &str, findings: &[Finding]) -> Result<Decision, String> {
    let doc: serde_json::Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    Ok(if errors > 0 {
        Decision::Deny(format!("{errors} finding(s) of severity error"))
    } else if doc["metadata"]["labels"]["change-ticket"].as_str().is_none_or(str::is_empty) {
        Decision::Deny("the profile has no change-ticket label; add one (metadata.labels.change-ticket)".into())
    } else {
        Decision::Approve
    })
}

impl approver::Guest for Plugin {
    fn approve(_cx: Context, document: String, findings: Vec<Finding>) -> Result<Decision, PluginError> {
        decide(&document, &findings).map_err(PluginError::InvalidInput)
    }
}

#[cfg(target_arch = "wasm32")]
ferry_plugin_api::export_approver!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_ticket_is_needed() {
        assert!(matches!(decide(r#"{"metadata":{"labels":{}}}"#, &[]), Ok(Decision::Deny(_))));
        let ticket = r#"{"metadata":{"labels":{"change-ticket":"CHG-1"}}}"#;
        assert!(matches!(decide(ticket, &[]), Ok(Decision::Approve)));
    }
}
