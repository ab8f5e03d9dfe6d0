//! The files of a catalog, by name. A catalog is a git work tree:
//!
//! ```text
//! <catalog>/
//!   catalog.yaml                   layout: 1   (refused by readers of an older layout)
//!   .gitignore                     .tmp-*      (staging names, never committed)
//!   entries/<64-hex address>/      one build, named by its full input address:
//!     expr.yaml                      the canonical manifest (what the address names)
//!     profiles.yaml                  backend profiles, secrets only as ${ENV} references
//!     metadata.json                  schema, sources with fingerprints, parameters, build time
//!     data/<blake3>.<format>         bundled source files (kept in git, see the crate docs)
//!     memtables/<hash>.parquet       in-memory tables
//!   aliases/<alias>.yaml           an alias and its revisions:
//!     alias: prod
//!     revisions:
//!     - revision: 1
//!       address: <64 hex>
//!       at: 2026-11-23T10:00:00Z
//!     conflicts: […]                 only after a pull met a diverged alias (see `pull`)
//! ```
//!
//! Entries are immutable: an entry directory is written once, by `add`, and removed whole, by
//! `remove`. Aliases only grow (a re-pointed alias gains a revision) until removed. So a diff of
//! two catalog commits reads as "entries added/removed, revisions appended".
//!
//! Inside `.git/`, the catalog keeps `xorq-catalog.lock` (the writers' lock), while a change
//! is being made `xorq-catalog-op.json` (the paths it touches, for recovery after a crash), and
//! `xorq-node-index.json` ([`NODE_INDEX_FILE`]), the index of every entry's node addresses that
//! `find` searches. The index is derived from the entries and never committed (so pulls and
//! merges never conflict on it): `add` and `remove` update it, a read that finds it out of date
//! repairs it for the entries that differ, and `check` rebuilds it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{CatalogError, Result};

/// The catalog's description file at its root.
pub const CATALOG_FILE: &str = "catalog.yaml";
/// The directory of entries.
pub const ENTRIES_DIR: &str = "entries";
/// The directory of alias files.
pub const ALIASES_DIR: &str = "aliases";
/// Prefix of staging files and directories (ignored by readers and by git).
pub const STAGING_PREFIX: &str = ".tmp-";
/// The node index, inside `.git/` (derived, never committed; see [`crate::Catalog::find`]).
pub const NODE_INDEX_FILE: &str = "xorq-node-index.json";
/// The layout version this crate writes and reads.
pub const LAYOUT_VERSION: u32 = 1;
/// The files of a build directory that an entry keeps besides its data (debug output is
/// derived and left out); the data kept is what the manifest references
/// (`xorq_build::LoadedBuild::files`).
pub const ENTRY_FILES: &[&str] =
    &[xorq_build::layout::EXPR_FILE, xorq_build::layout::PROFILES_FILE, xorq_build::layout::METADATA_FILE];
/// The directories of a build directory that an entry keeps.
pub const ENTRY_DIRS: &[&str] = &["data", xorq_build::layout::MEMTABLE_DIR];

/// `catalog.yaml`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFile {
    /// Version of the layout described in this module.
    pub layout: u32,
}

impl CatalogFile {
    /// The text of a new catalog's `catalog.yaml` (the same bytes in every catalog, so two
    /// catalogs created apart still merge).
    pub fn new_text() -> String {
        format!(
            "# A xorq catalog: builds under entries/<address>/, aliases under aliases/<alias>.yaml.\n\
             # Change it with `xorq catalog …`; every change is one git commit.\nlayout: {LAYOUT_VERSION}\n"
        )
    }

    /// Reads and checks `catalog.yaml` in `root`.
    pub fn read(root: &Path) -> Result<CatalogFile> {
        let path = root.join(CATALOG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let reason = if root.is_dir() {
                    "it has no catalog.yaml; create a catalog with `xorq catalog init` or clone one with `xorq catalog clone`"
                } else {
                    "no such directory; create a catalog with `xorq catalog init` or clone one with `xorq catalog clone`"
                };
                return Err(CatalogError::NotACatalog { path: root.to_path_buf(), reason: reason.into() });
            }
            Err(e) => return Err(CatalogError::io("read", &path)(e)),
        };
        let file: CatalogFile = serde_saphyr::from_str(&text)
            .map_err(|e| CatalogError::Malformed { path: path.clone(), message: e.to_string() })?;
        if file.layout > LAYOUT_VERSION {
            return Err(CatalogError::Malformed {
                path,
                message: format!(
                    "it has layout version {}, newer than this xorq-rs reads ({LAYOUT_VERSION}); upgrade xorq-rs",
                    file.layout
                ),
            });
        }
        Ok(file)
    }
}

/// `entries/<hex>` relative to the catalog root, with `/` separators (as git writes paths).
pub fn entry_path(address_hex: &str) -> String {
    format!("{ENTRIES_DIR}/{address_hex}")
}

/// `aliases/<alias>.yaml` relative to the catalog root.
pub fn alias_path(alias: &str) -> String {
    format!("{ALIASES_DIR}/{alias}.yaml")
}

/// Whether `name` is a full 64-hex address (an entry directory's name).
pub fn is_full_address(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_file_round_trips_and_newer_layouts_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CATALOG_FILE), CatalogFile::new_text()).unwrap();
        assert_eq!(CatalogFile::read(dir.path()).unwrap(), CatalogFile { layout: 1 });
        std::fs::write(dir.path().join(CATALOG_FILE), "layout: 9\n").unwrap();
        let e = CatalogFile::read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("layout version 9") && e.contains("upgrade"), "{e}");
        let e = CatalogFile::read(&dir.path().join("nope")).unwrap_err().to_string();
        assert!(e.contains("not a xorq catalog"), "{e}");
    }
}
