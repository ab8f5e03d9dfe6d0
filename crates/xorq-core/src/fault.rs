//! Whose fault an error is, so every front end reacts to it the same way.
//!
//! Each crate's error enum answers `fault()`; the CLI takes its exit code from the answer instead
//! of matching nested variants, and the Python bindings map the same three categories to their
//! exception classes.

use std::fmt;

/// Whose fault an error is.
///
/// ```
/// use xorq_core::{CoreError, Fault};
///
/// let missing = CoreError::column_not_found("amuont", "Filter input", ["amount"]);
/// assert_eq!(missing.fault(), Fault::Runtime);
/// assert_eq!(Fault::Usage.exit_code(), 2);
/// assert!(CoreError::Internal("lost a node".into()).fault().is_bug());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The request itself must change: a flag, a parameter's name or value, a name given on the
    /// command line, an API called where it cannot be. Exit code 2.
    Usage,
    /// The request was well formed, and failed on what it met: the pipeline's own logic (a
    /// missing column, a type that does not fit), its data, files, engines, the network, the
    /// disk, a damaged or hand-edited artifact. Exit code 1.
    Runtime,
    /// A bug in xorq-rs: an invariant did not hold. Exit code 1, and the report asks for a bug
    /// report.
    Internal,
}

impl Fault {
    /// The process exit code of a command that failed with this fault: 2 for usage, 1 otherwise.
    pub fn exit_code(self) -> u8 {
        match self {
            Fault::Usage => 2,
            Fault::Runtime | Fault::Internal => 1,
        }
    }

    /// Whether the error is a bug in xorq-rs.
    pub fn is_bug(self) -> bool {
        self == Fault::Internal
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::Usage => "usage error",
            Fault::Runtime => "runtime error",
            Fault::Internal => "internal error",
        })
    }
}

/// What a front end adds under an internal error: where to report it.
pub const BUG_REPORT: &str = "this is a bug in xorq-rs: please report it at \
     https://github.com/xorq-labs/xorq-rs/issues with the command and `xorq --version`";
