//! The registered functions: `split_hash`, `fit`, `predict`, `predict_class`, `predict_proba`,
//! and `one_hot_check` (see [`crate::steps`]).
//!
//! - `fit(estimator, hyperparameters, target, feature, …)` is an aggregate whose value is the
//!   fitted model as `Binary` (see [`crate::model`]); `estimator` and `hyperparameters` are
//!   constants (`'LogisticRegression'`, `'{"C": 0.5}'`), checked when the expression is written.
//!   `KMeans` takes no target: `fit('KMeans', '{"n_clusters": 3}', feature, …)`.
//! - `predict(model, feature, …)` is the number a regressor predicts (or the cluster of a k-means
//!   model), `predict_class(model, feature, …)` the label a classifier predicts, and
//!   `predict_proba(model, label, feature, …)` the probability of `label`.
//!
//! Why three names rather than one `predict`: a function's result type follows from its
//! argument types, and a model is `Binary` whatever it predicts; so the kind of answer is in
//! the name, as in SQL engines' ML functions. The table API ([`crate::Pipeline`]) picks the
//! right one from the estimator.

mod fit;
mod predict;

use std::sync::OnceLock;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use xorq_core::expr::func::registry;
use xorq_core::expr::func::{Arg, Refusal};
use xorq_core::{AggFunc, DataType, ScalarFunc};

use crate::error::{MlError, Result};

/// The types features are converted to (`Float64`), or a refusal naming the first argument of
/// `function` that is not a number.
pub(crate) fn feature_types(function: &str, features: &[Arg<'_>]) -> std::result::Result<Vec<DataType>, Refusal> {
    features
        .iter()
        .enumerate()
        .map(|(i, a)| {
            if a.dtype.is_numeric() || *a.dtype == DataType::Boolean || *a.dtype == DataType::Null {
                Ok(DataType::Float64)
            } else {
                Err(Refusal::Message(format!(
                    "feature {} of {function} is of type {}; features are numbers (encode text features first)",
                    i + 1,
                    a.dtype
                )))
            }
        })
        .collect()
}

/// Handles of the registered functions.
#[derive(Clone, Copy, Debug)]
pub struct Handles {
    /// `split_hash(seed, key, …)`.
    pub split_hash: ScalarFunc,
    /// `fit(estimator, hyperparameters, [target,] feature, …)`.
    pub fit: AggFunc,
    /// `predict(model, feature, …)`.
    pub predict: ScalarFunc,
    /// `predict_class(model, feature, …)`.
    pub predict_class: ScalarFunc,
    /// `predict_proba(model, label, feature, …)`.
    pub predict_proba: ScalarFunc,
    /// `one_hot_check(value, feature, category, …)`: `OneHotEncoder`'s `handle_unknown="error"`.
    pub one_hot_check: ScalarFunc,
}

static HANDLES: OnceLock<std::result::Result<Handles, String>> = OnceLock::new();

/// Registers the functions of this crate (once; later calls return the same handles).
///
/// ```
/// let handles = xorq_ml::register()?;
/// assert_eq!(handles.fit.name(), "fit");
/// # Ok::<(), xorq_ml::MlError>(())
/// ```
pub fn register() -> Result<Handles> {
    HANDLES.get_or_init(|| register_all().map_err(|e| e.to_string())).clone().map_err(MlError::Registration)
}

/// The handles, registering first if needed.
pub(crate) fn handles() -> Result<Handles> {
    register()
}

fn scalar(def: &'static xorq_core::expr::func::FunctionDef, udf: ScalarUDF) -> Result<ScalarFunc> {
    registry::register(def)?;
    let func = ScalarFunc::new(def)?;
    xorq_engines::datafusion::functions::register_scalar_udf(func, udf)
        .map_err(|e| MlError::Registration(e.to_string()))?;
    Ok(func)
}

fn register_all() -> Result<Handles> {
    let split_hash = scalar(&crate::split::SPLIT_HASH_DEF, ScalarUDF::new_from_impl(crate::split::SplitHash::new()))?;
    registry::register(&fit::FIT_DEF)?;
    let fit = AggFunc::new(&fit::FIT_DEF)?;
    xorq_engines::datafusion::functions::register_aggregate_udaf(fit, AggregateUDF::new_from_impl(fit::Fit::new()))
        .map_err(|e| MlError::Registration(e.to_string()))?;
    let predict = scalar(&predict::PREDICT_DEF, predict::udf(predict::Answer::Value))?;
    let predict_class = scalar(&predict::PREDICT_CLASS_DEF, predict::udf(predict::Answer::Class))?;
    let predict_proba = scalar(&predict::PREDICT_PROBA_DEF, predict::udf(predict::Answer::Probability))?;
    let one_hot_check = scalar(
        &crate::steps::one_hot::ONE_HOT_CHECK_DEF,
        ScalarUDF::new_from_impl(crate::steps::one_hot::OneHotCheck::new()),
    )?;
    Ok(Handles { split_hash, fit, predict, predict_class, predict_proba, one_hot_check })
}
