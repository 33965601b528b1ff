//! End-to-end tests: they drive the real `ferry` binary against real sandbox servers on loopback.

mod plugins;
mod support;
