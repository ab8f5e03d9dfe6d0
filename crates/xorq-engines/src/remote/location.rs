//! Remote locations: which URLs are objects in a store, how they are checked and how they are
//! shown.
//!
//! A remote source keeps its URL as written in the address (SPEC §2), so the URL is checked when
//! the source is made: a known scheme, no credentials in it (a user name or password, or a query
//! parameter that signs or authorizes the request), since the URL is written to builds,
//! manifests, cache sidecars and messages. Credentials come from the environment instead.
//!
//! A URL names one object, or many: one ending in `/` is every object under that prefix, one
//! with a glob character (`*`, `?`, `[`) the objects its pattern matches.

use object_store::path::Path as ObjectPath;
use url::Url;

use crate::error::{EngineError, Result};

/// The kinds of store a URL can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StoreKind {
    /// Amazon S3 and S3-compatible servers (`s3://`, `s3a://`).
    S3,
    /// Google Cloud Storage (`gs://`).
    Gcs,
    /// Azure Blob Storage (`az://`, `azure://`, `abfs://`, `abfss://`).
    Azure,
    /// Any HTTP server that answers range requests (`http://`, `https://`).
    Http,
}

impl StoreKind {
    /// The kind of store a URL scheme names.
    pub fn of_scheme(scheme: &str) -> Option<StoreKind> {
        Some(match scheme {
            "s3" | "s3a" => StoreKind::S3,
            "gs" => StoreKind::Gcs,
            "az" | "azure" | "abfs" | "abfss" | "adl" => StoreKind::Azure,
            "http" | "https" => StoreKind::Http,
            _ => return None,
        })
    }

    /// How users call it.
    pub fn label(self) -> &'static str {
        match self {
            StoreKind::S3 => "S3",
            StoreKind::Gcs => "Google Cloud Storage",
            StoreKind::Azure => "Azure Blob Storage",
            StoreKind::Http => "HTTP",
        }
    }

    /// The environment variables that configure this kind of store, for hints.
    pub fn env_hint(self) -> &'static str {
        match self {
            StoreKind::S3 => {
                "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL (and AWS_ALLOW_HTTP=true for a local http endpoint)"
            }
            StoreKind::Gcs => "GOOGLE_SERVICE_ACCOUNT (a key file), GOOGLE_APPLICATION_CREDENTIALS",
            StoreKind::Azure => {
                "AZURE_STORAGE_ACCOUNT_NAME, AZURE_STORAGE_ACCOUNT_KEY (or AZURE_STORAGE_SAS_KEY), AZURE_STORAGE_USE_EMULATOR=true for Azurite"
            }
            StoreKind::Http => "none: the server is read anonymously",
        }
    }
}

/// Query parameters that carry credentials (pre-signed S3 URLs, Azure SAS tokens, API keys).
const SECRET_PARAMS: &[&str] = &[
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "sig",
    "signature",
    "token",
    "access_token",
    "api_key",
    "apikey",
    "key",
    "password",
    "secret",
];

/// A checked remote URL: what a source or a cache directory on object storage is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteUrl {
    url: Url,
    kind: StoreKind,
}

impl RemoteUrl {
    /// Parses and checks `text`: a supported scheme, a bucket (or host), and no credentials.
    ///
    /// ```
    /// use xorq_engines::remote::RemoteUrl;
    /// let url = RemoteUrl::parse("s3://bucket/sales/2024.parquet").unwrap();
    /// assert_eq!(url.store_root(), "s3://bucket");
    /// assert_eq!(url.key().as_ref(), "sales/2024.parquet");
    /// assert!(RemoteUrl::parse("s3://me:secret@bucket/x.parquet").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<RemoteUrl> {
        let shown = redact(text);
        let bad =
            |message: String, hint: &str| EngineError::RemoteUrl { url: shown.clone(), message, hint: hint.into() };
        let url = Url::parse(text).map_err(|e| bad(format!("not a valid URL ({e})"), ""))?;
        let kind = StoreKind::of_scheme(url.scheme()).ok_or_else(|| {
            bad(
                format!("`{}://` is not a storage this xorq-rs reads", url.scheme()),
                "use s3://, gs://, az://, http:// or https://, or a local path",
            )
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "the URL holds a user name or password; it would be written to builds and logs".into(),
                &format!("remove it from the URL and set the credentials in the environment ({})", kind.env_hint()),
            ));
        }
        if let Some(param) = url.query_pairs().map(|(k, _)| k.to_ascii_lowercase()).find(|k| {
            SECRET_PARAMS.contains(&k.as_str())
                || k.starts_with("x-amz-")
                || k.starts_with("x-goog-")
                || k == "se"
                || k == "sp"
        }) {
            return Err(bad(
                format!(
                    "the URL's query parameter `{param}` carries a credential; it would be written to builds and logs"
                ),
                &format!("use the object's plain URL and set the credentials in the environment ({})", kind.env_hint()),
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL names no bucket or host".into(), "write it as `s3://<bucket>/<key>`"));
        }
        Ok(RemoteUrl { url, kind })
    }

    /// The kind of store.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `scheme://bucket` (with the port for HTTP): the store this URL is in.
    pub fn store_root(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{}://{host}:{port}", self.url.scheme()),
            None => format!("{}://{host}", self.url.scheme()),
        }
    }

    /// The key (path) inside the store, without a glob part.
    pub fn key(&self) -> ObjectPath {
        ObjectPath::from_url_path(self.url.path()).unwrap_or_else(|_| ObjectPath::from(self.url.path()))
    }

    /// Whether it names many objects: a prefix (`…/`) or a glob.
    pub fn is_collection(&self) -> bool {
        self.url.path().ends_with('/') || self.is_glob()
    }

    /// Whether its path holds glob characters.
    pub fn is_glob(&self) -> bool {
        self.url.path().contains(['*', '?', '['])
    }

    /// For a glob, the directory to list (its path up to the segment holding the first glob
    /// character, ending in `/`) and the pattern keys below it must match; `None` otherwise.
    ///
    /// ```
    /// use xorq_engines::remote::RemoteUrl;
    /// let url = RemoteUrl::parse("s3://b/sales/2024-*.parquet").unwrap();
    /// let (dir, pattern) = url.glob().unwrap().unwrap();
    /// assert_eq!((dir.as_str(), pattern.as_str()), ("/sales/", "2024-*.parquet"));
    /// ```
    pub fn glob(&self) -> Result<Option<(String, glob::Pattern)>> {
        if !self.is_glob() {
            return Ok(None);
        }
        let path = self.url.path();
        let cut = path.find(['*', '?', '[']).unwrap_or(path.len());
        let dir_end = path[..cut].rfind('/').map_or(0, |i| i + 1);
        let pattern = glob::Pattern::new(&path[dir_end..]).map_err(|e| EngineError::RemoteUrl {
            url: self.shown(),
            message: format!("the glob is malformed ({e})"),
            hint: String::new(),
        })?;
        Ok(Some((path[..dir_end].to_string(), pattern)))
    }

    /// The URL of an object of the same store.
    pub fn object_url(&self, key: &ObjectPath) -> String {
        format!("{}/{key}", self.store_root())
    }

    /// For messages: the URL without its query string.
    pub fn shown(&self) -> String {
        redact(self.url.as_str())
    }
}

/// A URL for messages: without user name, password and query string.
///
/// ```
/// use xorq_engines::remote::redact;
/// assert_eq!(redact("https://me:pw@host/a.parquet?sig=abc"), "https://host/a.parquet");
/// ```
pub fn redact(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        Err(_) => text.split(['?', '#']).next().unwrap_or(text).to_string(),
    }
}

/// Whether `location` is a URL read through an object store (not a local path, not `file://`).
pub fn is_remote(location: &str) -> bool {
    xorq_core::plan::is_url(location) && !location.starts_with("file://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_are_refused_and_never_shown() {
        for url in [
            "s3://AKIA:secret@bucket/a.parquet",
            "https://host/a.parquet?X-Amz-Signature=abc&X-Amz-Credential=def",
            "az://container/a.parquet?sv=2020&sig=abcdef",
            "https://host/a.csv?token=abc",
        ] {
            let err = RemoteUrl::parse(url).unwrap_err().to_string();
            assert!(!err.contains("secret") && !err.contains("abc"), "{err}");
            assert!(err.contains("credential") || err.contains("password"), "{err}");
        }
        assert!(RemoteUrl::parse("https://host/a.parquet?raw=true").is_ok());
    }

    #[test]
    fn schemes_buckets_and_collections() {
        let err = RemoteUrl::parse("ftp://host/a.parquet").unwrap_err().to_string();
        assert!(err.contains("`ftp://` is not a storage"), "{err}");
        let prefix = RemoteUrl::parse("gs://bucket/dir/").unwrap();
        assert!(prefix.is_collection() && !prefix.is_glob());
        assert_eq!(prefix.kind(), StoreKind::Gcs);
        let glob = RemoteUrl::parse("s3://bucket/dir/*.parquet").unwrap();
        assert!(glob.is_collection() && glob.is_glob());
        let http = RemoteUrl::parse("http://127.0.0.1:8080/data/a.parquet").unwrap();
        assert_eq!(http.store_root(), "http://127.0.0.1:8080");
        assert_eq!(http.object_url(&http.key()), "http://127.0.0.1:8080/data/a.parquet");
        assert!(!is_remote("file:///tmp/a.parquet") && is_remote("s3://b/k") && !is_remote("/tmp/a"));
    }
}
