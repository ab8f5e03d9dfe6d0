//! The CLI's errors and how they map to exit codes: 1 for a runtime failure, 2 for input the
//! user must change (a bad flag, a parameter that does not exist or does not parse).

use std::io;
use std::path::PathBuf;

use xorq::CoreError;
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
    /// A check found damage (it is listed above the error).
    #[error("{0}")]
    CheckFailed(String),
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

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        let param = |e: &EngineError| {
            matches!(
                e,
                EngineError::UnknownParam { .. } | EngineError::ParamType { .. } | EngineError::MissingParam { .. }
            )
        };
        match self {
            CliError::Usage(_) => 2,
            CliError::Catalog(e) if e.is_usage() => 2,
            CliError::Engine(e) if param(e) => 2,
            CliError::Exec(ExecError::Engine(e)) if param(e) => 2,
            _ => 1,
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
    if verbose {
        for cause in causes {
            out.push_str(&format!("  caused by: {cause}\n"));
        }
    } else if !causes.is_empty() {
        out.push_str("  (run with -v for the chain of causes)\n");
    }
    out
}
