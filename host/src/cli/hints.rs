//! What to do about the usual failures of a call to Palette, said for where the user stands: at
//! `ferry login` the fix is a flag or a key on that command line; with a stored environment it is
//! logging in to it again.

use crate::palette::{ClientError, ErrorCode};

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
             `ferry login --env {env}`"
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
        (Some(hint), Origin::Login { endpoint }) => err.context(format!("{hint} ({endpoint})")),
        (Some(hint), Origin::Stored { .. }) => err.context(hint),
    }
}
