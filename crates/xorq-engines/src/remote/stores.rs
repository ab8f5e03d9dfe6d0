//! Object stores, one per bucket (or HTTP origin), built from the environment and shared by
//! every reader in the process, with their network I/O on one runtime of their own.
//!
//! Why a runtime of their own: the HTTP client keeps connections in a pool whose tasks live on
//! the runtime that opened them. Callers come from many runtimes (the CLI's, a test's, the
//! Python extension's, the thread that probes a schema while an expression is built); with every
//! request spawned on [`io_runtime`] (object_store's `SpawnedReqwestConnector`), a pooled
//! connection never outlives the runtime it belongs to, and a synchronous caller can wait for a
//! request without nesting runtimes ([`block_on`]).
//!
//! Timeouts and retries (with exponential backoff) are configurable:
//! `XORQ_STORAGE_TIMEOUT` (seconds per request, default 30), `XORQ_STORAGE_CONNECT_TIMEOUT`
//! (default 5), `XORQ_STORAGE_RETRIES` (default 3) and `XORQ_STORAGE_RETRY_TIMEOUT` (the most
//! time spent retrying one request, default 60).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::client::SpawnedReqwestConnector;
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{BackoffConfig, ClientConfigKey, ClientOptions, ObjectStore, RetryConfig};

use super::location::{RemoteUrl, StoreKind};
use super::pinned::Pinned;
use crate::error::{EngineError, Result};

/// Seconds a request may take (`XORQ_STORAGE_TIMEOUT`).
pub const TIMEOUT_ENV: &str = "XORQ_STORAGE_TIMEOUT";
/// Seconds a connection may take to open (`XORQ_STORAGE_CONNECT_TIMEOUT`).
pub const CONNECT_TIMEOUT_ENV: &str = "XORQ_STORAGE_CONNECT_TIMEOUT";
/// Retries of a failed request (`XORQ_STORAGE_RETRIES`).
pub const RETRIES_ENV: &str = "XORQ_STORAGE_RETRIES";
/// Seconds spent retrying one request at most (`XORQ_STORAGE_RETRY_TIMEOUT`).
pub const RETRY_TIMEOUT_ENV: &str = "XORQ_STORAGE_RETRY_TIMEOUT";

/// The runtime every object-store request runs on (two worker threads, named `xorq-io`).
pub fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("xorq-io").enable_all().build()
        {
            Ok(rt) => rt,
            // Only fails when the OS refuses threads or timers: nothing remote can work then.
            Err(e) => panic!("cannot start the runtime for object storage: {e}"),
        }
    })
}

/// Runs `future` on [`io_runtime`] and waits for it, from any thread: inside another runtime
/// (the calling worker waits, as a blocking call would) or outside one.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    io_runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    match rx.recv() {
        Ok(out) => out,
        // The task only drops its sender after sending, unless it panicked: pass the panic on.
        Err(_) => panic!("an object-storage task panicked"),
    }
}

/// The settings read from the environment, shown in error hints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetworkSettings {
    /// Per request.
    pub timeout: Duration,
    /// To open a connection.
    pub connect_timeout: Duration,
    /// Retries of a failed request.
    pub retries: usize,
    /// Time spent retrying one request at most.
    pub retry_timeout: Duration,
}

impl NetworkSettings {
    /// From `XORQ_STORAGE_*`, with the defaults for what is unset; a malformed value is an error
    /// naming the variable.
    pub fn from_env() -> Result<NetworkSettings> {
        let secs = |name: &str, default: f64| -> Result<Duration> {
            match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| EngineError::Config {
                        name: name.into(),
                        message: format!("`{v}` is not a positive number of seconds"),
                    }),
                _ => Ok(Duration::from_secs_f64(default)),
            }
        };
        let retries = match std::env::var(RETRIES_ENV) {
            Ok(v) if !v.trim().is_empty() => v.trim().parse::<usize>().map_err(|_| EngineError::Config {
                name: RETRIES_ENV.into(),
                message: format!("`{v}` is not a whole number of retries"),
            })?,
            _ => 3,
        };
        Ok(NetworkSettings {
            timeout: secs(TIMEOUT_ENV, 30.0)?,
            connect_timeout: secs(CONNECT_TIMEOUT_ENV, 5.0)?,
            retries,
            retry_timeout: secs(RETRY_TIMEOUT_ENV, 60.0)?,
        })
    }

    fn retry(&self) -> RetryConfig {
        RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(100),
                max_backoff: Duration::from_secs(5),
                base: 2.0,
            },
            max_retries: self.retries,
            retry_timeout: self.retry_timeout,
        }
    }

    fn client(&self) -> ClientOptions {
        ClientOptions::new().with_timeout(self.timeout).with_connect_timeout(self.connect_timeout)
    }

    /// For hints.
    pub fn describe(&self) -> String {
        format!(
            "{}s per request ({TIMEOUT_ENV}), {}s to connect ({CONNECT_TIMEOUT_ENV}), {} retries ({RETRIES_ENV})",
            self.timeout.as_secs_f64(),
            self.connect_timeout.as_secs_f64(),
            self.retries
        )
    }
}

type Stores = Mutex<HashMap<String, Arc<dyn ObjectStore>>>;

/// The profile kinds that configure object storage: `s3`, `gcs`, `azure`.
pub const STORAGE_KINDS: &[&str] = &["s3", "gcs", "azure"];

/// Storage profiles registered by bucket root (`s3://acme-data`).
fn profiles() -> &'static Mutex<HashMap<String, xorq_core::profile::Profile>> {
    static PROFILES: OnceLock<Mutex<HashMap<String, xorq_core::profile::Profile>>> = OnceLock::new();
    PROFILES.get_or_init(Mutex::default)
}

/// Registers a storage profile (kind `s3`, `gcs` or `azure`, from a project file): its
/// `bucket` (or `container` for Azure) says which URLs it configures; every other parameter is
/// a setting of that store by object_store's name (`endpoint`, `region`, `access_key_id`,
/// `secret_access_key`, `allow_http`; `service_account`; `account_name`, `account_key`, …) applied over
/// the environment's. Secrets are `${ENV}` references (checked by [`Profile`]), resolved when
/// the store is first used, and never written anywhere.
///
/// ```
/// use xorq_core::profile::Profile;
/// let lake = Profile::new("lake", "s3").unwrap()
///     .param("bucket", "acme-data").unwrap()
///     .param("secret_access_key", "${ACME_SECRET}").unwrap();
/// xorq_engines::remote::stores::register_profile(&lake).unwrap();
/// ```
///
/// [`Profile`]: xorq_core::profile::Profile
pub fn register_profile(profile: &xorq_core::profile::Profile) -> Result<()> {
    let scheme = match profile.kind() {
        "s3" => "s3",
        "gcs" => "gs",
        "azure" => "az",
        other => {
            return Err(EngineError::Config {
                name: format!("profile `{}`", profile.name()),
                message: format!("`{other}` is not a storage kind (use one of {})", STORAGE_KINDS.join(", ")),
            });
        }
    };
    let params = profile.params();
    let bucket = params.get("bucket").or_else(|| params.get("container")).ok_or_else(|| EngineError::Config {
        name: format!("profile `{}`", profile.name()),
        message: "a storage profile names the bucket it configures: `bucket: <name>`".into(),
    })?;
    let root = format!("{scheme}://{bucket}");
    profiles().lock().unwrap_or_else(PoisonError::into_inner).insert(root.clone(), profile.clone());
    // A store built before the profile was known is built again with it.
    stores().lock().unwrap_or_else(PoisonError::into_inner).remove(&root);
    Ok(())
}

/// The profile's settings, `${ENV}` resolved, without `bucket`/`container`.
fn profile_settings(root: &str) -> Result<Vec<(String, String)>> {
    let Some(profile) = profiles().lock().unwrap_or_else(PoisonError::into_inner).get(root).cloned() else {
        return Ok(Vec::new());
    };
    let resolved = profile
        .resolve(|var| std::env::var(var).ok())
        .map_err(|e| EngineError::Config { name: format!("profile `{}`", profile.name()), message: e.to_string() })?;
    Ok(resolved.into_iter().filter(|(k, _)| k != "bucket" && k != "container").collect())
}

fn stores() -> &'static Stores {
    static STORES: OnceLock<Stores> = OnceLock::new();
    STORES.get_or_init(Stores::default)
}

/// The store holding `url` (built from the environment on first use, then shared).
pub fn store_for(url: &RemoteUrl) -> Result<Arc<dyn ObjectStore>> {
    let root = url.store_root();
    if let Some(store) = stores().lock().unwrap_or_else(PoisonError::into_inner).get(&root) {
        return Ok(Arc::clone(store));
    }
    let built: Arc<dyn ObjectStore> = Arc::new(Pinned::new(build(url)?));
    let mut map = stores().lock().unwrap_or_else(PoisonError::into_inner);
    Ok(Arc::clone(map.entry(root).or_insert(built)))
}

/// Forgets the stores built so far, so the next use reads the environment again (tests that
/// change credentials; a long-lived process after rotating them).
pub fn forget_stores() {
    stores().lock().unwrap_or_else(PoisonError::into_inner).clear();
}

fn build(url: &RemoteUrl) -> Result<Arc<dyn ObjectStore>> {
    let settings = NetworkSettings::from_env()?;
    let connector = || SpawnedReqwestConnector::new(io_runtime().handle().clone());
    let timeout = format!("{}ms", settings.timeout.as_millis());
    let connect = format!("{}ms", settings.connect_timeout.as_millis());
    let root = url.store_root();
    let fail = |e: object_store::Error| EngineError::RemoteUrl {
        url: url.shown(),
        message: format!("cannot configure {} access: {e}", url.kind().label()),
        hint: format!("the settings come from {}", url.kind().env_hint()),
    };
    let settings_of = profile_settings(&root)?;
    let setting_err = |key: &str| EngineError::Config {
        name: format!("the storage profile of `{root}`"),
        message: format!("`{key}` is not a setting of {}", url.kind().label()),
    };
    // The same steps for each cloud's builder (they share no trait): the environment, then the
    // profile's settings by the builder's own names, then the URL, timeouts, retries and the
    // connector that runs requests on the I/O runtime.
    macro_rules! cloud {
        ($builder:expr, $key:ident, $prefix:literal) => {{
            let mut builder = $builder;
            for (key, value) in &settings_of {
                let name = format!("{}{}", $prefix, key.trim_start_matches($prefix));
                builder = builder.with_config(name.parse().map_err(|_| setting_err(key))?, value);
            }
            Arc::new(
                builder
                    .with_url(root)
                    .with_config($key::Client(ClientConfigKey::Timeout), &timeout)
                    .with_config($key::Client(ClientConfigKey::ConnectTimeout), &connect)
                    .with_retry(settings.retry())
                    .with_http_connector(connector())
                    .build()
                    .map_err(fail)?,
            )
        }};
    }
    let store: Arc<dyn ObjectStore> = match url.kind() {
        StoreKind::S3 => cloud!(AmazonS3Builder::from_env(), AmazonS3ConfigKey, "aws_"),
        StoreKind::Gcs => cloud!(GoogleCloudStorageBuilder::from_env(), GoogleConfigKey, "google_"),
        StoreKind::Azure => cloud!(MicrosoftAzureBuilder::from_env(), AzureConfigKey, "azure_storage_"),
        StoreKind::Http => Arc::new(
            HttpBuilder::new()
                .with_url(root)
                .with_client_options(settings.client().with_allow_http(true))
                .with_retry(settings.retry())
                .with_http_connector(connector())
                .build()
                .map_err(fail)?,
        ),
    };
    Ok(store)
}
