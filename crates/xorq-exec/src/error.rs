//! The one error type of `xorq-exec`.

use thiserror::Error;
use xorq_core::{CoreError, Fault};
use xorq_engines::{ArithmeticError, EngineError};

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
    /// The async runtime could not start (an environment failure).
    #[error("{0}")]
    Runtime(String),
    /// A blocking call made inside an async runtime, where it cannot block (the caller's error).
    #[error("{0}")]
    Blocking(String),
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
    /// Rows bound to an unbound input that do not fit it, or an input left unbound.
    #[error("unbound input `{input}` {message}")]
    Input {
        /// The input's name.
        input: String,
        /// What is wrong, and what to do.
        message: String,
    },
    /// Arrow IPC rows that cannot be read (not Arrow, truncated, unreadable).
    #[error("the Arrow IPC rows in {source_name} {message}")]
    Ipc {
        /// Where the rows come from (`stdin`, a path).
        source_name: String,
        /// What is wrong, and what to do.
        message: String,
    },
    /// A broken invariant: a bug in xorq-rs (front ends add where to report it).
    #[error("internal error: {0}")]
    Internal(String),
}

impl ExecError {
    /// Whose fault this is (see [`Fault`]): a blocking call made inside an async runtime is the
    /// caller's; DataFusion's internal errors and our own broken invariants are bugs; the rest
    /// failed on what the run met.
    pub fn fault(&self) -> Fault {
        match self {
            ExecError::Core(e) => e.fault(),
            ExecError::Engine(e) => e.fault(),
            ExecError::DataFusion { source, .. } => xorq_engines::datafusion_fault(source),
            ExecError::Blocking(_) | ExecError::Input { .. } => Fault::Usage,
            ExecError::Internal(_) => Fault::Internal,
            ExecError::Runtime(_) | ExecError::CacheIo { .. } | ExecError::Cache(_) | ExecError::Ipc { .. } => {
                Fault::Runtime
            }
        }
    }

    /// Wraps a DataFusion error with context; our own errors that travelled through DataFusion
    /// (a backend segment failing inside a local plan) come back out as themselves.
    pub(crate) fn datafusion(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        use datafusion::error::DataFusionError as D;
        let source = match source {
            D::External(inner) => match inner.downcast::<ExecError>() {
                Ok(ours) => return *ours,
                Err(inner) => match inner.downcast::<EngineError>() {
                    Ok(ours) => return ExecError::Engine(*ours),
                    Err(inner) => match inner.downcast::<ArithmeticError>() {
                        Ok(ours) => return ExecError::Engine(EngineError::Arithmetic(*ours)),
                        Err(inner) => D::External(inner),
                    },
                },
            },
            // One error handed to several consumers of a plan (a repartition's outputs).
            D::Shared(shared) => {
                if let D::External(inner) = shared.find_root()
                    && let Some(ours) = inner.downcast_ref::<ArithmeticError>()
                {
                    return ExecError::Engine(EngineError::Arithmetic(ours.clone()));
                }
                D::Shared(shared)
            }
            D::Context(what, inner) => match ExecError::datafusion(what.clone(), *inner) {
                ExecError::DataFusion { source, .. } => D::Context(what, source),
                ours => return ours,
            },
            other => other,
        };
        ExecError::DataFusion { context: context.into(), source: Box::new(source) }
    }
}
