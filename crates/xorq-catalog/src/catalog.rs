//! Opening and creating a catalog, and everything that only reads it: listings, resolution of
//! aliases and addresses, entry details. Reads look at the work tree and do not start `git`,
//! except for the paths of a change that another writer is making (or that was interrupted):
//! those are read from `HEAD`, so what was never committed is never seen ([`crate::lock`]).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use xorq_build::Metadata;
use xorq_build::fsutil::replace_file;

use crate::alias::{AliasFile, AliasName, Reference};
use crate::error::{CatalogError, Result};
use crate::git::Git;
use crate::layout::{
    ALIASES_DIR, CATALOG_FILE, CatalogFile, ENTRIES_DIR, STAGING_PREFIX, alias_path, entry_path, is_full_address,
};
use crate::lock::{Unsettled, repair_if_idle};

/// Shortest address prefix accepted as a reference (shorter ones are too easy to mistype).
pub const MIN_PREFIX: usize = 4;

/// A catalog: a git work tree laid out as described in [`crate::layout`].
#[derive(Debug)]
pub struct Catalog {
    pub(crate) root: PathBuf,
    pub(crate) git: Git,
}

/// An entry as listings show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntrySummary {
    /// Full address (64 hex).
    pub address: String,
    /// The aliases whose latest revision is this entry.
    pub aliases: Vec<String>,
}

/// An alias as `list-aliases` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AliasSummary {
    /// The alias.
    pub alias: String,
    /// Full address of the latest revision's entry.
    pub address: String,
    /// The latest revision's number.
    pub revision: u32,
    /// When the latest revision was made.
    pub at: String,
    /// Revisions recorded by a pull from a diverged clone and not yet settled.
    pub conflicts: usize,
}

/// A revision of an alias that points to a given entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AliasPointer {
    /// The alias.
    pub alias: String,
    /// The revision.
    pub revision: u32,
    /// Whether it is the alias's latest revision.
    pub latest: bool,
}

/// What a reference resolved to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resolved {
    /// Full address of the entry.
    pub address: String,
    /// The entry's directory (a build directory: `xorq_build::load` reads it).
    pub dir: PathBuf,
    /// The alias and revision it was reached through, if any.
    pub alias: Option<(String, u32)>,
}

/// Everything `show` prints about an entry.
#[derive(Clone, Debug, Serialize)]
pub struct EntryDetails {
    /// How the entry was reached.
    pub resolved: Resolved,
    /// Its `metadata.json`.
    pub metadata: Metadata,
    /// Alias revisions pointing to it.
    pub aliases: Vec<AliasPointer>,
    /// Bytes in the entry directory.
    pub size: u64,
    /// Files in the entry directory.
    pub files: usize,
    /// The revisions of the alias it was reached through.
    pub revisions: Option<AliasFile>,
}

impl Catalog {
    /// Opens the catalog in `path`.
    ///
    /// ```no_run
    /// let catalog = xorq_catalog::Catalog::open("my-catalog".as_ref())?;
    /// for alias in catalog.aliases()? {
    ///     println!("{} -> {} (r{})", alias.alias, &alias.address[..12], alias.revision);
    /// }
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn open(path: &Path) -> Result<Catalog> {
        let root = std::path::absolute(path).map_err(CatalogError::io("resolve", path))?;
        CatalogFile::read(&root)?;
        let root = fs::canonicalize(&root).unwrap_or(root);
        if !root.join(".git").exists() {
            return Err(CatalogError::NotACatalog {
                path: root,
                reason: "it has a catalog.yaml but is not the top of a git work tree; clone the catalog with `xorq catalog clone`".into(),
            });
        }
        let git = Git::new(&root);
        repair_if_idle(&git);
        Ok(Catalog { root, git })
    }

    /// Creates a catalog in `path` (a new or empty directory): a git repository whose first
    /// commit holds `catalog.yaml`. A failure leaves nothing behind.
    ///
    /// ```no_run
    /// let catalog = xorq_catalog::Catalog::init("my-catalog".as_ref())?;
    /// assert!(catalog.entries()?.is_empty());
    /// # Ok::<(), xorq_catalog::CatalogError>(())
    /// ```
    pub fn init(path: &Path) -> Result<Catalog> {
        let root = std::path::absolute(path).map_err(CatalogError::io("resolve", path))?;
        let created = !root.exists();
        if !created {
            if root.join(CATALOG_FILE).exists() {
                return Err(CatalogError::refused(format!("`{}` is already a catalog", root.display())));
            }
            let mut children = fs::read_dir(&root).map_err(CatalogError::io("read", &root))?;
            if children.next().is_some() {
                return Err(CatalogError::refused(format!(
                    "`{}` is not empty; a catalog is created in a new or empty directory",
                    root.display()
                )));
            }
        }
        fs::create_dir_all(&root).map_err(CatalogError::io("create directory", &root))?;
        let root = fs::canonicalize(&root).unwrap_or(root);
        let result = Self::init_in(&root);
        if result.is_err() {
            if created {
                let _ = fs::remove_dir_all(&root);
            } else if let Ok(children) = fs::read_dir(&root) {
                for child in children.flatten() {
                    let p = child.path();
                    let _ = if p.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
                }
            }
        }
        result
    }

    fn init_in(root: &Path) -> Result<Catalog> {
        let git = Git::new(root);
        git.run(&["init", "-q"])?;
        first_commit(&git, root)?;
        Ok(Catalog { root: root.to_path_buf(), git })
    }

    /// The catalog's directory (absolute).
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A warning, the first time this clone's commits are made without a git identity (as
    /// `xorq <xorq@localhost>`), naming what to set; `None` when git has an identity, or when
    /// this clone was told before (a marker in `.git`, so it is said once, not on every change).
    pub fn identity_warning(&self) -> Option<String> {
        if self.git.fallback_identity().is_empty() {
            return None;
        }
        let marker = self.root.join(".git").join("xorq-identity-warned");
        if marker.exists() {
            return None;
        }
        // Best effort: a marker that cannot be written only means the warning comes again.
        let _ = std::fs::write(&marker, b"");
        Some(
            "git has no identity here, so catalog changes are committed as `xorq <xorq@localhost>`; set one with \
             `git config --global user.name \"Your Name\"` and `git config --global user.email you@example.com` \
             (said once per catalog)"
                .to_string(),
        )
    }

    /// Every entry's full address, in address order.
    pub fn addresses(&self) -> Result<Vec<String>> {
        let dir = self.root.join(ENTRIES_DIR);
        let unsettled = Unsettled::read(&self.git);
        let names = if unsettled == Unsettled::All { self.head_names(ENTRIES_DIR)? } else { read_names(&dir)? };
        let mut out = Vec::new();
        for name in names {
            if !is_full_address(&name) || !dir.join(&name).is_dir() {
                continue;
            }
            // An entry being added (or whose adding was interrupted) is not in the catalog yet.
            if unsettled.covers(&entry_path(&name)) && !self.in_head(&entry_path(&name))? {
                continue;
            }
            out.push(name);
        }
        out.sort();
        Ok(out)
    }

    /// Every alias file, by alias name.
    pub fn alias_files(&self) -> Result<BTreeMap<String, AliasFile>> {
        let dir = self.root.join(ALIASES_DIR);
        let unsettled = Unsettled::read(&self.git);
        let mut names = if unsettled == Unsettled::All { self.head_names(ALIASES_DIR)? } else { read_names(&dir)? };
        // An alias being removed is still in the catalog until the removal is committed.
        if let Unsettled::Paths(paths) = &unsettled {
            for p in paths {
                if let Some(name) = p.strip_prefix(&format!("{ALIASES_DIR}/"))
                    && !names.iter().any(|n| n == name)
                {
                    names.push(name.to_string());
                }
            }
        }
        let mut out = BTreeMap::new();
        for name in names {
            let Some(alias) = name.strip_suffix(".yaml") else { continue };
            if let Some(file) = self.read_alias_file(alias, &unsettled)? {
                out.insert(alias.to_string(), file);
            }
        }
        Ok(out)
    }

    /// The alias file of `alias`, if the alias exists.
    pub fn alias_file(&self, alias: &AliasName) -> Result<Option<AliasFile>> {
        self.read_alias_file(alias.as_str(), &Unsettled::read(&self.git))
    }

    /// The alias file of `alias`: from the work tree, or from `HEAD` while a change of it is
    /// unsettled.
    fn read_alias_file(&self, alias: &str, unsettled: &Unsettled) -> Result<Option<AliasFile>> {
        let rel = alias_path(alias);
        let path = self.root.join(&rel);
        let text = if unsettled.covers(&rel) {
            self.head_text(&rel)?
        } else {
            match fs::read_to_string(&path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(CatalogError::io("read", &path)(e)),
            }
        };
        text.map(|text| AliasFile::parse(&text, &path, alias)).transpose()
    }

    /// Whether the entry `address` is in the catalog (in the work tree, and in `HEAD` while a
    /// change of it is unsettled).
    fn is_entry(&self, address: &str) -> Result<bool> {
        let rel = entry_path(address);
        if !self.root.join(&rel).is_dir() {
            return Ok(false);
        }
        if Unsettled::read(&self.git).covers(&rel) {
            return self.in_head(&rel);
        }
        Ok(true)
    }

    /// The text of `path` in `HEAD`, if it is there.
    fn head_text(&self, path: &str) -> Result<Option<String>> {
        let ran = self.git.try_run(&["show", &format!("HEAD:{path}")])?;
        Ok(ran.ok.then_some(ran.stdout))
    }

    /// Whether `HEAD` holds `path`.
    fn in_head(&self, path: &str) -> Result<bool> {
        Ok(self.git.try_run(&["cat-file", "-e", &format!("HEAD:{path}")])?.ok)
    }

    /// The names in the directory `dir` of `HEAD`.
    fn head_names(&self, dir: &str) -> Result<Vec<String>> {
        let ran = self.git.try_run(&["ls-tree", "--name-only", "-z", "HEAD", "--", &format!("{dir}/")])?;
        Ok(ran
            .stdout
            .split('\0')
            .filter_map(|p| p.strip_prefix(&format!("{dir}/")).map(str::to_string))
            .filter(|n| !n.is_empty())
            .collect())
    }

    /// Entries with the aliases that currently point to them.
    pub fn entries(&self) -> Result<Vec<EntrySummary>> {
        let mut by_address: BTreeMap<String, Vec<String>> =
            self.addresses()?.into_iter().map(|a| (a, Vec::new())).collect();
        for (alias, file) in self.alias_files()? {
            if let Some(latest) = file.latest()
                && let Some(list) = by_address.get_mut(&latest.address)
            {
                list.push(alias);
            }
        }
        Ok(by_address.into_iter().map(|(address, aliases)| EntrySummary { address, aliases }).collect())
    }

    /// Aliases with their latest revision, in name order.
    pub fn aliases(&self) -> Result<Vec<AliasSummary>> {
        Ok(self
            .alias_files()?
            .into_values()
            .filter_map(|f| {
                let latest = f.latest()?.clone();
                Some(AliasSummary {
                    alias: f.alias,
                    address: latest.address,
                    revision: latest.revision,
                    at: latest.at,
                    conflicts: f.conflicts.len(),
                })
            })
            .collect())
    }

    /// Alias revisions that point to `address`.
    pub fn aliases_of(&self, address: &str) -> Result<Vec<AliasPointer>> {
        let mut out = Vec::new();
        for (alias, file) in self.alias_files()? {
            let latest = file.latest().map(|r| r.revision);
            for r in file.revisions.iter().filter(|r| r.address == address) {
                out.push(AliasPointer {
                    alias: alias.clone(),
                    revision: r.revision,
                    latest: Some(r.revision) == latest,
                });
            }
        }
        Ok(out)
    }

    /// Resolves `reference`: `alias` (its latest revision), `alias@rN`, or the start of an
    /// entry's address (at least four hex digits; an alias of the same name wins).
    ///
    /// ```no_run
    /// # let catalog = xorq_catalog::Catalog::open("c".as_ref())?;
    /// let prod = catalog.resolve("prod@r2")?;
    /// let build = xorq_build::load(&prod.dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn resolve(&self, reference: &str) -> Result<Resolved> {
        match Reference::parse(reference)? {
            Reference::Alias { alias, revision } => self.resolve_alias(&alias, revision, reference),
            Reference::Name(name) => {
                if let Ok(alias) = AliasName::new(&name)
                    && let Some(file) = self.alias_file(&alias)?
                {
                    return self.resolve_file(&alias, &file, None);
                }
                if name.len() >= MIN_PREFIX && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                    let prefix = name.to_ascii_lowercase();
                    let matches: Vec<String> =
                        self.addresses()?.into_iter().filter(|a| a.starts_with(&prefix)).collect();
                    match matches.as_slice() {
                        [one] => return Ok(self.resolved(one, None)),
                        [] => {}
                        many => {
                            return Err(CatalogError::Ambiguous {
                                prefix: name,
                                candidates: many.iter().map(|a| a[..12].to_string()).collect(),
                            });
                        }
                    }
                }
                Err(self.not_found(reference))
            }
        }
    }

    fn resolve_alias(&self, alias: &AliasName, revision: Option<u32>, reference: &str) -> Result<Resolved> {
        let Some(file) = self.alias_file(alias)? else { return Err(self.not_found(reference)) };
        self.resolve_file(alias, &file, revision)
    }

    fn resolve_file(&self, alias: &AliasName, file: &AliasFile, revision: Option<u32>) -> Result<Resolved> {
        let latest = file.latest().map_or(0, |r| r.revision);
        let chosen = match revision {
            None => file.latest(),
            Some(n) => file.revision(n),
        };
        let Some(chosen) = chosen else {
            return Err(CatalogError::NoRevision { alias: alias.to_string(), revision: revision.unwrap_or(0), latest });
        };
        let resolved = self.resolved(&chosen.address, Some((alias.to_string(), chosen.revision)));
        if !self.is_entry(&chosen.address)? {
            return Err(CatalogError::RemovedEntry {
                alias: alias.to_string(),
                revision: chosen.revision,
                address: chosen.address[..12].to_string(),
            });
        }
        Ok(resolved)
    }

    fn resolved(&self, address: &str, alias: Option<(String, u32)>) -> Resolved {
        Resolved { address: address.to_string(), dir: self.root.join(entry_path(address)), alias }
    }

    /// The error for a reference that names nothing, with similar alias names.
    pub(crate) fn not_found(&self, reference: &str) -> CatalogError {
        let wanted = reference.split('@').next().unwrap_or(reference);
        let mut similar: Vec<(f64, String)> = read_names(&self.root.join(ALIASES_DIR))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
            .map(|n| (strsim::jaro_winkler(wanted, &n), n))
            .filter(|(score, _)| *score > 0.85)
            .collect();
        similar.sort_by(|a, b| b.0.total_cmp(&a.0));
        CatalogError::NotFound {
            reference: reference.to_string(),
            catalog: self.root.clone(),
            similar: similar.into_iter().take(3).map(|(_, n)| n).collect(),
        }
    }

    /// What `show` prints about the entry `reference` names.
    pub fn details(&self, reference: &str) -> Result<EntryDetails> {
        let resolved = self.resolve(reference)?;
        let metadata = xorq_build::read_metadata(&resolved.dir)?;
        let (size, files) = dir_size(&resolved.dir);
        let aliases = self.aliases_of(&resolved.address)?;
        let revisions = match &resolved.alias {
            Some((alias, _)) => self.alias_file(&AliasName::new(alias)?)?,
            None => None,
        };
        Ok(EntryDetails { resolved, metadata, aliases, size, files, revisions })
    }
}

/// Writes `catalog.yaml` and `.gitignore` and commits them on branch `main`: the start of every
/// catalog (the same bytes everywhere, so catalogs started apart still merge).
pub(crate) fn first_commit(git: &Git, root: &Path) -> Result<()> {
    git.run(&["symbolic-ref", "HEAD", "refs/heads/main"])?;
    replace_file(&root.join(CATALOG_FILE), CatalogFile::new_text().as_bytes())?;
    replace_file(&root.join(".gitignore"), format!("{STAGING_PREFIX}*\n").as_bytes())?;
    git.run(&["add", "--", CATALOG_FILE, ".gitignore"])?;
    crate::write::commit_all(git, &crate::write::message("init catalog", &[("Op", "init".to_string())]))
}

/// Names in `dir`, without staging (`.tmp-*`) and hidden names; none when it does not exist.
pub(crate) fn read_names(dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CatalogError::io("read", dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(CatalogError::io("read", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            out.push(name);
        }
    }
    Ok(out)
}

/// Total bytes and number of files under `dir`.
pub(crate) fn dir_size(dir: &Path) -> (u64, usize) {
    let mut size = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            match entry.metadata() {
                Ok(m) if m.is_dir() => stack.push(entry.path()),
                Ok(m) => {
                    size += m.len();
                    files += 1;
                }
                Err(_) => {}
            }
        }
    }
    (size, files)
}
