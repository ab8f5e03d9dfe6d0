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
    /// The cache directory or an entry in it could not be read or written.
    #[error("cannot {action} `{}`: {source}", path.display())]
    CacheIo {
        /// What was being done (`create`, `read`, …).
        action: String,
        /// The file or directory.
        path: std::path::PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A cache node that cannot be used as asked (a strategy its sources do not support, an
    /// unknown storage, a malformed entry name).
    #[error("{0}")]
    Cache(String),
}

impl ExecError {
    pub(crate) fn datafusion(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        ExecError::DataFusion { context: context.into(), source: Box::new(source) }
    }
}
