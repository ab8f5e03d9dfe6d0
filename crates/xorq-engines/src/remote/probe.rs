//! Schemas of remote sources, read from as little of the object as each format allows: a
//! Parquet footer (two ranged reads), or the first MiB of a CSV or JSON object.

use std::io::Cursor;
use std::sync::Arc;

use arrow::datatypes::Schema as ArrowSchema;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaDataReader;
use xorq_core::plan::{CsvOptions, FileFormat};

use super::{RemoteUrl, block_on, list_objects, remote_error, store_for};
use crate::error::{EngineError, Result};
use crate::probe::INFER_ROWS;

/// Bytes read from the start of a CSV or JSON object to infer its columns.
const HEAD_BYTES: u64 = 1 << 20;

/// The schema of the remote source at `location` (the first object, in key order, of a prefix
/// or glob).
pub fn probe(format: &FileFormat, location: &str) -> Result<ArrowSchema> {
    let url = RemoteUrl::parse(location)?;
    let store = store_for(&url)?;
    let format = format.clone();
    block_on(async move { probe_async(&format, &url, store).await })
}

async fn probe_async(format: &FileFormat, url: &RemoteUrl, store: Arc<dyn ObjectStore>) -> Result<ArrowSchema> {
    let extension = format!(".{}", format.name());
    let first = list_objects(url, &store, &extension).await?.into_iter().next();
    let Some(meta) = first else {
        return Err(EngineError::Remote { url: url.shown(), message: "no object to read".into(), hint: String::new() });
    };
    let shown = url.object_url(&meta.location);
    let unreadable = |what: &str, e: &dyn std::fmt::Display, hint: &str| EngineError::Probe {
        path: shown.clone(),
        message: format!("not {what} ({e})"),
        hint: if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") },
    };
    match format {
        FileFormat::Parquet => parquet_schema(&store, &meta, &shown).await,
        FileFormat::Csv(options) => {
            let text = head_lines(&store, &meta, &shown).await?;
            infer_csv(&text, options).map_err(|e| unreadable("a readable CSV object", &e, ""))
        }
        FileFormat::Json => {
            let text = head_lines(&store, &meta, &shown).await?;
            arrow::json::reader::infer_json_schema_from_seekable(&mut Cursor::new(text), Some(INFER_ROWS))
                .map(|(schema, _)| schema)
                .map_err(|e| unreadable("readable newline-delimited JSON", &e, "each line must hold one JSON object"))
        }
        other => Err(EngineError::Probe {
            path: shown.clone(),
            message: format!("format `{}` cannot be probed", other.name()),
            hint: String::new(),
        }),
    }
}

/// The Arrow schema in a Parquet object's footer: a ranged read of its last 64 KiB, and one more
/// when the footer is larger.
async fn parquet_schema(
    store: &Arc<dyn ObjectStore>,
    meta: &object_store::ObjectMeta,
    shown: &str,
) -> Result<ArrowSchema> {
    let unreadable = |e: &dyn std::fmt::Display| EngineError::Probe {
        path: shown.to_string(),
        message: format!("not a readable Parquet object ({e})"),
        hint: "\nhint: check that the object is Parquet, or use read_csv / read_json".into(),
    };
    let size = meta.size;
    let mut want = size.min(64 * 1024);
    loop {
        let tail = store.get_range(&meta.location, size - want..size).await.map_err(|e| remote_error(shown, e))?;
        let mut reader = ParquetMetaDataReader::new();
        match reader.try_parse_sized(&tail, size) {
            Ok(()) => {
                let footer = reader.finish().map_err(|e| unreadable(&e))?;
                let file = footer.file_metadata();
                return parquet::arrow::parquet_to_arrow_schema(file.schema_descr(), file.key_value_metadata())
                    .map_err(|e| unreadable(&e));
            }
            Err(ParquetError::NeedMoreData(needed)) if needed as u64 > want && needed as u64 <= size => {
                want = needed as u64;
            }
            Err(e) => return Err(unreadable(&e)),
        }
    }
}

/// The first [`HEAD_BYTES`] of an object, cut after its last whole line.
async fn head_lines(store: &Arc<dyn ObjectStore>, meta: &object_store::ObjectMeta, shown: &str) -> Result<Vec<u8>> {
    let end = meta.size.min(HEAD_BYTES);
    let bytes = store.get_range(&meta.location, 0..end).await.map_err(|e| remote_error(shown, e))?;
    let mut bytes = bytes.to_vec();
    if end < meta.size
        && let Some(last) = bytes.iter().rposition(|b| *b == b'\n')
    {
        bytes.truncate(last + 1);
    }
    Ok(bytes)
}

fn infer_csv(bytes: &[u8], options: &CsvOptions) -> std::result::Result<ArrowSchema, String> {
    let format =
        arrow::csv::reader::Format::default().with_header(options.has_header).with_delimiter(options.delimiter);
    let (schema, _) = format.infer_schema(Cursor::new(bytes), Some(INFER_ROWS)).map_err(|e| e.to_string())?;
    if schema.fields().is_empty() {
        return Err("the object has no columns".into());
    }
    Ok(schema)
}
