//! Object storage (SPEC §4, §5): one query that reads every column of a large Parquet object on
//! a local S3-compatible server, through xorq and through DataFusion's own `ListingTable` over the
//! same server, as throughput (MB/s of the object) and their ratio (goal: xorq ≥ 0.95 of
//! DataFusion's); then the same data cached in a bucket: a hit with no local copy yet (a new
//! machine: the entry is downloaded and verified), a hit with the local copy, against reading the
//! Parquet directly from the bucket.
//!
//! `.ci/storage.sh cargo bench -p xorq --bench storage` (or with `XORQ_TEST_S3_ENDPOINT` naming a
//! server). `STORAGE_BENCH_MB` (default 1024) sizes the object, `RUNS` (default 3) the measured
//! runs of each case (the median is printed, after one warm-up). The object is generated once
//! (fixed seed) under `~/.cache/xorq-rs/bench/`.

use std::error::Error;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Float64Array, Int32Array, Int64Array, RecordBatch, StringArray};
use datafusion::prelude::SessionContext;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use xorq::cache::Cache;
use xorq::prelude::*;

type Res<T> = Result<T, Box<dyn Error>>;

const BUCKET: &str = "xorq-bench";
const KEY: &str = "big.parquet";

fn main() -> Res<()> {
    let endpoint =
        std::env::var("XORQ_TEST_S3_ENDPOINT").map_err(|_| "set XORQ_TEST_S3_ENDPOINT, or run under .ci/storage.sh")?;
    // xorq reads its credentials from the environment, as a user's process does: run the
    // measurement in a child that has them (this crate forbids `unsafe`, so no `set_var`).
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(std::env::args().skip(1))
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "bench")
            .env("AWS_SECRET_ACCESS_KEY", "bench")
            .env("AWS_REGION", "us-east-1")
            .status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
    let mb: u64 = std::env::var("STORAGE_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let runs: usize = std::env::var("RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;

    let local = generate(mb)?;
    let size = std::fs::metadata(&local)?.len();
    create_bucket(&endpoint, BUCKET)?;
    let store: Arc<dyn ObjectStore> = Arc::new(AmazonS3Builder::from_env().with_bucket_name(BUCKET).build()?);
    let started = Instant::now();
    rt.block_on(upload(&store, &local, KEY))?;
    println!(
        "object: s3://{BUCKET}/{KEY}, {:.0} MB, uploaded in {:.1}s; {runs} runs per case, medians",
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );

    let url = format!("s3://{BUCKET}/{KEY}");
    let query = |from: &str| {
        // Every column is read; exact aggregates, so the engines' answers compare equal.
        format!(
            "SELECT count(*) AS n, max(id) AS id, min(x) AS x, max(y) AS y, max(length(s)) AS s, sum(k) AS k FROM {from}"
        )
    };
    // DataFusion: a ListingTable over the same server, registered as its docs show.
    let ctx = SessionContext::new();
    ctx.register_object_store(&url::Url::parse(&format!("s3://{BUCKET}"))?, Arc::clone(&store));
    rt.block_on(ctx.register_parquet("t", &url, Default::default()))?;
    let df_sql = query("t");
    let datafusion =
        || -> Res<Vec<RecordBatch>> { Ok(rt.block_on(async { ctx.sql(&df_sql).await?.collect().await })?) };
    // The same DataFusion SQL over xorq's store for the bucket (its own I/O runtime, reads pinned
    // to the listed ETag): tells the store's cost from the plan's.
    let ours = xorq_engines::remote::session_context(datafusion::prelude::SessionConfig::new());
    rt.block_on(ours.register_parquet("t", &url, Default::default()))?;
    let datafusion_ours =
        || -> Res<Vec<RecordBatch>> { Ok(rt.block_on(async { ours.sql(&df_sql).await?.collect().await })?) };
    // xorq: the same SQL over `read_parquet('s3://…')`, run by a session.
    let table = xorq::sql(&query(&format!("read_parquet('{url}')")))?;
    let session = Session::new().with_cache(Cache::disabled());
    let xorq = || -> Res<Vec<RecordBatch>> { Ok(rt.block_on(session.execute(&table, &Params::new()))?) };
    assert_eq!(pretty(&datafusion()?)?, pretty(&xorq()?)?, "both engines agree");

    let (mut t_df, mut t_ours, mut t_xorq) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        t_df.push(time(datafusion)?);
        t_ours.push(time(datafusion_ours)?);
        t_xorq.push(time(xorq)?);
    }
    let (df, ours_t, xq) = (median(&mut t_df), median(&mut t_ours), median(&mut t_xorq));
    let mbps = |t: Duration| size as f64 / 1e6 / t.as_secs_f64();
    println!("\n{:<52} {:>9} {:>9}", "read every column of the object", "seconds", "MB/s");
    println!("{:<52} {:>9.2} {:>9.0}", "DataFusion ListingTable", df.as_secs_f64(), mbps(df));
    println!("{:<52} {:>9.2} {:>9.0}", "DataFusion ListingTable over xorq's store", ours_t.as_secs_f64(), mbps(ours_t));
    println!("{:<52} {:>9.2} {:>9.0}", "xorq read_parquet('s3://…')", xq.as_secs_f64(), mbps(xq));
    println!("ratio xorq / DataFusion throughput: {:.3} (goal ≥ 0.95)", df.as_secs_f64() / xq.as_secs_f64());

    // The cache in the bucket: the object's rows cached (snapshot), then read back.
    let cached = xorq::sql(&format!(
        "WITH\n-- xorq: cache snapshot\nrows AS (SELECT * FROM read_parquet('{url}'))\n{}",
        query("rows")
    ))?;
    let scratch = tempfile::tempdir()?;
    // A prefix of this run's own: the first run must compute and publish, not find an entry.
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis();
    let team = format!("s3://{BUCKET}/team-cache-{stamp}");
    let with_local = |dir: &Path| Session::new().with_cache(Cache::in_bucket(&team, dir));
    let first = Instant::now();
    let stored = rt.block_on(with_local(&scratch.path().join("writer")).execute(&cached, &Params::new()))?;
    let store_time = first.elapsed();
    assert_eq!(pretty(&stored)?, pretty(&datafusion()?)?, "the cached pipeline agrees");
    let mut fresh = 0;
    let mut cold_hit = || -> Res<Vec<RecordBatch>> {
        fresh += 1;
        let session = with_local(&scratch.path().join(format!("machine{fresh}")));
        Ok(rt.block_on(session.execute(&cached, &Params::new()))?)
    };
    let warm_session = with_local(&scratch.path().join("writer"));
    let warm_hit = || -> Res<Vec<RecordBatch>> { Ok(rt.block_on(warm_session.execute(&cached, &Params::new()))?) };
    let (mut t_cold, mut t_warm, mut t_direct) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        t_cold.push(time(&mut cold_hit)?);
        t_warm.push(time(warm_hit)?);
        t_direct.push(time(datafusion)?);
    }
    let (cold, warm, direct) = (median(&mut t_cold), median(&mut t_warm), median(&mut t_direct));
    println!("\n{:<52} {:>9}", "the same rows cached in the bucket", "seconds");
    println!("{:<52} {:>9.2}", "first run: computed and published to the bucket", store_time.as_secs_f64());
    println!("{:<52} {:>9.2}", "DataFusion reading the Parquet from the bucket", direct.as_secs_f64());
    println!("{:<52} {:>9.2}", "hit on a new machine (download, verify, read)", cold.as_secs_f64());
    println!("{:<52} {:>9.2}", "hit with the verified local copy", warm.as_secs_f64());
    println!(
        "ratio hit / direct read: new machine {:.2}, with the local copy {:.2} (below 1: faster than reading the source)",
        cold.as_secs_f64() / direct.as_secs_f64(),
        warm.as_secs_f64() / direct.as_secs_f64()
    );
    Ok(())
}

fn time(f: impl FnOnce() -> Res<Vec<RecordBatch>>) -> Res<Duration> {
    let start = Instant::now();
    std::hint::black_box(f()?);
    Ok(start.elapsed())
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn pretty(batches: &[RecordBatch]) -> Res<String> {
    Ok(arrow::util::pretty::pretty_format_batches(batches)?.to_string())
}

/// A Parquet file of about `mb` MB (uncompressed pages, so its size is its data): an id, two
/// floats, a text of 16–40 characters and a small integer per row; generated once.
fn generate(mb: u64) -> Res<PathBuf> {
    let home = std::env::var_os("HOME").ok_or("HOME is not set")?;
    let dir = PathBuf::from(home).join(".cache/xorq-rs/bench");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("storage-{mb}MB.parquet"));
    if path.exists() {
        return Ok(path);
    }
    let part = dir.join(format!("storage-{mb}MB.parquet.part"));
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("id", arrow::datatypes::DataType::Int64, false),
        arrow::datatypes::Field::new("x", arrow::datatypes::DataType::Float64, false),
        arrow::datatypes::Field::new("y", arrow::datatypes::DataType::Float64, false),
        arrow::datatypes::Field::new("s", arrow::datatypes::DataType::Utf8, false),
        arrow::datatypes::Field::new("k", arrow::datatypes::DataType::Int32, false),
    ]));
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&part)?, schema.clone(), Some(props))?;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let batch_rows = 100_000i64;
    let mut start = 0i64;
    while writer.bytes_written() + writer.in_progress_size() < (mb as usize) * 1_000_000 {
        let ids: Vec<i64> = (start..start + batch_rows).collect();
        let x: Vec<f64> = (0..batch_rows).map(|_| (next() % 1_000_000) as f64 / 100.0).collect();
        let y: Vec<f64> = (0..batch_rows).map(|_| (next() % 1_000) as f64 * 0.5).collect();
        let s: Vec<String> =
            ids.iter().map(|i| format!("row-{i:010}-{}", "x".repeat((next() % 24) as usize))).collect();
        let k: Vec<i32> = (0..batch_rows).map(|_| (next() % 100) as i32).collect();
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(Float64Array::from(x)),
                Arc::new(Float64Array::from(y)),
                Arc::new(StringArray::from(s)),
                Arc::new(Int32Array::from(k)),
            ],
        )?;
        writer.write(&batch)?;
        start += batch_rows;
    }
    writer.close()?;
    std::fs::rename(&part, &path)?;
    Ok(path)
}

/// `PUT /<bucket>` (object_store cannot create a bucket; the local server takes it unsigned).
fn create_bucket(endpoint: &str, name: &str) -> Res<()> {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host)?;
    write!(stream, "PUT /{name} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    if !answer.starts_with("HTTP/1.1 200") && !answer.contains("BucketAlreadyOwnedByYou") {
        return Err(format!("cannot create bucket {name}: {}", answer.lines().next().unwrap_or("")).into());
    }
    Ok(())
}

async fn upload(store: &Arc<dyn ObjectStore>, local: &Path, key: &str) -> Res<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::open(local).await?;
    let mut writer = object_store::buffered::BufWriter::new(Arc::clone(store), ObjectPath::from(key));
    tokio::io::copy(&mut file, &mut writer).await?;
    writer.shutdown().await?;
    Ok(())
}
