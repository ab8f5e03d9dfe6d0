//! The manifest form of an expression: `expr.yaml` (SPEC §3).
//!
//! ```yaml
//! manifest_version: 1
//! definitions:
//!   schemas:                      # de-duplicated, named in first-use order
//!     schema_0:
//!       order_id: Int64 not null  # column: type, in column order
//!       amount: Float64
//!   nodes:                        # every distinct node once, inputs first
//!     read_1f0c3a9e5b7d:
//!       op: Read
//!       ...
//!       schema: schema_0
//!     filter_28e9ef0eef1d:
//!       op: Filter
//!       parent: read_1f0c3a9e5b7d
//!       predicate:
//!         op: Greater
//!         left: {column: amount}
//!         right: {literal: 100.0, type: Float64}
//!       schema: schema_0
//! expression: filter_28e9ef0eef1d
//! ```
//!
//! A node's id is its operation in snake case and the 12-hex display form of its input address.
//! [`from_yaml`] rebuilds every node with the same [`Table`] builder calls that construct
//! expressions (so validation and canonicalization are the same code), then checks each node's
//! schema and address against what the manifest records: a hand-edited node loads only if the
//! edit leaves its address unchanged, and otherwise is reported by id.
//!
//! The bytes are deterministic: building the same expression twice gives byte-identical text
//! (`serde-saphyr` is pinned to an exact version for that reason).

mod expr;
mod literal;
mod model;
mod probe;
mod read;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;

use crate::address::Address;
use crate::error::{CoreError, Result};
use crate::plan::node::RelOp;
use crate::plan::source::SourceKind;
use crate::plan::walk::topological;
use crate::table::Table;

/// Version of the manifest format written by [`to_yaml`]. A manifest declaring a newer version
/// is refused by [`from_yaml`].
pub const MANIFEST_VERSION: u32 = 1;

/// What loading a manifest needs that the manifest does not carry.
///
/// - the rows of in-memory tables, by content hash (a build stores each memtable as a Parquet
///   file named by that hash);
/// - the directory bundled files are relative to (a build's own directory);
/// - provenance of content-named sources (their label and where a bundled file was copied from),
///   which a build keeps in `metadata.json` rather than in the manifest.
///
/// ```
/// use xorq_core::manifest::LoadContext;
/// let ctx = LoadContext::new();
/// assert!(ctx.memtable(&xorq_core::Address::from_bytes([0; 32])).is_none());
/// ```
#[derive(Clone, Debug, Default)]
pub struct LoadContext {
    memtables: BTreeMap<Address, Vec<RecordBatch>>,
    base_dir: Option<PathBuf>,
    provenance: BTreeMap<Address, Provenance>,
    hash_scheme: Option<u32>,
    project_root: Option<PathBuf>,
    live_schemas: Option<BTreeMap<String, crate::schema::Schema>>,
    replacements: BTreeMap<String, crate::table::Table>,
}

/// Where a content-named source came from: provenance, not identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// A readable label (`sales.parquet`).
    pub name: String,
    /// The reference a bundled file was copied from; `None` for memtables.
    pub origin: Option<String>,
}

impl LoadContext {
    /// A context with nothing in it: enough for manifests without memtables or bundled files.
    pub fn new() -> Self {
        LoadContext::default()
    }

    /// A context holding these memtables, keyed by content hash.
    pub fn from_memtables(memtables: BTreeMap<Address, Vec<RecordBatch>>) -> Self {
        LoadContext { memtables, ..LoadContext::default() }
    }

    /// Adds the rows of the memtable whose content hash is `content`.
    pub fn with_memtable(mut self, content: Address, batches: Vec<RecordBatch>) -> Self {
        self.memtables.insert(content, batches);
        self
    }

    /// Resolves bundled files (`data/<hash>.<format>`) against `dir`.
    pub fn with_base_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.base_dir = Some(dir.into());
        self
    }

    /// Records the label and origin of the source whose content hash is `content`.
    pub fn with_provenance(mut self, content: Address, provenance: Provenance) -> Self {
        self.provenance.insert(content, provenance);
        self
    }

    /// Rebuilds the manifest under hash scheme `version` (recorded in a build's metadata), so a
    /// build written by an older xorq-rs verifies under the scheme it was addressed with. The
    /// current scheme when not given.
    pub fn with_hash_scheme(mut self, version: u32) -> Self {
        self.hash_scheme = Some(version);
        self
    }

    /// The hash scheme the manifest is rebuilt under.
    pub fn hash_scheme(&self) -> u32 {
        self.hash_scheme.unwrap_or(crate::address::HASH_SCHEME_VERSION)
    }

    /// The rows of the memtable with this content hash, if given.
    pub fn memtable(&self, content: &Address) -> Option<&[RecordBatch]> {
        self.memtables.get(content).map(Vec::as_slice)
    }

    /// Resolves files identified relative to a project ([`SourceIdentity::Project`]) against
    /// `root`, the directory holding the project's `xorq.yaml`.
    ///
    /// [`SourceIdentity::Project`]: crate::plan::SourceIdentity::Project
    pub fn with_project_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.project_root = Some(root.into());
        self
    }

    /// Re-derives the expression over the schemas its file sources have now (`xorq catalog
    /// rebase`): a file read from a location in `schemas` takes that schema instead of the
    /// recorded one, and every node is typed again from its inputs. The recorded schemas and
    /// node ids are then not checked (they describe the old expression); an operation that no
    /// longer fits its inputs (a column gone, a type that no longer adds) is the usual error,
    /// naming the node.
    pub fn with_live_schemas(mut self, schemas: BTreeMap<String, crate::schema::Schema>) -> Self {
        self.live_schemas = Some(schemas);
        self
    }

    /// Takes `rows` for the manifest's node `node` (a node of the expression the manifest
    /// describes, by its id there) and re-derives everything above it, as
    /// [`LoadContext::with_live_schemas`] does: what binds one pipeline's output to another's
    /// input (`xorq catalog compose`). Every node above is rebuilt by the same builder calls
    /// that made it, so the result is the expression that composition written by hand would
    /// give (consecutive filters merged, predicates in canonical order), with its address. A
    /// replacement the manifest does not reach is an error.
    pub fn with_replacement(mut self, node: &crate::plan::node::Node, rows: crate::table::Table) -> Self {
        self.replacements.insert(write::node_id(node.op(), &node.address()), rows);
        self
    }

    /// The rows given for the manifest node `id`, if any.
    pub(crate) fn replacement(&self, id: &str) -> Option<&crate::table::Table> {
        self.replacements.get(id)
    }

    /// The manifest node ids given rows.
    pub(crate) fn replaced_ids(&self) -> impl Iterator<Item = &str> {
        self.replacements.keys().map(String::as_str)
    }

    /// Whether the expression is re-derived ([`LoadContext::with_live_schemas`],
    /// [`LoadContext::with_replacement`]).
    pub fn rederives(&self) -> bool {
        self.live_schemas.is_some() || !self.replacements.is_empty()
    }

    /// The schema a file read from `location` has now, when re-deriving and it was given.
    pub fn live_schema(&self, location: &str) -> Option<&crate::schema::Schema> {
        self.live_schemas.as_ref()?.get(location)
    }

    /// The project root files identified relative to a project are read under, if given.
    pub fn project_root(&self) -> Option<&Path> {
        self.project_root.as_deref()
    }

    /// The directory bundled files are relative to, if given.
    pub fn base_dir(&self) -> Option<&Path> {
        self.base_dir.as_deref()
    }

    /// The provenance of a content-named source, if given.
    pub fn provenance(&self, content: &Address) -> Option<&Provenance> {
        self.provenance.get(content)
    }
}

/// The memtables an expression reads, by content hash: what a build stores next to the manifest
/// and what [`LoadContext::from_memtables`] takes back.
pub fn memtables(table: &Table) -> BTreeMap<Address, Vec<RecordBatch>> {
    let mut out = BTreeMap::new();
    for node in topological(table.node()) {
        if let RelOp::Source(s) = node.op()
            && let SourceKind::Memtable(m) = &s.kind
        {
            out.entry(m.content).or_insert_with(|| m.batches.to_vec());
        }
    }
    out
}

/// The canonical manifest of `table`.
///
/// Fails only for IR the manifest cannot express so that it reads back (an aggregate with a
/// `FILTER` clause, repeated tag metadata keys), or if two different nodes share a 12-hex id.
///
/// ```
/// use xorq_core::{col, lit, Table, manifest};
/// # use arrow_array::{RecordBatch, Float64Array};
/// # use std::sync::Arc;
/// # let batch = RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![120.0])) as _)]).unwrap();
/// let t = Table::memtable(vec![batch])?.filter(col("amount").gt(lit(100)))?;
/// let yaml = manifest::to_yaml(&t)?;
/// let ctx = manifest::LoadContext::from_memtables(manifest::memtables(&t));
/// let back = manifest::from_yaml(&yaml, &ctx)?;
/// assert_eq!(back.address(), t.address());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn to_yaml(table: &Table) -> Result<String> {
    let doc = write::document(table)?;
    let mut options = serde_saphyr::SerializerOptions::default();
    // One line per scalar: no folded or literal block scalars, whose line breaks diff badly.
    options.prefer_block_scalars = false;
    serde_saphyr::to_string_with_options(&doc, options)
        .map_err(|e| CoreError::Internal(format!("writing the manifest failed: {e}")))
}

/// Reads a manifest back into an expression equal to the one written, with the same address.
///
/// Errors: malformed YAML ([`CoreError::Manifest`] with line and column), a newer
/// `manifest_version`, an unknown operation or function, a missing memtable, a column or type
/// that does not resolve (the builder's own errors, naming the node), and a node whose rebuilt
/// schema or address differs from the one recorded.
pub fn from_yaml(text: &str, ctx: &LoadContext) -> Result<Table> {
    let probe: probe::VersionProbe = serde_saphyr::from_str_with_options(text, read_options()).map_err(yaml_error)?;
    match probe.manifest_version {
        None => return Err(invalid("the document has no `manifest_version`; is this an expr.yaml?".into())),
        Some(v) if v > MANIFEST_VERSION => {
            return Err(invalid(format!(
                "manifest version {v} is newer than the version this xorq-rs reads ({MANIFEST_VERSION}); upgrade xorq-rs to load it"
            )));
        }
        Some(0) => return Err(invalid("manifest version 0 does not exist; versions start at 1".into())),
        Some(_) => {}
    }
    let doc: model::Document = serde_saphyr::from_str_with_options(text, read_options()).map_err(yaml_error)?;
    let scheme = ctx.hash_scheme();
    if !(1..=crate::address::HASH_SCHEME_VERSION).contains(&scheme) {
        return Err(invalid(format!(
            "hash scheme {scheme} is not one this xorq-rs knows (1 to {}); upgrade xorq-rs to load it",
            crate::address::HASH_SCHEME_VERSION
        )));
    }
    crate::canonical::with_scheme(scheme, || read::load(&doc, ctx))
}

/// Deepest nesting of YAML collections a manifest may have; [`to_yaml`] refuses an expression
/// that would nest deeper, so everything it writes reads back.
pub(crate) const MANIFEST_DEPTH: usize = 1024;

/// Generous limits: manifests of large graphs are big, but still bounded.
fn read_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    // `.nan` and `.inf` are literal values; they reach `literal.rs` as text.
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::AsString;
    if let Some(budget) = options.budget.as_mut() {
        budget.max_depth = MANIFEST_DEPTH;
        budget.max_nodes = 10_000_000;
        budget.max_events = 40_000_000;
    }
    options
}

fn yaml_error(e: serde_saphyr::Error) -> CoreError {
    let location = e.location();
    let line = location.map(|l| u32::try_from(l.line()).unwrap_or(u32::MAX)).filter(|l| *l > 0);
    let column = location.map(|l| u32::try_from(l.column()).unwrap_or(u32::MAX)).filter(|_| line.is_some());
    let mut message = e.to_string();
    // The location is reported separately; drop the renderer's own prefix.
    if let Some(rest) = message.strip_prefix("error: ") {
        message = rest.to_string();
    }
    if let Some((head, rest)) = message.split_once(": ")
        && head.starts_with("line ")
    {
        message = rest.to_string();
    }
    if let (Some(l), Some(c)) = (line, column) {
        let suffix = format!(" at line {l}, column {c}");
        if let Some(rest) = message.trim_end().strip_suffix(&suffix) {
            message = rest.to_string();
        }
    }
    CoreError::Manifest { message: message.trim().to_string(), line, column }
}

/// A manifest error without a location (the caller adds the node's when it knows it).
pub(crate) fn invalid(message: String) -> CoreError {
    CoreError::Manifest { message, line: None, column: None }
}

/// `` `a`, `b`, `c` ``.
pub(crate) fn list_names(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DataType, Field, Schema, col, lit};

    fn table() -> Table {
        let schema = Schema::new(vec![Field::new("x", DataType::Float32, true)]).expect("one column");
        let source = crate::plan::Source::file(crate::plan::FileFormat::Parquet, "/data/x.parquet", schema)
            .expect("absolute path");
        Table::from_source(source).expect("source")
    }

    /// A build written under scheme 1 keeps verifying: scheme 1 left `CAST(0.1 AS FLOAT)` as a
    /// cast (the conversion is inexact), scheme 2 folds it to the value the engine computes.
    #[test]
    fn older_schemes_rebuild_to_what_they_recorded() {
        let build = || table().filter(col("x").gt(lit(0.1).cast(DataType::Float32))).expect("filter");
        let old = crate::canonical::with_scheme(1, build);
        let new = build();
        assert_ne!(old.address(), new.address(), "the schemes canonicalize this expression differently");
        let old_yaml = to_yaml(&old).expect("yaml");
        let reread = from_yaml(&old_yaml, &LoadContext::new().with_hash_scheme(1)).expect("rebuilds under scheme 1");
        assert_eq!(reread.address(), old.address());
        let err = from_yaml(&old_yaml, &LoadContext::new()).expect_err("scheme 2 folds the cast");
        assert!(err.to_string().contains("not to its recorded id"), "{err}");
        let err = from_yaml(&old_yaml, &LoadContext::new().with_hash_scheme(9)).expect_err("unknown scheme");
        assert!(err.to_string().contains("hash scheme 9"), "{err}");
    }
}
