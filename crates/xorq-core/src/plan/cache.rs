//! Cache nodes: a point in the graph whose result is stored and reused (SPEC §4).
//!
//! A cache node passes its input's rows through unchanged. What it adds is *how* the result is
//! kept: the [`CacheStrategy`] decides when a stored result is stale, the [`CacheStorage`] where
//! it is kept. Running an expression (in `xorq-exec`) looks each cache node up by the input
//! address of the expression under it plus a freshness token, and reuses a stored result instead
//! of computing that expression again.

use std::fmt;
use std::time::Duration;

use crate::error::{CoreError, Result};

/// What makes a stored result stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Freshness {
    /// A change to any source under the cached node: for a file, its path, size and modification
    /// time; a bundled file or a memtable is immutable (its content hash is its token).
    ModificationTime,
    /// Nothing: a stored result stays valid however the sources change (until its TTL, if any).
    Snapshot,
}

impl Freshness {
    /// Stable name: `modification-time` or `snapshot`, as in manifests and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Freshness::ModificationTime => "modification-time",
            Freshness::Snapshot => "snapshot",
        }
    }

    /// The freshness with this [`name`](Freshness::name).
    pub fn from_name(name: &str) -> Option<Freshness> {
        [Freshness::ModificationTime, Freshness::Snapshot].into_iter().find(|f| f.name() == name)
    }
}

/// When a cached result is reused and when it is computed again.
///
/// - [`CacheStrategy::modification_time`]: recompute when a source file under the node changes
///   (its size or modification time); the usual choice for files that are rewritten in place.
/// - [`CacheStrategy::snapshot`]: keep the first result whatever happens to the sources, for
///   slow-moving data or results that should stay pinned.
/// - either with [`CacheStrategy::with_ttl`]: also recompute once the stored result is older than
///   the time to live.
///
/// The strategy is part of the cache node, so of its address and its manifest. The stored
/// result itself is named by the expression under the node (and the freshness token), so the
/// same logic cached by two pipelines is computed once.
///
/// ```
/// use std::time::Duration;
/// use xorq_core::CacheStrategy;
///
/// let daily = CacheStrategy::snapshot().with_ttl(Duration::from_secs(24 * 3600));
/// assert_eq!(daily.to_string(), "snapshot, ttl 1d");
/// assert_eq!(CacheStrategy::modification_time().to_string(), "modification-time");
/// assert_eq!(CacheStrategy::default(), CacheStrategy::modification_time());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CacheStrategy {
    freshness: Freshness,
    ttl_secs: Option<u64>,
}

impl Default for CacheStrategy {
    /// Modification time, no TTL.
    fn default() -> Self {
        CacheStrategy::modification_time()
    }
}

impl CacheStrategy {
    /// Reuse the stored result until a source under the node changes.
    pub fn modification_time() -> Self {
        CacheStrategy { freshness: Freshness::ModificationTime, ttl_secs: None }
    }

    /// Reuse the stored result whatever happens to the sources.
    pub fn snapshot() -> Self {
        CacheStrategy { freshness: Freshness::Snapshot, ttl_secs: None }
    }

    /// The strategy for `freshness`, without TTL.
    pub fn new(freshness: Freshness) -> Self {
        CacheStrategy { freshness, ttl_secs: None }
    }

    /// Also recompute once the stored result is older than `ttl`, counted in whole seconds
    /// (rounded up; at least one second).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use xorq_core::CacheStrategy;
    /// let s = CacheStrategy::snapshot().with_ttl(Duration::from_millis(1500));
    /// assert_eq!(s.ttl(), Some(Duration::from_secs(2)));
    /// ```
    pub fn with_ttl(self, ttl: Duration) -> Self {
        let secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        CacheStrategy { ttl_secs: Some(secs.max(1)), ..self }
    }

    /// What makes a stored result stale.
    pub fn freshness(&self) -> Freshness {
        self.freshness
    }

    /// The time to live, if any.
    pub fn ttl(&self) -> Option<Duration> {
        self.ttl_secs.map(Duration::from_secs)
    }

    /// The time to live in seconds, if any.
    pub fn ttl_secs(&self) -> Option<u64> {
        self.ttl_secs
    }
}

impl fmt::Display for CacheStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.freshness.name())?;
        if let Some(ttl) = self.ttl_secs {
            write!(f, ", ttl {}", format_secs(ttl))?;
        }
        Ok(())
    }
}

/// `90` → `1m30s`, `86400` → `1d`: the largest units first, zero units left out.
pub fn format_secs(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Reads a duration written as whole seconds (`90`) or with units, largest first (`90s`, `15m`,
/// `1h30m`, `7d`, `2w`); the inverse of [`format_secs`]. `None` for anything else, zero included
/// only when written as such.
///
/// ```
/// use xorq_core::plan::cache::parse_secs;
/// assert_eq!(parse_secs("1h30m"), Some(5400));
/// assert_eq!(parse_secs("7d"), Some(604_800));
/// assert_eq!(parse_secs("soon"), None);
/// ```
pub fn parse_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().ok();
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut last_unit = u64::MAX;
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let size = match c {
            'w' => 604_800,
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        // Units in decreasing order, each once, each after a number.
        if number.is_empty() || size >= last_unit {
            return None;
        }
        last_unit = size;
        total = total.checked_add(number.parse::<u64>().ok()?.checked_mul(size)?)?;
        number.clear();
    }
    (number.is_empty() && last_unit != u64::MAX).then_some(total)
}

/// Where a cached result is kept.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CacheStorage {
    /// A Parquet file (and a small JSON sidecar) in the cache directory: survives the process
    /// and is shared by every process using that directory.
    #[default]
    Parquet,
    /// A table inside a backend ("source storage"). Without a profile: the engine that runs the
    /// expression (today the embedded DataFusion session, whose tables live as long as the
    /// session); with one: the backend of that profile.
    Source {
        /// The backend profile, or `None` for the engine that runs the expression.
        profile: Option<String>,
    },
}

impl CacheStorage {
    /// Source storage in the engine that runs the expression.
    pub fn source() -> Self {
        CacheStorage::Source { profile: None }
    }

    /// Source storage in the backend of `profile`.
    pub fn source_in(profile: &str) -> Self {
        CacheStorage::Source { profile: Some(profile.to_string()) }
    }

    /// Stable name: `parquet` or `source`.
    pub fn name(&self) -> &'static str {
        match self {
            CacheStorage::Parquet => "parquet",
            CacheStorage::Source { .. } => "source",
        }
    }

    /// The profile of source storage in a named backend.
    pub fn profile(&self) -> Option<&str> {
        match self {
            CacheStorage::Source { profile } => profile.as_deref(),
            CacheStorage::Parquet => None,
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        if let Some(p) = self.profile() {
            let mut chars = p.chars();
            let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && p.len() <= 64;
            if !valid {
                return Err(CoreError::InvalidArgument {
                    context: "cache storage".into(),
                    message: format!(
                        "`{p}` is not a profile name: it starts with a letter or `_` and holds only letters, digits, `_` and `-` (at most 64)"
                    ),
                });
            }
        }
        Ok(())
    }
}

impl fmt::Display for CacheStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheStorage::Parquet => f.write_str("parquet"),
            CacheStorage::Source { profile: None } => f.write_str("source"),
            CacheStorage::Source { profile: Some(p) } => write!(f, "source in `{p}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_secs(0), "0s");
        assert_eq!(format_secs(59), "59s");
        assert_eq!(format_secs(90), "1m30s");
        assert_eq!(format_secs(86_400 + 3_600), "1d1h");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_secs("3600"), Some(3600));
        assert_eq!(parse_secs("1d1h"), Some(90_000));
        assert_eq!(parse_secs("1h1d"), None);
        assert_eq!(parse_secs("h"), None);
        assert_eq!(parse_secs("5x"), None);
        assert_eq!(parse_secs(""), None);
        assert_eq!(parse_secs("10"), Some(10));
    }

    proptest::proptest! {
        #[test]
        fn formatted_durations_read_back(secs in 0u64..10_000_000_000) {
            proptest::prop_assert_eq!(parse_secs(&format_secs(secs)), Some(secs));
        }
    }

    #[test]
    fn ttl_rounds_up_to_whole_seconds() {
        assert_eq!(CacheStrategy::snapshot().with_ttl(Duration::ZERO).ttl_secs(), Some(1));
        assert_eq!(CacheStrategy::snapshot().with_ttl(Duration::from_secs(7)).ttl_secs(), Some(7));
    }

    #[test]
    fn profile_names_are_checked() {
        assert!(CacheStorage::source_in("warehouse").check().is_ok());
        assert!(CacheStorage::source_in("../etc").check().is_err());
    }
}
