//! Example organization approver: a profile goes through only with a change ticket the
//! organization's approval service has approved.
//!
//! 1. The profile must carry a `change-ticket` label (`metadata.labels`); without one it is
//!    denied, and nothing is asked.
//! 2. The approval service (`config.service`, an origin the policy grants as `http:ORIGIN`) is
//!    asked `GET {service}/tickets/{ticket}?profile={name}` and answers JSON
//!    `{"status": "approved" | "rejected" | "pending", "reason": "..."}`: approved approves,
//!    rejected denies with the reason, pending (or anything else) needs a person's review, and
//!    404 denies (no such ticket).
//!
//! ```toml
//! [steps]
//! approve = ["ticket-approver"]
//! [plugins.ticket-approver]
//! grants = ["http:https://approvals.acme.example"]
//! config = { service = "https://approvals.acme.example" }
//! ```

use ferry_plugin_api::document::Profile;
use ferry_plugin_api::http::{self, Request};
use ferry_plugin_api::types::{Context, Decision, Finding, PluginError};
use ferry_plugin_api::{approver, config, export_approver};

/// The label a profile names its change ticket with.
pub const LABEL: &str = "change-ticket";

struct TicketApprover;

/// The ticket a profile names, if any: a label value made of letters, digits, `-`, `_` and `.`
/// (it goes into a URL path).
pub fn ticket_of(profile: &Profile) -> Result<&str, String> {
    let name = &profile.metadata.name;
    let ticket = profile
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(LABEL))
        .and_then(|v| v.as_str())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| format!("profile {name} has no {LABEL} label: label it with the change ticket that covers this move"))?;
    if !ticket
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(format!(
            "profile {name}: {LABEL} '{ticket}' is not a ticket id (letters, digits, '-', '_', '.')"
        ));
    }
    Ok(ticket)
}

/// The decision the approval service's answer makes.
pub fn decide(ticket: &str, status: u16, body: &[u8]) -> Result<Decision, PluginError> {
    if status == 404 {
        return Ok(Decision::Deny(format!(
            "the approval service knows no ticket {ticket}"
        )));
    }
    if status != 200 {
        return Err(PluginError::Failed(format!(
            "the approval service answered HTTP {status} about ticket {ticket}"
        )));
    }
    let answer: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        PluginError::Failed(format!(
            "the approval service's answer about {ticket} is not JSON: {e}"
        ))
    })?;
    let reason = answer["reason"].as_str().unwrap_or("no reason given");
    Ok(match answer["status"].as_str() {
        Some("approved") => Decision::Approve,
        Some("rejected") => Decision::Deny(format!("ticket {ticket} was rejected: {reason}")),
        other => Decision::NeedsReview(format!(
            "ticket {ticket} is {} in the approval service",
            other.unwrap_or("in no known state")
        )),
    })
}

impl approver::Guest for TicketApprover {
    fn approve(
        _cx: Context,
        document: String,
        _findings: Vec<Finding>,
    ) -> Result<Decision, PluginError> {
        let profile = Profile::parse(&document).map_err(PluginError::InvalidInput)?;
        let ticket = match ticket_of(&profile) {
            Ok(ticket) => ticket,
            Err(why) => return Ok(Decision::Deny(why)),
        };
        let service = config::get("service").ok_or_else(|| {
            PluginError::Failed(
                "no approval service: set config.service under [plugins.ticket-approver] in the policy (and grant it as http:ORIGIN)".into(),
            )
        })?;
        let name: String = profile
            .metadata
            .name
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let request = Request {
            method: "GET".into(),
            url: format!(
                "{}/tickets/{ticket}?profile={name}",
                service.trim_end_matches('/')
            ),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
        };
        let response = http::send(&request).map_err(|e| {
            PluginError::Failed(format!(
                "cannot ask the approval service about {ticket}: {e}"
            ))
        })?;
        decide(ticket, response.status, &response.body)
    }
}

export_approver!(TicketApprover);
ferry_plugin_api::single_call_allocator!();
