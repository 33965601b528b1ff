//! What a plugin's store holds, and the host side of the contract's interfaces: `log`, `config`,
//! `palette-api` and `http`. Each call gets a fresh [`State`]; nothing leaks from one call to the
//! next.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::{config, http, log, palette_api};
use super::limits::Limits;
use super::palette_access::{self, CallScope};
use crate::timing;

pub use ferry_formats::origin::origin_of;

/// How much of a guest's stdout/stderr is kept for the log; the rest is dropped.
const GUEST_OUTPUT_CAP: usize = 64 * 1024;
/// The longest log message a plugin may write in one call.
const LOG_MESSAGE_CAP: usize = 8 * 1024;

/// Carries Palette API requests for plugins. The host adds credentials and scope for the named
/// environment; the plugin never sees them. A request gets `time_left` in all, retries included:
/// what remains of the calling plugin's deadline.
pub trait PaletteTransport: Send + Sync {
    fn send(
        &self,
        env: &str,
        request: &palette_api::Request,
        time_left: Duration,
    ) -> Result<palette_api::Response, String>;
}

/// What a plugin may do with Palette's API.
#[derive(Clone)]
pub struct PaletteGrant {
    pub transport: Arc<dyn PaletteTransport>,
    /// False: `palette-api:read`. True: also the import paths (see [`palette_access`]).
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
    pub refused: Refused,
}

/// The guarded interfaces a plugin is not granted, each with the error every call of it gets
/// (what is missing and how to grant it). They are linked all the same, so that a component
/// that imports them without calling them loads.
#[derive(Clone, Default)]
pub struct Refused {
    pub palette: Option<Refusal>,
    pub http: Option<Refusal>,
}

#[derive(Clone, Debug)]
pub struct Refusal {
    /// As the manifest and policy spell it: `palette-api:read`, `http`.
    pub capability: String,
    pub message: String,
}

/// What one call is, beyond its plugin's setup: the step, whether it is a dry run, and when its
/// time is up. Host calls get only the time that is left.
#[derive(Clone, Copy, Debug)]
pub struct CallInfo {
    pub scope: CallScope,
    pub deadline: Instant,
}

pub struct State {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) limiter: Limiter,
    setup: CallSetup,
    call: CallInfo,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
    /// The first call of an interface the plugin is not granted, if it made one.
    refusal: Option<Refusal>,
}

impl State {
    pub fn new(setup: CallSetup, call: CallInfo) -> State {
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
            call,
            stdout,
            stderr,
            refusal: None,
        }
    }

    /// The first refused call of an ungranted interface this call made, if any.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    /// Answers a call of an ungranted interface: the refusal, remembered for the failure report.
    fn refuse(&mut self, refusal: Refusal) -> String {
        let message = refusal.message.clone();
        tracing::warn!("[{}] {message}", self.setup.plugin);
        self.refusal.get_or_insert(refusal);
        message
    }

    /// The guest's own last error line on stderr (a Rust panic's message, a Python exception, a
    /// JavaScript throw), without its language runtime's boilerplate.
    pub fn last_error_line(&self) -> Option<String> {
        super::guest_error::last_error_line(&String::from_utf8_lossy(&self.stderr.contents()))
    }

    /// What is left of the call's time, or why a host call may not start.
    fn time_left(&self, what: &str) -> Result<Duration, String> {
        let left = self.call.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!(
                "{what} not sent: the plugin's time limit ({} ms) is used up",
                self.setup.limits.timeout_ms
            ));
        }
        Ok(left)
    }

    /// A host call's error, saying so when it ended because the plugin's time ran out.
    fn explain_late(&self, what: &str, error: String) -> String {
        if self.call.deadline > Instant::now() {
            return error;
        }
        format!(
            "{what} stopped at the plugin's time limit ({} ms): {error}",
            self.setup.limits.timeout_ms
        )
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
        if let Some(refusal) = self.setup.refused.palette.clone() {
            return Err(self.refuse(refusal));
        }
        let grant = self
            .setup
            .palette
            .as_ref()
            // Granted (see `refused` above); no grant here means this run has no Palette connection.
            .ok_or("this ferry run has no Palette connection (`ferry plugin run` works offline)")?;
        palette_access::check(&req.method, &req.path, grant.write, self.call.scope)?;
        let what = format!("{} {}", req.method.to_ascii_uppercase(), req.path);
        let left = self.time_left(&what)?;
        timing::timed(timing::Account::PaletteFromPlugin, || {
            grant.transport.send(&env, &req, left)
        })
        .map_err(|e| self.explain_late(&what, e))
    }
}

impl http::Host for State {
    fn send(&mut self, req: http::Request) -> Result<http::Response, String> {
        if let Some(refusal) = self.setup.refused.http.clone() {
            return Err(self.refuse(refusal));
        }
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
        let what = format!("{} {}", req.method, req.url);
        let left = self.time_left(&what)?;
        super::outbound::send(req, &grant.origins, left).map_err(|e| self.explain_late(&what, e))
    }
}
