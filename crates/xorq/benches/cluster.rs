//! TPC-H, all 22 queries, on a Ballista cluster with one and with two executors against the
//! embedded engine, in one run: `cargo bench -p xorq --features ballista --bench cluster`.
//!
//! Environment: `TPCH_SF` (default 1), `TPCH_RUNS` (timed runs per query and engine after one
//! warm-up, default 3; the median is shown), `TPCH_QUERIES` (a subset, e.g. `q1,q9`),
//! `TPCH_DATA` (default `$HOME/.cache/xorq-rs/tpch/sf<SF>`, generated once), as for the `tpch`
//! bench.
//!
//! The cluster is what `xorq ballista scheduler|executor` start (the same library entry points,
//! this bench re-running itself as each process): a scheduler and the executors as separate
//! processes on loopback ports, so plans, shuffles and results cross process boundaries as they
//! would between machines. Each query is built once, as `xorq build` does; a run is `xorq run
//! <build>` (load, a new session, execute, collect), with `--on cluster` for the cluster
//! columns. Every answer is checked against the embedded engine's, exactly.

#[path = "../tpch/compare.rs"]
mod compare;
#[path = "../tpch/data.rs"]
mod data;
#[path = "../tpch/engines.rs"]
mod engines;
#[path = "../tpch/files.rs"]
mod files;
#[path = "../tpch/queries.rs"]
mod queries;
#[path = "../tpch/timing.rs"]
mod timing;

use std::error::Error;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use clap::Parser;
use timing::{env_or, median, ms};
use xorq::ballista::process::{ExecutorFlags, SchedulerFlags, run_executor, run_scheduler};
use xorq::profile::Profile;
use xorq::{Params, Session};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Set in a child process: the cluster process it runs (`scheduler` or `executor`), its flags
/// in `CLUSTER_FLAGS` (one per line).
const CHILD_ROLE: &str = "CLUSTER_BENCH_ROLE";
const CHILD_FLAGS: &str = "CLUSTER_BENCH_FLAGS";

fn main() -> Res<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(32 << 20).build()?;
    if let Ok(role) = std::env::var(CHILD_ROLE) {
        let flags: Vec<String> = std::env::var(CHILD_FLAGS)?.lines().map(str::to_string).collect();
        let args = std::iter::once(role.clone()).chain(flags);
        return runtime.block_on(async move {
            match role.as_str() {
                "scheduler" => Ok(run_scheduler(SchedulerFlags::try_parse_from(args)?, |_| {}).await?),
                _ => Ok(run_executor(ExecutorFlags::try_parse_from(args)?).await?),
            }
        });
    }
    runtime.block_on(bench())
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// This bench re-run as a cluster process.
fn spawn(role: &str, flags: &[String]) -> Res<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .env(CHILD_ROLE, role)
        .env(CHILD_FLAGS, flags.join("\n"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()?)
}

/// A scheduler and `executors` executors; killed when dropped.
struct Cluster {
    url: String,
    children: Vec<Child>,
    /// The executors' work directories (shuffle files), removed with the cluster.
    work: tempfile::TempDir,
}

impl Cluster {
    fn start(executors: usize) -> Res<Cluster> {
        let port = free_port()?;
        let flags = |pairs: &[(&str, String)]| -> Vec<String> {
            pairs.iter().flat_map(|(k, v)| [k.to_string(), v.clone()]).collect()
        };
        let mut cluster = Cluster {
            url: format!("df://127.0.0.1:{port}"),
            children: vec![spawn(
                "scheduler",
                &flags(&[("--bind-host", "127.0.0.1".into()), ("--bind-port", port.to_string())]),
            )?],
            work: tempfile::tempdir()?,
        };
        wait(|| TcpStream::connect(("127.0.0.1", port)).is_ok())?;
        for _ in 0..executors {
            let (flight, grpc, health) = (free_port()?, free_port()?, free_port()?);
            cluster.children.push(spawn(
                "executor",
                &flags(&[
                    ("--bind-host", "127.0.0.1".into()),
                    ("--scheduler-host", "127.0.0.1".into()),
                    ("--scheduler-port", port.to_string()),
                    ("--bind-port", flight.to_string()),
                    ("--bind-grpc-port", grpc.to_string()),
                    ("--bind-health-port", health.to_string()),
                    ("--work-dir", cluster.work.path().join(format!("executor-{flight}")).display().to_string()),
                ]),
            )?);
            wait(|| TcpStream::connect(("127.0.0.1", grpc)).is_ok())?;
        }
        // Registration follows the gRPC server's start: give it a heartbeat.
        std::thread::sleep(Duration::from_millis(500));
        Ok(cluster)
    }

    async fn session(&self) -> Res<Session> {
        let profile = Profile::new("cluster", "ballista")?.param("url", &self.url)?;
        let cluster = xorq::backends::connectors().connect(&profile).await?;
        Ok(Session::new().with_backend(cluster).on_cluster("cluster")?)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait(mut ready: impl FnMut() -> bool) -> Res<()> {
    let start = Instant::now();
    while !ready() {
        if start.elapsed() > Duration::from_secs(60) {
            return Err("a cluster process did not start within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// `xorq run <build>` in `session`'s configuration (a new session per run, as the binary makes).
async fn run(build: &Path, cluster: Option<&Cluster>) -> Res<(Duration, Vec<RecordBatch>)> {
    let start = Instant::now();
    let loaded = engines::load(build)?;
    let session = match cluster {
        Some(c) => c.session().await?,
        None => Session::new(),
    };
    let batches = session.execute(&loaded.table, &Params::new()).await?;
    Ok((start.elapsed(), batches))
}

async fn timed(build: &Path, cluster: Option<&Cluster>, runs: usize) -> Res<(Duration, Vec<RecordBatch>)> {
    let (_, mut last) = run(build, cluster).await?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let (t, batches) = run(build, cluster).await?;
        times.push(t);
        last = batches;
    }
    Ok((median(times), last))
}

async fn bench() -> Res<()> {
    let sf: f64 = env_or("TPCH_SF", 1.0)?;
    let runs: usize = env_or("TPCH_RUNS", 3)?;
    let queries = queries::select_queries(std::env::var("TPCH_QUERIES").ok().as_deref())?;
    let data = match std::env::var_os("TPCH_DATA") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var("HOME")?).join(format!(".cache/xorq-rs/tpch/sf{sf}")),
    };
    files::ensure(&data, sf)?;
    let work = tempfile::tempdir()?;
    let mut builds = Vec::new();
    for q in &queries {
        let file = engines::write_pipeline(q, &data, &work.path().join("pipelines"))?;
        builds.push(engines::build(&file, &work.path().join("builds"))?);
    }
    println!(
        "TPC-H SF {sf} on {} cores: median of {runs} runs after a warm-up; ratio = cluster time / embedded time",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    let mut columns: Vec<(String, Vec<Duration>)> = Vec::new();
    let mut problems = Vec::new();
    let mut embedded = Vec::new();
    let mut answers = Vec::new();
    for (q, build) in queries.iter().zip(&builds) {
        let (t, batches) = timed(build, None, runs).await?;
        embedded.push(t);
        answers.push((q, batches));
    }
    columns.push(("embedded".into(), embedded));
    for executors in [1, 2] {
        let cluster = Cluster::start(executors)?;
        let mut times = Vec::new();
        for ((q, expected), build) in answers.iter().zip(&builds) {
            match timed(build, Some(&cluster), runs).await {
                Ok((t, batches)) => {
                    let ordering = compare::Ordering { keys: q.order_keys()? };
                    if let Some(why) = compare::exact_difference(&batches, expected, &ordering)? {
                        problems.push(format!("{} on {executors} executor(s): {why}", q.name));
                    }
                    times.push(t);
                }
                Err(e) => {
                    problems.push(format!("{} on {executors} executor(s): {e}", q.name));
                    times.push(Duration::ZERO);
                }
            }
        }
        columns.push((format!("{executors} executor{}", if executors == 1 { "" } else { "s" }), times));
    }
    println!(
        "{:<6} {:>12} {:>14} {:>7} {:>14} {:>7}",
        "query", "embedded ms", "1 executor ms", "ratio", "2 executors ms", "ratio"
    );
    let mut sums = [0.0f64; 3];
    for (i, q) in queries.iter().enumerate() {
        let e = ms(columns[0].1[i]);
        let (one, two) = (ms(columns[1].1[i]), ms(columns[2].1[i]));
        sums[0] += e;
        sums[1] += one;
        sums[2] += two;
        println!("{:<6} {e:>12.1} {one:>14.1} {:>7.2} {two:>14.1} {:>7.2}", q.name, one / e, two / e);
    }
    println!(
        "{:<6} {:>12.1} {:>14.1} {:>7.2} {:>14.1} {:>7.2}",
        "total",
        sums[0],
        sums[1],
        sums[1] / sums[0],
        sums[2],
        sums[2] / sums[0]
    );
    if !problems.is_empty() {
        return Err(format!("{} problems:\n{}", problems.len(), problems.join("\n")).into());
    }
    println!("every answer equals the embedded engine's");
    Ok(())
}
