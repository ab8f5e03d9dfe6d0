//! The one error of file operations: what was being done, to which path, and why.

use std::io;
use std::path::{Path, PathBuf};

/// Result of file operations.
pub type Result<T, E = FsError> = std::result::Result<T, E>;

/// What can go wrong with a file. Each names the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// An operating-system call failed.
    #[error("cannot {action} `{}`: {source}{}", path.display(), io_hint(source))]
    Io {
        /// What was being done (`write`, `read`, `create a staging directory in`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A path that must be a regular file is something else (a symbolic link, a directory, a
    /// pipe, a socket, a device), or was replaced while it was being opened.
    #[error("`{}` is {kind}, not a regular file; only regular files are read here\nhint: replace it with a copy of the file it should be", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is (`a symbolic link`, `a directory`, …).
        kind: &'static str,
    },
    /// A file named by the BLAKE3 of its bytes holds other bytes.
    #[error(
        "`{}` does not hold the bytes it is named by: they hash to {}, not {}; it was changed or damaged after it was written",
        path.display(), &actual[..12.min(actual.len())], &expected[..12.min(expected.len())]
    )]
    Mismatch {
        /// The file.
        path: PathBuf,
        /// The hash it should have (64 hex).
        expected: String,
        /// The hash of its bytes (64 hex).
        actual: String,
    },
}

impl FsError {
    /// An I/O error while doing `action` on `path`.
    pub fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> FsError + 'a {
        move |source| FsError::Io { action, path: path.to_path_buf(), source }
    }

    /// The path the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FsError::Io { path, .. } | FsError::NotRegular { path, .. } | FsError::Mismatch { path, .. } => path,
        }
    }
}

/// What a user can do about common I/O failures: a line starting with a newline, or nothing.
///
/// ```
/// let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
/// assert!(xorq_fs::io_hint(&full).contains("disk is full"));
/// ```
pub fn io_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::StorageFull => "\nhint: the disk is full; free some space or choose another directory",
        io::ErrorKind::ReadOnlyFilesystem => "\nhint: the file system is read-only; choose a writable directory",
        io::ErrorKind::PermissionDenied => "\nhint: check the permissions, or choose a directory you can write to",
        io::ErrorKind::NotFound => "\nhint: check that the path exists",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_stays_small() {
        assert!(std::mem::size_of::<FsError>() <= 80, "{}", std::mem::size_of::<FsError>());
    }

    #[test]
    fn messages_name_the_path() {
        let e = FsError::NotRegular { path: "/b/data/x.parquet".into(), kind: "a symbolic link" };
        assert!(e.to_string().starts_with("`/b/data/x.parquet` is a symbolic link, not a regular file"), "{e}");
        let e = FsError::Mismatch { path: "f".into(), expected: "a".repeat(64), actual: "b".repeat(64) };
        assert!(e.to_string().contains("hash to bbbbbbbbbbbb, not aaaaaaaaaaaa"), "{e}");
    }
}
