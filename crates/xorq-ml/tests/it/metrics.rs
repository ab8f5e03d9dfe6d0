//! Metrics as expressions against scikit-learn 1.5.2 on the same rows (`goldens/metrics.json`,
//! made by `goldens/make_metric_goldens.py`): every value to 1e-12, ties in the ROC scores
//! included.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::Float64Type;
use serde_json::Value;
use xorq_core::{Table, lit};
use xorq_exec::cache::Cache;
use xorq_exec::{Params, Session};
use xorq_ml::metrics::{Metric, evaluate};

fn golden() -> Value {
    serde_json::from_str(include_str!("../goldens/metrics.json")).expect("goldens")
}

fn strings(v: &Value) -> ArrayRef {
    Arc::new(StringArray::from(
        v.as_array().expect("array").iter().map(|x| x.as_str().expect("text")).collect::<Vec<_>>(),
    ))
}

fn floats(v: &Value) -> ArrayRef {
    Arc::new(Float64Array::from(
        v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect::<Vec<_>>(),
    ))
}

async fn value(t: &Table, metric: &Metric, y: &str, p: &str) -> f64 {
    let out = evaluate(t, metric, y, p).expect("a metric");
    assert_eq!(out.columns(), [metric.name()]);
    let batches = Session::new().with_cache(Cache::disabled()).execute(&out, &Params::new()).await.expect("runs");
    batches[0].column(0).as_primitive::<Float64Type>().value(0)
}

#[tokio::test]
async fn classification_metrics_match_scikit_learn() {
    let g = &golden()["classification"];
    let batch = RecordBatch::try_from_iter([
        ("y", strings(&g["y_true"])),
        ("p", strings(&g["y_pred"])),
        ("score", floats(&g["y_score"])),
    ])
    .expect("batch");
    let t = Table::memtable(vec![batch]).expect("table");
    let pos = || lit(g["pos_label"].as_str().expect("text"));
    for (metric, column) in [
        (Metric::Accuracy, "p"),
        (Metric::Precision { pos_label: pos() }, "p"),
        (Metric::Recall { pos_label: pos() }, "p"),
        (Metric::F1 { pos_label: pos() }, "p"),
        (Metric::RocAuc { pos_label: pos() }, "score"),
    ] {
        let ours = value(&t, &metric, "y", column).await;
        let theirs = g[metric.name()].as_f64().expect("number");
        assert!((ours - theirs).abs() < 1e-12, "{}: ours {ours}, scikit-learn {theirs}", metric.name());
    }
}

#[tokio::test]
async fn regression_metrics_match_scikit_learn() {
    let g = &golden()["regression"];
    let batch = RecordBatch::try_from_iter([("y", floats(&g["y_true"])), ("p", floats(&g["y_pred"]))]).expect("batch");
    let t = Table::memtable(vec![batch]).expect("table");
    for metric in [Metric::R2, Metric::Mae, Metric::Rmse] {
        let ours = value(&t, &metric, "y", "p").await;
        let theirs = g[metric.name()].as_f64().expect("number");
        assert!((ours - theirs).abs() < 1e-12, "{}: ours {ours}, scikit-learn {theirs}", metric.name());
    }
}

#[tokio::test]
async fn zero_denominators_give_zero_as_scikit_learn_does() {
    let batch = RecordBatch::try_from_iter([
        ("y", Arc::new(StringArray::from(vec!["a", "a"])) as ArrayRef),
        ("p", Arc::new(StringArray::from(vec!["a", "a"])) as ArrayRef),
    ])
    .expect("batch");
    let t = Table::memtable(vec![batch]).expect("table");
    for metric in [
        Metric::Precision { pos_label: lit("b") },
        Metric::Recall { pos_label: lit("b") },
        Metric::F1 { pos_label: lit("b") },
    ] {
        assert_eq!(value(&t, &metric, "y", "p").await, 0.0, "{}", metric.name());
    }
}
