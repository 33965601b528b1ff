//! The Palette API client: one [`Client`] per environment, holding its endpoint, API key and scope.
//!
//! - Transport: reqwest on tokio with rustls; `insecure` accepts invalid certificates like Palette's own
//!   CLI; connect and request timeouts come from [`ClientOptions`].
//! - Retries ([`retry`]): 429, 5xx, timeouts and connection errors are retried with exponential backoff
//!   and jitter, honouring `Retry-After`. A request that may change state is retried only when the first
//!   attempt provably did not land (see [`client`] for the rules, imports included).
//! - Lists follow `listmeta.continue` transparently ([`Client::list_all`]).
//! - Errors ([`ClientError`]) are typed from Palette's `code` and carry Palette's message, never the key.
//! - [`Client::send_raw`] is the door the host's `palette-api` plugin interface goes through: the client
//!   adds `ApiKey` and `ProjectUid` itself, so a plugin never sees a key.

pub mod client;
pub mod error;
pub mod key;
pub mod models;
pub mod retry;

pub use client::{Client, ClientOptions, RawResponse, Scope};
pub use error::{ClientError, ErrorCode};
pub use key::ApiKey;
pub use models::{ProfileSummary, Project, UserInfo};
pub use retry::RetryPolicy;

/// Runs `future` to completion on a single-threaded runtime: how the synchronous CLI commands drive
/// the client (one request at a time, so one thread is enough).
pub fn block_on<F: std::future::Future>(future: F) -> std::io::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(future))
}
