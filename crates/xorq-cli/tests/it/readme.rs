//! Every example of the README runs as written, with the real `xorq` binary.
//!
//! Each ```` ```text ```` block of `$ ` commands runs in README order in one sandbox (its own
//! `HOME`, cache directory and configuration): the workflow block from an empty directory, the
//! others from the `demo` project it creates. Every command must succeed, and every output line
//! the README shows under a command must be printed by it (stdout and stderr together), with
//! ages, sizes and times normalized. Lines holding `…` are elisions, and table drawings (`+---`,
//! `| …`) are what a terminal shows, where the test reads a pipe.
//!
//! Adapted, and why: the bucket `acme-data` is on the test S3 server (`.ci/storage.sh`), emptied
//! first and holding the demo's `sales.parquet` as the README says, with the server's
//! settings in the environment (without a server, outside CI, those commands are skipped); the
//! team remote `git@github.com:acme/team-catalog.git` is a local bare
//! repository (no network here); a command holding `…` (an elided address, a password) is not
//! run; the SQL block that marks caches is saved as `cached.sql`, as the README says, and a SQL
//! block whose first line names a file (`-- orders.sql: …`) is saved as that file. A command
//! ending in ` &` (the Flight server) runs in the background on a free port in place of the
//! README's 8815 until the next ```` ```python ```` block has run against it with
//! `$XORQ_TEST_PYTHON` (its `print(…)  # value` must print the value), then gets SIGTERM and must
//! exit 0. A `xorq ballista …` command ending in ` &` runs in the background (the scheduler on
//! a free port in place of the README's 50050, in the commands, their output and the
//! `kind: ballista` profile, which is written over the demo's `profiles: {}` line as the README
//! says) until the end of the test. Not run:
//! the ```` ```sh ```` blocks (the install command is a release build, the test command is what
//! CI runs around this test, the benchmarks are not tests) and the ```` ```rust ```` sketches
//! (they need a PostgreSQL server and files of the reader's).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

const README: &str = include_str!("../../../../README.md");
const REMOTE: &str = "git@github.com:acme/team-catalog.git";
const README_PORT: &str = "8815";
const README_SCHEDULER_PORT: &str = "50050";
const README_BUCKET: &str = "acme-data";

/// The README's bucket `acme-data` on the test S3 server (`.ci/storage.sh`), emptied, holding
/// the demo's `sales.parquet` (the README says it is there).
struct ReadmeBucket {
    name: String,
    bucket: Option<common::s3::Bucket>,
    uploaded: std::cell::Cell<bool>,
}

impl ReadmeBucket {
    fn new() -> ReadmeBucket {
        let bucket = common::s3::Bucket::named(README_BUCKET);
        let name = bucket.as_ref().map_or_else(|| README_BUCKET.to_string(), |b| b.name.clone());
        ReadmeBucket { name, bucket, uploaded: std::cell::Cell::new(false) }
    }

    /// Whether the README's object storage commands can run (uploading the demo's data the
    /// first time); without a server they are skipped outside CI (see `common::s3::endpoint`).
    fn ready(&self, demo: &Path) -> bool {
        let Some(bucket) = &self.bucket else { return false };
        if !self.uploaded.get() {
            bucket.put_file("sales.parquet", &demo.join("data/sales.parquet"));
            self.uploaded.set(true);
        }
        true
    }

    /// The environment for the server (none without one).
    fn env(&self, home: &Path) -> Vec<(String, String)> {
        self.bucket.as_ref().map(|b| b.env(home)).unwrap_or_default().into_iter().filter(|(k, _)| k != "HOME").collect()
    }
}

/// A free TCP port on loopback (bound and released; a race with another process is possible but
/// harmless here: the server would fail to start and the test say so).
fn free_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("an address").port().to_string()
}

/// A command of the README running in the background, its output read line by line.
struct Background {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Background {
    /// Waits until every line of `shown` (normalized) was printed, or fails naming the first
    /// missing one.
    fn expect(&self, cmd: &str, shown: &[String]) {
        let mut printed = Vec::new();
        for expected in shown {
            if expected.contains('…') {
                continue;
            }
            let want = normalize(expected);
            while !printed.contains(&want) {
                match self.lines.recv_timeout(std::time::Duration::from_secs(60)) {
                    Ok(line) => printed.push(normalize(&line)),
                    Err(_) => panic!(
                        "README command `{cmd}` should print\n  {expected}\nbut printed:\n{}",
                        printed.join("\n")
                    ),
                }
            }
        }
    }

    /// SIGTERM, then the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-s", "TERM", &pid]).status();
        self.child.wait().expect("the background command ends")
    }
}

/// A fenced block: its language and lines.
struct Block {
    lang: String,
    lines: Vec<String>,
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in text.lines() {
        match (line.strip_prefix("```"), current.take()) {
            (Some(_), Some(block)) => out.push(block),
            (Some(lang), None) => current = Some(Block { lang: lang.trim().to_string(), lines: Vec::new() }),
            (None, Some(mut block)) => {
                block.lines.push(line.to_string());
                current = Some(block);
            }
            (None, None) => {}
        }
    }
    out
}

/// The command of a `$ ` line without its trailing comment (`   # …`).
fn command(line: &str) -> Option<String> {
    let cmd = line.strip_prefix("$ ")?;
    let cmd = match cmd.find("  #") {
        Some(i) => &cmd[..i],
        None => cmd,
    };
    Some(cmd.trim().to_string())
}

/// Ages, sizes and times as placeholders.
fn normalize(line: &str) -> String {
    let words: Vec<String> = line
        .split(' ')
        .map(|w| {
            let t = w.trim_end_matches(['s', ',']);
            let time = w.len() == 20 && w.ends_with('Z') && w.as_bytes()[10] == b'T';
            if time {
                "<time>".to_string()
            } else if !t.is_empty() && t.len() < w.len() && t.bytes().all(|b| b.is_ascii_digit()) {
                "<n>s".to_string()
            } else {
                w.to_string()
            }
        })
        .collect();
    let mut line = words.join(" ");
    if let Some(i) = line.find(" rows (") {
        let end = line[i..].find(')').map_or(line.len(), |j| i + j + 1);
        line.replace_range(i..end, " rows (<size>)");
    }
    line
}

struct Sandbox {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    path: std::ffi::OsString,
    /// The object-storage settings a user would have exported (the test server's).
    cloud: Vec<(String, String)>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        for dir in ["home", "cache", "config"] {
            std::fs::create_dir(root.join(dir)).expect("sandbox dir");
        }
        let bin = Path::new(env!("CARGO_BIN_EXE_xorq")).parent().expect("the binary's directory").to_path_buf();
        let mut paths = vec![bin];
        paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
        let path = std::env::join_paths(paths).expect("a PATH");
        let ok = Command::new("git")
            .args(["init", "-q", "--bare", "team-catalog.git"])
            .current_dir(&root)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "git init --bare");
        Sandbox { _tmp: tmp, root, path, cloud: Vec::new() }
    }

    /// `cmd` with bash in `dir`, in the sandbox's environment, not yet started.
    fn command(&self, dir: &Path, cmd: &str) -> Command {
        let mut c = Command::new("bash");
        c.args(["-o", "pipefail", "-c", &format!("{cmd} 2>&1")])
            .current_dir(dir)
            .env("PATH", &self.path)
            .env("HOME", self.root.join("home"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("XORQ_CACHE_DIR", self.root.join("cache"))
            .env_remove("XORQ_CATALOG_LOCK_TIMEOUT")
            .envs(self.cloud.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::null());
        c
    }

    /// Runs `cmd` with bash in `dir`; its exit code and stdout and stderr together.
    fn run(&self, dir: &Path, cmd: &str) -> (i32, String) {
        let out = self.command(dir, cmd).output().expect("bash runs");
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `cmd` in the background (`exec`, so a signal reaches it and not bash).
    fn spawn(&self, dir: &Path, cmd: &str) -> Background {
        let mut child =
            self.command(dir, &format!("exec {cmd}")).stdout(std::process::Stdio::piped()).spawn().expect("bash runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Background { child, lines }
    }
}

#[test]
fn every_readme_example_runs_as_written() {
    let bucket = ReadmeBucket::new();
    let mut sandbox = Sandbox::new();
    sandbox.cloud = bucket.env(&sandbox.root.join("home"));
    let remote = sandbox.root.join("team-catalog.git").display().to_string();
    let demo = sandbox.root.join("demo");
    let port = free_port();
    let scheduler_port = free_port();
    let mut background: Option<Background> = None;
    let mut cluster: Vec<Background> = Vec::new();
    let mut ran = 0;
    for block in blocks(README) {
        let named = block.lines.first().and_then(|l| l.strip_prefix("-- ")).and_then(|l| l.split_once(".sql:"));
        if block.lang == "sql"
            && let Some((name, _)) = named
        {
            let text = (block.lines.join("\n") + "\n").replace(README_BUCKET, &bucket.name);
            if text.contains(&bucket.name) {
                bucket.ready(&demo);
            }
            std::fs::write(demo.join(format!("{name}.sql")), text).expect("write the SQL file");
            continue;
        }
        if block.lang == "sql" && block.lines.iter().any(|l| l.contains("xorq: cache")) {
            std::fs::write(demo.join("cached.sql"), block.lines.join("\n") + "\n").expect("write cached.sql");
            continue;
        }
        if block.lang == "yaml" && block.lines.iter().any(|l| l.contains("kind: ballista")) {
            let file = demo.join("xorq.yaml");
            let text = std::fs::read_to_string(&file).expect("the demo's project file");
            assert!(text.contains("profiles: {}\n"), "the README replaces the `profiles: {{}}` line:\n{text}");
            let profiles = (block.lines.join("\n") + "\n").replace(README_SCHEDULER_PORT, &scheduler_port);
            std::fs::write(&file, text.replace("profiles: {}\n", &profiles)).expect("write the project file");
            continue;
        }
        if block.lang == "python" {
            let Some(server) = background.take() else { continue };
            if let Some(python) = common::pyarrow_python() {
                let code = block.lines.join("\n").replace(README_PORT, &port);
                let out = Command::new(&python).args(["-c", &code]).current_dir(&demo).output().expect("python runs");
                let printed = String::from_utf8_lossy(&out.stdout);
                assert!(
                    out.status.success(),
                    "the README's Python example failed:\n{printed}\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                for line in &block.lines {
                    if let Some((_, value)) = line.split_once("print(").and_then(|(_, rest)| rest.split_once("  # ")) {
                        assert!(
                            printed.contains(value.trim()),
                            "the README's Python example should print\n  {value}\nbut printed:\n{printed}"
                        );
                    }
                }
                ran += 1;
            }
            let status = server.stop();
            assert!(status.success(), "the README's server did not stop cleanly on SIGTERM: {status:?}");
            continue;
        }
        if block.lang != "text" || !block.lines.iter().any(|l| l.starts_with("$ ")) {
            continue;
        }
        let mut dir = if demo.exists() { demo.clone() } else { sandbox.root.clone() };
        let mut lines = block.lines.iter().peekable();
        while let Some(line) = lines.next() {
            let Some(cmd) = command(line) else { continue };
            let mut shown = Vec::new();
            while let Some(next) = lines.peek().filter(|l| !l.starts_with("$ ")) {
                shown.push(next.to_string());
                lines.next();
            }
            if cmd.contains('…') {
                continue;
            }
            if let Some(target) = cmd.strip_prefix("cd ") {
                dir = dir.join(target);
                continue;
            }
            if (cmd.contains(&format!("s3://{README_BUCKET}")) || cmd.contains("remote.sql")) && !bucket.ready(&demo) {
                continue;
            }
            let cmd = cmd
                .replace(REMOTE, &remote)
                .replace(README_PORT, &port)
                .replace(README_SCHEDULER_PORT, &scheduler_port)
                .replace(README_BUCKET, &bucket.name);
            let shown: Vec<String> = shown.iter().map(|l| l.replace(README_SCHEDULER_PORT, &scheduler_port)).collect();
            if let Some(cmd) = cmd.strip_suffix(" &")
                && cmd.starts_with("xorq ballista ")
            {
                let process = sandbox.spawn(&dir, cmd);
                process.expect(cmd, &shown);
                cluster.push(process);
                ran += 1;
                continue;
            }
            if let Some(cmd) = cmd.strip_suffix(" &") {
                let shown: Vec<String> = shown.iter().map(|l| l.replace(README_PORT, &port)).collect();
                let server = sandbox.spawn(&dir, cmd);
                server.expect(cmd, &shown);
                background = Some(server);
                ran += 1;
                continue;
            }
            let (code, output) = sandbox.run(&dir, &cmd);
            assert_eq!(code, 0, "README command `{cmd}` failed:\n{output}");
            ran += 1;
            let printed: Vec<String> = output.lines().map(normalize).collect();
            for expected in shown {
                if expected.contains('…') || expected.starts_with('+') || expected.starts_with('|') {
                    continue;
                }
                let want = normalize(&expected);
                assert!(
                    printed.contains(&want),
                    "README command `{cmd}` should print\n  {expected}\nbut printed:\n{output}"
                );
            }
        }
    }
    // The cluster's processes end with the test (a signal ends them; their status is Ballista's).
    for process in cluster {
        let _ = process.stop();
    }
    if let Some(server) = background {
        server.stop();
        panic!("a README command left running in the background has no Python example after it");
    }
    assert!(ran >= 15, "only {ran} README commands ran: did the README's blocks change shape?");
}
