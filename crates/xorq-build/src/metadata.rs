//! `metadata.json`: what a build is, how it was made, and from what.

use serde::{Deserialize, Serialize};
use xorq_core::expr::Param;
use xorq_core::{Schema, Table};

/// The build's metadata. Everything here is provenance or a restatement of the manifest; the
/// address is decided by `expr.yaml` alone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Full input address (64 hex): names the build directory by its first 12.
    pub address: String,
    /// The address with every source taken as its reference: equal for the same computation over
    /// another snapshot of the data (SPEC §2).
    pub computation_address: String,
    /// Version of the hashing scheme that produced the addresses.
    pub hash_scheme: String,
    /// Version of the `expr.yaml` format.
    pub manifest_version: u32,
    /// The program that wrote the build (`xorq-rs 0.1.0`).
    pub tool: String,
    /// When the build was written (RFC 3339, UTC).
    pub built_at: String,
    /// Operation of the root node.
    pub root: String,
    /// Output columns.
    pub schema: Vec<ColumnMeta>,
    /// Named parameters a run may bind.
    #[serde(default)]
    pub params: Vec<ParamMeta>,
    /// Every source the expression reads, in graph order.
    pub sources: Vec<SourceMeta>,
}

impl Metadata {
    /// What the build is, as `xorq catalog list --kind` names it (the Python tool's words):
    /// `unbound_expr` when it has an unbound input (a transform a run or a composition binds
    /// rows to), `source` when it only reads a source, `expr` otherwise.
    ///
    /// ```
    /// # fn kind(m: &xorq_build::metadata::Metadata) -> &'static str {
    /// m.kind()
    /// # }
    /// ```
    pub fn kind(&self) -> &'static str {
        if self.sources.iter().any(|s| s.kind == "input") {
            "unbound_expr"
        } else if self.root == "Read" {
            "source"
        } else {
            "expr"
        }
    }
}

/// One column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMeta {
    /// Column name.
    pub name: String,
    /// Logical type, as in `expr.yaml`.
    #[serde(rename = "type")]
    pub dtype: String,
    /// Whether it may hold nulls.
    pub nullable: bool,
}

/// One parameter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamMeta {
    /// Name bound with `-p name=value`.
    pub name: String,
    /// Type a value must have.
    #[serde(rename = "type")]
    pub dtype: String,
    /// Value used when a run binds none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// One source and its fingerprint.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceMeta {
    /// Readable label.
    pub name: String,
    /// `file`, `memtable` or `table`.
    pub kind: String,
    /// File format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Where it is read from: inside the build (`data/…`, `memtables/…`) or the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// BLAKE3 hash of a bundled file's bytes, or a memtable's content hash (64 hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Where a bundled file was copied from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
    /// Size in bytes of the file when the build was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Modification time of the (origin) file when the build was written (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// Rows of a memtable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Backend profile of a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Qualified name of a table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Vec<String>>,
    /// Columns recorded when the expression was made.
    pub schema: Vec<ColumnMeta>,
}

/// The columns of `schema`.
pub fn columns(schema: &Schema) -> Vec<ColumnMeta> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnMeta { name: f.name.clone(), dtype: f.dtype.to_string(), nullable: f.nullable })
        .collect()
}

/// The parameters of `table`.
pub(crate) fn params(table: &Table) -> xorq_core::Result<Vec<ParamMeta>> {
    Ok(table
        .params()?
        .into_iter()
        .map(|Param { name, dtype, default }| ParamMeta {
            name,
            dtype: dtype.to_string(),
            default: default.map(|d| d.to_string()),
        })
        .collect())
}
