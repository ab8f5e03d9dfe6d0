//! The DuckDB backend: one database (a file or in memory), connected from a profile of kind
//! `duckdb`; every segment run gets its own connection to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use async_trait::async_trait;
use datafusion::execution::SendableRecordBatchStream;
use xorq_core::profile::Profile;
use xorq_core::{Field, Schema};
use xorq_engines::EngineError;
use xorq_engines::backend::{Backend, BackendRef, Connection, Connector, quote_ident};
use xorq_engines::dialect::SqlDialect;

use crate::bridge;
use crate::error::{Failure, blocking, excerpt};
use crate::load::{self, Lifetime};
use crate::session::{DuckDbSession, lock};
use crate::types;

/// The engine kind in profiles.
pub const KIND: &str = "duckdb";

/// The `path` of an in-memory database.
pub const MEMORY: &str = ":memory:";

type Result<T, E = EngineError> = std::result::Result<T, E>;

/// A DuckDB database, file or in memory.
///
/// Every connection is a clone of one root connection: they share the database (an in-memory
/// database is private to this backend, and lives as long as it does), and a database file is
/// opened once per backend, as DuckDB's file lock requires.
#[derive(Debug)]
pub struct DuckDbBackend {
    profile: Profile,
    root: Mutex<duckdb::Connection>,
}

/// Opens the database file at `path` as the profile `profile`, creating the file if it does not
/// exist (its directory must).
///
/// ```no_run
/// # async fn demo() -> xorq_engines::Result<()> {
/// use xorq_engines::backend::Backend;
/// let con = xorq_duckdb::connect("shop.duckdb", "shop")?;
/// con.execute_sql("CREATE TABLE IF NOT EXISTS t (x BIGINT)").await?;
/// let t = con.table("t").await?;
/// # Ok(()) }
/// ```
pub fn connect(path: impl AsRef<Path>, profile: &str) -> Result<Arc<DuckDbBackend>> {
    let path = std::path::absolute(path.as_ref()).map_err(|e| {
        connect_error(profile, format!("cannot resolve `{}`: {e}", path.as_ref().display()), String::new())
    })?;
    let profile = Profile::new(profile, KIND)?.param("path", &path.to_string_lossy())?;
    open_file(profile, &path, Access::Create)
}

/// A private in-memory database, kept while the backend lives; all its connections see it.
///
/// ```
/// # async fn demo() -> xorq_engines::Result<()> {
/// use xorq_engines::backend::Backend;
/// let con = xorq_duckdb::connect_memory("scratch")?;
/// con.execute_sql("CREATE TABLE t AS SELECT 42 AS answer").await?;
/// assert_eq!(con.table("t").await?.columns(), ["answer"]);
/// # Ok(()) }
/// # let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
/// # runtime.block_on(demo()).expect("the example runs");
/// ```
pub fn connect_memory(profile: &str) -> Result<Arc<DuckDbBackend>> {
    let profile = Profile::new(profile, KIND)?.param("path", MEMORY)?;
    let name = profile.name().to_string();
    let root = duckdb::Connection::open_in_memory_with_flags(config(false, &name)?)
        .map_err(|e| connect_error(&name, format!("cannot open an in-memory database: {e}"), String::new()))?;
    Ok(Arc::new(DuckDbBackend { profile, root: Mutex::new(root) }))
}

/// Connects DuckDB profiles, for [`Connectors`](xorq_engines::backend::Connectors).
///
/// Parameters: `path`, a database file or `:memory:` (a new, empty database); `read_only`,
/// `true` to open the file read-only (other processes may then read it too), default `false`.
///
/// A profile never creates a database: a `path` that does not exist is an error naming the
/// profile and the path, whether read-only or not, since the build that names the profile
/// expects tables in it (a typo would otherwise surface later as a missing table, in a new
/// empty file). Create databases with [`connect`] or DuckDB's own tools.
///
/// ```
/// use xorq_engines::backend::Connectors;
/// let connectors = Connectors::builtin().with(xorq_duckdb::KIND, xorq_duckdb::connector());
/// assert!(connectors.kinds().contains(&"duckdb"));
/// ```
pub fn connector() -> Connector {
    Arc::new(|profile: Profile, params: BTreeMap<String, String>| {
        Box::pin(async move {
            let name = profile.name().to_string();
            let read_only = match params.get("read_only").map(|v| v.trim().to_ascii_lowercase()) {
                None => false,
                Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => true,
                Some(v) if matches!(v.as_str(), "false" | "0" | "no") => false,
                Some(v) => {
                    return Err(connect_error(
                        &name,
                        format!("parameter `read_only` is `{v}`"),
                        "\nhint: write `read_only: true` or `read_only: false`".into(),
                    ));
                }
            };
            let backend: BackendRef = match params.get("path").map(String::as_str) {
                Some(MEMORY) => connect_memory(&name)?,
                Some(path) => {
                    let access = if read_only { Access::ReadOnly } else { Access::Existing };
                    open_file(profile, Path::new(path), access)?
                }
                None => {
                    return Err(connect_error(
                        &name,
                        "the profile has no `path`".into(),
                        "\nhint: a DuckDB profile names its database file as `path` (or `:memory:`)".into(),
                    ));
                }
            };
            Ok(backend)
        })
    })
}

/// How a database file is opened.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    /// Read-write, created if missing.
    Create,
    /// Read-write, must exist.
    Existing,
    /// Read-only, must exist.
    ReadOnly,
}

fn connect_error(profile: &str, message: String, hint: String) -> EngineError {
    EngineError::Connect { profile: profile.to_string(), kind: KIND.into(), message, hint }
}

/// DuckDB's settings for every database: extensions that are installed load when a query needs
/// them, but none is ever downloaded (a query must not reach the network, nor hang without it).
fn config(read_only: bool, profile: &str) -> Result<duckdb::Config> {
    let settings = || -> Result<duckdb::Config, duckdb::Error> {
        let config = duckdb::Config::default().with("autoinstall_known_extensions", "false")?;
        if read_only { config.access_mode(duckdb::AccessMode::ReadOnly) } else { Ok(config) }
    };
    settings().map_err(|e| connect_error(profile, format!("cannot configure DuckDB: {e}"), String::new()))
}

fn open_file(profile: Profile, path: &Path, access: Access) -> Result<Arc<DuckDbBackend>> {
    let name = profile.name().to_string();
    let shown = path.display();
    let directory = path.parent().map(PathBuf::from).unwrap_or_default();
    if access == Access::Create && !directory.as_os_str().is_empty() && !directory.is_dir() {
        return Err(connect_error(
            &name,
            format!("cannot create the database `{shown}`: the directory `{}` does not exist", directory.display()),
            "\nhint: create the directory first, or check the path".into(),
        ));
    }
    if access != Access::Create && !path.exists() {
        return Err(connect_error(
            &name,
            format!("the database file `{shown}` does not exist"),
            "\nhint: check the profile's `path`; connecting a profile never creates a database".into(),
        ));
    }
    let root = duckdb::Connection::open_with_flags(path, config(access == Access::ReadOnly, &name)?).map_err(|e| {
        let message = e.to_string();
        let hint = if message.contains("lock") {
            "\nhint: another process has this database open; DuckDB allows one process to write a database file, or several to read it with `read_only: true`"
        } else {
            ""
        };
        connect_error(&name, format!("cannot open `{shown}`: {message}"), hint.into())
    })?;
    Ok(Arc::new(DuckDbBackend { profile, root: Mutex::new(root) }))
}

impl DuckDbBackend {
    /// A new connection to this backend's database.
    fn connection(&self) -> Result<duckdb::Connection> {
        lock(&self.root, self.profile.name())?
            .try_clone()
            .map_err(|e| Failure::from(e).in_profile(self.profile.name(), "opening a connection"))
    }

    /// Runs statements that return no rows (DDL, inserts, `COPY`…), e.g. to set up data.
    pub async fn execute_sql(&self, sql: &str) -> Result<()> {
        let conn = self.connection()?;
        let (sql, profile) = (sql.to_string(), self.profile.name().to_string());
        blocking(&profile.clone(), move || {
            conn.execute_batch(&sql)
                .map_err(|e| Failure::from(e).in_profile(&profile, &format!("running `{}`", excerpt(&sql))))
        })
        .await
    }

    /// Creates the table `name` (in the default schema) with `schema` and streams `rows` into
    /// it through DuckDB's appender, a few batches in memory at a time. Returns the number of
    /// rows written. Columns are typed as the [crate documentation](crate#types) says; a table
    /// of that name already there is an error.
    ///
    /// ```
    /// # async fn demo() -> xorq_engines::Result<()> {
    /// use std::sync::Arc;
    /// use arrow::array::{ArrayRef, Int64Array, RecordBatch};
    /// use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    /// use xorq_engines::backend::Backend;
    ///
    /// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef)])
    ///     .map_err(|e| xorq_engines::EngineError::Internal(e.to_string()))?;
    /// let schema = xorq_core::Schema::from_arrow(&batch.schema())?;
    /// let rows = RecordBatchStreamAdapter::new(batch.schema(), futures::stream::iter([Ok(batch)]));
    /// let con = xorq_duckdb::connect_memory("scratch")?;
    /// assert_eq!(con.create_table("numbers", &schema, Box::pin(rows)).await?, 2);
    /// assert_eq!(con.table("numbers").await?.columns(), ["x"]);
    /// # Ok(()) }
    /// # let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    /// # runtime.block_on(demo()).expect("the example runs");
    /// ```
    pub async fn create_table(&self, name: &str, schema: &Schema, rows: SendableRecordBatchStream) -> Result<u64> {
        let conn = Arc::new(Mutex::new(self.connection()?));
        load::load(conn, self.profile.name(), name, Lifetime::Persistent, schema, rows).await
    }

    /// Runs `sql` straight through DuckDB and collects its batches as DuckDB types them, with no
    /// expression, SQL generation or conforming in between: the baseline benchmarks compare
    /// [`Connection::query`] against.
    pub async fn query_arrow_direct(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let conn = self.connection()?;
        let (sql, profile) = (sql.to_string(), self.profile.name().to_string());
        blocking(&profile.clone(), move || {
            let run = || -> Result<Vec<RecordBatch>, Failure> {
                let mut stmt = conn.prepare(&sql)?;
                let batches = stmt.stream_arrow([])?;
                batches.map(|b| Ok(bridge::to_arrow59(b?)?)).collect()
            };
            run().map_err(|e| e.in_profile(&profile, &format!("running `{}`", excerpt(&sql))))
        })
        .await
    }
}

#[async_trait]
impl Backend for DuckDbBackend {
    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn dialect(&self) -> SqlDialect {
        SqlDialect::DuckDb
    }

    /// The columns as `DESCRIBE` reports them, which resolves `table` as a query would
    /// (temporary tables, then the default schema; views too).
    async fn table_schema(&self, table: &[String]) -> Result<Schema> {
        let conn = self.connection()?;
        let profile = self.profile.name().to_string();
        let shown = table.join(".");
        let describe = format!("DESCRIBE {}", table.iter().map(|p| quote_ident(p)).collect::<Vec<_>>().join("."));
        blocking(&profile.clone(), move || {
            let context = format!("reading the columns of `{shown}`");
            let read = || -> Result<Vec<(String, String, Option<String>)>, Failure> {
                let mut stmt = conn.prepare(&describe)?;
                let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            };
            let columns = read().map_err(|e| e.in_profile(&profile, &context))?;
            if columns.is_empty() {
                return Err(EngineError::TableNotFound { profile, table: shown });
            }
            let fields = columns
                .into_iter()
                .map(|(column, type_name, null)| {
                    let dtype = types::from_duckdb(&type_name).ok_or_else(|| EngineError::Backend {
                        profile: profile.clone(),
                        context: context.clone(),
                        message: format!(
                            "column `{column}` has the DuckDB type `{type_name}`, which xorq-rs cannot read yet"
                        ),
                    })?;
                    Ok(Field::new(column, dtype, null.as_deref() != Some("NO")))
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Schema::new_in(fields, &format!("table `{shown}`"))?)
        })
        .await
    }

    async fn open(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(DuckDbSession::new(self.profile.name(), self.connection()?)))
    }
}
