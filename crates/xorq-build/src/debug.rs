//! `--debug` artifacts: `deferred_reads.yaml` (every read and where it reads from) and one
//! `<engine>.sql` per engine in the plan.

use serde::Serialize;
use xorq_core::plan::walk::topological;
use xorq_core::plan::{SourceIdentity, SourceKind, bundled_location};
use xorq_core::{RelOp, Table};
use xorq_engines::datafusion::scan_name;

use crate::error::{BuildError, Result};
use crate::layout::memtable_location;

#[derive(Serialize)]
struct DeferredReads {
    reads: Vec<Read>,
}

#[derive(Serialize)]
struct Read {
    node: String,
    name: String,
    engine: &'static str,
    /// The table name the engine's SQL uses for it.
    scan: String,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    location: String,
    schema: Columns,
}

/// Columns in their order, written as a YAML mapping.
struct Columns(Vec<(String, String)>);

impl Serialize for Columns {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The text of `deferred_reads.yaml`.
pub(crate) fn deferred_reads(table: &Table) -> Result<String> {
    let mut reads = Vec::new();
    for node in topological(table.node()) {
        let RelOp::Source(source) = node.op() else { continue };
        let (kind, format, location) = match &source.kind {
            SourceKind::File(f) => {
                let location = match &f.identity {
                    SourceIdentity::Content { hash, .. } => bundled_location(hash, &f.format),
                    _ => f.location.clone(),
                };
                ("file", Some(f.format.name().to_string()), location)
            }
            SourceKind::Memtable(m) => ("memtable", None, memtable_location(&m.content)),
            SourceKind::Table(t) => ("table", None, format!("{}:{}", t.profile, t.table.join("."))),
            SourceKind::Input(i) => ("input", None, format!("input:{}", i.name)),
            _ => ("unknown", None, String::new()),
        };
        reads.push(Read {
            node: format!("read_{}", node.address().short()),
            name: source.name.clone(),
            engine: "datafusion",
            scan: scan_name(node),
            kind,
            format,
            location,
            schema: Columns(source.schema.fields().iter().map(|f| (f.name.clone(), f.dtype.to_string())).collect()),
        });
    }
    serde_saphyr::to_string(&DeferredReads { reads })
        .map_err(|e| BuildError::Debug(format!("writing deferred_reads.yaml failed: {e}")))
}

/// `(file name, SQL)` for each engine the expression runs on. Today every node runs on the
/// embedded DataFusion engine; parameters appear as `$name` placeholders.
pub(crate) fn engine_sql(table: &Table) -> Result<Vec<(String, String)>> {
    // The same writer as `xorq sql -d datafusion`, with its fixes (ordered aggregates keep
    // their ORDER BY, which DataFusion's unparser drops).
    let statement = xorq_engines::dialect::to_sql(table, xorq_engines::dialect::SqlDialect::DataFusion)?;
    let mut text =
        format!("-- xorq-rs build {}: the query DataFusion runs (DataFusion SQL dialect).\n", table.address().short());
    let params = table.params()?;
    if !params.is_empty() {
        text.push_str("-- parameters, bound per run (`xorq run -p name=value`):\n");
        for p in params {
            let default = p.default.map(|d| format!(", default {d}")).unwrap_or_default();
            text.push_str(&format!("--   ${} {}{default}\n", p.name, p.dtype));
        }
    }
    text.push_str(statement.trim_end().trim_end_matches(';'));
    text.push_str(";\n");
    Ok(vec![("datafusion.sql".to_string(), text)])
}
