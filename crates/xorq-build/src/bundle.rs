//! Bundling local file reads into a build: each file is copied once, named by the BLAKE3 hash of
//! its bytes, and the read is re-pointed at the copy (SPEC §2, §3).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use xorq_core::plan::rewrite::map_sources;
use xorq_core::plan::source::{BUNDLED_DIR, bundled_location};
use xorq_core::plan::{FileSource, SourceIdentity, SourceKind, is_url};
use xorq_core::{Address, Source, Table};
use xorq_engines::probe;

use crate::error::{BuildError, Result};
use crate::fsutil::{create_dir, sync_dir};

/// What the build learned about one bundled file.
#[derive(Clone, Debug)]
pub(crate) struct BundledFile {
    /// Size in bytes.
    pub size: u64,
    /// Modification time of the origin when it was copied (absent when re-bundled from a build).
    pub modified: Option<SystemTime>,
}

/// `table` with its local file reads bundled into `staging` (when `relocate` is set) and its
/// already-bundled reads copied there (always: a bundled read has no other home).
pub(crate) fn bundle_reads(
    table: &Table,
    staging: &Path,
    relocate: bool,
) -> Result<(Table, BTreeMap<Address, BundledFile>)> {
    let mut bundled: BTreeMap<Address, BundledFile> = BTreeMap::new();
    let root = map_sources(table.node(), |source| {
        let SourceKind::File(file) = &source.kind else { return Ok(None) };
        match &file.identity {
            SourceIdentity::Reference(reference) if relocate && is_bundleable(reference) => {
                bundle_reference(source, file, reference, staging, &mut bundled).map(Some)
            }
            SourceIdentity::Content { hash, origin } => {
                rebundle(source, file, *hash, origin, staging, &mut bundled).map(Some)
            }
            _ => Ok(None),
        }
    })?;
    Ok((Table::from_node(root), bundled))
}

/// A local regular file; directories (partitioned datasets) and URLs stay references.
fn is_bundleable(reference: &str) -> bool {
    !is_url(reference) && fs::metadata(reference).is_ok_and(|m| m.is_file())
}

fn bundle_reference(
    source: &Source,
    file: &FileSource,
    reference: &str,
    staging: &Path,
    bundled: &mut BTreeMap<Address, BundledFile>,
) -> Result<Source> {
    let origin = Path::new(reference);
    let modified = fs::metadata(origin).and_then(|m| m.modified()).ok();
    let (hash, size, dest) = copy_hashed(origin, staging, &file.format, None)?;
    // The copy is what will run: check it still has the columns the expression was made with.
    probe::verify_file(&file.format, path_str(&dest)?, &source.schema)?;
    bundled.entry(hash).or_insert(BundledFile { size, modified });
    let mut out =
        Source::bundled_file(file.format.clone(), path_str(&dest)?, hash, reference, (*source.schema).clone());
    out.name = source.name.clone();
    Ok(out)
}

fn rebundle(
    source: &Source,
    file: &FileSource,
    hash: Address,
    origin: &str,
    staging: &Path,
    bundled: &mut BTreeMap<Address, BundledFile>,
) -> Result<Source> {
    let (_, size, dest) = copy_hashed(Path::new(&file.location), staging, &file.format, Some(hash))?;
    bundled.entry(hash).or_insert(BundledFile { size, modified: None });
    let mut out = Source::bundled_file(file.format.clone(), path_str(&dest)?, hash, origin, (*source.schema).clone());
    out.name = source.name.clone();
    Ok(out)
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| BuildError::invalid(path, "the path is not valid UTF-8"))
}

/// Copies `from` into `staging/data/<hash>.<format>` while hashing it, in one pass. With
/// `expected`, bytes that hash to anything else are an error (a bundled file was changed).
fn copy_hashed(
    from: &Path,
    staging: &Path,
    format: &xorq_core::FileFormat,
    expected: Option<Address>,
) -> Result<(Address, u64, PathBuf)> {
    let dir = staging.join(BUNDLED_DIR);
    create_dir(&dir)?;
    let mut input = File::open(from).map_err(BuildError::io("open", from))?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir).map_err(BuildError::io("create a file in", &dir))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(BuildError::io("read", from))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n]).map_err(BuildError::io("write", temp.path()))?;
        size += n as u64;
    }
    temp.as_file().sync_all().map_err(BuildError::io("sync", temp.path()))?;
    let hash = Address::from_bytes(*hasher.finalize().as_bytes());
    if let Some(expected) = expected
        && expected != hash
    {
        return Err(BuildError::invalid(
            from,
            format!(
                "this bundled file should hash to {} but its bytes hash to {}: it was changed after it was bundled",
                expected.short(),
                hash.short()
            ),
        ));
    }
    let dest = staging.join(bundled_location(&hash, format));
    if !dest.exists() {
        temp.persist(&dest).map_err(|e| BuildError::Io {
            action: "move into place",
            path: dest.clone(),
            source: e.error,
        })?;
        sync_dir(&dir);
    }
    Ok((hash, size, dest))
}
