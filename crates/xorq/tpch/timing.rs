//! Timing helpers of the TPC-H benches.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::time::Duration;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The median of `times` (zero for none).
pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    match times.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

/// `d` in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The environment variable `name` parsed, or `default` when it is unset.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Res<T> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}={v} is not a valid value").into()),
        Err(_) => Ok(default),
    }
}

/// One timed run: its timed part and its result.
pub type Run<T> = Res<(Duration, T)>;

/// Medians of `runs` timed runs of both sides after one warm-up each, alternating which side goes
/// first so neither always runs on a warmer machine; with the last result of each side.
pub async fn time_pair<T>(
    runs: usize,
    mut a: impl AsyncFnMut() -> Run<T>,
    mut b: impl AsyncFnMut() -> Run<T>,
) -> Res<[(Duration, T); 2]> {
    let (mut out_a, mut out_b) = (a().await?.1, b().await?.1);
    let (mut times_a, mut times_b) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let ((ta, ra), (tb, rb)) = if i % 2 == 0 {
            let ra = a().await?;
            (ra, b().await?)
        } else {
            let rb = b().await?;
            (a().await?, rb)
        };
        times_a.push(ta);
        times_b.push(tb);
        (out_a, out_b) = (ra, rb);
    }
    Ok([(median(times_a), out_a), (median(times_b), out_b)])
}
