//! What a person sees while a big component compiles. A Rust plugin compiles in tens of
//! milliseconds; a 12-18 MB Python or JavaScript one takes seconds, once: after that it loads from
//! the compiled cache. A spinner on a terminal, one log line otherwise (a CI log, a file).

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Components smaller than this compile too fast to be worth a word.
const WORTH_SHOWING: usize = 2 * 1024 * 1024;

/// Shown while it lives; says how long the compile took when dropped.
pub struct Compiling {
    bar: Option<ProgressBar>,
    what: String,
    start: Instant,
}

/// Starts showing that `what` (a plugin's id and version) is being compiled, if it is big enough.
pub fn start(what: &str, wasm_bytes: usize) -> Option<Compiling> {
    if wasm_bytes < WORTH_SHOWING {
        return None;
    }
    let what = format!("{what} ({:.1} MB)", wasm_bytes as f64 / (1024.0 * 1024.0));
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(8));
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!(
            "compiling plugin {what}; once only, later runs load it from the cache"
        ));
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    });
    if bar.is_none() {
        tracing::info!(
            "compiling plugin {what}; once only, later runs load it from the compiled cache"
        );
    }
    Some(Compiling {
        bar,
        what,
        start: Instant::now(),
    })
}

impl Drop for Compiling {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        tracing::info!(
            "compiled plugin {} in {:.1} s",
            self.what,
            self.start.elapsed().as_secs_f64()
        );
    }
}
