//! Sources on object storage (`s3://`, `gs://`, `az://`, `http(s)://`) through `object_store`.
//!
//! - [`location`]: which URLs are remote, how they are checked (no credentials in them) and
//!   shown (no query string).
//! - [`stores`]: one store per bucket, configured from the environment, with timeouts and
//!   retries, its I/O on a runtime of its own; [`registry`] hands them to DataFusion.
//! - [`objects`] lists what a URL covers (HEAD or a listing, never a download) for freshness
//!   tokens; [`probe`] reads a schema from a Parquet footer or the first bytes of a CSV or JSON
//!   object.
//! - Reads are pinned to the ETag a query listed (`pinned.rs`): an object overwritten mid-query
//!   is an error naming it, never a mix of two versions.

pub mod location;
mod pinned;
mod probe;
pub mod stores;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};

pub use location::{RemoteUrl, StoreKind, is_remote, redact};
pub use pinned::ObjectChanged;
pub use probe::probe;
pub use stores::{NetworkSettings, block_on, forget_stores, io_runtime, store_for};

use crate::error::{EngineError, Result};

/// One object a remote source covers, as a HEAD or a listing describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteObject {
    /// Its URL.
    pub url: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its ETag, when the store gives one.
    pub etag: Option<String>,
    /// Its version, on a versioned bucket.
    pub version: Option<String>,
    /// When it was last written.
    pub last_modified: DateTime<Utc>,
}

impl RemoteObject {
    fn from_meta(url: &RemoteUrl, meta: ObjectMeta) -> RemoteObject {
        RemoteObject {
            url: url.object_url(&meta.location),
            size: meta.size,
            etag: meta.e_tag,
            version: meta.version,
            last_modified: meta.last_modified,
        }
    }
}

/// The objects `location` covers, in key order, with the format's `extension` for a prefix:
/// one HEAD for an object, a listing for a prefix or a glob. Nothing is downloaded.
pub fn objects(location: &str, extension: &str) -> Result<Vec<RemoteObject>> {
    let url = RemoteUrl::parse(location)?;
    let store = store_for(&url)?;
    let extension = extension.to_string();
    block_on(async move {
        let metas = list_objects(&url, &store, &extension).await?;
        Ok(metas.into_iter().map(|m| RemoteObject::from_meta(&url, m)).collect())
    })
}

/// Downloads the one object at `location` into the new file `dest` (its bytes, as one version:
/// an object rewritten during the download is an error naming it). Returns what it was.
pub fn download(location: &str, dest: &std::path::Path) -> Result<RemoteObject> {
    let url = RemoteUrl::parse(location)?;
    if url.is_collection() {
        return Err(EngineError::RemoteUrl {
            url: url.shown(),
            message: "this names many objects; a snapshot is taken of one object".into(),
            hint: "read the objects one by one, or leave the read a reference (the default)".into(),
        });
    }
    let store = store_for(&url)?;
    let dest = dest.to_path_buf();
    block_on(async move {
        use std::io::Write;
        let shown = url.shown();
        let meta = list_objects(&url, &store, "").await?.into_iter().next().ok_or_else(|| EngineError::Remote {
            url: shown.clone(),
            message: "no object to read".into(),
            hint: String::new(),
        })?;
        let got = store.get(&meta.location).await.map_err(|e| remote_error(&shown, e))?;
        let io = |e: std::io::Error| EngineError::Remote {
            url: shown.clone(),
            message: format!("cannot write the download to `{}`: {e}", dest.display()),
            hint: String::new(),
        };
        let mut file = std::fs::File::create_new(&dest).map_err(io)?;
        let mut stream = got.into_stream();
        let mut written = 0u64;
        while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
            let chunk = chunk.map_err(|e| remote_error(&shown, e))?;
            file.write_all(&chunk).map_err(io)?;
            written += chunk.len() as u64;
        }
        file.sync_all().map_err(io)?;
        if written != meta.size {
            return Err(EngineError::Remote {
                url: shown,
                message: format!("the download ended after {written} of {} bytes", meta.size),
                hint: "\nhint: try again; check the network and the endpoint".into(),
            });
        }
        Ok(RemoteObject::from_meta(&url, meta))
    })
}

/// What `url` covers, as object metadata (see [`objects`]).
pub(crate) async fn list_objects(
    url: &RemoteUrl,
    store: &Arc<dyn ObjectStore>,
    extension: &str,
) -> Result<Vec<ObjectMeta>> {
    let shown = url.shown();
    if !url.is_collection() {
        let key = url.key();
        return match store.head(&key).await {
            Ok(meta) => Ok(vec![meta]),
            // A HEAD answer has no body to say why: a listing tells a missing bucket from a
            // missing key, and a key that is a prefix of objects.
            Err(e @ object_store::Error::NotFound { .. }) => match store.list(Some(&key)).try_next().await {
                Ok(Some(_)) => Err(EngineError::Remote {
                    url: shown.clone(),
                    message: "no object has this key, but objects are under it as a prefix".into(),
                    hint: format!("\nhint: to read every object under it, end the URL with `/`: `{shown}/`"),
                }),
                Ok(None) => Err(remote_error(&shown, e)),
                Err(listing) => Err(remote_error(&shown, listing)),
            },
            Err(e) => Err(remote_error(&shown, e)),
        };
    }
    let glob = url.glob()?;
    let prefix = match &glob {
        Some((dir, _)) => ObjectPath::from(dir.as_str()),
        None => url.key(),
    };
    let listed: Vec<ObjectMeta> = store.list(Some(&prefix)).try_collect().await.map_err(|e| remote_error(&shown, e))?;
    let mut metas: Vec<ObjectMeta> = listed
        .into_iter()
        .filter(|m| match &glob {
            // As DataFusion reads a glob: the pattern below the listed directory, `*` within one
            // path segment.
            Some((_, pattern)) => m.location.prefix_match(&prefix).is_some_and(|rest| {
                let rest: Vec<_> = rest.map(|part| part.as_ref().to_string()).collect();
                pattern.matches_with(
                    &rest.join("/"),
                    glob::MatchOptions { require_literal_separator: true, ..glob::MatchOptions::new() },
                )
            }),
            None => m.location.as_ref().ends_with(extension),
        })
        .collect();
    metas.sort_by(|a, b| a.location.cmp(&b.location));
    if metas.is_empty() {
        let what = if glob.is_some() {
            "no object matches the pattern".to_string()
        } else {
            format!("no `*{extension}` object is under this prefix")
        };
        return Err(EngineError::Remote {
            url: shown,
            message: what,
            hint: "\nhint: check the bucket and prefix".into(),
        });
    }
    Ok(metas)
}

/// An object-store failure as an error naming the URL (never its query string) and saying what
/// to do.
pub fn remote_error(url: &str, error: object_store::Error) -> EngineError {
    let kind = RemoteUrl::parse(url).map(|u| u.kind()).unwrap_or(StoreKind::Http);
    let text = error.to_string();
    let settings = || NetworkSettings::from_env().map(|s| s.describe()).unwrap_or_default();
    let endpoint = endpoint_in(&text);
    let retried = retries_in(&text);
    let credentials = || format!("set the credentials: {}", kind.env_hint());
    let (message, hint) = match &error {
        _ if text.contains("NoSuchBucket") || text.contains("ContainerNotFound") => {
            ("the bucket does not exist".to_string(), "check the bucket's name (and region)".to_string())
        }
        object_store::Error::NotFound { .. } => (
            "no object has this key".to_string(),
            "check the key; a prefix of many objects is written with a trailing `/`".to_string(),
        ),
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => (
            format!("access was refused ({})", status_in(&text).unwrap_or("403 Forbidden")),
            format!("the credentials are wrong or lack permission on this bucket; {}", credentials()),
        ),
        object_store::Error::Generic { source, .. } if source.downcast_ref::<ObjectChanged>().is_some() => {
            (source.to_string(), "run again; the new object is read from the start".to_string())
        }
        _ if text.contains("InvalidAccessKeyId") || text.contains("SignatureDoesNotMatch") => {
            ("the credentials were refused".to_string(), credentials())
        }
        // No key in the environment: object_store falls back to the cloud's metadata service.
        _ if text.contains("169.254.169.254") || text.contains("metadata.google.internal") => (
            "no credentials were found (none in the environment, and no cloud metadata service answered)".to_string(),
            credentials(),
        ),
        _ => {
            let what = match http_error_kind(&error) {
                Some(object_store::client::HttpErrorKind::Timeout) => {
                    format!("{} did not answer in time{retried}", endpoint.as_deref().unwrap_or("the endpoint"))
                }
                Some(object_store::client::HttpErrorKind::Connect) => {
                    format!("cannot connect to {}{retried}", endpoint.as_deref().unwrap_or("the endpoint"))
                }
                Some(
                    object_store::client::HttpErrorKind::Interrupted | object_store::client::HttpErrorKind::Decode,
                ) => {
                    format!("the transfer from {} broke off{retried}", endpoint.as_deref().unwrap_or("the endpoint"))
                }
                _ => first_line(&text),
            };
            let which = match kind {
                StoreKind::S3 => "AWS_ENDPOINT_URL, else AWS's",
                StoreKind::Http => "the URL's host",
                StoreKind::Gcs | StoreKind::Azure => "from the environment, else the cloud's",
            };
            (
                what,
                format!("check that the endpoint ({which}) is up and reachable; timeouts and retries: {}", settings()),
            )
        }
    };
    EngineError::Remote { url: redact(url), message: scrub(&message), hint: format!("\nhint: {hint}") }
}

/// The kind of the HTTP failure under `error`, if it is one.
fn http_error_kind(error: &object_store::Error) -> Option<object_store::client::HttpErrorKind> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(error);
    while let Some(e) = next {
        if let Some(http) = e.downcast_ref::<object_store::client::HttpError>() {
            return Some(http.kind());
        }
        next = e.source();
    }
    None
}

/// `http://host:port` of the first URL quoted in `text`.
fn endpoint_in(text: &str) -> Option<String> {
    let start = text.find("http://").or_else(|| text.find("https://"))?;
    let rest = &text[start..];
    let scheme_end = rest.find("://")? + 3;
    let end = rest[scheme_end..].find(['/', ' ', '?']).map_or(rest.len(), |i| scheme_end + i);
    Some(rest[..end].to_string())
}

/// `, after N retries` when the error says so.
fn retries_in(text: &str) -> String {
    text.split("after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok())
        .map_or(String::new(), |n| format!(" (after {n} retries)"))
}

/// The HTTP status (`403 Forbidden`) an error quotes.
fn status_in(text: &str) -> Option<&str> {
    let rest = &text[text.find("status code: ")? + "status code: ".len()..];
    Some(rest.split(':').next().unwrap_or(rest).trim())
}

/// The text of an error without query strings of URLs it quotes (they can carry signatures).
fn scrub(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(
            |word| {
                if word.contains("://") && word.contains('?') { redact(word.trim()) + " " } else { word.to_string() }
            },
        )
        .collect::<String>()
        .trim_end()
        .to_string()
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().to_string()
}

/// DataFusion's object-store registry for sessions: `file://` as DataFusion's own, and every
/// remote scheme resolved lazily to the shared store of its bucket ([`store_for`]).
#[derive(Debug, Default)]
pub struct Registry {
    local: datafusion::execution::object_store::DefaultObjectStoreRegistry,
}

/// A registry for a `RuntimeEnv` (see [`Registry`]).
pub fn registry() -> Arc<dyn datafusion::execution::object_store::ObjectStoreRegistry> {
    Arc::new(Registry::default())
}

/// A DataFusion context with `config` that reads remote sources (its runtime's object-store
/// registry is [`registry`]).
///
/// ```
/// use datafusion::prelude::SessionConfig;
/// let ctx = xorq_engines::remote::session_context(SessionConfig::new());
/// assert!(ctx.runtime_env().object_store(&datafusion::execution::object_store::ObjectStoreUrl::local_filesystem()).is_ok());
/// ```
pub fn session_context(config: datafusion::prelude::SessionConfig) -> datafusion::prelude::SessionContext {
    let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new().with_object_store_registry(registry());
    match runtime.build_arc() {
        Ok(env) => datafusion::prelude::SessionContext::new_with_config_rt(config, env),
        // Building a runtime environment without a memory limit or spill directory cannot fail;
        // should it, a context without remote reads still runs every local source.
        Err(_) => datafusion::prelude::SessionContext::new_with_config(config),
    }
}

impl datafusion::execution::object_store::ObjectStoreRegistry for Registry {
    fn register_store(&self, url: &url::Url, store: Arc<dyn ObjectStore>) -> Option<Arc<dyn ObjectStore>> {
        self.local.register_store(url, store)
    }

    fn get_store(&self, url: &url::Url) -> datafusion::error::Result<Arc<dyn ObjectStore>> {
        if let Ok(store) = self.local.get_store(url) {
            return Ok(store);
        }
        let remote =
            RemoteUrl::parse(url.as_str()).map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))?;
        store_for(&remote).map_err(|e| datafusion::error::DataFusionError::External(Box::new(e)))
    }
}
