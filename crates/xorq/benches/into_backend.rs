//! `into_backend` streams (SPEC §12): rows moved from PostgreSQL and from DuckDB into the
//! embedded DataFusion engine, which aggregates them as they arrive. Prints rows per second and
//! the peak resident memory of the process for 1M and 10M rows: bounded memory means the peak
//! does not grow with the row count (target: under 300 MB).
//!
//! `.ci/postgres.sh cargo bench -p xorq --features duckdb --bench into_backend` (or with
//! `XORQ_TEST_PG_URL` pointing at a server). `INTO_BACKEND_ROWS` overrides the row counts
//! (comma-separated). Each case runs in a fresh child process so that its peak is its own.

use std::error::Error;
use std::process::Command;
use std::time::Instant;

use xorq::exec::LOCAL_PROFILE;
use xorq::prelude::*;

type Res<T> = Result<T, Box<dyn Error>>;

const TARGET_MB: f64 = 300.0;

/// VmHWM (peak resident set) and VmRSS of this process, in MB.
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn pg_url() -> Res<String> {
    std::env::var("XORQ_TEST_PG_URL").map_err(|_| "set XORQ_TEST_PG_URL, or run under .ci/postgres.sh".into())
}

fn table_name(rows: u64) -> String {
    format!("bench_rows_{rows}")
}

/// Creates the source tables of `rows` rows (once per row count), outside the measured child.
async fn prepare(rows: u64, duck_path: &std::path::Path) -> Res<()> {
    let pg = xorq::postgres::connect(&pg_url()?, "pg").await?;
    let name = table_name(rows);
    pg.execute(&format!(
        "DROP TABLE IF EXISTS {name};
         CREATE TABLE {name} AS SELECT g AS id, g * 0.5 AS v, 'row ' || g AS s FROM generate_series(1, {rows}) g;
         ANALYZE {name};"
    ))
    .await?;
    let duck = xorq::duckdb::connect(duck_path, "duck")?;
    duck.execute_sql(&format!(
        "CREATE OR REPLACE TABLE {name} AS SELECT range AS id, range * 0.5 AS v, 'row ' || range AS s FROM range({rows})"
    ))
    .await?;
    Ok(())
}

/// One measured case, in this (child) process: prints `rows seconds peak_mb`.
async fn case(engine: &str, rows: u64, duck_path: &str) -> Res<()> {
    let backend: xorq::backends::BackendRef = match engine {
        "postgres" => xorq::postgres::connect(&pg_url()?, "src").await?,
        _ => xorq::duckdb::connect(duck_path, "src")?,
    };
    let moved = backend.table(&table_name(rows)).await?.into_backend(LOCAL_PROFILE)?.agg([
        count_star().alias("n"),
        col("v").sum().alias("total"),
        col("s").max().alias("last"),
    ])?;
    let session = Session::new().with_backend(backend);
    let start = Instant::now();
    let batches = session.execute(&moved, &Params::new()).await?;
    let seconds = start.elapsed().as_secs_f64();
    let n = batches.first().map(|b| arrow::util::display::array_value_to_string(b.column(0), 0)).transpose()?;
    if n.as_deref() != Some(rows.to_string().as_str()) {
        return Err(format!("moved {n:?} rows, expected {rows}").into());
    }
    println!("{rows} {seconds} {}", memory_mb().0);
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Runtime::new()?;
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let (engine, rows, path) = (&args[i + 1], args[i + 2].parse()?, &args[i + 3]);
        return runtime.block_on(case(engine, rows, path));
    }
    let counts: Vec<u64> = std::env::var("INTO_BACKEND_ROWS")
        .unwrap_or_else(|_| "1000000,10000000".into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()?;
    let dir = tempfile::tempdir()?;
    let duck_path = dir.path().join("bench.duckdb");
    for &rows in &counts {
        runtime.block_on(prepare(rows, &duck_path))?;
    }
    println!("into_backend → DataFusion (count, sum, max over the moved rows); each case a fresh process");
    println!("{:<10} {:>12} {:>10} {:>14} {:>13}", "source", "rows", "seconds", "rows/s", "peak RSS MB");
    for engine in ["postgres", "duckdb"] {
        let mut peaks = Vec::new();
        for &rows in &counts {
            let exe = std::env::current_exe()?;
            let out =
                Command::new(exe).args(["--case", engine, &rows.to_string(), &duck_path.to_string_lossy()]).output()?;
            if !out.status.success() {
                return Err(format!("{engine} {rows}: {}", String::from_utf8_lossy(&out.stderr)).into());
            }
            let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let fields: Vec<f64> = line.split_whitespace().map(str::parse).collect::<Result<_, _>>()?;
            let (seconds, peak) = (fields[1], fields[2]);
            println!(
                "{engine:<10} {rows:>12} {seconds:>10.2} {:>14.0} {peak:>13.1}  {}",
                rows as f64 / seconds,
                if peak < TARGET_MB { "(ok)" } else { "(over 300 MB)" }
            );
            peaks.push(peak);
        }
        if let (Some(first), Some(last)) = (peaks.first(), peaks.last())
            && peaks.len() > 1
        {
            println!(
                "{engine:<10} peak at {}× the rows: {:.2}× the memory",
                counts[counts.len() - 1] / counts[0],
                last / first
            );
        }
    }
    Ok(())
}
