//! Fit and predict of a logistic regression on 1M rows × 10 features: through xorq (the `fit`
//! aggregate over a memtable, then `predict_class` over the rows with the model read from the
//! cache) against linfa called directly on the same arrays. Prints each ratio (goal ≤ 1.10).
//!
//! `cargo bench -p xorq-ml --bench fit_predict` (`XORQ_BENCH_ROWS` to change the row count).

use std::sync::Arc;
use std::time::Instant;

use datafusion::arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use linfa::Dataset;
use linfa::traits::{Fit, Predict};
use ndarray::{Array1, Array2};
use xorq_core::Table;
use xorq_exec::cache::Cache;
use xorq_exec::{Params, Session};
use xorq_ml::{Estimator, Pipeline};

const FEATURES: usize = 10;

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

fn seconds(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
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
    // Batches of 64k rows, as a scan delivers them.
    let batch = RecordBatch::try_from_iter(fields).expect("batch");
    let batches: Vec<RecordBatch> =
        (0..rows).step_by(65_536).map(|at| batch.slice(at, 65_536.min(rows - at))).collect();
    let table = Table::memtable(batches).expect("table");
    let features: Vec<&str> = names.iter().map(String::as_str).collect();
    let params = r#"{"C": 1.0, "max_iter": 100}"#;

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let session = Session::new().with_cache(Cache::in_dir(dir.path()));
    let fitted = Pipeline::new(Estimator::parse("LogisticRegression", params).expect("estimator"))
        .fit(&table, &features, Some("y"))
        .expect("fit");
    let predicted = fitted.predict(&table).expect("predict");

    // xorq: fit (the model is computed and stored), then predict (the model read back).
    let xorq_fit = seconds(|| {
        runtime.block_on(session.execute(fitted.model(), &Params::new())).expect("fits");
    });
    let mut scored = 0;
    let xorq_predict = seconds(|| {
        let out = runtime.block_on(session.execute(&predicted, &Params::new())).expect("predicts");
        scored = out.iter().map(RecordBatch::num_rows).sum::<usize>();
    });
    assert_eq!(scored, rows);

    // linfa directly, on the same values.
    let mut x = Array2::<f64>::zeros((rows, FEATURES));
    for (k, column) in columns.iter().enumerate() {
        for (i, v) in column.iter().enumerate() {
            x[[i, k]] = *v;
        }
    }
    let y = Array1::from(labels);
    let mut model = None;
    let linfa_fit = seconds(|| {
        let data = Dataset::new(x.clone(), y.clone());
        model = Some(
            linfa_logistic::LogisticRegression::default()
                .alpha(1.0)
                .max_iterations(100)
                .gradient_tolerance(1e-4)
                .fit(&data)
                .expect("linfa fits"),
        );
    });
    let model = model.expect("fitted");
    let linfa_predict = seconds(|| {
        let p = model.predict(&x);
        assert_eq!(p.len(), rows);
    });

    println!("logistic regression, {rows} rows x {FEATURES} features");
    println!("  fit      xorq {xorq_fit:8.3} s   linfa {linfa_fit:8.3} s   ratio {:.2}", xorq_fit / linfa_fit);
    println!(
        "  predict  xorq {xorq_predict:8.3} s   linfa {linfa_predict:8.3} s   ratio {:.2}",
        xorq_predict / linfa_predict
    );
}
