//! Errors of `xorq-ml`, by fault.

use thiserror::Error;

/// Result type of this crate.
pub type Result<T, E = MlError> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum MlError {
    /// An estimator name this program does not implement.
    #[error("unknown estimator `{name}`; this program has {known}")]
    UnknownEstimator {
        /// The name given.
        name: String,
        /// The names it has.
        known: String,
    },
    /// A hyperparameter that is unknown or has a value this implementation does not support.
    #[error("{0}")]
    Hyperparameter(String),
    /// Fitting failed (no rows, missing values, no convergence, …).
    #[error("fitting failed: {0}")]
    Fit(String),
    /// A prediction was asked of a model that cannot give it.
    #[error("{0}")]
    Predict(String),
    /// A model document that this program cannot read.
    #[error("the model cannot be used: {0}")]
    InvalidModel(String),
    /// A split asked with impossible fractions or keys.
    #[error("{0}")]
    Split(String),
    /// The functions of this crate could not be registered.
    #[error("the ML functions could not be registered: {0}")]
    Registration(String),
    /// An error of the expression layer.
    #[error(transparent)]
    Core(#[from] xorq_core::CoreError),
}

impl From<MlError> for datafusion::error::DataFusionError {
    fn from(e: MlError) -> Self {
        datafusion::error::DataFusionError::External(Box::new(e))
    }
}
