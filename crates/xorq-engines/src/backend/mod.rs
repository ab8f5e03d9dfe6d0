//! Backends: the engines besides the embedded DataFusion session that hold data and run SQL
//! (SPEC §5). A [`Backend`] is connected from a [`Profile`]; the runner (xorq-exec) splits an
//! expression into the segments that live on each engine, sends each segment as SQL in the
//! engine's dialect, and glues the results together as Arrow streams.
//!
//! The embedded engines (SQLite here, DuckDB in `xorq-duckdb`) and PostgreSQL implement the
//! same two traits: [`Backend`] (one per profile: schemas, connections) and [`Connection`] (one
//! per segment run: temporary tables for rows moved in, then one query streamed out).

mod conform;
mod connect;
mod feed;
mod stream_table;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "sqlite")]
pub mod sqlite;

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use async_trait::async_trait;
use datafusion::execution::SendableRecordBatchStream;
use xorq_core::profile::Profile;
use xorq_core::{Schema, Source, Table};

pub use conform::{conform_batch, conform_stream};
pub use connect::{Connector, Connectors, timeout_from};
pub use feed::{BatchSender, batch_channel};
pub use stream_table::{StreamFactory, stream_provider};

use crate::dialect::SqlDialect;
use crate::error::Result;

/// The engine kind of the embedded DataFusion session. A profile of this kind needs no
/// connection: `.into_backend(profile)` to it streams the rows into the running session.
pub const LOCAL_KIND: &str = "datafusion";

/// An engine that holds tables and runs SQL, connected from a named [`Profile`].
///
/// ```no_run
/// # async fn demo(con: std::sync::Arc<dyn xorq_engines::backend::Backend>) -> xorq_engines::Result<()> {
/// let orders = con.table("orders").await?;        // schema read from the engine
/// println!("{} has {:?}", con.profile().name(), orders.columns());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait Backend: Send + Sync + fmt::Debug {
    /// The profile this backend was connected from: sources and moves name it, and it is what a
    /// build writes to `profiles.yaml` (secrets only as `${ENV}` references).
    fn profile(&self) -> &Profile;

    /// The dialect segments are written in.
    fn dialect(&self) -> SqlDialect;

    /// The columns of `table` (`[schema.]name` parts) as IR types, or
    /// [`EngineError::TableNotFound`](crate::EngineError::TableNotFound).
    async fn table_schema(&self, table: &[String]) -> Result<Schema>;

    /// A connection for one segment run.
    async fn open(&self) -> Result<Box<dyn Connection>>;

    /// The cluster this backend is, when it runs DataFusion plans instead of SQL (a Ballista
    /// scheduler): the runner sends such a backend the lowered plan of its part, not SQL.
    fn cluster(&self) -> Option<&dyn Cluster> {
        None
    }

    /// An expression reading `name` (`table` or `schema.table`), its schema read from the engine.
    async fn table(&self, name: &str) -> Result<Table> {
        let parts: Vec<String> = name.split('.').map(str::to_string).collect();
        if parts.iter().any(String::is_empty) || parts.len() > 3 {
            return Err(crate::EngineError::Backend {
                profile: self.profile().name().to_string(),
                context: format!("naming table `{name}`"),
                message: "expected `table`, `schema.table` or `catalog.schema.table`".into(),
            });
        }
        let schema = self.table_schema(&parts).await?;
        Ok(Table::from_source(Source::table(self.profile().name(), parts, schema))?)
    }
}

/// A cluster that runs DataFusion plans (Apache DataFusion Ballista): a part of an expression
/// placed on it is lowered exactly as for the embedded engine and the plan is sent to the
/// scheduler; its rows stream back as Arrow.
#[async_trait]
pub trait Cluster: Send + Sync + fmt::Debug {
    /// The scheduler's address, as the profile gives it (`df://host:port`).
    fn url(&self) -> &str;

    /// Whether the cluster's scheduler and executors know xorq's own functions (checked
    /// arithmetic, registered functions): started with `xorq ballista`. A stock Ballista cluster
    /// does not, and operations that call them stay on the embedded engine.
    fn runs_own_functions(&self) -> bool;

    /// How many partitions the plans sent to it are cut into.
    fn target_partitions(&self) -> usize;

    /// Runs `plan` on the cluster and streams its rows back.
    async fn execute(&self, plan: datafusion::logical_expr::LogicalPlan) -> Result<SendableRecordBatchStream>;
}

/// One session on a backend. Rows moved in become temporary tables of this session; the query's
/// stream keeps the session (and so its temporary tables) alive until it ends or is dropped.
#[async_trait]
pub trait Connection: Send {
    /// Creates the temporary table `name` with `schema` and streams `rows` into it, with memory
    /// bounded by a few batches. Returns the number of rows written.
    async fn load(&mut self, name: &str, schema: &Schema, rows: SendableRecordBatchStream) -> Result<u64>;

    /// Runs `sql`, whose result has `schema`, and streams its rows. Batches arrive with exactly
    /// `schema` (see [`conform_stream`]).
    async fn query(self: Box<Self>, sql: String, schema: ArrowSchemaRef) -> Result<SendableRecordBatchStream>;
}

/// A connected backend, shared.
pub type BackendRef = Arc<dyn Backend>;

/// `name` as a double-quoted SQL identifier (PostgreSQL, DuckDB, SQLite), embedded quotes
/// doubled, so any column or table name is safe to splice into DDL.
///
/// ```
/// assert_eq!(xorq_engines::backend::quote_ident(r#"a "b""#), r#""a ""b""""#);
/// ```
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
