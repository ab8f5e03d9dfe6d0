//! DataFusion table providers for IR sources.

use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::FileFormat as DfFileFormat;
use datafusion::datasource::file_format::csv::CsvFormat;
use datafusion::datasource::file_format::json::JsonFormat;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use xorq_core::plan::{FileFormat, FileSource, Memtable, Source, SourceKind};

use crate::error::{EngineError, Result};

/// The provider that reads `source` with its recorded schema.
pub fn source_provider(source: &Source, partitions: usize) -> Result<Arc<dyn TableProvider>> {
    match &source.kind {
        // Declared nullable: a writer's nullability flag is metadata, and a scan must not fail on
        // it; the IR keeps the recorded flags.
        SourceKind::File(file) => {
            let mut schema = nullable(source.schema.to_arrow());
            if matches!(file.format, FileFormat::Parquet) {
                schema = view_types(schema);
            }
            file_provider(file, Arc::new(schema))
        }
        SourceKind::Memtable(m) => memtable_provider(m, source, partitions),
        SourceKind::Table(t) => Err(EngineError::Unsupported {
            engine: "DataFusion".into(),
            what: format!("table `{}` of profile `{}`", t.table.join("."), t.profile),
            hint: "\nhint: backend tables are read through their backend's connection".into(),
        }),
        // Bound inputs are scanned through the provider a run substitutes for them.
        SourceKind::Input(i) => Err(EngineError::Unbound { name: i.name.clone() }),
        _ => Err(EngineError::Internal(format!("source `{}` has no DataFusion provider", source.name))),
    }
}

/// Strings and binaries as view types: how DataFusion reads Parquet by default
/// (`schema_force_view_types`), decoding without copying each value. The IR's `String` is the
/// same logical type either way.
fn view_types(schema: arrow::datatypes::Schema) -> arrow::datatypes::Schema {
    use arrow::datatypes::DataType as A;
    let fields: Vec<arrow::datatypes::Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            A::Utf8 | A::LargeUtf8 => f.as_ref().clone().with_data_type(A::Utf8View),
            A::Binary | A::LargeBinary => f.as_ref().clone().with_data_type(A::BinaryView),
            _ => f.as_ref().clone(),
        })
        .collect();
    arrow::datatypes::Schema::new(fields)
}

fn nullable(schema: arrow::datatypes::Schema) -> arrow::datatypes::Schema {
    let fields: Vec<arrow::datatypes::Field> =
        schema.fields().iter().map(|f| f.as_ref().clone().with_nullable(true)).collect();
    arrow::datatypes::Schema::new(fields)
}

fn file_provider(file: &FileSource, schema: ArrowSchemaRef) -> Result<Arc<dyn TableProvider>> {
    let location = &file.location;
    let (format, default_ext): (Arc<dyn DfFileFormat>, &str) = match &file.format {
        FileFormat::Parquet => (Arc::new(ParquetFormat::default()), ".parquet"),
        FileFormat::Csv(o) => {
            (Arc::new(CsvFormat::default().with_has_header(o.has_header).with_delimiter(o.delimiter)), ".csv")
        }
        FileFormat::Json => (Arc::new(JsonFormat::default()), ".json"),
        other => {
            return Err(EngineError::Unsupported {
                engine: "DataFusion".into(),
                what: format!("`{}` files", other.name()),
                hint: String::new(),
            });
        }
    };
    // A directory holds many files: read the ones with the format's extension. A single file is
    // read whatever its name.
    // On object storage, a URL ending in `/` is a prefix of many objects (a glob selects its
    // own); a local directory is one whatever its spelling.
    let remote = match crate::remote::is_remote(location) {
        true => Some(crate::remote::RemoteUrl::parse(location)?),
        false => None,
    };
    let is_dir = match &remote {
        Some(url) => url.is_collection() && !url.is_glob(),
        None => Path::new(location).is_dir(),
    };
    let extension = if is_dir { default_ext } else { "" };
    let url_text = if is_dir && !location.ends_with('/') { format!("{location}/") } else { location.clone() };
    let url = match &remote {
        Some(url) => remote_listing_url(url)?,
        None => ListingTableUrl::parse(&url_text)
            .map_err(|e| EngineError::datafusion(format!("reading `{location}`"), e))?,
    };
    let options = ListingOptions::new(format).with_file_extension(extension);
    let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
    let table =
        ListingTable::try_new(config).map_err(|e| EngineError::datafusion(format!("reading `{location}`"), e))?;
    Ok(Arc::new(table))
}

/// The listing of a remote URL: an object, a prefix (`…/`), or a prefix and a glob (DataFusion
/// takes globs in local paths only, so a remote one is split into the prefix to list and the
/// pattern its keys must match below it).
fn remote_listing_url(remote: &crate::remote::RemoteUrl) -> Result<ListingTableUrl> {
    let df = |e| EngineError::datafusion(format!("reading `{}`", remote.shown()), e);
    let mut url = remote.url().clone();
    url.set_query(None);
    let glob = remote.glob()?.map(|(dir, pattern)| {
        url.set_path(&dir);
        pattern
    });
    ListingTableUrl::try_new(url, glob).map_err(df)
}

fn memtable_provider(m: &Memtable, source: &Source, partitions: usize) -> Result<Arc<dyn TableProvider>> {
    let schema = match m.batches.first() {
        Some(b) => b.schema(),
        None => Arc::new(source.schema.to_arrow()),
    };
    Ok(Arc::new(partitioned_memtable(schema, &m.batches, partitions)?))
}

/// A `MemTable` with the batches dealt round-robin into `partitions` partitions, so scans run in
/// parallel. Public so benchmarks give DataFusion the very same layout.
pub fn partitioned_memtable(schema: ArrowSchemaRef, batches: &[RecordBatch], partitions: usize) -> Result<MemTable> {
    let n = partitions.max(1).min(batches.len().max(1));
    let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
    for (i, b) in batches.iter().enumerate() {
        parts[i % n].push(b.clone());
    }
    MemTable::try_new(schema, parts).map_err(|e| EngineError::datafusion("building an in-memory table", e))
}
