//! Files that appear whole or not at all.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{FsError, Result};
use crate::interrupt::{self, Registration};
use crate::names::temp_name;

/// Prefix of the temporary files [`AtomicFile::create`] and [`replace`] make beside their
/// target (swept with [`crate::sweep`] by the next writer in that directory).
pub const TEMP_PREFIX: &str = ".tmp-xorq-";

/// Writes `bytes` to the new file `path` (it must not exist: it belongs in a fresh staging
/// directory) and syncs it to disk.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// xorq_fs::write_new(&dir.path().join("a"), b"1")?;
/// assert!(xorq_fs::write_new(&dir.path().join("a"), b"2").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = new_file(path).map_err(FsError::io("create", path))?;
    file.write_all(bytes).map_err(FsError::io("write", path))?;
    file.sync_all().map_err(FsError::io("sync", path))
}

/// Replaces (or creates) `path` with `bytes`: written to a temporary file beside it, synced,
/// renamed over it, and the directory synced, so a reader sees the old contents or the new,
/// never a part. An existing file keeps its permissions.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("a.yaml");
/// xorq_fs::replace(&path, b"x: 1\n")?;
/// xorq_fs::replace(&path, b"x: 2\n")?;
/// assert_eq!(std::fs::read(&path)?, b"x: 2\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn replace(path: &Path, bytes: &[u8]) -> Result<()> {
    let file = AtomicFile::create(path)?;
    file.file().write_all(bytes).map_err(FsError::io("write", file.path()))?;
    file.commit()
}

/// Syncs a directory's entries, so that a rename into it survives a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(FsError::io("sync", dir))
}

pub(crate) fn new_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    // Like any new file: 0666 less the umask.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
    options.open(path)
}

/// A file being written under a temporary name beside its target, renamed over the target by
/// [`AtomicFile::commit`]. Dropped without a commit, the temporary file is removed; if the
/// process dies instead, the next [`crate::sweep`] of the directory removes it.
///
/// The temporary file is locked while it lives (that is how a sweep tells it from litter) and
/// registered for [`interrupt::cleanup`]. It takes the permissions of the file it replaces, if
/// any, else those of a new file.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir()?;
/// let target = dir.path().join("result.csv");
/// let file = xorq_fs::AtomicFile::create(&target)?;
/// writeln!(file.file(), "a,b")?;
/// assert!(!target.exists());
/// file.commit()?;
/// assert_eq!(std::fs::read_to_string(&target)?, "a,b\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    temp: PathBuf,
    target: PathBuf,
    dir: PathBuf,
    file: File,
    registration: Registration,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing `target`, with a temporary name starting with [`TEMP_PREFIX`].
    pub fn create(target: &Path) -> Result<AtomicFile> {
        AtomicFile::with_prefix(target, TEMP_PREFIX)
    }

    /// Starts writing `target`, with a temporary name starting with `prefix` (which
    /// [`crate::sweep`] is given to find the litter of dead writers).
    pub fn with_prefix(target: &Path, prefix: &str) -> Result<AtomicFile> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let existing = fs::metadata(target).ok().filter(fs::Metadata::is_file);
        let mut attempt = 0;
        let (temp, file, registration) = loop {
            let temp = dir.join(temp_name(prefix));
            let registration = interrupt::register(&temp);
            match new_file(&temp) {
                Ok(file) => break (temp, file, registration),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(FsError::io("create a file in", &dir)(e)),
            }
        };
        let atomic = AtomicFile { temp, target: target.to_path_buf(), dir, file, registration, committed: false };
        // Best effort: a file system without locks leaves the sweep to the process id.
        let _ = atomic.file.try_lock();
        if let Some(m) = existing {
            fs::set_permissions(&atomic.temp, m.permissions())
                .map_err(FsError::io("set permissions of", &atomic.temp))?;
        }
        Ok(atomic)
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The file being written (write through `&File`, or clone the handle with `try_clone`).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Syncs the file, renames it over the target and syncs the directory.
    pub fn commit(mut self) -> Result<()> {
        self.file.sync_all().map_err(FsError::io("sync", &self.temp))?;
        let (temp, target) = (self.temp.clone(), self.target.clone());
        self.registration.settle(|| fs::rename(&temp, &target)).map_err(FsError::io("move into place", &target))?;
        self.committed = true;
        sync_dir(&self.dir)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_file_leaves_nothing_and_the_target_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, "old").unwrap();
        let file = AtomicFile::create(&target).unwrap();
        file.file().write_all(b"new, partial").unwrap();
        drop(file);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        replace(&target, b"new").unwrap();
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }
}
