//! Changing a catalog: add, add-alias, remove, remove-alias. Each is one commit of exactly the
//! paths it touches, made under the write lock, or no change at all (see [`crate::lock`]).

use std::fs;
use std::path::Path;

use serde::Serialize;
use xorq_build::LoadedBuild;
use xorq_build::fsutil::replace_file;
use xorq_core::plan::{SourceIdentity, SourceKind, bundled_location, walk};
use xorq_core::{Address, RelOp};
use xorq_fs::{Published, Staging};

use crate::alias::{AliasFile, AliasName};
use crate::catalog::Catalog;
use crate::error::{CatalogError, Result};
use crate::git::Git;
use crate::layout::{ALIASES_DIR, ENTRIES_DIR, STAGING_PREFIX, alias_path, entry_path};
use crate::lock::WriteLock;

/// Bundled files above this size are reported by `add` (git hosts commonly refuse files over
/// 100 MB and warn from 50 MB).
pub const LARGE_FILE: u64 = 50 * 1024 * 1024;

/// What `add` did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Added {
    /// Full address of the entry.
    pub address: String,
    /// Whether the entry was new (false: the computation was already catalogued).
    pub new_entry: bool,
    /// Aliases that pointed to the entry before this `add`.
    pub existing_aliases: Vec<String>,
    /// The aliases asked for, and what happened to each.
    pub aliases: Vec<AliasChange>,
    /// Whether a commit was made.
    pub committed: bool,
    /// Bundled files larger than [`LARGE_FILE`], with their sizes.
    pub large_files: Vec<(String, u64)>,
}

/// An alias pointed (or already pointing) at an entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AliasChange {
    /// The alias.
    pub alias: String,
    /// Its latest revision after the change.
    pub revision: u32,
    /// Whether a revision was added (false: it already pointed there).
    pub changed: bool,
}

impl Catalog {
    /// Adds the build in `build_dir` as an entry (checked first: a hand-edited, damaged or
    /// incomplete build is refused) and points each of `aliases` at it, in one commit. Only the
    /// files the build consists of are copied (its manifest, metadata, profiles, and the data
    /// and memtables the manifest references), each only if it is a regular file in the build
    /// (a symbolic link or special file is refused, naming it), and each bundled file is hashed
    /// again as it is copied. Adding a build whose address is catalogued adds no entry; it only
    /// moves the aliases (and says which aliases the computation already has, in
    /// [`Added::existing_aliases`]).
    ///
    /// ```no_run
    /// use xorq_catalog::{AliasName, Catalog};
    /// let catalog = Catalog::open("my-catalog".as_ref())?;
    /// let added = catalog.add("builds/7d0c1f5e2a4b".as_ref(), &[AliasName::new("prod")?])?;
    /// println!("{} r{}", &added.address[..12], added.aliases[0].revision);
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn add(&self, build_dir: &Path, aliases: &[AliasName]) -> Result<Added> {
        let build = xorq_build::load(build_dir)?;
        let address = build.metadata.address.clone();
        let lock = WriteLock::acquire(&self.git)?;
        let entry_rel = entry_path(&address);
        let new_entry = !self.root.join(&entry_rel).is_dir();
        let existing_aliases =
            self.aliases_of(&address)?.into_iter().filter(|p| p.latest).map(|p| p.alias).collect::<Vec<_>>();
        let (files, changes) = self.point_aliases(aliases, &address)?;

        let mut paths: Vec<String> = files.iter().map(|f| alias_path(&f.alias)).collect();
        if new_entry {
            paths.insert(0, entry_rel);
        }
        let mut added = Added {
            address: address.clone(),
            new_entry,
            existing_aliases,
            aliases: changes,
            committed: false,
            large_files: Vec::new(),
        };
        if paths.is_empty() {
            return Ok(added);
        }
        let change = lock.change(paths.clone())?;
        if new_entry {
            added.large_files = copy_entry(&build, &self.root.join(ENTRIES_DIR), &address)?;
        }
        self.write_aliases(&files)?;
        let short = &address[..12];
        let mut trailers = vec![("Op", "add".to_string()), ("Entry", address.clone())];
        trailers.extend(added.aliases.iter().filter(|a| a.changed).map(|a| alias_trailer(a, &address)));
        let named: Vec<String> =
            added.aliases.iter().filter(|a| a.changed).map(|a| format!("{} r{}", a.alias, a.revision)).collect();
        let subject = match (new_entry, named.is_empty()) {
            (true, true) => format!("add {short}"),
            (true, false) => format!("add {short} as {}", named.join(", ")),
            (false, _) => format!("alias {} -> {short}", named.join(", ")),
        };
        if !new_entry {
            trailers[0].1 = "add-alias".into();
        }
        commit_paths(&self.git, &paths, &message(&subject, &trailers))?;
        change.finish()?;
        added.committed = true;
        if new_entry {
            self.index_added(&build.table);
        }
        Ok(added)
    }

    /// Points `alias` at the entry `target` names (an address prefix, an alias, `alias@rN`),
    /// adding a revision; one commit, or none when it already points there.
    pub fn add_alias(&self, target: &str, alias: &AliasName) -> Result<AliasChange> {
        let lock = WriteLock::acquire(&self.git)?;
        let resolved = self.resolve(target)?;
        let (files, mut changes) = self.point_aliases(std::slice::from_ref(alias), &resolved.address)?;
        let Some(change_made) = changes.pop() else {
            return Err(CatalogError::Internal("no alias change computed".into()));
        };
        if files.is_empty() {
            return Ok(change_made);
        }
        let paths = vec![alias_path(alias.as_str())];
        let change = lock.change(paths.clone())?;
        self.write_aliases(&files)?;
        let subject = format!("alias {alias} r{} -> {}", change_made.revision, &resolved.address[..12]);
        let trailers = [("Op", "add-alias".to_string()), alias_trailer(&change_made, &resolved.address)];
        commit_paths(&self.git, &paths, &message(&subject, &trailers))?;
        change.finish()?;
        Ok(change_made)
    }

    /// Removes the entries `targets` name, in one commit. An entry that is the latest revision
    /// of an alias is refused (remove or re-point the alias first); older revisions pointing to
    /// it stay in their alias's history.
    pub fn remove(&self, targets: &[String]) -> Result<Vec<String>> {
        let lock = WriteLock::acquire(&self.git)?;
        let mut addresses = Vec::new();
        for target in targets {
            let resolved = self.resolve(target)?;
            let held: Vec<String> =
                self.aliases_of(&resolved.address)?.into_iter().filter(|p| p.latest).map(|p| p.alias).collect();
            if !held.is_empty() {
                return Err(CatalogError::refused(format!(
                    "entry {} is the current revision of alias{} {}; nothing was removed\nhint: re-point the alias with `xorq catalog add-alias`, or remove it with `xorq catalog remove-alias {}`",
                    &resolved.address[..12],
                    if held.len() == 1 { "" } else { "es" },
                    held.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", "),
                    held.join(" ")
                )));
            }
            if !addresses.contains(&resolved.address) {
                addresses.push(resolved.address);
            }
        }
        if addresses.is_empty() {
            return Ok(addresses);
        }
        let paths: Vec<String> = addresses.iter().map(|a| entry_path(a)).collect();
        let change = lock.change(paths.clone())?;
        for p in &paths {
            let full = self.root.join(p);
            fs::remove_dir_all(&full).map_err(CatalogError::io("remove", &full))?;
        }
        let shorts: Vec<&str> = addresses.iter().map(|a| &a[..12]).collect();
        let mut trailers = vec![("Op", "remove".to_string())];
        trailers.extend(addresses.iter().map(|a| ("Entry", a.clone())));
        commit_paths(&self.git, &paths, &message(&format!("remove {}", shorts.join(", ")), &trailers))?;
        change.finish()?;
        self.index_removed(&addresses);
        Ok(addresses)
    }

    /// Removes aliases (their files and so their revisions; history keeps them), in one commit.
    /// An unknown alias is an error and nothing is removed. Entries stay.
    pub fn remove_alias(&self, aliases: &[AliasName]) -> Result<()> {
        let lock = WriteLock::acquire(&self.git)?;
        let mut paths = Vec::new();
        for alias in aliases {
            let path = alias_path(alias.as_str());
            if !self.root.join(&path).is_file() {
                return Err(self.not_found(alias.as_str()));
            }
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Ok(());
        }
        let change = lock.change(paths.clone())?;
        for p in &paths {
            let full = self.root.join(p);
            fs::remove_file(&full).map_err(CatalogError::io("remove", &full))?;
        }
        let names: Vec<String> = aliases.iter().map(ToString::to_string).collect();
        let mut trailers = vec![("Op", "remove-alias".to_string())];
        trailers.extend(names.iter().map(|a| ("Alias", a.clone())));
        let subject = format!("remove alias{} {}", if names.len() == 1 { "" } else { "es" }, names.join(", "));
        commit_paths(&self.git, &paths, &message(&subject, &trailers))?;
        change.finish()
    }

    /// The new alias files for pointing `aliases` at `address` (only those that change), and
    /// what happens to each alias.
    fn point_aliases(&self, aliases: &[AliasName], address: &str) -> Result<(Vec<AliasFile>, Vec<AliasChange>)> {
        let mut files: Vec<AliasFile> = Vec::new();
        let mut changes = Vec::new();
        for alias in aliases {
            if changes.iter().any(|c: &AliasChange| c.alias == alias.as_str()) {
                continue;
            }
            let current = self.alias_file(alias)?;
            match current {
                Some(file) if file.latest().is_some_and(|r| r.address == address) && file.conflicts.is_empty() => {
                    let revision = file.latest().map_or(0, |r| r.revision);
                    changes.push(AliasChange { alias: alias.to_string(), revision, changed: false });
                }
                current => {
                    let mut file = current.unwrap_or_else(|| AliasFile {
                        alias: alias.to_string(),
                        revisions: Vec::new(),
                        conflicts: Vec::new(),
                    });
                    let revision = if file.latest().is_some_and(|r| r.address == address) {
                        // Only settling conflicts: the alias keeps its revision.
                        file.conflicts.clear();
                        file.latest().map_or(0, |r| r.revision)
                    } else {
                        file.push(address)
                    };
                    changes.push(AliasChange { alias: alias.to_string(), revision, changed: true });
                    files.push(file);
                }
            }
        }
        Ok((files, changes))
    }

    fn write_aliases(&self, files: &[AliasFile]) -> Result<()> {
        if files.is_empty() {
            return Ok(());
        }
        let dir = self.root.join(ALIASES_DIR);
        fs::create_dir_all(&dir).map_err(CatalogError::io("create directory", &dir))?;
        for file in files {
            replace_file(&dir.join(format!("{}.yaml", file.alias)), file.to_text()?.as_bytes())?;
        }
        Ok(())
    }
}

fn alias_trailer(change: &AliasChange, address: &str) -> (&'static str, String) {
    ("Alias", format!("{} r{} {address}", change.alias, change.revision))
}

/// A commit message: the subject, then `Xorq-<key>: <value>` trailers that `log` reads back.
pub(crate) fn message(subject: &str, trailers: &[(&str, String)]) -> String {
    let mut text = format!("{subject}\n\n");
    for (key, value) in trailers {
        text.push_str(&format!("Xorq-{key}: {value}\n"));
    }
    text
}

/// Stages `paths` (additions and deletions) and commits exactly them.
pub(crate) fn commit_paths(git: &Git, paths: &[String], message: &str) -> Result<()> {
    let mut args = vec!["add".to_string(), "-A".into(), "--".into()];
    args.extend(paths.iter().cloned());
    git.run(&args)?;
    let mut args = vec!["commit".to_string(), "-q".into(), "--no-verify".into(), "-m".into(), message.into()];
    args.push("--".into());
    args.extend(paths.iter().cloned());
    let ran = git.run_committing(&args)?;
    if !ran.ok {
        return Err(git.failed(&args[..2], &ran.stderr, "the catalog was left as it was; run the command again"));
    }
    Ok(())
}

/// Commits what is staged (the first commit, merges).
pub(crate) fn commit_all(git: &Git, message: &str) -> Result<()> {
    let args = ["commit", "-q", "--no-verify", "-m", message];
    let ran = git.run_committing(&args)?;
    if !ran.ok {
        return Err(git.failed(&args[..2], &ran.stderr, ""));
    }
    Ok(())
}

/// Copies the files of `build` that an entry keeps into `entries/<address>`, through a staging
/// directory renamed into place: only the files the build consists of, each a regular file in
/// the build, the bundled ones checked against their hash as they are copied. Returns the
/// bundled files over [`LARGE_FILE`].
fn copy_entry(build: &LoadedBuild, entries: &Path, address: &str) -> Result<Vec<(String, u64)>> {
    fs::create_dir_all(entries).map_err(CatalogError::io("create directory", entries))?;
    let staging = Staging::new_in(entries, STAGING_PREFIX)?;
    let hashes = bundled_hashes(build);
    let mut large = Vec::new();
    for rel in build.files() {
        let (from, to) = (build.path.join(&rel), staging.path().join(&rel));
        // One level at a time: a staging directory removed on interruption is never recreated.
        if let Some(dir) = to.parent().filter(|d| !d.exists()) {
            fs::create_dir(dir).map_err(CatalogError::io("create directory", dir))?;
        }
        // A directory of the build (`data/`) must be a directory in it, not a link out of it.
        if let Some(dir) = from.parent().filter(|d| *d != build.path) {
            let meta = fs::symlink_metadata(dir).map_err(CatalogError::io("read", dir))?;
            if !meta.is_dir() {
                return Err(CatalogError::refused(format!(
                    "`{}` is {}, not a directory of the build; only files inside the build are added, and nothing was added\nhint: build the pipeline again (`xorq build`) and add that build",
                    dir.display(),
                    if meta.file_type().is_symlink() { "a symbolic link" } else { "a file" }
                )));
            }
        }
        let (hash, size) = xorq_fs::copy_file(&from, &to)?;
        if let Some(expected) = hashes.iter().find(|(r, _)| *r == rel).map(|(_, h)| h)
            && hash.as_bytes() != expected.as_bytes()
        {
            return Err(CatalogError::Build(xorq_build::BuildError::invalid(
                &from,
                format!(
                    "its bytes hash to {}, not to the {} it is named by: it changed after the build was checked; nothing was added",
                    &hash.to_hex()[..12],
                    expected.short()
                ),
            )));
        }
        if rel.starts_with("data/") && size > LARGE_FILE {
            large.push((rel, size));
        }
    }
    for dir in ["data", xorq_build::layout::MEMTABLE_DIR] {
        let path = staging.path().join(dir);
        if path.is_dir() {
            xorq_fs::sync_dir(&path)?;
        }
    }
    let final_path = entries.join(address);
    match staging.publish(&final_path)? {
        Published::Done => Ok(large),
        Published::TargetExists(_) => Err(CatalogError::refused(format!(
            "`{}` appeared while the entry was being copied; nothing was added\nhint: run the command again",
            final_path.display()
        ))),
    }
}

/// The bundled files of `build`, relative to it, with the hash each is named by.
fn bundled_hashes(build: &LoadedBuild) -> Vec<(String, Address)> {
    let mut out = Vec::new();
    for node in walk::topological(build.table.node()) {
        if let RelOp::Source(s) = node.op()
            && let SourceKind::File(f) = &s.kind
            && let SourceIdentity::Content { hash, .. } = &f.identity
        {
            out.push((bundled_location(hash, &f.format), *hash));
        }
    }
    out
}
