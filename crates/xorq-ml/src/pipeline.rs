//! The table API: an estimator fitted on a training expression, predicting on another.
//!
//! `Pipeline::new(estimator).fit(&train, &features, target)` runs nothing: it is the expression
//! `train.agg(fit(…))` cached as a snapshot, so the model is fitted on the first run and read
//! from the cache afterwards, keyed by the training expression's address and the
//! hyperparameters (a changed filter, feature list or hyperparameter is a new model).
//! `predict(&test)` adds the prediction column to `test`.
//!
//! ```
//! # use std::sync::Arc;
//! # use datafusion::arrow::array::{Float64Array, RecordBatch};
//! use xorq_ml::{Estimator, Pipeline};
//! # let t = xorq_core::Table::memtable(vec![RecordBatch::try_from_iter([
//! #     ("x", Arc::new(Float64Array::from(vec![1.0, 2.0, 3.0])) as _),
//! #     ("y", Arc::new(Float64Array::from(vec![3.0, 5.0, 7.0])) as _)]).unwrap()]).unwrap();
//! let fitted = Pipeline::new(Estimator::parse("LinearRegression", "{}")?).fit(&t, &["x"], Some("y"))?;
//! let scored = fitted.predict(&t)?;
//! assert!(scored.columns().contains(&"predicted"));
//! # Ok::<(), xorq_ml::MlError>(())
//! ```

use xorq_core::{CacheStrategy, Expr, Table, col, lit};

use crate::error::{MlError, Result};
use crate::estimator::{Estimator, Kind};
use crate::steps::{Feature, Step};

/// The prefix of the statistics columns of step `k`.
fn step_prefix(k: usize) -> String {
    format!("__xorq_step{k}_")
}

/// The column a fitted model is kept in.
pub const MODEL_COLUMN: &str = "model";
/// The column predictions are written to.
pub const PREDICTED: &str = "predicted";

/// Steps, then an estimator to fit.
#[derive(Clone, Debug)]
pub struct Pipeline {
    steps: Vec<Step>,
    estimator: Estimator,
}

/// A fitted pipeline: the (deferred, cached) model and what it was fitted on.
#[derive(Clone, Debug)]
pub struct FittedPipeline {
    /// Each step with its statistics (a cached one-row table; none for a step that learns
    /// nothing).
    steps: Vec<(Step, Option<Table>)>,
    estimator: Estimator,
    features: Vec<String>,
    target: Option<String>,
    model: Table,
}

impl Pipeline {
    /// A pipeline of one estimator.
    pub fn new(estimator: Estimator) -> Pipeline {
        Pipeline { steps: Vec::new(), estimator }
    }

    /// This pipeline with `step` applied to the features after the steps already given.
    pub fn step(mut self, step: Step) -> Pipeline {
        self.steps.push(step);
        self
    }

    /// The model fitted on `train`'s `features` (and `target`; none for clustering), as a
    /// deferred, cached one-row table.
    pub fn fit(&self, train: &Table, features: &[&str], target: Option<&str>) -> Result<FittedPipeline> {
        let h = crate::functions::handles()?;
        if features.is_empty() {
            return Err(MlError::Fit("name at least one feature column".into()));
        }
        let mut args = vec![lit(self.estimator.name()), lit(params_text(&self.estimator))];
        match (self.estimator.kind(), target) {
            (Kind::Clusterer, None) => {}
            (Kind::Clusterer, Some(t)) => {
                return Err(MlError::Fit(format!(
                    "{} learns without a target; `{t}` is not used",
                    self.estimator.name()
                )));
            }
            (_, Some(t)) => args.push(col(t)),
            (_, None) => return Err(MlError::Fit(format!("{} needs a target column", self.estimator.name()))),
        }
        let mut steps = Vec::with_capacity(self.steps.len());
        let mut train = train.clone();
        let mut inputs: Vec<Feature> = features.iter().map(|f| Feature::named(f)).collect();
        for (k, step) in self.steps.iter().enumerate() {
            let prefix = step_prefix(k);
            let stats = step.fit(&train, &inputs, &prefix)?;
            let (applied, written) = step.apply(&train, stats.as_ref(), &inputs, &prefix)?;
            train = applied;
            inputs = written;
            steps.push((step.clone(), stats));
        }
        // The estimator reads what the last step wrote (the features themselves without steps).
        args.extend(inputs.iter().map(|f| col(f.column.as_str())));
        let model = train.agg([Expr::aggregate(h.fit, args).alias(MODEL_COLUMN)])?.cache(CacheStrategy::snapshot())?;
        Ok(FittedPipeline {
            steps,
            estimator: self.estimator.clone(),
            features: features.iter().map(|f| f.to_string()).collect(),
            target: target.map(str::to_string),
            model,
        })
    }
}

/// The hyperparameters as given to `fit`: every value, in name order (so equal settings give
/// the same text, the same address).
fn params_text(e: &Estimator) -> String {
    serde_json::Value::Object(e.params().clone()).to_string()
}

impl FittedPipeline {
    /// The one-row table holding the model (column [`MODEL_COLUMN`]).
    pub fn model(&self) -> &Table {
        &self.model
    }

    /// The feature columns, in the order of the fit.
    pub fn features(&self) -> &[String] {
        &self.features
    }

    /// The target column, if any.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// `test` with the prediction in column [`PREDICTED`]: the label of a classifier, the number
    /// of a regressor, the cluster of a k-means model.
    pub fn predict(&self, test: &Table) -> Result<Table> {
        let h = crate::functions::handles()?;
        let func = match self.estimator.kind() {
            Kind::Classifier => h.predict_class,
            _ => h.predict,
        };
        self.with_model(test, |inputs| {
            let mut args = vec![col(MODEL_COLUMN)];
            args.extend(inputs.iter().map(|f| col(f.as_str())));
            Expr::call_function(func, args).alias(PREDICTED)
        })
    }

    /// `test` with the probability of `label` in column `predicted_proba` (classifiers only).
    pub fn predict_proba(&self, test: &Table, label: &str) -> Result<Table> {
        if self.estimator.kind() != Kind::Classifier {
            return Err(MlError::Predict(format!("{} is not a classifier", self.estimator.name())));
        }
        let h = crate::functions::handles()?;
        self.with_model(test, |inputs| {
            let mut args = vec![col(MODEL_COLUMN), lit(label)];
            args.extend(inputs.iter().map(|f| col(f.as_str())));
            Expr::call_function(h.predict_proba, args).alias("predicted_proba")
        })
    }

    /// The features of `rows` as the steps make them, which is what the estimator reads: one
    /// column per feature, named as scikit-learn's `get_feature_names_out` names them
    /// (`bill_length_mm`, `island_Biscoe`), transformed with the training rows' statistics.
    pub fn transform(&self, rows: &Table) -> Result<Table> {
        let (transformed, inputs) = self.transformed(rows)?;
        Ok(transformed.select(inputs.iter().map(|f| col(f.column.as_str()).alias(f.name.as_str())))?)
    }

    /// `rows` with every step applied to the features, with the training rows' statistics (as
    /// extra columns), and the features the estimator reads.
    fn transformed(&self, rows: &Table) -> Result<(Table, Vec<Feature>)> {
        let mut out = rows.clone();
        let mut inputs: Vec<Feature> = self.features.iter().map(|f| Feature::named(f)).collect();
        for (k, (step, stats)) in self.steps.iter().enumerate() {
            let (applied, written) = step.apply(&out, stats.as_ref(), &inputs, &step_prefix(k))?;
            out = applied;
            inputs = written;
        }
        Ok((out, inputs))
    }

    fn with_model(&self, test: &Table, column: impl FnOnce(&[String]) -> Expr) -> Result<Table> {
        if test.schema().field(MODEL_COLUMN).is_some() {
            return Err(MlError::Predict(format!(
                "the rows to predict already have a column `{MODEL_COLUMN}`; rename it first"
            )));
        }
        // The prediction reads the transformed features; the rows come out as they were given.
        let (transformed, inputs) = self.transformed(test)?;
        let joined = transformed.cross_join(&self.model)?;
        let mut keep: Vec<Expr> = test.columns().into_iter().map(col).collect();
        let inputs: Vec<String> = inputs.into_iter().map(|f| f.column).collect();
        keep.push(column(&inputs));
        Ok(joined.select(keep)?)
    }
}
