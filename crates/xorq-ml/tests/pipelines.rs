//! Pipelines with steps against scikit-learn 1.5.2 (`goldens/pipelines.json`, made by
//! `goldens/make_pipeline_goldens.py`): the same rows, the same steps and parameters, the same
//! coefficients (standard-scaled logistic regression to 1e-3 relative; min-max-scaled and imputed
//! linear regression to 1e-6). Predictions come back on the rows as they were given.

mod common;

use common::{model, penguins, session};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, RecordBatch};
use serde_json::Value;
use xorq_core::{Table, col};
use xorq_exec::Params;
use xorq_ml::model::{Model, State};
use xorq_ml::steps::Step;
use xorq_ml::{Estimator, Pipeline};

fn golden() -> Value {
    serde_json::from_str(include_str!("goldens/pipelines.json")).expect("goldens")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn assert_close(what: &str, ours: &[f64], theirs: &[f64], tolerance: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}");
    for (a, b) in ours.iter().zip(theirs) {
        assert!((a - b).abs() <= tolerance * b.abs().max(1.0), "{what}: ours {ours:?}, scikit-learn {theirs:?}");
    }
}

fn linear(m: &Model) -> (&Vec<Vec<f64>>, &Vec<f64>) {
    let State::Linear { coef, intercept } = &m.state else { panic!("a linear model") };
    (coef, intercept)
}

#[tokio::test]
async fn standard_scaled_logistic_regression_matches_scikit_learn() {
    let g = &golden()["standard_logistic"];
    let features: Vec<String> = golden()["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f.as_str().expect("text").to_string())
        .collect();
    let features: Vec<&str> = features.iter().map(String::as_str).collect();
    let data = penguins();
    let fitted = Pipeline::new(Estimator::parse("LogisticRegression", &g["params"].to_string()).expect("estimator"))
        .step(Step::parse("StandardScaler", "{}").expect("step"))
        .fit(&data, &features, Some("species"))
        .expect("fit");
    let m = model(&fitted).await;
    let (coef, intercept) = linear(&m);
    for (k, row) in g["coef"].as_array().expect("coef").iter().enumerate() {
        assert_close(&format!("coef row {k}"), &coef[k], &floats(row), 1e-3);
    }
    assert_close("intercept", intercept, &floats(&g["intercept"]), 1e-3);

    // Predictions on the rows as given: the original columns, then `predicted`.
    let predicted = fitted.predict(&data).expect("predict");
    let mut expected_columns: Vec<&str> = data.columns();
    expected_columns.push("predicted");
    assert_eq!(predicted.columns(), expected_columns);
    let scored = predicted
        .mutate([col("species").eq(col("predicted")).cast(xorq_core::DataType::Float64).alias("hit")])
        .and_then(|t| t.agg([col("hit").mean().alias("accuracy")]))
        .expect("score");
    let out = session().execute(&scored, &Params::new()).await.expect("runs");
    let accuracy = out[0].column(0).as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(0);
    assert!((accuracy - g["accuracy"].as_f64().expect("number")).abs() < 1e-9, "{accuracy}");
}

#[tokio::test]
async fn min_max_scaled_linear_regression_matches_scikit_learn() {
    let g = &golden()["minmax_linear"];
    let features: Vec<&str> =
        g["features"].as_array().expect("features").iter().map(|f| f.as_str().expect("text")).collect();
    let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(Step::parse("MinMaxScaler", r#"{"feature_range": [-1, 1]}"#).expect("step"))
        .fit(&penguins(), &features, Some("body_mass_g"))
        .expect("fit");
    let m = model(&fitted).await;
    let (coef, intercept) = linear(&m);
    assert_close("coef", &coef[0], &floats(&g["coef"]), 1e-6);
    assert_close("intercept", intercept, &[g["intercept"].as_f64().expect("number")], 1e-6);
}

#[tokio::test]
async fn imputed_linear_regression_matches_scikit_learn() {
    let g = &golden()["imputer"];
    let column = |name: &str| -> ArrayRef {
        Arc::new(Float64Array::from(g[name].as_array().expect("array").iter().map(Value::as_f64).collect::<Vec<_>>()))
    };
    let batch =
        RecordBatch::try_from_iter([("a", column("a")), ("b", column("b")), ("y", column("y"))]).expect("batch");
    let t = Table::memtable(vec![batch]).expect("table");
    for strategy in ["mean", "median"] {
        let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
            .step(Step::parse("SimpleImputer", &format!(r#"{{"strategy": "{strategy}"}}"#)).expect("step"))
            .fit(&t, &["a", "b"], Some("y"))
            .expect("fit");
        let m = model(&fitted).await;
        let (coef, intercept) = linear(&m);
        assert_close(&format!("{strategy} coef"), &coef[0], &floats(&g[strategy]["coef"]), 1e-6);
        assert_close(
            &format!("{strategy} intercept"),
            intercept,
            &[g[strategy]["intercept"].as_f64().expect("number")],
            1e-6,
        );
    }
}

#[test]
fn unsupported_step_parameters_are_named() {
    let e = Step::parse("SimpleImputer", r#"{"strategy": "most_frequent"}"#).unwrap_err().to_string();
    assert!(e.contains("strategy") && e.contains("median"), "{e}");
    let e = Step::parse("SimpleImputer", r#"{"strategy": "constant"}"#).unwrap_err().to_string();
    assert!(e.contains("fill_value"), "{e}");
    let e = Step::parse("MinMaxScaler", r#"{"feature_range": [1, 0]}"#).unwrap_err().to_string();
    assert!(e.contains("feature_range"), "{e}");
    let e = Step::parse("OneHotEncoder", "{}").unwrap_err().to_string();
    assert!(e.contains("StandardScaler"), "{e}");
}
