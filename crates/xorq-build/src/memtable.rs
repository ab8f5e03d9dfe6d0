//! Memtables stored as Parquet inside a build, named by their content hash.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use xorq_core::{Address, Schema};

use crate::error::{BuildError, Result};

fn parquet_error<'a>(context: &'static str, path: &'a Path) -> impl FnOnce(String) -> BuildError + 'a {
    move |message| BuildError::Parquet { context, path: path.to_path_buf(), message }
}

/// Writes `batches` (with `schema`, for empty tables) to `path` and syncs it.
pub(crate) fn write(path: &Path, schema: &Schema, batches: &[RecordBatch]) -> Result<()> {
    let arrow_schema = batches.first().map_or_else(|| Arc::new(schema.to_arrow()), RecordBatch::schema);
    let file = File::create(path).map_err(BuildError::io("create", path))?;
    let mut writer =
        ArrowWriter::try_new(file, arrow_schema, None).map_err(|e| parquet_error("writing", path)(e.to_string()))?;
    for batch in batches {
        writer.write(batch).map_err(|e| parquet_error("writing", path)(e.to_string()))?;
    }
    let file = writer.into_inner().map_err(|e| parquet_error("writing", path)(e.to_string()))?;
    file.sync_all().map_err(BuildError::io("sync", path))
}

/// Reads the memtable with content hash `content` from `path`.
pub(crate) fn read(path: &Path, content: &Address) -> Result<Vec<RecordBatch>> {
    let file = match xorq_fs::open_regular(path) {
        Ok((file, _)) => file,
        Err(xorq_fs::FsError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Err(BuildError::invalid(
                path,
                format!(
                    "the rows of memtable {} are missing; the build is incomplete, build it again",
                    content.short()
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| parquet_error("reading", path)(e.to_string()))?;
    reader.collect::<std::result::Result<Vec<_>, _>>().map_err(|e| parquet_error("reading", path)(e.to_string()))
}
