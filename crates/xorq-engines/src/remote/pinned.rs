//! Reads that notice an object changing under them.
//!
//! A query lists (or heads) its objects, then reads them in ranges: a Parquet footer, then
//! column chunks. If an object is overwritten in between, those ranges come from two different
//! objects, and a same-sized replacement would read as valid. [`Pinned`] wraps a store, remembers
//! the ETag of every object as the last listing, head or read saw it, and sends it as `If-Match`
//! with every later read of that object: a replaced object answers `412 Precondition Failed`,
//! which becomes an error naming the object. The next listing learns the new ETag, so the next
//! query reads the new object.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, Result,
};

/// A store whose reads are pinned to the ETag last seen for each object.
#[derive(Debug)]
pub struct Pinned {
    inner: Arc<dyn ObjectStore>,
    etags: Arc<Mutex<HashMap<Path, String>>>,
}

/// The error an object changed between two reads of one query becomes.
#[derive(Debug)]
pub struct ObjectChanged {
    /// The object's key.
    pub path: Path,
    /// What the store said.
    pub detail: String,
}

impl fmt::Display for ObjectChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "object `{}` changed while it was being read (its ETag is no longer the one listed): the rows would mix two versions; run again to read the new object",
            self.path
        )
    }
}

impl std::error::Error for ObjectChanged {}

impl Pinned {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn ObjectStore>) -> Pinned {
        Pinned { inner, etags: Arc::default() }
    }

    fn remember(etags: &Mutex<HashMap<Path, String>>, meta: &ObjectMeta) {
        if let Some(tag) = &meta.e_tag {
            etags.lock().unwrap_or_else(PoisonError::into_inner).insert(meta.location.clone(), tag.clone());
        }
    }

    fn forget(&self, path: &Path) {
        self.etags.lock().unwrap_or_else(PoisonError::into_inner).remove(path);
    }

    fn pinned(&self, path: &Path) -> Option<String> {
        self.etags.lock().unwrap_or_else(PoisonError::into_inner).get(path).cloned()
    }
}

impl fmt::Display for Pinned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

#[async_trait]
impl ObjectStore for Pinned {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.forget(location);
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.forget(location);
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, mut options: GetOptions) -> Result<GetResult> {
        let pin =
            if options.if_match.is_none() && options.if_none_match.is_none() { self.pinned(location) } else { None };
        if pin.is_some() {
            options.if_match = pin.clone();
        }
        match self.inner.get_opts(location, options).await {
            Ok(result) => {
                if pin.is_none() {
                    Pinned::remember(&self.etags, &result.meta);
                }
                Ok(result)
            }
            Err(object_store::Error::Precondition { source, .. }) if pin.is_some() => {
                self.forget(location);
                Err(object_store::Error::Generic {
                    store: "object storage",
                    source: Box::new(ObjectChanged { path: location.clone(), detail: source.to_string() }),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        // Through `get_opts`, so every range is pinned.
        object_store::coalesce_ranges(
            ranges,
            |range| {
                let options = GetOptions { range: Some(range.into()), ..GetOptions::default() };
                async move { self.get_opts(location, options).await?.bytes().await }
            },
            object_store::OBJECT_STORE_COALESCE_DEFAULT,
        )
        .await
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        let etags = Arc::clone(&self.etags);
        self.inner
            .delete_stream(locations)
            .inspect(move |deleted| {
                if let Ok(path) = deleted {
                    etags.lock().unwrap_or_else(PoisonError::into_inner).remove(path);
                }
            })
            .boxed()
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let etags = Arc::clone(&self.etags);
        self.inner
            .list(prefix)
            .inspect(move |meta| {
                if let Ok(meta) = meta {
                    Pinned::remember(&etags, meta);
                }
            })
            .boxed()
    }

    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, Result<ObjectMeta>> {
        let etags = Arc::clone(&self.etags);
        self.inner
            .list_with_offset(prefix, offset)
            .inspect(move |meta| {
                if let Ok(meta) = meta {
                    Pinned::remember(&etags, meta);
                }
            })
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        let listed = self.inner.list_with_delimiter(prefix).await?;
        for meta in &listed.objects {
            Pinned::remember(&self.etags, meta);
        }
        Ok(listed)
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.forget(to);
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt;
    use object_store::local::LocalFileSystem;

    use super::*;

    /// A listing pins the ETag; an object rewritten before its ranges are read is an error that
    /// names it, and the next listing reads the new object.
    #[test]
    fn an_object_rewritten_between_listing_and_reading_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let inner: Arc<dyn ObjectStore> = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("store"));
        let store = Pinned::new(Arc::clone(&inner));
        let path = Path::from("t.parquet");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        rt.block_on(async {
            inner.put(&path, PutPayload::from_static(b"first version")).await.expect("put");
            let listed: Vec<ObjectMeta> = futures::TryStreamExt::try_collect(store.list(None)).await.expect("list");
            assert_eq!(listed.len(), 1);
            assert_eq!(store.get_range(&path, 0..5).await.expect("read").as_ref(), b"first");
            // Another writer replaces it (the local store's ETag follows size and time).
            std::thread::sleep(std::time::Duration::from_millis(20));
            inner.put(&path, PutPayload::from_static(b"second version!")).await.expect("put");
            let err = store.get_range(&path, 0..5).await.expect_err("changed under the query");
            assert!(err.to_string().contains("object `t.parquet` changed while it was being read"), "{err}");
            // The pin is dropped: a new query lists and reads the new object.
            let _: Vec<ObjectMeta> = futures::TryStreamExt::try_collect(store.list(None)).await.expect("list");
            assert_eq!(store.get_range(&path, 0..6).await.expect("read").as_ref(), b"second");
        });
    }
}
