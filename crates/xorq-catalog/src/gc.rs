//! `gc`: what the catalog keeps that no commit names, found and removed under the writers' lock.
//!
//! Two kinds of orphans: files and directories under `entries/` and `aliases/` that git does
//! not track (staging copies a killed writer left, a directory copied in by hand: readers would
//! list such an entry although no commit has it, and a clone never gets it), and git objects no
//! commit reaches (a commit that was undone, a removed entry's data once its history is gone).
//! Entries and aliases that are committed are never touched: removing one is `remove`.

use std::path::PathBuf;

use serde::Serialize;

use crate::catalog::{Catalog, dir_size};
use crate::error::Result;
use crate::layout::{ALIASES_DIR, ENTRIES_DIR};
use crate::lock::WriteLock;

/// One orphaned path of the work tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Orphan {
    /// Relative to the catalog root, `/`-separated.
    pub path: String,
    /// Bytes under it.
    pub bytes: u64,
}

/// What `gc` found, and what it removed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GcReport {
    /// Nothing was removed (`--dry-run`).
    pub dry_run: bool,
    /// Untracked paths under `entries/` and `aliases/`.
    pub orphans: Vec<Orphan>,
    /// Git objects no commit or reflog reaches.
    pub unreachable_objects: usize,
    /// Bytes of the repository's `.git` before.
    pub git_bytes_before: u64,
    /// Bytes of `.git` after (the same as before in a dry run).
    pub git_bytes_after: u64,
}

impl Catalog {
    /// Finds the catalog's orphans and, unless `dry_run`, removes them and compacts the
    /// repository (`git gc --prune=now`).
    ///
    /// ```no_run
    /// let catalog = xorq_catalog::Catalog::open("my-catalog".as_ref())?;
    /// let report = catalog.gc(true)?;
    /// for orphan in &report.orphans {
    ///     println!("would remove {}", orphan.path);
    /// }
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn gc(&self, dry_run: bool) -> Result<GcReport> {
        // Under the lock: a live writer's staging copy is not an orphan, and a writer that
        // died midway is repaired first (as any writer would).
        let _lock = WriteLock::acquire(&self.git)?;
        let git_dir = self.root.join(".git");
        let git_bytes_before = dir_size(&git_dir).0;
        // `-x`: staging names are git-ignored, and are exactly what is looked for.
        let listed = self.git.run(&["clean", "-n", "-d", "-x", "--", ENTRIES_DIR, ALIASES_DIR])?;
        let orphans: Vec<Orphan> = listed
            .lines()
            .filter_map(|line| line.strip_prefix("Would remove "))
            .map(|path| {
                let path = path.trim_end_matches('/').to_string();
                let full: PathBuf = self.root.join(&path);
                let bytes = if full.is_dir() { dir_size(&full).0 } else { full.metadata().map_or(0, |m| m.len()) };
                Orphan { path, bytes }
            })
            .collect();
        let unreachable = self.git.run(&["prune", "--dry-run", "--expire=now"])?;
        let unreachable_objects = unreachable.lines().filter(|l| !l.trim().is_empty()).count();
        if dry_run {
            return Ok(GcReport {
                dry_run,
                orphans,
                unreachable_objects,
                git_bytes_before,
                git_bytes_after: git_bytes_before,
            });
        }
        if !orphans.is_empty() {
            self.git.run(&["clean", "-q", "-f", "-d", "-x", "--", ENTRIES_DIR, ALIASES_DIR])?;
        }
        self.git.run(&["gc", "--quiet", "--prune=now"])?;
        let git_bytes_after = dir_size(&git_dir).0;
        Ok(GcReport { dry_run, orphans, unreachable_objects, git_bytes_before, git_bytes_after })
    }
}
