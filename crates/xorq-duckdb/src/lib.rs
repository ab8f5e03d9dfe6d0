//! The DuckDB backend of xorq (SPEC §5): an embedded DuckDB database, file or in memory, behind
//! xorq-engines' [`Backend`](xorq_engines::backend::Backend) and
//! [`Connection`](xorq_engines::backend::Connection) traits.
//!
//! - Expressions run as DuckDB SQL ([`SqlDialect::DuckDb`](xorq_engines::dialect::SqlDialect));
//!   results stream out as Arrow batches, one DuckDB chunk at a time, through a bounded channel,
//!   and are cast to the schema the expression promised (DuckDB's `SUM` of `BIGINT` is a
//!   `HUGEINT`, for one).
//! - Rows moved in (`.into_backend(…)`) become temporary tables, filled batch by batch through
//!   DuckDB's appender; [`DuckDbBackend::create_table`] writes lasting tables the same way.
//! - The `duckdb` crate speaks arrow 60 and xorq arrow 59: batches cross between the two without
//!   copying, over the Arrow C Data Interface (the private `bridge` module). No arrow 60 type
//!   appears in this crate's API.
//!
//! # Types
//!
//! | IR type | DuckDB column (rows moved in, `create_table`) | DuckDB type read back |
//! |---|---|---|
//! | Boolean | `BOOLEAN` | Boolean |
//! | Int8 … Int64 | `TINYINT`, `SMALLINT`, `INTEGER`, `BIGINT` | the same |
//! | UInt8 … UInt64 | `UTINYINT`, `USMALLINT`, `UINTEGER`, `UBIGINT` | the same |
//! | Float32, Float64 | `FLOAT`, `DOUBLE` | the same (`REAL` is `FLOAT`) |
//! | Decimal(p, s) | `DECIMAL(p,s)` (scale ≥ 0) | the same |
//! | — | — | `HUGEINT`, `UHUGEINT` → Decimal(38, 0) (values beyond 38 digits fail when read) |
//! | String | `VARCHAR` | `VARCHAR`, `UUID`, `JSON`, `ENUM(…)` → String |
//! | Binary | `BLOB` | Binary |
//! | Date, Time | `DATE`, `TIME` | the same |
//! | Timestamp(s, ms, us, ns) | `TIMESTAMP_S`, `TIMESTAMP_MS`, `TIMESTAMP`, `TIMESTAMP_NS` | the same |
//! | Timestamp(unit, zone) | `TIMESTAMPTZ` (µs, an instant) | `TIMESTAMP WITH TIME ZONE` → Timestamp(us, UTC) |
//! | Interval, Duration | `INTERVAL` | Interval |
//! | Null | `INTEGER` (all null) | — |
//!
//! DuckDB keeps intervals and zoned timestamps in microseconds: finer values moved in are
//! truncated. Nested types (`LIST`, `STRUCT`, `MAP`, `UNION`, arrays), `BIT`, `BIGNUM` and `TIME WITH TIME
//! ZONE` are not read yet: a table with such a column is an error naming it.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> xorq_engines::Result<()> {
//! use futures::TryStreamExt;
//! use xorq_core::{col, lit};
//! use xorq_engines::backend::Backend;
//! use xorq_engines::dialect::{SqlDialect, to_sql};
//!
//! let con = xorq_duckdb::connect("shop.duckdb", "shop")?;
//! let big = con.table("orders").await?.filter(col("amount").gt(lit(100)))?;
//! let sql = to_sql(&big, SqlDialect::DuckDb)?;
//! let rows = con.open().await?.query(sql, std::sync::Arc::new(big.schema().to_arrow())).await?;
//! let batches: Vec<_> = rows.try_collect().await.map_err(|e| xorq_engines::EngineError::datafusion("reading", e))?;
//! # Ok(()) }
//! ```

mod backend;
#[allow(unsafe_code)] // the one module with unsafe code: moving C Data Interface structs
mod bridge;
mod error;
mod load;
mod read;
mod session;
mod types;

pub use backend::{DuckDbBackend, KIND, MEMORY, connect, connect_memory, connector};
