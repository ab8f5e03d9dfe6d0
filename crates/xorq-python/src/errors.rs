//! Our errors as Python exceptions, by fault, with the Rust messages.
//!
//! - `SchemaError`: an expression rejected while it is built (a missing column, with "did you
//!   mean", a type that does not fit): raised by the line that wrote it.
//! - `UsageError`: a request that must change (an unknown name, a bad argument).
//! - `ExecutionError`: a well-formed request that failed on what it met (data, files, engines,
//!   a damaged artifact).
//! - `InternalError`: a bug in xorq-rs.
//!
//! All derive from `XorqError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use xorq::Fault;

create_exception!(xorq_rs, XorqError, PyException, "Any error of xorq-rs.");
create_exception!(xorq_rs, SchemaError, XorqError, "An expression rejected while it was built.");
create_exception!(xorq_rs, UsageError, XorqError, "A request that must change: a name, an argument, a flag.");
create_exception!(xorq_rs, ExecutionError, XorqError, "A request that failed on what it met while running.");
create_exception!(xorq_rs, InternalError, XorqError, "A bug in xorq-rs; please report it.");

/// Adds the exception classes to the module.
pub(crate) fn add(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("XorqError", py.get_type::<XorqError>())?;
    m.add("SchemaError", py.get_type::<SchemaError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("ExecutionError", py.get_type::<ExecutionError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// The exception of an error of the library (building, probing, running).
pub(crate) fn to_py(e: impl Into<xorq::Error>) -> PyErr {
    let e: xorq::Error = e.into();
    let message = e.to_string();
    match (&e, e.fault()) {
        (xorq::Error::Core(_), Fault::Usage | Fault::Runtime) => SchemaError::new_err(message),
        (_, Fault::Usage) => UsageError::new_err(message),
        (_, Fault::Runtime) => ExecutionError::new_err(message),
        (_, Fault::Internal) => InternalError::new_err(message),
    }
}

/// The exception of a build error (writing or loading a build).
pub(crate) fn build_to_py(e: xorq_build::BuildError) -> PyErr {
    let message = e.to_string();
    match e.fault() {
        Fault::Usage => UsageError::new_err(message),
        Fault::Runtime => ExecutionError::new_err(message),
        Fault::Internal => InternalError::new_err(message),
    }
}

/// The exception of an ML error: an unknown estimator, hyperparameter or split is the caller's
/// to change; a fit or prediction that failed on the data ran; the rest as the core says.
pub(crate) fn ml_to_py(e: xorq::ml::MlError) -> PyErr {
    use xorq::ml::MlError;
    let message = e.to_string();
    match e {
        MlError::UnknownEstimator { .. } | MlError::Hyperparameter(_) | MlError::Split(_) => {
            UsageError::new_err(message)
        }
        MlError::Fit(_) | MlError::Predict(_) | MlError::InvalidModel(_) => ExecutionError::new_err(message),
        MlError::Registration(_) => InternalError::new_err(message),
        MlError::Core(core) => to_py(core),
        // A kind added later: it ran and failed, unless it says otherwise.
        _ => ExecutionError::new_err(message),
    }
}
