//! IR → manifest model: every distinct node once (by address), inputs first; schemas
//! de-duplicated in first-use order.

use std::collections::BTreeMap;

use serde_saphyr::{FlowMap, Location, Spanned};

use crate::address::Address;
use crate::error::{CoreError, Result};
use crate::expr::ir::ScalarExpr;
use crate::plan::node::{NamedExpr, Node, RelOp};
use crate::plan::source::{FileFormat, Source, SourceIdentity, SourceKind, bundled_location};
use crate::plan::walk::topological;
use crate::schema::Schema;
use crate::table::Table;

use super::expr::{nesting, write_expr, write_sort_key};
use super::model::{CsvDef, Definitions, Document, ExprDef, IdentityDef, KeyPair, NodeDef, OrderedMap};
use super::{MANIFEST_DEPTH, MANIFEST_VERSION, invalid};

/// `Read` → `read`, `SetOp` → `set_op`.
pub(crate) fn snake(op: &str) -> String {
    let mut out = String::with_capacity(op.len() + 2);
    for (i, c) in op.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The id of a node: `<op in snake case>_<12-hex address>`.
pub(crate) fn node_id(op: &RelOp, address: &Address) -> String {
    format!("{}_{}", snake(op.name()), address.short())
}

/// How a column's type is written: `Int64`, or `Int64 not null`.
pub(crate) fn field_text(dtype: &crate::DataType, nullable: bool) -> String {
    if nullable { dtype.to_string() } else { format!("{dtype} not null") }
}

/// Levels of YAML above an expression inside a node (document, `definitions`, `nodes`, the node,
/// a key's collection, a sort key), counted generously.
const NODE_LEVELS: usize = 8;

/// `e` written, if its YAML nests no deeper than a manifest may.
fn top(e: &ScalarExpr) -> Result<ExprDef> {
    checked(write_expr(e)?)
}

fn checked(d: ExprDef) -> Result<ExprDef> {
    let depth = NODE_LEVELS + nesting(&d);
    if depth > MANIFEST_DEPTH {
        return Err(invalid(format!(
            "an expression nests {depth} levels deep, more than the {MANIFEST_DEPTH} a manifest holds; compute it in steps (several `mutate` calls)"
        )));
    }
    Ok(d)
}

/// A schema as an ordered key: (name, type text, nullable) per column.
type SchemaKey = Vec<(String, String, bool)>;

struct Writer {
    /// Schemas in first-use order, and their ids by content.
    schemas: Vec<(Schema, String)>,
    schema_ids: BTreeMap<SchemaKey, String>,
    ids: BTreeMap<Address, String>,
    /// Id → full address, to detect two nodes sharing a 12-hex prefix.
    taken: BTreeMap<String, Address>,
}

impl Writer {
    fn schema_id(&mut self, schema: &Schema) -> String {
        let key: SchemaKey =
            schema.fields().iter().map(|f| (f.name.clone(), f.dtype.to_string(), f.nullable)).collect();
        if let Some(id) = self.schema_ids.get(&key) {
            return id.clone();
        }
        let id = format!("schema_{}", self.schemas.len());
        self.schemas.push((schema.clone(), id.clone()));
        self.schema_ids.insert(key, id.clone());
        id
    }

    fn input(&self, node: &Node) -> Result<String> {
        self.ids
            .get(&node.address())
            .cloned()
            .ok_or_else(|| CoreError::Internal(format!("manifest input {} written before its node", node.address())))
    }

    fn node(&mut self, node: &Node) -> Result<NodeDef> {
        let mut d = NodeDef { op: node.op().name().to_string(), ..NodeDef::default() };
        let named = |exprs: &[NamedExpr]| -> Result<OrderedMap<ExprDef>> {
            Ok(OrderedMap(exprs.iter().map(|n| Ok((n.name.clone(), top(&n.expr)?))).collect::<Result<_>>()?))
        };
        match node.op() {
            RelOp::Source(s) => source(&mut d, s),
            RelOp::Filter(f) => {
                d.parent = Some(self.input(&f.input)?);
                d.predicate = Some(top(&f.predicate)?);
            }
            RelOp::Project(p) => {
                d.parent = Some(self.input(&p.input)?);
                d.columns = Some(named(&p.exprs)?);
            }
            RelOp::Aggregate(a) => {
                d.parent = Some(self.input(&a.input)?);
                d.by = Some(named(&a.keys)?).filter(|m| !m.is_empty());
                d.metrics = Some(named(&a.measures)?).filter(|m| !m.is_empty());
                d.grouping_sets = a.grouping_sets.clone();
            }
            RelOp::Join(j) => {
                d.left = Some(self.input(&j.left)?);
                d.right = Some(self.input(&j.right)?);
                d.kind = Some(j.kind.name().into());
                let on: Vec<_> =
                    j.on.iter().map(|(l, r)| FlowMap(KeyPair { left: l.clone(), right: r.clone() })).collect();
                d.join_keys = Some(on).filter(|on| !on.is_empty());
                d.predicate = j.filter.as_ref().map(top).transpose()?;
            }
            RelOp::Sort(s) => {
                d.parent = Some(self.input(&s.input)?);
                d.keys = Some(
                    s.keys
                        .iter()
                        .map(|k| {
                            let mut key = write_sort_key(k)?;
                            key.expr = checked(key.expr)?;
                            Ok(key)
                        })
                        .collect::<Result<_>>()?,
                );
            }
            RelOp::Limit(l) => {
                d.parent = Some(self.input(&l.input)?);
                d.offset = Some(l.offset);
                d.fetch = l.fetch;
            }
            RelOp::Distinct(x) => d.parent = Some(self.input(&x.input)?),
            RelOp::SetOp(s) => {
                d.inputs = s.inputs.iter().map(|i| self.input(i)).collect::<Result<_>>()?;
                d.kind = Some(s.kind.name().into());
                d.distinct = Some(s.distinct);
            }
            RelOp::Tag(t) => {
                d.parent = Some(self.input(&t.input)?);
                d.name = Some(t.name.clone());
                if let Some(w) = t.metadata.windows(2).find(|w| w[0].0 == w[1].0) {
                    return Err(invalid(format!(
                        "tag `{}` has the metadata key `{}` twice; a manifest holds each key once",
                        t.name, w[0].0
                    )));
                }
                d.metadata = Some(OrderedMap(t.metadata.clone())).filter(|m| !m.is_empty());
            }
            RelOp::Cache(c) => {
                d.parent = Some(self.input(&c.input)?);
                d.strategy = Some(c.strategy.freshness().name().into());
                d.ttl = c.strategy.ttl_secs();
                d.storage = Some(c.storage.name().into());
                d.profile = c.storage.profile().map(str::to_string);
                d.frozen = c.frozen.as_ref().map(|f| self.input(f)).transpose()?;
            }
            RelOp::IntoBackend(i) => {
                d.parent = Some(self.input(&i.input)?);
                d.profile = Some(i.profile.clone());
            }
            RelOp::TableFunction(t) => {
                d.parent = Some(self.input(&t.input)?);
                d.function = Some(t.func.name().to_string());
                d.version = (t.func.version() != 1).then_some(t.func.version());
                d.args = Some(t.args.iter().map(|a| top(&ScalarExpr::literal(a.clone()))).collect::<Result<_>>()?)
                    .filter(|a: &Vec<ExprDef>| !a.is_empty());
            }
        }
        d.schema = self.schema_id(node.schema());
        Ok(d)
    }
}

/// A source's definition. Sources named by their content (bundled files, memtables) carry neither
/// their label nor their origin here: those are provenance, kept in a build's `metadata.json`, so
/// that one address always means one byte-identical manifest whoever built it, from wherever.
fn source(d: &mut NodeDef, s: &Source) {
    match &s.kind {
        SourceKind::File(f) => {
            d.kind = Some("file".into());
            d.format = Some(f.format.name().into());
            if let FileFormat::Csv(o) = &f.format {
                d.csv = Some(FlowMap(CsvDef { header: o.has_header, delimiter: char::from(o.delimiter).to_string() }));
            }
            match &f.identity {
                SourceIdentity::Reference(r) => {
                    d.name = Some(s.name.clone());
                    d.location = Some(f.location.clone());
                    d.identity = Some(IdentityDef { reference: Some(r.clone()), ..IdentityDef::default() });
                }
                // The location is the relative path too: the root is the reader's.
                SourceIdentity::Project(path) => {
                    d.name = Some(s.name.clone());
                    d.location = Some(path.clone());
                    d.identity = Some(IdentityDef { project: Some(path.clone()), ..IdentityDef::default() });
                }
                SourceIdentity::Content { hash, .. } => {
                    d.location = Some(bundled_location(hash, &f.format));
                    d.identity = Some(IdentityDef { content: Some(hash.hex()), ..IdentityDef::default() });
                }
            }
        }
        SourceKind::Memtable(m) => {
            d.kind = Some("memtable".into());
            d.identity = Some(IdentityDef { content: Some(m.content.hex()), ..IdentityDef::default() });
        }
        SourceKind::Table(t) => {
            d.name = Some(s.name.clone());
            d.kind = Some("table".into());
            d.profile = Some(t.profile.clone());
            d.table = Some(t.table.clone());
        }
        SourceKind::Input(i) => {
            d.name = Some(i.name.clone());
            d.kind = Some("input".into());
        }
    }
}

/// The manifest model of `table`.
pub(crate) fn document(table: &Table) -> Result<Document> {
    let mut w =
        Writer { schemas: Vec::new(), schema_ids: BTreeMap::new(), ids: BTreeMap::new(), taken: BTreeMap::new() };
    let mut nodes: Vec<(String, Spanned<NodeDef>)> = Vec::new();
    for node in topological(table.node()) {
        let address = node.address();
        if w.ids.contains_key(&address) {
            continue;
        }
        let id = node_id(node.op(), &address);
        if let Some(other) = w.taken.insert(id.clone(), address) {
            return Err(invalid(format!(
                "two different nodes share the id `{id}` (full addresses {} and {}); the 12-character display form cannot tell them apart",
                other.hex(),
                address.hex()
            )));
        }
        let def = w.node(node).map_err(|e| super::read::in_node(e, &id, None))?;
        w.ids.insert(address, id.clone());
        nodes.push((id, Spanned::new(def, Location::UNKNOWN, Location::UNKNOWN)));
    }
    let expression = w.input(table.node())?;
    let schemas = w
        .schemas
        .into_iter()
        .map(|(schema, id)| {
            let columns = schema.fields().iter().map(|f| (f.name.clone(), field_text(&f.dtype, f.nullable))).collect();
            (id, OrderedMap(columns))
        })
        .collect();
    Ok(Document {
        manifest_version: MANIFEST_VERSION,
        definitions: Definitions { schemas: OrderedMap(schemas), nodes: OrderedMap(nodes) },
        expression,
    })
}
