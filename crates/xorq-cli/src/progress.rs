//! Progress on stderr, only when stderr is a terminal (never in pipes, logs or CI), and the one
//! way commands write a message to stderr while a spinner may be drawn: [`message`] clears the
//! spinner, writes the line, and lets the spinner draw again, so `-v` output is never garbled.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use xorq_exec::cache::event::rows_text;

/// The spinner being drawn, if any (one at a time: commands run one step at a time).
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Writes `line` to stderr, above the spinner if one is drawn.
pub fn message(line: &str) {
    let active = ACTIVE.lock().ok().and_then(|a| a.clone());
    match active {
        Some(bar) => bar.suspend(|| eprintln!("{line}")),
        None => eprintln!("{line}"),
    }
}

/// A spinner with a message and a running row count; inert when stderr is not a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    rows: u64,
}

impl Progress {
    /// Starts a spinner saying `message`.
    pub fn start(message: &str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
                bar.set_style(style);
            }
            bar.set_message(message.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if let (Some(bar), Ok(mut active)) = (&bar, ACTIVE.lock()) {
            *active = Some(bar.clone());
        }
        Progress { bar, rows: 0 }
    }

    /// Adds `n` rows to the count shown.
    pub fn rows(&mut self, n: u64) {
        self.rows += n;
        if let Some(bar) = &self.bar {
            bar.set_message(rows_text(self.rows));
        }
    }

    /// Removes the spinner.
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for Progress {
    /// Removes the spinner (also when a command returns early with an error).
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            if let Ok(mut active) = ACTIVE.lock() {
                *active = None;
            }
            bar.finish_and_clear();
        }
    }
}
