//! `xorq run-unbound`: a build with one node left open, fed Arrow IPC through a real pipe.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::common::{build, project, xorq_in};

/// `xorq run a -o - -f arrow | xorq run-unbound b -o - -f csv`, through an OS pipe.
fn pipe(dir: &std::path::Path, source: &str, consumer: &[&str]) -> (i32, String, String) {
    let bin = env!("CARGO_BIN_EXE_xorq");
    let mut producer = Command::new(bin)
        .args(["run", source, "-o", "-", "-f", "arrow"])
        .current_dir(dir)
        .env_remove("XORQ_CACHE_DIR")
        .stdout(Stdio::piped())
        .spawn()
        .expect("producer starts");
    let out = Command::new(bin)
        .args(consumer)
        .current_dir(dir)
        .env_remove("XORQ_CACHE_DIR")
        .stdin(producer.stdout.take().expect("piped stdout"))
        .output()
        .expect("consumer runs");
    assert!(producer.wait().expect("producer ends").success());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_pipe_of_arrow_rows_gives_what_the_build_gives_on_its_own_rows() {
    let (_tmp, dir) = project("sales");
    let pipeline = build(&dir, &[]);
    // A source build whose rows are a superset the pipeline's own filter narrows again.
    std::fs::write(dir.join("src.sql"), "SELECT * FROM read_parquet('data/sales.parquet') WHERE amount > 50\n")
        .expect("writes");
    let r = xorq_in(&dir, &["build", "src.sql"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let source = r.stdout.trim().to_string();

    let expected = xorq_in(&dir, &["run", &pipeline, "-o", "-", "-f", "csv"]);
    assert_eq!(expected.code, 0, "{}", expected.stderr);
    // Inferred (the build has one source), and through every way of naming the node.
    let (code, out, err) = pipe(&dir, &source, &["run-unbound", &pipeline, "-o", "-", "-f", "csv"]);
    assert_eq!((code, out.as_str()), (0, expected.stdout.as_str()), "{err}");

    // From a file, in both IPC formats (`-f arrow` writes the stream format; a `.arrow` file
    // written by pyarrow's file writer reads the same).
    let r = xorq_in(&dir, &["run", &source, "-o", "rows.arrow", "-f", "arrow"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = xorq_in(&dir, &["run-unbound", &pipeline, "-i", "rows.arrow", "-o", "-", "-f", "csv"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, expected.stdout.as_str()), "{}", r.stderr);
    let r = xorq_in(&dir, &["run-unbound", &pipeline, "-i", "rows.arrow", "--limit", "1", "-o", "-", "-f", "csv"]);
    assert_eq!(r.stdout.lines().count(), 2, "{}", r.stdout);
}

#[test]
fn wrong_rows_and_wrong_nodes_are_named() {
    let (_tmp, dir) = project("sales");
    let pipeline = build(&dir, &[]);
    std::fs::write(dir.join("narrow.sql"), "SELECT region, amount FROM read_parquet('data/sales.parquet')\n")
        .expect("writes");
    let narrow = xorq_in(&dir, &["build", "narrow.sql"]).stdout.trim().to_string();

    // Rows of another schema: the error shows both, and nothing is written.
    let (code, out, err) = pipe(&dir, &narrow, &["run-unbound", &pipeline, "-o", "out.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty() && !dir.join("out.csv").exists());
    assert!(
        err.contains("expects columns (order_id: Int64") && err.contains("(region: String, amount: Float64)"),
        "{err}"
    );

    // Not Arrow at all, and nothing at all.
    let mut child = Command::new(env!("CARGO_BIN_EXE_xorq"))
        .args(["run-unbound", &pipeline])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    child.stdin.take().expect("stdin").write_all(b"order_id,amount\n1,2\n").expect("writes");
    let out = child.wait_with_output().expect("ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("the Arrow IPC rows in stdin are not Arrow IPC"), "{err}");
    let r = xorq_in(&dir, &["run-unbound", &pipeline]);
    assert!(r.stderr.contains("the Arrow IPC rows in stdin are missing"), "{}", r.stderr);

    // A tag or prefix that names nothing is a usage error listing what there is.
    let r = xorq_in(&dir, &["run-unbound", &pipeline, "--to-unbind-tag", "nope", "-i", "x.arrow"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no node is tagged `nope`"), "{}", r.stderr);
    let r = xorq_in(&dir, &["run-unbound", &pipeline, "--typ", "Join", "-i", "x.arrow"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("it has no `Join` node"), "{}", r.stderr);
}

/// `--batch-size N` (the Python tool's flag): the output's Arrow batches hold at most N rows,
/// and together every row; 0 is refused.
#[test]
fn batch_size_bounds_the_output_batches() {
    let (_tmp, dir) = project("sales");
    std::fs::write(dir.join("all.sql"), "SELECT * FROM read_parquet('data/sales.parquet') WHERE amount > 0\n")
        .expect("writes");
    let all = xorq_in(&dir, &["build", "all.sql"]).stdout.trim().to_string();
    let r = xorq_in(&dir, &["run", &all, "-o", "rows.arrow", "-f", "arrow"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = xorq_in(&dir, &["run-unbound", &all, "-i", "rows.arrow", "--batch-size", "7", "-o", "out.arrow"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let read = |name: &str| {
        let file = std::fs::File::open(dir.join(name)).expect("arrow file");
        arrow::ipc::reader::StreamReader::try_new(file, None)
            .expect("IPC stream")
            .map(|b| b.expect("batch").num_rows())
            .collect::<Vec<_>>()
    };
    let (before, after) = (read("rows.arrow"), read("out.arrow"));
    assert!(before.iter().any(|n| *n > 7), "the input has a batch over 7 rows: {before:?}");
    assert!(after.iter().all(|n| *n <= 7), "{after:?}");
    assert_eq!(after.iter().sum::<usize>(), before.iter().sum::<usize>());
    let r = xorq_in(&dir, &["run-unbound", &all, "-i", "rows.arrow", "--batch-size", "0", "-o", "-"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
