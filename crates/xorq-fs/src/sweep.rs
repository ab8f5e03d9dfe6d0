//! Removing what processes that are gone left behind.

use std::fs::{self, File};
use std::path::Path;
use std::time::Duration;

use crate::names::owner_pid;

/// Without a way to tell whether a name's owner lives (no process table, no locks), its litter is
/// removed once this old.
const ABANDONED: Duration = Duration::from_secs(24 * 3600);
/// With a free lock but no process table, a name is taken as abandoned once this old: its owner
/// locks it a moment after creating it.
const UNLOCKED: Duration = Duration::from_secs(60);

/// Removes the temporary files and staging directories in `dir` whose names start with
/// `prefix` and whose owners are gone: nobody holds the lock on them and the process id in their
/// name is not running. What a live process is writing is never touched. Best effort (a
/// directory that cannot be read removes nothing); returns how many were removed.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let live = xorq_fs::Staging::new_in(dir.path(), ".tmp-demo-")?;
/// std::fs::create_dir(dir.path().join(".tmp-demo-999999999-000000000000"))?; // a dead owner's
/// assert_eq!(xorq_fs::sweep(dir.path(), ".tmp-demo-"), 1);
/// assert!(live.path().exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn sweep(dir: &Path, prefix: &str) -> usize {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        // Held while removing, so two sweepers do not race over one name.
        let handle = if meta.file_type().is_symlink() { None } else { File::open(&path).ok() };
        let lock = match &handle {
            Some(file) => match file.try_lock() {
                Ok(()) => Lock::Free,
                Err(fs::TryLockError::WouldBlock) => continue,
                Err(fs::TryLockError::Error(_)) => Lock::Unknown,
            },
            None => Lock::Unknown,
        };
        let age = meta.modified().ok().and_then(|t| t.elapsed().ok()).unwrap_or_default();
        let abandoned = match (lock, owner_alive(owner_pid(name, prefix))) {
            (_, Some(true)) => false,
            (_, Some(false)) => true,
            (Lock::Free, None) => age > UNLOCKED,
            (Lock::Unknown, None) => age > ABANDONED,
        };
        if !abandoned {
            continue;
        }
        let gone = if meta.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        removed += usize::from(gone.is_ok());
    }
    removed
}

#[derive(Clone, Copy)]
enum Lock {
    Free,
    Unknown,
}

/// Whether the process `pid` runs: `Some(false)` for a name without a process id (made by an
/// older version, or by hand with our prefix), `None` where the process table cannot be read.
fn owner_alive(pid: Option<u32>) -> Option<bool> {
    let Some(pid) = pid else { return Some(false) };
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return None;
    }
    Some(proc.join(pid.to_string()).exists())
}
