//! A build is what its name says, checked when it is loaded (before any of its data is read):
//! every bundled file against the BLAKE3 it is named by, and `metadata.json` against the
//! manifest it restates. (The manifest itself is checked against the address by rebuilding it;
//! memtables against their content hash as they are read.)
//!
//! Bundled files are verified once per file identity, remembered in the cache directory
//! ([`Verification::Remembered`], the default), so a run re-hashes nothing that did not change
//! and a read-only copy (a catalog clone) works too; a full check hashes every time
//! ([`Verification::Always`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use xorq_core::plan::{SourceIdentity, SourceKind, walk};
use xorq_core::{RelOp, Table};
use xorq_exec::cache::Cache;
use xorq_fs::FsError;

use crate::error::{BuildError, Result};
use crate::layout::METADATA_FILE;
use crate::metadata::{ColumnMeta, Metadata, SourceMeta, columns, params};

/// How bundled files are checked against the hash they are named by.
///
/// ```
/// use xorq_build::Verification;
/// let cache = xorq_exec::cache::Cache::in_dir("/tmp/cache");
/// assert!(matches!(Verification::in_cache(&cache), Verification::Remembered(_)));
/// assert!(matches!(Verification::in_cache(&xorq_exec::cache::Cache::disabled()), Verification::Always));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verification {
    /// Hash a file once per identity (device, inode, size, modification and change time),
    /// remembering verified identities in this directory.
    Remembered(PathBuf),
    /// Hash every file every time (a full check, or no cache directory to remember in).
    Always,
}

impl Verification {
    /// Remembered in `cache`'s directory (`<cache dir>/xorq-rs-v1/verified`); always when the
    /// cache is disabled or has no directory.
    pub fn in_cache(cache: &Cache) -> Verification {
        match cache.parquet_store() {
            Ok(store) if cache.is_enabled() => Verification::Remembered(store.verified_dir()),
            _ => Verification::Always,
        }
    }

    /// Where verified identities are remembered, if anywhere.
    pub fn records(&self) -> Option<&Path> {
        match self {
            Verification::Remembered(dir) => Some(dir),
            Verification::Always => None,
        }
    }
}

impl Default for Verification {
    /// Remembered in the default cache directory (`$XORQ_CACHE_DIR`, else `~/.cache/xorq`).
    fn default() -> Self {
        Verification::in_cache(&Cache::from_env())
    }
}

/// Checks every bundled file of `table` (whose locations are absolute, in `build`) against its
/// content hash.
pub(crate) fn bundled_files(build: &Path, table: &Table, how: &Verification) -> Result<()> {
    for node in walk::topological(table.node()) {
        let RelOp::Source(source) = node.op() else { continue };
        let SourceKind::File(file) = &source.kind else { continue };
        let SourceIdentity::Content { hash, .. } = &file.identity else { continue };
        let path = Path::new(&file.location);
        let expected = blake3::Hash::from_bytes(*hash.as_bytes());
        match xorq_fs::verify::verify(path, &expected, how.records()) {
            Ok(_) => {}
            Err(FsError::Mismatch { actual, .. }) => {
                return Err(BuildError::invalid(
                    path,
                    format!(
                        "this bundled copy of `{}` should hash to {} (its name) but its bytes hash to {}: it was changed after the build was written, and is not read\nhint: remove `{}` and build the pipeline again (`xorq build`), or restore the file from a good copy of the build",
                        source.name,
                        hash.short(),
                        &actual[..12],
                        build.display()
                    ),
                ));
            }
            Err(FsError::Io { source: e, .. }) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BuildError::invalid(
                    path,
                    format!(
                        "the bundled copy of `{}` is missing from `{}`; the build is incomplete, build it again",
                        source.name,
                        build.display()
                    ),
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Checks that `metadata.json` says of the expression what the manifest does (its schema, root,
/// computation address, parameters and sources); provenance (labels, origins, times, sizes,
/// tool) is not restated anywhere and is not checked.
pub(crate) fn metadata(build: &Path, metadata: &Metadata, table: &Table) -> Result<()> {
    let file = build.join(METADATA_FILE);
    let differs = |field: &str, recorded: String, actual: String| {
        BuildError::invalid(
            &file,
            format!(
                "its `{field}` says {recorded} but expr.yaml gives {actual}: metadata.json was edited after the build was written\nhint: build the pipeline again instead of editing a build"
            ),
        )
    };
    let root = table.node().op().name();
    if metadata.root != root {
        return Err(differs("root", format!("`{}`", metadata.root), format!("`{root}`")));
    }
    let computation = table.computation_address().hex();
    if metadata.computation_address != computation {
        return Err(differs("computation_address", short(&metadata.computation_address), short(&computation)));
    }
    let schema = columns(table.schema());
    if metadata.schema != schema {
        return Err(differs("schema", show_columns(&metadata.schema), show_columns(&schema)));
    }
    let declared = params(table)?;
    if metadata.params != declared {
        let show = |p: &[crate::metadata::ParamMeta]| {
            let names: Vec<String> = p.iter().map(|p| format!("{}: {}", p.name, p.dtype)).collect();
            format!("({})", names.join(", "))
        };
        return Err(differs("params", show(&metadata.params), show(&declared)));
    }
    let sources = crate::sources::describe(table, &BTreeMap::new());
    if metadata.sources.len() != sources.len() {
        return Err(differs("sources", format!("{} sources", metadata.sources.len()), format!("{}", sources.len())));
    }
    for (i, (recorded, actual)) in metadata.sources.iter().zip(&sources).enumerate() {
        if let Some((field, r, a)) = source_difference(recorded, actual) {
            return Err(differs(&format!("sources[{i}].{field}"), r, a));
        }
    }
    Ok(())
}

/// The first field in which a recorded source differs from the manifest's, with both values.
fn source_difference(recorded: &SourceMeta, actual: &SourceMeta) -> Option<(&'static str, String, String)> {
    let text = |v: &Option<String>| v.as_deref().map_or("nothing".to_string(), |s| format!("`{s}`"));
    let pairs = [
        ("kind", Some(recorded.kind.clone()), Some(actual.kind.clone())),
        ("format", recorded.format.clone(), actual.format.clone()),
        ("location", recorded.location.clone(), actual.location.clone()),
        ("content", recorded.content.clone(), actual.content.clone()),
        ("profile", recorded.profile.clone(), actual.profile.clone()),
        ("table", recorded.table.as_ref().map(|t| t.join(".")), actual.table.as_ref().map(|t| t.join("."))),
        ("rows", recorded.rows.map(|r| r.to_string()), actual.rows.map(|r| r.to_string())),
    ];
    for (field, r, a) in pairs {
        if r != a {
            return Some((field, text(&r), text(&a)));
        }
    }
    (recorded.schema != actual.schema).then(|| ("schema", show_columns(&recorded.schema), show_columns(&actual.schema)))
}

fn short(hex: &str) -> String {
    format!("`{}`", &hex[..12.min(hex.len())])
}

fn show_columns(columns: &[ColumnMeta]) -> String {
    let list: Vec<String> = columns
        .iter()
        .map(|c| format!("{}: {}{}", c.name, c.dtype, if c.nullable { "" } else { " not null" }))
        .collect();
    format!("({})", list.join(", "))
}
