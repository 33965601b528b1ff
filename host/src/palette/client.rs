//! The HTTP client of one Palette environment.
//!
//! Retry rules (a request is retried at most [`RetryPolicy::max_attempts`] times in all):
//! - a connection that could not be made (nothing was sent) and a 429 (rejected before processing)
//!   are retried whatever the request;
//! - a 5xx, a timeout or a connection that broke after sending are retried only for requests that
//!   change nothing: GET/HEAD/PUT/DELETE, and the POSTs that are queries (`/v1/dashboard/...`,
//!   `.../validate...`, `/v1/packs/search`, `/v1/auth/authenticate`);
//! - an import (`POST /v1/clusterprofiles/import`) that failed that way is retried only after
//!   `GET /v1/clusterprofiles/validate/name` still answers 204 for its name and version, proving the
//!   first attempt did not land; when the name is taken the caller gets
//!   [`ClientError::ImportMayHaveLanded`] instead of a duplicate. (`/import/file` takes multipart,
//!   which this client does not build, so it is treated like any other state-changing POST.)
//! - any other state-changing request (clone, create, macros POST, PATCH) is not retried then.
//!
//! A final HTTP answer, whatever its status, is what [`Client::send_raw`] returns: a plugin sees what
//! Palette said. The typed helpers turn a non-2xx answer into [`ClientError::Api`].

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rand::SeedableRng;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{ClientError, ErrorCode, api_error};
use super::key::ApiKey;
use super::limiter::{ClassCount, Limiter, RateLimits};
use super::models::{ProfileItem, ProfileSummary, Project, ProjectItem, UserInfo};
use super::retry::{RetryPolicy, parse_retry_after};

/// Where requests run: at tenant scope, or in one project (the `ProjectUid` header).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Tenant,
    Project(String),
}

/// How the client connects and retries.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Accept invalid TLS certificates (self-hosted Palette with a private CA), like Palette's CLI.
    pub insecure: bool,
    /// Allow a plain `http://` endpoint on a host other than loopback (the key then crosses the
    /// network in clear).
    pub insecure_http: bool,
    pub connect_timeout: Duration,
    /// The whole of one attempt, answer body included.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// The environment's rate limits, kept on ferry's side ([`super::limiter`]); `None`: none.
    pub rate_limits: Option<RateLimits>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            insecure: false,
            insecure_http: false,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            rate_limits: Some(RateLimits::palette()),
        }
    }
}

/// A final HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawResponse {
    pub status: u16,
    pub body: String,
}

impl RawResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A client for one environment. Cloning is cheap (the connection pool is shared).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    key: ApiKey,
    scope: Scope,
    retry: RetryPolicy,
    /// One per environment: clones (other scopes included) share it.
    limiter: Arc<Limiter>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint)
            .field("scope", &self.scope)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// One request, kept so it can be sent again.
struct Request {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<String>,
}

/// Whether a request may be sent twice.
enum Replay {
    /// Sending it again changes nothing.
    Safe,
    /// An import: safe to send again once the name and version are shown to be still free.
    Import { name: String, version: String },
    /// May change state: sent again only when the first attempt provably never reached Palette.
    Unsafe,
}

/// How one attempt ended, when it got no HTTP answer.
enum AttemptError {
    /// Nothing was sent: the connection could not be made.
    NotSent(String),
    /// Nothing was sent: the endpoint's TLS certificate is not trusted. Trying again would not
    /// change that.
    Untrusted(String),
    /// The request went out; the connection broke or timed out before a full answer.
    AfterSend(String),
    /// The endpoint redirected to another origin, which is not followed: the key would go along.
    OffOrigin(String),
}

impl Client {
    /// A client for `endpoint` (`https://api.spectrocloud.com`, with or without a trailing `/v1`).
    pub fn new(
        endpoint: &str,
        key: ApiKey,
        scope: Scope,
        options: &ClientOptions,
    ) -> Result<Self, ClientError> {
        let endpoint = normalize_endpoint(endpoint, options.insecure_http)?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("ferry/", env!("CARGO_PKG_VERSION")))
            .redirect(same_origin_redirects(&endpoint))
            .danger_accept_invalid_certs(options.insecure)
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .build()
            .map_err(|e| {
                ClientError::InvalidRequest(format!("cannot set up the HTTP client: {e}"))
            })?;
        Ok(Self {
            http,
            endpoint,
            key,
            scope,
            retry: options.retry.clone(),
            limiter: Arc::new(Limiter::new(options.rate_limits)),
        })
    }

    /// What this environment's rate-limit classes saw so far: (general, cluster profiles).
    pub fn requests_sent(&self) -> (ClassCount, ClassCount) {
        self.limiter.counts()
    }

    /// The same client under other rate limits (a limiter of its own, shared by its clones).
    pub fn with_rate_limits(&self, limits: Option<RateLimits>) -> Self {
        Self {
            limiter: Arc::new(Limiter::new(limits)),
            ..self.clone()
        }
    }

    /// The endpoint, normalized (no trailing slash, no `/v1`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The same environment at another scope (tenant macros, for one, are read without a project).
    pub fn with_scope(&self, scope: Scope) -> Self {
        Self {
            scope,
            ..self.clone()
        }
    }

    /// Sends one request with the environment's key and scope, retrying as the module doc says, and
    /// returns Palette's final answer whatever its status. `path` is an API path (`/v1/...`) with no
    /// query string: the query goes in `query`. A body is sent as JSON.
    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<String>,
    ) -> Result<RawResponse, ClientError> {
        let method = parse_method(method)?;
        check_path(path)?;
        self.send(&Request {
            method,
            path: path.to_owned(),
            query: query.to_vec(),
            body,
        })
        .await
    }

    /// Like [`Client::send_raw`], but a non-2xx answer is a typed error.
    pub async fn send_checked(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<String>,
    ) -> Result<RawResponse, ClientError> {
        let answer = self.send_raw(method, path, query, body).await?;
        if answer.is_success() {
            return Ok(answer);
        }
        Err(self.error_of(method, path, &answer))
    }

    /// The typed error for a non-2xx answer to `method path` (the key scrubbed from its message).
    pub fn error_of(&self, method: &str, path: &str, answer: &RawResponse) -> ClientError {
        api_error(method, path, answer.status, &answer.body, self.key.expose())
    }

    /// `GET` a JSON document; a non-2xx answer is a typed error.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<T, ClientError> {
        let request = Request {
            method: Method::GET,
            path: path.to_owned(),
            query: query.to_vec(),
            body: None,
        };
        let response = self.send(&request).await?;
        self.decode(&request, response)
    }

    /// `POST` a JSON body and read a JSON answer; a non-2xx answer is a typed error. The retry rules
    /// of the module doc apply (an import is retried only when it provably did not land).
    pub async fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(String, String)],
        body: String,
    ) -> Result<T, ClientError> {
        check_path(path)?;
        let request = Request {
            method: Method::POST,
            path: path.to_owned(),
            query: query.to_vec(),
            body: Some(body),
        };
        let response = self.send(&request).await?;
        self.decode(&request, response)
    }

    /// Every item of a paged list, following `listmeta.continue` until it is empty.
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<String>,
    ) -> Result<Vec<T>, ClientError> {
        #[derive(Deserialize)]
        struct Page<T> {
            #[serde(default = "Vec::new")]
            items: Vec<T>,
            listmeta: Option<ListMeta>,
        }
        #[derive(Deserialize)]
        struct ListMeta {
            #[serde(rename = "continue")]
            next: Option<String>,
        }

        let method = parse_method(method)?;
        check_path(path)?;
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut next: Option<String> = None;
        loop {
            let mut page_query = query.to_vec();
            if let Some(token) = &next {
                page_query.push(("continue".to_owned(), token.clone()));
            }
            let request = Request {
                method: method.clone(),
                path: path.to_owned(),
                query: page_query,
                body: body.clone(),
            };
            let response = self.send(&request).await?;
            let page: Page<T> = self.decode(&request, response)?;
            items.extend(page.items);
            match page.listmeta.and_then(|m| m.next).filter(|t| !t.is_empty()) {
                None => return Ok(items),
                // A server that hands back a token twice would page forever.
                Some(token) if !seen.insert(token.clone()) => {
                    return Err(decode_error(
                        &request,
                        format!("pagination token {token:?} came back twice"),
                    ));
                }
                Some(token) => next = Some(token),
            }
        }
    }

    /// `GET /v1/users/info`: the cheapest call that proves the key works.
    pub async fn user_info(&self) -> Result<UserInfo, ClientError> {
        self.get_json("/v1/users/info", &[]).await
    }

    /// Every project of the tenant (asked at tenant scope, whatever this client's scope).
    pub async fn projects(&self) -> Result<Vec<Project>, ClientError> {
        let items: Vec<ProjectItem> = self
            .with_scope(Scope::Tenant)
            .list_all("GET", "/v1/dashboard/projects/metadata", &[], None)
            .await?;
        Ok(items
            .into_iter()
            .map(|p| Project {
                name: p.metadata.name,
                uid: p.metadata.uid,
            })
            .collect())
    }

    /// The project called `name` (exact match; Palette's names are case-sensitive).
    pub async fn resolve_project(&self, name: &str) -> Result<Project, ClientError> {
        let projects = self.projects().await?;
        if let Some(project) = projects.iter().find(|p| p.name == name) {
            return Ok(project.clone());
        }
        Err(ClientError::ProjectNotFound {
            name: name.to_owned(),
            available: projects.into_iter().map(|p| p.name).collect(),
        })
    }

    /// The cluster profiles visible in this client's scope (every page).
    pub async fn profiles(&self) -> Result<Vec<ProfileSummary>, ClientError> {
        let items: Vec<ProfileItem> = self
            .list_all(
                "POST",
                "/v1/dashboard/clusterprofiles",
                &[],
                Some("{}".to_owned()),
            )
            .await?;
        Ok(items.into_iter().map(ProfileSummary::from).collect())
    }

    fn decode<T: DeserializeOwned>(
        &self,
        request: &Request,
        response: RawResponse,
    ) -> Result<T, ClientError> {
        if !response.is_success() {
            return Err(api_error(
                request.method.as_str(),
                &request.path,
                response.status,
                &response.body,
                self.key.expose(),
            ));
        }
        serde_json::from_str(&response.body).map_err(|e| decode_error(request, e.to_string()))
    }

    async fn send(&self, request: &Request) -> Result<RawResponse, ClientError> {
        let start = std::time::Instant::now();
        let out = self.send_retrying(request).await;
        crate::timing::charge(crate::timing::Account::Palette, start.elapsed());
        out
    }

    async fn send_retrying(&self, request: &Request) -> Result<RawResponse, ClientError> {
        let replay = replay_of(request);
        let mut rng = rand::rngs::StdRng::from_entropy();
        // Set once an import attempt failed in a way that might have landed (then was shown not to).
        let mut import_was_ambiguous = false;
        let mut attempt = 1;
        loop {
            let last = attempt >= self.retry.max_attempts;
            let (reason, retry_after) = match self.attempt(request).await {
                Ok((response, retry_after)) => {
                    let status = response.status;
                    if import_was_ambiguous && self.already_exists(&response) {
                        return Err(self.import_landed(
                            request,
                            &replay,
                            format!("an earlier attempt failed and a retry answered {status}"),
                        ));
                    }
                    let retryable = status == 429 || (500..600).contains(&status);
                    if !retryable || last {
                        return Ok(response);
                    }
                    if status != 429 {
                        match &replay {
                            Replay::Safe => {}
                            Replay::Unsafe => return Ok(response),
                            Replay::Import { .. } => {
                                self.prove_import_absent(
                                    request,
                                    &replay,
                                    &format!("Palette answered {status}"),
                                )
                                .await?;
                                import_was_ambiguous = true;
                            }
                        }
                    }
                    (format!("HTTP {status}"), retry_after)
                }
                Err(AttemptError::OffOrigin(detail)) => {
                    return Err(ClientError::OffOrigin {
                        endpoint: self.endpoint.clone(),
                        detail,
                    });
                }
                Err(AttemptError::Untrusted(detail)) => {
                    return Err(ClientError::UntrustedCertificate {
                        endpoint: self.endpoint.clone(),
                        detail,
                    });
                }
                Err(AttemptError::NotSent(detail)) => {
                    if last {
                        return Err(ClientError::Unreachable {
                            endpoint: self.endpoint.clone(),
                            detail,
                        });
                    }
                    (detail, None)
                }
                Err(AttemptError::AfterSend(detail)) => {
                    let fail = || ClientError::Transport {
                        method: request.method.to_string(),
                        path: request.path.clone(),
                        detail: detail.clone(),
                    };
                    match &replay {
                        Replay::Safe if !last => {}
                        Replay::Safe | Replay::Unsafe => return Err(fail()),
                        Replay::Import { .. } => {
                            self.prove_import_absent(request, &replay, &detail).await?;
                            if last {
                                return Err(fail());
                            }
                            import_was_ambiguous = true;
                        }
                    }
                    (detail, None)
                }
            };
            let Some(delay) = self.retry.delay(attempt, retry_after, &mut rng) else {
                // The server asked for a longer pause than ferry waits out.
                return Err(ClientError::Api {
                    method: request.method.to_string(),
                    path: request.path.clone(),
                    status: 429,
                    code: ErrorCode::TooManyRequests,
                    message: format!(
                        "Palette asked to wait {}s before retrying, longer than ferry waits; try again later",
                        retry_after.unwrap_or_default().as_secs()
                    ),
                });
            };
            tracing::debug!(method = %request.method, path = %request.path, attempt, ?delay, %reason, "retrying");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// One attempt: the answer and its `Retry-After`, or how it failed.
    async fn attempt(
        &self,
        request: &Request,
    ) -> Result<(RawResponse, Option<Duration>), AttemptError> {
        let url = format!("{}{}", self.endpoint, request.path);
        let mut key = HeaderValue::from_str(self.key.expose())
            .map_err(|_| AttemptError::NotSent("the API key cannot be sent in a header".into()))?;
        key.set_sensitive(true);
        let mut builder = self
            .http
            .request(request.method.clone(), &url)
            .header("ApiKey", key);
        if let Scope::Project(uid) = &self.scope {
            builder = builder.header("ProjectUid", uid);
        }
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        self.limiter.acquire(&request.path).await;
        let response = builder.send().await.map_err(|e| classify_send_error(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        if status == 429 {
            self.limiter.too_many(&request.path, retry_after);
        }
        let body = response
            .text()
            .await
            .map_err(|e| AttemptError::AfterSend(describe(&e)))?;
        tracing::debug!(method = %request.method, path = %request.path, status, "palette answered");
        Ok((RawResponse { status, body }, retry_after))
    }

    /// Fails with [`ClientError::ImportMayHaveLanded`] unless Palette says the import's name and version
    /// are still free.
    async fn prove_import_absent(
        &self,
        request: &Request,
        replay: &Replay,
        failure: &str,
    ) -> Result<(), ClientError> {
        let Replay::Import { name, version } = replay else {
            return Ok(());
        };
        let check = Request {
            method: Method::GET,
            path: "/v1/clusterprofiles/validate/name".to_owned(),
            query: vec![
                ("name".to_owned(), name.clone()),
                ("version".to_owned(), version.clone()),
            ],
            body: None,
        };
        // A safe GET: boxed because `send` is the caller.
        let answer = Box::pin(self.send(&check)).await;
        match answer {
            Ok(response) if response.status == 204 => Ok(()),
            Ok(response) => Err(self.import_landed(
                request,
                replay,
                format!(
                    "the attempt failed ({failure}) and the name check then answered {}",
                    response.status
                ),
            )),
            Err(e) => Err(self.import_landed(
                request,
                replay,
                format!("the attempt failed ({failure}) and the name check failed too ({e})"),
            )),
        }
    }

    fn already_exists(&self, response: &RawResponse) -> bool {
        let code = serde_json::from_str::<super::error::ErrorBody>(&response.body)
            .ok()
            .and_then(|b| b.code);
        response.status == 409 || code.as_deref() == Some("ClusterProfileAlreadyExists")
    }

    fn import_landed(&self, request: &Request, replay: &Replay, detail: String) -> ClientError {
        let (name, version) = match replay {
            Replay::Import { name, version } => (name.clone(), version.clone()),
            _ => (String::new(), String::new()),
        };
        ClientError::ImportMayHaveLanded {
            method: request.method.to_string(),
            path: request.path.clone(),
            name,
            version,
            detail,
        }
    }
}

fn replay_of(request: &Request) -> Replay {
    let path = request.path.as_str();
    match request.method {
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS => Replay::Safe,
        Method::POST if path == "/v1/clusterprofiles/import" => {
            import_identity(request.body.as_deref())
                .map(|(name, version)| Replay::Import { name, version })
                .unwrap_or(Replay::Unsafe)
        }
        Method::POST
            if path.starts_with("/v1/dashboard/")
                || path.ends_with("/validate")
                || path.contains("/validate/")
                || path == "/v1/packs/search"
                || path == "/v1/auth/authenticate" =>
        {
            Replay::Safe
        }
        _ => Replay::Unsafe,
    }
}

/// The name and version of an import body (`metadata.name`, `spec.version`).
fn import_identity(body: Option<&str>) -> Option<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(body?).ok()?;
    let name = doc.pointer("/metadata/name")?.as_str()?.to_owned();
    let version = doc.pointer("/spec/version")?.as_str()?.to_owned();
    Some((name, version))
}

/// Redirects within the endpoint's origin are followed (with the key); one to any other origin
/// ends the request, since the `ApiKey` header would follow it there.
fn same_origin_redirects(endpoint: &str) -> reqwest::redirect::Policy {
    let home = reqwest::Url::parse(endpoint).map(|u| u.origin());
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            attempt.error("more than 10 redirects")
        } else if home.as_ref().ok() == Some(&attempt.url().origin()) {
            attempt.follow()
        } else {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!(
                "it redirected to {to}, another origin; ferry sends the API key only to the environment's endpoint, so it did not follow"
            ))
        }
    })
}

fn classify_send_error(e: &reqwest::Error) -> AttemptError {
    if e.is_redirect() {
        AttemptError::OffOrigin(describe(e))
    } else if !e.is_connect() {
        AttemptError::AfterSend(describe(e))
    } else if refused_certificate(e) {
        AttemptError::Untrusted(describe(e))
    } else {
        AttemptError::NotSent(describe(e))
    }
}

/// Whether TLS refused the server's certificate (self-signed, a private CA, expired, another name).
fn refused_certificate(e: &reqwest::Error) -> bool {
    let mut next = std::error::Error::source(e);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        // An `io::Error`'s `source()` skips the error it wraps (rustls's sits two of them deep).
        next = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    false
}

/// A reqwest error with its causes, on one line (the URL is ours and holds no secret).
pub(crate) fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        e.to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn decode_error(request: &Request, detail: String) -> ClientError {
    ClientError::Decode {
        method: request.method.to_string(),
        path: request.path.clone(),
        detail,
    }
}

fn parse_method(method: &str) -> Result<Method, ClientError> {
    match method.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "HEAD" => Ok(Method::HEAD),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "PATCH" => Ok(Method::PATCH),
        "DELETE" => Ok(Method::DELETE),
        other => Err(ClientError::InvalidRequest(format!(
            "method {other:?} is not one Palette's API uses"
        ))),
    }
}

fn check_path(path: &str) -> Result<(), ClientError> {
    check_api_path(path).map_err(ClientError::InvalidRequest)
}

/// An API path must stay an API path on the environment's endpoint: no host, no query, no `..`,
/// judged on the path as the URL parser will send it (`%2e%2e` is `..` to it), so that what is
/// checked is what goes out. The client checks every request with it, and the plugin runtime
/// every request a plugin makes.
pub fn check_api_path(path: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("path {path:?} {why}"));
    if !path.starts_with("/v1/") {
        return bad("must start with /v1/");
    }
    if path.contains(['?', '#']) {
        return bad("must not carry a query string or fragment: pass the query separately");
    }
    if path
        .chars()
        .any(|c| c.is_control() || c == ' ' || c == '\\')
    {
        return bad("contains spaces, backslashes or control characters");
    }
    // Encoded separators: a server or proxy that decodes them would see other segments.
    let lower = path.to_ascii_lowercase();
    if lower.contains("%2f") || lower.contains("%5c") || lower.contains("%2e") {
        return bad("must not carry encoded '/', '\\' or '.'");
    }
    let parsed = reqwest::Url::parse(&format!("http://palette.invalid{path}"))
        .map_err(|e| format!("path {path:?} is not a URL path: {e}"))?;
    if path.contains("//") {
        return bad("must not contain empty segments");
    }
    if parsed.path() != path {
        return Err(format!(
            "path {path:?} is {:?} once parsed as a URL: it must not contain `.` or `..` segments or characters that need escaping",
            parsed.path()
        ));
    }
    Ok(())
}

/// `https://host[:port][/prefix]`, without a trailing `/` or `/v1`. Plain `http://` only on
/// loopback, unless `insecure_http`.
fn normalize_endpoint(endpoint: &str, insecure_http: bool) -> Result<String, ClientError> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let trimmed = trimmed.strip_suffix("/v1").unwrap_or(trimmed);
    let url = reqwest::Url::parse(trimmed).map_err(|e| {
        ClientError::InvalidRequest(format!(
            "endpoint {endpoint:?} is not a URL ({e}); give one like https://api.spectrocloud.com"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ClientError::InvalidRequest(format!(
            "endpoint {endpoint:?} must be an http:// or https:// URL, like https://api.spectrocloud.com"
        )));
    }
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if url.scheme() == "http" && !loopback && !insecure_http {
        return Err(ClientError::InvalidRequest(format!(
            "endpoint {endpoint:?} is plain http:// on another machine: the API key would cross the network in clear; \
             use https://, or pass --insecure-http if you accept that"
        )));
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(ClientError::InvalidRequest(format!(
            "endpoint {endpoint:?} must not carry credentials, a query or a fragment"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str, body: Option<&str>) -> Request {
        Request {
            method,
            path: path.to_owned(),
            query: Vec::new(),
            body: body.map(str::to_owned),
        }
    }

    #[test]
    fn endpoints_are_normalized_and_checked() {
        assert_eq!(
            normalize_endpoint("https://api.spectrocloud.com/", false).unwrap(),
            "https://api.spectrocloud.com"
        );
        assert_eq!(
            normalize_endpoint("http://127.0.0.1:8080/v1/", false).unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_endpoint("api.spectrocloud.com", false).is_err());
        assert!(normalize_endpoint("ftp://x", false).is_err());
        assert!(normalize_endpoint("https://user:pw@x", false).is_err());
        assert!(normalize_endpoint("http://palette.example", false).is_err());
        assert!(normalize_endpoint("http://palette.example", true).is_ok());
        assert!(normalize_endpoint("http://localhost:8080", false).is_ok());
    }

    #[test]
    fn paths_stay_on_the_api() {
        assert!(check_path("/v1/clusterprofiles/abc/export").is_ok());
        for bad in [
            "v1/x",
            "/v2/x",
            "/v1/../admin",
            "/v1//x",
            "/v1/x?y=1",
            "/v1/x y",
            "//evil.com/v1/x",
            "/v1/%2e%2e/%2e%2e/admin/secret",
            "/v1/%2E%2e/admin",
            "/v1/x/%2fadmin",
            "/v1/./x",
        ] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_provably_safe_requests_replay() {
        assert!(matches!(
            replay_of(&request(Method::GET, "/v1/users/info", None)),
            Replay::Safe
        ));
        assert!(matches!(
            replay_of(&request(
                Method::POST,
                "/v1/dashboard/clusterprofiles",
                Some("{}")
            )),
            Replay::Safe
        ));
        assert!(matches!(
            replay_of(&request(
                Method::POST,
                "/v1/clusterprofiles/import/validate",
                Some("{}")
            )),
            Replay::Safe
        ));
        assert!(matches!(
            replay_of(&request(
                Method::POST,
                "/v1/clusterprofiles/validate/packs",
                Some("{}")
            )),
            Replay::Safe
        ));
        let import = r#"{"metadata":{"name":"web"},"spec":{"version":"1.2.0"}}"#;
        match replay_of(&request(
            Method::POST,
            "/v1/clusterprofiles/import",
            Some(import),
        )) {
            Replay::Import { name, version } => {
                assert_eq!((name.as_str(), version.as_str()), ("web", "1.2.0"))
            }
            _ => panic!("an import with a name and version is checked before a retry"),
        }
        assert!(matches!(
            replay_of(&request(
                Method::POST,
                "/v1/clusterprofiles/import",
                Some("not json")
            )),
            Replay::Unsafe
        ));
        assert!(matches!(
            replay_of(&request(
                Method::POST,
                "/v1/clusterprofiles/import/file",
                None
            )),
            Replay::Unsafe
        ));
        assert!(matches!(
            replay_of(&request(Method::POST, "/v1/clusterprofiles/x/clone", None)),
            Replay::Unsafe
        ));
        assert!(matches!(
            replay_of(&request(
                Method::PATCH,
                "/v1/clusterprofiles/x/publish",
                None
            )),
            Replay::Unsafe
        ));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let client = Client::new(
            "http://127.0.0.1:9",
            ApiKey::new("SECRETKEY").unwrap(),
            Scope::Tenant,
            &ClientOptions::default(),
        )
        .unwrap();
        let text = format!("{client:?}");
        assert!(!text.contains("SECRETKEY"), "{text}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_unreachable_after_retries() {
        // A port that was just free: nothing listens there.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let options = ClientOptions {
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(1),
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        };
        let client = Client::new(
            &format!("http://127.0.0.1:{port}"),
            ApiKey::new("K").unwrap(),
            Scope::Tenant,
            &options,
        )
        .unwrap();
        let err = client.user_info().await.unwrap_err();
        assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
        assert!(
            err.to_string().contains(&format!("127.0.0.1:{port}")),
            "{err}"
        );
    }
}
