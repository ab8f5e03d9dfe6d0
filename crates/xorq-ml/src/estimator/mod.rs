//! Estimators: scikit-learn's names and hyperparameters, fitted with `linfa`.
//!
//! An [`Estimator`] is a name and its hyperparameters as JSON, checked when the expression is
//! written: an unknown name, an unknown hyperparameter, or a value this implementation does not
//! support (`penalty="l1"`) is an error naming it, never ignored. Hyperparameters left out get
//! scikit-learn's defaults, and the model records every value it was fitted with.
//!
//! ```
//! use xorq_ml::estimator::Estimator;
//! let e = Estimator::parse("LogisticRegression", r#"{"C": 0.5}"#).unwrap();
//! assert_eq!(e.params()["C"], 0.5);
//! assert_eq!(e.params()["max_iter"], 100);
//! let err = Estimator::parse("LogisticRegression", r#"{"penalty": "l1"}"#).unwrap_err().to_string();
//! assert!(err.contains("penalty"), "{err}");
//! ```

mod cart;
mod clustering;
mod forest;
mod linear;
pub(crate) mod params;
mod tree;

use serde_json::{Map, Value};

use crate::error::{MlError, Result};
use crate::model::Model;

pub use params::Hyper;

/// What kind of target an estimator learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A number.
    Regressor,
    /// A label.
    Classifier,
    /// No target: clusters.
    Clusterer,
}

/// One estimator this program implements.
pub(crate) struct Def {
    pub name: &'static str,
    pub version: u32,
    pub kind: Kind,
    pub hyper: &'static [Hyper],
    pub fit: fn(&Map<String, Value>, &Training) -> Result<Model>,
}

/// Every estimator, by scikit-learn name.
pub(crate) const ESTIMATORS: &[Def] = &[
    linear::LINEAR_REGRESSION,
    linear::LOGISTIC_REGRESSION,
    tree::DECISION_TREE_CLASSIFIER,
    forest::DECISION_TREE_REGRESSOR,
    forest::RANDOM_FOREST_CLASSIFIER,
    forest::RANDOM_FOREST_REGRESSOR,
    clustering::KMEANS,
];

/// The training rows: features (row-major) and the target (numbers or labels).
#[derive(Debug, Default)]
pub struct Training {
    /// Feature values, `n_features` per row.
    pub x: Vec<f64>,
    /// How many features each row has.
    pub n_features: usize,
    /// The target, one per row (empty for clustering).
    pub y: Target,
}

/// A training target.
#[derive(Debug, Default)]
pub enum Target {
    /// No target (clustering).
    #[default]
    None,
    /// Numbers.
    Numbers(Vec<f64>),
    /// Labels, as text.
    Labels(Vec<String>),
}

impl Training {
    /// How many rows.
    pub fn rows(&self) -> usize {
        self.x.len().checked_div(self.n_features).unwrap_or(0)
    }
}

/// An estimator with checked hyperparameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimator {
    name: &'static str,
    params: Map<String, Value>,
}

impl Estimator {
    /// `name` (scikit-learn's) with `params` (a JSON object, `{}` for the defaults).
    pub fn parse(name: &str, params: &str) -> Result<Estimator> {
        let def = find(name)?;
        let given: Value = serde_json::from_str(if params.trim().is_empty() { "{}" } else { params })
            .map_err(|e| MlError::Hyperparameter(format!("the hyperparameters of {name} are not JSON: {e}")))?;
        let Value::Object(given) = given else {
            return Err(MlError::Hyperparameter(format!(
                "the hyperparameters of {name} must be a JSON object, like {{\"max_depth\": 3}}"
            )));
        };
        let params = params::resolve(name, def.hyper, &given)?;
        Ok(Estimator { name: def.name, params })
    }

    /// The scikit-learn name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Every hyperparameter with its value (defaults filled in).
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    /// What it learns.
    pub fn kind(&self) -> Kind {
        self.def().kind
    }

    fn def(&self) -> &'static Def {
        // Built from a `Def` of ESTIMATORS by `parse`, so it is there.
        ESTIMATORS.iter().find(|d| d.name == self.name).unwrap_or(&ESTIMATORS[0])
    }

    /// Fits the model on `training`.
    pub fn fit(&self, training: &Training) -> Result<Model> {
        let def = self.def();
        if training.rows() == 0 {
            return Err(MlError::Fit(format!("{} has no training rows to fit on", self.name)));
        }
        if training.x.iter().any(|v| !v.is_finite()) {
            return Err(MlError::Fit(format!(
                "{}: a feature value is missing, NaN or infinite; filter or impute those rows before fitting",
                self.name
            )));
        }
        match (&training.y, def.kind) {
            (Target::None, Kind::Clusterer) | (Target::Labels(_), Kind::Classifier) => {}
            (Target::Numbers(_), Kind::Regressor) => {}
            (Target::None, _) => return Err(MlError::Fit(format!("{} needs a target column", self.name))),
            (Target::Labels(_), Kind::Regressor) => {
                return Err(MlError::Fit(format!("{} predicts numbers; its target is text", self.name)));
            }
            (Target::Numbers(_), Kind::Classifier) => {
                return Err(MlError::Fit(format!("{} needs its labels as text", self.name)));
            }
            (_, Kind::Clusterer) => {
                return Err(MlError::Fit(format!("{} learns without a target; give none", self.name)));
            }
        }
        (def.fit)(&self.params, training)
    }
}

fn find(name: &str) -> Result<&'static Def> {
    ESTIMATORS.iter().find(|d| d.name == name).ok_or_else(|| {
        let known: Vec<&str> = ESTIMATORS.iter().map(|d| d.name).collect();
        MlError::UnknownEstimator { name: name.to_string(), known: known.join(", ") }
    })
}

/// Refuses a model made by an estimator or version this program does not implement.
pub(crate) fn check_known(name: &str, version: u32) -> Result<()> {
    let def = find(name)?;
    if def.version != version {
        return Err(MlError::InvalidModel(format!(
            "it was made by {name} version {version}; this program has version {}; fit it again",
            def.version
        )));
    }
    Ok(())
}
