//! The sandbox's tests: in-process servers on loopback, driven over real HTTP.

mod behaviour;
mod contract;
mod faults;
mod fidelity;
mod support;
