//! Sources: where a relation's rows come from, and what identifies them in an address.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::address::Address;
use crate::error::{CoreError, Result};
use crate::memdata;
use crate::schema::{Schema, SchemaRef};

/// File formats a deferred read understands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// Apache Parquet.
    Parquet,
    /// Delimited text.
    Csv(CsvOptions),
    /// Newline-delimited JSON.
    Json,
}

impl FileFormat {
    /// Stable name (`parquet`, `csv`, `json`).
    pub fn name(&self) -> &'static str {
        match self {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv(_) => "csv",
            FileFormat::Json => "json",
        }
    }
}

/// How a CSV file is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOptions {
    /// Whether the first line holds column names.
    pub has_header: bool,
    /// Field separator.
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions { has_header: true, delimiter: b',' }
    }
}

/// What names a source in an address (SPEC §2).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceIdentity {
    /// A referenced location: a normalized absolute path or a URL as written. New data at the same
    /// reference keeps the address; the cache's freshness token notices it.
    Reference(String),
    /// A local file read by reference inside a project (since hash scheme 3): its path relative
    /// to the project root, `/`-separated (`data/sales.parquet`), so the same pipeline in two
    /// checkouts of one repository has one address. The file is read at
    /// [`FileSource::location`], the path joined to the root of the project the build is run in;
    /// a cache's freshness token keeps that absolute path, so two checkouts never share an entry
    /// by accident.
    Project(String),
    /// A bundled snapshot: the BLAKE3 hash of its bytes. `origin` (where it was copied from) is
    /// provenance and is used only for the computation address.
    Content {
        /// Hash of the bytes.
        hash: Address,
        /// Original reference.
        origin: String,
    },
}

/// A deferred file read.
#[derive(Clone, Debug, PartialEq)]
pub struct FileSource {
    /// Format and its options.
    pub format: FileFormat,
    /// Where the engine reads from (a path or URL).
    pub location: String,
    /// What the address sees.
    pub identity: SourceIdentity,
}

/// In-memory Arrow data.
#[derive(Clone, Debug)]
pub struct Memtable {
    /// The rows.
    pub batches: Arc<[RecordBatch]>,
    /// Hash of the canonical encoding of the data.
    pub content: Address,
}

impl PartialEq for Memtable {
    fn eq(&self, other: &Self) -> bool {
        self.content == other.content
    }
}

/// A table in a connected backend, named by profile (never by credentials).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSource {
    /// Name of the backend profile.
    pub profile: String,
    /// Qualified table name parts (`schema`, `table`).
    pub table: Vec<String>,
}

/// An unbound input: rows of a known schema that the caller supplies when the expression runs
/// (a Flight client's stream, a pipe), named so a caller can bind it. Its address is its name and
/// schema: the rows bound to it are never part of an address or a cache key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputSource {
    /// The name a caller binds rows to.
    pub name: String,
}

/// The kinds of sources.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum SourceKind {
    /// A file read at execution time.
    File(FileSource),
    /// Arrow batches held in memory.
    Memtable(Memtable),
    /// A backend table.
    Table(TableSource),
    /// An unbound input, bound to rows when the expression runs.
    Input(InputSource),
}

/// A leaf of the graph: rows from outside, with the schema read when it was constructed.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// A readable label (file name, table name); not part of the address.
    pub name: String,
    /// Where the rows come from.
    pub kind: SourceKind,
    /// Columns.
    pub schema: SchemaRef,
}

impl Source {
    /// A file read whose identity is its normalized reference.
    ///
    /// ```
    /// use xorq_core::{FileFormat, Schema, Source};
    /// let a = Source::file(FileFormat::Parquet, "sales.parquet", Schema::default()).unwrap();
    /// let b = Source::file(FileFormat::Parquet, "./sales.parquet", Schema::default()).unwrap();
    /// assert_eq!(a, b);
    /// ```
    pub fn file(format: FileFormat, location: &str, schema: Schema) -> Result<Self> {
        let reference = normalize_reference(location)?;
        Ok(Source {
            name: display_name(location),
            kind: SourceKind::File(FileSource {
                format,
                location: reference.clone(),
                identity: SourceIdentity::Reference(reference),
            }),
            schema: Arc::new(schema),
        })
    }

    /// A bundled file: read from `location`, identified by the hash of its bytes.
    pub fn bundled_file(format: FileFormat, location: &str, content: Address, origin: &str, schema: Schema) -> Self {
        Source {
            name: display_name(origin),
            kind: SourceKind::File(FileSource {
                format,
                location: location.to_string(),
                identity: SourceIdentity::Content { hash: content, origin: origin.to_string() },
            }),
            schema: Arc::new(schema),
        }
    }

    /// A file inside a project, identified by `path` relative to the project root (hash scheme
    /// 3) and read at `location`, the path under the root it is read in now.
    ///
    /// ```
    /// use xorq_core::{FileFormat, Schema, Source, Table};
    /// let a = Source::project_file(FileFormat::Parquet, "/home/ann/shop/data/s.parquet", "data/s.parquet", Schema::default());
    /// let b = Source::project_file(FileFormat::Parquet, "/srv/ci/shop/data/s.parquet", "data/s.parquet", Schema::default());
    /// assert_eq!(Table::from_source(a)?.address(), Table::from_source(b)?.address());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn project_file(format: FileFormat, location: &str, path: &str, schema: Schema) -> Self {
        Source {
            name: display_name(path),
            kind: SourceKind::File(FileSource {
                format,
                location: location.to_string(),
                identity: SourceIdentity::Project(path.to_string()),
            }),
            schema: Arc::new(schema),
        }
    }

    /// In-memory batches; all must share one schema.
    pub fn memtable(name: &str, batches: Vec<RecordBatch>, schema: Schema) -> Result<Self> {
        if let Some(first) = batches.first() {
            let arrow_schema = first.schema();
            if let Some(i) = batches.iter().position(|b| b.schema() != arrow_schema) {
                return Err(CoreError::InvalidMemtable {
                    message: format!("batch {i} has a different schema than batch 0"),
                });
            }
        }
        let content = memdata::content_hash(&schema, &batches)?;
        Ok(Source {
            name: name.to_string(),
            kind: SourceKind::Memtable(Memtable { batches: batches.into(), content }),
            schema: Arc::new(schema),
        })
    }

    /// An unbound input named `name` with `schema`, bound to rows when the expression runs.
    /// Names are 1–100 of `A-Z a-z 0-9 _ . -`, starting with a letter, a digit or `_`, so they
    /// can be given on a command line and in a Flight descriptor as they are.
    ///
    /// ```
    /// use xorq_core::{DataType, Field, Schema, Source};
    /// let s = Source::input("features", Schema::new(vec![Field::new("x", DataType::Float64, true)])?)?;
    /// assert_eq!(s.uri(), "input:features");
    /// assert!(Source::input("no spaces", Schema::default()).is_err());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn input(name: &str, schema: Schema) -> Result<Self> {
        check_input_name(name)?;
        Ok(Source {
            name: name.to_string(),
            kind: SourceKind::Input(InputSource { name: name.to_string() }),
            schema: Arc::new(schema),
        })
    }

    /// A backend table.
    pub fn table(profile: &str, table: Vec<String>, schema: Schema) -> Self {
        Source {
            name: table.join("."),
            kind: SourceKind::Table(TableSource { profile: profile.to_string(), table }),
            schema: Arc::new(schema),
        }
    }
}

impl Source {
    /// Where the rows come from, as one URI for lineage and logs: `file://` and the absolute
    /// path for a local file, a URL as written, `memtable:<hash>` for in-memory data and
    /// `table://<profile>/<schema.table>` for a backend table. A bundled snapshot is named by the
    /// file it was copied from, or `blake3:<hash>` when that is unknown.
    ///
    /// ```
    /// use xorq_core::{FileFormat, Schema, Source};
    /// let s = Source::file(FileFormat::Parquet, "/data/sales.parquet", Schema::default()).unwrap();
    /// assert_eq!(s.uri(), "file:///data/sales.parquet");
    /// let t = Source::table("warehouse", vec!["public".into(), "orders".into()], Schema::default());
    /// assert_eq!(t.uri(), "table://warehouse/public.orders");
    /// ```
    pub fn uri(&self) -> String {
        let file_uri = |location: &str| {
            if is_url(location) { location.to_string() } else { format!("file://{location}") }
        };
        match &self.kind {
            SourceKind::File(f) => match &f.identity {
                SourceIdentity::Reference(r) => file_uri(r),
                SourceIdentity::Project(_) => file_uri(&f.location),
                SourceIdentity::Content { origin, .. } if !origin.is_empty() => file_uri(origin),
                SourceIdentity::Content { hash, .. } => format!("blake3:{}", hash.hex()),
            },
            SourceKind::Memtable(m) => format!("memtable:{}", m.content.hex()),
            SourceKind::Table(t) => format!("table://{}/{}", t.profile, t.table.join(".")),
            SourceKind::Input(i) => format!("input:{}", i.name),
        }
    }
}

/// Checks the name of an unbound input (see [`Source::input`]).
pub fn check_input_name(name: &str) -> Result<()> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let first_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.len() > 100 || !first_ok || !name.chars().all(allowed) {
        return Err(CoreError::InvalidArgument {
            context: "unbound input".into(),
            message: format!(
                "`{}` is not a valid input name: use 1-100 of `A-Z a-z 0-9 _ . -`, starting with a letter, a digit or `_`",
                name.escape_debug()
            ),
        });
    }
    Ok(())
}

/// The last component of a path or URL: a readable label for a source.
pub fn display_name(location: &str) -> String {
    location.rsplit(['/', '\\']).find(|s| !s.is_empty()).unwrap_or(location).to_string()
}

/// Directory of a build that holds bundled file snapshots.
pub const BUNDLED_DIR: &str = "data";

/// Where a build keeps the bundled snapshot with this content hash, relative to the build
/// directory: `data/<64-hex>.<format>`. Derived from the content, so it never depends on where
/// the file came from.
///
/// ```
/// use xorq_core::{Address, FileFormat, plan::source::bundled_location};
/// let hash = Address::from_bytes([0xab; 32]);
/// assert_eq!(bundled_location(&hash, &FileFormat::Parquet), format!("data/{}.parquet", hash.hex()));
/// ```
pub fn bundled_location(content: &Address, format: &FileFormat) -> String {
    format!("{BUNDLED_DIR}/{}.{}", content.hex(), format.name())
}

/// Whether `location` is a URL (`s3://…`, `https://…`, `file://…`) rather than a local path.
pub fn is_url(location: &str) -> bool {
    location.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty() && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// A local path made absolute and lexically normalized (`.` and `..` removed, no file-system
/// access); a URL as written.
pub fn normalize_reference(location: &str) -> Result<String> {
    if is_url(location) {
        return Ok(location.to_string());
    }
    let path = Path::new(location);
    let absolute: PathBuf = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|e| CoreError::InvalidArgument {
            context: format!("source `{location}`"),
            message: format!("cannot resolve a relative path without a current directory: {e}"),
        })?;
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out.to_str().map(str::to_string).ok_or_else(|| CoreError::InvalidArgument {
        context: format!("source `{location}`"),
        message: "the path is not valid UTF-8".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_path_agree() {
        let cwd = std::env::current_dir().unwrap();
        let abs = cwd.join("data/sales.parquet").to_str().unwrap().to_string();
        for spelling in ["data/sales.parquet", "./data/sales.parquet", "data/./x/../sales.parquet", abs.as_str()] {
            assert_eq!(normalize_reference(spelling).unwrap(), abs, "{spelling}");
        }
        assert_eq!(normalize_reference("s3://bucket/./a.parquet").unwrap(), "s3://bucket/./a.parquet");
    }
}
