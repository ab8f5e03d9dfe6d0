//! What the cache did for each cache node of a run, and why: hits, misses with their reason,
//! stored entries and warnings. A [`Cache`](super::Cache) hands each event to its reporter as it
//! happens (the CLI prints them under `-v`; warnings always).

use std::fmt;
use std::time::{Duration, SystemTime};

use xorq_core::plan::cache::format_secs;
use xorq_core::{Address, CacheStorage, CacheStrategy};

/// One thing the cache did for one cache node.
#[derive(Clone, Debug, PartialEq)]
pub struct CacheEvent {
    /// Input address of the cached expression (what entries are named by).
    pub address: Address,
    /// Operation at the root of the cached expression (`Aggregate`, `Filter`, …).
    pub op: &'static str,
    /// The node's strategy.
    pub strategy: CacheStrategy,
    /// The node's storage.
    pub storage: CacheStorage,
    /// What happened.
    pub outcome: Outcome,
}

/// What happened to a cache node.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// A stored result was used; nothing under the node was computed.
    Hit {
        /// When the entry was written.
        created: SystemTime,
        /// Its rows.
        rows: u64,
    },
    /// No usable stored result: the expression is computed (and stored).
    Miss(MissReason),
    /// The computed result was stored.
    Stored {
        /// Rows written.
        rows: u64,
        /// Bytes written.
        bytes: u64,
    },
    /// Another process stored the same entry first; its copy is kept.
    StoredByAnother,
    /// Not looked up: a cache node above it hit, so nothing under that node runs.
    Skipped,
    /// Not cached: the expression reads unbound inputs, whose rows are bound at run time and are
    /// never part of a cache key; it is computed every run.
    Unbound {
        /// The inputs it reads.
        inputs: Vec<String>,
    },
    /// Pinned (`xorq pin`): the result frozen into the build is read; nothing under the node is
    /// computed or looked up.
    Pinned {
        /// What names the frozen result: the hash of its bytes once bundled.
        frozen: String,
    },
    /// Something went wrong that did not stop the run (a damaged entry, a failed write).
    Warning(String),
}

/// Why a cache node missed.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MissReason {
    /// Nothing was ever stored for this expression (with this strategy).
    NoEntry,
    /// Entries exist for other parameter values only.
    OtherParams {
        /// The values of this run, as `name=value`.
        params: Vec<String>,
    },
    /// A source under the node changed since the entry was written.
    SourceChanged {
        /// What changed, one item per source (`sales.parquet modified 2026-11-20 14:02`).
        changes: Vec<String>,
    },
    /// The entry is older than the strategy's time to live.
    Expired {
        /// Its age.
        age: Duration,
        /// The time to live.
        ttl: Duration,
    },
    /// The entry was damaged; it was removed.
    Damaged(String),
}

impl Outcome {
    /// Whether this is a warning (shown even without `-v`).
    pub fn is_warning(&self) -> bool {
        matches!(self, Outcome::Warning(_))
    }
}

impl fmt::Display for MissReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MissReason::NoEntry => f.write_str("no entry yet"),
            MissReason::OtherParams { params } => {
                write!(f, "no entry for these parameter values ({})", params.join(", "))
            }
            MissReason::SourceChanged { changes } => write!(f, "{} since the entry was written", changes.join("; ")),
            MissReason::Expired { age, ttl } => write!(
                f,
                "the entry expired (written {} ago, ttl {})",
                format_secs(age.as_secs()),
                format_secs(ttl.as_secs())
            ),
            MissReason::Damaged(why) => write!(f, "the entry was damaged ({why}) and was removed"),
        }
    }
}

/// `3 rows`, `1 row`, `12,345 rows`.
pub fn rows_text(rows: u64) -> String {
    let digits = rows.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} row{}", if rows == 1 { "" } else { "s" })
}

/// `812 B`, `1.2 KB`, `3.4 MB`, `5.6 GB` (powers of 1000).
pub fn bytes_text(bytes: u64) -> String {
    let b = bytes as f64;
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} KB", b / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", b / 1e6),
        _ => format!("{:.1} GB", b / 1e9),
    }
}

/// How long ago `time` was, in the largest unit: `5s`, `3m`, `2h`, `4d`.
pub fn age_text(time: SystemTime) -> String {
    let secs = SystemTime::now().duration_since(time).map(|d| d.as_secs()).unwrap_or(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        _ => format!("{}d", secs / 86_400),
    }
}

impl fmt::Display for CacheEvent {
    /// `cache 1f0c3a9e5b7d (Aggregate, modification-time): hit: written 5s ago, 3 rows`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cache {} ({}, {}", self.address.short(), self.op, self.strategy)?;
        if self.storage != CacheStorage::Parquet {
            write!(f, ", {}", self.storage)?;
        }
        f.write_str("): ")?;
        match &self.outcome {
            Outcome::Hit { created, rows } => {
                write!(f, "hit: written {} ago, {}", age_text(*created), rows_text(*rows))
            }
            Outcome::Miss(reason) => write!(f, "miss: {reason}"),
            Outcome::Stored { rows, bytes } => write!(f, "stored {} ({})", rows_text(*rows), bytes_text(*bytes)),
            Outcome::StoredByAnother => f.write_str("another process stored this entry first; kept its copy"),
            Outcome::Skipped => f.write_str("not checked: a cache above it hit"),
            Outcome::Unbound { inputs } => write!(
                f,
                "not cached: it reads the unbound input{} {}, whose rows are never part of a cache key; computed every run",
                if inputs.len() == 1 { "" } else { "s" },
                inputs.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
            ),
            Outcome::Pinned { frozen } => write!(f, "pinned: reads the result frozen into the build ({frozen})"),
            Outcome::Warning(message) => f.write_str(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(rows_text(1), "1 row");
        assert_eq!(rows_text(1234567), "1,234,567 rows");
        assert_eq!(rows_text(100), "100 rows");
        assert_eq!(bytes_text(999), "999 B");
        assert_eq!(bytes_text(1_250), "1.2 KB");
        assert_eq!(bytes_text(3_400_000_000), "3.4 GB");
    }
}
