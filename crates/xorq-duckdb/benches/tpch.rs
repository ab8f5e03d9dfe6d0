//! The 22 TPC-H queries on DuckDB: through xorq against the same SQL sent straight to DuckDB.
//!
//! Each query is the repository's official text (`crates/xorq/tpch/queries/`) with its tables
//! named as the backend's (`tpch.lineitem`), lifted by the SQL front end. The xorq side is what a
//! segment run does: the expression written as DuckDB SQL, run on a new backend connection, its
//! chunks streamed back through the bounded channel, crossed to arrow 59 and cast to the
//! expression's schema. The direct side sends that same SQL text through `query_arrow_direct`,
//! which collects DuckDB's chunks (crossed to arrow 59 the same zero-copy way) with nothing in
//! between. The ratio is xorq's overhead: SQL generation, the connection, the channel and the
//! casts. Queries the front end refuses are listed as such.
//!
//! `cargo bench -p xorq-duckdb --bench tpch` — environment: `TPCH_SF` (scale factor, default
//! 1.0), `TPCH_RUNS` (timed runs per query and side, default 5), `TPCH_QUERIES` (a subset, e.g.
//! `q1,q9`). The tables are generated with the shared generators
//! (`crates/xorq/tpch/data.rs`) and streamed into an in-memory DuckDB database with
//! `create_table`.
//!
//! `cargo bench` compiles DuckDB's C++ in the release profile (once, then cached); as a smoke
//! test, `TPCH_SF=0.01 cargo test -p xorq-duckdb --bench tpch` runs the same code against the
//! dev profile's DuckDB, which the workspace manifest builds at `-O1` (its figures are not the
//! release ones).

#[path = "../../xorq/tpch/compare.rs"]
mod compare;
#[path = "../../xorq/tpch/data.rs"]
mod data;
#[path = "../../xorq/tpch/queries.rs"]
mod queries;
#[path = "../../xorq/tpch/timing.rs"]
mod timing;

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use datafusion::error::DataFusionError;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::TryStreamExt;
use xorq_core::{Schema, Table};
use xorq_duckdb::DuckDbBackend;
use xorq_engines::EngineError;
use xorq_engines::backend::Backend;
use xorq_engines::datafusion::sql::{TableResolver, sql_to_table};
use xorq_engines::dialect::{SqlDialect, to_sql};

use queries::Query;
use timing::{Run, env_or, median, ms, time_pair};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The profile the tables are read under (`tpch.lineitem`).
const PROFILE: &str = "tpch";

/// Streams the generated table `name` into a new DuckDB table of that name.
async fn load(con: &DuckDbBackend, name: &str, sf: f64) -> Res<Table> {
    let generator = data::generator(name, sf, 1, 1)?;
    let arrow_schema = generator.schema();
    let schema = Schema::from_arrow(&arrow_schema)?;
    let rows = futures::stream::iter(generator.map(|b| b.map_err(DataFusionError::from)));
    con.create_table(name, &schema, Box::pin(RecordBatchStreamAdapter::new(arrow_schema, rows))).await?;
    Ok(con.table(name).await?)
}

/// The backend's tables, for the SQL front end.
struct Tables(BTreeMap<String, Table>);

impl TableResolver for Tables {
    fn table(&self, _profile: &str, path: &[String]) -> xorq_engines::Result<Table> {
        let name = path.last().map(String::as_str).unwrap_or_default();
        self.0.get(name).cloned().ok_or_else(|| EngineError::Internal(format!("no TPC-H table `{name}`")))
    }
}

/// The segment run: SQL from the expression, a connection, the stream, conformed.
async fn through_xorq(con: &DuckDbBackend, table: &Table) -> Run<Vec<RecordBatch>> {
    let start = Instant::now();
    let sql = to_sql(table, SqlDialect::DuckDb)?;
    let rows = con.open().await?.query(sql, Arc::new(table.schema().to_arrow())).await?;
    let batches: Vec<RecordBatch> = rows.try_collect().await?;
    Ok((start.elapsed(), batches))
}

/// The same SQL, straight to DuckDB.
async fn direct(con: &DuckDbBackend, sql: &str) -> Run<Vec<RecordBatch>> {
    let start = Instant::now();
    let batches = con.query_arrow_direct(sql).await?;
    Ok((start.elapsed(), batches))
}

async fn bench() -> Res<()> {
    let sf: f64 = env_or("TPCH_SF", 1.0)?;
    let runs: usize = env_or("TPCH_RUNS", 5)?;
    let selected = queries::select_queries(std::env::var("TPCH_QUERIES").ok().as_deref())?;
    let con = xorq_duckdb::connect_memory(PROFILE)?;

    let start = Instant::now();
    let mut tables = BTreeMap::new();
    for name in data::TABLES {
        tables.insert(name.to_string(), load(&con, name, sf).await?);
    }
    let tables = Tables(tables);
    println!("TPC-H SF{sf}: generated and streamed into DuckDB in {:.1} s", start.elapsed().as_secs_f64());
    println!("{runs} runs per side after one warm-up, medians\n");
    println!("{:<5} {:>12} {:>12} {:>8} {:>14}", "query", "xorq (ms)", "direct (ms)", "ratio", "of which SQL");

    let (mut failed, mut refused) = (Vec::new(), Vec::new());
    for query in &selected {
        let name = query.name;
        let table = match lift(query, &tables) {
            Ok(table) => table,
            Err(e) => {
                println!("{name:<5} refused by the SQL front end: {}", e.lines().next().unwrap_or(""));
                refused.push(name);
                continue;
            }
        };
        match compare(&con, &table, runs).await {
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
    if !refused.is_empty() {
        println!("\nrefused by the SQL front end (see crates/xorq/tpch/answers-ledger.txt): {}", refused.join(", "));
    }
    if failed.is_empty() { Ok(()) } else { Err(format!("failed: {}", failed.join(", ")).into()) }
}

/// The query lifted over the backend's tables.
fn lift(query: &Query, tables: &Tables) -> Result<Table, String> {
    let text = query.pipeline(|table| format!("{PROFILE}.{table}")).map_err(|e| e.to_string())?;
    sql_to_table(&text, tables).map_err(|e| e.to_string())
}

/// Medians of `runs` timed runs of both sides (see [`time_pair`]) and of writing the SQL alone;
/// an error if the results differ.
async fn compare(con: &DuckDbBackend, table: &Table, runs: usize) -> Res<[Duration; 3]> {
    let sql = to_sql(table, SqlDialect::DuckDb)?;
    let sql_times = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(to_sql(table, SqlDialect::DuckDb)?);
            Ok(start.elapsed())
        })
        .collect::<Res<Vec<_>>>()?;
    let [(xorq_time, xorq_out), (direct_time, direct_out)] =
        time_pair(runs, async || through_xorq(con, table).await, async || direct(con, &sql).await).await?;
    // Averages: DuckDB's are doubles, the expression's decimals.
    if let Some(why) = compare::numeric_difference(&xorq_out, &direct_out, 1e-6)? {
        return Err(format!("the results differ: {why}").into());
    }
    Ok([xorq_time, direct_time, median(sql_times)])
}

fn main() -> Res<()> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(bench())
}
