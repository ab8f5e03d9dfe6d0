//! SQLite, embedded (feature `sqlite`, the bundled C library).
//!
//! Every call runs on a blocking thread; a query streams rows from SQLite's cursor through a
//! bounded channel ([`batch_channel`]), converting them to the IR's types (see `types.rs` for
//! how SQLite's storage classes map, and where SQLite's semantics differ).

mod functions;
mod read;
mod types;
mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use rusqlite::OpenFlags;
use tokio::sync::oneshot;
use xorq_core::profile::Profile;
use xorq_core::{Field, Schema};

use super::{Backend, BackendRef, Connection, Connector, batch_channel, conform_stream, quote_ident, timeout_from};
use crate::dialect::SqlDialect;
use crate::error::{EngineError, Result};

/// The engine kind in profiles.
pub const KIND: &str = "sqlite";

/// A SQLite database file (or a private in-memory database).
#[derive(Debug)]
pub struct SqliteBackend {
    profile: Profile,
    uri: String,
    flags: OpenFlags,
    busy_timeout: Duration,
    /// An in-memory database lives as long as one connection to it is open.
    _keep_alive: Option<Mutex<rusqlite::Connection>>,
}

/// Opens (creating it if needed) the database at `path` as the profile `profile`.
///
/// ```no_run
/// # async fn demo() -> xorq_engines::Result<()> {
/// use xorq_engines::backend::{Backend, sqlite};
/// let con = sqlite::connect("shop.db", "shop")?;
/// con.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)").await?;
/// let t = con.table("t").await?;
/// # Ok(()) }
/// ```
pub fn connect(path: impl AsRef<Path>, profile: &str) -> Result<Arc<SqliteBackend>> {
    let path = absolute(path.as_ref(), profile)?;
    let profile = Profile::new(profile, KIND)?.param("path", &path.to_string_lossy())?;
    open_backend(profile, &path, true, Duration::from_secs(5))
}

/// A private in-memory database, kept while the backend lives (every connection of the backend
/// sees it).
pub fn connect_memory(profile: &str) -> Result<Arc<SqliteBackend>> {
    let profile = Profile::new(profile, KIND)?.param("path", ":memory:")?;
    memory_backend(profile, Duration::from_secs(5))
}

/// Connects SQLite profiles (`path`: a database file that must exist, or `:memory:`;
/// `busy_timeout`: seconds to wait on a locked database, default 5).
pub fn connector() -> Connector {
    Arc::new(|profile: Profile, params| {
        Box::pin(async move {
            let name = profile.name().to_string();
            let busy =
                timeout_from(&name, &params, "busy_timeout", "XORQ_SQLITE_BUSY_TIMEOUT", Duration::from_secs(5))?
                    .unwrap_or(Duration::MAX);
            let backend: BackendRef = match params.get("path").map(String::as_str) {
                Some(":memory:") => memory_backend(profile, busy)?,
                Some(path) => open_backend(profile, Path::new(path), false, busy)?,
                None => {
                    return Err(EngineError::Connect {
                        profile: name,
                        kind: KIND.into(),
                        message: "the profile has no `path`".into(),
                        hint: "\nhint: a SQLite profile names its database file as `path`".into(),
                    });
                }
            };
            Ok(backend)
        })
    })
}

fn absolute(path: &Path, profile: &str) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| connect_error(profile, format!("cannot resolve `{}`: {e}", path.display())))
}

fn connect_error(profile: &str, message: String) -> EngineError {
    EngineError::Connect { profile: profile.to_string(), kind: KIND.into(), message, hint: String::new() }
}

fn open_backend(profile: Profile, path: &Path, create: bool, busy_timeout: Duration) -> Result<Arc<SqliteBackend>> {
    if !create && !path.exists() {
        return Err(EngineError::Connect {
            profile: profile.name().to_string(),
            kind: KIND.into(),
            message: format!("the database file `{}` does not exist", path.display()),
            hint: "\nhint: check the profile's `path`; a build reads a database, it never creates one".into(),
        });
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let backend =
        SqliteBackend { uri: path.to_string_lossy().into_owned(), flags, busy_timeout, profile, _keep_alive: None };
    drop(backend.open_raw()?); // fail now, not at the first query
    Ok(Arc::new(backend))
}

fn memory_backend(profile: Profile, busy_timeout: Duration) -> Result<Arc<SqliteBackend>> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let uri = format!("file:xorq-{}-{}-{n}?mode=memory&cache=shared", profile.name(), std::process::id());
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut backend = SqliteBackend { profile, uri, flags, busy_timeout, _keep_alive: None };
    backend._keep_alive = Some(Mutex::new(backend.open_raw()?));
    Ok(Arc::new(backend))
}

impl SqliteBackend {
    fn open_raw(&self) -> Result<rusqlite::Connection> {
        let conn = rusqlite::Connection::open_with_flags(&self.uri, self.flags)
            .map_err(|e| connect_error(self.profile.name(), format!("cannot open `{}`: {e}", self.uri)))?;
        conn.busy_timeout(self.busy_timeout).map_err(|e| connect_error(self.profile.name(), e.to_string()))?;
        // `LIKE` is case-sensitive in every other engine (ILIKE is written with lower()).
        conn.pragma_update(None, "case_sensitive_like", true)
            .and_then(|()| functions::register(&conn))
            .map_err(|e| connect_error(self.profile.name(), e.to_string()))?;
        Ok(conn)
    }

    /// Runs statements (DDL, inserts) that return no rows: for setting up data.
    pub async fn execute(&self, sql: &str) -> Result<()> {
        let conn = self.open_raw()?;
        let (sql, profile) = (sql.to_string(), self.profile.name().to_string());
        blocking(&profile.clone(), move || {
            conn.execute_batch(&sql).map_err(|e| backend_error(&profile, "running a statement", &e))
        })
        .await
    }
}

async fn blocking<T: Send + 'static>(profile: &str, f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| EngineError::Backend {
        profile: profile.to_string(),
        context: "a SQLite worker thread".into(),
        message: e.to_string(),
    })?
}

fn backend_error(profile: &str, context: &str, e: &rusqlite::Error) -> EngineError {
    let message = e.to_string();
    if let Some(table) = message.strip_prefix("no such table: ") {
        return EngineError::TableNotFound { profile: profile.to_string(), table: table.to_string() };
    }
    EngineError::Backend { profile: profile.to_string(), context: context.to_string(), message }
}

#[async_trait]
impl Backend for SqliteBackend {
    fn profile(&self) -> &Profile {
        &self.profile
    }

    fn dialect(&self) -> SqlDialect {
        SqlDialect::Sqlite
    }

    async fn table_schema(&self, table: &[String]) -> Result<Schema> {
        let (schema_name, name) = match table {
            [name] => ("main".to_string(), name.clone()),
            [schema, name] => (schema.clone(), name.clone()),
            _ => {
                return Err(EngineError::TableNotFound { profile: self.profile.name().into(), table: table.join(".") });
            }
        };
        let conn = self.open_raw()?;
        let profile = self.profile.name().to_string();
        let qualified = table.join(".");
        blocking(&profile.clone(), move || {
            let mut stmt = conn
                .prepare("SELECT name, type FROM pragma_table_info(?1, ?2) ORDER BY cid")
                .map_err(|e| backend_error(&profile, "reading a table's columns", &e))?;
            let columns = stmt
                .query_map([&name, &schema_name], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| backend_error(&profile, &format!("reading the columns of `{qualified}`"), &e))?;
            if columns.is_empty() {
                return Err(EngineError::TableNotFound { profile, table: qualified });
            }
            let fields = columns.into_iter().map(|(n, t)| Field::new(n, types::from_declared(&t), true)).collect();
            Ok(Schema::new_in(fields, &format!("table `{qualified}`"))?)
        })
        .await
    }

    async fn open(&self) -> Result<Box<dyn Connection>> {
        Ok(Box::new(SqliteSession {
            profile: self.profile.name().to_string(),
            conn: Arc::new(Mutex::new(self.open_raw()?)),
        }))
    }
}

/// One SQLite connection: temporary tables, then a query.
struct SqliteSession {
    profile: String,
    conn: Arc<Mutex<rusqlite::Connection>>,
}

fn lock<'a>(conn: &'a Mutex<rusqlite::Connection>, profile: &str) -> Result<MutexGuard<'a, rusqlite::Connection>> {
    conn.lock().map_err(|_| EngineError::Backend {
        profile: profile.to_string(),
        context: "a SQLite connection".into(),
        message: "a previous use panicked".into(),
    })
}

#[async_trait]
impl Connection for SqliteSession {
    async fn load(&mut self, name: &str, schema: &Schema, mut rows: SendableRecordBatchStream) -> Result<u64> {
        let columns: Vec<String> =
            schema.fields().iter().map(|f| format!("{} {}", quote_ident(&f.name), types::declared(&f.dtype))).collect();
        let table = quote_ident(name);
        let create = format!("CREATE TEMP TABLE {table} ({}); BEGIN;", columns.join(", "));
        let insert = format!("INSERT INTO {table} VALUES ({})", vec!["?"; columns.len()].join(", "));
        let (conn, profile) = (self.conn.clone(), self.profile.clone());
        let context = format!("moving rows into `{name}`");
        {
            let (conn, profile, context) = (conn.clone(), profile.clone(), context.clone());
            blocking(&profile.clone(), move || {
                lock(&conn, &profile)?.execute_batch(&create).map_err(|e| backend_error(&profile, &context, &e))
            })
            .await?;
        }
        let mut written = 0u64;
        while let Some(batch) = rows.next().await {
            let batch = batch.map_err(|e| EngineError::datafusion(context.clone(), e))?;
            written += batch.num_rows() as u64;
            let (conn, profile, insert, context) = (conn.clone(), profile.clone(), insert.clone(), context.clone());
            blocking(&profile.clone(), move || {
                let guard = lock(&conn, &profile)?;
                let mut stmt = guard.prepare_cached(&insert).map_err(|e| backend_error(&profile, &context, &e))?;
                write::insert_batch(&mut stmt, &batch).map_err(|message| EngineError::Backend {
                    profile: profile.clone(),
                    context: context.clone(),
                    message,
                })
            })
            .await?;
        }
        blocking(&profile.clone(), move || {
            lock(&conn, &profile)?.execute_batch("COMMIT").map_err(|e| backend_error(&profile, &context, &e))
        })
        .await?;
        Ok(written)
    }

    async fn query(self: Box<Self>, sql: String, schema: ArrowSchemaRef) -> Result<SendableRecordBatchStream> {
        let (sender, stream) = batch_channel(schema.clone(), 2);
        let (prepared_tx, prepared_rx) = oneshot::channel::<Result<()>>();
        let SqliteSession { profile, conn } = *self;
        let worker_profile = profile.clone();
        tokio::task::spawn_blocking(move || {
            let profile = worker_profile;
            let guard = match lock(&conn, &profile) {
                Ok(g) => g,
                Err(e) => {
                    let _ = prepared_tx.send(Err(e));
                    return;
                }
            };
            let mut stmt = match guard.prepare(&sql) {
                Ok(s) => s,
                Err(e) => {
                    let _ = prepared_tx.send(Err(backend_error(&profile, "preparing the segment's SQL", &e)));
                    return;
                }
            };
            let _ = prepared_tx.send(Ok(()));
            let fail = |message: String| {
                DataFusionError::External(Box::new(EngineError::Backend {
                    profile: profile.clone(),
                    context: "reading the segment's rows".into(),
                    message,
                }))
            };
            let mut rows = match stmt.query([]) {
                Ok(r) => r,
                Err(e) => {
                    sender.send(Err(fail(e.to_string())));
                    return;
                }
            };
            let mut builder = read::BatchBuilder::new(schema);
            loop {
                match rows.next() {
                    Ok(Some(row)) => {
                        if let Err(e) = builder.append(row) {
                            sender.send(Err(fail(e)));
                            return;
                        }
                        if builder.len() >= read::BATCH_ROWS {
                            let batch = builder.finish().map_err(fail);
                            if !sender.send(batch) {
                                return; // the stream was dropped: stop reading
                            }
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        sender.send(Err(fail(e.to_string())));
                        return;
                    }
                }
            }
            if builder.len() > 0 {
                sender.send(builder.finish().map_err(fail));
            }
        });
        match prepared_rx.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(EngineError::Backend {
                    profile,
                    context: "running the segment".into(),
                    message: "the SQLite worker stopped".into(),
                });
            }
        }
        let schema = stream.schema();
        Ok(conform_stream(stream, schema, format!("SQLite profile `{profile}`")))
    }
}
