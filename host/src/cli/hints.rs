//! What to do about the usual failures of a call to Palette, said for where the user stands: at
//! `ferry login` the fix is a flag or a key on that command line; with a stored environment it is
//! logging in to it again.
//!
//! A hint rides in the error's chain as a [`Hint`]; [`super::report`] leaves it out of the
//! `error:`/`caused by:` lines and prints it last, as `hint: ...`.

use crate::palette::{ClientError, ErrorCode};

/// An error with what the user can do about it. It reads as its hint and leads to the error; the
/// report skips it in the chain and prints the hint last.
#[derive(Debug)]
pub struct Hint {
    text: String,
    error: anyhow::Error,
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Hint {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.error.as_ref())
    }
}

/// `err`, carrying `hint` for the report; what failed stays the error's message.
pub fn with_hint(err: impl Into<anyhow::Error>, hint: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Hint {
        text: hint.into(),
        error: err.into(),
    })
}

/// Whether a link of an error chain is a hint.
pub fn as_hint<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a Hint> {
    cause.downcast_ref::<Hint>()
}

/// Where the failed call came from.
pub enum Origin<'a> {
    /// `ferry login`, trying `endpoint` with the key the user just gave.
    Login { endpoint: &'a str },
    /// A command working with the stored environment `env`.
    Stored { env: &'a str },
}

/// `err`, with what to do about it as context when there is something to say.
pub fn explain(err: ClientError, origin: Origin) -> anyhow::Error {
    let hint = match (&err, err.code(), &origin) {
        (_, Some(ErrorCode::Unauthorized), Origin::Login { .. }) => Some(
            "the endpoint rejected the API key: check it, or create a new one in Palette".into(),
        ),
        (_, Some(ErrorCode::Unauthorized), Origin::Stored { env }) => Some(format!(
            "Palette rejected the API key stored for {env:?}: give it a new one with \
             `ferry login --env {env}` (if a credential provider gives it, fix the key where the provider reads it)"
        )),
        (_, Some(ErrorCode::Forbidden), _) => {
            Some("the API key may not read this: check its user's roles".into())
        }
        (ClientError::Unreachable { .. }, _, _) => {
            Some("check the endpoint URL and the network".into())
        }
        (ClientError::UntrustedCertificate { .. }, _, Origin::Login { .. }) => Some(
            "if this is your Palette and its certificate is self-signed or from a private CA, \
             add --insecure (ferry then does not verify the certificate of this environment)"
                .into(),
        ),
        (ClientError::UntrustedCertificate { .. }, _, Origin::Stored { env }) => Some(format!(
            "if this is your Palette and its certificate is self-signed or from a private CA, \
             log in again with `ferry login --env {env} --insecure`"
        )),
        (ClientError::Transport { .. }, _, _) => {
            Some("the endpoint did not answer in time or dropped the connection".into())
        }
        (ClientError::Api { status: 404, .. }, _, Origin::Login { .. }) => {
            Some("is this a Palette API endpoint? (e.g. https://api.spectrocloud.com)".into())
        }
        _ => None,
    };
    let err = anyhow::Error::new(err);
    match (hint, origin) {
        (None, _) => err,
        (Some(hint), Origin::Login { endpoint }) => with_hint(err, format!("{hint} ({endpoint})")),
        (Some(hint), Origin::Stored { .. }) => with_hint(err, hint),
    }
}
