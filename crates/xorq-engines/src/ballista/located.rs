//! Reads that say where they failed: a cluster process's storage errors name the process.
//!
//! A source the client can read may be unreadable by an executor (a path not mounted there,
//! credentials missing from its environment). DataFusion's error names the object; Ballista
//! reports it to the client without saying which executor it came from. The scheduler and the
//! executors started by `xorq ballista` therefore read through [`LocatedRegistry`], whose stores
//! add the process to every read or listing error: `… (read on executor 7f54… at 10.0.0.5:50051)`.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use datafusion::execution::object_store::ObjectStoreRegistry;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore, PutMultipartOptions,
    PutOptions, PutPayload, PutResult, Result,
};

/// The object-store registry of a cluster process: the client's ([`crate::remote::Registry`]),
/// every store wrapped to name `place` in its errors.
#[derive(Debug)]
pub struct LocatedRegistry {
    inner: Arc<dyn ObjectStoreRegistry>,
    place: Arc<str>,
}

impl LocatedRegistry {
    /// The client's registry, its errors naming `place` (`executor <id> at <host>:<port>`).
    pub fn new(place: impl Into<Arc<str>>) -> LocatedRegistry {
        LocatedRegistry { inner: crate::remote::registry(), place: place.into() }
    }
}

impl ObjectStoreRegistry for LocatedRegistry {
    fn register_store(&self, url: &url::Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.inner.register_store(url, store)
    }

    fn get_store(&self, url: &url::Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        let inner = self.inner.get_store(url)?;
        Ok(Arc::new(Located { inner, place: Arc::clone(&self.place) }))
    }
}

/// A store whose read and listing errors name the process that made them.
#[derive(Debug)]
struct Located {
    inner: Arc<dyn ObjectStore>,
    place: Arc<str>,
}

/// A storage error with the process it happened on.
#[derive(Debug)]
struct ReadOn {
    place: Arc<str>,
    error: object_store::Error,
}

impl fmt::Display for ReadOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (read on {})", self.error, self.place)
    }
}

impl std::error::Error for ReadOn {}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

fn located(place: &Arc<str>) -> impl Fn(object_store::Error) -> object_store::Error + use<> {
    let place = Arc::clone(place);
    move |error| match error {
        // "Not found" keeps its kind (DataFusion and callers match on it), with the place added.
        object_store::Error::NotFound { path, source } => object_store::Error::NotFound {
            path,
            source: Box::new(ReadOn {
                place: Arc::clone(&place),
                error: object_store::Error::Generic { store: "storage", source },
            }),
        },
        error => object_store::Error::Generic {
            store: "storage",
            source: Box::new(ReadOn { place: Arc::clone(&place), error }),
        },
    }
}

#[async_trait]
impl ObjectStore for Located {
    async fn put_opts(&self, location: &Path, payload: PutPayload, opts: PutOptions) -> Result<PutResult> {
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(&self, location: &Path, opts: PutMultipartOptions) -> Result<Box<dyn MultipartUpload>> {
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(&self, location: &Path, options: GetOptions) -> Result<GetResult> {
        self.inner.get_opts(location, options).await.map_err(located(&self.place))
    }

    async fn get_ranges(&self, location: &Path, ranges: &[Range<u64>]) -> Result<Vec<Bytes>> {
        self.inner.get_ranges(location, ranges).await.map_err(located(&self.place))
    }

    fn delete_stream(&self, locations: BoxStream<'static, Result<Path>>) -> BoxStream<'static, Result<Path>> {
        self.inner.delete_stream(locations)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, Result<ObjectMeta>> {
        let mark = located(&self.place);
        self.inner.list(prefix).map(move |m| m.map_err(&mark)).boxed()
    }

    fn list_with_offset(&self, prefix: Option<&Path>, offset: &Path) -> BoxStream<'static, Result<ObjectMeta>> {
        let mark = located(&self.place);
        self.inner.list_with_offset(prefix, offset).map(move |m| m.map_err(&mark)).boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> Result<ListResult> {
        self.inner.list_with_delimiter(prefix).await.map_err(located(&self.place))
    }

    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> Result<()> {
        self.inner.copy_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use object_store::ObjectStoreExt;

    use super::*;

    /// A missing file is still "not found", and the error says where it was looked for.
    #[tokio::test]
    async fn a_failed_read_names_the_process() {
        let registry = LocatedRegistry::new("executor e1 at 10.0.0.5:50051");
        let url = url::Url::parse("file:///").expect("a URL");
        let store = registry.get_store(&url).expect("the local store");
        let err = store.get(&Path::from("no/such/file.parquet")).await.expect_err("missing");
        assert!(matches!(err, object_store::Error::NotFound { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("no/such/file.parquet") && text.contains("read on executor e1 at 10.0.0.5:50051"),
            "{text}"
        );
    }
}
