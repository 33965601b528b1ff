//! What a plugin's store holds, and the host side of the contract's interfaces: `log`, `config`,
//! `palette-api` and `http`. Each call gets a fresh [`State`]; nothing leaks from one call to the
//! next.

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{config, http, log, palette_api};
use super::limits::Limits;

/// How much of a guest's stdout/stderr is kept for the log; the rest is dropped.
const GUEST_OUTPUT_CAP: usize = 64 * 1024;
/// The longest log message a plugin may write in one call.
const LOG_MESSAGE_CAP: usize = 8 * 1024;

/// Carries Palette API requests for plugins. The host adds credentials and scope for the named
/// environment; the plugin never sees them.
pub trait PaletteTransport: Send + Sync {
    fn send(
        &self,
        env: &str,
        request: &palette_api::Request,
    ) -> Result<palette_api::Response, String>;
}

/// What a plugin may do with Palette's API.
#[derive(Clone)]
pub struct PaletteGrant {
    pub transport: Arc<dyn PaletteTransport>,
    /// False: GET only. True: also the import paths.
    pub write: bool,
}

/// Outbound HTTP, to these origins only.
#[derive(Clone)]
pub struct HttpGrant {
    pub origins: Vec<String>,
}

/// What one call runs with.
#[derive(Clone)]
pub struct CallSetup {
    pub plugin: String,
    pub limits: Limits,
    pub config: Arc<Vec<(String, String)>>,
    pub palette: Option<PaletteGrant>,
    pub http: Option<HttpGrant>,
}

pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: Limiter,
    setup: CallSetup,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl State {
    pub fn new(setup: CallSetup) -> State {
        let stdout = MemoryOutputPipe::new(GUEST_OUTPUT_CAP);
        let stderr = MemoryOutputPipe::new(GUEST_OUTPUT_CAP);
        // No preopened folders, no environment, no arguments, no network: the builder starts
        // empty and only the guest's output streams are set.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limiter = Limiter::new(&setup.limits);
        State {
            wasi,
            table: ResourceTable::new(),
            limiter,
            setup,
            stdout,
            stderr,
        }
    }

    /// The last line the guest wrote to stderr (a Rust panic message lands there).
    pub fn last_stderr_line(&self) -> Option<String> {
        let bytes = self.stderr.contents();
        let text = String::from_utf8_lossy(&bytes);
        // Rust's panic output ends with a `note:` about backtraces; the message is the line before.
        text.lines()
            .rev()
            .find(|l| !l.trim().is_empty() && !l.starts_with("note: "))
            .map(|l| l.chars().take(500).collect())
    }

    /// Hands what the guest printed to ferry's log, prefixed with the plugin's id.
    pub fn flush_guest_output(&self) {
        for (stream, pipe) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let bytes = pipe.contents();
            for line in String::from_utf8_lossy(&bytes)
                .lines()
                .filter(|l| !l.trim().is_empty())
            {
                tracing::info!("[{}] {stream}: {line}", self.setup.plugin);
            }
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The store's memory cap, remembering whether it refused a growth, so a trap that follows can
/// be reported as running out of memory rather than as a crash.
pub struct Limiter {
    inner: StoreLimits,
    pub(super) memory_refused: bool,
}

impl Limiter {
    fn new(limits: &Limits) -> Limiter {
        let inner = StoreLimitsBuilder::new()
            .memory_size(limits.memory_bytes())
            .table_elements(1_000_000)
            .instances(64)
            .tables(64)
            .memories(16)
            .build();
        Limiter {
            inner,
            memory_refused: false,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.inner.memory_growing(current, desired, maximum)?;
        self.memory_refused |= !allowed;
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

impl log::Host for State {
    fn log(&mut self, level: log::Level, message: String) {
        let mut message = message;
        if message.len() > LOG_MESSAGE_CAP {
            let mut cut = LOG_MESSAGE_CAP;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" [truncated]");
        }
        let plugin = &self.setup.plugin;
        match level {
            log::Level::Trace => tracing::trace!("[{plugin}] {message}"),
            log::Level::Debug => tracing::debug!("[{plugin}] {message}"),
            log::Level::Info => tracing::info!("[{plugin}] {message}"),
            log::Level::Warn => tracing::warn!("[{plugin}] {message}"),
            log::Level::Error => tracing::error!("[{plugin}] {message}"),
        }
    }
}

impl config::Host for State {
    fn get(&mut self, key: String) -> Option<String> {
        self.setup
            .config
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }

    fn all(&mut self) -> Vec<(String, String)> {
        self.setup.config.as_ref().clone()
    }
}

impl palette_api::Host for State {
    fn send(
        &mut self,
        env: String,
        req: palette_api::Request,
    ) -> Result<palette_api::Response, String> {
        // Linked only when granted; checked again per request for the write paths.
        let grant = self
            .setup
            .palette
            .as_ref()
            // Linked means granted; no grant here means this run has no Palette connection.
            .ok_or("this ferry run has no Palette connection (`ferry plugin run` works offline)")?;
        check_palette_request(&req, grant.write)?;
        grant.transport.send(&env, &req)
    }
}

/// `palette-api:read` allows GET; `palette-api:write` adds POST to the import paths.
pub fn check_palette_request(req: &palette_api::Request, write: bool) -> Result<(), String> {
    crate::palette::client::check_api_path(&req.path)?;
    let method = req.method.to_ascii_uppercase();
    if method == "GET" {
        return Ok(());
    }
    const IMPORT_PATHS: [&str; 3] = [
        "/v1/clusterprofiles/import",
        "/v1/clusterprofiles/import/file",
        "/v1/clusterprofiles/import/validate",
    ];
    if write && method == "POST" && IMPORT_PATHS.contains(&req.path.as_str()) {
        return Ok(());
    }
    let needs = if write {
        "a path ferry does not allow plugins to write"
    } else {
        "palette-api:write"
    };
    Err(format!("{method} {} is denied: it needs {needs}", req.path))
}

impl http::Host for State {
    fn send(&mut self, req: http::Request) -> Result<http::Response, String> {
        let grant = self
            .setup
            .http
            .as_ref()
            .ok_or("http is not granted to this plugin")?;
        let origin =
            origin_of(&req.url).ok_or_else(|| format!("'{}' is not an http(s) URL", req.url))?;
        if !grant.origins.contains(&origin) {
            return Err(format!(
                "{origin} is not granted (granted: {})",
                grant.origins.join(", ")
            ));
        }
        super::outbound::send(req)
    }
}

/// `scheme://host[:port]` of a URL, lowercased.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> palette_api::Request {
        palette_api::Request {
            method: method.into(),
            path: path.into(),
            query: vec![],
            body: None,
        }
    }

    #[test]
    fn read_allows_get_only_and_write_adds_the_import_paths() {
        assert!(check_palette_request(&req("GET", "/v1/clusterprofiles/x"), false).is_ok());
        let denied =
            check_palette_request(&req("POST", "/v1/clusterprofiles/import"), false).unwrap_err();
        assert!(denied.contains("needs palette-api:write"), "{denied}");
        assert!(check_palette_request(&req("POST", "/v1/clusterprofiles/import"), true).is_ok());
        assert!(check_palette_request(&req("DELETE", "/v1/clusterprofiles/x"), true).is_err());
        assert!(check_palette_request(&req("GET", "/v2/../etc"), true).is_err());
        // The client's own path rule: no query in the path, no `.`/`..`/empty segments.
        for bad in ["/v1/x?admin=true", "/v1/a/../../etc", "/v1//x", "/v1/a b"] {
            let err = check_palette_request(&req("GET", bad), true).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://Vault.example:8200/v1/x?y").as_deref(),
            Some("https://vault.example:8200")
        );
        assert_eq!(origin_of("ftp://x"), None);
        assert_eq!(origin_of("https://user@evil.example"), None);
    }
}
