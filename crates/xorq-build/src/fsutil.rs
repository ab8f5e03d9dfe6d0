//! Small file-system helpers with build errors. The rules themselves (whole or absent, synced
//! before visible, regular files only) live in `xorq-fs`; these name their paths in a
//! [`BuildError`].

use std::fs;
use std::path::Path;

use crate::error::{BuildError, Result};

/// Writes `bytes` to `path` (a new file in a staging directory) and syncs it.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(xorq_fs::write_new(path, bytes)?)
}

/// Reads a whole text file, naming it on failure.
pub fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(BuildError::io("read", path))
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(BuildError::io("create directory", dir))
}

/// Replaces (or creates) `path` with `bytes`, atomically (see [`xorq_fs::replace`]).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.yaml");
/// xorq_build::fsutil::replace_file(&path, b"x: 1\n")?;
/// assert_eq!(std::fs::read(&path)?, b"x: 1\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    Ok(xorq_fs::replace(path, bytes)?)
}

/// Copies the regular file `from` to the new file `to` and syncs the copy; returns its size. A
/// symbolic link or special file is refused, naming it.
pub fn copy_synced(from: &Path, to: &Path) -> Result<u64> {
    Ok(xorq_fs::copy_file(from, to)?.1)
}

/// Syncs a directory's entries (so a rename into it survives a crash). Best effort on systems
/// where directories cannot be opened.
pub fn sync_dir(dir: &Path) {
    let _ = xorq_fs::sync_dir(dir);
}
