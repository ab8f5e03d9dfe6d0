//! From a profile to a connected backend: a registry of connectors by engine kind, so that the
//! binary (or a user's program) decides which engines are compiled in, and a build's
//! `profiles.yaml` is connected at run time with its `${ENV}` references resolved then.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use xorq_core::profile::Profile;

use super::{BackendRef, LOCAL_KIND};
use crate::error::{EngineError, Result};

/// Connects a profile, given its parameters with `${ENV}` references already resolved.
pub type Connector =
    Arc<dyn Fn(Profile, BTreeMap<String, String>) -> BoxFuture<'static, Result<BackendRef>> + Send + Sync>;

/// The engines a program can connect, by kind.
///
/// ```
/// use xorq_engines::backend::Connectors;
/// let connectors = Connectors::builtin();
/// # #[cfg(feature = "sqlite")]
/// assert!(connectors.kinds().contains(&"sqlite"));
/// ```
#[derive(Clone, Default)]
pub struct Connectors {
    by_kind: BTreeMap<String, Connector>,
}

impl fmt::Debug for Connectors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.by_kind.keys()).finish()
    }
}

impl Connectors {
    /// The engines of this crate that were compiled in (features `sqlite`, `postgres`,
    /// `ballista`).
    pub fn builtin() -> Self {
        #[allow(unused_mut)] // empty without features
        let mut connectors = Connectors::default();
        #[cfg(feature = "sqlite")]
        {
            connectors = connectors.with("sqlite", super::sqlite::connector());
        }
        #[cfg(feature = "postgres")]
        {
            connectors = connectors.with("postgres", super::postgres::connector());
        }
        #[cfg(feature = "ballista")]
        {
            connectors = connectors.with(crate::ballista::KIND, crate::ballista::connector());
        }
        connectors
    }

    /// Adds (or replaces) the connector of `kind`.
    pub fn with(mut self, kind: &str, connector: Connector) -> Self {
        self.by_kind.insert(kind.to_string(), connector);
        self
    }

    /// The kinds that can be connected, plus the embedded `datafusion`.
    pub fn kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = self.by_kind.keys().map(String::as_str).collect();
        kinds.push(LOCAL_KIND);
        kinds.sort_unstable();
        kinds
    }

    /// Connects `profile`, resolving its `${ENV}` references from the process environment.
    pub async fn connect(&self, profile: &Profile) -> Result<BackendRef> {
        self.connect_with_env(profile, |var| std::env::var(var).ok()).await
    }

    /// Connects `profile`, resolving its `${ENV}` references with `env`.
    pub async fn connect_with_env(
        &self,
        profile: &Profile,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<BackendRef> {
        let Some(connector) = self.by_kind.get(profile.kind()) else {
            let hint = match profile.kind() {
                "duckdb" => {
                    "\nhint: DuckDB is in the `duckdb` feature of xorq-cli (`cargo install xorq-cli --features duckdb`)"
                }
                LOCAL_KIND => "\nhint: the embedded DataFusion engine needs no connection",
                _ => "",
            };
            return Err(EngineError::Connect {
                profile: profile.name().to_string(),
                kind: profile.kind().to_string(),
                message: format!(
                    "this program cannot connect `{}` engines (it knows: {})",
                    profile.kind(),
                    self.kinds().join(", ")
                ),
                hint: hint.to_string(),
            });
        };
        let params = profile.resolve(env)?;
        connector(profile.clone(), params).await
    }
}

/// A duration in seconds from `params[key]`, else the environment variable `env`, else
/// `default`; `0` means no limit. Malformed values are errors naming the profile and the key.
pub fn timeout_from(
    profile: &str,
    params: &BTreeMap<String, String>,
    key: &str,
    env: &str,
    default: Duration,
) -> Result<Option<Duration>> {
    let (text, origin) = match params.get(key) {
        Some(v) => (v.clone(), format!("parameter `{key}`")),
        None => match std::env::var(env) {
            Ok(v) => (v, format!("environment variable `{env}`")),
            Err(_) => return Ok(Some(default)),
        },
    };
    let seconds: f64 =
        text.trim().parse().ok().filter(|s: &f64| s.is_finite() && *s >= 0.0).ok_or_else(|| EngineError::Connect {
            profile: profile.to_string(),
            kind: String::new(),
            message: format!("{origin} is `{text}`, not a number of seconds"),
            hint: "\nhint: write a timeout as seconds, e.g. `10` or `0.5`; `0` waits forever".into(),
        })?;
    Ok((seconds > 0.0).then(|| Duration::from_secs_f64(seconds)))
}
