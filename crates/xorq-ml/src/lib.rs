//! Machine learning inside xorq expressions (SPEC §10): a feature is a computation, and so is a
//! model.
//!
//! - [`split`]: `train_test_split`, deterministic and hash-based on key columns, so a row lands
//!   in the same split on every run whatever engine holds the data.
//! - [`estimator`]: scikit-learn's estimators by name and hyperparameters, fitted with `linfa`.
//! - [`model`]: a fitted model as data (a versioned JSON document, never code).
//! - [`functions`]: `fit` (an aggregate whose value is the model) and `predict`,
//!   `predict_class`, `predict_proba` (scalar functions reading it), registered like any
//!   function, so they are addressed, written to `expr.yaml` and usable from SQL.
//! - [`metrics`]: accuracy, precision, recall, F1, ROC AUC, R², MAE, RMSE as deferred
//!   one-row tables over a predicted table.
//! - [`steps`]: `StandardScaler`, `MinMaxScaler`, `SimpleImputer`, `OneHotEncoder` before the estimator, fitted
//!   as aggregates on the training rows and applied to any rows.
//! - [`pipeline`]: the table API: `Pipeline::new(estimator).fit(&train, features, target)`,
//!   then `.predict(&test)`; the fit is cached, keyed by the training expression's address and
//!   the hyperparameters.
//!
//! Call [`register`] once at start-up (the `xorq` binary does) before building or loading
//! expressions that use these functions.

pub mod error;
pub mod estimator;
pub mod functions;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod split;
pub mod steps;

pub use error::{MlError, Result};
pub use estimator::Estimator;
pub use functions::register;
pub use pipeline::{FittedPipeline, Pipeline};
pub use split::{train_test_split, train_test_splits};
