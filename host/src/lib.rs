//! ferry: moves Palette cluster profiles between environments.
//!
//! The host owns what must be trusted (credentials, encryption, the API transport, the plugin runtime
//! and the sandbox server); every step that touches a profile runs as a WebAssembly plugin.
//! Start at [`cli`]: each command module leads to the part of the host that does the work.

pub mod bulk;
pub mod cli;
pub mod config;
pub mod home;
pub mod native;
pub mod palette;
pub mod pipeline;
pub mod runtime;
pub mod timing;
