//! The bucket store: Parquet entries under an object-store prefix (`--cache-dir
//! s3://bucket/team-cache`), so that a teammate's identical computation is a hit.
//!
//! ```text
//! <prefix>/xorq-rs-v1/
//!   <64-hex address>-<freshness>/        every entry of one expression and freshness
//!     <16-hex token>/
//!       <blake3>.parquet                 the rows, named by the BLAKE3 of their bytes
//!       entry.json                       the sidecar (EntryMeta), written last
//! ```
//!
//! **Publishing is atomic without renames** (object stores have none): the data is uploaded
//! first, under a name no other entry's data can have, then the sidecar is written with a
//! create-only conditional put (`If-None-Match: *`). A reader looks for the sidecar, so it sees a
//! whole entry or none; of two writers of one key exactly one sidecar is created, and the loser
//! removes its data if it differs from the winner's. A writer killed before the sidecar leaves an
//! orphaned data object that is never read (nor yet removed: `xorq cache prune` goes by sidecars).
//!
//! **Every hit is verified in full**, as in the directory store: the rows are downloaded into the
//! local cache directory (`<local cache>/xorq-rs-v1/bucket/<blake3>.parquet`, shared by entries of
//! equal bytes, so a second hit reads the local copy) and checked against the sidecar (size,
//! BLAKE3 of every byte, footer, rows, columns) before they are served. A damaged entry in the
//! bucket is removed and computed again; a damaged local copy is fetched again.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use futures::{StreamExt, TryStreamExt};
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};
use tokio::io::AsyncWriteExt;
use xorq_core::plan::FileFormat;
use xorq_core::{Schema, Source};
use xorq_engines::remote::{self, RemoteUrl};
use xorq_fs::Staging;

use super::data_file::{DataFile, replaces_expired};
use super::key::EntryKey;
use super::parquet::{ENTRIES_DIR, SIDECAR, STAGING, StoredEntry, check_data_file, io_err, parse_sidecar};
use super::store::{CacheStore, Committed, EntryMeta, EntryWriter, Lookup};
use crate::error::{ExecError, Result};

/// Directory of the local entries directory holding verified copies of bucket entries.
const LOCAL_COPIES: &str = "bucket";

/// Entries kept as Parquet objects under a bucket prefix (see the module documentation).
#[derive(Clone, Debug)]
pub struct BucketStore {
    url: RemoteUrl,
    store: Arc<dyn ObjectStore>,
    root: ObjectPath,
    local: PathBuf,
}

fn failed(url: &str, e: object_store::Error) -> ExecError {
    ExecError::Engine(remote::remote_error(url, e))
}

impl BucketStore {
    /// The store under `url` (`s3://bucket/prefix`), keeping verified local copies of what it
    /// serves under `local_cache_dir`.
    pub fn new(url: &str, local_cache_dir: &Path) -> Result<BucketStore> {
        let url = RemoteUrl::parse(url)?;
        if url.kind() == remote::StoreKind::Http || url.is_glob() {
            return Err(ExecError::Cache(format!(
                "`{}` cannot hold a cache: it needs a bucket that takes writes (s3://, gs://, az://)",
                url.shown()
            )));
        }
        let store = remote::store_for(&url)?;
        let root = url.key().parts().chain(std::iter::once(ENTRIES_DIR.into())).collect();
        Ok(BucketStore { url, store, root, local: local_cache_dir.join(ENTRIES_DIR).join(LOCAL_COPIES) })
    }

    /// Where the entries are (`s3://bucket/prefix`).
    pub fn url(&self) -> String {
        self.url.shown()
    }

    fn group(&self, key: &EntryKey) -> ObjectPath {
        self.root.clone().join(key.prefix().trim_end_matches('-'))
    }

    fn entry_path(&self, name: &str) -> Option<ObjectPath> {
        EntryKey::parse_name(name)?;
        let (group, token) = name.rsplit_once('-')?;
        Some(self.root.clone().join(group).join(token))
    }

    fn entry_of(&self, key: &EntryKey) -> ObjectPath {
        self.group(key).join(&key.token.hex()[..16])
    }

    fn object_url(&self, path: &ObjectPath) -> String {
        self.url.object_url(path)
    }

    /// The sidecar of the entry under `dir`: `None` when there is none, else its text and what
    /// it says.
    fn sidecar(&self, dir: &ObjectPath) -> Result<Option<(String, std::result::Result<EntryMeta, String>)>> {
        let path = dir.clone().join(SIDECAR);
        let store = Arc::clone(&self.store);
        let url = self.object_url(&path);
        let got = remote::block_on(async move {
            match store.get(&path).await {
                Ok(found) => found.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        match got.map_err(|e| failed(&url, e))? {
            None => Ok(None),
            Some(bytes) => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let meta = parse_sidecar(&text);
                Ok(Some((text, meta)))
            }
        }
    }

    /// Every sidecar under `prefix`, with the directory it is in.
    fn sidecars_under(&self, prefix: &ObjectPath) -> Result<Vec<(ObjectPath, std::result::Result<EntryMeta, String>)>> {
        let store = Arc::clone(&self.store);
        let prefix = prefix.clone();
        let url = self.object_url(&prefix);
        let found = remote::block_on(async move {
            let listed: Vec<object_store::ObjectMeta> = store.list(Some(&prefix)).try_collect().await?;
            let sidecars = listed.into_iter().filter(|m| m.location.filename() == Some(SIDECAR));
            futures::stream::iter(sidecars)
                .map(|m| {
                    let store = Arc::clone(&store);
                    async move {
                        let bytes = store.get(&m.location).await?.bytes().await?;
                        let parts: Vec<_> = m.location.parts().collect();
                        let dir: ObjectPath = parts[..parts.len().saturating_sub(1)].iter().cloned().collect();
                        Ok::<_, object_store::Error>((dir, parse_sidecar(&String::from_utf8_lossy(&bytes))))
                    }
                })
                .buffer_unordered(16)
                .try_collect::<Vec<_>>()
                .await
        });
        found.map_err(|e| failed(&url, e))
    }

    fn previous(&self, key: &EntryKey) -> Vec<EntryMeta> {
        let mut out: Vec<EntryMeta> = self
            .sidecars_under(&self.group(key))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(_, m)| m.ok())
            .filter(|m| m.key != key.name())
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created));
        out
    }

    /// Deletes every object under `dir`.
    fn delete_all(&self, dir: &ObjectPath) -> Result<()> {
        let store = Arc::clone(&self.store);
        let dir = dir.clone();
        let url = self.object_url(&dir);
        remote::block_on(async move {
            let listed = store.list(Some(&dir)).map_ok(|m| m.location).boxed();
            store.delete_stream(listed).try_collect::<Vec<_>>().await.map(|_| ())
        })
        .map_err(|e| failed(&url, e))
    }

    fn delete(&self, path: &ObjectPath) {
        let store = Arc::clone(&self.store);
        let path = path.clone();
        // Best effort: what is left is an orphan no sidecar names.
        let _ = remote::block_on(async move { store.delete(&path).await });
    }

    /// The local copy of an entry's data (`<blake3>.parquet`, shared by entries of equal bytes),
    /// downloaded unless it is there already, and whether it was just downloaded (then a copy
    /// that fails verification means the bucket's data is damaged, not the copy). `Err` says
    /// what is wrong with the entry in the bucket.
    fn local_copy(&self, dir: &ObjectPath, meta: &EntryMeta) -> Result<std::result::Result<(PathBuf, bool), String>> {
        let Some(hash) = meta.blake3.clone().filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return Ok(Err("its sidecar records no BLAKE3 of the data, so it cannot be verified".into()));
        };
        let copy = self.local.join(format!("{hash}.parquet"));
        if copy.exists() {
            return Ok(Ok((copy, false)));
        }
        fs::create_dir_all(&self.local).map_err(io_err("create the cache directory", &self.local))?;
        xorq_fs::sweep(&self.local, STAGING);
        let staging = Staging::new_in(&self.local, STAGING).map_err(|e| ExecError::Cache(e.to_string()))?;
        let part = staging.path().join("data.parquet");
        let object = dir.clone().join(format!("{hash}.parquet"));
        let url = self.object_url(&object);
        let store = Arc::clone(&self.store);
        let target = part.clone();
        let found = remote::block_on(async move {
            let found = match store.get(&object).await {
                Ok(found) => found,
                Err(object_store::Error::NotFound { .. }) => return Ok(false),
                Err(e) => return Err(ExecError::Engine(remote::remote_error(&url, e))),
            };
            let mut file = fs::File::create(&target).map_err(io_err("create", &target))?;
            let mut stream = found.into_stream();
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| ExecError::Engine(remote::remote_error(&url, e)))?;
                file.write_all(&chunk).map_err(io_err("write", &target))?;
            }
            file.sync_all().map_err(io_err("sync", &target))?;
            Ok(true)
        })?;
        if !found {
            return Ok(Err(format!("its data `{hash}.parquet` is missing from the bucket")));
        }
        // Under its content's name from now on; every reader verifies it in full before using
        // it, and the caller removes it when that fails.
        match fs::rename(&part, &copy) {
            Ok(()) => Ok(Ok((copy, true))),
            // Another process renamed the same download there first.
            Err(_) if copy.exists() => Ok(Ok((copy, true))),
            Err(e) => Err(io_err("keep", &copy)(e)),
        }
    }

    fn lookup_inner(&self, key: &EntryKey, schema: &Schema, repair: bool) -> Result<Lookup> {
        let dir = self.entry_of(key);
        let Some((_, meta)) = self.sidecar(&dir)? else {
            return Ok(Lookup::Miss { previous: self.previous(key), damaged: None });
        };
        let meta = match meta {
            Ok(m) if m.key == key.name() && m.token == key.token.hex() => m,
            Ok(m) => return self.damaged(&dir, key, repair, format!("its sidecar names entry `{}`", m.key)),
            Err(why) => return self.damaged(&dir, key, repair, why),
        };
        if !repair {
            // A peek: what would be read, changing nothing (no download).
            let data = dir.clone().join(format!("{}.parquet", meta.blake3.as_deref().unwrap_or("missing")));
            let mut source = Source::file(FileFormat::Parquet, &self.object_url(&data), schema.clone())?;
            source.name = format!("cache_{}", key.address.short());
            return Ok(Lookup::Hit { source, meta: Box::new(meta) });
        }
        // A copy kept from an earlier hit that fails verification is fetched once more before
        // the bucket's entry is blamed; a copy just downloaded that fails is the bucket's.
        for _ in 0..2 {
            let (copy, fresh) = match self.local_copy(&dir, &meta)? {
                Ok(found) => found,
                Err(damage) => return self.damaged(&dir, key, repair, damage),
            };
            match check_data_file(&copy, &meta, Some((key, schema))) {
                Ok(()) => {
                    let location = copy
                        .to_str()
                        .ok_or_else(|| ExecError::Cache(format!("the cache path `{}` is not UTF-8", copy.display())))?;
                    let mut source = Source::file(FileFormat::Parquet, location, schema.clone())?;
                    source.name = format!("cache_{}", key.address.short());
                    return Ok(Lookup::Hit { source, meta: Box::new(meta) });
                }
                Err(why) => {
                    let _ = fs::remove_file(&copy);
                    if fresh {
                        return self.damaged(&dir, key, repair, why);
                    }
                }
            }
        }
        self.damaged(&dir, key, repair, "its local copy keeps failing verification".into())
    }

    /// Removes the entry under `dir`: its sidecar first (from then on no reader uses it), then
    /// everything else.
    fn discard(&self, dir: &ObjectPath) -> Result<()> {
        self.delete(&dir.clone().join(SIDECAR));
        self.delete_all(dir)
    }

    fn damaged(&self, dir: &ObjectPath, key: &EntryKey, repair: bool, why: String) -> Result<Lookup> {
        if repair {
            self.discard(dir)?;
        }
        Ok(Lookup::Miss { previous: self.previous(key), damaged: Some(why) })
    }

    /// Every entry, newest first, from the sidecars (no data is read).
    pub fn entries(&self) -> Result<Vec<StoredEntry>> {
        let mut out: Vec<StoredEntry> = self
            .sidecars_under(&self.root)?
            .into_iter()
            .filter_map(|(dir, meta)| {
                let mut parts = dir.parts().collect::<Vec<_>>().into_iter().rev();
                let token = parts.next()?;
                let group = parts.next()?;
                let name = format!("{}-{}", group.as_ref(), token.as_ref());
                EntryKey::parse_name(&name)?;
                let last_used = meta.as_ref().ok().and_then(EntryMeta::created_time).unwrap_or(SystemTime::UNIX_EPOCH);
                Some(StoredEntry { name, location: self.object_url(&dir), meta, hits: 0, last_used })
            })
            .collect();
        out.sort_by(|a, b| b.last_used.cmp(&a.last_used).then_with(|| a.name.cmp(&b.name)));
        Ok(out)
    }

    /// Removes one entry: its sidecar first (from then on it is gone for readers), then its
    /// data. Returns whether it existed.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let dir = self
            .entry_path(name)
            .ok_or_else(|| ExecError::Cache(format!("`{name}` is not the name of a cache entry")))?;
        let existed = self.sidecar(&dir)?.is_some();
        self.discard(&dir)?;
        Ok(existed)
    }

    /// Checks an entry in full (downloads its data): `Err` says what is wrong.
    pub fn verify(&self, name: &str) -> Result<std::result::Result<(), String>> {
        let dir = self
            .entry_path(name)
            .ok_or_else(|| ExecError::Cache(format!("`{name}` is not the name of a cache entry")))?;
        let Some((_, meta)) = self.sidecar(&dir)? else {
            return Ok(Err("its sidecar is not in the bucket".into()));
        };
        let meta = match meta {
            Ok(m) => m,
            Err(e) => return Ok(Err(e)),
        };
        Ok(match self.local_copy(&dir, &meta)? {
            Ok((copy, _)) => {
                let checked = check_data_file(&copy, &meta, None);
                if checked.is_err() {
                    let _ = fs::remove_file(&copy);
                }
                checked
            }
            Err(why) => Err(why),
        })
    }

    /// Removes the download and upload staging left locally by processes that are gone.
    pub fn clean_debris(&self) -> usize {
        xorq_fs::sweep(&self.local, STAGING)
    }
}

impl CacheStore for BucketStore {
    fn describe(&self) -> String {
        self.url()
    }

    fn lookup(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup> {
        self.lookup_inner(key, schema, true)
    }

    fn peek(&self, key: &EntryKey, schema: &Schema) -> Result<Lookup> {
        self.lookup_inner(key, schema, false)
    }

    fn writer(&self, key: &EntryKey, schema: ArrowSchemaRef) -> Result<Box<dyn EntryWriter>> {
        fs::create_dir_all(&self.local).map_err(io_err("create the cache directory", &self.local))?;
        self.clean_debris();
        let staging = Staging::new_in(&self.local, STAGING).map_err(|e| ExecError::Cache(e.to_string()))?;
        let data = DataFile::create(&staging.path().join("data.parquet"), schema)?;
        Ok(Box::new(BucketEntryWriter { store: self.clone(), key: key.clone(), staging: Some(staging), data }))
    }
}

struct BucketEntryWriter {
    store: BucketStore,
    key: EntryKey,
    /// Holds the local file being written; removed when dropped.
    staging: Option<Staging>,
    data: DataFile,
}

impl EntryWriter for BucketEntryWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.data.write(batch)
    }

    fn commit(mut self: Box<Self>, mut meta: EntryMeta, replace: Option<SystemTime>) -> Result<Committed> {
        let staging = self.staging.take().ok_or_else(|| ExecError::Cache("the cache entry is closed".into()))?;
        self.data.finish(&mut meta)?;
        let local = self.data.path().to_path_buf();
        let hash = meta.blake3.clone().unwrap_or_default();
        let sidecar = serde_json::to_vec_pretty(&meta)
            .map_err(|e| ExecError::Cache(format!("cannot write a cache sidecar: {e}")))?;

        let bucket = &self.store;
        let dir = bucket.entry_of(&self.key);
        let data = dir.clone().join(format!("{hash}.parquet"));
        upload(bucket, &local, &data)?;
        let published = match create(bucket, &dir.clone().join(SIDECAR), &sidecar)? {
            true => true,
            false => {
                // Another writer's sidecar is there: keep it, unless it is the expired entry this
                // write replaces.
                let existing = bucket.sidecar(&dir)?.and_then(|(_, m)| m.ok());
                let expired = replaces_expired(replace, existing.as_ref());
                if expired {
                    bucket.delete(&dir.clone().join(SIDECAR));
                    if let Some(old) = existing.and_then(|m| m.blake3).filter(|old| *old != hash) {
                        bucket.delete(&dir.clone().join(format!("{old}.parquet")));
                    }
                    create(bucket, &dir.clone().join(SIDECAR), &sidecar)?
                } else {
                    if existing.and_then(|m| m.blake3).is_some_and(|theirs| theirs != hash) {
                        bucket.delete(&data);
                    }
                    false
                }
            }
        };
        // The rows just written are the verified local copy of what the bucket now holds.
        let copy = bucket.local.join(format!("{hash}.parquet"));
        if published && !copy.exists() {
            let _ = fs::rename(&local, &copy);
        }
        drop(staging);
        if !published {
            return Ok(Committed::Existing);
        }
        self.remove_superseded(&meta);
        Ok(Committed::Published(Box::new(meta)))
    }
}

impl BucketEntryWriter {
    /// Entries for the same expression, freshness and parameter values with another token were
    /// written from sources that have changed since: they can never hit again.
    fn remove_superseded(&self, meta: &EntryMeta) {
        let bucket = &self.store;
        let Ok(others) = bucket.sidecars_under(&bucket.group(&self.key)) else { return };
        for (dir, other) in others {
            if let Ok(other) = other
                && other.key != meta.key
                && other.params == meta.params
            {
                let _ = bucket.discard(&dir);
            }
        }
    }
}

/// Uploads the file at `local` to `path` (in parts when large).
fn upload(bucket: &BucketStore, local: &Path, path: &ObjectPath) -> Result<()> {
    let store = Arc::clone(&bucket.store);
    let (local, path) = (local.to_path_buf(), path.clone());
    let url = bucket.object_url(&path);
    remote::block_on(async move {
        let mut file = tokio::fs::File::open(&local).await.map_err(io_err("read", &local))?;
        let mut writer = BufWriter::new(store, path);
        let copied = tokio::io::copy(&mut file, &mut writer).await;
        match copied {
            Ok(_) => writer.shutdown().await.map_err(|e| upload_err(&url, e)),
            Err(e) => {
                let _ = writer.abort().await;
                Err(upload_err(&url, e))
            }
        }
    })
}

fn upload_err(url: &str, e: std::io::Error) -> ExecError {
    match e.into_inner().map(|inner| inner.downcast::<object_store::Error>()) {
        Some(Ok(store_error)) => failed(url, *store_error),
        Some(Err(other)) => ExecError::Cache(format!("cannot upload `{url}`: {other}")),
        None => ExecError::Cache(format!("cannot upload `{url}`")),
    }
}

/// Writes `bytes` to `path` only if nothing is there: `false` when something was.
fn create(bucket: &BucketStore, path: &ObjectPath, bytes: &[u8]) -> Result<bool> {
    let store = Arc::clone(&bucket.store);
    let path = path.clone();
    let url = bucket.object_url(&path);
    let payload = PutPayload::from(bytes.to_vec());
    let put = remote::block_on(async move {
        store.put_opts(&path, payload, PutOptions { mode: PutMode::Create, ..PutOptions::default() }).await
    });
    match put {
        Ok(_) => Ok(true),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
        Err(object_store::Error::NotImplemented { .. } | object_store::Error::NotSupported { .. }) => {
            Err(ExecError::Cache(format!(
                "`{url}`: this store cannot write an object only if it is absent, which a shared cache needs so that two writers of one entry never mix"
            )))
        }
        Err(e) => Err(failed(&url, e)),
    }
}
