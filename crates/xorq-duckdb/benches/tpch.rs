//! TPC-H Q1, Q3, Q5, Q6 and Q10 on DuckDB: through xorq against the same SQL sent straight to DuckDB.
//!
//! The xorq side is what a segment run does: the expression, built with the builder API over
//! the backend's tables, written as DuckDB SQL, run on a new backend connection, its chunks
//! streamed back through the bounded channel, crossed to arrow 59 and cast to the expression's
//! schema. The direct side sends that same SQL text through `query_arrow_direct`, which collects
//! DuckDB's chunks (crossed to arrow 59 the same zero-copy way) with nothing in between. The
//! ratio is xorq's overhead: SQL generation, the connection, the channel and the casts.
//!
//! `cargo bench -p xorq-duckdb --bench tpch` — environment: `TPCH_SF` (scale factor, default
//! 1.0), `TPCH_RUNS` (timed runs per query and side, default 5). The queries, data generation and
//! comparison are shared with the DataFusion bench (`crates/xorq/benches/common/tpch.rs`); the
//! data is streamed into an in-memory DuckDB database with `create_table`.
//!
//! `cargo bench` compiles DuckDB's C++ in the release profile (once, then cached); as a smoke
//! test, `TPCH_SF=0.01 cargo test -p xorq-duckdb --bench tpch` runs the same code against the
//! dev profile's DuckDB, which the workspace manifest builds at `-O1` (its figures are not the
//! release ones).

#[path = "../../xorq/benches/common/tpch.rs"]
mod tpch;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::TryStreamExt;
use xorq_core::{Schema, Table};
use xorq_duckdb::DuckDbBackend;
use xorq_engines::backend::Backend;
use xorq_engines::dialect::{SqlDialect, to_sql};

use tpch::{Query, Res, Run, Tables, difference, env_or, median, ms, time_pair};

/// Streams the generated table `name` into a new DuckDB table of that name.
async fn load(con: &DuckDbBackend, name: &str, sf: f64) -> Res<Table> {
    let generator = tpch::generator(name, sf, 1, 1)?;
    let arrow_schema = generator.schema();
    let schema = Schema::from_arrow(&arrow_schema)?;
    let rows = futures::stream::iter(generator.map(|b| b.map_err(DataFusionError::from)));
    con.create_table(name, &schema, Box::pin(RecordBatchStreamAdapter::new(arrow_schema, rows))).await?;
    Ok(con.table(name).await?)
}

/// The segment run: SQL from the expression, a connection, the stream, conformed.
async fn through_xorq(con: &DuckDbBackend, table: &Table) -> Run {
    let start = Instant::now();
    let sql = to_sql(table, SqlDialect::DuckDb)?;
    let rows = con.open().await?.query(sql, Arc::new(table.schema().to_arrow())).await?;
    let batches: Vec<RecordBatch> = rows.try_collect().await?;
    Ok((start.elapsed(), batches))
}

/// The same SQL, straight to DuckDB.
async fn direct(con: &DuckDbBackend, sql: &str) -> Run {
    let start = Instant::now();
    let batches = con.query_arrow_direct(sql).await?;
    Ok((start.elapsed(), batches))
}

async fn bench() -> Res<()> {
    let sf: f64 = env_or("TPCH_SF", 1.0)?;
    let runs: usize = env_or("TPCH_RUNS", 5)?;
    let con = xorq_duckdb::connect_memory("tpch")?;

    let start = Instant::now();
    let tables = Tables::try_from_fn(async |name| load(&con, name, sf).await).await?;
    println!("TPC-H SF{sf}: generated and streamed into DuckDB in {:.1} s", start.elapsed().as_secs_f64());
    println!("{runs} runs per side after one warm-up, medians\n");
    println!("{:<5} {:>12} {:>12} {:>8} {:>14}", "query", "xorq (ms)", "direct (ms)", "ratio", "of which SQL");

    let mut failed = Vec::new();
    for (name, query) in tpch::QUERIES {
        match compare(&con, &tables, query, runs).await {
            Ok([x, d, sql]) => {
                let ratio = x.as_secs_f64() / d.as_secs_f64();
                let flag = if ratio > 1.05 { "  (above 1.05)" } else { "" };
                println!("{name:<5} {:>12.2} {:>12.2} {ratio:>8.3} {:>11.2} ms{flag}", ms(x), ms(d), ms(sql));
            }
            Err(e) => {
                println!("{name:<5} failed: {e}");
                failed.push(name);
            }
        }
    }
    if failed.is_empty() { Ok(()) } else { Err(format!("failed: {}", failed.join(", ")).into()) }
}

/// Medians of `runs` timed runs of both sides (see [`time_pair`]) and of writing the SQL alone;
/// an error if the results differ.
async fn compare(con: &DuckDbBackend, tables: &Tables<Table>, query: Query, runs: usize) -> Res<[Duration; 3]> {
    let table = query(tables)?;
    let sql = to_sql(&table, SqlDialect::DuckDb)?;
    let sql_times = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(to_sql(&table, SqlDialect::DuckDb)?);
            Ok(start.elapsed())
        })
        .collect::<Res<Vec<_>>>()?;
    let [(xorq_time, xorq_out), (direct_time, direct_out)] =
        time_pair(runs, async || through_xorq(con, &table).await, async || direct(con, &sql).await).await?;
    // Averages: DuckDB's are doubles, the expression's decimals of scale 6.
    if let Some(why) = difference(&xorq_out, &direct_out, 1e-6)? {
        return Err(format!("the results differ: {why}").into());
    }
    Ok([xorq_time, direct_time, median(sql_times)])
}

fn main() -> Res<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(bench())
}
