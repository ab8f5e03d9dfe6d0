//! `xorq build` and `xorq run` on the sales pipeline, against the same work done by a direct
//! DataFusion program in this process, and the CLI's start-up time.
//!
//! ```sh
//! cargo bench -p xorq-cli --bench cli            # 1M rows
//! SALES_ROWS=10000000 cargo bench -p xorq-cli --bench cli
//! ```
//!
//! Printed: wall times (median of `RUNS`, default 5) and the ratios xorq / DataFusion.
//! `xorq run` includes process start, loading and checking the build, planning, scanning and
//! writing Parquet; the DataFusion program plans the same SQL over the same file and writes the
//! same Parquet, once as a process of its own (this benchmark re-invoked, the like-for-like
//! comparison) and once inside this warm process (no process start, threads and memory warm).

use std::process::Command;

use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

mod common;
use common::{ms, time, xorq};

const QUERY: &str = "SELECT region, sum(amount) AS total, count(*) AS orders FROM sales WHERE amount > 100 \
                     GROUP BY region ORDER BY total DESC";

/// The direct DataFusion program: register the file, run the SQL, write Parquet.
async fn direct_datafusion(data: &str, out: &str) {
    let ctx = SessionContext::new();
    ctx.register_parquet("sales", data, ParquetReadOptions::default()).await.expect("register");
    let df = ctx.sql(QUERY).await.expect("plan");
    df.write_parquet(out, DataFrameWriteOptions::new().with_single_file_output(true), None).await.expect("write");
}

fn main() {
    // Re-invoked as the direct DataFusion program in a process of its own (see below).
    if let Ok(job) = std::env::var("XORQ_BENCH_DIRECT") {
        let (data, out) = job.split_once('\n').expect("data and output paths");
        tokio::runtime::Runtime::new().expect("runtime").block_on(direct_datafusion(data, out));
        return;
    }
    let rows: usize = std::env::var("SALES_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    let tmp = tempfile::tempdir().expect("tempdir");
    let rows_arg = rows.to_string();
    xorq(tmp.path(), &["init", "-t", "sales", "--rows", &rows_arg, "proj"]);
    let dir = tmp.path().join("proj");
    let data = dir.join("data/sales.parquet");
    let size = std::fs::metadata(&data).map(|m| m.len()).unwrap_or(0);
    println!("sales pipeline, {rows} rows ({:.1} MB Parquet), median of {runs} runs", size as f64 / 1e6);

    // Build: every run writes a fresh build (hash + copy the data, write the manifest).
    let mut path = String::new();
    let build = time(runs, |_| {
        let _ = std::fs::remove_dir_all(dir.join("builds"));
        path = xorq(&dir, &["build", "pipeline.sql"]);
    });
    let rebuild = time(runs, |_| {
        xorq(&dir, &["build", "pipeline.sql"]);
    });
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let data_str = data.to_str().expect("utf-8");
    let plan_only = time(runs, |_| {
        rt.block_on(async {
            let ctx = SessionContext::new();
            ctx.register_parquet("sales", data_str, ParquetReadOptions::default()).await.expect("register");
            ctx.sql(QUERY).await.expect("plan");
            // Naming a bundled snapshot needs its bytes read once; so does this.
            std::hint::black_box(std::fs::read(&data).expect("read"));
        })
    });

    // Run: scan, aggregate, write Parquet.
    let run = time(runs, |_| {
        xorq(&dir, &["run", &path, "-o", "out.parquet"]);
    });
    let out = dir.join("df.parquet");
    let out_str = out.to_str().expect("utf-8").to_string();
    let direct = time(runs, |_| rt.block_on(direct_datafusion(data_str, &out_str)));
    let exe = std::env::current_exe().expect("this benchmark's path");
    let direct_process = time(runs, |_| {
        let status = Command::new(&exe)
            .env("XORQ_BENCH_DIRECT", format!("{data_str}\n{out_str}"))
            .status()
            .expect("the direct program runs");
        assert!(status.success());
    });
    let startup = time(runs.max(20), |_| {
        xorq(&dir, &["--version"]);
    });

    println!("{:<44} {:>10}", "xorq build (fresh: hash + bundle + write)", ms(build));
    println!("{:<44} {:>10}", "xorq build (existing: verify + reuse)", ms(rebuild));
    println!("{:<44} {:>10}", "DataFusion: plan the SQL + read the file", ms(plan_only));
    println!("{:<44} {:>10.2}", "ratio build / DataFusion", build.as_secs_f64() / plan_only.as_secs_f64());
    println!("{:<44} {:>10}", "xorq run -o out.parquet", ms(run));
    println!("{:<44} {:>10}", "DataFusion program (own process)", ms(direct_process));
    println!("{:<44} {:>10}", "DataFusion in this process (warm)", ms(direct));
    println!("{:<44} {:>10.2}", "ratio run / DataFusion program", run.as_secs_f64() / direct_process.as_secs_f64());
    println!("{:<44} {:>10.2}", "ratio run / DataFusion in-process", run.as_secs_f64() / direct.as_secs_f64());
    println!("{:<44} {:>10}  (target < 20 ms)", "xorq --version (process start)", ms(startup));
}
