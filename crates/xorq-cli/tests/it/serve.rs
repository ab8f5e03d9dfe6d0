//! The seeds' serve flow end to end: build → `catalog add --alias` → `catalog serve-unbound
//! alias` → a pyarrow.flight client sends rows and reads the result, which equals `xorq run`
//! on the same rows; wrong rows, a token, and SIGTERM during an exchange.

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::sandbox::Sandbox;
use arrow::array::RecordBatch;
use arrow::util::pretty::pretty_format_batches;

fn client_script() -> String {
    format!("{}/tests/tools/flight_client.py", env!("CARGO_MANIFEST_DIR"))
}

/// A server process and the URL it printed on its first line.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(mut command: Command) -> Server {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = rx.recv_timeout(Duration::from_secs(60)).expect("the server prints where it listens");
        let url = first.strip_prefix("listening on ").expect("the first line names the address").to_string();
        Server { child, url }
    }

    /// Sends SIGTERM and waits; the exit status and stderr.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-s", "TERM", &pid]).status().expect("kill runs").success());
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            std::io::Read::read_to_string(&mut pipe, &mut stderr).expect("reads stderr");
        }
        (self.child.wait().expect("the server ends"), stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(python: &str, dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(python).arg(client_script()).args(args).current_dir(dir).output().expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "client {args:?}:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("a JSON summary")
}

fn ipc_file(path: &Path) -> Vec<RecordBatch> {
    let file = std::fs::File::open(path).expect("the result file");
    arrow::ipc::reader::FileReader::try_new(file, None).expect("Arrow IPC").map(|b| b.expect("a batch")).collect()
}

fn ipc_stream(bytes: &[u8]) -> Vec<RecordBatch> {
    arrow::ipc::reader::StreamReader::try_new(bytes, None).expect("Arrow IPC").map(|b| b.expect("a batch")).collect()
}

#[test]
fn a_catalogued_build_serves_pyarrow_clients_what_xorq_run_computes() {
    let Some(python) = common::pyarrow_python() else { return };
    let s = Sandbox::new("sales", 3000);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let catalog = s.catalog("team");
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "revenue"]);
    let expected =
        ipc_stream(&s.ok(&["catalog", "--path", &catalog, "run", "revenue", "-o", "-", "-f", "arrow"]).bytes);

    let server = Server::start(s.command(&["catalog", "--path", &catalog, "serve-unbound", "revenue", "--port", "0"]));
    let summary = client(&python, &s.project, &[&server.url, "exchange", "data/sales.parquet", "out.arrow"]);
    assert_eq!(summary["flights"], serde_json::json!([["revenue"]]), "{summary}");
    assert_eq!(summary["metadata"]["input"]["name"], "input", "{summary}");
    let got = ipc_file(&s.project.join("out.arrow"));
    assert_eq!(
        pretty_format_batches(&got).expect("prints").to_string(),
        pretty_format_batches(&expected).expect("prints").to_string()
    );

    // Rows without a column: the client gets the column named; the server goes on serving.
    let wrong = client(&python, &s.project, &[&server.url, "wrong-schema", "data/sales.parquet"]);
    let message = wrong["message"].as_str().unwrap_or_default();
    assert!(message.contains("column `amount` (Float64) is missing"), "{wrong}");
    client(&python, &s.project, &[&server.url, "exchange", "data/sales.parquet", "again.arrow"]);

    // SIGTERM while an exchange is sending: the exchange finishes, then the server exits 0.
    let mut slow = Command::new(&python)
        .arg(client_script())
        .args([server.url.as_str(), "slow", "data/sales.parquet", "slow.arrow"])
        .current_dir(&s.project)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python runs");
    let mut lines = BufReader::new(slow.stdout.take().expect("piped")).lines();
    assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("started"));
    let (status, stderr) = server.terminate();
    assert!(slow.wait().expect("the client ends").success(), "the exchange in flight was cut off");
    assert!(status.success() && stderr.contains("stopped"), "{status:?}: {stderr}");
    let got = ipc_file(&s.project.join("slow.arrow"));
    assert_eq!(
        pretty_format_batches(&got).expect("prints").to_string(),
        pretty_format_batches(&expected).expect("prints").to_string()
    );
}

#[test]
fn a_token_from_the_environment_guards_every_call() {
    let Some(python) = common::pyarrow_python() else { return };
    let s = Sandbox::new("sales", 200);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let mut command = s.command(&["serve-unbound", &build, "--auth-token-env", "SERVE_TOKEN"]);
    command.env("SERVE_TOKEN", "s3cret");
    let server = Server::start(command);
    let ok = client(&python, &s.project, &[&server.url, "exchange", "data/sales.parquet", "out.arrow", "s3cret"]);
    assert!(ok["rows"].as_u64().is_some_and(|n| n > 0), "{ok}");
    let out = Command::new(&python)
        .arg(client_script())
        .args([server.url.as_str(), "exchange", "data/sales.parquet", "no.arrow"])
        .current_dir(&s.project)
        .output()
        .expect("python runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("Unauthenticated"), "{stderr}");

    // A variable that is not set is a usage error before anything listens.
    let r = s.xorq(&["serve-unbound", &build, "--auth-token-env", "NOT_SET_ANYWHERE"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("`NOT_SET_ANYWHERE` is not set"), "{}", r.stderr);
}

/// `catalog serve-unbound ENTRY -c SQL`: the SQL over the entry is served under the entry's
/// name, computing on the rows a client streams what `catalog run ENTRY -c SQL` computes on the
/// entry's own rows.
#[test]
fn a_catalog_entry_with_code_is_served_under_its_name() {
    let Some(python) = common::pyarrow_python() else { return };
    let s = Sandbox::new("sales", 2000);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let catalog = s.catalog("team");
    s.ok(&["catalog", "--path", &catalog, "add", &build, "--alias", "revenue"]);
    let code = "SELECT region, total * 2 AS doubled FROM source";
    let expected = ipc_stream(
        &s.ok(&["catalog", "--path", &catalog, "run", "revenue", "-c", code, "-o", "-", "-f", "arrow"]).bytes,
    );
    let server = Server::start(s.command(&[
        "catalog",
        "--path",
        &catalog,
        "serve-unbound",
        "revenue",
        "-c",
        code,
        "--port",
        "0",
    ]));
    let summary = client(&python, &s.project, &[&server.url, "exchange", "data/sales.parquet", "out.arrow"]);
    assert_eq!(summary["flights"], serde_json::json!([["revenue"]]), "{summary}");
    let got = ipc_file(&s.project.join("out.arrow"));
    let sorted = |batches: &[RecordBatch]| {
        let text = pretty_format_batches(batches).expect("prints").to_string();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&got), sorted(&expected));
}
