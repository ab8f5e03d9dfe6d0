//! The one error type of `xorq-engines`.

use thiserror::Error;
use xorq_core::CoreError;

/// Result alias for `xorq-engines`.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

/// Failures while probing sources or lowering an expression for an engine.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The expression itself was rejected.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A source whose schema could not be read.
    #[error("cannot read the schema of `{path}`: {message}{hint}")]
    Probe {
        /// The file or URL.
        path: String,
        /// What went wrong.
        message: String,
        /// Advice, starting with a newline, or empty.
        hint: String,
    },
    /// A source whose schema no longer matches the one recorded when the expression was built.
    #[error(
        "source `{path}` changed since the expression was built: {detail}\nhint: rebuild the expression against the new file, or restore the file"
    )]
    SourceChanged {
        /// The file.
        path: String,
        /// The first difference, column by column.
        detail: String,
    },
    /// A parameter without a value at run time.
    #[error(
        "parameter `{name}` has no value and no default\nhint: bind it, e.g. `-p {name}=...` on the command line or `Params::new().set(\"{name}\", ...)`"
    )]
    MissingParam {
        /// The parameter.
        name: String,
    },
    /// A bound parameter value of the wrong type.
    #[error("parameter `{name}` is `{expected}`, but the value given is {value}")]
    ParamType {
        /// The parameter.
        name: String,
        /// Its declared type.
        expected: String,
        /// The value given.
        value: String,
    },
    /// A bound parameter that the expression does not declare.
    #[error("unknown parameter `{name}`{suggestion}\nparameters of this expression: {known}")]
    UnknownParam {
        /// The name given.
        name: String,
        /// Declared parameters.
        known: String,
        /// "; did you mean …" or empty.
        suggestion: String,
    },
    /// Something this engine cannot run.
    #[error("{engine} cannot run {what}{hint}")]
    Unsupported {
        /// Engine name.
        engine: String,
        /// The operation or source.
        what: String,
        /// Advice, starting with a newline, or empty.
        hint: String,
    },
    /// An operation that an SQL dialect cannot express, found before any SQL is written.
    #[error("{what} cannot be written in {dialect} SQL{hint}")]
    DialectUnsupported {
        /// The dialect (`Snowflake`).
        dialect: String,
        /// The operation, as the expression names it.
        what: String,
        /// Advice, starting with a newline, or empty.
        hint: String,
    },
    /// An error from DataFusion while planning, with what we were doing.
    #[cfg(feature = "datafusion")]
    #[error("{context}: {source}")]
    DataFusion {
        /// What was being done (e.g. "lowering Join").
        context: String,
        /// DataFusion's error.
        #[source]
        source: Box<datafusion::error::DataFusionError>,
    },
    /// A backend table named where no backend profile of that name is connected.
    #[error(
        "`{table}` names a table of backend profile `{profile}`, but no backend profile `{profile}` is connected\nhint: read files with read_parquet('…'), read_csv('…') or read_json('…'), or connect the profile"
    )]
    NotConnected {
        /// The profile name.
        profile: String,
        /// The qualified table name as written.
        table: String,
    },
    /// SQL that could not be parsed or planned, or that uses something the IR cannot express, at a
    /// 1-based line and column of the SQL text (the caller prefixes the file name:
    /// `pipeline.sql:3:14: function `foo` is not supported`).
    #[error("{line}:{column}: {message}")]
    Sql {
        /// What is wrong, naming the construct.
        message: String,
        /// 1-based line in the SQL text.
        line: u64,
        /// 1-based column in the SQL text.
        column: u64,
    },
    /// A broken invariant: a bug in xorq-rs.
    #[error("internal error: {0}\nthis is a bug in xorq-rs; please report it")]
    Internal(String),
}

#[cfg(feature = "datafusion")]
impl EngineError {
    /// Wraps a DataFusion error with context.
    pub fn datafusion(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        EngineError::DataFusion { context: context.into(), source: Box::new(source) }
    }
}
