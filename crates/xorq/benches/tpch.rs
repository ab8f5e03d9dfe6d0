//! TPC-H, all 22 queries, as users run them: xorq's built pipeline against DataFusion's own SQL
//! and DuckDB on the same Parquet files; plus building and hashing a 10,000-node expression.
//!
//! `cargo bench -p xorq --bench tpch` — environment:
//! - `TPCH_SF`: scale factor, default 1 (`TPCH_SF=10` for SF 10: about 11 GB of Parquet under
//!   the data directory and several minutes per engine);
//! - `TPCH_RUNS`: timed runs per query and engine after one warm-up, default 3 (the median is
//!   shown);
//! - `TPCH_QUERIES`: a subset, e.g. `q1,q9`;
//! - `TPCH_DATA`: where the Parquet data set is generated once and kept, default
//!   `$HOME/.cache/xorq-rs/tpch/sf<SF>`;
//! - `TPCH_PLANS=1` also prints, for each query, xorq's plan shape beside DataFusion's at this
//!   scale factor (as `tests/it/tpch_plans.rs` compares them at SF 0.01);
//! - `TPCH_DUCKDB=0` leaves DuckDB out; `TPCH_DUCKDB_PYTHON`: a Python with `duckdb` and
//!   `pyarrow`, default the venv `$HOME/.cache/xorq-rs/duckdb-venv`, created (pinned versions,
//!   from PyPI) when missing.
//!
//! What is timed, for each engine the whole query as its user runs it, from nothing to the
//! result in memory as Arrow (output writing and process start are not timed, for any engine):
//! - xorq: each query file (the official text, tables as `read_parquet('…/<table>')`) is built
//!   once, as `xorq build` does (the front end lifts it, the build directory is written); a run is
//!   what `xorq run <build>` does: load the build, a new session connected to its profiles, the
//!   expression executed and its batches collected. In-process through the library, which is
//!   what the binary calls; the binary would add its start and the writing of the output.
//! - DataFusion: a new `SessionContext` configured as xorq's session (every core), the query's
//!   tables registered with `register_parquet`, its statements run with `ctx.sql`, the batches
//!   collected.
//! - DuckDB (Python package): a new in-memory connection, a view per table over its Parquet
//!   files, the statements, the result fetched as an Arrow table (`benches/tpch_duckdb.py`).
//!
//! Each engine runs each query in a fresh process of its own (this bench re-running itself, or
//! Python), one warm-up and then the timed runs, so the peak resident memory it reports
//! (`VmHWM`) is that query's on that engine. The engines take turns going first. Every answer is
//! checked: xorq's against DataFusion's exactly (as `tests/it/tpch_answers.rs` does), DuckDB's
//! against DataFusion's numerically (DuckDB types decimals differently).

#[path = "../tpch/compare.rs"]
mod compare;
#[path = "../tpch/data.rs"]
mod data;
#[path = "../tpch/engines.rs"]
mod engines;
#[path = "../tpch/files.rs"]
mod files;
#[path = "../tpch/plan_shape.rs"]
mod plan_shape;
#[path = "../tpch/queries.rs"]
mod queries;
#[path = "../tpch/timing.rs"]
mod timing;

use std::error::Error;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use queries::Query;
use timing::{env_or, median, ms};
use xorq::Table;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Nodes of the deep expression, and how many times it is built and hashed.
const DEEP_NODES: usize = 10_000;
const DEEP_RUNS: usize = 5;

/// The pinned DuckDB side, installed into the venv when it is missing.
const DUCKDB_PACKAGES: [&str; 2] = ["duckdb==2.0.1", "pyarrow==26.0.1"];

/// Set in a child process: the engine it times (`xorq` or `datafusion`).
const CHILD_ENGINE: &str = "TPCH_CHILD_ENGINE";

fn main() -> Res<()> {
    match std::env::var(CHILD_ENGINE) {
        Ok(engine) => child(&engine),
        Err(_) => parent(),
    }
}

fn env_path(name: &str) -> Res<PathBuf> {
    std::env::var_os(name).map(PathBuf::from).ok_or_else(|| format!("`{name}` is not set").into())
}

/// The peak resident memory of this process so far, in KiB.
fn peak_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("");
    line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).unwrap_or(0)
}

// ---- a child: one engine, one query -------------------------------------------------------

fn child(engine: &str) -> Res<()> {
    let query = queries::select_queries(Some(&std::env::var("TPCH_CHILD_QUERY")?))?
        .pop()
        .ok_or("TPCH_CHILD_QUERY names no query")?;
    let runs: usize = env_or("TPCH_RUNS", 3)?;
    let data = env_path("TPCH_CHILD_DATA")?;
    let out = env_path("TPCH_CHILD_OUT")?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let once = || -> Res<Vec<RecordBatch>> {
        runtime.block_on(async {
            match engine {
                "xorq" => Ok(engines::run(&env_path("TPCH_CHILD_BUILD")?).await?),
                "datafusion" => engines::datafusion(&query, &data).await,
                other => Err(format!("no engine `{other}`").into()),
            }
        })
    };
    let mut result = once()?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        result = once()?;
        times.push(start.elapsed());
    }
    write_ipc(&out, &result)?;
    let rows: usize = result.iter().map(RecordBatch::num_rows).sum();
    let list: Vec<String> = times.iter().map(|t| format!("{:.3}", ms(*t))).collect();
    println!("median_ms={:.3} peak_kb={} rows={rows} runs_ms={}", ms(median(times)), peak_kb(), list.join(","));
    Ok(())
}

fn write_ipc(path: &Path, batches: &[RecordBatch]) -> Res<()> {
    let schema =
        batches.first().map(RecordBatch::schema).unwrap_or_else(|| Arc::new(arrow::datatypes::Schema::empty()));
    let mut writer = FileWriter::try_new(std::fs::File::create(path)?, &schema)?;
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    Ok(())
}

fn read_ipc(path: &Path) -> Res<Vec<RecordBatch>> {
    Ok(FileReader::try_new(std::fs::File::open(path)?, None)?.collect::<Result<_, _>>()?)
}

// ---- the parent: data, builds, children, table ---------------------------------------------

/// One engine's figures for one query, as its child printed them.
#[derive(Clone, Debug)]
struct Measured {
    median_ms: f64,
    peak_kb: u64,
    result: PathBuf,
}

/// What happened when an engine ran a query.
#[derive(Clone, Debug)]
enum Cell {
    Ran(Measured),
    /// The query could not be built or run; the reason.
    Failed(String),
    /// The engine was left out.
    Skipped,
}

impl Cell {
    fn ms(&self) -> Option<f64> {
        match self {
            Cell::Ran(m) => Some(m.median_ms),
            _ => None,
        }
    }
}

struct Setup {
    sf: f64,
    runs: usize,
    data: PathBuf,
    work: PathBuf,
    duckdb: Option<PathBuf>,
}

fn parent() -> Res<()> {
    let sf: f64 = env_or("TPCH_SF", 1.0)?;
    let runs: usize = env_or("TPCH_RUNS", 3)?;
    let selected = queries::select_queries(std::env::var("TPCH_QUERIES").ok().as_deref())?;
    let home = std::env::var_os("HOME").map(PathBuf::from).ok_or("`HOME` is not set")?;
    let cache = home.join(".cache/xorq-rs");
    let data = match std::env::var_os("TPCH_DATA") {
        Some(d) => PathBuf::from(d),
        None => cache.join(format!("tpch/sf{sf}")),
    };
    let start = Instant::now();
    files::ensure(&data, sf)?;
    println!("TPC-H SF {sf}: Parquet data set at {} ({:.1} s)", data.display(), start.elapsed().as_secs_f64());
    let duckdb = if std::env::var("TPCH_DUCKDB").is_ok_and(|v| v == "0") { None } else { Some(duckdb_python(&cache)?) };
    let work = tempfile::tempdir()?;
    let setup = Setup { sf, runs, data, work: work.path().to_path_buf(), duckdb };
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("{cores} cores; median of {runs} runs after a warm-up, each engine and query in a fresh process\n");

    let show_plans = std::env::var("TPCH_PLANS").is_ok_and(|v| v == "1");
    let mut rows = Vec::new();
    for (i, query) in selected.iter().enumerate() {
        if show_plans {
            print_plans(&setup, query)?;
        }
        let cells = measure(&setup, query, i)?;
        let check = check_answers(query, &cells);
        eprintln!("{}: done", query.name);
        rows.push((query.name, cells, check));
    }
    print_table(&setup, &rows);

    let (build, hash) = deep_expression(DEEP_NODES, DEEP_RUNS)?;
    println!(
        "\n{DEEP_NODES}-node expression (median of {DEEP_RUNS}): build {:.1} ms, hash {:.1} ms (target < 50 ms each)",
        ms(build),
        ms(hash)
    );
    Ok(())
}

/// xorq's plan shape of the query's build beside DataFusion's plan shape of its SQL, in one
/// session over the same files.
fn print_plans(setup: &Setup, query: &Query) -> Res<()> {
    let file = engines::write_pipeline(query, &setup.data, &setup.work.join("pipelines"))?;
    let build = match engines::build(&file, &setup.work.join("builds")) {
        Ok(b) => b,
        Err(e) => {
            println!("{} plans: refused by `xorq build`: {e}", query.name);
            return Ok(());
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let ctx = engines::context();
        engines::register(&ctx, query, &setup.data).await?;
        let theirs = engines::frame(&ctx, query).await?.create_physical_plan().await?;
        engines::finish(&ctx, query).await?;
        let loaded = engines::load(&build)?;
        let logical = xorq::Session::from_context(ctx.clone()).logical_plan(&loaded.table, &xorq::Params::new())?;
        let ours = ctx.state().create_physical_plan(&logical).await?;
        let (ours, theirs) = (plan_shape::shape(&ours), plan_shape::shape(&theirs));
        if ours == theirs {
            println!("{} plans: same shape", query.name);
        } else {
            println!(
                "{} plans differ:\n{}",
                query.name,
                plan_shape::side_by_side("xorq", &ours, "DataFusion", &theirs)
            );
        }
        Ok(())
    })
}

/// The three engines on one query, taking turns at going first.
fn measure(setup: &Setup, query: &Query, turn: usize) -> Res<[Cell; 3]> {
    let file = engines::write_pipeline(query, &setup.data, &setup.work.join("pipelines"))?;
    let build = engines::build(&file, &setup.work.join("builds"));
    let mut cells = [Cell::Skipped, Cell::Skipped, Cell::Skipped];
    for k in 0..3 {
        let engine = (turn + k) % 3;
        cells[engine] = match engine {
            0 => match &build {
                Ok(dir) => run_child(setup, query, "xorq", Some(dir)),
                Err(e) => Cell::Failed(format!("refused by `xorq build`: {e}")),
            },
            1 => run_child(setup, query, "datafusion", None),
            _ => match &setup.duckdb {
                Some(python) => run_duckdb(setup, query, python),
                None => Cell::Skipped,
            },
        };
    }
    Ok(cells)
}

fn run_child(setup: &Setup, query: &Query, engine: &str, build: Option<&Path>) -> Cell {
    let out = setup.work.join(format!("{engine}-{}.arrow", query.name));
    let mut command = match std::env::current_exe() {
        Ok(exe) => Command::new(exe),
        Err(e) => return Cell::Failed(format!("finding this bench's executable: {e}")),
    };
    command
        .env(CHILD_ENGINE, engine)
        .env("TPCH_CHILD_QUERY", query.name)
        .env("TPCH_CHILD_DATA", &setup.data)
        .env("TPCH_CHILD_OUT", &out)
        .env("TPCH_RUNS", setup.runs.to_string());
    if let Some(b) = build {
        command.env("TPCH_CHILD_BUILD", b);
    }
    collect(command, out)
}

fn run_duckdb(setup: &Setup, query: &Query, python: &Path) -> Cell {
    let out = setup.work.join(format!("duckdb-{}.arrow", query.name));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/tpch_duckdb.py");
    let sql = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tpch/queries/{}.sql", query.name));
    let tables = match query.tables() {
        Ok(t) => t,
        Err(e) => return Cell::Failed(e.to_string()),
    };
    let mut command = Command::new(python);
    command.arg(script).arg("--sql").arg(sql).arg("--runs").arg(setup.runs.to_string()).arg("--out").arg(&out);
    for t in tables {
        command.arg(format!("{t}={}", files::table_dir(&setup.data, t).display()));
    }
    collect(command, out)
}

/// Runs a child and reads its line `median_ms=… peak_kb=… rows=… runs_ms=…`.
fn collect(mut command: Command, result: PathBuf) -> Cell {
    let output = match command.output() {
        Ok(o) => o,
        Err(e) => return Cell::Failed(format!("starting {command:?}: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        return Cell::Failed(format!("exit {}: {last}", output.status));
    }
    let field = |name: &str| {
        stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(str::to_string)
    };
    match (field("median_ms").and_then(|v| v.parse().ok()), field("peak_kb").and_then(|v| v.parse().ok())) {
        (Some(median_ms), Some(peak_kb)) => Cell::Ran(Measured { median_ms, peak_kb, result }),
        _ => Cell::Failed(format!("unreadable output: {stdout}")),
    }
}

/// xorq's answer against DataFusion's (exactly), DuckDB's against DataFusion's (numbers to
/// 1e-6 relative, or absolute below 1: DataFusion's `avg` of a decimal is a decimal of scale 6,
/// DuckDB's a double): the problems found.
fn check_answers(query: &Query, cells: &[Cell; 3]) -> Vec<String> {
    let mut problems = Vec::new();
    let Cell::Ran(df) = &cells[1] else { return problems };
    let expected = match read_ipc(&df.result) {
        Ok(b) => b,
        Err(e) => return vec![format!("reading DataFusion's answer: {e}")],
    };
    if let Cell::Ran(x) = &cells[0] {
        let ordering = query.order_keys().map(|keys| compare::Ordering { keys });
        let diff = read_ipc(&x.result).and_then(|actual| compare::exact_difference(&actual, &expected, &ordering?));
        match diff {
            Ok(None) => {}
            Ok(Some(why)) => problems.push(format!("xorq's answer differs from DataFusion's: {why}")),
            Err(e) => problems.push(format!("comparing xorq's answer: {e}")),
        }
    }
    if let Cell::Ran(d) = &cells[2] {
        match read_ipc(&d.result).and_then(|actual| compare::numeric_difference(&actual, &expected, 1e-6)) {
            Ok(None) => {}
            Ok(Some(why)) => problems.push(format!("DuckDB's answer differs from DataFusion's: {why}")),
            Err(e) => problems.push(format!("comparing DuckDB's answer: {e}")),
        }
    }
    problems
}

fn print_table(setup: &Setup, rows: &[(&str, [Cell; 3], Vec<String>)]) {
    let show = |c: &Cell| match c {
        Cell::Ran(m) => format!("{:.1}", m.median_ms),
        Cell::Failed(_) => "failed".to_string(),
        Cell::Skipped => "-".to_string(),
    };
    let mb = |c: &Cell| match c {
        #[allow(clippy::cast_precision_loss)] // KiB counts are far below 2^52
        Cell::Ran(m) => format!("{:.0}", m.peak_kb as f64 / 1024.0),
        _ => "-".to_string(),
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".to_string(),
    };
    println!(
        "\nTPC-H SF {}: median ms per query (peak resident MB per process)\n{:<5} {:>10} {:>10} {:>10} {:>8} {:>10}   {:>7} {:>7} {:>7}",
        setup.sf, "query", "xorq", "DataFusion", "DuckDB", "xorq/DF", "xorq/Duck", "xorq MB", "DF MB", "Duck MB"
    );
    let mut sums = [0.0f64; 3];
    let mut summed = Vec::new();
    for (name, cells, _) in rows {
        let (x, d, k) = (cells[0].ms(), cells[1].ms(), cells[2].ms());
        println!(
            "{name:<5} {:>10} {:>10} {:>10} {:>8} {:>10}   {:>7} {:>7} {:>7}",
            show(&cells[0]),
            show(&cells[1]),
            show(&cells[2]),
            ratio(x, d),
            ratio(x, k),
            mb(&cells[0]),
            mb(&cells[1]),
            mb(&cells[2])
        );
        let duck_ok = k.is_some() || setup.duckdb.is_none();
        if let (Some(x), Some(d), true) = (x, d, duck_ok) {
            sums[0] += x;
            sums[1] += d;
            sums[2] += k.unwrap_or(0.0);
            summed.push(*name);
        }
    }
    let duck_sum = setup.duckdb.is_some().then_some(sums[2]);
    println!(
        "{:<5} {:>10.1} {:>10.1} {:>10} {:>8} {:>10}",
        "sum",
        sums[0],
        sums[1],
        duck_sum.map_or("-".to_string(), |s| format!("{s:.1}")),
        ratio(Some(sums[0]), Some(sums[1])),
        ratio(Some(sums[0]), duck_sum)
    );
    println!("(sums over the {} queries every engine ran: {})", summed.len(), summed.join(" "));
    for (name, cells, problems) in rows {
        for (engine, cell) in ["xorq", "DataFusion", "DuckDB"].iter().zip(cells) {
            if let Cell::Failed(why) = cell {
                println!("{name} on {engine}: {why}");
            }
        }
        for p in problems {
            println!("WARNING {name}: {p}");
        }
    }
}

/// The Python that runs DuckDB: `TPCH_DUCKDB_PYTHON`, else the venv under the cache directory,
/// created with the pinned packages when it is missing.
fn duckdb_python(cache: &Path) -> Res<PathBuf> {
    if let Some(p) = std::env::var_os("TPCH_DUCKDB_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let venv = cache.join("duckdb-venv");
    let python = venv.join("bin/python");
    let ready = |python: &Path| {
        Command::new(python).args(["-c", "import duckdb, pyarrow"]).output().is_ok_and(|o| o.status.success())
    };
    if ready(&python) {
        return Ok(python);
    }
    println!("installing {} into {} (once)", DUCKDB_PACKAGES.join(" "), venv.display());
    let status = Command::new("python3").arg("-m").arg("venv").arg(&venv).status()?;
    let pip = venv.join("bin/pip");
    let installed =
        status.success() && Command::new(pip).arg("install").arg("-q").args(DUCKDB_PACKAGES).status()?.success();
    if !installed || !ready(&python) {
        return Err(format!(
            "could not set up DuckDB in `{}`\nhint: set TPCH_DUCKDB_PYTHON to a Python with duckdb and pyarrow, or TPCH_DUCKDB=0 to leave DuckDB out",
            venv.display()
        )
        .into());
    }
    Ok(python)
}

/// Median build and address times of a chain of `nodes` alternating `mutate` and `filter` over
/// a small memtable.
fn deep_expression(nodes: usize, runs: usize) -> Res<(Duration, Duration)> {
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        ("b", Arc::new(Int64Array::from(vec![4, 5, 6])) as ArrayRef),
    ])?;
    let base = Table::memtable(vec![batch])?;
    let (mut build, mut hash) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let mut t = base.clone();
        for i in 0..i64::try_from(nodes / 2)? {
            t = t.mutate([(xorq::col("a") + xorq::col("b")).alias("a")])?;
            t = t.filter(xorq::col("a").gt(xorq::lit(i)))?;
        }
        build.push(start.elapsed());
        let start = Instant::now();
        black_box(t.address());
        hash.push(start.elapsed());
    }
    Ok((median(build), median(hash)))
}
