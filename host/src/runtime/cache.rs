//! Compiled components, cached on disk under ferry's home, keyed by the wasm's sha256 and the
//! engine's compatibility hash. Compiling a component costs tens of milliseconds for a small Rust
//! plugin and seconds for a Python or JS one; loading a cached one costs well under a millisecond.
//!
//! Only files this cache wrote are ever deserialized: a precompiled artifact is trusted native
//! code, so one never comes from a user-supplied path.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use wasmtime::Engine;
use wasmtime::component::Component;

/// Whether a load compiled or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Compiled,
    Cached,
}

pub struct ComponentCache {
    dir: PathBuf,
    engine_hash: String,
}

impl ComponentCache {
    /// A cache in `dir` for components compiled by `engine`.
    pub fn new(engine: &Engine, dir: PathBuf) -> ComponentCache {
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        ComponentCache {
            dir,
            engine_hash: format!("{:016x}", hasher.finish()),
        }
    }

    /// Where the compiled form of the wasm with this digest lives.
    pub fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{}.cwasm", self.engine_hash))
    }

    /// The compiled component for `wasm` (whose digest is `sha256`), from the cache when it is there.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> anyhow::Result<(Component, Outcome)> {
        let path = self.path_for(sha256);
        if path.is_file() {
            // SAFETY: the file is one this cache wrote with `Component::serialize` for this engine
            // configuration (the engine hash is in its name); wasmtime checks its header again.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, Outcome::Cached)),
                Err(err) => tracing::warn!(
                    "ignoring unreadable compiled cache {}: {err}",
                    path.display()
                ),
            }
        }
        let started = Instant::now();
        let component = Component::new(engine, wasm)?;
        tracing::debug!(
            "compiled component {} in {:.1?}",
            &sha256[..12],
            started.elapsed()
        );
        if let Err(err) = self.store(&path, &component) {
            // A read-only home still runs plugins, only slower.
            tracing::warn!("cannot write the compiled cache {}: {err}", path.display());
        }
        Ok((component, Outcome::Compiled))
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let bytes = component.serialize()?;
        let tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        std::fs::write(tmp.path(), bytes)?;
        tmp.persist(path)?;
        Ok(())
    }
}
