//! The penguins ML journey with the real binary, as `xorq init -t penguins` scaffolds it: a SQL
//! pipeline that splits, fits and predicts; the second run reads the fitted model from the
//! cache; the score; lineage from the prediction back to the training columns; a bad
//! hyperparameter named when the pipeline is built.

use crate::common;

use crate::common::sandbox::Sandbox;

#[test]
fn penguins_train_predict_score_and_trace() {
    let s = Sandbox::new("penguins", 0);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();

    let first = s.ok(&["run", &build, "-o", "-", "-f", "csv", "-v"]);
    assert!(first.stderr.contains("miss"), "the first run fits: {}", first.stderr);
    let header = first.stdout.lines().next().unwrap_or_default();
    assert_eq!(header, "species,island,bill_length_mm,bill_depth_mm,flipper_length_mm,predicted");
    let rows: Vec<&str> = first.stdout.lines().skip(1).collect();
    assert!((60..110).contains(&rows.len()), "about a quarter of 333 penguins are test rows: {}", rows.len());
    let right = rows.iter().filter(|r| r.split(',').next() == r.rsplit(',').next()).count();
    assert!(right as f64 / rows.len() as f64 > 0.9, "{right} of {} predicted right", rows.len());

    // The second run reads the model (and the same rows come out).
    let second = s.ok(&["run", &build, "-o", "-", "-f", "csv", "-v"]);
    assert!(second.stderr.contains("hit"), "the second run reads the fitted model: {}", second.stderr);
    assert_eq!(second.stdout, first.stdout);

    // The stored one-row model is broadcast as a constant, not joined to every row, and
    // `--explain` says so.
    let explained = s.ok(&["run", &build, "--explain"]).stdout;
    assert!(explained.contains("read the one stored row of"), "{explained}");

    // Pinned, the model is the build's frozen one-row file: broadcast too, same rows.
    let pinned = s.ok(&["pin", &build]).stdout.trim().to_string();
    let explained = s.ok(&["run", &pinned, "--explain"]).stdout;
    assert!(explained.contains("read the one stored row of"), "{explained}");
    assert_eq!(s.ok(&["run", &pinned, "-o", "-", "-f", "csv"]).stdout, first.stdout);

    // score.sql has the same model node, so it reads the same cached model.
    let score = s.ok(&["build", "score.sql"]).stdout.trim().to_string();
    let scored = s.ok(&["run", &score, "-o", "-", "-f", "csv", "-v"]);
    assert!(scored.stderr.contains("hit"), "{}", scored.stderr);
    let line = scored.stdout.lines().nth(1).unwrap_or_default();
    let accuracy: f64 = line.split(',').nth(1).and_then(|a| a.parse().ok()).unwrap_or_default();
    assert_eq!(line.split(',').next(), Some(rows.len().to_string().as_str()), "{line}");
    assert!(accuracy > 0.9, "{line}");

    // The prediction traces to the test rows' features and, through the fit, to the training
    // rows' target and features.
    let tree = s.ok(&["lineage", &build, "--column", "predicted"]).stdout;
    for needed in [
        "PredictClass",
        "Fit:training",
        "Field:species",
        "Tag:test",
        "bill_length_mm",
        "flipper_length_mm",
        "penguins.csv",
    ] {
        assert!(tree.contains(needed), "`{needed}` missing from:\n{tree}");
    }
}

#[test]
fn the_model_serves_predictions_for_rows_a_pyarrow_client_sends() {
    let Some(python) = common::pyarrow_python() else { return };
    let s = Sandbox::new("penguins", 0);
    let build = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    // Rows to score, as a client would have them: the first 40 complete penguins.
    let rows = s.build_sql(
        "rows.sql",
        "SELECT * FROM read_csv('data/penguins.csv') WHERE bill_length_mm IS NOT NULL AND sex IS NOT NULL LIMIT 40",
        &[],
    );
    s.ok(&["run", &rows, "-o", "rows.parquet"]);
    s.ok(&["run", &rows, "-o", "rows.arrow"]);
    let expected =
        s.ok(&["run-unbound", &build, "--to-unbind-tag", "test", "-i", "rows.arrow", "-o", "-", "-f", "arrow"]);
    let expected: Vec<_> = arrow::ipc::reader::StreamReader::try_new(expected.bytes.as_slice(), None)
        .expect("IPC")
        .map(|b| b.expect("batch"))
        .collect();
    assert_eq!(expected.iter().map(|b| b.num_rows()).sum::<usize>(), 40);

    let mut command = s.command(&["serve-unbound", &build, "--to-unbind-tag", "test", "--port", "0"]);
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = command.spawn().expect("the server starts");
    let stdout = child.stdout.take().expect("piped");
    let first =
        std::io::BufRead::lines(std::io::BufReader::new(stdout)).next().and_then(Result::ok).unwrap_or_default();
    let url = first.strip_prefix("listening on ").unwrap_or_default().to_string();
    let client = format!("{}/tests/tools/flight_client.py", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new(&python)
        .args([client.as_str(), &url, "exchange", "rows.parquet", "out.arrow"])
        .current_dir(&s.project)
        .output()
        .expect("python runs");
    let _ = child.kill();
    let _ = child.wait();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The served rows are what run-unbound computes on the same rows.
    let file = std::fs::File::open(s.project.join("out.arrow")).expect("result");
    let served: Vec<_> =
        arrow::ipc::reader::FileReader::try_new(file, None).expect("IPC").map(|b| b.expect("batch")).collect();
    let show =
        |b: &[arrow::array::RecordBatch]| arrow::util::pretty::pretty_format_batches(b).expect("prints").to_string();
    assert_eq!(show(&served), show(&expected));
    assert!(show(&served).contains("predicted"));
}

#[test]
fn a_bad_estimator_or_hyperparameter_is_named_when_the_pipeline_is_built() {
    let s = Sandbox::new("penguins", 0);
    let sql = std::fs::read_to_string(s.project.join("pipeline.sql")).expect("template");
    let bad = sql.replace(r#"'{"C": 1.0, "max_iter": 1000}'"#, r#"'{"C": 1.0, "penalty": "l1"}'"#);
    let e = s.fails(1, &["build", &write(&s, "bad.sql", &bad)]);
    assert!(e.contains("penalty") && e.contains("l2"), "{e}");
    let unknown = sql.replace("'LogisticRegression'", "'LogisticRegresion'");
    let e = s.fails(1, &["build", &write(&s, "unknown.sql", &unknown)]);
    assert!(e.contains("LogisticRegresion") && e.contains("LogisticRegression"), "{e}");
}

fn write(s: &Sandbox, name: &str, text: &str) -> String {
    std::fs::write(s.project.join(name), text).expect("write");
    name.to_string()
}
