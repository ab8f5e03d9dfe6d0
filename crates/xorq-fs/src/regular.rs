//! Reading regular files only: never through a symbolic link, never a device or a pipe.

use std::fs::{self, File, FileType, Metadata};
use std::io::{Read, Write};
use std::path::Path;

use crate::atomic::new_file;
use crate::error::{FsError, Result};

/// What a file type is, for messages.
fn kind(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Opens `path` for reading if it is a regular file, and not a symbolic link to one. The file
/// opened is checked to be the one inspected (same device and inode), so a path swapped for a
/// link in between is refused too. Returns the file and its metadata.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), "x")?;
/// assert!(xorq_fs::open_regular(&dir.path().join("a")).is_ok());
/// # #[cfg(unix)] {
/// std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link"))?;
/// let e = xorq_fs::open_regular(&dir.path().join("link")).unwrap_err();
/// assert!(e.to_string().contains("is a symbolic link, not a regular file"), "{e}");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_regular(path: &Path) -> Result<(File, Metadata)> {
    let before = fs::symlink_metadata(path).map_err(FsError::io("read", path))?;
    if !before.file_type().is_file() {
        return Err(FsError::NotRegular { path: path.to_path_buf(), kind: kind(before.file_type()) });
    }
    let file = File::open(path).map_err(FsError::io("open", path))?;
    let after = file.metadata().map_err(FsError::io("read", path))?;
    if !same_file(&before, &after) {
        return Err(FsError::NotRegular {
            path: path.to_path_buf(),
            kind: "a file that was replaced while it was opened",
        });
    }
    Ok((file, after))
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino() && b.file_type().is_file()
}

#[cfg(not(unix))]
fn same_file(_: &Metadata, b: &Metadata) -> bool {
    b.file_type().is_file()
}

/// The BLAKE3 of everything `reader` yields, and its length; `path` names it in errors.
pub fn hash_reader(mut reader: impl Read, path: &Path) -> Result<(blake3::Hash, u64)> {
    hash_copy(&mut reader, None, path, path)
}

fn hash_copy(reader: &mut dyn Read, mut out: Option<&mut File>, from: &Path, to: &Path) -> Result<(blake3::Hash, u64)> {
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(FsError::io("read", from)(e)),
        };
        hasher.update(&buf[..n]);
        if let Some(out) = out.as_mut() {
            out.write_all(&buf[..n]).map_err(FsError::io("write", to))?;
        }
        size += n as u64;
    }
    Ok((hasher.finalize(), size))
}

/// The BLAKE3 of a regular file's bytes, and its size.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), "abc")?;
/// let (hash, size) = xorq_fs::hash_file(&dir.path().join("a"))?;
/// assert_eq!((hash, size), (blake3::hash(b"abc"), 3));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn hash_file(path: &Path) -> Result<(blake3::Hash, u64)> {
    let (mut file, _) = open_regular(path)?;
    hash_reader(&mut file, path)
}

/// Copies the regular file `from` to the new file `to` (which must not exist) and syncs the
/// copy; returns the BLAKE3 of the bytes copied and their number. A symbolic link or special
/// file is refused, naming it.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::write(dir.path().join("a"), "abc")?;
/// let (hash, _) = xorq_fs::copy_file(&dir.path().join("a"), &dir.path().join("b"))?;
/// assert_eq!(hash, blake3::hash(b"abc"));
/// assert_eq!(std::fs::read(dir.path().join("b"))?, b"abc");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn copy_file(from: &Path, to: &Path) -> Result<(blake3::Hash, u64)> {
    let (mut input, _) = open_regular(from)?;
    copy_from(&mut input, from, to)
}

/// Copies everything `reader` (an open file, named `from` in errors) yields to the new file
/// `to` (which must not exist) and syncs it; returns the BLAKE3 of the bytes and their number.
/// For a source the caller opened itself (a user's file, which may be reached through a link).
pub fn copy_from(mut reader: impl Read, from: &Path, to: &Path) -> Result<(blake3::Hash, u64)> {
    let mut out = new_file(to).map_err(FsError::io("create", to))?;
    let copied = hash_copy(&mut reader, Some(&mut out), from, to)?;
    out.sync_all().map_err(FsError::io("sync", to))?;
    Ok(copied)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn special_files_and_links_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let cases = [("link", "a symbolic link"), ("sub", "a directory")];
        for (name, kind) in cases {
            let e = copy_file(&dir.path().join(name), &dir.path().join("copy")).unwrap_err();
            assert!(e.to_string().contains(&format!("{name}` is {kind}, not a regular file")), "{e}");
            assert!(!dir.path().join("copy").exists(), "nothing is written for a refused file");
        }
        let e = hash_file(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("is a device"), "{e}");
    }
}
