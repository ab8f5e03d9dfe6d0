//! Connections to other engines (`xo.duckdb.connect()`, `xo.sqlite.connect()`,
//! `xo.postgres.connect_env()`, `xo.connect()` for the embedded engine): each is registered in
//! the process's session under its profile name, so expressions reading its tables
//! (`con.table("users")`) or moving rows into it (`.into_backend(con)`) run, and builds record
//! its profile (secrets stay `${ENV}` references).

use std::sync::RwLock;

use pyo3::prelude::*;
use xorq::Session;
use xorq::backends::BackendRef;

use crate::errors::{UsageError, to_py};
use crate::table::{PyTable, runtime};

/// The session every query of this process runs in: the embedded engine, the user's cache and
/// the connected backends.
static SESSION: RwLock<Option<Session>> = RwLock::new(None);

/// The current session (a cheap clone: its parts are shared).
pub(crate) fn session() -> Session {
    if let Ok(guard) = SESSION.read()
        && let Some(session) = guard.as_ref()
    {
        return session.clone();
    }
    let mut guard = SESSION.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.get_or_insert_with(Session::new).clone()
}

fn register(backend: BackendRef) {
    let mut guard = SESSION.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let session = guard.take().unwrap_or_default();
    *guard = Some(session.with_backend(backend));
}

/// The profiles every build of this process may name (those an expression uses are written).
pub(crate) fn profiles() -> Vec<xorq::profile::Profile> {
    session().profiles()
}

/// A connection to an engine, named by its profile: what `.into_backend(con)` and
/// `SourceCache.from_kwargs(source=con)` take.
#[pyclass(name = "Backend", module = "xorq_rs", frozen)]
pub(crate) struct PyBackend {
    /// The profile name: how builds and addresses refer to this engine.
    #[pyo3(get)]
    pub(crate) profile: String,
    /// `duckdb`, `sqlite`, `postgres` or `datafusion` (the embedded engine).
    #[pyo3(get)]
    kind: String,
}

#[pymethods]
impl PyBackend {
    /// The table `name` of this engine (`schema.table` allowed), its schema read now.
    fn table(&self, py: Python<'_>, name: &str) -> PyResult<PyTable> {
        if self.kind == xorq::backends::LOCAL_KIND {
            return Err(UsageError::new_err(
                "the embedded engine has no tables of its own: read files with xo.deferred_read_parquet/csv/json or \
                 make one with xo.memtable(...)",
            ));
        }
        let backend = session().backend(&self.profile).map_err(to_py)?;
        let name = name.to_string();
        let table = py.detach(|| runtime()?.block_on(backend.table(&name)).map_err(to_py))?;
        Ok(PyTable { table })
    }

    fn __repr__(&self) -> String {
        format!("<xorq_rs.Backend {} (kind {})>", self.profile, self.kind)
    }
}

fn connected(backend: BackendRef) -> PyBackend {
    let out = PyBackend { profile: backend.profile().name().to_string(), kind: backend.profile().kind().to_string() };
    register(backend);
    out
}

/// The embedded DataFusion engine (profile `local`).
#[pyfunction]
pub(crate) fn connect_local() -> PyBackend {
    PyBackend { profile: xorq::exec::LOCAL_PROFILE.to_string(), kind: xorq::backends::LOCAL_KIND.to_string() }
}

/// SQLite: the database file at `path`, or an in-memory one.
#[pyfunction]
#[pyo3(signature = (path = None, name = "sqlite"))]
pub(crate) fn sqlite_connect(path: Option<&str>, name: &str) -> PyResult<PyBackend> {
    let backend = match path {
        Some(p) => xorq::sqlite::connect(p, name),
        None => xorq::sqlite::connect_memory(name),
    }
    .map_err(to_py)?;
    Ok(connected(backend))
}

/// PostgreSQL from the usual variables (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`,
/// `PGDATABASE`); the build records them as `${ENV}` references, never their values.
#[pyfunction]
#[pyo3(signature = (name = "postgres"))]
pub(crate) fn postgres_connect_env(py: Python<'_>, name: &str) -> PyResult<PyBackend> {
    let name = name.to_string();
    let backend =
        py.detach(|| runtime()?.block_on(xorq::postgres::connect_env(&name)).map_err(to_py).map(|b| b as BackendRef))?;
    Ok(connected(backend))
}

/// PostgreSQL at a `postgresql://` URL.
#[pyfunction]
#[pyo3(signature = (url, name = "postgres"))]
pub(crate) fn postgres_connect(py: Python<'_>, url: &str, name: &str) -> PyResult<PyBackend> {
    let (url, name) = (url.to_string(), name.to_string());
    let backend = py
        .detach(|| runtime()?.block_on(xorq::postgres::connect(&url, &name)).map_err(to_py).map(|b| b as BackendRef))?;
    Ok(connected(backend))
}

/// An Apache DataFusion Ballista cluster: the scheduler at `url` (`df://host:port`). Parts of an
/// expression moved into it (`.into_backend(con)`) run there, reading their sources on its
/// executors.
#[pyfunction]
#[pyo3(signature = (url, name = "cluster"))]
pub(crate) fn ballista_connect(py: Python<'_>, url: &str, name: &str) -> PyResult<PyBackend> {
    let profile = xorq::profile::Profile::new(name, xorq::ballista::KIND)
        .and_then(|p| p.param("url", url))
        .map_err(|e| UsageError::new_err(e.to_string()))?;
    let backend = py.detach(|| runtime()?.block_on(xorq::backends::connectors().connect(&profile)).map_err(to_py))?;
    Ok(connected(backend))
}

/// DuckDB: the database file at `path`, or an in-memory one.
#[pyfunction]
#[pyo3(signature = (path = None, name = "duckdb"))]
pub(crate) fn duckdb_connect(path: Option<&str>, name: &str) -> PyResult<PyBackend> {
    #[cfg(feature = "duckdb")]
    {
        let backend: BackendRef = match path {
            Some(p) => xorq::duckdb::connect(p, name),
            None => xorq::duckdb::connect_memory(name),
        }
        .map_err(to_py)?;
        Ok(connected(backend))
    }
    #[cfg(not(feature = "duckdb"))]
    {
        let _ = (path, name);
        Err(UsageError::new_err(
            "this build of xorq_rs has no DuckDB (its C++ makes a build long, so it is opt-in): build the wheel with \
             it, `pip install maturin && maturin build --release --features duckdb -m crates/xorq-python/Cargo.toml` \
             from a checkout, then `pip install` the wheel it writes under target/wheels",
        ))
    }
}

/// Whether this build has DuckDB.
#[pyfunction]
pub(crate) fn has_duckdb() -> bool {
    cfg!(feature = "duckdb")
}
