//! Build archives: `xorq catalog get` writes an entry as a `.zip` (the Python tool's export
//! format) or a build directory; `xorq catalog add` reads a `.zip` back. An archive holds one
//! build directory under a top-level folder named by its short address; reading one also accepts
//! the build's files at the top level. Whatever an archive holds is checked as any build is when
//! it is added (addresses recomputed, bundled files hashed), so a tampered archive is refused.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use zip::write::SimpleFileOptions;

use crate::error::{CliError, Result};

/// At most this many bytes are unpacked from one archive (a guard against zip bombs).
const MAX_UNPACKED: u64 = 64 << 30;

/// Writes the build directory `build` as the archive `target` (replaced atomically), its files
/// under `<folder>/`.
pub fn write_zip(build: &Path, folder: &str, target: &Path) -> Result<()> {
    let file = xorq_fs::AtomicFile::create(target)?;
    let mut zip = zip::ZipWriter::new(file.file());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let zip_error = |e: zip::result::ZipError| CliError::Output { format: "zip", message: e.to_string() };
    for relative in files(build)? {
        let name = format!("{folder}/{}", slash_path(&relative));
        zip.start_file(name, options).map_err(zip_error)?;
        let path = build.join(&relative);
        let (mut reader, _) = xorq_fs::open_regular(&path)?;
        io::copy(&mut reader, &mut zip).map_err(CliError::io("archive", &path))?;
    }
    let mut written = zip.finish().map_err(zip_error)?;
    written.flush().map_err(CliError::io("write", target))?;
    file.commit()?;
    Ok(())
}

/// Unpacks the archive `archive` into `into` and returns the build directory it holds.
pub fn unpack_zip(archive: &Path, into: &Path) -> Result<PathBuf> {
    let bad = |message: String| CliError::Usage(format!("`{}` is not a build archive: {message}", archive.display()));
    let (file, _) = xorq_fs::open_regular(archive)?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(e.to_string()))?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        // Only plain relative paths: no `..`, no absolute paths, no links.
        let Some(relative) =
            entry.enclosed_name().filter(|p| p.components().all(|c| matches!(c, Component::Normal(_))))
        else {
            return Err(bad(format!("it holds `{}`, a path outside the archive", entry.name())));
        };
        if entry.is_symlink() {
            return Err(bad(format!("it holds the link `{}`", entry.name())));
        }
        let target = into.join(&relative);
        if entry.is_dir() {
            fs::create_dir_all(&target).map_err(CliError::io("create directory", &target))?;
            continue;
        }
        total = total.saturating_add(entry.size());
        if total > MAX_UNPACKED {
            return Err(bad(format!("it unpacks to more than {} GiB", MAX_UNPACKED >> 30)));
        }
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(CliError::io("create directory", parent))?;
        }
        let mut out = fs::File::create_new(&target).map_err(CliError::io("unpack into", &target))?;
        io::copy(&mut entry, &mut out).map_err(|e| bad(format!("`{}`: {e}", relative.display())))?;
    }
    if into.join(xorq_build::layout::METADATA_FILE).is_file() {
        return Ok(into.to_path_buf());
    }
    let mut dirs = fs::read_dir(into).map_err(CliError::io("read", into))?.filter_map(|e| e.ok()).map(|e| e.path());
    match (dirs.next(), dirs.next()) {
        (Some(only), None) if only.join(xorq_build::layout::METADATA_FILE).is_file() => Ok(only),
        _ => Err(bad("it holds no build directory (a folder with metadata.json)".into())),
    }
}

/// The files under `dir`, relative to it, sorted (so an archive's order is stable).
pub(super) fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let here = dir.join(&relative);
        for entry in fs::read_dir(&here).map_err(CliError::io("read", &here))? {
            let entry = entry.map_err(CliError::io("read", &here))?;
            let kind = entry.file_type().map_err(CliError::io("read", entry.path()))?;
            let child = relative.join(entry.file_name());
            if kind.is_dir() {
                pending.push(child);
            } else if kind.is_file() {
                out.push(child);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn slash_path(path: &Path) -> String {
    path.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
