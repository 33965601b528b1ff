//! End-to-end tests: they drive the real `ferry` binary against real sandbox servers on loopback.

mod address_space;
mod attack_server;
mod bulk;
mod bulk_projects;
mod bulk_support;
mod cli_output;
mod client;
mod contract;
mod credential_providers;
mod credentials;
mod credentials_leak;
mod credentials_sandbox;
mod demo;
mod diff;
mod fault_campaign;
mod hostile_input;
mod languages;
mod migrate;
mod org_plugins;
mod plugins;
mod sandbox_cli;
// The sandbox's own test support (in-process servers, an HTTP helper); ferry's tests use part of it.
#[allow(dead_code)]
#[path = "../../sandbox/tests/support.rs"]
mod sandbox_support;
mod secret_scan;
mod security;
mod steps;
mod support;
mod tls;
