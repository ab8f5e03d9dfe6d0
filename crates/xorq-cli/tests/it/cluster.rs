//! Ballista clusters with the real binary: `xorq ballista scheduler|executor` started as
//! separate processes, a build run unchanged with `xorq run --on`, caching above the cluster's
//! part, and the faults: a dead or unreachable scheduler, an executor killed mid-query, a
//! source an executor cannot read.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common::cluster::Cluster;
use crate::common::s3::{self, Bucket};
use crate::common::{Run, project, xorq_with_env};

/// The sales pipeline with its CTE cached (the cache sits above the part the cluster runs).
const CACHED: &str = "WITH
-- xorq: cache
large_orders AS (
    SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100
)
SELECT region, round(sum(amount), 2) AS total, count(*) AS orders
FROM large_orders GROUP BY region ORDER BY total DESC
";

struct Project {
    tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Project {
    /// The sales project with `sql` as its pipeline and `profiles` as its project file's
    /// profiles section.
    fn new(sql: &str, profiles: &str) -> Project {
        let (tmp, dir) = project("sales");
        std::fs::write(dir.join("pipeline.sql"), sql).expect("write the pipeline");
        let file = dir.join("xorq.yaml");
        let text = std::fs::read_to_string(&file).expect("the project file");
        std::fs::write(&file, text.replace("profiles: {}\n", profiles)).expect("write the project file");
        Project { tmp, dir }
    }

    fn cache(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// `xorq args…` with the cache directory `cache`.
    fn xorq(&self, args: &[&str], cache: &str) -> Run {
        xorq_with_env(&self.dir, args, &[("XORQ_CACHE_DIR", &self.cache(cache))])
    }

    fn build(&self) -> String {
        let built = self.xorq(&["build", "pipeline.sql"], "build-cache");
        assert_eq!(built.code, 0, "build: {}", built.stderr);
        built.stdout.trim().to_string()
    }
}

#[test]
fn a_build_runs_unchanged_on_a_cluster_and_caches_above_it() {
    let cluster = Cluster::start(2, &[]);
    let p = Project::new(CACHED, &cluster.profile_yaml());
    let build = p.build();
    let here = p.xorq(&["run", &build, "-f", "csv"], "here");
    assert_eq!(here.code, 0, "{}", here.stderr);

    let plan = p.xorq(&["run", &build, "--on", "cluster", "--explain"], "there");
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(plan.stdout.contains(&format!("run on cluster cluster ({})", cluster.url)), "{}", plan.stdout);
    // The address is the build's, whatever the engine.
    assert!(
        plan.stdout.contains(&format!("plan of {build} (address {}", &build["builds/".len()..])),
        "{}",
        plan.stdout
    );

    let first = p.xorq(&["run", &build, "--on", "cluster", "-f", "csv", "-v"], "there");
    assert_eq!(first.code, 0, "{}\n{}", first.stderr, cluster.logs());
    assert_eq!(first.stdout, here.stdout, "the cluster's answer");
    assert!(first.stderr.contains(": miss"), "{}", first.stderr);
    let second = p.xorq(&["run", &build, "--on", "cluster", "-f", "csv", "-v"], "there");
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.stdout, here.stdout);
    assert!(second.stderr.contains(": hit"), "{}", second.stderr);
    // The entry the cluster computed is the one a local run finds: the key is the address.
    let local = p.xorq(&["run", &build, "-f", "csv", "-v"], "there");
    assert!(local.stderr.contains(": hit"), "{}", local.stderr);

    let json = p.xorq(&["run", &build, "--on", "cluster", "--explain", "--json", "--no-cache"], "there");
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["stages"][0]["kind"], "cluster", "{value}");
    assert_eq!(value["stages"][0]["url"], cluster.url.as_str(), "{value}");
}

#[test]
fn on_names_a_missing_or_wrong_profile() {
    let p = Project::new(CACHED, "profiles:\n  shop: {kind: sqlite, path: shop.db}\n");
    let build = p.build();
    let run = p.xorq(&["run", &build, "--on", "cluster"], "c");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no profile `cluster` (it has: shop)") && run.stderr.contains("kind: ballista"),
        "{}",
        run.stderr
    );
    let run = p.xorq(&["run", &build, "--on", "shop"], "c");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("profile `shop` is a `sqlite` profile, not a cluster"), "{}", run.stderr);
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a port");
    listener.local_addr().expect("an address").port()
}

#[test]
fn a_dead_or_unreachable_scheduler_is_an_error_naming_the_profile_and_url() {
    let dead = format!("df://127.0.0.1:{}", closed_port());
    let p = Project::new(CACHED, &format!("profiles:\n  cluster: {{kind: ballista, url: \"{dead}\"}}\n"));
    let build = p.build();
    let start = Instant::now();
    let run = p.xorq(&["run", &build, "--on", "cluster"], "c");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!("cluster profile `cluster` ({dead}): connecting to the scheduler"))
            && run.stderr.contains("xorq ballista scheduler"),
        "{}",
        run.stderr
    );
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());

    // An address that never answers (a non-routed one): the connect timeout, not a hang.
    let silent = "df://10.255.255.1:50050";
    let p = Project::new(
        CACHED,
        &format!("profiles:\n  cluster: {{kind: ballista, url: \"{silent}\", connect_timeout: 1}}\n"),
    );
    let build = p.build();
    let start = Instant::now();
    let run = p.xorq(&["run", &build, "--on", "cluster"], "c");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains(&format!("cluster profile `cluster` ({silent})")), "{}", run.stderr);
    assert!(start.elapsed() < Duration::from_secs(8), "took {:?}", start.elapsed());
}

/// A join that keeps two executors busy for seconds: every order against every order of its
/// region (about 25 million pairs).
const HEAVY: &str = "SELECT a.region, count(*) AS pairs, round(sum(a.amount - b.amount), 2) AS spread
FROM read_parquet('data/sales.parquet') AS a JOIN read_parquet('data/sales.parquet') AS b ON a.region = b.region
GROUP BY a.region ORDER BY a.region
";

/// An executor killed while a query runs: Ballista notices the lost executor and runs its tasks
/// again on the one left, so the query succeeds with the right answer. (The scheduler is told to
/// give up on a silent executor after 3 s instead of 180, the executors to beat every second.)
#[test]
fn an_executor_killed_mid_query_is_retried_on_the_others() {
    let mut cluster = Cluster::start_with(
        2,
        &[],
        &["--executor-timeout-seconds", "3", "--expire-dead-executor-interval-seconds", "1"],
        &["--executor-heartbeat-interval-seconds", "1"],
    );
    let p = Project::new(HEAVY, &cluster.profile_yaml());
    let build = p.build();
    let here = p.xorq(&["run", &build, "-f", "csv", "--no-cache"], "c");
    assert_eq!(here.code, 0, "{}", here.stderr);

    let mut run = std::process::Command::new(env!("CARGO_BIN_EXE_xorq"));
    run.args(["run", &build, "--on", "cluster", "-f", "csv", "--no-cache"])
        .current_dir(&p.dir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = run.spawn().expect("the run starts");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(child.try_wait().expect("the run's status").is_none(), "the query ended before the executor was killed");
    let victim = &mut cluster.executors[0];
    victim.kill().expect("kill the executor");
    let _ = victim.wait();
    let out = child.wait_with_output().expect("the run ends");
    let out = Run::from(out);
    assert_eq!(out.code, 0, "{}\n{}", out.stderr, cluster.logs());
    assert_eq!(out.stdout, here.stdout, "the same answer after the retry");
}

/// A source every process but one executor can read (its storage endpoint is unreachable): the
/// error names the object and the executor.
#[test]
fn a_source_an_executor_cannot_read_names_the_path_and_the_executor() {
    let Some(bucket) = Bucket::new("cluster-unreadable") else { return };
    let (tmp, dir) = project("sales");
    bucket.put_file("sales.parquet", &dir.join("data/sales.parquet"));
    let home = s3::home(tmp.path(), "home");
    let good = bucket.env(&home);
    let mut bad: Vec<(String, String)> = good
        .iter()
        .map(|(k, v)| {
            if k == "AWS_ENDPOINT_URL" {
                (k.clone(), format!("http://127.0.0.1:{}", closed_port()))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    bad.push(("XORQ_STORAGE_RETRIES".into(), "0".into()));
    bad.push(("XORQ_STORAGE_CONNECT_TIMEOUT".into(), "1".into()));
    // The scheduler lists the objects (it plans the scans); one executor cannot reach them.
    let mut cluster = Cluster::start(0, &good);
    cluster.add_executor(0, &bad);
    let url = bucket.url("sales.parquet");
    std::fs::write(
        dir.join("pipeline.sql"),
        format!("SELECT region, count(*) AS n FROM read_parquet('{url}') GROUP BY region\n"),
    )
    .expect("write");
    let file = dir.join("xorq.yaml");
    let text = std::fs::read_to_string(&file).expect("project file");
    std::fs::write(&file, text.replace("profiles: {}\n", &cluster.profile_yaml())).expect("write");
    let built = s3::xorq(&dir, &["build", "pipeline.sql"], &good);
    assert_eq!(built.code, 0, "{}", built.stderr);
    let run = s3::xorq(&dir, &["run", built.stdout.trim(), "--on", "cluster", "--no-cache"], &good);
    assert_eq!(run.code, 1, "{}", run.stderr);
    eprintln!("{}", run.stderr);
    assert!(run.stderr.contains("cluster profile `cluster`"), "{}", run.stderr);
    assert!(run.stderr.contains("sales.parquet"), "names the object: {}", run.stderr);
    assert!(run.stderr.contains("read on executor test-executor-0"), "names the executor: {}", run.stderr);
    assert!(!run.stderr.contains(s3::SECRET), "{}", run.stderr);
}
