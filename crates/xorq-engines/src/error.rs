//! The one error type of `xorq-engines`.

use thiserror::Error;
use xorq_core::{CoreError, Fault};

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
    /// A remote URL that cannot be used as written (unknown scheme, credentials in it).
    #[error("cannot use `{url}`: {message}{}", if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") })]
    RemoteUrl {
        /// The URL, without its query string.
        url: String,
        /// What is wrong with it.
        message: String,
        /// Advice, or empty.
        hint: String,
    },
    /// A request to object storage that failed (missing object or bucket, refused credentials,
    /// an endpoint that is down or too slow, an object that changed while it was read).
    #[error("cannot read `{url}`: {message}{hint}")]
    Remote {
        /// The URL, without its query string.
        url: String,
        /// What went wrong.
        message: String,
        /// Advice, starting with a newline, or empty.
        hint: String,
    },
    /// A malformed setting in the environment.
    #[error("environment variable `{name}`: {message}")]
    Config {
        /// The variable.
        name: String,
        /// What is wrong with its value.
        message: String,
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
    /// A backend profile that could not be connected (refused, unreachable, wrong credentials,
    /// an engine kind this program does not have).
    #[error("cannot connect backend profile `{profile}`{}: {message}{hint}", kind_suffix(kind))]
    Connect {
        /// The profile name.
        profile: String,
        /// The engine kind, or empty.
        kind: String,
        /// What went wrong.
        message: String,
        /// Advice, starting with a newline, or empty.
        hint: String,
    },
    /// A table that the backend does not have (any more).
    #[error(
        "table `{table}` does not exist in backend profile `{profile}`\nhint: check the name and the schema it is in; if it was dropped or renamed since the build, restore it or rebuild"
    )]
    TableNotFound {
        /// The profile name.
        profile: String,
        /// The qualified table name.
        table: String,
    },
    /// A backend that did not answer in time.
    #[error(
        "backend profile `{profile}` did not answer within {seconds:.1} s while {what}\nhint: check that the server is up; raise the limit with the profile parameter `{param}` (seconds, 0 for none)"
    )]
    Timeout {
        /// The profile name.
        profile: String,
        /// What was being done.
        what: String,
        /// The limit.
        seconds: f64,
        /// The profile parameter that sets it.
        param: String,
    },
    /// A failure inside a backend while doing something, with the engine's message.
    #[error("backend profile `{profile}`: {context}: {message}")]
    Backend {
        /// The profile name.
        profile: String,
        /// What was being done ("running the segment over `orders`").
        context: String,
        /// The engine's message.
        message: String,
    },
    /// A Ballista cluster that could not be reached or failed a query part placed on it.
    #[error("cluster profile `{profile}` ({url}): {context}: {message}")]
    Cluster {
        /// The profile name.
        profile: String,
        /// The scheduler's address.
        url: String,
        /// What was being done ("connecting to the scheduler", "running a query part").
        context: &'static str,
        /// What went wrong (the scheduler's or an executor's message), and advice on a line of
        /// its own starting with `hint:` where there is some.
        message: String,
    },
    /// A Ballista scheduler or executor started by this process that could not start or stopped.
    #[error("the Ballista {role} stopped: {message}")]
    ClusterProcess {
        /// `scheduler` or `executor`.
        role: String,
        /// Why.
        message: String,
    },
    /// An unbound input reached an engine without rows bound to it.
    #[error(
        "unbound input `{name}` is not bound to any rows\nhint: bind rows to it for the run (`Session::execute_with_inputs`), or run the expression it was unbound from"
    )]
    Unbound {
        /// The input's name.
        name: String,
    },
    /// An arithmetic operation whose result does not fit its type, or a division by zero.
    #[error(transparent)]
    Arithmetic(#[from] ArithmeticError),
    /// A broken invariant: a bug in xorq-rs (front ends add where to report it).
    #[error("internal error: {0}")]
    Internal(String),
}

/// An arithmetic operation that has no right answer in its type: integer or decimal overflow, or
/// an integer division by zero. xorq never wraps around: the run stops with this error, naming
/// the operation as the expression writes it. Cloneable, because DataFusion may hand one error
/// to several consumers of a plan.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[error("{}", describe(operation, detail))]
pub struct ArithmeticError {
    /// The operation as the expression writes it (`(amount * 1000)`, `sum(amount)`).
    pub operation: String,
    /// What the kernel found (`Overflow happened on: 9223372036854775807 + 1`).
    pub detail: String,
}

fn describe(operation: &str, detail: &str) -> String {
    if detail == "division by zero" {
        return format!(
            "division by zero in `{operation}`\nhint: guard the divisor, e.g. `x / NULLIF(y, 0)` gives NULL where y is 0"
        );
    }
    format!(
        "arithmetic overflow in `{operation}`: {detail}\nhint: the result does not fit its type; widen an operand first, e.g. CAST(x AS DECIMAL(38, 0)) or CAST(x AS DOUBLE) (xorq never wraps around silently)"
    )
}

impl EngineError {
    /// Whose fault this is: a parameter the run was given that does not exist, is missing or
    /// does not parse is the caller's (usage); a broken invariant, here or inside DataFusion, is
    /// a bug; everything else failed on what the run met (runtime).
    pub fn fault(&self) -> Fault {
        match self {
            EngineError::Core(e) => e.fault(),
            EngineError::MissingParam { .. }
            | EngineError::ParamType { .. }
            | EngineError::UnknownParam { .. }
            | EngineError::Unbound { .. }
            | EngineError::RemoteUrl { .. }
            | EngineError::Config { .. } => Fault::Usage,
            #[cfg(feature = "datafusion")]
            EngineError::DataFusion { source, .. } => datafusion_fault(source),
            EngineError::Internal(_) => Fault::Internal,
            _ => Fault::Runtime,
        }
    }
}

/// Whose fault a DataFusion error is: DataFusion's internal errors are bugs (ours, in what we
/// handed it, or its own); our errors that travelled through it keep their fault; the rest
/// (I/O, Arrow, Parquet, resources, plans of data that changed) are runtime errors.
#[cfg(feature = "datafusion")]
pub fn datafusion_fault(e: &datafusion::error::DataFusionError) -> Fault {
    use datafusion::error::DataFusionError as D;
    match e {
        D::Internal(_) => Fault::Internal,
        D::Context(_, inner) => datafusion_fault(inner),
        D::Diagnostic(_, inner) => datafusion_fault(inner),
        D::Shared(inner) => datafusion_fault(inner),
        D::Collection(errors) => errors.first().map_or(Fault::Runtime, datafusion_fault),
        D::External(inner) => {
            if let Some(ours) = inner.downcast_ref::<EngineError>() {
                ours.fault()
            } else if let Some(df) = inner.downcast_ref::<datafusion::error::DataFusionError>() {
                datafusion_fault(df)
            } else {
                Fault::Runtime
            }
        }
        _ => Fault::Runtime,
    }
}

fn kind_suffix(kind: &str) -> String {
    if kind.is_empty() { String::new() } else { format!(" ({kind})") }
}

#[cfg(feature = "datafusion")]
impl EngineError {
    /// Wraps a DataFusion error with context.
    pub fn datafusion(context: impl Into<String>, source: datafusion::error::DataFusionError) -> Self {
        EngineError::DataFusion { context: context.into(), source: Box::new(source) }
    }
}

#[cfg(all(test, feature = "datafusion"))]
mod tests {
    use datafusion::error::DataFusionError;

    use super::*;

    #[test]
    fn faults_follow_the_error_through_datafusion() {
        let unknown = || EngineError::UnknownParam { name: "x".into(), known: "`y`".into(), suggestion: String::new() };
        assert_eq!(unknown().fault(), Fault::Usage);
        assert_eq!(EngineError::Internal("x".into()).fault(), Fault::Internal);
        assert_eq!(EngineError::Core(CoreError::Internal("x".into())).fault(), Fault::Internal);
        let through =
            DataFusionError::Context("running".into(), Box::new(DataFusionError::External(Box::new(unknown()))));
        assert_eq!(datafusion_fault(&through), Fault::Usage);
        assert_eq!(datafusion_fault(&DataFusionError::Internal("lost".into())), Fault::Internal);
        let shared = DataFusionError::Shared(std::sync::Arc::new(DataFusionError::Internal("lost".into())));
        assert_eq!(datafusion_fault(&shared), Fault::Internal);
        let io = DataFusionError::IoError(std::io::Error::other("disk full"));
        assert_eq!(EngineError::datafusion("reading", io).fault(), Fault::Runtime);
    }
}
