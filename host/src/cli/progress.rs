//! A bulk run's progress on stderr: a bar on a terminal (done, failed, rate, ETA), one plain line
//! per profile otherwise (a CI log, a file), so that nothing is lost when no one is watching.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::bulk::journal::{Entry, Finish, State};

pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: AtomicUsize,
    failed: AtomicUsize,
    start: Instant,
}

impl Progress {
    /// `total` profiles in the plan, `already` of them done by an earlier run.
    pub fn new(total: usize, already: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(total as u64),
                ProgressDrawTarget::stderr_with_hz(4),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} profiles, {msg}  {per_sec:.dim}  ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.set_position(already as u64);
            bar.set_message("0 failed");
            bar.enable_steady_tick(Duration::from_millis(250));
            bar
        });
        Progress {
            bar,
            total,
            done: AtomicUsize::new(already),
            failed: AtomicUsize::new(0),
            start: Instant::now(),
        }
    }

    /// A profile ended.
    pub fn finished(&self, entry: &Entry, finish: &Finish) {
        let done = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let failed = if finish.state == State::Failed {
            self.failed.fetch_add(1, Ordering::SeqCst) + 1
        } else {
            self.failed.load(Ordering::SeqCst)
        };
        let line = line(entry, finish);
        match &self.bar {
            Some(bar) => {
                bar.set_position(done as u64);
                bar.set_message(format!("{failed} failed"));
                if finish.state == State::Failed {
                    bar.println(line);
                }
            }
            None => {
                let width = self.total.to_string().len();
                eprintln!("[{done:>width$}/{}] {line}", self.total);
            }
        }
    }

    /// Clears the bar; the time since the start.
    pub fn end(&self) -> Duration {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        self.start.elapsed()
    }
}

/// One profile's end, as a line.
fn line(entry: &Entry, finish: &Finish) -> String {
    let time = format!("{:.2} s", finish.elapsed_ms as f64 / 1000.0);
    let label = entry.label();
    match (&finish.target_uid, &finish.detail) {
        (Some(uid), _) if finish.state != State::Failed => {
            format!("{:<13} {label} → {uid} ({time})", finish.outcome)
        }
        (_, Some(detail)) => format!(
            "{:<13} {label}: {detail} ({time})",
            finish.outcome.to_uppercase()
        ),
        _ => format!("{:<13} {label} ({time})", finish.outcome),
    }
}
