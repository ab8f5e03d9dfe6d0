//! Small file-system helpers: every write is complete and synced before it is made visible.
//! Shared with the catalog, which keeps builds the same way.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::{BuildError, Result};

/// Writes `bytes` to `path` (a new file in a staging directory) and syncs it to disk.
pub fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(BuildError::io("create", path))?;
    file.write_all(bytes).map_err(BuildError::io("write", path))?;
    file.sync_all().map_err(BuildError::io("sync", path))
}

/// Reads a whole text file, naming it on failure.
pub fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(BuildError::io("read", path))
}

/// Creates `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(BuildError::io("create directory", dir))
}

/// Replaces (or creates) `path` with `bytes`: written to a temporary file beside it, synced, then
/// renamed over it, so a reader sees the old contents or the new, never a part.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.yaml");
/// xorq_build::fsutil::replace_file(&path, b"x: 1\n")?;
/// assert_eq!(std::fs::read(&path)?, b"x: 1\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut temp =
        tempfile::Builder::new().prefix(".tmp-").tempfile_in(dir).map_err(BuildError::io("create a file in", dir))?;
    temp.write_all(bytes).map_err(BuildError::io("write", path))?;
    temp.as_file().sync_all().map_err(BuildError::io("sync", path))?;
    temp.persist(path).map_err(|e| BuildError::Io {
        action: "move into place",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    sync_dir(dir);
    Ok(())
}

/// Copies the file `from` to `to` (a new file) and syncs the copy; returns its size.
pub fn copy_synced(from: &Path, to: &Path) -> Result<u64> {
    let size = fs::copy(from, to).map_err(BuildError::io("copy", from))?;
    File::open(to).and_then(|f| f.sync_all()).map_err(BuildError::io("sync", to))?;
    Ok(size)
}

/// Syncs a directory's entries (so a rename into it survives a crash). Best effort on systems
/// where directories cannot be opened.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
