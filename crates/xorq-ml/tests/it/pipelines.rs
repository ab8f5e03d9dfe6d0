//! Pipelines with steps against scikit-learn 1.5.2 (`goldens/pipelines.json`, made by
//! `goldens/make_pipeline_goldens.py`): the same rows, the same steps and parameters, the same
//! coefficients (standard-scaled logistic regression to 1e-3 relative; min-max-scaled and imputed
//! linear regression to 1e-6; one-hot encoded penguins by feature name). Predictions come back on
//! the rows as they were given.

use crate::common::{model, penguins, session};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Float64Array, RecordBatch};
use serde_json::Value;
use xorq_core::{Table, col};
use xorq_exec::Params;
use xorq_ml::model::{Model, State};
use xorq_ml::steps::Step;
use xorq_ml::{Estimator, Pipeline};

fn golden() -> Value {
    serde_json::from_str(include_str!("../goldens/pipelines.json")).expect("goldens")
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
    assert!(e.contains("categories") && e.contains("auto"), "{e}");
    let e = Step::parse("OneHotEncoder", r#"{"categories": [["a", "a"]]}"#).unwrap_err().to_string();
    assert!(e.contains("`a` twice"), "{e}");
    let e = Step::parse("OneHotEncoder", r#"{"categories": [[1.5]]}"#).unwrap_err().to_string();
    assert!(e.contains("text or integers"), "{e}");
    let e = Step::parse("Binarizer", "{}").unwrap_err().to_string();
    assert!(e.contains("OneHotEncoder"), "{e}");
}

/// The features named in a golden case, and its categories as `OneHotEncoder` parameters.
fn one_hot_case(g: &Value) -> (Vec<&str>, Step) {
    let features = g["features"].as_array().expect("features").iter().map(|f| f.as_str().expect("text")).collect();
    (
        features,
        Step::parse("OneHotEncoder", &serde_json::json!({"categories": g["categories"]}).to_string()).expect("step"),
    )
}

/// scikit-learn's coefficients (by feature name) in the order of `names`.
fn by_name(coef: &Value, names: &[String]) -> Vec<f64> {
    names.iter().map(|n| coef[n.as_str()].as_f64().unwrap_or_else(|| panic!("scikit-learn has no `{n}`"))).collect()
}

#[tokio::test]
async fn one_hot_encoded_linear_regression_matches_scikit_learn() {
    let g = &golden()["one_hot_linear"];
    let (features, _) = one_hot_case(g);
    let encoder =
        Step::parse("OneHotEncoder", &serde_json::json!({"categories": g["categories"], "drop": "first"}).to_string())
            .expect("step");
    let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(encoder)
        .fit(&penguins(), &features, Some("body_mass_g"))
        .expect("fit");
    // The features the estimator reads, named as scikit-learn names them.
    let transformed = fitted.transform(&penguins()).expect("transform");
    let names: Vec<String> = transformed.columns().iter().map(|c| c.to_string()).collect();
    assert_eq!(names, ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "island_Dream", "island_Torgersen"]);
    let m = model(&fitted).await;
    let (coef, intercept) = linear(&m);
    assert_close("coef", &coef[0], &by_name(&g["coef"], &names), 1e-6);
    assert_close("intercept", intercept, &[g["intercept"].as_f64().expect("number")], 1e-6);
}

#[tokio::test]
async fn one_hot_encoded_scaled_logistic_regression_matches_scikit_learn() {
    let g = &golden()["one_hot_logistic"];
    let (features, encoder) = one_hot_case(g);
    let fitted = Pipeline::new(
        Estimator::parse("LogisticRegression", r#"{"C": 1.0, "max_iter": 10000, "tol": 1e-10}"#).expect("estimator"),
    )
    .step(encoder)
    .step(Step::parse("StandardScaler", "{}").expect("step"))
    .fit(&penguins(), &features, Some("species"))
    .expect("fit");
    let names: Vec<String> =
        fitted.transform(&penguins()).expect("transform").columns().iter().map(|c| c.to_string()).collect();
    assert_eq!(names.len(), 7, "{names:?}");
    let m = model(&fitted).await;
    let (coef, intercept) = linear(&m);
    for (k, row) in g["coef"].as_array().expect("coef").iter().enumerate() {
        assert_close(&format!("coef row {k}"), &coef[k], &by_name(row, &names), 1e-3);
    }
    assert_close("intercept", intercept, &floats(&g["intercept"]), 1e-3);
}

/// An island not among the categories stops the query, naming the value, under scikit-learn's
/// default `handle_unknown="error"`; under `"ignore"` it is all zeros.
#[tokio::test]
async fn an_unknown_category_is_an_error_or_all_zeros() {
    let data = penguins();
    let features = ["bill_length_mm", "island"];
    let strict = Step::parse("OneHotEncoder", r#"{"categories": {"island": ["Biscoe", "Dream"]}}"#).expect("step");
    let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(strict)
        .fit(&data, &features, Some("body_mass_g"))
        .expect("fit");
    let e = session().execute(fitted.model(), &Params::new()).await.expect_err("Torgersen is not a category");
    let e = e.to_string();
    assert!(e.contains("`island`") && e.contains("`Torgersen`") && e.contains("handle_unknown"), "{e}");

    let lenient =
        Step::parse("OneHotEncoder", r#"{"categories": {"island": ["Biscoe", "Dream"]}, "handle_unknown": "ignore"}"#)
            .expect("step");
    let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(lenient)
        .fit(&data, &features, Some("body_mass_g"))
        .expect("fit");
    let rows = fitted
        .transform(&data.filter(col("island").eq(xorq_core::lit("Torgersen"))).expect("filter"))
        .expect("transform");
    let out = session().execute(&rows, &Params::new()).await.expect("runs");
    let mut seen = 0;
    for b in &out {
        for k in [1, 2] {
            let c = b.column(k).as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            assert!(c.values().iter().all(|v| *v == 0.0));
        }
        seen += b.num_rows();
    }
    assert!(seen > 0);
}

#[test]
fn text_features_are_refused_by_scalers_and_encoded_features_are_named() {
    let data = penguins();
    let e = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(Step::parse("StandardScaler", "{}").expect("step"))
        .fit(&data, &["bill_length_mm", "island"], Some("body_mass_g"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`island`") && e.contains("OneHotEncoder"), "{e}");
    let wrong = Step::parse("OneHotEncoder", r#"{"categories": {"isle": ["Biscoe"]}}"#).expect("step");
    let e = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(wrong)
        .fit(&data, &["island"], Some("body_mass_g"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`isle`") && e.contains("island"), "{e}");
    let float = Step::parse("OneHotEncoder", r#"{"categories": [["1"]]}"#).expect("step");
    let e = Pipeline::new(Estimator::parse("LinearRegression", "{}").expect("estimator"))
        .step(float)
        .fit(&data, &["bill_length_mm"], Some("body_mass_g"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("bill_length_mm") && e.contains("Float64"), "{e}");
}
