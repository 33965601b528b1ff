//! The plugin runtime: wasmtime, with the rules that make running other people's code safe.
//!
//! - One [`Runtime`] (one `Engine`) per process; a background thread ticks the engine's epoch so
//!   every call has a deadline.
//! - Loading a plugin ([`Runtime::load`]) checks its manifest's contract version (when it gives
//!   one) *before* compiling anything, then what the policy says of it (pinned version and digest,
//!   signature: see [`policy::Policy::admit`]), compiles it (or loads the compiled form from
//!   [`cache`]), reads the contract version of the interfaces it exports, and links it with that
//!   version's bindings ([`contract`]): the result is an `InstancePre` per plugin. Imports ferry never provides ([`imports`]) are refused before compiling;
//!   `palette-api` and `http` are always linked, and answer a plugin not granted them with an
//!   error on every call.
//! - Each call gets a fresh `Store` with a memory cap and a deadline; the output is measured
//!   against a cap. Every failure is a [`PluginFailure`] naming plugin, version, step and kind.

// A failure carries the whole report (plugin, version, step, kind, message) by value: failures are
// rare and read by people, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod cache;
pub mod catalog;
mod compile_progress;
pub mod contract;
pub mod error;
mod guest_error;
pub mod host;
pub mod imports;
mod outbound;
pub mod palette_access;
pub mod plugin;
pub mod policy;
pub mod pool;
pub mod signature;

/// The newest contract's bindings: the types every caller of the runtime works with.
pub use contract::newest as bindings;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use wasmtime::{Config, Engine};

pub use error::{FailureKind, PluginFailure};
// The manifest format and its limits are read without the runtime too (fuzzing): see ferry-formats.
pub use ferry_formats::{limits, manifest};
pub use host::PaletteTransport;
pub use plugin::Plugin;

use cache::ComponentCache;
use catalog::Entry;
use host::State;
use policy::Policy;
use wasmtime::component::Linker;

pub struct Runtime {
    engine: Engine,
    cache: ComponentCache,
    policy: Policy,
    palette: Option<Arc<dyn PaletteTransport>>,
    /// Shared by every plugin this runtime loads.
    slots: Arc<pool::CallSlots>,
    /// Defining WASI's functions costs more than linking a component against them, so the one
    /// linker every plugin uses is built once, on first use.
    linker: OnceLock<Arc<Linker<State>>>,
}

impl Runtime {
    /// A runtime whose compiled cache lives in `<home>/cache`. Instance memory is sized for the
    /// plugins known now (built-in and installed) under `policy`: see [`pool`].
    pub fn new(home: &Path, policy: Policy) -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.wasm_component_model(true);
        let largest_memory = catalog::all(home)
            .iter()
            .map(|e| policy.limits(&e.manifest).0.memory_bytes())
            .max()
            .unwrap_or_default();
        let engine = pool::engine(&mut config, largest_memory, pool::Pooling::from_env()?)?;
        start_epoch_ticker(&engine);
        let cache = ComponentCache::new(&engine, home.join("cache"));
        Ok(Runtime {
            engine,
            cache,
            policy,
            palette: None,
            slots: Arc::default(),
            linker: OnceLock::new(),
        })
    }

    /// Lets plugins that are granted `palette-api` reach Palette through `transport`.
    pub fn with_palette(mut self, transport: Arc<dyn PaletteTransport>) -> Runtime {
        self.palette = Some(transport);
        self
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn cache(&self) -> &ComponentCache {
        &self.cache
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The linker every plugin is linked with; what a plugin may do is in its call's state.
    fn linker(&self) -> anyhow::Result<Arc<Linker<State>>> {
        if let Some(linker) = self.linker.get() {
            return Ok(linker.clone());
        }
        let linker = Arc::new(plugin::linker(&self.engine)?);
        Ok(self.linker.get_or_init(|| linker).clone())
    }

    /// Prepares a plugin to run: see the module docs for what is checked, in which order.
    pub fn load(&self, entry: &Entry) -> Result<Plugin, PluginFailure> {
        plugin::load(self, entry)
    }
}

/// Ticks the engine's epoch for the life of the process. The thread holds only a weak handle:
/// it ends when the engine does.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("ferry-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(limits::EPOCH_TICK);
            }
        })
        .expect("start the epoch thread");
}
