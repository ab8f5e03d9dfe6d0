//! The one error type of `xorq-exec`.

use thiserror::Error;
use xorq_core::CoreError;
use xorq_engines::EngineError;

/// Result alias for `xorq-exec`.
pub type Result<T, E = ExecError> = std::result::Result<T, E>;

/// Failures while binding, planning or running an expression.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The expression was rejected.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Lowering or parameter binding failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// DataFusion failed while running the plan (a missing file, bad data, …).
    #[error("{context}: {source}")]
    DataFusion {
        /// What was being done.
        context: String,
        /// DataFusion's error.
        #[source]
        source: Box<datafusion::error::DataFusionError>,
    },
    /// A blocking call made where it cannot block.
    #[error("{0}")]
    Runtime(String),
}

impl ExecError {
    pub(crate) fn datafusion(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        ExecError::DataFusion { context: context.into(), source: Box::new(source) }
    }
}
