//! The files ferry reads from disk, parsed with no runtime attached: the home's config file and
//! the sealed secrets in it ([`config`]), and plugin manifests ([`manifest`], with the [`limits`]
//! they may ask for). The host re-exports these modules where they always were
//! (`ferry::config::*`, `ferry::runtime::{manifest, limits}`).
//!
//! Decision: they are a crate of their own so that fuzzing (`fuzz/`) and anything else that only
//! reads these formats depends on a few small crates, not on wasmtime and the host's build script
//! (which builds every wasm plugin, and would inherit the fuzzer's sanitizer flags).

pub mod config;
pub mod limits;
pub mod manifest;
pub mod origin;
