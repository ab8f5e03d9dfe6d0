//! Manifest model → IR: each node is rebuilt with the `Table` builder calls that construct
//! expressions, then checked against the schema and address the manifest records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_saphyr::Location;

use crate::address::{Address, HASH_SCHEME};
use crate::error::{CoreError, Result};
use crate::expr::dsl::Expr;
use crate::expr::func::table::TableFunc;
use crate::plan::cache::{CacheStorage, CacheStrategy, Freshness};
use crate::plan::node::{JoinKind, RelOp, SetOpKind};
use crate::plan::source::{
    CsvOptions, FileFormat, FileSource, InputSource, Source, SourceIdentity, SourceKind, TableSource, bundled_location,
    check_input_name, display_name,
};
use crate::schema::{Field, Schema, SchemaRef};
use crate::table::Table;

use super::LoadContext;
use super::expr::{parse_type, read_expr, read_sort_key};
use super::model::{Document, ExprDef, IdentityDef, NodeDef, OrderedMap};
use super::write::{node_id, snake};
use super::{invalid, list_names};

/// Every operation, with the keys its node takes besides `op` and `schema`.
const OPS: [(&str, &[&str]); 13] = [
    ("Read", &["name", "kind", "format", "csv", "location", "identity", "profile", "table"]),
    ("Filter", &["parent", "predicate"]),
    ("Project", &["parent", "columns"]),
    ("Aggregate", &["parent", "by", "metrics", "grouping_sets"]),
    ("Join", &["left", "right", "kind", "join_keys", "predicate"]),
    ("Sort", &["parent", "keys"]),
    ("Limit", &["parent", "offset", "fetch"]),
    ("Distinct", &["parent"]),
    ("SetOp", &["inputs", "kind", "distinct"]),
    ("Tag", &["parent", "name", "metadata"]),
    ("Cache", &["parent", "strategy", "ttl", "storage", "profile", "frozen"]),
    ("IntoBackend", &["parent", "profile"]),
    ("TableFunction", &["parent", "function", "version", "args"]),
];

const JOIN_KINDS: [JoinKind; 7] = [
    JoinKind::Inner,
    JoinKind::Left,
    JoinKind::Right,
    JoinKind::Outer,
    JoinKind::Semi,
    JoinKind::Anti,
    JoinKind::Cross,
];

/// Fails to compile when a join kind is added, as a reminder to list it in `JOIN_KINDS`.
const _: fn(JoinKind) = |k| match k {
    JoinKind::Inner
    | JoinKind::Left
    | JoinKind::Right
    | JoinKind::Outer
    | JoinKind::Semi
    | JoinKind::Anti
    | JoinKind::Cross => {}
};

/// Fails to compile when a set operation is added, as a reminder to read it below.
const _: fn(SetOpKind) = |k| match k {
    SetOpKind::Union | SetOpKind::Intersect | SetOpKind::Difference => {}
};

fn present_keys(d: &NodeDef) -> Vec<&'static str> {
    let flags = [
        (d.parent.is_some(), "parent"),
        (d.left.is_some(), "left"),
        (d.right.is_some(), "right"),
        (!d.inputs.is_empty(), "inputs"),
        (d.strategy.is_some(), "strategy"),
        (d.ttl.is_some(), "ttl"),
        (d.storage.is_some(), "storage"),
        (d.name.is_some(), "name"),
        (d.kind.is_some(), "kind"),
        (d.format.is_some(), "format"),
        (d.csv.is_some(), "csv"),
        (d.location.is_some(), "location"),
        (d.identity.is_some(), "identity"),
        (d.profile.is_some(), "profile"),
        (d.table.is_some(), "table"),
        (d.join_keys.is_some(), "join_keys"),
        (d.predicate.is_some(), "predicate"),
        (d.columns.is_some(), "columns"),
        (d.by.is_some(), "by"),
        (d.metrics.is_some(), "metrics"),
        (d.grouping_sets.is_some(), "grouping_sets"),
        (d.keys.is_some(), "keys"),
        (d.offset.is_some(), "offset"),
        (d.fetch.is_some(), "fetch"),
        (d.distinct.is_some(), "distinct"),
        (d.metadata.is_some(), "metadata"),
        (d.function.is_some(), "function"),
        (d.version.is_some(), "version"),
        (d.args.is_some(), "args"),
        (d.frozen.is_some(), "frozen"),
    ];
    flags.into_iter().filter(|(present, _)| *present).map(|(_, key)| key).collect()
}

fn required<'a, T>(v: &'a Option<T>, key: &str, op: &str) -> Result<&'a T> {
    v.as_ref().ok_or_else(|| invalid(format!("a `{op}` node needs `{key}`")))
}

/// Adds the node (and where it is in the YAML) to an error raised while it was rebuilt.
pub(crate) fn in_node(e: CoreError, id: &str, at: Option<(u32, u32)>) -> CoreError {
    let node = format!("manifest node `{id}`");
    let amend = |context: String| format!("{context} of {node}");
    match e {
        CoreError::Manifest { message, line: None, column: None } => CoreError::Manifest {
            message: format!("{node}: {message}"),
            line: at.map(|(l, _)| l),
            column: at.map(|(_, c)| c),
        },
        CoreError::ColumnNotFound { column, context, available, suggestion } => {
            CoreError::ColumnNotFound { column, context: amend(context), available, suggestion }
        }
        CoreError::AmbiguousColumn { column, context } => {
            CoreError::AmbiguousColumn { column, context: amend(context) }
        }
        CoreError::DuplicateColumn { column, context } => {
            CoreError::DuplicateColumn { column, context: amend(context) }
        }
        CoreError::TypeMismatch { operation, types, context, hint } => {
            CoreError::TypeMismatch { operation, types, context: amend(context), hint }
        }
        CoreError::NotBoolean { context, found } => CoreError::NotBoolean { context: amend(context), found },
        CoreError::InvalidCast { from, to, context } => CoreError::InvalidCast { from, to, context: amend(context) },
        CoreError::InvalidArgument { context, message } => {
            CoreError::InvalidArgument { context: amend(context), message }
        }
        CoreError::InvalidAggregation { message } => {
            CoreError::InvalidAggregation { message: format!("{node}: {message}") }
        }
        CoreError::SchemaMismatch { operation, detail } => {
            CoreError::SchemaMismatch { operation: amend(operation), detail }
        }
        other => other,
    }
}

fn position(l: Location) -> Option<(u32, u32)> {
    let line = u32::try_from(l.line()).ok().filter(|l| *l > 0)?;
    Some((line, u32::try_from(l.column()).unwrap_or(0)))
}

fn read_schema(columns: &OrderedMap<String>) -> Result<Schema> {
    let fields = columns
        .0
        .iter()
        .map(|(name, text)| {
            let (type_text, nullable) = match text.trim().strip_suffix(" not null") {
                Some(t) => (t, false),
                None => (text.as_str(), true),
            };
            Ok(Field::new(name.clone(), parse_type(type_text)?, nullable))
        })
        .collect::<Result<Vec<_>>>()?;
    Schema::new(fields)
}

fn named(exprs: &OrderedMap<ExprDef>) -> Result<Vec<Expr>> {
    exprs.0.iter().map(|(name, e)| Ok(read_expr(e)?.alias(name.clone()))).collect()
}

struct Loader<'a> {
    schemas: BTreeMap<&'a str, Schema>,
    all_ids: BTreeSet<&'a str>,
    built: BTreeMap<&'a str, Table>,
    ctx: &'a LoadContext,
}

impl<'a> Loader<'a> {
    fn input(&self, id: &str) -> Result<&Table> {
        self.built.get(id).ok_or_else(|| {
            if self.all_ids.contains(id) {
                invalid(format!("input `{id}` is defined after the node that uses it; inputs come first"))
            } else {
                invalid(format!("input `{id}` is not defined in `definitions.nodes`"))
            }
        })
    }

    fn parent(&self, d: &NodeDef) -> Result<&Table> {
        self.input(required(&d.parent, "parent", &d.op)?)
    }

    fn node(&self, id: &str, d: &NodeDef) -> Result<Table> {
        if let Some(rows) = self.ctx.replacement(id) {
            return Ok(rows.clone());
        }
        let Some((op, allowed)) = OPS.iter().find(|(op, _)| *op == d.op) else {
            let known: Vec<&str> = OPS.iter().map(|(op, _)| *op).collect();
            return Err(invalid(format!("unknown op `{}`; expected one of {}", d.op, list_names(&known))));
        };
        if let Some(extra) = present_keys(d).into_iter().find(|k| !allowed.contains(k)) {
            return Err(invalid(format!("unexpected key `{extra}` for op `{op}` (it takes {})", list_names(allowed))));
        }
        let expected_prefix = format!("{}_", snake(op));
        let hex = id.strip_prefix(&expected_prefix).filter(|h| {
            h.len() == crate::address::SHORT_LEN && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
        if hex.is_none() {
            return Err(invalid(format!(
                "the id of a `{op}` node has the form `{expected_prefix}<12 hex digits of its address>`"
            )));
        }
        let schema = self
            .schemas
            .get(d.schema.as_str())
            .ok_or_else(|| invalid(format!("schema `{}` is not defined in `definitions.schemas`", d.schema)))?;
        let table = self.build(d, schema)?;
        if self.ctx.rederives() {
            // The recorded schema and id describe the expression before its sources changed.
            return Ok(table);
        }
        if table.schema() != schema {
            return Err(invalid(format!(
                "the node computes the columns ({}), but the manifest records `{}` ({schema})",
                table.schema(),
                d.schema
            )));
        }
        let rebuilt = node_id(table.node().op(), &table.address());
        if rebuilt != id {
            return Err(invalid(format!(
                "the node rebuilds to `{rebuilt}` (address {}), not to its recorded id: it was edited after it was written, or written with another hashing scheme than {HASH_SCHEME}; restore it or write the manifest again from its expression",
                table.address().hex()
            )));
        }
        Ok(table)
    }

    fn build(&self, d: &NodeDef, schema: &Schema) -> Result<Table> {
        let op = d.op.as_str();
        match op {
            "Read" => {
                let mut source = self.source(d, schema)?;
                if let SourceKind::File(file) = &source.kind
                    && let Some(live) = self.ctx.live_schema(&file.location)
                {
                    source.schema = Arc::new(live.clone());
                }
                Table::from_source(source)
            }
            "Filter" => self.parent(d)?.filter(read_expr(required(&d.predicate, "predicate", op)?)?),
            "Project" => self.parent(d)?.select(named(required(&d.columns, "columns", op)?)?),
            "Aggregate" => {
                let by = d.by.as_ref().map(named).transpose()?.unwrap_or_default();
                let metrics = d.metrics.as_ref().map(named).transpose()?.unwrap_or_default();
                let grouped = self.parent(d)?.group_by(by);
                match &d.grouping_sets {
                    Some(sets) => grouped.grouping_sets(sets.clone()).agg(metrics),
                    None => grouped.agg(metrics),
                }
            }
            "Join" => {
                let name = required(&d.kind, "kind", op)?;
                let kind = JOIN_KINDS.into_iter().find(|k| k.name() == name).ok_or_else(|| {
                    let known: Vec<&str> = JOIN_KINDS.iter().map(|k| k.name()).collect();
                    invalid(format!("unknown join kind `{name}`; expected one of {}", list_names(&known)))
                })?;
                let left = self.input(required(&d.left, "left", op)?)?;
                let right = self.input(required(&d.right, "right", op)?)?;
                let on: Vec<(String, String)> =
                    d.join_keys.iter().flatten().map(|p| (p.0.left.clone(), p.0.right.clone())).collect();
                match &d.predicate {
                    Some(p) => left.join_where(right, kind, on, read_expr(p)?),
                    None => left.join(right, kind, on),
                }
            }
            "Sort" => {
                let keys = required(&d.keys, "keys", op)?.iter().map(read_sort_key).collect::<Result<Vec<_>>>()?;
                self.parent(d)?.order_by(keys)
            }
            "Limit" => self.parent(d)?.slice(d.offset.unwrap_or(0), d.fetch),
            "Distinct" => self.parent(d)?.distinct(),
            "SetOp" => self.set_op(d),
            "Cache" => {
                let cached = self.parent(d)?.cache_in(cache_strategy(d)?, cache_storage(d)?)?;
                match &d.frozen {
                    None => Ok(cached),
                    Some(frozen) => {
                        let RelOp::Source(stored) = self.input(frozen)?.node().op() else {
                            return Err(invalid(format!(
                                "the frozen result `{frozen}` of a pinned cache must be a Read"
                            )));
                        };
                        Ok(Table::from_node(crate::plan::pin::pin(cached.node(), stored.clone())?))
                    }
                }
            }
            "IntoBackend" => self.parent(d)?.into_backend(required(&d.profile, "profile", op)?),
            "TableFunction" => {
                let func = TableFunc::find(required(&d.function, "function", op)?, Some(d.version.unwrap_or(1)))?;
                let args = d
                    .args
                    .iter()
                    .flatten()
                    .map(|a| match read_expr(a)? {
                        Expr::Literal(l) => Ok(l),
                        _ => Err(invalid(format!("the arguments of table function `{}` are constants", func.name()))),
                    })
                    .collect::<Result<Vec<_>>>()?;
                self.parent(d)?.table_function(func, args)
            }
            "Tag" => {
                let metadata = d.metadata.as_ref().map(|m| m.0.clone()).unwrap_or_default();
                self.parent(d)?.tag_with(required(&d.name, "name", op)?, metadata)
            }
            other => Err(CoreError::Internal(format!("manifest op `{other}` passed the op check"))),
        }
    }

    fn set_op(&self, d: &NodeDef) -> Result<Table> {
        let [a, b] = d.inputs.as_slice() else {
            return Err(invalid(format!(
                "a `SetOp` node combines two `inputs`, not {}; the builder combines two at a time",
                d.inputs.len()
            )));
        };
        let (a, b) = (self.input(a)?, self.input(b)?);
        let kind = required(&d.kind, "kind", "SetOp")?.as_str();
        let distinct = *required(&d.distinct, "distinct", "SetOp")?;
        match (kind, distinct) {
            (k, false) if k == SetOpKind::Union.name() => a.union(b),
            (k, true) if k == SetOpKind::Union.name() => a.union_distinct(b),
            (k, true) if k == SetOpKind::Intersect.name() => a.intersect(b),
            (k, true) if k == SetOpKind::Difference.name() => a.difference(b),
            (k, false) if k == SetOpKind::Intersect.name() || k == SetOpKind::Difference.name() => {
                Err(invalid(format!("`{k}` keeping duplicates cannot be built; use `distinct: true`")))
            }
            (k, _) => Err(invalid(format!(
                "unknown set operation `{k}`; expected one of {}",
                list_names(&["union", "intersect", "difference"])
            ))),
        }
    }

    fn source(&self, d: &NodeDef, schema: &Schema) -> Result<Source> {
        let kind = required(&d.kind, "kind", "Read")?.as_str();
        let keys = present_keys(d);
        let allowed: &[&str] = match kind {
            "file" => &["name", "kind", "format", "csv", "location", "identity"],
            "memtable" => &["name", "kind", "identity"],
            "table" => &["name", "kind", "profile", "table"],
            "input" => &["name", "kind"],
            other => {
                return Err(invalid(format!(
                    "unknown source kind `{other}`; expected one of {}",
                    list_names(&["file", "memtable", "table", "input"])
                )));
            }
        };
        if let Some(extra) = keys.iter().find(|k| !allowed.contains(k)) {
            return Err(invalid(format!("unexpected key `{extra}` for a `{kind}` source")));
        }
        let schema = Arc::new(schema.clone());
        let kind = match kind {
            "file" => return self.file_source(d, schema),
            "input" => {
                let name = required(&d.name, "name", "Read")?;
                check_input_name(name).map_err(|e| invalid(e.to_string()))?;
                SourceKind::Input(InputSource { name: name.clone() })
            }
            "memtable" => {
                let declared = content_hash(required(&d.identity, "identity", "Read")?)?;
                let batches = self.ctx.memtable(&declared).ok_or_else(|| {
                    invalid(format!(
                        "the rows of memtable {} are not in the load context (a build stores them as `{}.parquet`)",
                        declared.hex(),
                        declared.hex()
                    ))
                })?;
                let name = match (&d.name, self.ctx.provenance(&declared)) {
                    (Some(name), _) => name.clone(),
                    (None, Some(p)) => p.name.clone(),
                    (None, None) => "memtable".to_string(),
                };
                let source = Source::memtable(&name, batches.to_vec(), (*schema).clone())?;
                if let SourceKind::Memtable(m) = &source.kind
                    && m.content != declared
                {
                    return Err(invalid(format!(
                        "the rows given for memtable {} hash to {}: they are other data",
                        declared.hex(),
                        m.content.hex()
                    )));
                }
                return Ok(source);
            }
            _ => SourceKind::Table(TableSource {
                profile: required(&d.profile, "profile", "Read")?.clone(),
                table: required(&d.table, "table", "Read")?.clone(),
            }),
        };
        Ok(Source { name: required(&d.name, "name", "Read")?.clone(), kind, schema })
    }

    /// A file source. A referenced file is read where it says; a bundled one from its derived
    /// place under the context's base directory, with its label and origin from the context's
    /// provenance (they are not in the manifest).
    fn file_source(&self, d: &NodeDef, schema: SchemaRef) -> Result<Source> {
        let format = file_format(d)?;
        let location = required(&d.location, "location", "Read")?;
        let identity = required(&d.identity, "identity", "Read")?;
        if let Some(path) = &identity.project {
            return self.project_source(d, schema, format, location, path, identity);
        }
        let (name, location, identity) = match (&identity.reference, &identity.content, &identity.origin) {
            (Some(r), None, None) => {
                (required(&d.name, "name", "Read")?.clone(), location.clone(), SourceIdentity::Reference(r.clone()))
            }
            (None, Some(_), None) => {
                let hash = content_hash(identity)?;
                let expected = bundled_location(&hash, &format);
                if *location != expected {
                    return Err(invalid(format!(
                        "a bundled file lives at `{expected}` (derived from its content hash), not `{location}`"
                    )));
                }
                let provenance = self.ctx.provenance(&hash);
                let origin = provenance.and_then(|p| p.origin.clone()).unwrap_or_else(|| expected.clone());
                let name = match (&d.name, provenance) {
                    (Some(name), _) => name.clone(),
                    (None, Some(p)) => p.name.clone(),
                    (None, None) => display_name(&origin),
                };
                let location = match self.ctx.base_dir() {
                    Some(base) => base.join(&expected).to_str().map(str::to_string).ok_or_else(|| {
                        invalid(format!("the build directory `{}` is not valid UTF-8", base.display()))
                    })?,
                    None => expected,
                };
                (name, location, SourceIdentity::Content { hash, origin })
            }
            _ => {
                return Err(invalid(
                    "a file identity is either `reference` (a referenced file) or `content` (a bundled file)".into(),
                ));
            }
        };
        Ok(Source { name, kind: SourceKind::File(FileSource { format, location, identity }), schema })
    }

    /// A file read by its path relative to a project (hash scheme 3), read under the context's
    /// project root.
    fn project_source(
        &self,
        d: &NodeDef,
        schema: SchemaRef,
        format: FileFormat,
        location: &str,
        path: &str,
        identity: &IdentityDef,
    ) -> Result<Source> {
        if identity.reference.is_some() || identity.content.is_some() || identity.origin.is_some() {
            return Err(invalid("a file identity is one of `reference`, `project` or `content`".into()));
        }
        if crate::canonical::scheme() < 3 {
            return Err(invalid(format!(
                "`{path}` is identified relative to its project, which hash scheme {} does not have (since 3)",
                crate::canonical::scheme()
            )));
        }
        let inside = !path.is_empty()
            && Path::new(path).components().all(|c| matches!(c, std::path::Component::Normal(_)))
            && !path.contains('\\');
        if !inside {
            return Err(invalid(format!(
                "`{path}` is not a path inside a project (relative, `/`-separated, without `..`)"
            )));
        }
        if location != path {
            return Err(invalid(format!("a project file's location is its path `{path}`, not `{location}`")));
        }
        let Some(root) = self.ctx.project_root() else {
            return Err(invalid(format!(
                "`{path}` is read relative to its project, and no project (a directory with xorq.yaml) holds the \
                 build or the current directory; run it inside the project, or build it again with the file \
                 bundled (without `--no-relocate-reads`)"
            )));
        };
        let location = root
            .join(path)
            .to_str()
            .map(str::to_string)
            .ok_or_else(|| invalid(format!("the project directory `{}` is not valid UTF-8", root.display())))?;
        Ok(Source {
            name: required(&d.name, "name", "Read")?.clone(),
            kind: SourceKind::File(FileSource {
                format,
                location,
                identity: SourceIdentity::Project(path.to_string()),
            }),
            schema,
        })
    }
}

fn cache_strategy(d: &NodeDef) -> Result<CacheStrategy> {
    let name = required(&d.strategy, "strategy", "Cache")?;
    let freshness = Freshness::from_name(name).ok_or_else(|| {
        invalid(format!(
            "unknown cache strategy `{name}`; expected one of {}",
            list_names(&[Freshness::ModificationTime.name(), Freshness::Snapshot.name()])
        ))
    })?;
    let strategy = CacheStrategy::new(freshness);
    Ok(match d.ttl {
        Some(0) => return Err(invalid("a cache `ttl` is a whole number of seconds, at least 1".into())),
        Some(secs) => strategy.with_ttl(Duration::from_secs(secs)),
        None => strategy,
    })
}

fn cache_storage(d: &NodeDef) -> Result<CacheStorage> {
    match (required(&d.storage, "storage", "Cache")?.as_str(), &d.profile) {
        ("parquet", None) => Ok(CacheStorage::Parquet),
        ("parquet", Some(_)) => Err(invalid("`profile` applies to `storage: source`, not `parquet`".into())),
        ("source", None) => Ok(CacheStorage::source()),
        ("source", Some(p)) => Ok(CacheStorage::source_in(p)),
        (other, _) => Err(invalid(format!(
            "unknown cache storage `{other}`; expected one of {}",
            list_names(&["parquet", "source"])
        ))),
    }
}

fn file_format(d: &NodeDef) -> Result<FileFormat> {
    let format = required(&d.format, "format", "Read")?.as_str();
    if d.csv.is_some() && format != "csv" {
        return Err(invalid(format!("`csv` options do not apply to format `{format}`")));
    }
    Ok(match format {
        "parquet" => FileFormat::Parquet,
        "json" => FileFormat::Json,
        "csv" => {
            let mut options = CsvOptions::default();
            if let Some(csv) = &d.csv {
                options.has_header = csv.0.header;
                let mut chars = csv.0.delimiter.chars();
                options.delimiter = match (chars.next().map(u32::from).map(u8::try_from), chars.next()) {
                    (Some(Ok(byte)), None) => byte,
                    _ => return Err(invalid(format!("the CSV delimiter `{}` is not one byte", csv.0.delimiter))),
                };
            }
            FileFormat::Csv(options)
        }
        other => {
            return Err(invalid(format!(
                "unknown file format `{other}`; expected one of {}",
                list_names(&["parquet", "csv", "json"])
            )));
        }
    })
}

fn content_hash(identity: &IdentityDef) -> Result<Address> {
    let hex = identity.content.as_deref().ok_or_else(|| invalid("the source identity needs `content`".into()))?;
    Address::from_hex(hex).map_err(|_| invalid(format!("`{hex}` is not a 64-hex content hash")))
}

/// The expression a manifest describes, every node checked against its recorded schema and id.
pub(crate) fn load(doc: &Document, ctx: &LoadContext) -> Result<Table> {
    let mut schemas = BTreeMap::new();
    for (id, columns) in &doc.definitions.schemas.0 {
        schemas.insert(id.as_str(), read_schema(columns)?);
    }
    let all_ids = doc.definitions.nodes.0.iter().map(|(id, _)| id.as_str()).collect();
    let mut loader = Loader { schemas, all_ids, built: BTreeMap::new(), ctx };
    for (id, node) in &doc.definitions.nodes.0 {
        let table = loader.node(id, &node.value).map_err(|e| in_node(e, id, position(node.referenced)))?;
        loader.built.insert(id.as_str(), table);
    }
    if let Some(missing) = loader.ctx.replaced_ids().find(|id| !loader.built.contains_key(id)) {
        return Err(CoreError::InvalidArgument {
            context: "manifest".into(),
            message: format!(
                "the node `{missing}` to bind rows to is not in this manifest (was it written under another hash scheme?)"
            ),
        });
    }
    loader.built.get(doc.expression.as_str()).cloned().ok_or_else(|| {
        invalid(format!("`expression` names `{}`, which is not a node in `definitions.nodes`", doc.expression))
    })
}
