//! The Palette API client: one [`Client`] per environment, holding its endpoint, API key and scope.
//!
//! - Transport: reqwest on tokio with rustls; `insecure` accepts invalid certificates like Palette's own
//!   CLI; connect and request timeouts come from [`ClientOptions`].
//! - Retries ([`retry`]): 429, 5xx, timeouts and connection errors are retried with exponential backoff
//!   and jitter, honouring `Retry-After`. A request that may change state is retried only when the first
//!   attempt provably did not land (see [`client`] for the rules, imports included).
//! - Rate ([`limiter`]): one limiter per environment keeps every request, the plugins' included, to
//!   Palette's rate limits, and a 429's `Retry-After` holds back the environment's whole class.
//! - Lists follow `listmeta.continue` transparently ([`Client::list_all`]).
//! - Errors ([`ClientError`]) are typed from Palette's `code` and carry Palette's message, never the key.
//! - [`Client::send_raw`] is the door the host's `palette-api` plugin interface goes through: the client
//!   adds `ApiKey` and `ProjectUid` itself, so a plugin never sees a key.
//!
//! Decisions where the issue is silent:
//! - `send_raw` returns Palette's final answer whatever its status (a plugin sees a 404 or a 409 as
//!   Palette gave it); only transport failures, an import that may have landed, and requests the
//!   client refuses (a path off `/v1/`, a query in the path, `..`) are errors.
//! - `Retry-After` is a floor on the backoff, never a ceiling; a wait longer than
//!   [`RetryPolicy::max_retry_after`] (60 s) fails at once with `TooManyRequests` instead of hanging.
//! - `profiles()` reads `POST /v1/dashboard/clusterprofiles` (paged, carries the type and the scope)
//!   rather than `GET /v1/dashboard/clusterprofiles/metadata` (unpaged, name/uid/version only).
//! - The key is sent as a header marked sensitive, so hyper's own logs never print it; the client logs
//!   method, path, status and retries at debug level, never headers or bodies.

pub mod client;
pub mod error;
pub mod key;
pub mod limiter;
pub mod models;
pub mod retry;
pub mod transport;

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
