//! Pipeline steps before the estimator: `StandardScaler`, `MinMaxScaler`, `SimpleImputer`.
//!
//! A step is fitted like the estimator, as aggregates over the training rows (means, standard
//! deviations, minimums, …: one row, cached), and applied as expressions over any rows joined
//! to that row, so the test rows are transformed with the training rows' statistics, as
//! scikit-learn does. The statistics row is a stored one-row result, so applying it costs one
//! literal per feature (see `xorq_exec`'s broadcast), not a join.
//!
//! Definitions follow scikit-learn: `StandardScaler` divides by the population standard
//! deviation (`ddof=0`) and leaves a constant feature's scale at 1; `MinMaxScaler` maps
//! `[min, max]` to `feature_range` and leaves a constant feature at the range's low end;
//! `SimpleImputer` replaces nulls by the training mean or median, or by `fill_value`.
//!
//! ```
//! use xorq_ml::steps::Step;
//! let s = Step::parse("StandardScaler", "{}").unwrap();
//! assert_eq!(s.name(), "StandardScaler");
//! assert!(Step::parse("SimpleImputer", r#"{"strategy": "most_frequent"}"#).is_err());
//! ```

use serde_json::{Map, Value};
use xorq_core::{CacheStrategy, DataType, Expr, Table, coalesce, col, lit, when};

use crate::error::{MlError, Result};
use crate::estimator::Hyper;
use crate::estimator::params::{Accepts, resolve};

/// A step and its checked parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    name: &'static str,
    params: Map<String, Value>,
}

const STANDARD_SCALER: &[Hyper] = &[
    Hyper::new("with_mean", Accepts::Bool, "true"),
    Hyper::new("with_std", Accepts::Bool, "true"),
    Hyper::new("copy", Accepts::Bool, "true"),
];
const MIN_MAX_SCALER: &[Hyper] = &[
    Hyper::new("feature_range", Accepts::Range, "[0, 1]"),
    Hyper::new("clip", Accepts::Only("false"), "false"),
    Hyper::new("copy", Accepts::Bool, "true"),
];
const SIMPLE_IMPUTER: &[Hyper] = &[
    Hyper::new("strategy", Accepts::OneOf(&["mean", "median", "constant"]), "\"mean\""),
    Hyper::new("fill_value", Accepts::NumberOrNull, "null"),
    Hyper::new("missing_values", Accepts::OneOf(&["null"]), "null"),
    Hyper::new("copy", Accepts::Bool, "true"),
];

const STEPS: &[(&str, &[Hyper])] =
    &[("StandardScaler", STANDARD_SCALER), ("MinMaxScaler", MIN_MAX_SCALER), ("SimpleImputer", SIMPLE_IMPUTER)];

impl Step {
    /// `name` (scikit-learn's) with `params` (a JSON object).
    pub fn parse(name: &str, params: &str) -> Result<Step> {
        let Some((name, hyper)) = STEPS.iter().find(|(n, _)| *n == name) else {
            let known: Vec<&str> = STEPS.iter().map(|(n, _)| *n).collect();
            return Err(MlError::UnknownEstimator { name: name.to_string(), known: known.join(", ") });
        };
        let given: Value = serde_json::from_str(if params.trim().is_empty() { "{}" } else { params })
            .map_err(|e| MlError::Hyperparameter(format!("the parameters of {name} are not JSON: {e}")))?;
        let Value::Object(given) = given else {
            return Err(MlError::Hyperparameter(format!("the parameters of {name} must be a JSON object")));
        };
        let params = resolve(name, hyper, &given)?;
        if *name == "SimpleImputer" && params["strategy"] == "constant" && params["fill_value"].is_null() {
            return Err(MlError::Hyperparameter(
                "SimpleImputer: strategy \"constant\" needs a numeric `fill_value`".into(),
            ));
        }
        Ok(Step { name, params })
    }

    /// The scikit-learn name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Every parameter with its value.
    pub fn params(&self) -> &Map<String, Value> {
        &self.params
    }

    fn flag(&self, name: &str) -> bool {
        self.params.get(name).and_then(Value::as_bool).unwrap_or_default()
    }

    /// The statistics of this step over `train`'s columns `inputs` (the features, or what the
    /// step before wrote for them): a cached one-row table whose columns are named `prefix` +
    /// statistic + `_` + feature.
    pub(crate) fn fit(&self, train: &Table, inputs: &[String], features: &[String], prefix: &str) -> Result<Table> {
        let f = |name: &str| col(name).cast(DataType::Float64);
        let mut stats = Vec::new();
        for (input, name) in inputs.iter().zip(features) {
            match self.name {
                "StandardScaler" => {
                    stats.push(f(input).mean().alias(format!("{prefix}mean_{name}")));
                    stats.push(f(input).std_pop().alias(format!("{prefix}std_{name}")));
                }
                "MinMaxScaler" => {
                    stats.push(f(input).min().alias(format!("{prefix}min_{name}")));
                    stats.push(f(input).max().alias(format!("{prefix}max_{name}")));
                }
                _ => match self.params["strategy"].as_str() {
                    Some("median") => stats.push(f(input).median().alias(format!("{prefix}fill_{name}"))),
                    Some("constant") => {
                        let v = self.params["fill_value"].as_f64().unwrap_or_default();
                        // A constant needs no statistics; it is still a column, so every step has one row.
                        stats.push(lit(v).max().alias(format!("{prefix}fill_{name}")));
                    }
                    _ => stats.push(f(input).mean().alias(format!("{prefix}fill_{name}"))),
                },
            }
        }
        Ok(train.agg(stats)?.cache(CacheStrategy::snapshot())?)
    }

    /// The name of the column this step writes for `feature`.
    pub(crate) fn output(prefix: &str, feature: &str) -> String {
        format!("{prefix}x_{feature}")
    }

    /// `rows` with a column [`Step::output`] per feature: the step applied to the column
    /// `inputs[i]` with the statistics in `stats` (from [`Step::fit`]); `rows`' columns unchanged.
    pub(crate) fn apply(
        &self,
        rows: &Table,
        stats: &Table,
        inputs: &[String],
        features: &[String],
        prefix: &str,
    ) -> Result<Table> {
        let joined = rows.cross_join(stats)?;
        let f = |name: &str| col(name).cast(DataType::Float64);
        let s = |stat: &str, name: &str| col(format!("{prefix}{stat}_{name}").as_str());
        let mut out: Vec<Expr> = rows.columns().into_iter().map(col).collect();
        for (input, name) in inputs.iter().zip(features) {
            let value = match self.name {
                "StandardScaler" => {
                    let mut v = f(input);
                    if self.flag("with_mean") {
                        v = v - s("mean", name);
                    }
                    if self.flag("with_std") {
                        // A constant feature keeps its scale (scikit-learn's scale of 1).
                        let std = s("std", name);
                        v = v / when(std.clone().eq(lit(0.0))).then(lit(1.0)).otherwise(std);
                    }
                    v
                }
                "MinMaxScaler" => {
                    let (low, high) = self.range();
                    let (min, max) = (s("min", name), s("max", name));
                    let span =
                        when((max.clone() - min.clone()).eq(lit(0.0))).then(lit(1.0)).otherwise(max - min.clone());
                    (f(input) - min) / span * lit(high - low) + lit(low)
                }
                _ => coalesce([f(input), s("fill", name)]),
            };
            out.push(value.alias(Self::output(prefix, name).as_str()));
        }
        Ok(joined.select(out)?)
    }

    fn range(&self) -> (f64, f64) {
        let r = self.params.get("feature_range").and_then(Value::as_array);
        let at = |i: usize| r.and_then(|r| r.get(i)).and_then(Value::as_f64);
        (at(0).unwrap_or(0.0), at(1).unwrap_or(1.0))
    }
}
