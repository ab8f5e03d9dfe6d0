//! The Parquet store: entries as directories of the cache directory.
//!
//! ```text
//! <cache dir>/xorq-rs-v1/
//!   <64-hex address>-<freshness>-<16-hex token>/   one entry
//!     data.parquet                                 the rows (LZ4)
//!     entry.json                                   the sidecar (EntryMeta)
//!     hits                                         one byte appended per hit
//!   .staging-<pid>-<random>/                       an entry being written
//!   .trash-<pid>-<random>/                         an entry being removed
//!   verified/<blake3>-<identity>                   bundled build files verified once per file
//!                                                  identity (see `xorq_fs::verify`)
//! ```
//!
//! An entry is written into a staging directory beside the entries (same file system), its data
//! and sidecar are fsynced, and the directory is renamed into place in one step
//! (`xorq_fs::Staging`): a reader sees a whole entry or none, and a process killed at any point
//! leaves at most a staging directory, which is never read and is removed by the next lookup or
//! write in this process's first use of the directory once its process is gone (the owner holds
//! a lock on it, and its process id is in its name). Two processes writing the same key both
//! compute; the first rename wins, the second finds the entry there and discards its copy (a
//! rename never replaces a non-empty directory). Removing an entry renames it to a trash
//! directory first, so a removal is atomic too.
//!
//! **Every hit is verified in full** before it is served: the sidecar, the data file's size, its
//! Parquet footer, row count and columns, and the BLAKE3 of every byte of the data against the
//! one the sidecar records. A damaged entry (one flipped bit, a truncated or replaced file, a
//! damaged page or footer, an edited sidecar) is removed and computed again, never served.
//!
//! Why the BLAKE3 and not Parquet page checksums: the `parquet` crate we build on (59) never
//! writes page CRCs and only checks them with a cargo feature (`crc`) that DataFusion's reader
//! would need too; and page CRCs cover page bodies only, not page headers, the footer or its
//! statistics (a flipped min/max prunes row groups: a wrong answer with valid pages). The hash
//! covers every byte, and costs one sequential read of the file at a few GB/s, measured against
//! reading the entry in `crates/xorq-cli/benches/cache.rs`.
//!
//! The hash is a check against damage (bit rot, torn or truncated writes, hand edits), not
//! against forgery: whoever can write the cache directory can write a matching sidecar.

use std::collections::BTreeSet;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use parquet::file::metadata::ParquetMetaDataReader;
use xorq_core::plan::FileFormat;
use xorq_core::{DataType, Schema, Source};
use xorq_fs::{Published, Staging};

use super::data_file::{DataFile, replaces_expired};
use super::key::EntryKey;
use super::store::{CacheStore, Committed, ENTRY_FORMAT, ENTRY_VERSION, EntryMeta, EntryWriter, Lookup};
use crate::error::{ExecError, Result};

/// Directory of the cache directory that holds this version's entries.
pub const ENTRIES_DIR: &str = "xorq-rs-v1";
const DATA: &str = "data.parquet";
pub(crate) const SIDECAR: &str = "entry.json";
const HITS: &str = "hits";
/// Directory of the entries directory remembering verified file identities.
pub const VERIFIED_DIR: &str = "verified";
pub(crate) const STAGING: &str = ".staging-";
const TRASH: &str = ".trash-";

/// Entries directories this process has swept already (a sweep reads the directory once).
static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Entries kept as Parquet files in a cache directory.
#[derive(Clone, Debug)]
pub struct ParquetStore {
    cache_dir: PathBuf,
    dir: PathBuf,
}

/// An entry as a listing sees it: its sidecar and use, without opening its data.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    /// Its name ([`EntryKey::name`]).
    pub name: String,
    /// Where it is: its directory, or its prefix in a bucket.
    pub location: String,
    /// Its sidecar, or why it cannot be read.
    pub meta: std::result::Result<EntryMeta, String>,
    /// How many times it was used.
    pub hits: u64,
    /// When it was last written or used.
    pub last_used: SystemTime,
}

impl StoredEntry {
    /// Bytes of its data (0 when the sidecar is unreadable).
    pub fn bytes(&self) -> u64 {
        self.meta.as_ref().map_or(0, |m| m.bytes)
    }
}

pub(crate) fn io_err(action: &str, path: &Path) -> impl FnOnce(io::Error) -> ExecError {
    let (action, path) = (action.to_string(), path.to_path_buf());
    move |source| ExecError::CacheIo { action, path, source }
}

impl ParquetStore {
    /// The store in `cache_dir` (created when the first entry is written).
    pub fn new(cache_dir: impl Into<PathBuf>) -> Self {
        let cache_dir = cache_dir.into();
        let dir = cache_dir.join(ENTRIES_DIR);
        ParquetStore { cache_dir, dir }
    }

    /// The cache directory.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    /// The directory holding the entries.
    pub fn entries_dir(&self) -> &Path {
        &self.dir
    }

    /// Where files verified against their content hash are remembered, once per file identity
    /// (bundled data of builds; see `xorq_fs::verify`).
    pub fn verified_dir(&self) -> PathBuf {
        self.dir.join(VERIFIED_DIR)
    }

    /// The directory of the entry for `key`.
    pub fn entry_dir(&self, key: &EntryKey) -> PathBuf {
        self.dir.join(key.name())
    }

    /// Every entry, newest first, from the sidecars alone. Staging and trash directories left by
    /// processes that are gone are removed on the way.
    pub fn entries(&self) -> Result<Vec<StoredEntry>> {
        self.clean_debris();
        let mut out = Vec::new();
        let read = match fs::read_dir(&self.dir) {
            Ok(r) => r,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_err("list", &self.dir)(e)),
        };
        for entry in read {
            let entry = entry.map_err(io_err("list", &self.dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if EntryKey::parse_name(&name).is_none() {
                continue;
            }
            let path = entry.path();
            let meta = read_sidecar(&path).and_then(|(_, m)| m);
            let created = meta.as_ref().ok().and_then(EntryMeta::created_time);
            let (hits, used) = match fs::metadata(path.join(HITS)) {
                Ok(m) => (m.len(), m.modified().ok()),
                Err(_) => (0, None),
            };
            let last_used = used.max(created).unwrap_or(SystemTime::UNIX_EPOCH);
            let location = path.display().to_string();
            out.push(StoredEntry { name, location, meta, hits, last_used });
        }
        out.sort_by(|a, b| b.last_used.cmp(&a.last_used).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Removes one entry (atomically: it is renamed away first). Returns whether it existed.
    pub fn remove(&self, name: &str) -> Result<bool> {
        if EntryKey::parse_name(name).is_none() {
            return Err(ExecError::Cache(format!("`{name}` is not the name of a cache entry")));
        }
        discard(&self.dir, &self.dir.join(name))
    }

    /// Checks an entry in full: the sidecar, the Parquet footer and the BLAKE3 of every byte of
    /// the data against the one recorded. `Err` says what is wrong.
    pub fn verify(&self, name: &str) -> Result<std::result::Result<(), String>> {
        let path = self.dir.join(name);
        let (_, meta) = read_sidecar(&path).map_err(ExecError::Cache)?;
        let meta = match meta {
            Ok(m) => m,
            Err(e) => return Ok(Err(e)),
        };
        Ok(check_data(&path, &meta, None))
    }

    /// Removes staging and trash directories whose processes are gone (see `xorq_fs::sweep`).
    /// Returns how many were removed.
    pub fn clean_debris(&self) -> usize {
        xorq_fs::sweep(&self.dir, STAGING) + xorq_fs::sweep(&self.dir, TRASH)
    }

    /// [`ParquetStore::clean_debris`], once per process and directory.
    fn clean_debris_once(&self) {
        let first = SWEPT.lock().unwrap_or_else(PoisonError::into_inner).insert(self.dir.clone());
        if first {
            self.clean_debris();
        }
    }

    fn previous(&self, key: &EntryKey) -> Vec<EntryMeta> {
        let prefix = key.prefix();
        let Ok(read) = fs::read_dir(&self.dir) else { return Vec::new() };
        let mut out: Vec<EntryMeta> = read
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
            .filter_map(|e| read_sidecar(&e.path()).ok().and_then(|(_, m)| m.ok()))
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created));
        out
    }

    /// One lookup; `repair`: sweep debris and remove a damaged entry (a run), or change
    /// nothing (a peek).
    fn lookup_once(&self, key: &EntryKey, schema: &Schema, repair: bool) -> Result<Option<Lookup>> {
        if repair {
            self.clean_debris_once();
        }
        let dir = self.entry_dir(key);
        let (text, meta) = match read_sidecar(&dir) {
            Ok(read) => read,
            Err(_) if !dir.exists() => return Ok(Some(Lookup::Miss { previous: self.previous(key), damaged: None })),
            Err(e) => (String::new(), Err(e)),
        };
        let checked = meta.and_then(|m| check_data(&dir, &m, Some((key, schema))).map(|()| m));
        match checked {
            Ok(meta) => {
                let location = dir.join(DATA);
                let location = location
                    .to_str()
                    .ok_or_else(|| ExecError::Cache(format!("the cache path `{}` is not UTF-8", location.display())))?;
                let mut source = Source::file(FileFormat::Parquet, location, schema.clone())?;
                source.name = format!("cache_{}", key.address.short());
                Ok(Some(Lookup::Hit { source, meta: Box::new(meta) }))
            }
            Err(damage) => {
                // A concurrent replacement swaps the whole directory: if the sidecar changed
                // under us, look again rather than call a fresh entry damaged.
                if read_sidecar(&dir).map(|(t, _)| t).ok().is_some_and(|now| now != text) {
                    return Ok(None);
                }
                if repair {
                    discard(&self.dir, &dir)?;
                }
                Ok(Some(Lookup::Miss { previous: self.previous(key), damaged: Some(damage) }))
            }
        }
    }
}

/// The sidecar's text and what it says (`Err` when it is missing or malformed).
fn read_sidecar(dir: &Path) -> std::result::Result<(String, std::result::Result<EntryMeta, String>), String> {
    let text = fs::read_to_string(dir.join(SIDECAR)).map_err(|e| format!("its sidecar cannot be read: {e}"))?;
    let meta = parse_sidecar(&text);
    Ok((text, meta))
}

/// What a sidecar's text says (`Err`: why it cannot be used).
pub(crate) fn parse_sidecar(text: &str) -> std::result::Result<EntryMeta, String> {
    serde_json::from_str::<EntryMeta>(text).map_err(|e| format!("its sidecar is malformed: {e}")).and_then(|m| {
        if m.format != ENTRY_FORMAT || m.version != ENTRY_VERSION {
            Err(format!(
                "its sidecar is `{}` version {}, not `{ENTRY_FORMAT}` version {ENTRY_VERSION}",
                m.format, m.version
            ))
        } else {
            Ok(m)
        }
    })
}

/// Checks the data file against the sidecar (and, for a lookup, the key and columns): size,
/// footer, rows, columns, and the BLAKE3 of every byte.
fn check_data(dir: &Path, meta: &EntryMeta, expected: Option<(&EntryKey, &Schema)>) -> std::result::Result<(), String> {
    check_data_file(&dir.join(DATA), meta, expected)
}

/// [`check_data`] of the data file at `path`.
pub(crate) fn check_data_file(
    path: &Path,
    meta: &EntryMeta,
    expected: Option<(&EntryKey, &Schema)>,
) -> std::result::Result<(), String> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| DATA.to_string());
    if let Some((key, _)) = expected
        && (meta.key != key.name() || meta.token != key.token.hex())
    {
        return Err(format!("its sidecar names entry `{}`", meta.key));
    }
    let Some(recorded) = meta.blake3.as_deref() else {
        return Err("its sidecar records no BLAKE3 of the data, so it cannot be verified".into());
    };
    let (mut file, info) = xorq_fs::open_regular(path).map_err(|e| format!("{name}: {e}"))?;
    let len = info.len();
    if len != meta.bytes {
        return Err(format!("{name} is {len} bytes, the sidecar records {}", meta.bytes));
    }
    let (hash, _) = xorq_fs::hash_reader(&mut file, path).map_err(|e| e.to_string())?;
    let actual = hash.to_hex();
    if actual.as_str() != recorded {
        return Err(format!(
            "the data's BLAKE3 is {}…, the sidecar records {}…",
            &actual[..12],
            &recorded[..12.min(recorded.len())]
        ));
    }
    let footer = ParquetMetaDataReader::new()
        .parse_and_finish(&file)
        .map_err(|e| format!("{name} has no readable Parquet footer: {e}"))?;
    let rows = u64::try_from(footer.file_metadata().num_rows()).unwrap_or(u64::MAX);
    if rows != meta.rows {
        return Err(format!("{name} holds {rows} rows, the sidecar records {}", meta.rows));
    }
    if let Some((_, schema)) = expected {
        let arrow = parquet::arrow::parquet_to_arrow_schema(
            footer.file_metadata().schema_descr(),
            footer.file_metadata().key_value_metadata(),
        )
        .map_err(|e| format!("{name} has columns Arrow cannot read: {e}"))?;
        let found: Vec<(String, Option<DataType>)> = arrow
            .fields()
            .iter()
            .map(|f| (f.name().clone(), DataType::from_arrow(f.name(), f.data_type()).ok()))
            .collect();
        let wanted: Vec<(String, Option<DataType>)> =
            schema.fields().iter().map(|f| (f.name.clone(), Some(f.dtype.clone()))).collect();
        if found != wanted {
            return Err(format!("{name} has other columns than the cached expression ({schema})"));
        }
    }
    Ok(())
}

/// Renames `dir` to a trash directory, then removes it. `false` if it was not there.
fn discard(store_dir: &Path, dir: &Path) -> Result<bool> {
    let trash = Staging::new_in(store_dir, TRASH).map_err(|e| ExecError::Cache(e.to_string()))?;
    let target = trash.path().join("entry");
    match fs::rename(dir, &target) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_err("remove", dir)(e)),
    }
    // `trash` is removed when dropped.
}

impl CacheStore for ParquetStore {
    fn describe(&self) -> String {
        self.cache_dir.display().to_string()
    }

    fn lookup(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup> {
        // One retry: a concurrent replacement can swap the entry while it is checked.
        for _ in 0..2 {
            if let Some(found) = self.lookup_once(key, schema, true)? {
                return Ok(found);
            }
        }
        Ok(Lookup::Miss { previous: self.previous(key), damaged: None })
    }

    fn peek(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup> {
        for _ in 0..2 {
            if let Some(found) = self.lookup_once(key, schema, false)? {
                return Ok(found);
            }
        }
        Ok(Lookup::Miss { previous: self.previous(key), damaged: None })
    }

    fn writer(&self, key: &EntryKey, schema: ArrowSchemaRef) -> Result<Box<dyn EntryWriter>> {
        fs::create_dir_all(&self.dir).map_err(io_err("create the cache directory", &self.dir))?;
        self.clean_debris();
        let staging = Staging::new_in(&self.dir, STAGING).map_err(|e| ExecError::Cache(e.to_string()))?;
        let data = DataFile::create(&staging.path().join(DATA), schema)?;
        Ok(Box::new(ParquetEntryWriter { store: self.clone(), key: key.clone(), staging: Some(staging), data }))
    }

    fn record_hit(&self, key: &EntryKey) {
        let hits = self.entry_dir(key).join(HITS);
        // Best effort: a lost count never affects a result.
        if let Ok(mut f) = OpenOptions::new().append(true).create(true).open(hits) {
            let _ = f.write_all(b"\n");
        }
    }
}

struct ParquetEntryWriter {
    store: ParquetStore,
    key: EntryKey,
    /// Removed when dropped, unless published.
    staging: Option<Staging>,
    data: DataFile,
}

impl EntryWriter for ParquetEntryWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.data.write(batch)
    }

    fn commit(mut self: Box<Self>, mut meta: EntryMeta, replace: Option<SystemTime>) -> Result<Committed> {
        let staging = self.staging.take().ok_or_else(|| ExecError::Cache("the cache entry is closed".into()))?;
        self.data.finish(&mut meta)?;
        let sidecar = staging.path().join(SIDECAR);
        let text = serde_json::to_vec_pretty(&meta)
            .map_err(|e| ExecError::Cache(format!("cannot write a cache sidecar: {e}")))?;
        xorq_fs::write_new(&sidecar, &text).map_err(|e| ExecError::Cache(e.to_string()))?;

        let target = self.store.entry_dir(&self.key);
        let publish = |staging: Staging| staging.publish(&target).map_err(|e| ExecError::Cache(e.to_string()));
        // A rename never replaces a non-empty directory: another writer may have got there first.
        if let Published::TargetExists(staging) = publish(staging)? {
            let existing = read_sidecar(&target).ok().and_then(|(_, m)| m.ok());
            if !replaces_expired(replace, existing.as_ref()) {
                return Ok(Committed::Existing);
            }
            discard(&self.store.dir, &target)?;
            if let Published::TargetExists(_) = publish(staging)? {
                return Ok(Committed::Existing);
            }
        }
        self.remove_superseded(&meta);
        Ok(Committed::Published(Box::new(meta)))
    }
}

impl ParquetEntryWriter {
    /// Entries for the same expression, freshness and parameter values with another token were
    /// written from sources that have changed since: they can never hit again.
    fn remove_superseded(&self, meta: &EntryMeta) {
        let prefix = self.key.prefix();
        let name = self.key.name();
        let Ok(read) = fs::read_dir(&self.store.dir) else { return };
        for entry in read.flatten() {
            let other = entry.file_name().to_string_lossy().into_owned();
            if other == name || !other.starts_with(&prefix) {
                continue;
            }
            if read_sidecar(&entry.path()).ok().and_then(|(_, m)| m.ok()).is_some_and(|m| m.params == meta.params) {
                let _ = discard(&self.store.dir, &entry.path());
            }
        }
    }
}
