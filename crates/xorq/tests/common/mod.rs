//! Helpers shared by the facade's test binaries.

use std::path::Path;

use arrow::array::RecordBatch;

/// Writes `batch` as a one-row-group Parquet file at `path`.
pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
}
