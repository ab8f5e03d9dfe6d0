//! Our CART trees and forests against scikit-learn 1.5.2 (`goldens/forests.json`, made by
//! `goldens/make_forest_goldens.py`), with the metrics computed as expressions: the regression
//! tree's training R² within 0.005 (the same greedy algorithm; only ties may differ), the
//! forests' test accuracy and R² within 0.03 (bootstrap and feature draws come from other
//! generators). A forest is the same model on every fit.

use crate::common::penguins;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Float64Type;
use serde_json::Value;
use xorq_core::{Table, col, lit};
use xorq_exec::cache::Cache;
use xorq_exec::{Params, Session};
use xorq_ml::metrics::{Metric, evaluate};
use xorq_ml::{Estimator, Pipeline};

const FEATURES: [&str; 3] = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"];

fn golden() -> Value {
    serde_json::from_str(include_str!("../goldens/forests.json")).expect("goldens")
}

async fn metric(t: &Table, m: Metric, y: &str) -> f64 {
    let out = evaluate(t, &m, y, "predicted").expect("metric");
    let batches = Session::new().with_cache(Cache::disabled()).execute(&out, &Params::new()).await.expect("runs");
    batches[0].column(0).as_primitive::<Float64Type>().value(0)
}

fn estimator(name: &str, params: &Value) -> Estimator {
    Estimator::parse(name, &params.to_string()).expect("estimator")
}

#[tokio::test]
async fn a_regression_tree_fits_as_scikit_learn_does() {
    let g = &golden()["tree_regressor"];
    let data = penguins();
    let fitted = Pipeline::new(estimator("DecisionTreeRegressor", &g["params"]))
        .fit(&data, &FEATURES, Some("body_mass_g"))
        .expect("fit");
    let r2 = metric(&fitted.predict(&data).expect("predict"), Metric::R2, "body_mass_g").await;
    let theirs = g["train_r2"].as_f64().expect("number");
    eprintln!("regression tree: training R² {r2:.4}, scikit-learn {theirs:.4}");
    assert!((r2 - theirs).abs() <= 0.005, "training R² {r2} vs scikit-learn's {theirs}");
}

#[tokio::test]
async fn forests_score_within_a_band_of_scikit_learn() {
    let g = golden();
    let data = penguins();
    let train = data.filter(col("year").not_eq(lit(2009))).expect("train");
    let test = data.filter(col("year").eq(lit(2009))).expect("test");

    let c = &g["forest_classifier"];
    let fitted = Pipeline::new(estimator("RandomForestClassifier", &c["params"]))
        .fit(&train, &FEATURES, Some("species"))
        .expect("fit");
    let accuracy = metric(&fitted.predict(&test).expect("predict"), Metric::Accuracy, "species").await;
    let theirs = c["test_accuracy"].as_f64().expect("number");
    eprintln!("random forest classifier: test accuracy {accuracy:.4}, scikit-learn {theirs:.4}");
    assert!((accuracy - theirs).abs() <= 0.03, "test accuracy {accuracy} vs scikit-learn's {theirs}");

    let r = &g["forest_regressor"];
    let fitted = Pipeline::new(estimator("RandomForestRegressor", &r["params"]))
        .fit(&train, &FEATURES, Some("body_mass_g"))
        .expect("fit");
    let r2 = metric(&fitted.predict(&test).expect("predict"), Metric::R2, "body_mass_g").await;
    let theirs = r["test_r2"].as_f64().expect("number");
    eprintln!("random forest regressor: test R² {r2:.4}, scikit-learn {theirs:.4}");
    assert!((r2 - theirs).abs() <= 0.03, "test R² {r2} vs scikit-learn's {theirs}");
}

#[tokio::test]
async fn a_forest_is_the_same_model_on_every_fit() {
    let data = penguins();
    let params = serde_json::json!({"n_estimators": 20, "max_depth": 4, "random_state": 7});
    let fitted = Pipeline::new(estimator("RandomForestClassifier", &params))
        .fit(&data, &FEATURES, Some("species"))
        .expect("fit");
    let session = Session::new().with_cache(Cache::disabled());
    let a = session.execute(fitted.model(), &Params::new()).await.expect("fits");
    let b = session.execute(fitted.model(), &Params::new()).await.expect("fits");
    assert_eq!(a, b);
    let other = Pipeline::new(estimator(
        "RandomForestClassifier",
        &serde_json::json!({"n_estimators": 20, "max_depth": 4, "random_state": 8}),
    ))
    .fit(&data, &FEATURES, Some("species"))
    .expect("fit");
    let c = session.execute(other.model(), &Params::new()).await.expect("fits");
    assert_ne!(a, c, "another seed draws other samples");
}
