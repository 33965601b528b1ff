//! What can go wrong talking to Palette, typed from Palette's error `code` so callers branch on it
//! and never on message text.

use serde::Deserialize;

/// Palette's error codes that ferry acts on; anything else keeps its text in [`ErrorCode::Other`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    ResourceNotFound,
    TooManyRequests,
    ClusterProfileAlreadyExists,
    PackVariablesUndefined,
    /// HTTP 401: the key is wrong, expired or revoked.
    Unauthorized,
    /// HTTP 403: the key is valid but may not do this (or not in this project).
    Forbidden,
    Other(String),
}

impl ErrorCode {
    /// The code from Palette's body, falling back on the status for 401/403/404/429 when the body
    /// has none (a proxy in front of Palette answers without one).
    pub fn classify(status: u16, code: Option<&str>) -> Self {
        match (code, status) {
            (Some("ResourceNotFound"), _) => Self::ResourceNotFound,
            (Some("TooManyRequests"), _) | (_, 429) => Self::TooManyRequests,
            (Some("ClusterProfileAlreadyExists"), _) => Self::ClusterProfileAlreadyExists,
            (Some("PackVariablesUndefined"), _) => Self::PackVariablesUndefined,
            (_, 401) => Self::Unauthorized,
            (_, 403) => Self::Forbidden,
            (None, 404) => Self::ResourceNotFound,
            (Some(other), _) => Self::Other(other.to_owned()),
            (None, status) => Self::Other(format!("HTTP {status}")),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ResourceNotFound => f.write_str("ResourceNotFound"),
            Self::TooManyRequests => f.write_str("TooManyRequests"),
            Self::ClusterProfileAlreadyExists => f.write_str("ClusterProfileAlreadyExists"),
            Self::PackVariablesUndefined => f.write_str("PackVariablesUndefined"),
            Self::Unauthorized => f.write_str("Unauthorized"),
            Self::Forbidden => f.write_str("Forbidden"),
            Self::Other(code) => f.write_str(code),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Palette answered with an error.
    #[error("{method} {path}: Palette answered {status} {code}: {message}")]
    Api {
        method: String,
        path: String,
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// Nothing reached Palette: DNS, a refused connection, a failed TLS handshake.
    #[error("cannot reach {endpoint}: {detail}")]
    Unreachable { endpoint: String, detail: String },
    /// Nothing was sent: TLS refused the endpoint's certificate (not tried again).
    #[error("cannot verify the TLS certificate of {endpoint}: {detail}")]
    UntrustedCertificate { endpoint: String, detail: String },
    /// The endpoint redirected to another origin; ferry did not follow, so the key stayed home.
    #[error("{endpoint} answered with a redirect ferry refuses: {detail}")]
    OffOrigin { endpoint: String, detail: String },
    /// The connection broke or timed out after the request was sent.
    #[error("{method} {path}: {detail}")]
    Transport {
        method: String,
        path: String,
        detail: String,
    },
    /// An import failed in a way that may have created the profile (and its name is now taken).
    #[error(
        "{method} {path}: the import of {name}@{version} may have been applied: {detail}; \
         check the target for that profile before importing again"
    )]
    ImportMayHaveLanded {
        method: String,
        path: String,
        name: String,
        version: String,
        detail: String,
    },
    /// `--project NAME` names no project of the tenant.
    #[error("no project named {name:?} in this tenant; its projects are: {}", if available.is_empty() { "(none)".to_owned() } else { available.join(", ") })]
    ProjectNotFound {
        name: String,
        available: Vec<String>,
    },
    /// Palette's answer was not what the API contract says.
    #[error("{method} {path}: unexpected answer from Palette: {detail}")]
    Decode {
        method: String,
        path: String,
        detail: String,
    },
    /// The caller asked for something the client will not send.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl ClientError {
    /// The Palette error code, when Palette answered with one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Palette's error body.
#[derive(Deserialize)]
pub(crate) struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// Builds the typed error of a non-2xx answer. `api_key` is scrubbed from Palette's message in case a
/// server echoes the request back.
pub(crate) fn api_error(
    method: &str,
    path: &str,
    status: u16,
    body: &str,
    api_key: &str,
) -> ClientError {
    let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
    let code = ErrorCode::classify(status, parsed.as_ref().and_then(|b| b.code.as_deref()));
    let message = match parsed.and_then(|b| b.message) {
        Some(message) if !message.is_empty() => message,
        _ => summarize(body),
    };
    ClientError::Api {
        method: method.to_owned(),
        path: path.to_owned(),
        status,
        code,
        message: message.replace(api_key, "<redacted>"),
    }
}

/// A short, printable excerpt of a body that is not Palette's error JSON.
fn summarize(body: &str) -> String {
    let text: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
    if text.trim().is_empty() {
        "(no message)".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_body_then_the_status() {
        assert_eq!(
            ErrorCode::classify(404, Some("ResourceNotFound")),
            ErrorCode::ResourceNotFound
        );
        assert_eq!(
            ErrorCode::classify(409, Some("ClusterProfileAlreadyExists")),
            ErrorCode::ClusterProfileAlreadyExists
        );
        assert_eq!(
            ErrorCode::classify(400, Some("PackVariablesUndefined")),
            ErrorCode::PackVariablesUndefined
        );
        assert_eq!(ErrorCode::classify(429, None), ErrorCode::TooManyRequests);
        assert_eq!(
            ErrorCode::classify(401, Some("AuthFailed")),
            ErrorCode::Unauthorized
        );
        assert_eq!(ErrorCode::classify(403, None), ErrorCode::Forbidden);
        assert_eq!(ErrorCode::classify(404, None), ErrorCode::ResourceNotFound);
        assert_eq!(
            ErrorCode::classify(400, Some("InvalidName")),
            ErrorCode::Other("InvalidName".into())
        );
        assert_eq!(
            ErrorCode::classify(502, None),
            ErrorCode::Other("HTTP 502".into())
        );
    }

    #[test]
    fn api_error_keeps_the_message_and_scrubs_the_key() {
        let body = r#"{"code":"ResourceNotFound","message":"no profile for key K3Y","ref":"x"}"#;
        let err = api_error("GET", "/v1/clusterprofiles/1", 404, body, "K3Y");
        let text = err.to_string();
        assert!(
            text.contains("ResourceNotFound") && text.contains("no profile for key <redacted>"),
            "{text}"
        );
        assert!(!text.contains("K3Y"));
        let err = api_error("GET", "/v1/x", 502, "<html>Bad gateway</html>", "K3Y");
        assert!(err.to_string().contains("<html>Bad gateway</html>"));
    }
}
