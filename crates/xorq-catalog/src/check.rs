//! `check`: the catalog is what its names say. For every entry, every file is checked: its
//! address, recomputed from its `expr.yaml`, is its directory's name; its `metadata.json` says
//! what the manifest says; every bundled file's bytes hash to the name they are filed under
//! (hashed in full, trusting no record of an earlier check); its memtables hold the rows their
//! hash names; it holds nothing else (no stray file, no symbolic link, no special file); and it
//! is as committed (a file changed, added or removed since is a problem). Every alias file is
//! well-formed and its latest revision is an entry. The node index (`crate::index`) is rebuilt
//! from the entries loaded, with a warning when the old one was damaged.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde::Serialize;
use xorq_build::Verification;

use crate::alias::{AliasFile, check_name};
use crate::catalog::{Catalog, read_names};
use crate::error::Result;
use crate::layout::{ALIASES_DIR, ENTRIES_DIR, is_full_address};
use crate::lock::Unsettled;

/// One finding of `check`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The entry or alias file, relative to the catalog.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// What `check` found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Entries checked.
    pub entries: usize,
    /// Aliases checked.
    pub aliases: usize,
    /// Inconsistencies: the catalog is not what its names say.
    pub problems: Vec<Finding>,
    /// Worth knowing, not wrong: old revisions of removed entries, unsettled alias conflicts,
    /// changes not committed.
    pub warnings: Vec<Finding>,
}

impl CheckReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Catalog {
    /// Checks every entry and alias (reads and hashes every file of every entry: a few
    /// milliseconds per entry plus the time to hash its data).
    pub fn check(&self) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let entries_dir = self.root.join(ENTRIES_DIR);
        let mut addresses = Vec::new();
        // The expressions of the entries that load, which the node index is rebuilt from.
        let mut loaded = Vec::new();
        // Paths another writer is changing right now are not judged (readers take them from HEAD).
        let unsettled = Unsettled::read(&self.git);
        if unsettled != Unsettled::Nothing {
            report.warnings.push(Finding {
                path: ".git/xorq-catalog-op.json".into(),
                message: "another process is changing the catalog (or was killed while it did, and still holds its lock); its paths are not checked: run the check again when it is done".into(),
            });
        }
        for name in read_names(&entries_dir)? {
            let rel = format!("{ENTRIES_DIR}/{name}");
            if unsettled.covers(&rel) {
                continue;
            }
            let mut problem = |message: String| report.problems.push(Finding { path: rel.clone(), message });
            if !is_full_address(&name) || !entries_dir.join(&name).is_dir() {
                problem("not an entry: entries are directories named by a 64-hex address".into());
                continue;
            }
            match xorq_build::load_with(&entries_dir.join(&name), &Verification::Always) {
                Ok(build) if build.metadata.address != name => problem(format!(
                    "its expr.yaml has the address {}, not the one it is filed under",
                    &build.metadata.address[..12]
                )),
                Ok(build) => {
                    let expected: BTreeSet<String> = build.files().into_iter().collect();
                    for finding in strays(&build.path, &expected) {
                        problem(finding);
                    }
                    loaded.push(build.table);
                }
                Err(e) => problem(e.to_string()),
            }
            addresses.push(name);
        }
        addresses.sort();
        report.entries = addresses.len();
        if let Some(warning) = self.rebuild_index(&loaded) {
            report.warnings.push(warning);
        }

        let aliases_dir = self.root.join(ALIASES_DIR);
        for name in read_names(&aliases_dir)? {
            let rel = format!("{ALIASES_DIR}/{name}");
            if unsettled.covers(&rel) {
                continue;
            }
            let mut problem = |message: String| report.problems.push(Finding { path: rel.clone(), message });
            let Some(alias) = name.strip_suffix(".yaml") else {
                problem("not an alias file: alias files are named `<alias>.yaml`".into());
                continue;
            };
            if let Err(e) = check_name("alias", alias) {
                problem(e.to_string());
                continue;
            }
            let path = aliases_dir.join(&name);
            let file = match fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|text| AliasFile::parse(&text, &path, alias).map_err(|e| e.to_string()))
            {
                Ok(file) => file,
                Err(e) => {
                    problem(e);
                    continue;
                }
            };
            report.aliases += 1;
            for r in &file.revisions {
                if addresses.binary_search(&r.address).is_err() {
                    let latest = file.latest().is_some_and(|l| l.revision == r.revision);
                    let finding = Finding {
                        path: rel.clone(),
                        message: format!(
                            "r{} points to {}, which is not in the catalog{}",
                            r.revision,
                            &r.address[..12],
                            if latest { "" } else { " (an old revision of a removed entry)" }
                        ),
                    };
                    if latest { report.problems.push(finding) } else { report.warnings.push(finding) }
                }
            }
            if !file.conflicts.is_empty() {
                let theirs: Vec<String> =
                    file.conflicts.iter().map(|c| format!("r{} -> {}", c.revision, &c.address[..12])).collect();
                report.warnings.push(Finding {
                    path: rel.clone(),
                    message: format!(
                        "a pull kept this clone's revisions over diverged ones ({}); settle it with `xorq catalog add-alias <entry> {alias}`",
                        theirs.join(", ")
                    ),
                });
            }
        }
        let status =
            self.git.run(&["status", "--porcelain", "-z", "--untracked-files=all", "--", ENTRIES_DIR, ALIASES_DIR])?;
        for item in status.split('\0').filter(|s| s.len() > 3) {
            let path = item[3..].to_string();
            if unsettled.covers(path.trim_end_matches('/')) {
                continue;
            }
            if path.starts_with(&format!("{ENTRIES_DIR}/")) {
                // Entries are written once and never edited: any difference is damage.
                report.problems.push(Finding {
                    path,
                    message: "differs from what was committed: entries are never edited, so the file was changed, added or removed by hand or damaged\nhint: `git -C <catalog> diff` shows it; `git -C <catalog> checkout -- <path>` puts it back".into(),
                });
            } else {
                report.warnings.push(Finding {
                    path,
                    message: "changed but not committed (not by xorq); `git -C <catalog> status` shows it".into(),
                });
            }
        }
        Ok(report)
    }
}

/// What is in the entry directory `dir` besides the `expected` files (relative paths): stray
/// files, symbolic links, special files, other directories.
fn strays(dir: &Path, expected: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        let Ok(entries) = fs::read_dir(&path) else {
            out.push(format!("`{rel}` cannot be read"));
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && (rel == "data" || rel == xorq_build::layout::MEMTABLE_DIR) {
                stack.push((entry.path(), rel));
            } else if kind.is_symlink() {
                out.push(format!("`{rel}` is a symbolic link; an entry holds only its own regular files"));
            } else if !kind.is_file() {
                out.push(format!("`{rel}` is not a regular file; an entry holds only its own regular files"));
            } else if !expected.contains(&rel) {
                out.push(format!("`{rel}` is not part of the build (its manifest does not reference it)"));
            }
        }
    }
    out.sort();
    out
}
