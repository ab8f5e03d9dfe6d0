//! Progress on stderr, only when stderr is a terminal (never in pipes, logs or CI).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

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
        Progress { bar, rows: 0 }
    }

    /// Adds `n` rows to the count shown.
    pub fn rows(&mut self, n: u64) {
        self.rows += n;
        if let Some(bar) = &self.bar {
            bar.set_message(format!("{} rows", self.rows));
        }
    }

    /// Removes the spinner.
    pub fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
