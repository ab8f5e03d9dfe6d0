//! Errors of writing and reading builds.

use std::io;
use std::path::{Path, PathBuf};

use xorq_core::{CoreError, Fault};
use xorq_engines::EngineError;
use xorq_exec::ExecError;

/// Result of build operations.
pub type Result<T, E = BuildError> = std::result::Result<T, E>;

/// What can go wrong writing or reading a build directory. Each names the file or directory.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The expression itself (schema, manifest) is at fault.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Probing or lowering for an engine failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Running the expression failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// A file of the build is not what it should be (a link, other bytes), or cannot be read
    /// or written.
    #[error(transparent)]
    File(#[from] xorq_fs::FsError),
    /// A file-system operation failed.
    #[error("cannot {action} `{}`: {source}{}", path.display(), io_hint(source))]
    Io {
        /// What was being done (`write`, `read`, `create directory`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A directory whose path is not UTF-8, where the engines would have to read files by it.
    #[error(
        "{what} `{}` has a path that is not valid UTF-8, and the engines read files by UTF-8 paths\nhint: move or rename it (or the directory holding it) to a UTF-8 name",
        path.display()
    )]
    NotUtf8 {
        /// What it is: `the builds directory`, `the build directory`.
        what: &'static str,
        /// The path (shown lossily).
        path: PathBuf,
    },
    /// A build directory (or a file in it) is missing, malformed or inconsistent.
    #[error("`{}` is not a usable build: {message}", path.display())]
    InvalidBuild {
        /// The build directory or the offending file in it.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Reading or writing Parquet (memtables) failed.
    #[error("{context} `{}`: {message}", path.display())]
    Parquet {
        /// What was being done.
        context: &'static str,
        /// The file.
        path: PathBuf,
        /// The Parquet/Arrow error.
        message: String,
    },
    /// A backend table's profile was not given to the build.
    #[error(
        "the expression uses backend profile `{profile}` ({used_for}), but no profile with that name was given to the build\nhint: connect the backend under the name `{profile}` and pass its profile"
    )]
    MissingProfile {
        /// Profile name.
        profile: String,
        /// What uses it: "reads table `orders`", "moves rows into it".
        used_for: String,
    },
    /// Rendering a debug artifact failed.
    #[error("{0}")]
    Debug(String),
}

impl BuildError {
    /// Whose fault this is (see [`Fault`]): what it wraps decides; a build's own failures (a
    /// file, a malformed or tampered build, a missing profile) are runtime errors.
    pub fn fault(&self) -> Fault {
        match self {
            BuildError::Core(e) => e.fault(),
            BuildError::Engine(e) => e.fault(),
            BuildError::Exec(e) => e.fault(),
            _ => Fault::Runtime,
        }
    }

    /// An I/O error while doing `action` on `path`.
    pub fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> BuildError + 'a {
        move |source| BuildError::Io { action, path: path.to_path_buf(), source }
    }

    /// Whether this is a file or directory that does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            BuildError::Io { source, .. } | BuildError::File(xorq_fs::FsError::Io { source, .. }) => {
                source.kind() == io::ErrorKind::NotFound
            }
            _ => false,
        }
    }

    /// A build that cannot be used as it is.
    pub fn invalid(path: &Path, message: impl Into<String>) -> BuildError {
        BuildError::InvalidBuild { path: path.to_path_buf(), message: message.into() }
    }
}

/// What a user can do about common I/O failures: a line starting with a newline, or nothing.
pub fn io_hint(e: &io::Error) -> &'static str {
    xorq_fs::io_hint(e)
}
