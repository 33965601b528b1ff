//! End-to-end tests: they drive the real `ferry` binary against real sandbox servers on loopback.

mod attack_server;
mod client;
mod credentials;
mod credentials_leak;
mod credentials_sandbox;
mod plugins;
mod sandbox;
mod sandbox_cli;
mod sandbox_contract;
mod sandbox_faults;
mod sandbox_support;
mod security;
mod support;
mod tls;
