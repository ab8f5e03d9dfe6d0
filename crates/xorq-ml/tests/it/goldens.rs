//! Goldens against scikit-learn 1.5.2 (figures and the script that made them in `goldens/`):
//! the same 333 penguins, the same parameters. Linear and logistic regression must match the
//! coefficients (both minimize the same objective to its unique optimum); trees and k-means,
//! whose tie-breaking and randomness differ, must land within a stated band of scikit-learn's
//! accuracy and inertia.

use crate::common::{penguins, session};

use datafusion::arrow::array::AsArray;
use serde_json::Value;
use xorq_core::{Table, col};
use xorq_exec::Params;
use xorq_ml::model::{Model, Output, State};
use xorq_ml::{Estimator, Pipeline};

const FEATURES: [&str; 3] = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"];

fn golden() -> Value {
    let text = include_str!("../goldens/penguins.json");
    serde_json::from_str(text).expect("goldens")
}

async fn fit(train: &Table, estimator: &str, params: &Value, target: Option<&str>) -> Model {
    xorq_ml::register().expect("registers");
    let e = Estimator::parse(estimator, &params.to_string()).expect("estimator");
    let fitted = Pipeline::new(e).fit(train, &FEATURES, target).expect("fit");
    let batches = session().execute(fitted.model(), &Params::new()).await.expect("fits");
    let column =
        datafusion::arrow::compute::cast(batches[0].column(0), &datafusion::arrow::datatypes::DataType::Binary)
            .expect("binary");
    let bytes = column.as_binary::<i32>().value(0).to_vec();
    Model::from_bytes(&bytes).expect("a model")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(|x| x.as_f64().expect("number")).collect()
}

fn assert_close(what: &str, ours: &[f64], theirs: &[f64], tolerance: f64) {
    assert_eq!(ours.len(), theirs.len(), "{what}: {ours:?} vs {theirs:?}");
    for (a, b) in ours.iter().zip(theirs) {
        let scale = b.abs().max(1.0);
        assert!((a - b).abs() <= tolerance * scale, "{what}: ours {ours:?}, scikit-learn {theirs:?}");
    }
}

async fn rows(train: &Table) -> Vec<Vec<f64>> {
    let batches =
        session().execute(&train.select(FEATURES.map(col)).expect("select"), &Params::new()).await.expect("runs");
    let mut out = Vec::new();
    for b in batches {
        let cols: Vec<_> = (0..3)
            .map(|k| {
                datafusion::arrow::compute::cast(b.column(k), &datafusion::arrow::datatypes::DataType::Float64)
                    .expect("cast")
            })
            .collect();
        for i in 0..b.num_rows() {
            out.push(
                cols.iter().map(|c| c.as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(i)).collect(),
            );
        }
    }
    out
}

#[tokio::test]
async fn logistic_regression_matches_scikit_learn_coefficients() {
    let g = golden();
    // Relative tolerance 1e-3: both minimize C·Σ log-loss + ½‖w‖² with L-BFGS to a tight
    // gradient tolerance; what is left is the solvers' last digits.
    for case in ["logistic", "logistic_binary"] {
        let expected = &g[case];
        let train = if case == "logistic" {
            penguins()
        } else {
            penguins().filter(col("species").not_eq(xorq_core::lit("Gentoo"))).expect("filter")
        };
        let model = fit(&train, "LogisticRegression", &expected["params"], Some("species")).await;
        let Output::Classes { classes } = &model.output else { panic!("a classifier: {:?}", model.output) };
        let want: Vec<String> = expected["classes"]
            .as_array()
            .expect("classes")
            .iter()
            .map(|c| c.as_str().expect("text").to_string())
            .collect();
        assert_eq!(classes, &want);
        let State::Linear { coef, intercept } = &model.state else { panic!("linear state") };
        let theirs: Vec<Vec<f64>> = expected["coef"].as_array().expect("coef").iter().map(floats).collect();
        assert_eq!(coef.len(), theirs.len(), "{case}: one row per class (binary: one)");
        for (k, (ours, theirs)) in coef.iter().zip(&theirs).enumerate() {
            assert_close(&format!("{case} coef row {k}"), ours, theirs, 1e-3);
        }
        assert_close(&format!("{case} intercept"), intercept, &floats(&expected["intercept"]), 1e-3);
    }
}

#[tokio::test]
async fn linear_regression_matches_scikit_learn_coefficients() {
    let g = &golden()["linear"];
    let model = fit(&penguins(), "LinearRegression", &serde_json::json!({}), Some("body_mass_g")).await;
    let State::Linear { coef, intercept } = &model.state else { panic!("linear state") };
    // Ordinary least squares has one solution: agreement to 1e-6 relative.
    assert_close("coef", &coef[0], &floats(&g["coef"]), 1e-6);
    assert_close("intercept", intercept, &[g["intercept"].as_f64().expect("number")], 1e-6);
}

#[tokio::test]
async fn decision_tree_accuracy_is_within_two_points_of_scikit_learn() {
    let g = &golden()["tree"];
    let data = penguins();
    let model = fit(&data, "DecisionTreeClassifier", &g["params"], Some("species")).await;
    let labels =
        session().execute(&data.select([col("species")]).expect("select"), &Params::new()).await.expect("runs");
    let labels: Vec<String> = labels
        .iter()
        .flat_map(|b| {
            let c = datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Utf8)
                .expect("cast");
            (0..b.num_rows()).map(move |i| c.as_string::<i32>().value(i).to_string()).collect::<Vec<_>>()
        })
        .collect();
    let hits = rows(&data)
        .await
        .iter()
        .zip(&labels)
        .filter(|(x, y)| model.predict_class(x).expect("predicts") == y.as_str())
        .count();
    let ours = hits as f64 / labels.len() as f64;
    let theirs = g["accuracy"].as_f64().expect("number");
    // Same greedy algorithm and depth; ties between equally good splits are broken differently.
    assert!((ours - theirs).abs() <= 0.02, "training accuracy {ours} vs scikit-learn's {theirs}");
}

#[tokio::test]
async fn kmeans_inertia_is_within_two_percent_of_scikit_learn() {
    let g = &golden()["kmeans"];
    let data = penguins();
    let model = fit(&data, "KMeans", &g["params"], None).await;
    let State::Centroids { centroids } = &model.state else { panic!("centroids") };
    let inertia: f64 = rows(&data)
        .await
        .iter()
        .map(|x| {
            centroids
                .iter()
                .map(|c| c.iter().zip(x).map(|(c, x)| (c - x) * (c - x)).sum::<f64>())
                .fold(f64::INFINITY, f64::min)
        })
        .sum();
    let theirs = g["inertia"].as_f64().expect("number");
    // k-means++ with 10 restarts on both sides; the seeds' streams differ, so the local optimum
    // reached may differ slightly.
    assert!((inertia - theirs).abs() <= 0.02 * theirs, "inertia {inertia} vs scikit-learn's {theirs}");
}
