//! init → build → run with the real binary, every output format, and the bad inputs a user
//! meets first.

use std::fs;
use std::path::Path;

use crate::common::{Mount, build, leftovers, project, xorq_in, xorq_with_env};

#[test]
fn init_build_run_prints_the_sales_table() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    assert!(path.starts_with("builds/") && path.len() == "builds/".len() + 12, "{path}");
    let r = xorq_in(&dir, &["run", &path, "-o", "-", "-f", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("sales_csv", r.stdout);
    // Into a pipe without -f: CSV as well.
    assert_eq!(xorq_in(&dir, &["run", &path]).stdout, r.stdout);
}

#[test]
fn rebuilding_gives_the_same_path_and_bytes() {
    let (_tmp, dir) = project("sales");
    let first = build(&dir, &[]);
    let yaml = fs::read(dir.join(&first).join("expr.yaml")).unwrap();
    let meta = fs::read(dir.join(&first).join("metadata.json")).unwrap();
    assert_eq!(build(&dir, &[]), first);
    assert_eq!(fs::read(dir.join(&first).join("expr.yaml")).unwrap(), yaml);
    assert_eq!(fs::read(dir.join(&first).join("metadata.json")).unwrap(), meta, "reused, not rewritten");
    // Two processes at once agree, and leave no staging directories behind.
    fs::remove_dir_all(dir.join("builds")).unwrap();
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_xorq"))
            .args(["build", "pipeline.sql"])
            .current_dir(&dir)
            .output()
            .unwrap()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.status.success() && b.status.success());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(String::from_utf8_lossy(&a.stdout).trim(), first);
    assert_eq!(fs::read(dir.join(&first).join("expr.yaml")).unwrap(), yaml);
    assert_eq!(fs::read_dir(dir.join("builds")).unwrap().count(), 1);
}

#[test]
fn build_json_names_path_address_and_schema() {
    let (_tmp, dir) = project("penguins");
    let r = xorq_in(&dir, &["build", "pipeline.sql", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let address = v["address"].as_str().unwrap();
    assert_eq!(address.len(), 64);
    assert_eq!(v["path"], format!("builds/{}", &address[..12]));
    let columns: Vec<&str> = v["schema"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "predicted"]);
}

#[test]
fn every_output_format_round_trips_the_same_rows() {
    let (_tmp, dir) = project("penguins");
    let path = build(&dir, &[]);
    let csv = xorq_in(&dir, &["run", &path, "-o", "-", "-f", "csv"]).stdout;
    insta::assert_snapshot!("penguins_csv", csv);
    let rows = csv.lines().count() - 1;

    for (file, format) in [("out.parquet", None), ("out.arrow", None), ("out.json", None), ("x.data", Some("parquet"))]
    {
        let mut args = vec!["run", path.as_str(), "-o", file, "--json"];
        if let Some(f) = format {
            args.extend(["-f", f]);
        }
        let r = xorq_in(&dir, &args);
        assert_eq!(r.code, 0, "{file}: {}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["rows"], rows, "{file}");
    }
    let parquet = fs::File::open(dir.join("out.parquet")).unwrap();
    let reader =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(parquet).unwrap().build().unwrap();
    assert_eq!(reader.map(|b| b.unwrap().num_rows()).sum::<usize>(), rows);
    let arrow = fs::File::open(dir.join("out.arrow")).unwrap();
    let reader = arrow::ipc::reader::StreamReader::try_new(arrow, None).unwrap();
    assert_eq!(reader.map(|b| b.unwrap().num_rows()).sum::<usize>(), rows);
    let json = fs::read_to_string(dir.join("out.json")).unwrap();
    assert_eq!(json.lines().count(), rows);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["species"], "Adelie");
    assert!(leftovers(&dir, ".xorq-output-").is_empty());

    let table = xorq_in(&dir, &["run", &path, "-f", "table"]);
    assert!(
        table.stdout.contains("| species")
            && table
                .stdout
                .ends_with(&format!("{rows} rows, first 50 shown; use `--limit N`, or `-o FILE` for all of them\n")),
        "{}",
        table.stdout
    );
    let limited = xorq_in(&dir, &["run", &path, "-f", "csv", "--limit", "2"]);
    assert_eq!(limited.stdout.lines().count(), 3, "{}", limited.stdout);
}

#[test]
fn parameters_bind_by_name_and_type() {
    let (_tmp, dir) = project("sales");
    fs::write(
        dir.join("pipeline.sql"),
        "SELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') WHERE amount > $threshold GROUP BY region ORDER BY region",
    )
    .unwrap();
    let path = build(&dir, &[]);
    let low = xorq_in(&dir, &["run", &path, "-p", "threshold=10"]);
    let high = xorq_in(&dir, &["run", &path, "-p", "threshold=300"]);
    assert_eq!((low.code, high.code), (0, 0), "{}{}", low.stderr, high.stderr);
    let count =
        |csv: &str| csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse::<u64>().unwrap()).sum::<u64>();
    assert!(count(&low.stdout) > count(&high.stdout), "{}\n{}", low.stdout, high.stdout);
    let r = xorq_in(&dir, &["run", &path]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("-p threshold="), "{}", r.stderr);
    let r = xorq_in(&dir, &["run", &path, "-p", "treshold=3"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("threshold"), "{}", r.stderr);
    let r = xorq_in(&dir, &["run", &path, "-p", "threshold=lots"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn bad_parameters_and_flags_are_usage_errors() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let r = xorq_in(&dir, &["run", &path, "-p", "nothing"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("param_without_value", r.stderr);
    let r = xorq_in(&dir, &["run", &path, "-p", "threshold=1"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("unknown_param", r.stderr);
    let r = xorq_in(&dir, &["run", &path, "--json"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = xorq_in(&dir, &["run", &path, "-f", "xml"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = xorq_in(&dir, &["build", "pipeline.py"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no such Python script"), "{}", r.stderr);
}

/// The cargo-installed binary runs a Python script under `$XORQ_PYTHON`, else `python3`; a
/// Python that is missing or lacks the package is an error saying how to install it (the
/// scripts themselves are tested with the package, in crates/xorq-python).
#[test]
fn a_python_script_without_the_python_package_says_how_to_get_it() {
    let (_tmp, dir) = project("sales");
    std::fs::write(dir.join("pipeline.py"), "import xorq_rs.api as xo\nexpr = None\n").expect("write script");
    let missing = dir.join("no-such-python");
    let r = xorq_with_env(&dir, &["build", "pipeline.py"], &[("XORQ_PYTHON", &missing)]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-python") && r.stderr.contains("pip install xorq-rs"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    // A Python without xorq_rs (any interpreter of this machine: the package is never
    // installed system-wide by the tests).
    let python = std::env::var("XORQ_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let r = xorq_with_env(
        &dir,
        &["build", "pipeline.py"],
        &[("XORQ_PYTHON", Path::new(&python)), ("PYTHONPATH", Path::new(""))],
    );
    if r.stderr.contains("cannot start") {
        return; // no Python at all on this machine: the first case covered it
    }
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot import xorq_rs") && r.stderr.contains("pip install"), "{}", r.stderr);
}

#[test]
fn an_output_path_in_a_missing_directory_writes_nothing() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let r = xorq_in(&dir, &["run", &path, "-o", "no/such/dir/out.csv"]);
    assert_eq!(r.code, 2);
    insta::assert_snapshot!("missing_output_dir", r.stderr);
    assert!(!dir.join("no").exists());
}

/// `-o /dev/null`, `-o /dev/stdout` or a named pipe is written in place: renaming a finished
/// temp file over it would replace the device (as root, `/dev/null` became a plain file once).
#[test]
fn special_files_are_written_in_place_not_replaced() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let fifo = dir.join("rows.pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the pipe"))
    };
    let r = xorq_in(&dir, &["run", &path, "-f", "csv", "-o", "rows.pipe"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = reader.join().expect("reader thread");
    assert!(text.starts_with("region,total,orders\n"), "{text}");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).expect("still there").file_type().is_fifo(), "the pipe was replaced");
    let fifo = fifo.clone();
    // The same through a link to a pipe, as `/dev/stdout` is (a test must not risk the real one).
    let fifo_link = dir.join("pipe.link");
    std::os::unix::fs::symlink(&fifo, &fifo_link).expect("symlink");
    let reader = std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the pipe"));
    let r = xorq_in(&dir, &["lineage", &path, "-f", "dot", "-o", "pipe.link"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(reader.join().expect("reader thread").starts_with("digraph"));
    assert!(std::fs::symlink_metadata(&fifo_link).expect("link").file_type().is_symlink());
    // A symbolic link keeps pointing at the (replaced) file.
    std::fs::write(dir.join("real.csv"), "old").expect("write");
    std::os::unix::fs::symlink("real.csv", dir.join("link.csv")).expect("symlink");
    let r = xorq_in(&dir, &["run", &path, "-o", "link.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::symlink_metadata(dir.join("link.csv")).expect("link").file_type().is_symlink());
    assert!(std::fs::read_to_string(dir.join("real.csv")).expect("target").starts_with("region,"));
}

#[test]
fn a_missing_source_file_at_run_time_is_named() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &["--no-relocate-reads"]);
    fs::rename(dir.join("data/sales.parquet"), dir.join("data/moved.parquet")).unwrap();
    let r = xorq_in(&dir, &["run", &path, "-o", "out.csv"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.starts_with("error: ") && r.stderr.contains("sales.parquet"), "{}", r.stderr);
    assert!(!dir.join("out.csv").exists());
    assert!(leftovers(&dir, ".xorq-output-").is_empty());
}

#[test]
fn a_bundled_build_runs_after_the_source_is_gone() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let before = xorq_in(&dir, &["run", &path, "-f", "csv"]).stdout;
    fs::remove_file(dir.join("data/sales.parquet")).unwrap();
    let moved = dir.parent().unwrap().join("elsewhere");
    fs::rename(dir.join(&path), &moved).unwrap();
    let r = xorq_in(&dir, &["run", moved.to_str().unwrap(), "-f", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, before);
}

#[test]
fn malformed_and_edited_manifests_are_reported() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let expr = dir.join(&path).join("expr.yaml");
    let yaml = fs::read_to_string(&expr).unwrap();
    fs::write(&expr, yaml.replacen("definitions:", "definitions: [", 1)).unwrap();
    let r = xorq_in(&dir, &["run", &path]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("expr.yaml") && r.stderr.contains("at line 4, column"), "{}", r.stderr);

    fs::write(&expr, yaml.replace("literal: 100", "literal: 1")).unwrap();
    let r = xorq_in(&dir, &["run", &path]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("edited after it was written"), "{}", r.stderr);

    let meta = dir.join(&path).join("metadata.json");
    fs::write(&expr, &yaml).unwrap();
    let text = fs::read_to_string(&meta).unwrap();
    fs::write(&meta, text.replace("\"manifest_version\": 1", "\"manifest_version\": 2")).unwrap();
    let r = xorq_in(&dir, &["run", &path]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("manifest version 2") && r.stderr.contains("upgrade"), "{}", r.stderr);
}

#[test]
fn sql_errors_name_the_construct_and_position() {
    let (_tmp, dir) = project("sales");
    fs::write(
        dir.join("pipeline.sql"),
        "SELECT region,\n       no_such_fn(amount) AS x\nFROM read_parquet('data/sales.parquet')\n",
    )
    .unwrap();
    let r = xorq_in(&dir, &["build", "pipeline.sql"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("error: pipeline.sql:2:8: "), "{}", r.stderr);
    assert!(r.stderr.contains("no_such_fn"), "{}", r.stderr);
}

#[test]
fn a_full_disk_leaves_no_half_written_file() {
    let (_tmp, dir) = project("penguins");
    let path = build(&dir, &[]);
    let full = dir.join("full");
    let Some(_mount) = Mount::tmpfs(&full, "4k", false) else {
        eprintln!("not checked: this process cannot mount a tmpfs (needs root)");
        return;
    };
    // Fill the tiny file system first.
    let _ = fs::write(full.join("filler"), vec![0u8; 64 * 1024]);
    let r = xorq_in(&dir, &["run", &path, "-o", "full/out.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("disk is full") || r.stderr.contains("No space left"), "{}", r.stderr);
    assert!(!full.join("out.csv").exists());
    assert!(leftovers(&full, ".xorq-output-").is_empty());
    // And a build into it fails the same way, leaving no build or staging directory.
    let r = xorq_in(&dir, &["build", "pipeline.sql", "--builds-dir", "full/builds"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let inside: Vec<_> = fs::read_dir(full.join("builds")).map(|d| d.count()).into_iter().collect();
    assert!(inside.iter().all(|n| *n == 0), "{inside:?}");
}

#[test]
fn a_read_only_directory_is_refused_cleanly() {
    let (_tmp, dir) = project("penguins");
    let path = build(&dir, &[]);
    let ro = dir.join("ro");
    let Some(_mount) = Mount::tmpfs(&ro, "1m", true) else {
        eprintln!("not checked: this process cannot mount a tmpfs (needs root)");
        return;
    };
    let r = xorq_in(&dir, &["run", &path, "-o", "ro/out.csv"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(fs::read_dir(&ro).unwrap().count(), 0);
    let r = xorq_in(&dir, &["build", "pipeline.sql", "--builds-dir", "ro/builds"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(fs::read_dir(&ro).unwrap().count(), 0);
}

#[test]
fn init_refuses_a_non_empty_directory() {
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("taken")).unwrap();
    fs::write(tmp.path().join("taken/keep.txt"), "mine").unwrap();
    let r = xorq_in(tmp.path(), &["init", "taken"]);
    assert_eq!(r.code, 2);
    assert_eq!(fs::read_to_string(tmp.path().join("taken/keep.txt")).unwrap(), "mine");
    let r = xorq_in(tmp.path(), &["init", "fresh", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["template"], "sales");
    assert!(leftovers(tmp.path(), ".xorq-init-").is_empty());
}

#[test]
fn completion_scripts_are_printed() {
    let tmp = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let r = xorq_in(tmp.path(), &["completion", shell]);
        assert_eq!(r.code, 0);
        assert!(r.stdout.contains("xorq") && r.stdout.contains("build"), "{shell}");
    }
}

#[test]
fn lineage_traces_a_column_to_its_source() {
    let (_tmp, dir) = project("sales");
    let path = build(&dir, &[]);
    let r = xorq_in(&dir, &["lineage", &path, "--column", "total"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("lineage_total", r.stdout);
    let ascii = xorq_in(&dir, &["lineage", &path, "--column", "total", "--ascii"]);
    assert!(ascii.stdout.is_ascii() && ascii.stdout.contains("`-- Sort #2"), "{}", ascii.stdout);
    let json = xorq_in(&dir, &["lineage", &path, "-f", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let columns: Vec<&str> = v.as_array().unwrap().iter().map(|g| g["column"].as_str().unwrap()).collect();
    assert_eq!(columns, ["region", "total", "orders"]);
    let r = xorq_in(&dir, &["lineage", &path, "--column", "totl"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("did you mean `total`"), "{}", r.stderr);
}
