//! The DuckDB backend against a real (bundled) DuckDB: in memory and in files.
//!
//! One test binary (DuckDB is a large static library: one link, not one per file).

mod cancel;
mod errors;
mod expressions;
mod load;
mod types;

use std::error::Error;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;
use datafusion::execution::SendableRecordBatchStream;
use futures::TryStreamExt;
use xorq_core::Table;
use xorq_engines::backend::Backend;
use xorq_engines::dialect::{SqlDialect, to_sql};

/// What the tests return: any error fails the test with its message.
pub type TestResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// Every batch of `rows`.
pub async fn collect(rows: SendableRecordBatchStream) -> TestResult<Vec<RecordBatch>> {
    Ok(rows.try_collect().await?)
}

/// `table` written as DuckDB SQL and run on a new connection of `con`: its batches.
pub async fn run(con: &dyn Backend, table: &Table) -> TestResult<Vec<RecordBatch>> {
    let sql = to_sql(table, SqlDialect::DuckDb)?;
    let rows = con.open().await?.query(sql, Arc::new(table.schema().to_arrow())).await?;
    collect(rows).await
}

/// `batches` as an aligned text table.
pub fn pretty(batches: &[RecordBatch]) -> TestResult<String> {
    Ok(pretty_format_batches(batches)?.to_string())
}
