//! The plugin runtime: wasmtime, with the rules that make running other people's code safe.
//!
//! - One [`Runtime`] (one `Engine`) per process; a background thread ticks the engine's epoch so
//!   every call has a deadline.
//! - Loading a plugin ([`Runtime::load`]) checks its manifest's contract version *before* compiling
//!   anything, then what the policy says of it (pinned version and digest, signature: see
//!   [`policy::Policy::admit`]), compiles it (or loads the compiled form from [`cache`]), checks the versions of the
//!   interfaces it exports and that each host interface it imports is granted, and links only
//!   those: the result is an `InstancePre` per plugin.
//! - Each call gets a fresh `Store` with a memory cap and a deadline; the output is measured
//!   against a cap. Every failure is a [`PluginFailure`] naming plugin, version, step and kind.

// A failure carries the whole report (plugin, version, step, kind, message) by value: failures are
// rare and read by people, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod bindings;
pub mod cache;
pub mod catalog;
pub mod error;
pub mod host;
pub mod limits;
pub mod manifest;
mod outbound;
pub mod palette_access;
pub mod plugin;
pub mod policy;
pub mod pool;
pub mod signature;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use wasmtime::{Config, Engine};

pub use error::{FailureKind, PluginFailure};
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
    /// Linkers by (palette-api linked, http linked): defining WASI's functions costs more than
    /// linking a component against them, so each set is built once.
    linkers: Mutex<Linkers>,
}

type Linkers = HashMap<(bool, bool), Arc<Linker<State>>>;

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
            linkers: Mutex::default(),
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

    /// The linker for plugins granted these host interfaces.
    fn linker(&self, palette: bool, http: bool) -> anyhow::Result<Arc<Linker<State>>> {
        let mut linkers = self.linkers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(linker) = linkers.get(&(palette, http)) {
            return Ok(linker.clone());
        }
        let linker = Arc::new(plugin::linker(&self.engine, palette, http)?);
        linkers.insert((palette, http), linker.clone());
        Ok(linker)
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
