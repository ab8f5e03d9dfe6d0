//! The cache on the sales pipeline: a cold run (computes and stores), a warm run (hit), and a
//! direct DataFusion program reading the cached Parquet and doing what is left, each as a
//! process of its own, in one run.
//!
//! ```sh
//! cargo bench -p xorq-cli --bench cache                    # 10M rows
//! SALES_ROWS=1000000 RUNS=3 cargo bench -p xorq-cli --bench cache
//! ```
//!
//! Two placements of the cache marker are measured:
//! - the whole result (`-- xorq: cache` before the query): a hit reads a 4-row entry, so it
//!   measures what a hit costs besides reading (start-up, loading and checking the build, the
//!   key, the lookup) against a program that only reads that file;
//! - the `large_orders` CTE: a hit reads the filtered orders and aggregates them, against a
//!   DataFusion program that reads the same entry and runs the same aggregate.
//!
//! Printed: medians of `RUNS` (default 5), hit / direct read (target ≤ 1.10) and cold / hit,
//! and what verifying a hit costs: every hit hashes its entry's data in full (BLAKE3, see
//! `xorq_exec::cache::parquet`), timed here alone on the same file and shown as a share of the
//! hit.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

mod common;
use common::{median, ms, xorq};

const AGGREGATE: &str =
    "SELECT region, round(sum(amount), 2) AS total, count(*) AS orders FROM entry GROUP BY region ORDER BY total DESC";

const WHOLE: &str = "-- xorq: cache
WITH large_orders AS (SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100)
SELECT region, round(sum(amount), 2) AS total, count(*) AS orders FROM large_orders GROUP BY region ORDER BY total DESC
";

const CTE: &str = "WITH
-- xorq: cache
large_orders AS (SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100)
SELECT region, round(sum(amount), 2) AS total, count(*) AS orders FROM large_orders GROUP BY region ORDER BY total DESC
";

/// The direct program: register the entry's Parquet as `entry`, run `sql`, write Parquet.
async fn direct(entry: &str, sql: &str, out: &str) {
    let ctx = SessionContext::new();
    ctx.register_parquet("entry", entry, ParquetReadOptions::default()).await.expect("register");
    let df = ctx.sql(sql).await.expect("plan");
    df.write_parquet(out, DataFrameWriteOptions::new().with_single_file_output(true), None).await.expect("write");
}

struct Case {
    label: &'static str,
    sql: &'static str,
    /// What the direct program runs over the entry.
    direct_sql: &'static str,
}

fn main() {
    if let Ok(job) = std::env::var("XORQ_BENCH_DIRECT") {
        let mut parts = job.splitn(3, '\n');
        let (entry, sql, out) = (parts.next(), parts.next(), parts.next());
        let (Some(entry), Some(sql), Some(out)) = (entry, sql, out) else { panic!("entry, sql and output") };
        tokio::runtime::Runtime::new().expect("runtime").block_on(direct(entry, sql, out));
        return;
    }
    let rows: usize = std::env::var("SALES_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000_000);
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let tmp = tempfile::tempdir().expect("tempdir");
    xorq(tmp.path(), &["init", "-t", "sales", "--rows", &rows.to_string(), "proj"]);
    let dir = tmp.path().join("proj");
    let size = std::fs::metadata(dir.join("data/sales.parquet")).map(|m| m.len()).unwrap_or(0);
    println!(
        "sales pipeline, {rows} rows ({:.1} MB Parquet), median of {runs} runs, each a process",
        size as f64 / 1e6
    );
    let exe = std::env::current_exe().expect("this benchmark's path");
    let cases = [
        Case { label: "whole result cached", sql: WHOLE, direct_sql: "SELECT * FROM entry" },
        Case { label: "large_orders CTE cached", sql: CTE, direct_sql: AGGREGATE },
    ];
    for (n, case) in cases.iter().enumerate() {
        let file = format!("pipeline_{n}.sql");
        std::fs::write(dir.join(&file), case.sql).expect("write pipeline");
        let build = xorq(&dir, &["build", &file]);
        let time_run = |cache: &Path| {
            let cache = cache.to_str().expect("utf-8");
            let start = Instant::now();
            xorq(&dir, &["run", &build, "--cache-dir", cache, "-o", "out.parquet"]);
            start.elapsed()
        };
        let cold = median((0..runs).map(|i| time_run(&tmp.path().join(format!("cold-{n}-{i}")))).collect());
        let warm_dir = tmp.path().join(format!("warm-{n}"));
        time_run(&warm_dir);
        let hit = median((0..runs).map(|_| time_run(&warm_dir)).collect());
        let entry = entry_file(&dir, &warm_dir);
        let entry_size = std::fs::metadata(&entry).map(|m| m.len()).unwrap_or(0);
        let out = dir.join("direct.parquet");
        let job = format!("{}\n{}\n{}", entry.display(), case.direct_sql, out.display());
        let direct = median(
            (0..runs)
                .map(|_| {
                    let start = Instant::now();
                    let status =
                        Command::new(&exe).env("XORQ_BENCH_DIRECT", &job).status().expect("the direct program runs");
                    assert!(status.success());
                    start.elapsed()
                })
                .collect(),
        );
        println!("\n{} (entry: {:.1} MB Parquet)", case.label, entry_size as f64 / 1e6);
        println!("{:<46} {:>10}", "xorq run, cold (compute + store)", ms(cold));
        println!("{:<46} {:>10}", "xorq run, warm (hit)", ms(hit));
        println!("{:<46} {:>10}", "DataFusion program over the cached Parquet", ms(direct));
        println!(
            "{:<46} {:>10.2}  (target ≤ 1.10)",
            "ratio hit / direct read",
            hit.as_secs_f64() / direct.as_secs_f64()
        );
        println!("{:<46} {:>10.1}x", "speed-up cold / hit", cold.as_secs_f64() / hit.as_secs_f64());
        let verify = common::time(runs, |_| {
            let file = std::fs::File::open(&entry).expect("entry");
            xorq_fs::hash_reader(file, &entry).expect("hash");
        });
        println!(
            "{:<46} {:>10}  ({:.1}% of the hit, {:.2} GB/s)",
            "verifying the hit (BLAKE3 of the entry)",
            ms(verify),
            100.0 * verify.as_secs_f64() / hit.as_secs_f64(),
            entry_size as f64 / verify.as_secs_f64().max(1e-9) / 1e9
        );
    }
}

/// The data file of the (largest) entry in `cache`.
fn entry_file(dir: &Path, cache: &Path) -> PathBuf {
    let listing = xorq(dir, &["cache", "list", "--json", "--cache-dir", cache.to_str().expect("utf-8")]);
    let v: serde_json::Value = serde_json::from_str(&listing).expect("json");
    let entries = v["entries"].as_array().expect("entries");
    let largest = entries.iter().max_by_key(|e| e["bytes"].as_u64().unwrap_or(0)).expect("an entry");
    PathBuf::from(largest["path"].as_str().expect("path")).join("data.parquet")
}
