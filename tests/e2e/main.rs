//! End-to-end tests: they drive the real `ferry` binary against real sandbox servers on loopback.

mod plugins;
mod support;
mod sandbox;
mod sandbox_cli;
mod sandbox_contract;
mod sandbox_faults;
mod sandbox_support;
