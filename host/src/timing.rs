//! Where a run's time goes: waiting on Palette's API, running plugin steps (less the Palette calls
//! they make through the host), and the rest (ferry's own work). Process-wide counters, a few
//! atomic adds per call, so they are always on: `migrate -v` reports them and the migration
//! benchmark reads them.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// What a stretch of time is charged to.
#[derive(Clone, Copy)]
pub enum Account {
    /// A request to Palette, retries and their waits included (the host's and the plugins').
    Palette,
    /// A plugin call, from a fresh store to its result.
    Plugin,
    /// The part of a plugin call spent in its `palette-api` calls (also counted as `Palette`).
    PaletteFromPlugin,
}

struct Counter {
    nanos: AtomicU64,
    calls: AtomicU64,
}

impl Counter {
    const fn new() -> Counter {
        Counter {
            nanos: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        }
    }
}

static COUNTERS: [Counter; 3] = [Counter::new(), Counter::new(), Counter::new()];

/// Charges `spent` to `account`.
pub fn charge(account: Account, spent: Duration) {
    let counter = &COUNTERS[account as usize];
    counter.nanos.fetch_add(spent.as_nanos() as u64, Relaxed);
    counter.calls.fetch_add(1, Relaxed);
}

/// Runs `f`, charging its time to `account`.
pub fn timed<T>(account: Account, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    charge(account, start.elapsed());
    out
}

/// The counters at one moment; [`Snapshot::since`] gives what happened between two.
#[derive(Clone, Copy, Debug, Default)]
pub struct Snapshot {
    pub palette: Duration,
    pub palette_calls: u64,
    /// Plugin calls' time less their own Palette calls.
    pub plugins: Duration,
    pub plugin_calls: u64,
}

pub fn snapshot() -> Snapshot {
    let read = |a: Account| {
        let c = &COUNTERS[a as usize];
        (
            Duration::from_nanos(c.nanos.load(Relaxed)),
            c.calls.load(Relaxed),
        )
    };
    let (palette, palette_calls) = read(Account::Palette);
    let (plugins, plugin_calls) = read(Account::Plugin);
    let (nested, _) = read(Account::PaletteFromPlugin);
    Snapshot {
        palette,
        palette_calls,
        plugins: plugins.saturating_sub(nested),
        plugin_calls,
    }
}

impl Snapshot {
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            palette: self.palette.saturating_sub(earlier.palette),
            palette_calls: self.palette_calls - earlier.palette_calls,
            plugins: self.plugins.saturating_sub(earlier.plugins),
            plugin_calls: self.plugin_calls - earlier.plugin_calls,
        }
    }

    /// One line: `wall` split into Palette, plugin steps and the rest, with shares.
    pub fn split(&self, wall: Duration) -> String {
        let rest = wall.saturating_sub(self.palette + self.plugins);
        let share = |d: Duration| 100.0 * d.as_secs_f64() / wall.as_secs_f64().max(1e-9);
        format!(
            "{:.0} ms: Palette {:.0} ms ({} requests, {:.1}%), plugin steps {:.1} ms ({} calls, {:.1}%), the rest {:.0} ms ({:.1}%)",
            wall.as_secs_f64() * 1e3,
            self.palette.as_secs_f64() * 1e3,
            self.palette_calls,
            share(self.palette),
            self.plugins.as_secs_f64() * 1e3,
            self.plugin_calls,
            share(self.plugins),
            rest.as_secs_f64() * 1e3,
            share(rest),
        )
    }
}
