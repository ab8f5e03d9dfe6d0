//! `LinearRegression` (ordinary least squares, `linfa-linear`) and `LogisticRegression` (L2,
//! L-BFGS, `linfa-logistic`; binary or multinomial by the number of classes).
//!
//! scikit-learn minimizes `C · Σ log-loss + ½‖w‖²`; linfa minimizes `Σ log-loss + ½ α ‖w‖²`,
//! the same objective with `α = 1 / C`.

use linfa::DatasetBase;
use linfa::traits::{Fit, Predict};
use ndarray::{Array1, ArrayView2};
use serde_json::{Map, Value};

use super::params::{Accepts, Hyper, flag, int, number, text};
use super::{Def, Kind, Target, Training};
use crate::error::{MlError, Result};
use crate::model::{Model, Output, State};

pub(crate) const LINEAR_REGRESSION: Def = Def {
    name: "LinearRegression",
    version: 1,
    kind: Kind::Regressor,
    hyper: &[
        Hyper::new("fit_intercept", Accepts::Bool, "true"),
        Hyper::new("copy_X", Accepts::Bool, "true"),
        Hyper::new("positive", Accepts::Only("false"), "false"),
        Hyper::new("n_jobs", Accepts::Seed, "null"),
    ],
    fit: fit_linear,
};

pub(crate) const LOGISTIC_REGRESSION: Def = Def {
    name: "LogisticRegression",
    version: 1,
    kind: Kind::Classifier,
    hyper: &[
        Hyper::new("C", Accepts::Positive, "1.0"),
        Hyper::new("penalty", Accepts::OneOf(&["l2", "null"]), "\"l2\""),
        Hyper::new("fit_intercept", Accepts::Bool, "true"),
        Hyper::new("max_iter", Accepts::IntAtLeast(1), "100"),
        Hyper::new("tol", Accepts::Positive, "0.0001"),
        Hyper::new("solver", Accepts::OneOf(&["lbfgs"]), "\"lbfgs\""),
        Hyper::new("class_weight", Accepts::OneOf(&["null"]), "null"),
        Hyper::new("random_state", Accepts::Seed, "null"),
    ],
    fit: fit_logistic,
};

/// The feature matrix of `t`, a view of its rows (no copy).
pub(crate) fn matrix(t: &Training) -> Result<ArrayView2<'_, f64>> {
    ArrayView2::from_shape((t.rows(), t.n_features), &t.x)
        .map_err(|e| MlError::Fit(format!("the training rows do not form a matrix: {e}")))
}

fn finite(name: &str, values: impl IntoIterator<Item = f64>) -> Result<()> {
    if values.into_iter().all(f64::is_finite) {
        Ok(())
    } else {
        Err(MlError::Fit(format!(
            "{name} did not converge to finite coefficients; scale the features or regularize more"
        )))
    }
}

fn fit_linear(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    let Target::Numbers(y) = &t.y else { return Err(MlError::Fit("LinearRegression needs a numeric target".into())) };
    let intercept = flag(params, "fit_intercept");
    let data = DatasetBase::new(matrix(t)?, Array1::from(y.clone()));
    let fitted = linfa_linear::LinearRegression::new()
        .with_intercept(intercept)
        .fit(&data)
        .map_err(|e| MlError::Fit(format!("LinearRegression: {e}")))?;
    let coef = fitted.params().to_vec();
    finite("LinearRegression", coef.iter().copied().chain([fitted.intercept()]))?;
    Ok(Model::new(
        "LinearRegression",
        Value::Object(params.clone()),
        t.n_features,
        t.rows(),
        Output::Regression,
        State::Linear { coef: vec![coef], intercept: vec![fitted.intercept()] },
    ))
}

fn fit_logistic(params: &Map<String, Value>, t: &Training) -> Result<Model> {
    let Target::Labels(y) = &t.y else { return Err(MlError::Fit("LogisticRegression needs labels".into())) };
    let classes: Vec<String> = y
        .iter()
        .map(String::as_str)
        .collect::<std::collections::BTreeSet<&str>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    if classes.len() < 2 {
        return Err(MlError::Fit(format!(
            "LogisticRegression needs at least two classes in the training rows, found {}",
            classes.len()
        )));
    }
    // linfa is given class indices (in sorted order), not the labels: cheaper to copy and compare.
    let index: Vec<usize> = y.iter().map(|l| classes.binary_search(l).unwrap_or_default()).collect();
    let alpha = if text(params, "penalty").is_none() { 0.0 } else { 1.0 / number(params, "C") };
    let intercept = flag(params, "fit_intercept");
    // Checked as an integer of at least 1.
    let max_iter = int(params, "max_iter").unwrap_or(100) as u64;
    let tol = number(params, "tol");
    let data = DatasetBase::new(matrix(t)?, Array1::from(index));
    let state = if classes.len() == 2 {
        let fitted = linfa_logistic::LogisticRegression::default()
            .alpha(alpha)
            .with_intercept(intercept)
            .max_iterations(max_iter)
            .gradient_tolerance(tol)
            .fit(&data)
            .map_err(|e| MlError::Fit(format!("LogisticRegression: {e}")))?;
        // Which label linfa's positive score stands for depends on the order labels are first
        // seen in; ours is always the second of the sorted classes. Ask linfa on the training
        // row it is surest of, and turn the coefficients round if it meant the first.
        let (mut w, mut b) = (fitted.params().to_vec(), fitted.intercept());
        let x = data.records();
        let scores: Vec<f64> =
            x.rows().into_iter().map(|r| r.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() + b).collect();
        let surest = (0..scores.len()).max_by(|&i, &j| scores[i].abs().total_cmp(&scores[j].abs())).unwrap_or(0);
        let row = x.select(ndarray::Axis(0), &[surest]);
        let said = fitted.predict(&row);
        let positive_is_second = said.first().is_some_and(|l| *l == 1);
        if (scores[surest] >= 0.0) != positive_is_second {
            w.iter_mut().for_each(|v| *v = -*v);
            b = -b;
        }
        State::Linear { coef: vec![w], intercept: vec![b] }
    } else {
        let fitted = linfa_logistic::MultiLogisticRegression::default()
            .alpha(alpha)
            .with_intercept(intercept)
            .max_iterations(max_iter)
            .gradient_tolerance(tol)
            .fit(&data)
            .map_err(|e| MlError::Fit(format!("LogisticRegression: {e}")))?;
        // Columns are classes in sorted order (linfa sorts them as we do).
        let w = fitted.params();
        State::Linear {
            coef: (0..classes.len()).map(|k| w.column(k).to_vec()).collect(),
            intercept: fitted.intercept().to_vec(),
        }
    };
    if let State::Linear { coef, intercept } = &state {
        finite("LogisticRegression", coef.iter().flatten().chain(intercept).copied())?;
    }
    Ok(Model::new(
        "LogisticRegression",
        Value::Object(params.clone()),
        t.n_features,
        t.rows(),
        Output::Classes { classes },
        state,
    ))
}
