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

pub mod bucket;
mod data_file;
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

pub use bucket::BucketStore;
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
    /// A bucket prefix, and the local directory of its verified copies (else `~/.cache/xorq`).
    Bucket(String, Option<PathBuf>),
    Default,
    Disabled,
}

/// Where entries are kept, once the default is resolved.
enum Resolved {
    Dir(PathBuf),
    Bucket(String, Option<PathBuf>),
}

/// Where a cache is: a directory, or an object-store prefix (`s3://bucket/prefix`).
fn place(text: PathBuf) -> Location {
    match text.to_str() {
        Some(url) if xorq_engines::remote::is_remote(url) => Location::Bucket(url.to_string(), None),
        _ => Location::Dir(text),
    }
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

    /// Parquet entries in `dir`, or under an object-store prefix when `dir` is a URL
    /// (`s3://bucket/team-cache`: a cache a team shares, see [`bucket`]).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Cache::with_location(place(dir.into()))
    }

    /// Parquet entries under the bucket prefix `url` (`s3://bucket/cache`), with the verified
    /// local copies of what it serves in `local_dir` (instead of `~/.cache/xorq`).
    ///
    /// ```
    /// use xorq_exec::cache::Cache;
    /// let cache = Cache::in_bucket("s3://team-bucket/cache", "/tmp/xorq-local");
    /// assert_eq!(cache.dir().unwrap(), Some("/tmp/xorq-local".into()));
    /// ```
    pub fn in_bucket(url: &str, local_dir: impl Into<PathBuf>) -> Self {
        Cache::with_location(Location::Bucket(url.to_string(), Some(local_dir.into())))
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

    /// `$XORQ_CACHE_DIR`, else `~/.cache/xorq` (a URL when the variable names a bucket).
    pub fn default_dir() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        Cache::home_dir()
    }

    /// `~/.cache/xorq`: the local directory of a cache kept in a bucket (verified copies of
    /// what it serves, records of verified build files).
    pub fn home_dir() -> Result<PathBuf> {
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

    fn resolved(&self) -> Result<Option<Resolved>> {
        let location = match &self.location {
            Location::Default => place(Cache::default_dir()?),
            other => other.clone(),
        };
        Ok(match location {
            Location::Dir(d) => Some(Resolved::Dir(d)),
            Location::Bucket(url, local) => Some(Resolved::Bucket(url, local)),
            Location::Default | Location::Disabled => None,
        })
    }

    /// The local cache directory, if caching is enabled: the cache directory itself, or for a
    /// cache in a bucket `~/.cache/xorq`, which keeps verified copies of what it serves.
    pub fn dir(&self) -> Result<Option<PathBuf>> {
        match self.resolved()? {
            Some(Resolved::Dir(d)) => Ok(Some(d)),
            Some(Resolved::Bucket(_, Some(local))) => Ok(Some(local)),
            Some(Resolved::Bucket(_, None)) => Cache::home_dir().map(Some),
            None => Ok(None),
        }
    }

    /// The Parquet store of the local cache directory ([`Cache::dir`]).
    pub fn parquet_store(&self) -> Result<ParquetStore> {
        let dir = self.dir()?.ok_or_else(|| ExecError::Cache("caching is disabled".into()))?;
        Ok(ParquetStore::new(dir))
    }

    /// Where the cache's Parquet entries are: a directory, or a bucket prefix.
    pub fn entries(&self) -> Result<Entries> {
        match self.resolved()? {
            Some(Resolved::Dir(d)) => Ok(Entries::Dir(ParquetStore::new(d))),
            Some(Resolved::Bucket(url, local)) => {
                let local = match local {
                    Some(dir) => dir,
                    None => Cache::home_dir()?,
                };
                Ok(Entries::Bucket(BucketStore::new(&url, &local)?))
            }
            None => Err(ExecError::Cache("caching is disabled".into())),
        }
    }

    /// The session's own store (source storage in the embedded engine).
    pub fn session_store(&self) -> &SessionStore {
        &self.session
    }

    pub(crate) fn store_for(&self, storage: &CacheStorage) -> Result<Arc<dyn CacheStore>> {
        match storage {
            CacheStorage::Parquet => Ok(match self.entries()? {
                Entries::Dir(store) => Arc::new(store),
                Entries::Bucket(store) => Arc::new(store),
            }),
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

/// The Parquet entries of a cache, wherever they are kept: what `xorq cache` lists, shows and
/// prunes.
#[derive(Clone, Debug)]
pub enum Entries {
    /// In a directory.
    Dir(ParquetStore),
    /// Under a bucket prefix.
    Bucket(BucketStore),
}

impl Entries {
    /// Where they are, for messages.
    pub fn describe(&self) -> String {
        match self {
            Entries::Dir(s) => s.describe(),
            Entries::Bucket(s) => s.describe(),
        }
    }

    /// Every entry, most recently used first.
    pub fn list(&self) -> Result<Vec<StoredEntry>> {
        match self {
            Entries::Dir(s) => s.entries(),
            Entries::Bucket(s) => s.entries(),
        }
    }

    /// Removes one entry; whether it existed.
    pub fn remove(&self, name: &str) -> Result<bool> {
        match self {
            Entries::Dir(s) => s.remove(name),
            Entries::Bucket(s) => s.remove(name),
        }
    }

    /// Checks one entry in full: `Err` says what is wrong.
    pub fn verify(&self, name: &str) -> Result<std::result::Result<(), String>> {
        match self {
            Entries::Dir(s) => s.verify(name),
            Entries::Bucket(s) => s.verify(name),
        }
    }

    /// Removes what interrupted writers left; how many.
    pub fn clean_debris(&self) -> usize {
        match self {
            Entries::Dir(s) => s.clean_debris(),
            Entries::Bucket(s) => s.clean_debris(),
        }
    }

    /// The store, for lookups.
    pub fn store(&self) -> &dyn CacheStore {
        match self {
            Entries::Dir(s) => s,
            Entries::Bucket(s) => s,
        }
    }
}
