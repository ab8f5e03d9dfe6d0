//! Pipeline steps before the estimator: `StandardScaler`, `MinMaxScaler`, `SimpleImputer`,
//! `OneHotEncoder`.
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
//! `OneHotEncoder` turns a text or integer feature into one 0/1 column per category (see
//! [`one_hot`]); its categories are given, never learned, so the columns a pipeline writes are
//! known before anything runs.
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

pub(crate) mod one_hot;

/// A feature as a step sees it: the column holding it and the name it goes by (the original
/// column's name, or scikit-learn's `island_Biscoe` for an encoded category).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Feature {
    /// The column holding the values.
    pub column: String,
    /// The feature's name.
    pub name: String,
}

impl Feature {
    /// A feature read from the column of its name.
    pub(crate) fn named(name: &str) -> Feature {
        Feature { column: name.to_string(), name: name.to_string() }
    }
}

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

const STEPS: &[(&str, &[Hyper])] = &[
    ("StandardScaler", STANDARD_SCALER),
    ("MinMaxScaler", MIN_MAX_SCALER),
    ("SimpleImputer", SIMPLE_IMPUTER),
    ("OneHotEncoder", one_hot::ONE_HOT_ENCODER),
];

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
        if *name == "OneHotEncoder" {
            one_hot::check_categories(&params["categories"])?;
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

    /// The statistics of this step over `train`'s `inputs`: a cached one-row table whose
    /// columns are named `prefix` + statistic + `_` + feature name; `None` for a step that
    /// learns nothing (`OneHotEncoder`, whose categories are given).
    pub(crate) fn fit(&self, train: &Table, inputs: &[Feature], prefix: &str) -> Result<Option<Table>> {
        if self.name == "OneHotEncoder" {
            return Ok(None);
        }
        self.numeric(train, inputs)?;
        let f = |name: &str| col(name).cast(DataType::Float64);
        let mut stats = Vec::new();
        for Feature { column: input, name } in inputs {
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
        Ok(Some(train.agg(stats)?.cache(CacheStrategy::snapshot())?))
    }

    /// Refuses a text (or other non-numeric) feature: scalers and imputers take numbers.
    fn numeric(&self, rows: &Table, inputs: &[Feature]) -> Result<()> {
        for f in inputs {
            let Some(field) = rows.schema().field(&f.column) else {
                return Err(MlError::Fit(format!("{}: there is no column `{}`", self.name, f.column)));
            };
            if !(field.dtype.is_numeric() || matches!(field.dtype, DataType::Boolean | DataType::Null)) {
                return Err(MlError::Fit(format!(
                    "{}: feature `{}` is of type {}; it takes numbers (put OneHotEncoder before it for text)",
                    self.name, f.name, field.dtype
                )));
            }
        }
        Ok(())
    }

    /// `rows` with this step applied to `inputs`, with the statistics in `stats` (from
    /// [`Step::fit`]): `rows`' columns unchanged, plus the columns of the features it writes,
    /// returned in order.
    pub(crate) fn apply(
        &self,
        rows: &Table,
        stats: Option<&Table>,
        inputs: &[Feature],
        prefix: &str,
    ) -> Result<(Table, Vec<Feature>)> {
        let Some(stats) = stats else { return one_hot::apply(self, rows, inputs, prefix) };
        self.numeric(rows, inputs)?;
        let joined = rows.cross_join(stats)?;
        let f = |name: &str| col(name).cast(DataType::Float64);
        let s = |stat: &str, name: &str| col(format!("{prefix}{stat}_{name}").as_str());
        let mut out: Vec<Expr> = rows.columns().into_iter().map(col).collect();
        let mut written = Vec::with_capacity(inputs.len());
        for Feature { column: input, name } in inputs {
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
            let column = format!("{prefix}x_{name}");
            out.push(value.alias(column.as_str()));
            written.push(Feature { column, name: name.clone() });
        }
        Ok((joined.select(out)?, written))
    }

    fn range(&self) -> (f64, f64) {
        let r = self.params.get("feature_range").and_then(Value::as_array);
        let at = |i: usize| r.and_then(|r| r.get(i)).and_then(Value::as_f64);
        (at(0).unwrap_or(0.0), at(1).unwrap_or(1.0))
    }
}
