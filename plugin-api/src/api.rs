//! Calling Palette from a plugin: the [`Palette`] trait (the host's `palette-api`, or a fake in
//! tests), JSON reads with paging, and errors that carry Palette's own `code` and `message`.
//!
//! Palette answers errors with `{code, message, ref, details}`; a step's message quotes the code
//! (what a user searches for) and the message, and for a 403 the permission `details` names.

use serde_json::Value;

use crate::palette_api::{Request, Response};
use crate::types::PluginError;

/// Where requests go: the host (see [`Host`]) or, in tests, a fake.
pub trait Palette {
    /// Sends one request; an error when it could not be sent, with why.
    fn send(&self, request: &Request) -> Result<Response, String>;
}

/// The host's `palette-api` for one environment of the run.
pub struct Host<'a> {
    /// The environment's name, as the call's context gives it.
    pub env: &'a str,
}

impl Palette for Host<'_> {
    fn send(&self, request: &Request) -> Result<Response, String> {
        crate::palette_api::send(self.env, request)
    }
}

/// A request with its query as pairs.
pub fn request(method: &str, path: &str, query: &[(&str, &str)], body: Option<String>) -> Request {
    Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
    }
}

/// Palette's error body, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// Palette's error code (`ClusterProfileAlreadyExists`); empty when the body had none.
    pub code: String,
    /// Palette's message.
    pub message: String,
    /// Palette's `details`, as sent.
    pub details: Value,
}

impl ApiError {
    /// Reads an error answer; a body that is not Palette's shape keeps its first 200 characters.
    pub fn parse(response: &Response) -> ApiError {
        let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
        let text = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let mut message = text("message");
        if message.is_empty() && body.is_null() {
            message = response.body.trim().chars().take(200).collect();
        }
        ApiError {
            status: response.status,
            code: text("code"),
            message,
            details: body.get("details").cloned().unwrap_or(Value::Null),
        }
    }

    /// The permission a 403 names in its details: `missingPermission`, else the first string
    /// value that looks like one (`resource.verb`).
    pub fn missing_permission(&self) -> Option<String> {
        if let Some(p) = self
            .details
            .get("missingPermission")
            .and_then(Value::as_str)
        {
            return Some(p.to_string());
        }
        fn find(v: &Value) -> Option<&str> {
            match v {
                Value::String(s) if looks_like_permission(s) => Some(s),
                Value::Array(a) => a.iter().find_map(find),
                Value::Object(o) => o.values().find_map(find),
                _ => None,
            }
        }
        find(&self.details).map(str::to_string)
    }

    /// `403 Forbidden: the caller's role lacks ... (missing permission clusterProfile.create)`.
    pub fn describe(&self) -> String {
        let mut out = self.status.to_string();
        if !self.code.is_empty() {
            out.push(' ');
            out.push_str(&self.code);
        }
        if !self.message.is_empty() {
            out.push_str(": ");
            out.push_str(&self.message);
        }
        if self.status == 403
            && let Some(p) = self.missing_permission()
        {
            out.push_str(&format!(" (missing permission {p})"));
        }
        out
    }
}

fn looks_like_permission(s: &str) -> bool {
    matches!(s.split_once('.'), Some((a, b)) if !a.is_empty() && !b.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.'))
}

/// The plugin error for a non-2xx answer to `what`: refusals (401, 403) are `denied`, answers about
/// the request itself (400, 404, 409, 422) `invalid-input`, anything else (429, 5xx) `failed`.
pub fn error_for(what: &str, response: &Response) -> PluginError {
    let err = ApiError::parse(response);
    let message = format!("{what}: Palette answered {}", err.describe());
    match response.status {
        401 | 403 => PluginError::Denied(message),
        400 | 404 | 409 | 422 => PluginError::InvalidInput(message),
        _ => PluginError::Failed(message),
    }
}

/// Sends a request; a transport failure (the host could not reach Palette, or refused the call)
/// becomes `failed` naming `what`.
pub fn send(api: &impl Palette, what: &str, request: &Request) -> Result<Response, PluginError> {
    api.send(request)
        .map_err(|e| PluginError::Failed(format!("{what}: {e}")))
}

/// GETs `path` and reads a 2xx answer as JSON.
pub fn get_json(
    api: &impl Palette,
    what: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Value, PluginError> {
    let response = send(api, what, &request("GET", path, query, None))?;
    json_of(what, &response)
}

/// A 2xx answer's JSON body, else the error for it.
pub fn json_of(what: &str, response: &Response) -> Result<Value, PluginError> {
    if !(200..300).contains(&response.status) {
        return Err(error_for(what, response));
    }
    serde_json::from_str(&response.body).map_err(|e| {
        PluginError::Failed(format!(
            "{what}: Palette's answer is not the JSON expected ({e})"
        ))
    })
}

/// Pages a plugin follows at most: 50 items each, so 10,000 items; past that something loops.
const MAX_PAGES: usize = 200;

/// Every item of a paged list (`{items, listmeta{continue}}`), following `continue`.
pub fn list_all(
    api: &impl Palette,
    what: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Vec<Value>, PluginError> {
    let mut items = Vec::new();
    let mut token = String::new();
    for _ in 0..MAX_PAGES {
        let mut q = query.to_vec();
        if !token.is_empty() {
            q.push(("continue", token.as_str()));
        }
        let page = get_json(api, what, path, &q)?;
        if let Some(list) = page.get("items").and_then(Value::as_array) {
            items.extend(list.iter().cloned());
        }
        token = page
            .pointer("/listmeta/continue")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if token.is_empty() {
            return Ok(items);
        }
    }
    Err(PluginError::Failed(format!(
        "{what}: more than {MAX_PAGES} pages; Palette's paging does not end"
    )))
}

#[cfg(test)]
pub(crate) mod fake {
    //! A Palette that answers from a routing closure and records what it was asked.
    use std::cell::RefCell;

    use super::*;

    pub struct Fake<F> {
        pub route: F,
        pub calls: RefCell<Vec<String>>,
    }

    pub fn palette<F: Fn(&Request) -> (u16, String)>(route: F) -> Fake<F> {
        Fake {
            route,
            calls: RefCell::new(Vec::new()),
        }
    }

    impl<F: Fn(&Request) -> (u16, String)> Palette for Fake<F> {
        fn send(&self, request: &Request) -> Result<Response, String> {
            let query: Vec<String> = request
                .query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            self.calls.borrow_mut().push(format!(
                "{} {}{}{}",
                request.method,
                request.path,
                if query.is_empty() { "" } else { "?" },
                query.join("&")
            ));
            let (status, body) = (self.route)(request);
            Ok(Response { status, body })
        }
    }

    pub fn error(code: &str, message: &str, details: Value) -> String {
        serde_json::json!({"code": code, "message": message, "ref": "r1", "details": details})
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn response(status: u16, body: &str) -> Response {
        Response {
            status,
            body: body.to_string(),
        }
    }

    #[test]
    fn a_403_names_the_missing_permission_and_is_denied() {
        let body = fake::error(
            "Forbidden",
            "the caller's role lacks the permission 'clusterProfile.create'",
            json!({"missingPermission": "clusterProfile.create"}),
        );
        let err = error_for("importing", &response(403, &body));
        let PluginError::Denied(m) = err else {
            panic!("{err:?}")
        };
        assert!(
            m.starts_with("importing: Palette answered 403 Forbidden: the caller's role lacks")
                && m.ends_with("(missing permission clusterProfile.create)"),
            "{m}"
        );
        // Another spelling of the details still yields the permission.
        let other = ApiError::parse(&response(
            403,
            &fake::error("Forbidden", "no", json!({"required": ["pack.get"]})),
        ));
        assert_eq!(other.missing_permission().as_deref(), Some("pack.get"));
    }

    #[test]
    fn statuses_map_to_error_kinds_and_odd_bodies_are_quoted() {
        let e = |s| error_for("x", &response(s, "upstream timeout"));
        assert!(matches!(e(404), PluginError::InvalidInput(_)));
        assert!(matches!(e(401), PluginError::Denied(_)));
        let PluginError::Failed(m) = e(503) else {
            panic!()
        };
        assert_eq!(m, "x: Palette answered 503: upstream timeout");
    }

    #[test]
    fn lists_follow_continue_tokens() {
        let api = fake::palette(|r| {
            let next = r.query.iter().any(|(k, _)| k == "continue");
            let body = if next {
                json!({"items": [2], "listmeta": {"continue": ""}})
            } else {
                json!({"items": [1], "listmeta": {"continue": "t1"}})
            };
            (200, body.to_string())
        });
        let items = list_all(&api, "packs", "/v1/packs", &[("filters", "spec.name=a")]).unwrap();
        assert_eq!(items, [json!(1), json!(2)]);
        assert_eq!(
            api.calls.borrow().as_slice(),
            [
                "GET /v1/packs?filters=spec.name=a",
                "GET /v1/packs?filters=spec.name=a&continue=t1"
            ]
        );
    }
}
