//! xorq-rs: deferred data pipelines named by the hash of their logic.
//!
//! Build an expression, read its address, run it on the embedded engine (DataFusion):
//!
//! ```no_run
//! use xorq::prelude::*;
//!
//! let totals = xorq::read_parquet("sales.parquet")?
//!     .filter(col("amount").gt(lit(100)))?
//!     .group_by(["region"])
//!     .agg([col("amount").sum().alias("total")])?;
//! println!("address: {}", totals.address());
//! let batches = totals.execute()?;
//! # Ok::<(), xorq::Error>(())
//! ```

use arrow::array::RecordBatch;
use thiserror::Error;

pub use xorq_core::*;
pub use xorq_exec::{Inputs, Params, Session};

/// The cache (SPEC §4): where [`Table::cache`] results are stored and how runs report hits and
/// misses. `execute()` uses `$XORQ_CACHE_DIR`, else `~/.cache/xorq`; a [`Session`] takes another
/// with [`Session::with_cache`].
///
/// ```no_run
/// use xorq::prelude::*;
/// use xorq::cache::Cache;
///
/// let totals = xorq::read_parquet("sales.parquet")?
///     .group_by(["region"])
///     .agg([col("amount").sum().alias("total")])?
///     .cache(CacheStrategy::modification_time())?; // recomputed when sales.parquet changes
/// let session = Session::new().with_cache(Cache::in_dir("cache").on_event(|e| eprintln!("{e}")));
/// let batches = xorq::exec::blocking::execute_in(&session, &totals, &Params::new())?;
/// # Ok::<(), xorq::Error>(())
/// ```
pub use xorq_exec::cache;

/// Running expressions: sessions, blocking entry points, parameters.
pub use xorq_exec as exec;

/// Build artifacts: `build::build(&table, dir, &options)` writes `builds/<address>/`,
/// `build::load(dir)` reads one back into an equal expression.
///
/// ```no_run
/// # fn demo(table: xorq::Table) -> Result<(), xorq::build::BuildError> {
/// let built = xorq::build::build(&table, "builds".as_ref(), &xorq::build::BuildOptions::default())?;
/// assert_eq!(xorq::build::load(&built.path)?.table.address(), built.address);
/// # Ok(()) }
/// ```
pub use xorq_build as build;

/// Machine learning inside expressions: deterministic splits, estimators fitted as aggregates
/// whose value is the model (data, never code), prediction as a function. Call
/// [`ml::register`] once before using its functions (the `xorq` binary does).
pub use xorq_ml as ml;

/// Backends (SPEC §5): engines that hold tables and run SQL, connected from named profiles.
/// Their tables are read with [`Backend::table`](backends::Backend::table); rows move between
/// engines with [`Table::into_backend`]; a [`Session`] runs each part where its data lives.
///
/// ```no_run
/// # async fn demo() -> xorq::Result<()> {
/// use xorq::prelude::*;
/// use xorq::backends::Backend;
/// let shop = xorq::sqlite::connect("shop.db", "shop")?;
/// let orders = shop.table("orders").await?;                 // schema from SQLite
/// let big = orders.filter(col("amount").gt(lit(100)))?       // runs in SQLite
///     .into_backend(xorq::exec::LOCAL_PROFILE)?                // streamed into DataFusion
///     .group_by(["region"]).agg([col("amount").std().alias("sd")])?;
/// let batches = Session::new().with_backend(shop).execute(&big, &Params::new()).await?;
/// # Ok(()) }
/// ```
pub mod backends {
    pub use xorq_engines::backend::{Backend, BackendRef, Connection, Connector, Connectors, LOCAL_KIND};

    /// Every engine compiled into this program (features `sqlite`, `postgres`, `duckdb`), for
    /// connecting a build's profiles.
    pub fn connectors() -> Connectors {
        #[allow(unused_mut)] // without the duckdb feature
        let mut connectors = Connectors::builtin();
        #[cfg(feature = "duckdb")]
        {
            connectors = connectors.with("duckdb", xorq_duckdb::connector());
        }
        connectors
    }
}

/// Apache DataFusion Ballista clusters (feature `ballista`): `kind: ballista` profiles, and the
/// scheduler and executor processes `xorq ballista` starts.
#[cfg(feature = "ballista")]
pub use xorq_engines::ballista;

/// Embedded SQLite (feature `sqlite`).
#[cfg(feature = "sqlite")]
pub use xorq_engines::backend::sqlite;

/// PostgreSQL (feature `postgres`).
#[cfg(feature = "postgres")]
pub use xorq_engines::backend::postgres;

/// Embedded DuckDB (feature `duckdb`).
#[cfg(feature = "duckdb")]
pub use xorq_duckdb as duckdb;

/// Any error of the xorq-rs library.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The expression was rejected while it was built.
    #[error(transparent)]
    Core(#[from] xorq_core::CoreError),
    /// A source could not be probed or the expression could not be lowered.
    #[error(transparent)]
    Engine(#[from] xorq_engines::EngineError),
    /// Running the expression failed.
    #[error(transparent)]
    Exec(#[from] xorq_exec::ExecError),
}

impl Error {
    /// Whose fault this is: usage, runtime or a bug (see [`Fault`]).
    pub fn fault(&self) -> Fault {
        match self {
            Error::Core(e) => e.fault(),
            Error::Engine(e) => e.fault(),
            Error::Exec(e) => e.fault(),
        }
    }
}

/// Result alias for the facade.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn read(format: FileFormat, path: &str) -> Result<Table> {
    Ok(xorq_engines::probe::read_file(format, path)?)
}

/// A deferred Parquet read (a file or a directory of files). The schema is read now, from the
/// footer; the data when the expression runs.
pub fn read_parquet(path: &str) -> Result<Table> {
    read(FileFormat::Parquet, path)
}

/// A deferred CSV read with a header line and `,` separators; types are inferred from the first
/// rows now.
pub fn read_csv(path: &str) -> Result<Table> {
    read(FileFormat::Csv(CsvOptions::default()), path)
}

/// A deferred CSV read with explicit options.
pub fn read_csv_with(path: &str, options: CsvOptions) -> Result<Table> {
    read(FileFormat::Csv(options), path)
}

/// A deferred newline-delimited JSON read; types are inferred from the first rows now.
pub fn read_json(path: &str) -> Result<Table> {
    read(FileFormat::Json, path)
}

/// The table one SQL `SELECT` computes (sources: `read_parquet('…')`, `read_csv('…')`,
/// `read_json('…')`, relative to the current directory). Its address is that of the same logic
/// written with the builder; see [`sql_to_table_with`] for a base directory and backend tables.
///
/// ```no_run
/// let t = xorq::sql("SELECT region, sum(amount) AS total FROM read_parquet('sales.parquet') GROUP BY region")?;
/// # Ok::<(), xorq::Error>(())
/// ```
pub fn sql(text: &str) -> Result<Table> {
    Ok(sql_to_table(text, &NoBackends)?)
}

pub use xorq_engines::datafusion::sql::{NoBackends, SqlOptions, TableResolver, sql_to_table, sql_to_table_with};

/// A table over in-memory Arrow batches.
pub fn memtable(batches: Vec<RecordBatch>) -> Result<Table> {
    Ok(Table::memtable(batches)?)
}

/// Running expressions from synchronous code.
pub trait Execute {
    /// Runs the expression with default parameter values and collects the result.
    fn execute(&self) -> Result<Vec<RecordBatch>>;

    /// Runs the expression with `params` bound.
    fn execute_with(&self, params: &Params) -> Result<Vec<RecordBatch>>;

    /// Runs the expression and yields its batches as they are produced, without collecting the
    /// whole result.
    ///
    /// ```no_run
    /// use xorq::prelude::*;
    /// let t = xorq::read_parquet("sales.parquet")?;
    /// let mut rows = 0;
    /// for batch in t.execute_stream(&Params::new())? {
    ///     rows += batch?.num_rows();
    /// }
    /// # Ok::<(), xorq::Error>(())
    /// ```
    fn execute_stream(&self, params: &Params) -> Result<BatchStream>;
}

/// Batches of a running expression, one at a time (see [`Execute::execute_stream`]).
pub struct BatchStream(xorq_exec::blocking::BatchIter);

impl BatchStream {
    /// The schema every batch has.
    pub fn schema(&self) -> arrow::datatypes::SchemaRef {
        self.0.schema()
    }
}

impl Iterator for BatchStream {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|r| r.map_err(Error::from))
    }
}

impl Execute for Table {
    fn execute(&self) -> Result<Vec<RecordBatch>> {
        self.execute_with(&Params::new())
    }

    fn execute_with(&self, params: &Params) -> Result<Vec<RecordBatch>> {
        Ok(xorq_exec::blocking::execute(self, params)?)
    }

    fn execute_stream(&self, params: &Params) -> Result<BatchStream> {
        Ok(BatchStream(xorq_exec::blocking::execute_stream(self, params)?))
    }
}

pub mod functions;

/// The DataFusion xorq-rs runs on, for implementing registered functions ([`functions`]).
pub use datafusion;

/// The names most programs need: `use xorq::prelude::*;`.
pub mod prelude {
    pub use crate::Execute;
    pub use xorq_core::{
        CacheStorage, CacheStrategy, DataType, FrameBound, JoinKind, Table, Window, coalesce, col, count_star,
        dense_rank, greatest, interval_days, interval_months, lcol, least, lit, lit_date, lit_null, lit_timestamp,
        param, rank, rcol, row_number, when,
    };
    pub use xorq_exec::{Inputs, Params, Session};
}
