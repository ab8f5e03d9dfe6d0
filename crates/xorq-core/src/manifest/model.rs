//! The serde model of `expr.yaml`: plain structs whose field order is the order of the keys in
//! the file. The IR types carry no serde derives; `write.rs` and `read.rs` convert.
//!
//! Every optional key is omitted when absent, so a node or expression shows only what it uses.
//! Unknown keys are refused (`deny_unknown_fields`), so a typo is an error with its line.

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_saphyr::{FlowMap, FlowSeq, Spanned};

/// The whole document.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Document {
    /// Format version of this document.
    pub manifest_version: u32,
    /// Schemas and nodes.
    pub definitions: Definitions,
    /// Id of the root node.
    pub expression: String,
}

/// `definitions:` — schemas and nodes, each written once.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Definitions {
    /// `schema_N` → (column → type text), in first-use order.
    pub schemas: OrderedMap<OrderedMap<String>>,
    /// Node id → node, inputs before the nodes that use them.
    pub nodes: OrderedMap<Spanned<NodeDef>>,
}

/// One relational node. Which keys appear depends on `op`; `read.rs` checks that a node has
/// exactly the keys its operation takes.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NodeDef {
    /// `RelOp::name()`: Read, Filter, Project, Aggregate, Join, Sort, Limit, Distinct, SetOp, Tag,
    /// Cache.
    pub op: String,
    /// The single input (by id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Left input of a join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<String>,
    /// Right input of a join.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
    /// Inputs of a set operation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    /// Cache: `modification-time` or `snapshot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
    /// Cache: time to live, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    /// Cache: `parquet` or `source` (with `profile` for a named backend).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<String>,
    /// Source label (Read) or tag name (Tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Source kind (`file`, `memtable`, `table`), join kind or set-operation kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// File format (`parquet`, `csv`, `json`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// CSV options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<FlowMap<CsvDef>>,
    /// Where a file is read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// What names a file or memtable source in the address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<IdentityDef>,
    /// Backend profile of a table source, or of a cache's source storage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// Qualified name parts of a table source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Vec<String>>,
    /// Join: equality key pairs (not `on`, which YAML 1.1 reads as a boolean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_keys: Option<Vec<FlowMap<KeyPair>>>,
    /// Filter or join predicate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<ExprDef>,
    /// Project: output column → expression, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<OrderedMap<ExprDef>>,
    /// Aggregate: grouping keys, output name → expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<OrderedMap<ExprDef>>,
    /// Aggregate: measures, output name → expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<OrderedMap<ExprDef>>,
    /// Aggregate: the grouping sets, each a list of positions in `by` (`GROUPING SETS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grouping_sets: Option<Vec<Vec<usize>>>,
    /// Sort: ordering keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<Vec<SortKeyDef>>,
    /// Limit: rows skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Limit: rows kept (absent: all the rest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<u64>,
    /// SetOp: whether duplicates are removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct: Option<bool>,
    /// Tag metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<OrderedMap<String>>,
    /// TableFunction: the function's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// TableFunction: the function's version (absent: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// TableFunction: the constant arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<ExprDef>>,
    /// Cache: the read of the result it was pinned to (by id), when pinned (`xorq pin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<String>,
    /// Output schema (by id).
    pub schema: String,
}

/// CSV read options.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CsvDef {
    /// First line holds column names.
    pub header: bool,
    /// Field separator, one character.
    pub delimiter: String,
}

/// A source's identity: a reference, or the content hash of a bundled snapshot (with its origin
/// for bundled files).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IdentityDef {
    /// Normalized reference (path or URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Path relative to the project root (hash scheme 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Full 64-hex content hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Where a bundled file was copied from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// One equality key pair of a join.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KeyPair {
    /// Left column.
    pub left: String,
    /// Right column.
    pub right: String,
}

/// An ordering key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SortKeyDef {
    /// What to order by.
    pub expr: ExprDef,
    /// `asc` or `desc`.
    pub order: String,
    /// `first` or `last`.
    pub nulls: String,
}

/// A `CASE` branch.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BranchDef {
    /// Condition.
    pub when: ExprDef,
    /// Value when it holds.
    pub then: ExprDef,
}

/// A window frame: `units` is `rows` or `range`; bounds read `unbounded_preceding`,
/// `3 preceding`, `current_row`, `2 following`, `unbounded_following`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FrameDef {
    /// `rows` or `range`.
    pub units: String,
    /// First row.
    pub start: String,
    /// Last row.
    pub end: String,
}

/// A scalar expression. Exactly one of `column`, `literal`, `param`, `op`, `function`,
/// `aggregate`, `window` says what it is; the other keys are its parts.
///
/// Expressions nest as deep as the IR does; (de)serialization grows the stack on demand (like
/// the resolver), so a deep expression cannot overflow it.
#[derive(Debug, Default)]
pub(crate) struct ExprDef(pub ExprBody);

/// The keys of an [`ExprDef`].
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExprBody {
    /// Input column name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Join side of a column in a join predicate (`left`, `right`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// Literal value, as text interpreted by `type`.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub literal: Option<Scalar>,
    /// Parameter name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Operator: a `BinaryOp::name()`, or And, Or, Not, Negate, IsNull, IsNotNull, Cast, Case,
    /// InList.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// Scalar function name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Aggregate function name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregate: Option<String>,
    /// Window function name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// The function's version, when it is not 1 (a registered function's later version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Type of a literal or parameter, target of a cast.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "type")]
    pub dtype: Option<String>,
    /// Parameter default.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
    pub default: Option<Scalar>,
    /// Left operand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left: Option<Box<ExprDef>>,
    /// Right operand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub right: Option<Box<ExprDef>>,
    /// Single operand (unary operators, casts, `InList`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arg: Option<Box<ExprDef>>,
    /// Operands of `And`/`Or`, function arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ExprDef>,
    /// Candidates of `InList`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ExprDef>,
    /// Candidates of a long `InList` of constants of one type (given by `type`), as one flow
    /// sequence of values: a few bytes per value where `values` takes a mapping each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub literals: Option<FlowSeq<Vec<Scalar>>>,
    /// `InList`: `NOT IN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negated: Option<bool>,
    /// `Case` branches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<BranchDef>,
    /// `Case` default.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "else")]
    pub otherwise: Option<Box<ExprDef>>,
    /// Window partition keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partition_by: Vec<ExprDef>,
    /// Window or aggregate ordering.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub order_by: Vec<SortKeyDef>,
    /// Explicit window frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame: Option<FlowMap<FrameDef>>,
    /// Aggregate: `f(DISTINCT x)` (written only when true, so older manifests keep their bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distinct: Option<bool>,
    /// Aggregate or window function: `IGNORE NULLS` (written only when true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_nulls: Option<bool>,
    /// Aggregate: `FILTER (WHERE …)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Box<ExprDef>>,
}

impl std::ops::Deref for ExprDef {
    type Target = ExprBody;
    fn deref(&self) -> &ExprBody {
        &self.0
    }
}

impl std::ops::DerefMut for ExprDef {
    fn deref_mut(&mut self) -> &mut ExprBody {
        &mut self.0
    }
}

/// Leaves (a column, a literal, a parameter) are written on one line as flow mappings
/// (`{column: amount}`), everything else in block style.
impl Serialize for ExprDef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_expr(self, serializer)
    }
}

#[recursive::recursive]
fn serialize_expr<S: Serializer>(e: &ExprDef, serializer: S) -> Result<S::Ok, S::Error> {
    let b = &e.0;
    let leaf = b.op.is_none()
        && b.function.is_none()
        && b.aggregate.is_none()
        && b.window.is_none()
        && (b.column.is_some() || b.literal.is_some() || b.param.is_some());
    if leaf { FlowMap(b).serialize(serializer) } else { b.serialize(serializer) }
}

impl<'de> Deserialize<'de> for ExprDef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_expr(deserializer)
    }
}

#[recursive::recursive]
fn deserialize_expr<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ExprDef, D::Error> {
    ExprBody::deserialize(deserializer).map(ExprDef)
}

/// A literal value. Written as the YAML scalar that reads most naturally for its type (a number,
/// a boolean, text, `null`); read back as its exact text, which `literal.rs` interprets by the
/// declared type (so `0.1` as `Float32` is parsed as an `f32`, never through an `f64`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    /// `null`.
    Null,
    /// `true` / `false` (written only).
    Bool(bool),
    /// A signed integer (written only).
    Int(i64),
    /// An unsigned integer (written only).
    UInt(u64),
    /// A single-precision float, written in its shortest form (written only).
    Float32(f32),
    /// A double-precision float, written in its shortest form (written only).
    Float64(f64),
    /// Text: what every non-null scalar reads back as.
    Text(String),
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Null => s.serialize_unit(),
            Scalar::Bool(b) => s.serialize_bool(*b),
            Scalar::Int(i) => s.serialize_i64(*i),
            Scalar::UInt(u) => s.serialize_u64(*u),
            Scalar::Float32(f) => s.serialize_f32(*f),
            Scalar::Float64(f) => s.serialize_f64(*f),
            Scalar::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<String>::deserialize(d)?.map_or(Scalar::Null, Scalar::Text))
    }
}

/// A present key is `Some`, even when its value is `null` (a null literal).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Scalar>, D::Error> {
    Scalar::deserialize(d).map(Some)
}

/// A mapping whose keys keep the order they were written in (column order matters). Repeated
/// keys are refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OrderedMap<V>(pub Vec<(String, V)>);

impl<V> Default for OrderedMap<V> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<V> OrderedMap<V> {
    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Serialize> Serialize for OrderedMap<V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for OrderedMap<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for OrderedVisitor<V> {
            type Value = OrderedMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> = Vec::new();
                let mut seen: BTreeSet<String> = BTreeSet::new();
                while let Some(key) = access.next_key::<String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    let value = access.next_value::<V>()?;
                    entries.push((key, value));
                }
                Ok(OrderedMap(entries))
            }
        }

        d.deserialize_map(OrderedVisitor(PhantomData))
    }
}
