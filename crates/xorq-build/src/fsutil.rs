//! Small file-system helpers: every write is complete and synced before it is made visible.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use crate::error::{BuildError, Result};

/// Writes `bytes` to `path` (a new file in a staging directory) and syncs it to disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = File::create(path).map_err(BuildError::io("create", path))?;
    file.write_all(bytes).map_err(BuildError::io("write", path))?;
    file.sync_all().map_err(BuildError::io("sync", path))
}

/// Reads a whole text file, naming it on failure.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(BuildError::io("read", path))
}

/// Creates `dir` and its parents.
pub(crate) fn create_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(BuildError::io("create directory", dir))
}

/// Syncs a directory's entries (so a rename into it survives a crash). Best effort on systems
/// where directories cannot be opened.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
