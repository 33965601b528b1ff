//! Compiled components, cached on disk under ferry's home, keyed by the wasm's sha256 and the
//! engine's compatibility hash. Compiling a component costs tens of milliseconds for a small Rust
//! plugin and seconds for a Python or JS one; loading a cached one costs reading it, one HMAC pass
//! over it and a copy into executable memory.
//!
//! A compiled component is native code that wasmtime maps and runs as it is: whoever can change a
//! cache file runs code outside the sandbox. So a file is deserialized only when it carries a MAC
//! that this home's cache key computes over the file and the name it was written under (the
//! wasm's digest and the engine hash): a file copied from another plugin's entry, edited, or
//! written by anyone without the key is recompiled over. The key lives in `<cache>/cache.key`
//! (0600), the folders are 0700, and a cache folder that other users can write is not used at all.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::Engine;
use wasmtime::component::Component;
use zeroize::Zeroizing;

use crate::config::atomic::ensure_private_dir;

/// Whether a load compiled or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Compiled,
    Cached,
}

const MAC_LEN: usize = 32;

pub struct ComponentCache {
    /// `<home>/cache`: holds the key and the components folder.
    root: PathBuf,
    dir: PathBuf,
    engine_hash: String,
}

impl ComponentCache {
    /// A cache under `root` (`<home>/cache`) for components compiled by `engine`.
    pub fn new(engine: &Engine, root: PathBuf) -> ComponentCache {
        let mut hasher = std::hash::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        ComponentCache {
            dir: root.join("components"),
            root,
            engine_hash: format!("{:016x}", hasher.finish()),
        }
    }

    /// Where the compiled form of the wasm with this digest lives.
    pub fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{sha256}-{}.cwasm", self.engine_hash))
    }

    /// The compiled component for `wasm` (whose digest is `sha256`), from the cache when a file
    /// there proves this cache wrote it for this digest. `what` names it while it compiles.
    pub fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
        what: &str,
    ) -> anyhow::Result<(Component, Outcome)> {
        let path = self.path_for(sha256);
        let usable = match self.check_folders() {
            Ok(()) => true,
            Err(why) => {
                tracing::warn!("not using the compiled cache: {why}");
                false
            }
        };
        if usable && let Some(component) = self.cached(engine, &path, sha256) {
            return Ok((component, Outcome::Cached));
        }
        let started = Instant::now();
        let progress = super::compile_progress::start(what, wasm.len());
        let component = Component::new(engine, wasm)?;
        drop(progress);
        tracing::debug!(
            "compiled component {} in {:.1?}",
            &sha256[..12],
            started.elapsed()
        );
        if usable && let Err(err) = self.store(&path, sha256, &component) {
            // A read-only home still runs plugins, only slower.
            tracing::warn!(
                "cannot write the compiled cache {}: {err:#}",
                path.display()
            );
        }
        Ok((component, Outcome::Compiled))
    }

    /// The cached component at `path`, if its MAC proves it is ours for `sha256`.
    fn cached(&self, engine: &Engine, path: &Path, sha256: &str) -> Option<Component> {
        let bytes = fs::read(path).ok()?;
        let key = match self.key() {
            Ok(key) => key,
            Err(err) => {
                tracing::warn!("not using the compiled cache: {err:#}");
                return None;
            }
        };
        let Some(body) = self.verified(&key, sha256, &bytes) else {
            tracing::warn!(
                "the compiled cache file {} fails its integrity check (it was not written by this ferry for plugin digest {}): ignoring it and compiling again",
                path.display(),
                &sha256[..12]
            );
            return None;
        };
        // SAFETY: these exact bytes carry a MAC that only this home's cache key makes, computed
        // when this cache serialized them for this wasm digest and engine; they are checked in
        // memory, so the file cannot change between the check and the load. wasmtime checks the
        // header (engine and configuration) again.
        match unsafe { Component::deserialize(engine, body) } {
            Ok(component) => Some(component),
            Err(err) => {
                tracing::warn!(
                    "ignoring unreadable compiled cache {}: {err}",
                    path.display()
                );
                None
            }
        }
    }

    /// The body of a cache file whose trailing MAC is right for `sha256`.
    fn verified<'a>(&self, key: &[u8], sha256: &str, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let split = bytes.len().checked_sub(MAC_LEN)?;
        let (body, tag) = bytes.split_at(split);
        self.mac(key, sha256, body).verify_slice(tag).ok()?;
        Some(body)
    }

    /// The MAC of a compiled body under the name it is stored for.
    fn mac(&self, key: &[u8], sha256: &str, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(
            format!("ferry compiled component\n{sha256}\n{}\n", self.engine_hash).as_bytes(),
        );
        mac.update(body);
        mac
    }

    fn store(&self, path: &Path, sha256: &str, component: &Component) -> anyhow::Result<()> {
        ensure_private_dir(&self.dir)?;
        let key = self.key()?;
        let mut bytes = component.serialize()?;
        let tag = self.mac(&key, sha256, &bytes).finalize().into_bytes();
        bytes.extend_from_slice(&tag);
        // NamedTempFile creates its file 0600.
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.persist(path)?;
        Ok(())
    }

    /// This home's cache key, made on first use. Two processes racing to make it both end up with
    /// the one that was linked first.
    fn key(&self) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        let path = self.root.join("cache.key");
        if !path.exists() {
            ensure_private_dir(&self.root)?;
            let mut tmp = tempfile::NamedTempFile::new_in(&self.root)?;
            tmp.write_all(&rand::random::<[u8; 32]>())?;
            if let Err(err) = tmp.persist_noclobber(&path)
                && err.error.kind() != std::io::ErrorKind::AlreadyExists
            {
                return Err(err.error.into());
            }
        }
        // Not a link to a file someone else controls, and private to its owner.
        let meta = fs::symlink_metadata(&path)?;
        if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
            anyhow::bail!(
                "{} is not a private file (mode 0600); remove it and ferry makes a new one",
                path.display()
            );
        }
        let mut file = fs::File::open(&path)?;
        let mut key = Zeroizing::new(Vec::new());
        file.read_to_end(&mut key)?;
        if key.len() != 32 {
            anyhow::bail!(
                "{} is damaged; remove it (ferry makes a new one)",
                path.display()
            );
        }
        Ok(key)
    }

    /// The cache folders, where they exist, must not be writable by other users: anyone who can
    /// write there can swap files between the MAC check and the next run's.
    fn check_folders(&self) -> Result<(), String> {
        let home = self.root.parent().unwrap_or(&self.root);
        for dir in [home, &self.root, &self.dir] {
            if let Ok(meta) = fs::metadata(dir)
                && meta.permissions().mode() & 0o022 != 0
            {
                return Err(format!(
                    "{} is writable by other users (mode {:o}); make it private with `chmod 700 {}`",
                    dir.display(),
                    meta.permissions().mode() & 0o777,
                    dir.display()
                ));
            }
        }
        Ok(())
    }
}
