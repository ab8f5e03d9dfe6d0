//! The cache (SPEC §4): results of cache nodes stored under the input address of the cached
//! expression plus a freshness token, and reused.
//!
//! Running an expression resolves its cache nodes before anything is lowered: from the root
//! down, each cache node is looked up; a hit replaces the node (and everything under it) by a
//! read of the stored rows, so nothing under it is planned or run; a miss looks further down, so
//! inner hits are used. Misses are then computed bottom-up: a miss inside the expression is
//! computed and stored first, then read back; a miss at the root is stored while its rows stream
//! to the caller. See [`key`] for what a key is made of, [`parquet`] for the on-disk layout and
//! its crash safety, [`store`] for plugging in other storage.
//!
//! ```no_run
//! use xorq_core::{col, lit, CacheStrategy, Table};
//! use xorq_exec::{Params, Session, cache::Cache};
//! # async fn demo(sales: Table) -> xorq_exec::Result<()> {
//! let totals = sales.filter(col("amount").gt(lit(100)))?.cache(CacheStrategy::modification_time())?;
//! let session = Session::new().with_cache(Cache::in_dir("/tmp/xorq-cache").on_event(|e| eprintln!("{e}")));
//! session.execute(&totals, &Params::new()).await?; // computes and stores
//! session.execute(&totals, &Params::new()).await?; // reads the stored rows
//! # Ok(()) }
//! ```

pub mod event;
pub mod key;
pub mod parquet;
pub(crate) mod plan;
pub mod session_store;
pub mod store;
pub(crate) mod tee;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use xorq_core::CacheStorage;

pub use event::{CacheEvent, MissReason, Outcome};
pub use key::{EntryKey, TokenSource};
pub use parquet::{ParquetStore, StoredEntry};
pub use session_store::SessionStore;
pub use store::{CacheStore, Committed, EntryMeta, EntryWriter, Lookup};

use crate::error::{ExecError, Result};

/// Environment variable naming the cache directory.
pub const CACHE_DIR_ENV: &str = "XORQ_CACHE_DIR";

type Reporter = Arc<dyn Fn(&CacheEvent) + Send + Sync>;

#[derive(Clone, Debug)]
enum Location {
    Dir(PathBuf),
    Default,
    Disabled,
}

/// How a session caches: where Parquet entries go, which stores hold source storage, and who
/// hears about hits and misses. Cheap to clone.
///
/// ```
/// use xorq_exec::cache::Cache;
/// let cache = Cache::in_dir("/tmp/cache").on_event(|event| eprintln!("{event}"));
/// assert!(cache.is_enabled());
/// assert!(!Cache::disabled().is_enabled());
/// ```
#[derive(Clone)]
pub struct Cache {
    location: Location,
    session: SessionStore,
    backends: BTreeMap<String, Arc<dyn CacheStore>>,
    reporter: Option<Reporter>,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cache")
            .field("location", &self.location)
            .field("backends", &self.backends.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Default for Cache {
    fn default() -> Self {
        Cache::from_env()
    }
}

impl Cache {
    fn with_location(location: Location) -> Self {
        Cache { location, session: SessionStore::new(), backends: BTreeMap::new(), reporter: None }
    }

    /// Parquet entries in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Cache::with_location(Location::Dir(dir.into()))
    }

    /// Parquet entries in `$XORQ_CACHE_DIR`, else `~/.cache/xorq` (looked up when a cache node
    /// is first met).
    pub fn from_env() -> Self {
        Cache::with_location(Location::Default)
    }

    /// No caching: cache nodes pass their input's rows through, computed every time.
    pub fn disabled() -> Self {
        Cache::with_location(Location::Disabled)
    }

    /// `$XORQ_CACHE_DIR`, else `~/.cache/xorq`.
    pub fn default_dir() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => Ok(PathBuf::from(home).join(".cache").join("xorq")),
            None => Err(ExecError::Cache(format!(
                "no cache directory: `{CACHE_DIR_ENV}` and `HOME` are not set\nhint: set `{CACHE_DIR_ENV}` or pass `--cache-dir`"
            ))),
        }
    }

    /// Keeps results of source storage in the backend of `profile` in `store`.
    pub fn with_backend(mut self, profile: &str, store: Arc<dyn CacheStore>) -> Self {
        self.backends.insert(profile.to_string(), store);
        self
    }

    /// Calls `reporter` with every cache event (hits, misses and why, stores, warnings). Without
    /// one, warnings go to `tracing` at warn level and the rest at debug level.
    pub fn on_event(mut self, reporter: impl Fn(&CacheEvent) + Send + Sync + 'static) -> Self {
        self.reporter = Some(Arc::new(reporter));
        self
    }

    /// Whether cache nodes are looked up at all.
    pub fn is_enabled(&self) -> bool {
        !matches!(self.location, Location::Disabled)
    }

    /// The cache directory, if caching is enabled.
    pub fn dir(&self) -> Result<Option<PathBuf>> {
        match &self.location {
            Location::Dir(d) => Ok(Some(d.clone())),
            Location::Default => Cache::default_dir().map(Some),
            Location::Disabled => Ok(None),
        }
    }

    /// The Parquet store of the cache directory.
    pub fn parquet_store(&self) -> Result<ParquetStore> {
        let dir = self.dir()?.ok_or_else(|| ExecError::Cache("caching is disabled".into()))?;
        Ok(ParquetStore::new(dir))
    }

    /// The session's own store (source storage in the embedded engine).
    pub fn session_store(&self) -> &SessionStore {
        &self.session
    }

    pub(crate) fn store_for(&self, storage: &CacheStorage) -> Result<Arc<dyn CacheStore>> {
        match storage {
            CacheStorage::Parquet => Ok(Arc::new(self.parquet_store()?)),
            CacheStorage::Source { profile: None } => Ok(Arc::new(self.session.clone())),
            CacheStorage::Source { profile: Some(p) } => self.backends.get(p).cloned().ok_or_else(|| {
                ExecError::Cache(format!(
                    "source storage in backend `{p}`: no store is registered for that profile; backend engines other than the embedded DataFusion arrive with their own issue\nhint: cache with parquet storage (`Table::cache`) or in the session (`CacheStorage::source()`)"
                ))
            }),
            other => Err(ExecError::Cache(format!("cache storage `{other}` is not known to this xorq-rs"))),
        }
    }

    pub(crate) fn report(&self, event: CacheEvent) {
        match &self.reporter {
            Some(r) => r(&event),
            None if event.outcome.is_warning() => tracing::warn!("{event}"),
            None => tracing::debug!("{event}"),
        }
    }
}
