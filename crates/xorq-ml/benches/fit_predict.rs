//! Fit and predict through xorq against the estimator called directly on the same arrays, and
//! against scikit-learn on the same rows and parameters, in one run; prints every ratio.
//!
//! - a logistic regression (`C=1`, `max_iter=100`): xorq (the `fit` aggregate over a memtable,
//!   then `predict_class` over the rows with the model read from the cache) against linfa called
//!   directly, on the rows in xorq's canonical order (the same computation: `fit` sorts the rows
//!   so a model never depends on how partitions arrive) and on the rows as generated;
//! - a random forest classifier (`n_estimators=100`, `max_depth=10`): xorq against our CART
//!   forest called directly (`Estimator::fit` and `Model::predict_values` on the same arrays:
//!   linfa has no forest), and against scikit-learn.
//!
//! `cargo bench -p xorq-ml --bench fit_predict`. `XORQ_BENCH_ROWS` changes the row count (1M);
//! `XORQ_BENCH_PYTHON` names a Python with scikit-learn and pyarrow for the scikit-learn
//! column (made by `python3 -m venv v && v/bin/pip install scikit-learn pyarrow`); without it the
//! column is skipped and says so. `XORQ_BENCH_ONLY=logistic` (or `forest`) runs one of the two.
//! The goal is xorq/direct ≤ 1.10.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::ipc::writer::FileWriter;
use linfa::DatasetBase;
use linfa::traits::{Fit, Predict};
use ndarray::{Array1, Array2};
use xorq_core::Table;
use xorq_exec::cache::Cache;
use xorq_exec::{Params, Session};
use xorq_ml::estimator::{Target, Training};
use xorq_ml::{Estimator, FittedPipeline, Pipeline};

const FEATURES: usize = 10;
const LOGISTIC: &str = r#"{"C": 1.0, "max_iter": 100}"#;
const FOREST: &str = r#"{"n_estimators": 100, "max_depth": 10, "random_state": 0}"#;

/// Deterministic rows: features uniform in [-1, 1), label from a fixed linear rule with noise.
fn data(rows: usize) -> (Vec<Vec<f64>>, Vec<String>) {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut columns: Vec<Vec<f64>> = (0..FEATURES).map(|_| Vec::with_capacity(rows)).collect();
    let mut labels = Vec::with_capacity(rows);
    for _ in 0..rows {
        let mut score = 0.0;
        for (k, column) in columns.iter_mut().enumerate() {
            let v = next();
            score += v * (k as f64 - 4.5);
            column.push(v);
        }
        labels.push(if score + next() * 2.0 > 0.0 { "yes" } else { "no" }.to_string());
    }
    (columns, labels)
}

/// The rows in the order `fit` puts them in: by features, then label.
fn canonical(columns: &[Vec<f64>], labels: &[String]) -> (Array2<f64>, Vec<String>) {
    let rows = labels.len();
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_unstable_by(|&a, &b| {
        columns
            .iter()
            .map(|c| c[a].total_cmp(&c[b]))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| labels[a].cmp(&labels[b]))
    });
    let x = Array2::from_shape_fn((rows, FEATURES), |(i, k)| columns[k][order[i]]);
    (x, order.iter().map(|&i| labels[i].clone()).collect())
}

fn seconds<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64(), out)
}

/// One comparison line: `what`, xorq's time, the other's, and xorq / other.
fn line(what: &str, xorq: f64, other_name: &str, other: f64) {
    println!("  {what:<8} xorq {xorq:8.3} s   {other_name:<34} {other:8.3} s   ratio {:.2}", xorq / other);
}

/// Times fitting (model computed and stored) then predicting (model read back) through xorq.
fn through_xorq(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    fitted: &FittedPipeline,
    t: &Table,
) -> (f64, f64) {
    let predicted = fitted.predict(t).expect("predict");
    let (fit, _) = seconds(|| runtime.block_on(session.execute(fitted.model(), &Params::new())).expect("fits"));
    let (predict, out) = seconds(|| runtime.block_on(session.execute(&predicted, &Params::new())).expect("predicts"));
    assert!(out.iter().map(RecordBatch::num_rows).sum::<usize>() > 0);
    (fit, predict)
}

/// scikit-learn's times (`{"lr_fit": s, …}`) on the rows written to `ipc`, if a Python with it
/// is named by `XORQ_BENCH_PYTHON`.
fn scikit_learn(ipc: &Path) -> Result<serde_json::Value, String> {
    let python = std::env::var("XORQ_BENCH_PYTHON")
        .map_err(|_| "skipped: set XORQ_BENCH_PYTHON to a Python with scikit-learn and pyarrow".to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/sklearn_fit_predict.py");
    let out =
        Command::new(&python).arg(&script).arg(ipc).output().map_err(|e| format!("could not run {python}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{python} failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("unreadable output of the script: {e}"))
}

fn main() {
    xorq_ml::register().expect("registers");
    let rows: usize = std::env::var("XORQ_BENCH_ROWS").ok().and_then(|r| r.parse().ok()).unwrap_or(1_000_000);
    let (columns, labels) = data(rows);
    let names: Vec<String> = (0..FEATURES).map(|k| format!("f{k}")).collect();
    let mut fields: Vec<(&str, ArrayRef)> = names
        .iter()
        .zip(&columns)
        .map(|(n, c)| (n.as_str(), Arc::new(Float64Array::from(c.clone())) as ArrayRef))
        .collect();
    fields.push(("y", Arc::new(StringArray::from(labels.clone()))));
    let batch = RecordBatch::try_from_iter(fields).expect("batch");
    let dir = tempfile::tempdir().expect("tempdir");
    let ipc = dir.path().join("rows.arrow");
    {
        let file = std::fs::File::create(&ipc).expect("ipc file");
        let mut w = FileWriter::try_new(file, &batch.schema()).expect("ipc writer");
        w.write(&batch).expect("ipc write");
        w.finish().expect("ipc finish");
    }
    // Batches of 64k rows, as a scan delivers them.
    let batches: Vec<RecordBatch> =
        (0..rows).step_by(65_536).map(|at| batch.slice(at, 65_536.min(rows - at))).collect();
    let table = Table::memtable(batches).expect("table");
    let features: Vec<&str> = names.iter().map(String::as_str).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let session = Session::new().with_cache(Cache::in_dir(dir.path().join("cache")));
    let (x_sorted, y_sorted) = canonical(&columns, &labels);
    let x_given = Array2::from_shape_fn((rows, FEATURES), |(i, k)| columns[k][i]);
    let sklearn = scikit_learn(&ipc);

    let only = std::env::var("XORQ_BENCH_ONLY").unwrap_or_default();
    if only != "forest" {
        logistic(&runtime, &session, &table, &features, (&x_sorted, &y_sorted), (&x_given, &labels), &sklearn);
    }
    if only != "logistic" {
        forest(&runtime, &session, &table, &features, (&x_sorted, &y_sorted), &columns, &sklearn);
    }
    if let Err(why) = &sklearn {
        println!("scikit-learn: {why}");
    }
}

type Rows<'a> = (&'a Array2<f64>, &'a Vec<String>);

fn logistic(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    table: &Table,
    features: &[&str],
    (x_sorted, y_sorted): Rows<'_>,
    (x_given, labels): Rows<'_>,
    sklearn: &Result<serde_json::Value, String>,
) {
    let rows = labels.len();
    let logistic = Estimator::parse("LogisticRegression", LOGISTIC).expect("estimator");
    let fitted = Pipeline::new(logistic).fit(table, features, Some("y")).expect("fit");
    let (xorq_fit, xorq_predict) = through_xorq(runtime, session, &fitted, table);
    let linfa =
        || linfa_logistic::LogisticRegression::default().alpha(1.0).max_iterations(100).gradient_tolerance(1e-4);
    let (sorted_fit, model) =
        seconds(|| linfa().fit(&DatasetBase::new(x_sorted.view(), Array1::from(y_sorted.clone()))).expect("fits"));
    let (given_fit, _) =
        seconds(|| linfa().fit(&DatasetBase::new(x_given.view(), Array1::from(labels.clone()))).expect("fits"));
    let (linfa_predict, p) = seconds(|| model.predict(x_given));
    assert_eq!(p.len(), rows);
    println!("logistic regression {LOGISTIC}, {rows} rows x {FEATURES} features");
    line("fit", xorq_fit, "linfa, rows in xorq's order", sorted_fit);
    line("fit", xorq_fit, "linfa, rows as generated", given_fit);
    line("predict", xorq_predict, "linfa", linfa_predict);
    if let Ok(s) = sklearn {
        line("fit", xorq_fit, "scikit-learn", s["lr_fit"].as_f64().unwrap_or(f64::NAN));
        line("predict", xorq_predict, "scikit-learn", s["lr_predict"].as_f64().unwrap_or(f64::NAN));
    }
}

fn forest(
    runtime: &tokio::runtime::Runtime,
    session: &Session,
    table: &Table,
    features: &[&str],
    (x_sorted, y_sorted): Rows<'_>,
    columns: &[Vec<f64>],
    sklearn: &Result<serde_json::Value, String>,
) {
    let rows = y_sorted.len();
    let forest = Estimator::parse("RandomForestClassifier", FOREST).expect("estimator");
    let fitted = Pipeline::new(forest.clone()).fit(table, features, Some("y")).expect("fit");
    let (xorq_fit, xorq_predict) = through_xorq(runtime, session, &fitted, table);
    let training =
        Training { x: x_sorted.iter().copied().collect(), n_features: FEATURES, y: Target::Labels(y_sorted.clone()) };
    let (direct_fit, model) = seconds(|| forest.fit(&training).expect("fits"));
    let views: Vec<&[f64]> = columns.iter().map(Vec::as_slice).collect();
    let (direct_predict, p) = seconds(|| model.predict_values(&views).expect("predicts"));
    assert_eq!(p.len(), rows);
    println!("random forest classifier {FOREST}, {rows} rows x {FEATURES} features");
    line("fit", xorq_fit, "our forest called directly", direct_fit);
    line("predict", xorq_predict, "our forest called directly", direct_predict);
    if let Ok(s) = sklearn {
        line("fit", xorq_fit, "scikit-learn (n_jobs=-1)", s["rf_fit"].as_f64().unwrap_or(f64::NAN));
        line("predict", xorq_predict, "scikit-learn (n_jobs=-1)", s["rf_predict"].as_f64().unwrap_or(f64::NAN));
        println!("scikit-learn {}", s["version"].as_str().unwrap_or("?"));
    }
}
