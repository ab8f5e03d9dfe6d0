//! The penguins journey through the table API on the embedded engine: split, fit, predict,
//! score; the split is the same on every run and from every representation of the keys; the
//! model is fitted once and then read from the cache; bad hyperparameters are named.

use crate::common;

use crate::common::penguins;
use std::sync::Arc;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Float64Type;
use xorq_core::{Table, col};
use xorq_exec::cache::{Cache, Outcome};
use xorq_exec::{Params, Session};
use xorq_ml::{Estimator, Pipeline, train_test_split};

async fn rows(session: &Session, t: &Table) -> Vec<RecordBatch> {
    session.execute(t, &Params::new()).await.expect("runs")
}

fn count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

#[tokio::test]
async fn penguins_split_fit_predict_and_score() {
    xorq_ml::register().expect("registers");
    let data = penguins();
    let (train, test) = train_test_split(
        &data,
        0.25,
        &["species", "island", "bill_length_mm", "bill_depth_mm", "body_mass_g", "year"],
        42,
    )
    .expect("split");
    let session = Session::new().with_cache(Cache::disabled());
    let (n_train, n_test) = (count(&rows(&session, &train).await), count(&rows(&session, &test).await));
    assert_eq!(n_train + n_test, 333, "every complete penguin lands in exactly one split");
    assert!((60..110).contains(&n_test), "about a quarter are test rows: {n_test}");
    // The same split on a second run.
    assert_eq!(count(&rows(&session, &test).await), n_test);

    let features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"];
    let estimator = Estimator::parse("LogisticRegression", r#"{"C": 1.0, "max_iter": 1000}"#).expect("estimator");
    let fitted = Pipeline::new(estimator).fit(&train, &features, Some("species")).expect("fit");
    let predicted = fitted.predict(&test).expect("predict");
    let scored = predicted
        .mutate([col("species").eq(col("predicted")).cast(xorq_core::DataType::Float64).alias("hit")])
        .and_then(|t| t.agg([col("hit").mean().alias("accuracy")]))
        .expect("score");
    let out = rows(&session, &scored).await;
    let accuracy = out[0].column(0).as_primitive::<Float64Type>().value(0);
    assert!(accuracy > 0.9, "bill and flipper measurements separate the species well: {accuracy}");
}

#[tokio::test]
async fn a_second_run_reads_the_fitted_model_from_the_cache() {
    xorq_ml::register().expect("registers");
    let dir = tempfile::tempdir().expect("tempdir");
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let session = Session::new().with_cache(Cache::in_dir(dir.path()).on_event(move |e| {
        sink.lock().expect("lock").push(e.outcome.clone());
    }));
    let data = penguins();
    let estimator = Estimator::parse("DecisionTreeClassifier", r#"{"max_depth": 3}"#).expect("estimator");
    let fitted =
        Pipeline::new(estimator).fit(&data, &["bill_length_mm", "flipper_length_mm"], Some("species")).expect("fit");
    let predicted = fitted.predict(&data).expect("predict");
    let first = rows(&session, &predicted).await;
    let second = rows(&session, &predicted).await;
    assert_eq!(first, second);
    let outcomes = events.lock().expect("lock").clone();
    assert!(matches!(outcomes.first(), Some(Outcome::Miss(_))), "{outcomes:?}");
    assert!(outcomes.iter().any(|o| matches!(o, Outcome::Hit { .. })), "the second run reads the model: {outcomes:?}");

    // Another hyperparameter is another model, another address.
    let deeper = Pipeline::new(Estimator::parse("DecisionTreeClassifier", r#"{"max_depth": 4}"#).expect("estimator"))
        .fit(&data, &["bill_length_mm", "flipper_length_mm"], Some("species"))
        .expect("fit");
    assert_ne!(deeper.model().address(), fitted.model().address());
}

#[test]
fn unknown_estimators_and_unsupported_hyperparameters_are_named() {
    let e = Estimator::parse("GradientBoostingClassifier", "{}").unwrap_err().to_string();
    assert!(e.contains("GradientBoostingClassifier") && e.contains("LogisticRegression"), "{e}");
    let e = Estimator::parse("LogisticRegression", r#"{"penalty": "l1"}"#).unwrap_err().to_string();
    assert!(e.contains("`penalty`") && e.contains("l2"), "{e}");
    let e = Estimator::parse("KMeans", r#"{"n_cluster": 3}"#).unwrap_err().to_string();
    assert!(e.contains("`n_cluster`") && e.contains("n_clusters"), "{e}");
    let e = Estimator::parse("DecisionTreeClassifier", r#"{"max_depth": 0}"#).unwrap_err().to_string();
    assert!(e.contains("max_depth") && e.contains("at least 1"), "{e}");
}

#[test]
fn the_split_hash_is_the_same_for_every_representation_of_a_key() {
    use datafusion::arrow::array::{
        ArrayRef, Int32Array, Int64Array, LargeStringArray, StringArray, StringViewArray, UInt8Array,
    };
    let a: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 300]));
    let b: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 300]));
    assert_eq!(xorq_ml::split::bucket_of(7, &[a]).unwrap(), xorq_ml::split::bucket_of(7, &[b]).unwrap());
    let small: ArrayRef = Arc::new(UInt8Array::from(vec![1, 2]));
    let wide: ArrayRef = Arc::new(Int64Array::from(vec![1, 2]));
    assert_eq!(xorq_ml::split::bucket_of(7, &[small]).unwrap(), xorq_ml::split::bucket_of(7, &[wide]).unwrap());
    let s: ArrayRef = Arc::new(StringArray::from(vec!["Adelie", "Gentoo"]));
    let l: ArrayRef = Arc::new(LargeStringArray::from(vec!["Adelie", "Gentoo"]));
    let v: ArrayRef = Arc::new(StringViewArray::from(vec!["Adelie", "Gentoo"]));
    let hs = xorq_ml::split::bucket_of(7, &[s]).unwrap();
    assert_eq!(hs, xorq_ml::split::bucket_of(7, &[l]).unwrap());
    assert_eq!(hs, xorq_ml::split::bucket_of(7, &[v]).unwrap());
    // Another seed, other numbers; every number in [0, 1).
    let again: ArrayRef = Arc::new(StringArray::from(vec!["Adelie", "Gentoo"]));
    let other = xorq_ml::split::bucket_of(8, &[again]).unwrap();
    assert_ne!(hs, other);
    assert!(hs.iter().chain(&other).all(|x| (0.0..1.0).contains(x)));
    // The contract's bytes are pinned: a change is a new function version, never a silent
    // reshuffle of users' splits.
    let pinned: ArrayRef = Arc::new(Int64Array::from(vec![0, 1, 2]));
    let got = xorq_ml::split::bucket_of(42, &[pinned]).unwrap();
    let null: ArrayRef = Arc::new(Int64Array::from(vec![None::<i64>]));
    assert!(xorq_ml::split::bucket_of(42, &[null]).unwrap()[0] < 1.0);
    insta_like(&got);
}

/// The pinned split numbers of keys 0, 1, 2 with seed 42.
fn insta_like(got: &[f64]) {
    let expected = pinned_bucket_values();
    assert_eq!(got, expected.as_slice(), "the split hash changed; that is a new version of `split_hash`");
}

fn pinned_bucket_values() -> Vec<f64> {
    // Computed once from the contract in `split.rs` (BLAKE3 of seed and tagged values).
    let mut out = Vec::new();
    for v in 0i64..3 {
        let mut h = blake3::Hasher::new();
        h.update(&42i64.to_le_bytes());
        h.update(b"i");
        h.update(&v.to_le_bytes());
        let hash = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash.as_bytes()[..8]);
        out.push(u64::from_le_bytes(first) as f64 / 18_446_744_073_709_551_616.0);
    }
    out
}

#[test]
fn a_model_document_of_an_unknown_version_or_estimator_is_refused() {
    let model = xorq_ml::model::Model::new(
        "LinearRegression",
        serde_json::json!({}),
        1,
        2,
        xorq_ml::model::Output::Regression,
        xorq_ml::model::State::Linear { coef: vec![vec![1.0]], intercept: vec![0.0] },
    );
    let mut doc: serde_json::Value = serde_json::from_slice(&model.to_bytes()).unwrap();
    doc["estimator_version"] = 9.into();
    let e = xorq_ml::model::Model::from_bytes(doc.to_string().as_bytes()).unwrap_err().to_string();
    assert!(e.contains("version 9"), "{e}");
    doc["estimator"] = "Mystery".into();
    let e = xorq_ml::model::Model::from_bytes(doc.to_string().as_bytes()).unwrap_err().to_string();
    assert!(e.contains("Mystery"), "{e}");
    let mut empty: serde_json::Value = serde_json::from_slice(&model.to_bytes()).unwrap();
    empty["state"]["coef"] = serde_json::json!([]);
    empty["state"]["intercept"] = serde_json::json!([]);
    let e = xorq_ml::model::Model::from_bytes(empty.to_string().as_bytes()).unwrap_err().to_string();
    assert!(e.contains("coefficients"), "{e}");
    let e = xorq_ml::model::Model::from_bytes(b"not json").unwrap_err().to_string();
    assert!(e.contains("not a model document"), "{e}");
}

/// A model per group (fitted grouped by island, joined back to the rows by island) predicts
/// each row with its own island's model: the rows carry many models, not one constant, and
/// every row's prediction equals that of the island's model fitted alone.
#[tokio::test]
async fn a_model_per_group_predicts_each_row_with_its_own_model() {
    use xorq_core::{Expr, JoinKind, lit};
    let h = xorq_ml::register().expect("registers");
    let data = penguins();
    let features = ["bill_length_mm", "bill_depth_mm"];
    let fit = Expr::aggregate(
        h.fit,
        vec![lit("LinearRegression"), lit("{}"), col("body_mass_g"), col(features[0]), col(features[1])],
    );
    let models = data.group_by([col("island")]).agg([fit.alias("m")]).expect("a model per island");
    let predict = Expr::call_function(h.predict, vec![col("m"), col(features[0]), col(features[1])]);
    let per_island = data
        .join(&models, JoinKind::Inner, ["island"])
        .expect("join")
        .select([col("island"), col(features[0]), col(features[1]), predict.alias("predicted")])
        .expect("predict");
    let session = common::session();
    let got = rows(&session, &per_island).await;
    assert_eq!(count(&got), 333);
    let mut checked = 0;
    for island in ["Biscoe", "Dream", "Torgersen"] {
        let alone = data.filter(col("island").eq(lit(island))).expect("island");
        let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
            .fit(&alone, &features, Some("body_mass_g"))
            .expect("fit");
        let model = common::model(&fitted).await;
        for batch in &got {
            let islands = batch.column(0).as_string::<i32>();
            let (a, b) = (batch.column(1).as_primitive::<Float64Type>(), batch.column(2).as_primitive::<Float64Type>());
            let predicted = batch.column(3).as_primitive::<Float64Type>();
            for i in (0..batch.num_rows()).filter(|&i| islands.value(i) == island) {
                let want = model.predict_value(&[a.value(i), b.value(i)]).expect("predicts");
                assert_eq!(predicted.value(i), want, "{island} row {i}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 333, "every row was predicted by its island's model");
}
