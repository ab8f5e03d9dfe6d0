//! One writer at a time, and all-or-nothing changes.
//!
//! Writers take an exclusive lock on `.git/xorq-catalog.lock` (an OS file lock: released by the
//! kernel when the process ends, however it ends, so it never goes stale), waiting a bounded time
//! (`XORQ_CATALOG_LOCK_TIMEOUT` seconds, default 30) before giving up with "catalog busy, retry".
//!
//! A change first records the paths it will touch in `.git/xorq-catalog-op.json`, then writes
//! them, then commits exactly those paths and removes the record. If anything fails, the paths are
//! put back as they are in `HEAD` (staged copies unstaged, new files removed); if the process dies
//! midway, the next writer finds the record under the lock and does the same before its own
//! change. Readers never see a half-copied entry: entries are copied under a `.tmp-` name and
//! renamed into place, and readers skip `.tmp-` names.
//!
//! The lock is also held by every `git` command a writer runs (they get the lock file as their
//! standard input; see [`crate::git`]), so a writer killed while its `git add` still runs keeps
//! the catalog locked until that `git` is gone too: the repair never races a `git` that is still
//! writing. While a change is recorded, readers do not trust the work tree for its paths: they
//! read those from `HEAD` ([`Unsettled`]), so an alias or entry that was never committed is never
//! listed, resolved or run. A reader that finds a record and a free lock repairs the catalog
//! first, as the next writer would (when it may write).

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use xorq_build::fsutil::replace_file;

use crate::error::{CatalogError, Result};
use crate::git::Git;
use crate::layout::{ALIASES_DIR, ENTRIES_DIR, STAGING_PREFIX};

/// The paths whose work-tree state a reader must not trust: those of a change that is being made
/// by a live writer (or was interrupted and not yet repaired). Readers take them from `HEAD`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Unsettled {
    /// No change in progress.
    #[default]
    Nothing,
    /// These paths (relative to the catalog root).
    Paths(Vec<String>),
    /// A merge: the whole managed tree.
    All,
}

impl Unsettled {
    /// What the record of a change in progress says, if there is one.
    pub(crate) fn read(git: &Git) -> Unsettled {
        match fs::read_to_string(git_dir(git).join(OP_FILE)) {
            Err(_) => Unsettled::Nothing,
            Ok(text) => match serde_json::from_str::<Pending>(&text) {
                Ok(Pending::Paths(paths)) => Unsettled::Paths(paths),
                Ok(Pending::Merge) | Err(_) => Unsettled::All,
            },
        }
    }

    /// Whether `path` (relative to the root, `/`-separated) is, or is under, an unsettled path.
    pub(crate) fn covers(&self, path: &str) -> bool {
        match self {
            Unsettled::Nothing => false,
            Unsettled::All => true,
            Unsettled::Paths(paths) => {
                paths.iter().any(|p| path == p || path.strip_prefix(p.as_str()).is_some_and(|r| r.starts_with('/')))
            }
        }
    }
}

/// Repairs what a writer that died left, if one did and no writer holds the lock now (a reader's
/// courtesy, so that no litter survives the next command). Quietly does nothing when the
/// catalog cannot be written (a read-only clone) or is busy.
pub(crate) fn repair_if_idle(git: &Git) {
    if !git_dir(git).join(OP_FILE).exists() {
        return;
    }
    let Ok(file) = OpenOptions::new().read(true).write(true).open(git_dir(git).join(LOCK_FILE)) else { return };
    if file.try_lock().is_err() {
        return;
    }
    let lock = WriteLock::holding(git, file);
    let _ = lock.recover();
}

/// The writers' lock file, inside `.git`.
const LOCK_FILE: &str = "xorq-catalog.lock";
/// The record of a change in progress, inside `.git`.
const OP_FILE: &str = "xorq-catalog-op.json";
/// Default wait for the lock.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What a change in progress touches.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Pending {
    /// These paths (relative to the catalog root).
    Paths(Vec<String>),
    /// A merge (pull): the whole work tree.
    Merge,
}

/// The held write lock. Dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct WriteLock<'g> {
    git: &'g Git,
    _file: File,
}

fn git_dir(git: &Git) -> PathBuf {
    git.dir().join(".git")
}

fn timeout() -> Duration {
    std::env::var("XORQ_CATALOG_LOCK_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs_f64)
}

impl<'g> WriteLock<'g> {
    /// Takes the lock, waiting up to the timeout, and repairs what a crashed writer left.
    pub fn acquire(git: &'g Git) -> Result<WriteLock<'g>> {
        let dir = git_dir(git);
        let path = dir.join(LOCK_FILE);
        // Readable too: `git` children get it as their standard input.
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(CatalogError::io("open the lock file", &path))?;
        let start = Instant::now();
        let limit = timeout();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    let waited = start.elapsed();
                    if waited >= limit {
                        return Err(CatalogError::Busy {
                            catalog: git.dir().to_path_buf(),
                            waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
                        });
                    }
                    std::thread::sleep(pause.min(limit - waited));
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(fs::TryLockError::Error(e)) => return Err(CatalogError::io("lock", &path)(e)),
            }
        }
        let lock = WriteLock::holding(git, file);
        lock.recover()?;
        Ok(lock)
    }

    /// Takes the lock if no one holds it (repairing what a crashed writer left); `None` when
    /// another process holds it or the lock file cannot be opened (a read-only clone): for
    /// readers that write only derived files (the node index) and may skip doing so.
    pub fn try_acquire(git: &'g Git) -> Option<WriteLock<'g>> {
        let path = git_dir(git).join(LOCK_FILE);
        let file = OpenOptions::new().create(true).truncate(false).read(true).write(true).open(path).ok()?;
        file.try_lock().ok()?;
        let lock = WriteLock::holding(git, file);
        lock.recover().ok()?;
        Some(lock)
    }

    /// The lock, held through `file`; `git` commands run from now on hold it too.
    fn holding(git: &'g Git, file: File) -> WriteLock<'g> {
        git.hold_lock(file.try_clone().ok());
        WriteLock { git, _file: file }
    }

    /// Puts back what a writer that died midway left behind.
    fn recover(&self) -> Result<()> {
        let op = git_dir(self.git).join(OP_FILE);
        let Ok(text) = fs::read_to_string(&op) else { return Ok(()) };
        // The writer that wrote the record and every `git` it started are gone (they held the
        // lock, which we hold now), so git's own lock files left in `.git` are theirs too.
        remove_git_locks(self.git);
        match serde_json::from_str::<Pending>(&text) {
            Ok(Pending::Paths(paths)) => restore(self.git, &paths)?,
            // A damaged record: the safest repair is the whole managed tree.
            Ok(Pending::Merge) | Err(_) => restore_all(self.git)?,
        }
        remove_strays(self.git.dir());
        fs::remove_file(&op).map_err(CatalogError::io("remove", &op))
    }

    /// Starts a change of `paths`: records them, so a crash is repaired.
    pub fn change(&self, paths: Vec<String>) -> Result<Change<'_, 'g>> {
        self.record(&Pending::Paths(paths.clone()))?;
        Ok(Change { lock: self, pending: Pending::Paths(paths), done: false })
    }

    /// Starts a merge: the whole work tree may change.
    pub fn merge(&self) -> Result<Change<'_, 'g>> {
        self.record(&Pending::Merge)?;
        Ok(Change { lock: self, pending: Pending::Merge, done: false })
    }

    fn record(&self, pending: &Pending) -> Result<()> {
        let dir = git_dir(self.git);
        let text = serde_json::to_string(pending).map_err(|e| CatalogError::refused(e.to_string()))?;
        Ok(replace_file(&dir.join(OP_FILE), text.as_bytes())?)
    }
}

impl Drop for WriteLock<'_> {
    fn drop(&mut self) {
        self.git.hold_lock(None);
    }
}

/// Removes the lock files a killed `git` leaves (`index.lock`, `HEAD.lock`, `refs/…​.lock`),
/// which would make every later commit fail with "File exists".
fn remove_git_locks(git: &Git) {
    let dir = git_dir(git);
    for name in ["index.lock", "HEAD.lock", "ORIG_HEAD.lock", "packed-refs.lock", "config.lock"] {
        let _ = fs::remove_file(dir.join(name));
    }
    let mut stack = vec![dir.join("refs")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "lock") {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// A change in progress: [`Change::finish`] keeps it, dropping it undoes it.
#[derive(Debug)]
pub(crate) struct Change<'l, 'g> {
    lock: &'l WriteLock<'g>,
    pending: Pending,
    done: bool,
}

impl Change<'_, '_> {
    /// The change is committed (or turned out empty): forget the record.
    pub fn finish(mut self) -> Result<()> {
        self.done = true;
        let op = git_dir(self.lock.git).join(OP_FILE);
        remove_strays(self.lock.git.dir());
        fs::remove_file(&op).map_err(CatalogError::io("remove", &op))
    }
}

impl Drop for Change<'_, '_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let git = self.lock.git;
        let restored = match &self.pending {
            Pending::Paths(paths) => restore(git, paths),
            Pending::Merge => restore_all(git),
        };
        remove_strays(git.dir());
        // Only a successful repair may forget the record; otherwise the next writer retries it.
        if restored.is_ok() {
            let _ = fs::remove_file(git_dir(git).join(OP_FILE));
        }
    }
}

/// Puts `paths` back as they are in `HEAD`: unstaged, new files removed, old ones checked out.
pub(crate) fn restore(git: &Git, paths: &[String]) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    for p in paths {
        let full = git.dir().join(p);
        if full.is_dir() {
            fs::remove_dir_all(&full).map_err(CatalogError::io("remove", &full))?;
        } else if full.exists() {
            fs::remove_file(&full).map_err(CatalogError::io("remove", &full))?;
        }
    }
    let mut args = vec!["reset".to_string(), "-q".into(), "HEAD".into(), "--".into()];
    args.extend(paths.iter().cloned());
    git.run(&args)?;
    let mut args = vec!["ls-tree".to_string(), "--name-only".into(), "-z".into(), "HEAD".into(), "--".into()];
    args.extend(paths.iter().cloned());
    let in_head: Vec<String> = git.run(&args)?.split('\0').filter(|s| !s.is_empty()).map(str::to_string).collect();
    if !in_head.is_empty() {
        let mut args = vec!["checkout".to_string(), "-q".into(), "HEAD".into(), "--".into()];
        args.extend(in_head);
        git.run(&args)?;
    }
    Ok(())
}

/// Puts the whole managed tree back as it is in `HEAD` (after a failed or interrupted merge).
fn restore_all(git: &Git) -> Result<()> {
    if git.dir().join(".git/MERGE_HEAD").exists() {
        let _ = git.try_run(&["merge", "--abort"]);
    }
    git.run(&["reset", "-q", "--hard", "HEAD"])?;
    git.run(&["clean", "-q", "-f", "-d", "--", ENTRIES_DIR, ALIASES_DIR])?;
    Ok(())
}

/// Removes `.tmp-*` staging files left in the managed directories.
pub(crate) fn remove_strays(root: &Path) {
    for dir in [root.join(ENTRIES_DIR), root.join(ALIASES_DIR)] {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) {
                let path = entry.path();
                let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
            }
        }
    }
}
