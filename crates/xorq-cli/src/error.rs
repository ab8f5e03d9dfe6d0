//! The CLI's errors and how they map to exit codes, from their [`Fault`]: 2 for a usage error
//! (a bad flag, a parameter that does not exist or does not parse, a name that breaks the
//! rules), 1 for a runtime failure, 1 for a bug (and the report asks for a bug report).

use std::io;
use std::path::PathBuf;

use xorq::{BUG_REPORT, CoreError, Fault};
use xorq_build::BuildError;
use xorq_catalog::CatalogError;
use xorq_engines::EngineError;
use xorq_exec::ExecError;

/// Result of a command.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line asks for something impossible; exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Writing or reading a build.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// Running an expression.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The catalog.
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// Planning for an engine (SQL front end, probing).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The expression itself.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// A pipeline file's SQL, at a position.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Sql {
        /// The SQL file.
        file: PathBuf,
        /// 1-based line.
        line: u64,
        /// 1-based column.
        column: u64,
        /// What is wrong.
        message: String,
    },
    /// A file the CLI reads or writes itself.
    #[error("cannot {action} `{}`: {source}{}", path.display(), xorq_build::error::io_hint(source))]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file the CLI writes or reads is not what it should be, or cannot be written.
    #[error(transparent)]
    File(#[from] xorq_fs::FsError),
    /// Serving over Arrow Flight.
    #[cfg(feature = "serve")]
    #[error(transparent)]
    Serve(#[from] xorq_serve::ServeError),
    /// A check found damage (it is listed above the error).
    #[error("{0}")]
    CheckFailed(String),

    /// A Python pipeline script could not give its expression: no Python with `xorq_rs`, or
    /// the script raised (its traceback is printed above the error).
    #[error("{}: {message}", script.display())]
    PythonScript { script: PathBuf, message: String },
    /// The project file (`xorq.yaml`) is malformed; exit code 2.
    #[error("{}: {message}", file.display())]
    Project {
        /// The project file.
        file: PathBuf,
        /// What is wrong, and what to write.
        message: String,
    },
    /// A broken invariant of the CLI itself: a bug.
    #[error("internal error: {0}")]
    Internal(String),
    /// Something the command must read cannot be read (`catalog rebase`: a source); exit
    /// code 2, nothing written.
    #[error("cannot read {what}: {message}")]
    Unreadable {
        /// What could not be read.
        what: String,
        /// Why, and what to do.
        message: String,
    },
    /// The expression no longer fits its inputs (`catalog rebase` over changed sources); exit
    /// code 4, nothing written.
    #[error("{0}")]
    Conflict(String),
    /// The terminal an interactive command draws on (`catalog tui`) failed.
    #[error("the terminal failed: {0}; the same information is printed by `xorq catalog list`, `show` and `lineage`")]
    Terminal(io::Error),
    /// Encoding the output.
    #[error("writing {format} output failed: {message}")]
    Output {
        /// Output format.
        format: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl CliError {
    /// An I/O error on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> CliError {
        let path = path.into();
        move |source| CliError::Io { action, path, source }
    }

    /// Whose fault this is (see [`Fault`]): what it wraps decides; the CLI's own usage errors
    /// are usage, its broken invariants bugs, everything else runtime.
    pub fn fault(&self) -> Fault {
        match self {
            CliError::Usage(_) | CliError::Project { .. } => Fault::Usage,
            CliError::Internal(_) => Fault::Internal,
            CliError::Build(e) => e.fault(),
            CliError::Exec(e) => e.fault(),
            CliError::Catalog(e) => e.fault(),
            CliError::Engine(e) => e.fault(),
            CliError::Core(e) => e.fault(),
            #[cfg(feature = "serve")]
            CliError::Serve(e) => e.fault(),
            CliError::Sql { .. }
            | CliError::Io { .. }
            | CliError::File(_)
            | CliError::CheckFailed(_)
            | CliError::PythonScript { .. }
            | CliError::Terminal(_)
            | CliError::Unreadable { .. }
            | CliError::Conflict(_)
            | CliError::Output { .. } => Fault::Runtime,
        }
    }

    /// The process exit code for this error: 2 for a usage error, 1 otherwise; a command whose
    /// exit status carries its result keeps its documented codes (`catalog check-sources`: 3 a
    /// source changed, 2 a source could not be read, as in the Python tool; `catalog rebase`: 2
    /// a source could not be read, 4 the expression no longer fits its sources).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Catalog(CatalogError::Drift { changed, .. }) if *changed > 0 => 3,
            CliError::Catalog(CatalogError::Drift { .. }) => 2,
            CliError::Unreadable { .. } => 2,
            CliError::Conflict(_) => 4,
            _ => self.fault().exit_code(),
        }
    }

    /// Whether this is stdout closing early (`xorq run … | head`), which is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = source {
            if let Some(io) = e.downcast_ref::<io::Error>()
                && io.kind() == io::ErrorKind::BrokenPipe
            {
                return true;
            }
            source = e.source();
        }
        matches!(self, CliError::Output { message, .. } if message.contains("Broken pipe"))
    }
}

/// Prints `error` as one paragraph on stderr; with `verbose`, the chain of causes under it.
pub fn report(error: &CliError, verbose: bool) {
    eprint!("{}", render(error, verbose));
}

/// The text [`report`] prints. A cause whose message is already part of what is shown (errors
/// that wrap another often repeat its message) is not repeated.
pub fn render(error: &CliError, verbose: bool) -> String {
    let text = error.to_string();
    let mut out = String::new();
    let mut lines = text.lines();
    if let Some(first) = lines.next() {
        out.push_str(&format!("error: {first}\n"));
    }
    for line in lines {
        out.push_str(&format!("  {line}\n"));
    }
    let mut shown = text.clone();
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        let cause = e.to_string();
        if !cause.trim().is_empty() && !shown.contains(cause.trim()) {
            shown.push('\n');
            shown.push_str(&cause);
            causes.push(cause);
        }
        source = e.source();
    }
    if error.fault().is_bug() {
        out.push_str(&format!("  {BUG_REPORT}\n"));
    }
    if verbose {
        for cause in causes {
            out.push_str(&format!("  caused by: {cause}\n"));
        }
    } else if !causes.is_empty() {
        out.push_str("  (run with -v for the chain of causes)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_come_from_the_fault() {
        assert_eq!(CliError::Usage("bad flag".into()).exit_code(), 2);
        let unknown = EngineError::UnknownParam { name: "x".into(), known: "`y`".into(), suggestion: String::new() };
        // However deep the parameter error is wrapped, it is the caller's.
        assert_eq!(CliError::Build(BuildError::Exec(ExecError::Engine(unknown))).exit_code(), 2);
        assert_eq!(CliError::CheckFailed("1 problem".into()).exit_code(), 1);
        assert_eq!(CliError::Core(CoreError::Internal("lost".into())).exit_code(), 1);
        assert_eq!(CliError::Catalog(CatalogError::Drift { changed: 1, unreachable: 1 }).exit_code(), 3);
        assert_eq!(CliError::Catalog(CatalogError::Drift { changed: 0, unreachable: 1 }).exit_code(), 2);
    }

    #[test]
    fn a_bug_asks_for_a_report_and_nothing_else_does() {
        let bug = render(&CliError::Exec(ExecError::Internal("lost a node".into())), false);
        assert_eq!(bug, format!("error: internal error: lost a node\n  {BUG_REPORT}\n"));
        let usage = render(&CliError::Usage("`-p` given twice".into()), false);
        assert!(!usage.contains("report"), "{usage}");
    }
}
