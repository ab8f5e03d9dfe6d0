//! PostgreSQL (feature `postgres`): a server reached through tokio-postgres, without TLS.
//!
//! Connect with a URL ([`connect`]), from the `PG*` environment variables ([`connect_env`]), or
//! from a profile through [`connector`] (what a build's `profiles.yaml` uses). The backend's
//! [`Profile`] never holds a secret: a password is recorded as `${PGPASSWORD}`, and everything
//! [`connect_env`] read from the environment as its `${PGHOST}`-style reference.
//!
//! Schemas come from the system catalog (see `types.rs` for the type mapping, e.g. `numeric`
//! without a precision is `Decimal(38, 10)`). Queries stream rows in the binary protocol into
//! Arrow batches of 8192 rows, built in the target types (`numeric` exactly, `timestamptz` as UTC
//! microseconds); dropping the stream cancels the statement on the server. Rows moved in become
//! a temporary table filled by binary `COPY`.
//!
//! Parameters: `host`, `port`, `user`, `dbname`, `password`, `sslmode` (`disable`, `allow`,
//! `prefer`; the TLS modes are refused, this build has no TLS), `connect_timeout` (seconds,
//! default 10 or `XORQ_PG_CONNECT_TIMEOUT`; it bounds connecting and catalog reads),
//! `statement_timeout` (seconds, sent to the server; default `XORQ_PG_STATEMENT_TIMEOUT`, else
//! the server's), `application_name` (default `xorq`), `options`.

mod catalog;
mod config;
mod copy;
mod decode;
mod numeric;
mod read;
mod session;
mod stream;
mod types;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use async_trait::async_trait;
use datafusion::execution::SendableRecordBatchStream;
use tokio::sync::Mutex;
use xorq_core::Schema;
use xorq_core::profile::Profile;

use self::config::Settings;
use self::session::Session;
use super::{Backend, BackendRef, Connection, Connector};
use crate::dialect::SqlDialect;
use crate::error::{EngineError, Result};

/// The engine kind of PostgreSQL profiles.
pub const KIND: &str = "postgres";

/// A PostgreSQL server, connected from a profile. Each [`Backend::open`] is a new server
/// session (temporary tables are per session); catalog reads share one more.
///
/// ```no_run
/// # async fn demo() -> xorq_engines::Result<()> {
/// use xorq_engines::backend::Backend;
/// let pg = xorq_engines::backend::postgres::connect("postgresql://alice@db.internal/sales", "warehouse").await?;
/// let orders = pg.table("public.orders").await?;
/// assert_eq!(pg.profile().params()["host"], "db.internal");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PostgresBackend {
    profile: Profile,
    settings: Arc<Settings>,
    /// The session for catalog reads, opened at connect time and again if it closes.
    catalog: Mutex<Option<Session>>,
}

/// Connects the server at `url` (`postgresql://user:password@host:port/dbname?param=value`,
/// parameters as in the [module docs](self)) as the profile `profile`. A password in the URL is
/// used now and recorded in the profile as `${PGPASSWORD}`; the rest is recorded as written.
///
/// ```no_run
/// # async fn demo() -> xorq_engines::Result<()> {
/// let pg = xorq_engines::backend::postgres::connect(
///     "postgresql://xorq:s3cret@127.0.0.1:5432/xorq?connect_timeout=3", "local").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str, profile: &str) -> Result<Arc<PostgresBackend>> {
    let params = config::parse_url(profile, url)?;
    let mut recorded = Profile::new(profile, KIND)?;
    for (key, value) in &params {
        let value = if key == "password" { "${PGPASSWORD}" } else { value.as_str() };
        recorded = recorded.param(key, value)?;
    }
    connect_params(recorded, params).await
}

/// Connects the server the `PG*` environment variables name (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`, `PGCONNECT_TIMEOUT`, `PGAPPNAME`, `PGOPTIONS`), with
/// libpq's defaults for the unset ones (a local Unix socket or `localhost`, port 5432, the user
/// `$USER`). Each variable that is set is recorded in the profile as its `${VAR}` reference, so
/// a build connects wherever the environment points when it runs.
///
/// ```no_run
/// # async fn demo() -> xorq_engines::Result<()> {
/// use xorq_engines::backend::Backend;
/// let pg = xorq_engines::backend::postgres::connect_env("warehouse").await?;
/// // With PGHOST set: the profile says `${PGHOST}`, not its value.
/// assert_eq!(pg.profile().params().get("host").map(String::as_str), Some("${PGHOST}"));
/// # Ok(()) }
/// ```
pub async fn connect_env(profile: &str) -> Result<Arc<PostgresBackend>> {
    let mut recorded = Profile::new(profile, KIND)?;
    let mut params = BTreeMap::new();
    for (key, var, value) in config::from_env(|var| std::env::var(var).ok()) {
        recorded = recorded.param(key, &format!("${{{var}}}"))?;
        params.insert(key.to_string(), value);
    }
    connect_params(recorded, params).await
}

/// The connector of kind `postgres` for [`Connectors`](super::Connectors): a profile and its
/// resolved parameters to a connected backend (the session is opened, so a dead server or a
/// wrong password fails here).
///
/// ```no_run
/// # async fn demo() -> xorq_engines::Result<()> {
/// use xorq_core::profile::Profile;
/// use xorq_engines::backend::Connectors;
/// let profile = Profile::new("warehouse", "postgres")?
///     .param("host", "${PGHOST}")?
///     .param("password", "${PGPASSWORD}")?;
/// let backend = Connectors::builtin().connect(&profile).await?;
/// # Ok(()) }
/// ```
pub fn connector() -> Connector {
    Arc::new(|profile, params| {
        Box::pin(async move {
            let backend: BackendRef = connect_params(profile, params).await?;
            Ok(backend)
        })
    })
}

/// Connects `profile` with its resolved `params`.
async fn connect_params(profile: Profile, params: BTreeMap<String, String>) -> Result<Arc<PostgresBackend>> {
    if profile.kind() != KIND {
        return Err(EngineError::Connect {
            profile: profile.name().to_string(),
            kind: profile.kind().to_string(),
            message: format!("the PostgreSQL connector was given a profile of kind `{}`", profile.kind()),
            hint: String::new(),
        });
    }
    let settings = config::settings(profile.name(), &params)?;
    let session = Session::open(profile.name(), &settings).await?;
    Ok(Arc::new(PostgresBackend { profile, settings: Arc::new(settings), catalog: Mutex::new(Some(session)) }))
}

impl PostgresBackend {
    /// Runs statements that return no rows (DDL, inserts; several separated by `;`) on a
    /// session of their own: for setting up data.
    pub async fn execute(&self, sql: &str) -> Result<()> {
        let session = Session::open(self.profile.name(), &self.settings).await?;
        session
            .client
            .batch_execute(sql)
            .await
            .map_err(|e| session::statement_error(self.profile.name(), &self.settings, "running a statement", &e))
    }
}

#[async_trait]
impl Backend for PostgresBackend {
    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn dialect(&self) -> SqlDialect {
        SqlDialect::Postgres
    }

    async fn table_schema(&self, table: &[String]) -> Result<Schema> {
        let name = self.profile.name();
        let mut catalog = self.catalog.lock().await;
        if catalog.as_ref().is_none_or(|s| s.client.is_closed()) {
            *catalog = Some(Session::open(name, &self.settings).await?);
        }
        let Some(session) = catalog.as_ref() else {
            return Err(EngineError::Internal("the catalog session was just opened".into()));
        };
        let read = catalog::table_schema(&session.client, name, &self.settings, table);
        let Some(limit) = self.settings.connect_timeout else {
            return read.await;
        };
        match tokio::time::timeout(limit, read).await {
            Ok(result) => result,
            Err(_) => {
                // The session is in an unknown state: cancel whatever runs and start over next time.
                if let Some(session) = catalog.take() {
                    session.abandon();
                }
                Err(EngineError::Timeout {
                    profile: name.to_string(),
                    what: format!("reading the columns of `{}`", table.join(".")),
                    seconds: limit.as_secs_f64(),
                    param: "connect_timeout".into(),
                })
            }
        }
    }

    async fn open(&self) -> Result<Box<dyn Connection>> {
        let session = Session::open(self.profile.name(), &self.settings).await?;
        Ok(Box::new(PostgresConnection {
            session,
            profile: self.profile.name().to_string(),
            settings: self.settings.clone(),
        }))
    }
}

/// One server session: temporary tables, then one query.
struct PostgresConnection {
    session: Session,
    profile: String,
    settings: Arc<Settings>,
}

#[async_trait]
impl Connection for PostgresConnection {
    async fn load(&mut self, name: &str, schema: &Schema, rows: SendableRecordBatchStream) -> Result<u64> {
        copy::load(&self.session.client, &self.profile, &self.settings, name, schema, rows).await
    }

    async fn query(self: Box<Self>, sql: String, schema: ArrowSchemaRef) -> Result<SendableRecordBatchStream> {
        let PostgresConnection { session, profile, settings } = *self;
        stream::query(session, profile, settings, sql, schema).await
    }
}
