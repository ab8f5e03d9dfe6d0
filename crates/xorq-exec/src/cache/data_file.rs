//! An entry's data being written to a local Parquet file, the same for every store: rows
//! counted, every byte hashed (BLAKE3) as it is written, synced when finished, and the decision
//! a publisher makes when another entry of the same key is already there.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::key::rfc3339;
use super::parquet::io_err;
use super::store::EntryMeta;
use crate::error::{ExecError, Result};

/// The data file of an entry being written (LZ4 pages).
pub(crate) struct DataFile {
    path: PathBuf,
    writer: Option<ArrowWriter<Hashing>>,
    rows: u64,
}

impl DataFile {
    /// Starts the file at `path` (which must not exist).
    pub(crate) fn create(path: &Path, schema: ArrowSchemaRef) -> Result<DataFile> {
        let file = File::create(path).map_err(io_err("create", path))?;
        let props = WriterProperties::builder().set_compression(Compression::LZ4_RAW).build();
        let writer =
            ArrowWriter::try_new(Hashing { file, hasher: blake3::Hasher::new(), bytes: 0 }, schema, Some(props))
                .map_err(|e| ExecError::Cache(format!("cannot start writing a cache entry: {e}")))?;
        Ok(DataFile { path: path.to_path_buf(), writer: Some(writer), rows: 0 })
    }

    /// Appends rows.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let writer = self.writer.as_mut().ok_or_else(|| ExecError::Cache("the cache entry is closed".into()))?;
        writer.write(batch).map_err(parquet_err("write"))?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Finishes the file and syncs it to disk; fills in `meta`'s rows, bytes, BLAKE3 and time.
    pub(crate) fn finish(&mut self, meta: &mut EntryMeta) -> Result<()> {
        let writer = self.writer.take().ok_or_else(|| ExecError::Cache("the cache entry is closed".into()))?;
        let hashing = writer.into_inner().map_err(parquet_err("finish"))?;
        hashing.file.sync_all().map_err(io_err("sync", &self.path))?;
        meta.rows = self.rows;
        meta.bytes = hashing.bytes;
        meta.blake3 = Some(hashing.hasher.finalize().to_hex().to_string());
        meta.created = rfc3339(SystemTime::now());
        Ok(())
    }

    /// Where it is.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

/// Whether a write that found `existing` in its place may replace it: only when the write
/// replaces an entry found expired (`replace`: when that one was created) and `existing` is
/// still that one (not a fresh entry another writer published meanwhile).
pub(crate) fn replaces_expired(replace: Option<SystemTime>, existing: Option<&EntryMeta>) -> bool {
    match (replace, existing.and_then(EntryMeta::created_time)) {
        (Some(expired), Some(created)) => created <= expired,
        (Some(_), None) => existing.is_none(),
        (None, _) => false,
    }
}

fn parquet_err(action: &str) -> impl FnOnce(parquet::errors::ParquetError) -> ExecError + '_ {
    move |e| ExecError::Cache(format!("cannot {action} a cache entry: {e}"))
}

/// A file writer that hashes what it writes.
struct Hashing {
    file: File,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}
