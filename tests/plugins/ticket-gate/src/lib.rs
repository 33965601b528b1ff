//! Test fixture: approves a profile only when its metadata carries a `change-ticket` label, the
//! shape of an organization's approval gate.

use ferry_plugin_api::approver;
use ferry_plugin_api::document::Profile;
use ferry_plugin_api::export_approver;
use ferry_plugin_api::types::{Context, Decision, Finding, PluginError};

struct TicketGate;

impl approver::Guest for TicketGate {
    fn approve(
        _cx: Context,
        document: String,
        _findings: Vec<Finding>,
    ) -> Result<Decision, PluginError> {
        let profile = Profile::parse(&document).map_err(PluginError::InvalidInput)?;
        let ticket = profile
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("change-ticket"))
            .and_then(|v| v.as_str())
            .filter(|t| !t.is_empty());
        Ok(match ticket {
            Some(_) => Decision::Approve,
            None => Decision::Deny(format!(
                "profile {} has no change-ticket label",
                profile.metadata.name
            )),
        })
    }
}

export_approver!(TicketGate);
