//! Temporary files and staging directories that an interrupted process removes.
//!
//! Every [`crate::AtomicFile`] and [`crate::Staging`] registers its path here while it exists.
//! A binary that handles SIGINT, SIGTERM and SIGHUP calls [`cleanup`] from its signal-handling
//! thread, then ends the process: what the process was writing is gone, and what it had
//! published stays. Publishing (a rename) and [`cleanup`] take the same lock, so a path is either
//! published or removed, never half of each; after [`cleanup`] nothing more is published (the
//! lock is never released, the process is about to end).
//!
//! Libraries only register; installing signal handlers is the binary's decision.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let file = xorq_fs::AtomicFile::create(&dir.path().join("out.csv"))?;
//! assert_eq!(xorq_fs::interrupt::registered(), vec![file.path().to_path_buf()]);
//! drop(file);
//! assert!(xorq_fs::interrupt::registered().is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

struct Registry {
    next: u64,
    paths: BTreeMap<u64, PathBuf>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry { next: 0, paths: BTreeMap::new() });

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A registered path; dropping it unregisters the path (it was published or removed).
#[derive(Debug)]
pub(crate) struct Registration {
    id: Option<u64>,
}

/// Registers `path` for removal if the process is interrupted.
pub(crate) fn register(path: &Path) -> Registration {
    let mut reg = registry();
    let id = reg.next;
    reg.next += 1;
    reg.paths.insert(id, path.to_path_buf());
    Registration { id: Some(id) }
}

impl Registration {
    /// Runs `publish` (a rename) so that [`cleanup`] cannot run meanwhile; once it succeeds, the
    /// path is no longer removed on interruption.
    pub(crate) fn settle<T>(&mut self, publish: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let mut reg = registry();
        let value = publish()?;
        if let Some(id) = self.id.take() {
            reg.paths.remove(&id);
        }
        Ok(value)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            registry().paths.remove(&id);
        }
    }
}

/// The paths registered now (temporary files and staging directories being written).
pub fn registered() -> Vec<PathBuf> {
    registry().paths.values().cloned().collect()
}

/// Removes every registered path and blocks further publishing, for a process that is about to
/// end because of a signal. Returns how many paths were removed. Call it from the thread that
/// handles signals, then end the process.
///
/// Other threads may still be writing into a staging directory meanwhile (a removal can then
/// fail because a file appeared in it): each path is tried again until it is gone, for up to a
/// second. Once a staging directory is gone nothing recreates it, as long as writers create
/// what is inside it one level at a time (never `create_dir_all` through it).
pub fn cleanup() -> usize {
    let reg = registry();
    let mut removed = 0;
    for path in reg.paths.values() {
        for attempt in 0..500 {
            let result = match std::fs::symlink_metadata(path) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
                Ok(_) => std::fs::remove_file(path),
                Err(_) => break,
            };
            if result.is_ok() {
                removed += 1;
                break;
            }
            if attempt > 0 {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }
    // Never unlocked: nothing may be published between this and the end of the process.
    std::mem::forget(reg);
    removed
}
