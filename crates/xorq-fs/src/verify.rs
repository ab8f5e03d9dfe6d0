//! Verifying a file named by the BLAKE3 of its bytes, cheaply: once per file identity.
//!
//! A file's identity is its device, inode, size, modification time and change time. Writing to
//! a file changes its modification and change times; replacing it (a rename over it, a copy)
//! changes its inode; setting the modification time back (`touch -d`) still changes its change
//! time, which no user can set. So a file whose identity was recorded when its bytes were
//! verified still holds those bytes, and is not hashed again; any change makes it verified
//! again. (Bit rot below the file system changes no identity: a full check, which hashes every
//! time, is what finds it.)
//!
//! Records are empty files named `<64-hex hash>-<16-hex identity digest>` in a directory outside
//! the verified files (the cache directory), so read-only copies are verified once too, and a
//! copy elsewhere (another inode) is verified again.
//!
//! ```
//! let dir = tempfile::tempdir()?;
//! let file = dir.path().join("data.bin");
//! std::fs::write(&file, "rows")?;
//! let hash = blake3::hash(b"rows");
//! let records = dir.path().join("verified");
//! use xorq_fs::verify::{Verified, verify};
//! assert_eq!(verify(&file, &hash, Some(&records))?, Verified::Hashed);
//! assert_eq!(verify(&file, &hash, Some(&records))?, Verified::Remembered);
//! std::fs::write(&file, "ROWS")?; // the same size, other bytes
//! assert!(verify(&file, &hash, Some(&records)).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fs::{self, Metadata};
use std::path::{Path, PathBuf};

use crate::error::{FsError, Result};
use crate::regular::{hash_reader, open_regular};

/// How a file was found to hold the right bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verified {
    /// Its identity was recorded as verified: its bytes were not read.
    Remembered,
    /// Its bytes were hashed now.
    Hashed,
}

/// Checks that the regular file `path` holds bytes whose BLAKE3 is `expected`. With `records`,
/// a file whose identity is recorded there is not read again, and a file that verifies is
/// recorded (best effort: a directory that cannot be written only costs a hash next time).
/// Without `records`, the bytes are hashed every time (a full check).
///
/// Errors: [`FsError::NotRegular`] for a link or special file, [`FsError::Mismatch`] for other
/// bytes, [`FsError::Io`] when it cannot be read.
pub fn verify(path: &Path, expected: &blake3::Hash, records: Option<&Path>) -> Result<Verified> {
    let (mut file, before) = open_regular(path)?;
    let record = records.map(|dir| record_path(dir, expected, &before));
    if record.as_deref().is_some_and(Path::exists) {
        return Ok(Verified::Remembered);
    }
    let (actual, _) = hash_reader(&mut file, path)?;
    if actual != *expected {
        return Err(FsError::Mismatch {
            path: path.to_path_buf(),
            expected: expected.to_hex().to_string(),
            actual: actual.to_hex().to_string(),
        });
    }
    // Recorded only if nothing changed while it was read.
    if let (Some(record), Ok(after)) = (record, file.metadata())
        && identity(&after) == identity(&before)
    {
        write_record(&record);
    }
    Ok(Verified::Hashed)
}

/// Records that the regular file `path` holds bytes hashing to `hash` (for a file just written
/// from bytes that were hashed on the way). Best effort.
pub fn remember(path: &Path, hash: &blake3::Hash, records: &Path) {
    if let Ok((_, meta)) = open_regular(path) {
        write_record(&record_path(records, hash, &meta));
    }
}

fn write_record(record: &Path) {
    if let Some(dir) = record.parent() {
        let _ = fs::create_dir_all(dir);
    }
    let _ = fs::OpenOptions::new().write(true).create(true).truncate(false).open(record);
}

fn record_path(dir: &Path, hash: &blake3::Hash, meta: &Metadata) -> PathBuf {
    let digest = blake3::hash(identity(meta).as_bytes()).to_hex();
    dir.join(format!("{}-{}", hash.to_hex(), &digest[..16]))
}

/// Device, inode, size, modification and change time.
#[cfg(unix)]
fn identity(m: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    format!(
        "{} {} {} {}.{:09} {}.{:09}",
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec()
    )
}

/// Size and modification time (weaker: other systems expose no inode or change time here).
#[cfg(not(unix))]
fn identity(m: &Metadata) -> String {
    let modified = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
    format!("{} {}", m.len(), modified.as_nanos())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_file_put_back_with_its_old_modification_time_is_verified_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        let records = dir.path().join("records");
        fs::write(&file, "aaaa").unwrap();
        let hash = blake3::hash(b"aaaa");
        assert_eq!(verify(&file, &hash, Some(&records)).unwrap(), Verified::Hashed);
        let mtime = fs::metadata(&file).unwrap().modified().unwrap();
        fs::write(&file, "bbbb").unwrap();
        fs::File::options().write(true).open(&file).unwrap().set_modified(mtime).unwrap();
        assert!(matches!(verify(&file, &hash, Some(&records)), Err(FsError::Mismatch { .. })));
    }

    #[test]
    fn without_records_every_check_reads_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "aaaa").unwrap();
        let hash = blake3::hash(b"aaaa");
        assert_eq!(verify(&file, &hash, None).unwrap(), Verified::Hashed);
        assert_eq!(verify(&file, &hash, None).unwrap(), Verified::Hashed);
    }

    #[test]
    fn a_remembered_copy_is_not_hashed_and_another_copy_is() {
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("records");
        fs::write(dir.path().join("original"), "rows").unwrap();
        let (hash, _) = crate::copy_file(&dir.path().join("original"), &dir.path().join("a")).unwrap();
        remember(&dir.path().join("a"), &hash, &records);
        assert_eq!(verify(&dir.path().join("a"), &hash, Some(&records)).unwrap(), Verified::Remembered);
        fs::copy(dir.path().join("a"), dir.path().join("b")).unwrap();
        assert_eq!(verify(&dir.path().join("b"), &hash, Some(&records)).unwrap(), Verified::Hashed);
    }
}
