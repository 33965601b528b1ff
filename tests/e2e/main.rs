//! End-to-end tests: they drive the real `ferry` binary against real sandbox servers on loopback.

mod support;
mod client;
mod credentials;
mod credentials_leak;
mod credentials_sandbox;
