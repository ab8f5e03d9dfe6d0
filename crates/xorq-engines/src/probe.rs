//! Source-schema probing: deferred reads learn their schema when they are constructed, from the
//! file's footer (Parquet) or its first rows (CSV, JSON), without reading the data.

use std::fs::File;
use std::io::{BufReader, Seek};
use std::path::{Path, PathBuf};

use arrow::datatypes::Schema as ArrowSchema;
use xorq_core::plan::{CsvOptions, FileFormat, is_url, normalize_reference};
use xorq_core::{Schema, Source, Table};

use crate::error::{EngineError, Result};

/// Rows read to infer CSV and JSON types.
pub const INFER_ROWS: usize = 1000;

fn probe_err(path: &str, message: impl ToString, hint: &str) -> EngineError {
    EngineError::Probe {
        path: path.to_string(),
        message: message.to_string(),
        hint: if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") },
    }
}

/// The file whose schema stands for `location`: the file itself, or the first data file (in
/// name order) of a directory.
fn representative_file(location: &str, extension: &str) -> Result<PathBuf> {
    let path = Path::new(location);
    let meta = std::fs::metadata(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "check the path; relative paths are resolved from the current directory"
        } else {
            ""
        };
        probe_err(location, e, hint)
    })?;
    if !meta.is_dir() {
        return Ok(path.to_path_buf());
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| probe_err(location, e, ""))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.to_string_lossy().ends_with(extension))
        .collect();
    files.sort();
    files
        .into_iter()
        .next()
        .ok_or_else(|| probe_err(location, format!("the directory has no `*{extension}` files"), ""))
}

/// A deferred read of `path`: the schema is probed now (footer or first rows), the data read when
/// the expression runs. A relative path is resolved against the current directory.
pub fn read_file(format: FileFormat, path: &str) -> Result<Table> {
    let location = normalize_reference(path)?;
    let schema = probe_file(&format, &location)?;
    Ok(Table::from_source(Source::file(format, path, schema)?)?)
}

/// Reads the schema of a file source: a local file, or an object (or the first of a prefix)
/// on object storage, from its footer or first rows.
pub fn probe_file(format: &FileFormat, location: &str) -> Result<Schema> {
    if is_url(location) {
        return Ok(Schema::from_arrow(&probe_remote(format, location)?)?);
    }
    let arrow_schema = match format {
        FileFormat::Parquet => probe_parquet(location)?,
        FileFormat::Csv(options) => probe_csv(location, options)?,
        FileFormat::Json => probe_json(location)?,
        other => return Err(probe_err(location, format!("format `{}` cannot be probed", other.name()), "")),
    };
    Ok(Schema::from_arrow(&arrow_schema)?)
}

#[cfg(feature = "datafusion")]
fn probe_remote(format: &FileFormat, location: &str) -> Result<ArrowSchema> {
    crate::remote::probe(format, location)
}

#[cfg(not(feature = "datafusion"))]
fn probe_remote(_: &FileFormat, location: &str) -> Result<ArrowSchema> {
    Err(probe_err(
        location,
        "remote sources need xorq-engines' `datafusion` feature",
        "build with the default features",
    ))
}

fn open(location: &str, file: &Path) -> Result<File> {
    File::open(file).map_err(|e| probe_err(location, format!("cannot open `{}`: {e}", file.display()), ""))
}

fn probe_parquet(location: &str) -> Result<ArrowSchema> {
    let file = representative_file(location, ".parquet")?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(open(location, &file)?)
        .map_err(|e| {
            probe_err(
                location,
                format!("not a readable Parquet file ({e})"),
                "check that the file is Parquet, or use read_csv / read_json",
            )
        })?;
    Ok(reader.schema().as_ref().clone())
}

fn probe_csv(location: &str, options: &CsvOptions) -> Result<ArrowSchema> {
    let file = representative_file(location, ".csv")?;
    let format =
        arrow::csv::reader::Format::default().with_header(options.has_header).with_delimiter(options.delimiter);
    let (schema, _) = format
        .infer_schema(BufReader::new(open(location, &file)?), Some(INFER_ROWS))
        .map_err(|e| probe_err(location, format!("not a readable CSV file ({e})"), ""))?;
    if schema.fields().is_empty() {
        return Err(probe_err(
            location,
            "the file has no columns",
            "an empty CSV file cannot be read; write at least a header line",
        ));
    }
    Ok(schema)
}

fn probe_json(location: &str) -> Result<ArrowSchema> {
    let file = representative_file(location, ".json")?;
    let mut reader = BufReader::new(open(location, &file)?);
    let (schema, _) =
        arrow::json::reader::infer_json_schema_from_seekable(&mut reader, Some(INFER_ROWS)).map_err(|e| {
            probe_err(
                location,
                format!("not readable newline-delimited JSON ({e})"),
                "each line must hold one JSON object",
            )
        })?;
    reader.rewind().map_err(|e| probe_err(location, e, ""))?;
    Ok(schema)
}

/// Checks that a file source still has the columns it had when the expression was built (names
/// and types; extra columns are fine). Reads only the footer or the first rows.
pub fn verify_file(format: &FileFormat, location: &str, recorded: &Schema) -> Result<()> {
    let current = probe_file(format, location)?;
    let mut problems = Vec::new();
    for field in recorded.fields() {
        match current.field(&field.name) {
            None => problems.push(format!("column `{}` is missing", field.name)),
            Some(now) if now.dtype != field.dtype => {
                problems.push(format!("column `{}` was `{}` and is now `{}`", field.name, field.dtype, now.dtype));
            }
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let now: Vec<String> = current.names().map(|n| format!("`{n}`")).collect();
    Err(EngineError::SourceChanged {
        path: location.to_string(),
        detail: format!("{} (the file now has {})", problems.join(", "), now.join(", ")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_types_are_inferred_from_the_first_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "id;name;price;day\n1;a;1.5;2024-01-01\n2;b;2.25;2024-01-02\n").unwrap();
        let options = CsvOptions { has_header: true, delimiter: b';' };
        let schema = probe_file(&FileFormat::Csv(options), path.to_str().unwrap()).unwrap();
        assert_eq!(schema.to_string(), "id: Int64, name: String, price: Float64, day: Date");
    }

    #[test]
    fn an_empty_csv_and_an_empty_directory_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        let err = probe_file(&FileFormat::Csv(CsvOptions::default()), empty.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("the file has no columns"), "{err}");
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = probe_file(&FileFormat::Parquet, sub.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("the directory has no `*.parquet` files"), "{err}");
    }

    #[test]
    fn unknown_schemes_and_credentials_in_urls_are_refused_before_any_request() {
        let err = probe_file(&FileFormat::Parquet, "ftp://host/x.parquet").unwrap_err().to_string();
        assert!(err.contains("`ftp://` is not a storage"), "{err}");
        let err = probe_file(&FileFormat::Parquet, "s3://KEY:hunter2@bucket/x.parquet").unwrap_err().to_string();
        assert!(err.contains("user name or password") && !err.contains("hunter2"), "{err}");
    }

    #[test]
    fn drift_lists_each_changed_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, "id,price\n1,x\n").unwrap();
        let recorded = Schema::new(vec![
            xorq_core::Field::new("id", xorq_core::DataType::Int64, true),
            xorq_core::Field::new("price", xorq_core::DataType::Float64, true),
            xorq_core::Field::new("qty", xorq_core::DataType::Int64, true),
        ])
        .unwrap();
        let err = verify_file(&FileFormat::Csv(CsvOptions::default()), path.to_str().unwrap(), &recorded).unwrap_err();
        assert!(
            err.to_string().contains("column `price` was `Float64` and is now `String`, column `qty` is missing (the file now has `id`, `price`)"),
            "{err}"
        );
    }
}
