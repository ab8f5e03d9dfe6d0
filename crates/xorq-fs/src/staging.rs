//! Staging directories: a directory of files filled beside its final place and published with
//! one rename.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use crate::atomic::sync_dir;
use crate::error::{FsError, Result};
use crate::interrupt::{self, Registration};
use crate::names::temp_name;

/// A directory being filled under a temporary name (`<prefix><pid>-<random>`) in the directory
/// that will hold it. Dropped unpublished, it is removed; if the process dies instead, the next
/// [`crate::sweep`] with the same prefix removes it. While it lives it is locked (an OS lock on
/// the directory) and registered for [`interrupt::cleanup`].
///
/// Files written into it should be synced ([`crate::write_new`], [`crate::copy_file`] do);
/// [`Staging::publish`] syncs the directory, renames it and syncs its parent.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    _lock: Option<File>,
    registration: Registration,
    published: bool,
}

/// How [`Staging::publish`] ended.
#[derive(Debug)]
#[must_use]
pub enum Published {
    /// The directory is in place.
    Done,
    /// The target exists (another process published first); the staging directory is handed
    /// back unpublished, to be dropped (removed) or published again once the target is gone.
    TargetExists(Staging),
}

impl Staging {
    /// Creates a staging directory in `parent` (which must exist), named `<prefix><pid>-<random>`.
    pub fn new_in(parent: &Path, prefix: &str) -> Result<Staging> {
        let mut attempt = 0;
        loop {
            let path = parent.join(temp_name(prefix));
            let registration = interrupt::register(&path);
            match fs::create_dir(&path) {
                Ok(()) => {
                    // Best effort: where directories cannot be locked, the sweep relies on the
                    // process id in the name.
                    let lock = File::open(&path).ok().filter(|d| d.try_lock().is_ok());
                    return Ok(Staging { path, _lock: lock, registration, published: false });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
                Err(e) => return Err(FsError::io("create a staging directory in", parent)(e)),
            }
        }
    }

    /// The staging directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Publishes the directory as `target` (in the same parent directory): syncs it, renames it,
    /// syncs the parent. A target that exists already is not replaced:
    /// [`Published::TargetExists`] hands the staging directory back.
    pub fn publish(mut self, target: &Path) -> Result<Published> {
        sync_dir(&self.path)?;
        let path = self.path.clone();
        match self.registration.settle(|| fs::rename(&path, target)) {
            Ok(()) => {
                self.published = true;
                if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                    sync_dir(parent)?;
                }
                Ok(Published::Done)
            }
            // A rename never replaces a directory that has entries.
            Err(_) if target.exists() => Ok(Published::TargetExists(self)),
            Err(e) => Err(FsError::io("move the finished directory to", target)(e)),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_publisher_wins_and_the_second_is_handed_back() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("entry");
        let a = Staging::new_in(dir.path(), ".s-").unwrap();
        let b = Staging::new_in(dir.path(), ".s-").unwrap();
        crate::write_new(&a.path().join("f"), b"a").unwrap();
        crate::write_new(&b.path().join("f"), b"b").unwrap();
        assert!(matches!(a.publish(&target).unwrap(), Published::Done));
        let Published::TargetExists(b) = b.publish(&target).unwrap() else { panic!("b replaced a") };
        drop(b);
        assert_eq!(std::fs::read(target.join("f")).unwrap(), b"a");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "the loser's staging directory is gone");
    }

    #[test]
    fn a_dropped_staging_directory_is_removed_and_unregistered() {
        let dir = tempfile::tempdir().unwrap();
        let staging = Staging::new_in(dir.path(), ".s-").unwrap();
        let path = staging.path().to_path_buf();
        assert!(interrupt::registered().contains(&path));
        drop(staging);
        assert!(!path.exists());
        assert!(!interrupt::registered().contains(&path));
    }
}
