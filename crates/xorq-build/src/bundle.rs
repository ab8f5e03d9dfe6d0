//! Bundling local file reads into a build: each file is named by the BLAKE3 hash of its bytes
//! (its identity in the address), and copied into the build once the build is known to be new
//! (SPEC §2, §3).
//!
//! Two steps, so that rebuilding an existing address reads each file once and copies nothing:
//! [`hash_reads`] names every file by its content, then [`copy_bundled`] copies them into a new
//! build, hashing each copy again: a file that changed in between is an error, never a build
//! whose bytes disagree with its address.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use xorq_core::plan::rewrite::map_sources;
use xorq_core::plan::source::{BUNDLED_DIR, bundled_location};
use xorq_core::plan::{FileSource, SourceIdentity, SourceKind, is_url};
use xorq_core::{Address, FileFormat, Schema, Source, Table};
use xorq_engines::probe;

use crate::error::{BuildError, Result};

/// One file to bundle, as found when it was hashed.
#[derive(Clone, Debug)]
pub(crate) struct BundledFile {
    /// Where its bytes are now.
    pub from: PathBuf,
    /// Its format.
    pub format: FileFormat,
    /// The columns the expression expects.
    pub schema: Schema,
    /// Size in bytes.
    pub size: u64,
    /// Modification time of the origin when it was hashed (absent when re-bundled from a build).
    pub modified: Option<SystemTime>,
}

/// `table` with its local file reads (when `relocate` is set) and its already-bundled reads
/// named by the hash of their bytes, and the local reads that stay references under
/// `project_root` named by their path in the project. Reads still point where the bytes are now.
///
/// With `downloads` (a scratch directory), reads of remote objects are downloaded there and
/// bundled too (`--bundle-remote`), the URL kept as their origin.
pub(crate) fn hash_reads(
    table: &Table,
    relocate: bool,
    project_root: Option<&Path>,
    downloads: Option<&Path>,
) -> Result<(Table, BTreeMap<Address, BundledFile>)> {
    let mut bundled: BTreeMap<Address, BundledFile> = BTreeMap::new();
    let mut fetched = 0usize;
    let root = map_sources(table.node(), |source| {
        let SourceKind::File(file) = &source.kind else { return Ok(None) };
        match &file.identity {
            SourceIdentity::Reference(reference) if is_url(reference) => {
                // A remote read stays a reference unless it is snapshotted.
                let Some(dir) = downloads else { return Ok(None) };
                fetched += 1;
                let local = dir.join(format!("{fetched}.{}", file.format.name()));
                let object = xorq_engines::remote::download(reference, &local)?;
                let (hash, size) = hash_origin(&local)?;
                let modified = Some(SystemTime::from(object.last_modified));
                bundled.entry(hash).or_insert_with(|| bundled_file(&local, file, source, size, modified));
                Ok(Some(bundled_source(source, file, hash, reference)))
            }
            SourceIdentity::Reference(reference) if relocate && is_bundleable(reference) => {
                let origin = Path::new(reference);
                let modified = fs::metadata(origin).and_then(|m| m.modified()).ok();
                let (hash, size) = hash_origin(origin)?;
                bundled.entry(hash).or_insert_with(|| bundled_file(origin, file, source, size, modified));
                Ok(Some(bundled_source(source, file, hash, reference)))
            }
            SourceIdentity::Project(_) if relocate && is_bundleable(&file.location) => {
                let origin = Path::new(&file.location);
                let modified = fs::metadata(origin).and_then(|m| m.modified()).ok();
                let (hash, size) = hash_origin(origin)?;
                bundled.entry(hash).or_insert_with(|| bundled_file(origin, file, source, size, modified));
                Ok(Some(bundled_source(source, file, hash, &file.location)))
            }
            SourceIdentity::Reference(reference) => {
                let Some(path) = project_root.and_then(|root| in_project(reference, root)) else { return Ok(None) };
                let schema = (*source.schema).clone();
                Ok(Some(Source::project_file(file.format.clone(), &file.location, &path, schema)))
            }
            SourceIdentity::Content { hash, origin } => {
                // A file of another build: read only as a regular file in it.
                let from = Path::new(&file.location);
                let (actual, size) = xorq_fs::hash_file(from)?;
                let actual = Address::from_bytes(*actual.as_bytes());
                if actual != *hash {
                    return Err(changed(from, hash, &actual));
                }
                bundled.entry(*hash).or_insert_with(|| bundled_file(from, file, source, size, None));
                Ok(Some(bundled_source(source, file, *hash, origin)))
            }
            _ => Ok(None),
        }
    })?;
    Ok((Table::from_node(root), bundled))
}

/// Copies every bundled file into `staging/data/<hash>.<format>` (the staging directory is the
/// only temporary place: it is published whole or not at all), checking the copy's hash and
/// columns, and syncs it to disk. With `records`, each copy is remembered as verified, so the
/// first run does not hash it again.
pub(crate) fn copy_bundled(
    bundled: &BTreeMap<Address, BundledFile>,
    staging: &Path,
    records: Option<&Path>,
) -> Result<()> {
    if bundled.is_empty() {
        return Ok(());
    }
    let dir = staging.join(BUNDLED_DIR);
    // One level only: a staging directory removed on interruption is never recreated.
    fs::create_dir(&dir).map_err(BuildError::io("create directory", &dir))?;
    for (hash, file) in bundled {
        let dest = staging.join(bundled_location(hash, &file.format));
        let (copied, _) = xorq_fs::copy_from(open_origin(&file.from)?, &file.from, &dest)?;
        if copied.as_bytes() != hash.as_bytes() {
            return Err(BuildError::invalid(
                &file.from,
                "the file changed while the build was being written; build again once it is complete",
            ));
        }
        let location = dest.to_str().ok_or_else(|| BuildError::NotUtf8 {
            what: "the builds directory",
            path: staging.parent().unwrap_or(staging).to_path_buf(),
        })?;
        // The copy is what will run: check it has the columns the expression was made with.
        probe::verify_file(&file.format, location, &file.schema)?;
        if let Some(records) = records {
            xorq_fs::verify::remember(&dest, &copied, records);
        }
    }
    xorq_fs::sync_dir(&dir)?;
    Ok(())
}

/// `reference`'s path relative to `root`, `/`-separated, if it is a local path under `root`
/// (both are normalized absolute paths; a URL or a non-UTF-8 path stays as it is).
fn in_project(reference: &str, root: &Path) -> Option<String> {
    if is_url(reference) {
        return None;
    }
    let root = std::path::absolute(root).ok()?;
    let relative = Path::new(reference).strip_prefix(&root).ok()?;
    let parts: Option<Vec<&str>> = relative
        .components()
        .map(|c| match c {
            std::path::Component::Normal(p) => p.to_str(),
            _ => None,
        })
        .collect();
    let parts = parts?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A local regular file; directories (partitioned datasets) and URLs stay references.
fn is_bundleable(reference: &str) -> bool {
    !is_url(reference) && fs::metadata(reference).is_ok_and(|m| m.is_file())
}

fn bundled_file(
    from: &Path,
    file: &FileSource,
    source: &Source,
    size: u64,
    modified: Option<SystemTime>,
) -> BundledFile {
    BundledFile {
        from: from.to_path_buf(),
        format: file.format.clone(),
        schema: (*source.schema).clone(),
        size,
        modified,
    }
}

/// The source named by `hash`, still reading from where its bytes are now.
fn bundled_source(source: &Source, file: &FileSource, hash: Address, origin: &str) -> Source {
    let mut out = Source::bundled_file(file.format.clone(), &file.location, hash, origin, (*source.schema).clone());
    out.name = source.name.clone();
    out
}

fn changed(path: &Path, expected: &Address, actual: &Address) -> BuildError {
    BuildError::invalid(
        path,
        format!(
            "this bundled file should hash to {} but its bytes hash to {}: it was changed after it was bundled",
            expected.short(),
            actual.short()
        ),
    )
}

/// Opens a user's file to bundle: where the user's path leads (links are the user's to make),
/// as long as it is a regular file.
fn open_origin(path: &Path) -> Result<File> {
    let file = File::open(path).map_err(BuildError::io("open", path))?;
    let meta = file.metadata().map_err(BuildError::io("read", path))?;
    if !meta.is_file() {
        return Err(xorq_fs::FsError::NotRegular {
            path: path.to_path_buf(),
            kind: "a special file (a directory, pipe, socket or device)",
        }
        .into());
    }
    Ok(file)
}

/// BLAKE3 of a user's file's bytes, and its size.
fn hash_origin(path: &Path) -> Result<(Address, u64)> {
    let (hash, size) = xorq_fs::hash_reader(open_origin(path)?, path)?;
    Ok((Address::from_bytes(*hash.as_bytes()), size))
}
