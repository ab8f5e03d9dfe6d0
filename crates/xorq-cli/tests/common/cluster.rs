//! A Ballista cluster of the real binary for one test: `xorq ballista scheduler` and executors
//! as separate processes on free loopback ports, killed when dropped.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A scheduler and its executors.
pub struct Cluster {
    /// `df://127.0.0.1:<port>`.
    pub url: String,
    scheduler: Child,
    /// The executors, in start order.
    pub executors: Vec<Child>,
    executor_flags: Vec<String>,
    logs: tempfile::TempDir,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    listener.local_addr().expect("an address").port()
}

fn wait_for(what: &str, log: &Path, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{what} not ready within 60 s:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `GET http://127.0.0.1:<port>/readyz` answers 200.
fn ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if write!(stream, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}

impl Cluster {
    /// A scheduler and `executors` executors, each with `env` added to its environment.
    pub fn start(executors: usize, env: &[(String, String)]) -> Cluster {
        Cluster::start_with(executors, env, &[], &[])
    }

    /// As [`Cluster::start`], with `scheduler_flags` given to the scheduler and
    /// `executor_flags` to each executor.
    pub fn start_with(
        executors: usize,
        env: &[(String, String)],
        scheduler_flags: &[&str],
        executor_flags: &[&str],
    ) -> Cluster {
        let logs = tempfile::tempdir().expect("a log directory");
        let port = free_port();
        let log = logs.path().join("scheduler.log");
        let scheduler = spawn(
            &["ballista", "scheduler", "--bind-host", "127.0.0.1", "--bind-port", &port.to_string()],
            scheduler_flags,
            env,
            &log,
        );
        wait_for("the scheduler", &log, || TcpStream::connect(("127.0.0.1", port)).is_ok());
        let mut cluster = Cluster {
            url: format!("df://127.0.0.1:{port}"),
            scheduler,
            executors: Vec::new(),
            executor_flags: executor_flags.iter().map(|f| f.to_string()).collect(),
            logs,
        };
        for i in 0..executors {
            cluster.add_executor(i, env);
        }
        cluster
    }

    /// Starts executor `i` (`--id test-executor-<i>`) with `env` added, and waits until it is
    /// ready.
    pub fn add_executor(&mut self, i: usize, env: &[(String, String)]) {
        let (scheduler_port, health) = (self.url.rsplit(':').next().unwrap_or_default().to_string(), free_port());
        let log = self.logs.path().join(format!("executor-{i}.log"));
        let work = self.logs.path().join(format!("executor-{i}-work"));
        let args = [
            "ballista",
            "executor",
            "--bind-host",
            "127.0.0.1",
            "--scheduler-host",
            "127.0.0.1",
            "--scheduler-port",
            &scheduler_port,
            "--bind-health-port",
            &health.to_string(),
            "--id",
            &format!("test-executor-{i}"),
            // Inside the test's directory, so an executor killed on purpose leaves nothing behind.
            "--work-dir",
            &work.display().to_string(),
        ];
        let extra: Vec<&str> = self.executor_flags.iter().map(String::as_str).collect();
        self.executors.push(spawn(&args, &extra, env, &log));
        wait_for("an executor", &log, || ready(health));
    }

    /// The log of the scheduler and every executor, for a failed assertion's message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for entry in std::fs::read_dir(self.logs.path()).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            out.push_str(&format!("--- {}\n", entry.path().display()));
            for line in tail.into_iter().rev() {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// An `xorq.yaml` profiles section naming this cluster as `cluster`.
    pub fn profile_yaml(&self) -> String {
        format!("profiles:\n  cluster: {{kind: ballista, url: \"{}\"}}\n", self.url)
    }
}

fn spawn(args: &[&str], extra: &[&str], env: &[(String, String)], log: &PathBuf) -> Child {
    let out = std::fs::File::create(log).expect("a log file");
    let err = out.try_clone().expect("a log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xorq"));
    cmd.args(args).args(extra).stdin(Stdio::null()).stdout(out).stderr(err);
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.spawn().expect("the binary starts")
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in self.executors.iter_mut().chain(std::iter::once(&mut self.scheduler)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
