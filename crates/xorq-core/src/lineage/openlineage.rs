//! An [OpenLineage](https://openlineage.io) run event for a lineage graph: the sources as input
//! datasets (with their schemas), the result as the output dataset, and the
//! column-lineage dataset facet mapping every output column to the source columns it comes
//! from, each marked `DIRECT` (`IDENTITY`, `TRANSFORMATION`, `AGGREGATION`) or `INDIRECT`
//! (`FILTER`, `JOIN`, `GROUP_BY`, `SORT`, `WINDOW`).
//!
//! Datasets are named as OpenLineage's naming conventions say: a local file is namespace
//! `file` and its absolute path; a URL is `scheme://authority` and its path; a backend table is
//! `table://<profile>` and `schema.table`; in-memory data is namespace `xorq`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::plan::node::RelOp;
use crate::plan::source::{SourceIdentity, SourceKind};
use crate::plan::walk::topological;
use crate::table::Table;

use super::{NodeKind, TableLineage};

/// The OpenLineage spec version of the event.
pub const SPEC_URL: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const SCHEMA_FACET: &str = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet";
const VERSION_FACET: &str =
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet";
const COLUMN_LINEAGE_FACET: &str =
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet";

/// What an event says beyond the lineage itself: which job and run produced it, and how the
/// output dataset is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventContext {
    /// The job's namespace (for example `xorq`).
    pub job_namespace: String,
    /// The job's name (for example a catalog alias or a build address).
    pub job_name: String,
    /// The run id: a UUID (see [`run_id`]).
    pub run_id: String,
    /// When, as RFC 3339.
    pub event_time: String,
    /// The output dataset's namespace.
    pub output_namespace: String,
    /// The output dataset's name.
    pub output_name: String,
    /// A URI naming the producer (the tool and its version).
    pub producer: String,
}

/// A `COMPLETE` run event for `table`, whose lineage is `lineage` (normally
/// [`super::table_lineage`] of `table`).
///
/// ```
/// use xorq_core::{col, lineage, lit, Table};
/// use xorq_core::lineage::openlineage::{EventContext, run_event, run_id};
/// # use arrow_array::{RecordBatch, Float64Array};
/// # use std::sync::Arc;
/// # let batch = RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap();
/// let t = Table::memtable(vec![batch])?.mutate([(col("amount") * lit(2)).alias("double")])?;
/// let ctx = EventContext {
///     job_namespace: "xorq".into(),
///     job_name: "doubler".into(),
///     run_id: run_id(t.address().hex().as_bytes()),
///     event_time: "2026-11-23T12:00:00Z".into(),
///     output_namespace: "xorq".into(),
///     output_name: t.address().hex(),
///     producer: "https://github.com/xorq-labs/xorq-rs".into(),
/// };
/// let event = run_event(&t, &lineage::table_lineage(&t)?, &ctx);
/// let facet = &event["outputs"][0]["facets"]["columnLineage"]["fields"]["double"];
/// assert_eq!(facet["inputFields"][0]["field"], "amount");
/// assert_eq!(facet["inputFields"][0]["transformations"][0]["subtype"], "TRANSFORMATION");
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn run_event(table: &Table, lineage: &TableLineage, ctx: &EventContext) -> Value {
    let facet = |url: &str| json!({ "_producer": ctx.producer, "_schemaURL": url });
    let schema_facet = |fields: Vec<Value>| {
        let mut f = facet(SCHEMA_FACET);
        f["fields"] = Value::Array(fields);
        f
    };

    // Input datasets: the sources the lineage reaches, with the schema each was read with.
    let mut schemas: BTreeMap<String, (Vec<Value>, Option<String>)> = BTreeMap::new();
    for node in topological(table.node()) {
        if let RelOp::Source(s) = node.op() {
            let fields =
                s.schema.fields().iter().map(|f| json!({ "name": f.name, "type": f.dtype.to_string() })).collect();
            // Content-identified sources have a version: the hash of their bytes.
            let version = match &s.kind {
                SourceKind::File(f) => match &f.identity {
                    SourceIdentity::Content { hash, .. } => Some(hash.hex()),
                    SourceIdentity::Reference(_) | SourceIdentity::Project(_) => None,
                },
                SourceKind::Memtable(m) => Some(m.content.hex()),
                _ => None,
            };
            schemas.entry(s.uri()).or_insert((fields, version));
        }
    }
    let mut inputs: Vec<Value> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for node in &lineage.nodes {
        let NodeKind::Read { uri, .. } = &node.kind else { continue };
        if seen.contains(&uri.as_str()) {
            continue;
        }
        seen.push(uri);
        let (namespace, name) = dataset_name(uri);
        let mut facets = serde_json::Map::new();
        if let Some((fields, version)) = schemas.get(uri) {
            facets.insert("schema".into(), schema_facet(fields.clone()));
            if let Some(v) = version {
                let mut f = facet(VERSION_FACET);
                f["datasetVersion"] = json!(format!("blake3:{v}"));
                facets.insert("version".into(), f);
            }
        }
        inputs.push(json!({ "namespace": namespace, "name": name, "facets": facets }));
    }

    // The output dataset and its column lineage.
    let mut fields = serde_json::Map::new();
    for root in &lineage.columns {
        let input_fields: Vec<Value> = lineage
            .input_fields(root.node)
            .into_iter()
            .map(|i| {
                let (namespace, name) = dataset_name(&i.uri);
                let transformations: Vec<Value> = i
                    .transformations
                    .iter()
                    .map(|t| json!({ "type": t.kind(), "subtype": t.subtype(), "masking": false }))
                    .collect();
                json!({ "namespace": namespace, "name": name, "field": i.field, "transformations": transformations })
            })
            .collect();
        fields.insert(root.column.clone(), json!({ "inputFields": input_fields }));
    }
    let output_fields: Vec<Value> = table
        .schema()
        .fields()
        .iter()
        .filter(|f| lineage.columns.iter().any(|r| r.column == f.name))
        .map(|f| json!({ "name": f.name, "type": f.dtype.to_string() }))
        .collect();
    let mut column_lineage = facet(COLUMN_LINEAGE_FACET);
    column_lineage["fields"] = Value::Object(fields);

    json!({
        "eventType": "COMPLETE",
        "eventTime": ctx.event_time,
        "producer": ctx.producer,
        "schemaURL": SPEC_URL,
        "run": { "runId": ctx.run_id },
        "job": { "namespace": ctx.job_namespace, "name": ctx.job_name },
        "inputs": inputs,
        "outputs": [{
            "namespace": ctx.output_namespace,
            "name": ctx.output_name,
            "facets": { "schema": schema_facet(output_fields), "columnLineage": column_lineage },
        }],
    })
}

/// A source URI as an OpenLineage dataset `(namespace, name)`: `file:///p` is `("file", "/p")`,
/// `s3://bucket/key` is `("s3://bucket", "key")`, anything without an authority is in the `xorq`
/// namespace under its full URI.
///
/// ```
/// use xorq_core::lineage::openlineage::dataset_name;
/// assert_eq!(dataset_name("file:///data/sales.parquet"), ("file".into(), "/data/sales.parquet".into()));
/// assert_eq!(dataset_name("s3://bucket/a/b.parquet"), ("s3://bucket".into(), "a/b.parquet".into()));
/// assert_eq!(dataset_name("table://warehouse/public.orders"), ("table://warehouse".into(), "public.orders".into()));
/// assert_eq!(dataset_name("memtable:ab12"), ("xorq".into(), "memtable:ab12".into()));
/// ```
pub fn dataset_name(uri: &str) -> (String, String) {
    if let Some(path) = uri.strip_prefix("file://") {
        return ("file".into(), path.into());
    }
    match uri.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            (format!("{scheme}://{authority}"), path.to_string())
        }
        None => ("xorq".into(), uri.to_string()),
    }
}

/// A run id derived from `seed`: a UUID (version 8, RFC 9562) made of the seed's BLAKE3 hash,
/// so one build always gets the same id.
///
/// ```
/// let id = xorq_core::lineage::openlineage::run_id(b"28ecab08754e");
/// assert_eq!(id.len(), 36);
/// assert_eq!(&id[14..15], "8");
/// ```
pub fn run_id(seed: &[u8]) -> String {
    let hash = blake3::hash(seed);
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash.as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 9562 variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
