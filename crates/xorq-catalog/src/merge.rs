//! `pull`: fetch the remote and bring its changes in, merging diverged histories.
//!
//! Entries are content-addressed, so two clones never disagree about one: the merge is their
//! union (when both added the same address with different build times in `metadata.json`, this
//! clone's copy stays). An alias whose revisions grew on one side only takes that side's. An
//! alias that gained *different* revisions on both sides is a conflict: this clone's revisions
//! stay, the remote's are recorded under `conflicts:` in the alias file (so they travel with the
//! next push and nobody's revision is lost), and the pull reports it; `add-alias` settles it.
//! An entry removed on one side but still the latest revision of an alias after the merge is
//! kept. Anything else both sides changed (a file git cannot merge that is not catalog data)
//! stops the pull with the catalog as it was.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::alias::{AliasFile, Revision};
use crate::catalog::Catalog;
use crate::error::{CatalogError, Result};
use crate::git::Git;
use crate::layout::{ALIASES_DIR, CATALOG_FILE, ENTRIES_DIR, entry_path};
use crate::lock::WriteLock;
use crate::sync::REMOTE;

/// How a pull went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PullOutcome {
    /// Nothing new on the remote.
    UpToDate,
    /// The remote has no catalog yet (push one there).
    RemoteEmpty,
    /// Only the remote had new commits: this clone moved to them.
    FastForward,
    /// Both had new commits: they were merged in a merge commit.
    Merged,
}

/// An alias that both clones moved to different entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AliasConflict {
    /// The alias.
    pub alias: String,
    /// This clone's revisions since the clones diverged (kept).
    pub kept: Vec<Revision>,
    /// The remote's revisions since then (recorded under `conflicts:`).
    pub theirs: Vec<Revision>,
}

/// What `pull` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PullReport {
    /// How it went.
    pub outcome: PullOutcome,
    /// Entries that arrived (full addresses).
    pub entries_added: Vec<String>,
    /// Entries removed by the remote.
    pub entries_removed: Vec<String>,
    /// Aliases added or changed.
    pub aliases_changed: Vec<String>,
    /// Aliases removed by the remote.
    pub aliases_removed: Vec<String>,
    /// Aliases both sides moved.
    pub conflicts: Vec<AliasConflict>,
    /// Entries one side removed that the merge kept because an alias points to them.
    pub kept_entries: Vec<String>,
}

impl Catalog {
    /// Fetches the remote and merges its changes into this clone (see the module documentation).
    /// Fails with the catalog unchanged.
    pub fn pull(&self) -> Result<PullReport> {
        let url = self.require_remote()?;
        let lock = WriteLock::acquire(&self.git)?;
        let branch = self.branch()?;
        let git = &self.git;
        let args = ["fetch", "-q", REMOTE];
        let ran = git.try_run(&args)?;
        if !ran.ok {
            return Err(git.failed(
                &args[..1],
                &format!("fetching `{url}` failed: {}", ran.stderr),
                "check the remote URL and your access to it",
            ));
        }
        let mut report = PullReport {
            outcome: PullOutcome::UpToDate,
            entries_added: Vec::new(),
            entries_removed: Vec::new(),
            aliases_changed: Vec::new(),
            aliases_removed: Vec::new(),
            conflicts: Vec::new(),
            kept_entries: Vec::new(),
        };
        let remote_ref = format!("refs/remotes/{REMOTE}/{branch}");
        let theirs = git.try_run(&["rev-parse", "--verify", "-q", &remote_ref])?;
        if !theirs.ok {
            report.outcome = PullOutcome::RemoteEmpty;
            return Ok(report);
        }
        let theirs = theirs.stdout.trim().to_string();
        let ours = git.run(&["rev-parse", "HEAD"])?.trim().to_string();
        if ours == theirs || is_ancestor(git, &theirs, &ours)? {
            return Ok(report);
        }
        // A merge rewrites the work tree, and undoing a failed one resets it: refuse to start
        // over changes that are not committed, so they cannot be lost.
        let dirty = git.run(&["status", "--porcelain", "--untracked-files=all", "--", "."])?;
        if !dirty.trim().is_empty() {
            let files: Vec<&str> = dirty.lines().take(5).map(|l| l.get(3..).unwrap_or(l)).collect();
            return Err(CatalogError::refused(format!(
                "the catalog at `{}` has changes that were not made by xorq ({}{}); nothing was pulled\nhint: commit or discard them with git first (`git -C {} status`)",
                self.root.display(),
                files.join(", "),
                if dirty.lines().count() > 5 { ", …" } else { "" },
                self.root.display()
            )));
        }
        let change = lock.merge()?;
        if is_ancestor(git, &ours, &theirs)? {
            let args = ["merge", "-q", "--ff-only", theirs.as_str()];
            let ran = git.try_run(&args)?;
            if !ran.ok {
                return Err(git.failed(&args[..1], &ran.stderr, "the catalog was left as it was"));
            }
            report.outcome = PullOutcome::FastForward;
        } else {
            self.merge_diverged(&ours, &theirs, &branch, &mut report)?;
            report.outcome = PullOutcome::Merged;
        }
        describe(git, &ours, &mut report)?;
        change.finish()?;
        Ok(report)
    }

    fn merge_diverged(&self, ours: &str, theirs: &str, branch: &str, report: &mut PullReport) -> Result<()> {
        let git = &self.git;
        let base = git.try_run(&["merge-base", ours, theirs])?;
        let base = base.ok.then(|| base.stdout.trim().to_string());
        let both: BTreeSet<String> = changed(git, base.as_deref(), ours)?
            .intersection(&changed(git, base.as_deref(), theirs)?)
            .cloned()
            .collect();
        let args = ["merge", "-q", "--no-ff", "--no-commit", "--allow-unrelated-histories", "-X", "no-renames", theirs];
        let ran = git.run_committing(&args)?;
        if !ran.ok && !self.root.join(".git/MERGE_HEAD").exists() {
            return Err(git.failed(&args[..1], &ran.stderr, "the catalog was left as it was"));
        }

        // Resolve what both sides touched: entries are this clone's, aliases merged by meaning.
        let mut entries = BTreeSet::new();
        for path in &both {
            if let Some(rest) = path.strip_prefix(&format!("{ENTRIES_DIR}/")) {
                entries.insert(rest.split('/').next().unwrap_or(rest).to_string());
            } else if let Some(alias) =
                path.strip_prefix(&format!("{ALIASES_DIR}/")).and_then(|a| a.strip_suffix(".yaml"))
            {
                let read = |rev: Option<&str>| -> Result<Option<AliasFile>> {
                    let Some(rev) = rev else { return Ok(None) };
                    let shown = git.try_run(&["show", &format!("{rev}:{path}")])?;
                    if !shown.ok {
                        return Ok(None);
                    }
                    AliasFile::parse(&shown.stdout, &self.root.join(path), alias).map(Some)
                };
                let (merged, conflict) = merge_alias(read(base.as_deref())?, read(Some(ours))?, read(Some(theirs))?);
                let full = self.root.join(path);
                match merged {
                    Some(file) => xorq_build::fsutil::replace_file(&full, file.to_text()?.as_bytes())?,
                    None => {
                        if full.exists() {
                            std::fs::remove_file(&full).map_err(CatalogError::io("remove", &full))?;
                        }
                    }
                }
                git.run(&["add", "-A", "--", path])?;
                report.conflicts.extend(conflict);
            } else if path == CATALOG_FILE || path == ".gitignore" {
                checkout_side(git, &self.root, ours, path)?;
            }
        }
        for address in &entries {
            checkout_side(git, &self.root, ours, &entry_path(address))?;
        }

        // An alias may still point to an entry the other side removed: keep that entry.
        for file in self.alias_files()?.values() {
            let Some(latest) = file.latest() else { continue };
            let rel = entry_path(&latest.address);
            if self.root.join(&rel).is_dir() || report.kept_entries.contains(&latest.address) {
                continue;
            }
            for side in [ours, theirs] {
                if git.try_run(&["cat-file", "-e", &format!("{side}:{rel}")])?.ok {
                    git.run(&["checkout", "-q", side, "--", &rel])?;
                    report.kept_entries.push(latest.address.clone());
                    break;
                }
            }
        }

        let unmerged = git.run(&["diff", "--name-only", "--diff-filter=U", "-z"])?;
        let unmerged: Vec<&str> = unmerged.split('\0').filter(|s| !s.is_empty()).collect();
        if !unmerged.is_empty() {
            return Err(CatalogError::refused(format!(
                "pull stopped: both clones changed {}, which are not catalog entries or aliases; the catalog was left as it was\nhint: merge by hand with git in `{}`",
                unmerged.join(", "),
                self.root.display()
            )));
        }
        let mut subject = format!("merge {REMOTE}/{branch}");
        if !report.conflicts.is_empty() {
            let names: Vec<&str> = report.conflicts.iter().map(|c| c.alias.as_str()).collect();
            subject.push_str(&format!(" (alias conflicts kept: {})", names.join(", ")));
        }
        let mut trailers = vec![("Op", "merge".to_string())];
        trailers.extend(report.conflicts.iter().map(|c| ("Conflict", c.alias.clone())));
        crate::write::commit_all(git, &crate::write::message(&subject, &trailers))
    }
}

fn is_ancestor(git: &Git, a: &str, b: &str) -> Result<bool> {
    Ok(git.try_run(&["merge-base", "--is-ancestor", a, b])?.ok)
}

/// Paths that differ between `base` and `rev` (every path of `rev` when there is no base).
fn changed(git: &Git, base: Option<&str>, rev: &str) -> Result<BTreeSet<String>> {
    let text = match base {
        Some(base) => git.run(&["diff", "--no-renames", "--name-only", "-z", base, rev])?,
        None => git.run(&["ls-tree", "-r", "--name-only", "-z", rev])?,
    };
    Ok(text.split('\0').filter(|s| !s.is_empty()).map(str::to_string).collect())
}

/// Replaces `path` (a file or directory) in the index and work tree with its version in `rev`,
/// or removes it when `rev` has none.
fn checkout_side(git: &Git, root: &std::path::Path, rev: &str, path: &str) -> Result<()> {
    git.run(&["rm", "-r", "-q", "-f", "--cached", "--ignore-unmatch", "--", path])?;
    let full = root.join(path);
    if full.is_dir() {
        std::fs::remove_dir_all(&full).map_err(CatalogError::io("remove", &full))?;
    } else if full.exists() {
        std::fs::remove_file(&full).map_err(CatalogError::io("remove", &full))?;
    }
    if git.try_run(&["cat-file", "-e", &format!("{rev}:{path}")])?.ok {
        git.run(&["checkout", "-q", rev, "--", path])?;
    }
    Ok(())
}

/// Merges an alias both sides changed (see the module documentation).
pub(crate) fn merge_alias(
    base: Option<AliasFile>,
    ours: Option<AliasFile>,
    theirs: Option<AliasFile>,
) -> (Option<AliasFile>, Option<AliasConflict>) {
    match (ours, theirs) {
        (None, None) => (None, None),
        // Removed on one side: unless the other side changed it since, the removal stands.
        (Some(kept), None) | (None, Some(kept)) if base.as_ref() == Some(&kept) => (None, None),
        (Some(kept), None) | (None, Some(kept)) => (Some(kept), None),
        (Some(o), Some(t)) => {
            // Revisions are the same when they agree on number and entry (two clones that
            // pointed an alias at the same entry at different times agree).
            let same = |a: &Revision, b: &Revision| a.revision == b.revision && a.address == b.address;
            let common = o.revisions.iter().zip(&t.revisions).take_while(|(a, b)| same(a, b)).count();
            // One side moved on from the other: its file (conflicts included) is the newer state.
            if common == t.revisions.len() && o.revisions.len() > common {
                return (Some(o), None);
            }
            if common == o.revisions.len() && t.revisions.len() > common {
                return (Some(t), None);
            }
            let theirs_new: Vec<Revision> = t.revisions[common..].to_vec();
            let mut merged = o.clone();
            for r in t.conflicts.iter().chain(&theirs_new) {
                if !merged.conflicts.iter().chain(&merged.revisions).any(|m| same(m, r)) {
                    merged.conflicts.push(r.clone());
                }
            }
            let conflict = (!theirs_new.is_empty()).then(|| AliasConflict {
                alias: o.alias.clone(),
                kept: o.revisions[common..].to_vec(),
                theirs: theirs_new,
            });
            (Some(merged), conflict)
        }
    }
}

/// Fills the report's lists from the difference between `before` and the new `HEAD`.
fn describe(git: &Git, before: &str, report: &mut PullReport) -> Result<()> {
    let text =
        git.run(&["diff", "--no-renames", "--name-status", "-z", before, "HEAD", "--", ENTRIES_DIR, ALIASES_DIR])?;
    let mut fields = text.split('\0').filter(|s| !s.is_empty());
    let mut entries: BTreeMap<String, bool> = BTreeMap::new();
    while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
        let deleted = status.starts_with('D');
        if let Some(rest) = path.strip_prefix(&format!("{ENTRIES_DIR}/")) {
            let address = rest.split('/').next().unwrap_or(rest).to_string();
            if status.starts_with('A') || deleted {
                entries.insert(address, !deleted);
            }
        } else if let Some(alias) = path.strip_prefix(&format!("{ALIASES_DIR}/")).and_then(|a| a.strip_suffix(".yaml"))
        {
            if deleted { &mut report.aliases_removed } else { &mut report.aliases_changed }.push(alias.to_string());
        }
    }
    for (address, added) in entries {
        if added { &mut report.entries_added } else { &mut report.entries_removed }.push(address);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(n: u32, a: char) -> Revision {
        Revision { revision: n, address: a.to_string().repeat(64), at: format!("2026-01-0{n}T00:00:00Z") }
    }

    fn file(revs: Vec<Revision>) -> AliasFile {
        AliasFile { alias: "prod".into(), revisions: revs, conflicts: vec![] }
    }

    #[test]
    fn an_alias_moved_on_one_side_takes_that_side() {
        let base = file(vec![rev(1, 'a')]);
        let ours = base.clone();
        let theirs = file(vec![rev(1, 'a'), rev(2, 'b')]);
        let (merged, conflict) = merge_alias(Some(base), Some(ours), Some(theirs.clone()));
        assert_eq!((merged, conflict), (Some(theirs), None));
    }

    #[test]
    fn an_alias_moved_on_both_sides_keeps_ours_and_records_theirs() {
        let base = file(vec![rev(1, 'a')]);
        let ours = file(vec![rev(1, 'a'), rev(2, 'b')]);
        let theirs = file(vec![rev(1, 'a'), rev(2, 'c')]);
        let (merged, conflict) = merge_alias(Some(base), Some(ours.clone()), Some(theirs));
        let merged = merged.unwrap();
        assert_eq!(merged.revisions, ours.revisions);
        assert_eq!(merged.conflicts, vec![rev(2, 'c')]);
        let conflict = conflict.unwrap();
        assert_eq!((conflict.kept, conflict.theirs), (vec![rev(2, 'b')], vec![rev(2, 'c')]));
    }

    #[test]
    fn the_same_revision_made_at_different_times_is_no_conflict() {
        let ours = file(vec![rev(1, 'a')]);
        let mut theirs = ours.clone();
        theirs.revisions[0].at = "2030-01-01T00:00:00Z".into();
        assert_eq!(merge_alias(None, Some(ours.clone()), Some(theirs)), (Some(ours), None));
    }

    #[test]
    fn removal_against_change_keeps_the_change() {
        let base = file(vec![rev(1, 'a')]);
        let moved = file(vec![rev(1, 'a'), rev(2, 'b')]);
        assert_eq!(merge_alias(Some(base.clone()), None, Some(moved.clone())).0, Some(moved));
        assert_eq!(merge_alias(Some(base.clone()), None, Some(base)).0, None);
    }
}
