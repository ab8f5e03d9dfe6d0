//! The one error type of `xorq-serve`.

use thiserror::Error;
use xorq_core::Fault;
use xorq_exec::ExecError;

/// Result alias for `xorq-serve`.
pub type Result<T, E = ServeError> = std::result::Result<T, E>;

/// Failures while starting or running a server.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound (in use, not permitted, not an address of this host).
    #[error("cannot listen on {address}: {source}\nhint: choose another `--port` (or `--port 0` for a free one)")]
    Bind {
        /// What was asked.
        address: String,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// The served expression cannot be served as given.
    #[error("{0}")]
    Setup(String),
    /// Planning or running the expression failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The server stopped on an error of the transport.
    #[error("the Flight server stopped: {0}")]
    Transport(String),
}

impl ServeError {
    /// Whose fault this is (see [`Fault`]).
    pub fn fault(&self) -> Fault {
        match self {
            ServeError::Exec(e) => e.fault(),
            ServeError::Setup(_) => Fault::Usage,
            ServeError::Bind { .. } | ServeError::Transport(_) => Fault::Runtime,
        }
    }
}
