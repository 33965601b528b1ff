//! How instances get their memory: from a pool reserved once (fast: a call maps nothing), or on demand
//! where the address space cannot hold a pool (a container or CI runner under `ulimit -v`).
//!
//! The pool is sized from what this run may need: as many slots as calls that may run at once, each as
//! large as the largest memory the policy lets any known plugin have. Creating the engine is the probe:
//! if the reservation fails, ferry falls back to on-demand allocation. `FERRY_POOLING=on` insists on the
//! pool (an error if it cannot be had), `off` never tries it.

use std::sync::{Condvar, Mutex};

use anyhow::Context;
use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The environment variable that overrides the choice.
pub const ENV: &str = "FERRY_POOLING";

/// Plugin calls that may run at once: ferry runs steps one after another, a bulk run a few at a time.
pub const CONCURRENT_CALLS: u32 = 4;

/// Per memory slot: the stack, static data and a few MiB of heap of a typical step. Only pages a
/// plugin wrote stay mapped, so this is at most `KEEP_RESIDENT` times the number of slots.
const KEEP_RESIDENT: usize = 4 << 20;

/// What `FERRY_POOLING` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// The pool if it can be reserved, else on demand (no variable, or `auto`).
    Auto,
    On,
    Off,
}

impl Pooling {
    pub fn from_env() -> anyhow::Result<Pooling> {
        match std::env::var(ENV).as_deref().map(str::trim) {
            Err(_) | Ok("" | "auto") => Ok(Pooling::Auto),
            Ok("on") => Ok(Pooling::On),
            Ok("off") => Ok(Pooling::Off),
            Ok(other) => anyhow::bail!("{ENV}={other:?}: use on, off or auto"),
        }
    }
}

/// Bytes reserved per memory: the largest memory any plugin may have, rounded up to a power of two
/// (so that a policy change rarely changes the engine's settings, which key the compiled cache),
/// at most a 32-bit memory's 4 GiB.
pub fn memory_reservation(largest_memory: usize) -> u64 {
    (largest_memory.max(1 << 20) as u64)
        .next_power_of_two()
        .min(4 << 30)
}

/// The engine for `config`, its instances pooled or on demand as `mode` says. The memory reservation
/// is set in both cases: compiled code depends on it, and on-demand memories reserve it too.
pub fn engine(config: &mut Config, largest_memory: usize, mode: Pooling) -> anyhow::Result<Engine> {
    let reservation = memory_reservation(largest_memory);
    config.memory_reservation(reservation);
    if mode != Pooling::Off {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(reservation)));
        match Engine::new(config) {
            Ok(engine) => return Ok(engine),
            Err(err) if mode == Pooling::On => {
                return Err(anyhow::Error::from(err)).with_context(|| {
                    format!("cannot reserve the plugin instance pool ({ENV}=on); unset {ENV} to allocate on demand")
                });
            }
            Err(err) => tracing::debug!(
                "no instance pool ({err:#}); allocating plugin instances on demand ({ENV}=on insists)"
            ),
        }
    }
    config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
    Ok(Engine::new(config)?)
}

/// Slots for [`CONCURRENT_CALLS`] calls, each memory `reservation` bytes.
///
/// After a call, the pages its memory touched are reset for the next one. Where Linux can report
/// which pages were written (`PAGEMAP_SCAN`, 6.7+), up to [`KEEP_RESIDENT`] of them are zeroed in
/// place and stay mapped: the next call takes no page faults. Elsewhere everything is given back
/// to the kernel, since zeroing a fixed prefix costs more than the faults it saves.
fn pool(reservation: u64) -> PoolingAllocationConfig {
    let keep_resident = if PoolingAllocationConfig::is_pagemap_scan_available() {
        KEEP_RESIDENT
    } else {
        0
    };
    // A component built from Rust, JS or Python has one memory and a handful of core instances
    // and tables; twice that leaves room for odder ones.
    let calls = CONCURRENT_CALLS;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(calls)
        .total_core_instances(calls * 32)
        .total_memories(calls * 2)
        .total_tables(calls * 32)
        .max_memory_size(reservation as usize)
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(keep_resident)
        .table_keep_resident(64 << 10);
    pool
}

/// The semaphore in front of the pool: at most [`CONCURRENT_CALLS`] calls hold an instance at once,
/// so concurrent work (a bulk migration's workers) waits for a slot instead of failing to
/// instantiate. The same bound holds with on-demand allocation, which keeps memory flat.
#[derive(Debug)]
pub struct CallSlots {
    free: Mutex<u32>,
    freed: Condvar,
}

/// A slot held for one call; dropping it frees the slot.
pub struct Slot<'a>(&'a CallSlots);

impl Default for CallSlots {
    fn default() -> Self {
        CallSlots {
            free: Mutex::new(CONCURRENT_CALLS),
            freed: Condvar::new(),
        }
    }
}

impl CallSlots {
    /// Waits for a free slot.
    pub fn acquire(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reservation_covers_the_largest_memory_in_powers_of_two() {
        assert_eq!(memory_reservation(256 << 20), 256 << 20);
        assert_eq!(memory_reservation(1200 << 20), 2 << 30);
        assert_eq!(memory_reservation(0), 1 << 20);
        assert_eq!(memory_reservation(64 << 30), 4 << 30);
    }

    #[test]
    fn calls_past_the_pool_wait_for_a_slot() {
        let slots = std::sync::Arc::new(CallSlots::default());
        let mut held: Vec<Slot> = (0..CONCURRENT_CALLS).map(|_| slots.acquire()).collect();
        assert_eq!(*slots.free.lock().unwrap(), 0);
        let waiter = {
            let slots = slots.clone();
            std::thread::spawn(move || {
                let _slot = slots.acquire();
            })
        };
        // It gets a slot once one is freed, and gives it back.
        held.pop();
        waiter.join().unwrap();
        drop(held);
        assert_eq!(*slots.free.lock().unwrap(), CONCURRENT_CALLS);
    }
}
