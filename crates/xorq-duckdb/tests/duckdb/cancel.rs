//! A stream dropped before its end stops DuckDB, and the backend stays usable.
//!
//! Each test runs its own Tokio runtime, because dropping a runtime waits for its blocking
//! threads: the time `shutdown_timeout` takes is how long the DuckDB worker went on after the
//! stream was dropped.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema};
use futures::StreamExt;
use xorq_engines::backend::Backend;

use crate::TestResult;

fn one_int(name: &str) -> Arc<ArrowSchema> {
    Arc::new(ArrowSchema::new(vec![ArrowField::new(name, ArrowType::Int64, true)]))
}

/// Runs `body` on a new runtime, then shuts the runtime down: the time that takes.
fn shutdown_time(body: impl Future<Output = TestResult>) -> TestResult<Duration> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(body)?;
    let started = Instant::now();
    runtime.shutdown_timeout(Duration::from_secs(30));
    Ok(started.elapsed())
}

#[test]
fn a_stream_dropped_midway_stops_reading() -> TestResult {
    let waited = shutdown_time(async {
        let con = xorq_duckdb::connect_memory("mem")?;
        let mut rows = con.open().await?.query("SELECT range AS i FROM range(100000000)".into(), one_int("i")).await?;
        let first = rows.next().await.expect("a first batch")?;
        assert!(first.num_rows() > 0);
        let dropped = Instant::now();
        drop(rows);
        // The backend answers at once, on a new connection.
        let answer = con.query_arrow_direct("SELECT 42 AS answer").await?;
        assert_eq!(answer[0].num_rows(), 1);
        assert!(dropped.elapsed() < Duration::from_secs(2), "took {:?}", dropped.elapsed());
        TestResult::Ok(())
    })?;
    assert!(waited < Duration::from_secs(2), "the DuckDB worker went on for {waited:?} after the drop");
    Ok(())
}

#[test]
fn a_query_dropped_while_computing_is_interrupted() -> TestResult {
    let waited = shutdown_time(async {
        let con = xorq_duckdb::connect_memory("mem")?;
        // Minutes of work before the first row, unless interrupted.
        let sql = "SELECT sum(range) AS s FROM range(1000000000000)";
        let session = con.open().await?;
        let query = tokio::spawn(async move {
            let mut rows = session.query(sql.into(), one_int("s")).await?;
            let first: TestResult<_> = Ok(rows.next().await.transpose()?);
            first
        });
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(500))).await?;
        assert!(!query.is_finished(), "the sum finished in 500 ms");
        query.abort(); // drops the query, wherever it is
        assert!(query.await.is_err_and(|e| e.is_cancelled()));
        let answer = con.query_arrow_direct("SELECT 42 AS answer").await?;
        assert_eq!(answer[0].num_rows(), 1);
        TestResult::Ok(())
    })?;
    assert!(waited < Duration::from_secs(5), "the DuckDB worker went on for {waited:?} after the drop");
    Ok(())
}
