//! Relational nodes: each variant a named struct, each node built by [`Node::try_new`], which
//! derives (and checks) its output schema, so every node knows its schema from construction.

use std::sync::{Arc, OnceLock};

use crate::address::Address;
use crate::error::{CoreError, Result};
use crate::expr::func::table::TableFunc;
use crate::expr::ir::{JoinSide, ScalarExpr, SortKey};
use crate::literal::Literal;
use crate::schema::{Field, Schema, SchemaRef};

use super::cache::{CacheStorage, CacheStrategy};
use super::source::Source;

/// An expression with its output column name.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedExpr {
    /// Output column name.
    pub name: String,
    /// The value.
    pub expr: ScalarExpr,
}

/// Rows of the input for which the predicate is true.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// Input relation.
    pub input: Arc<Node>,
    /// Boolean predicate (a canonical conjunction).
    pub predicate: ScalarExpr,
}

/// One output column per expression: `select`, `mutate`, `drop` and `rename` all become this.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    /// Input relation.
    pub input: Arc<Node>,
    /// Output columns in order.
    pub exprs: Vec<NamedExpr>,
}

/// Group by keys, one row per group with the measures.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// Input relation.
    pub input: Arc<Node>,
    /// Grouping keys (output first); empty for one global row.
    pub keys: Vec<NamedExpr>,
    /// `None`: one grouping by all the keys. `Some(sets)`: the rows of one grouping per set of
    /// key positions (`GROUPING SETS`, `ROLLUP`, `CUBE`), a key outside a set being null in that
    /// set's rows. Canonical: each set sorted without repeats, the sets sorted; never the one
    /// set of all keys (that is `None`).
    pub grouping_sets: Option<Vec<Vec<usize>>>,
    /// Aggregate measures.
    pub measures: Vec<NamedExpr>,
}

/// Kinds of join.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum JoinKind {
    /// Matching pairs.
    Inner,
    /// All left rows, matched right rows or nulls.
    Left,
    /// All right rows, matched left rows or nulls.
    Right,
    /// All rows of both sides.
    Outer,
    /// Left rows that have a match (left columns only).
    Semi,
    /// Left rows that have no match (left columns only).
    Anti,
    /// Every pair.
    Cross,
}

impl JoinKind {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "inner",
            JoinKind::Left => "left",
            JoinKind::Right => "right",
            JoinKind::Outer => "outer",
            JoinKind::Semi => "semi",
            JoinKind::Anti => "anti",
            JoinKind::Cross => "cross",
        }
    }
}

/// Where a join output column comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinOutput {
    /// Output name.
    pub name: String,
    /// Input side.
    pub side: JoinSide,
    /// Column name on that side.
    pub column: String,
}

/// A join on equal keys and/or a predicate.
#[derive(Clone, Debug, PartialEq)]
pub struct Join {
    /// Left input.
    pub left: Arc<Node>,
    /// Right input.
    pub right: Arc<Node>,
    /// Kind.
    pub kind: JoinKind,
    /// Equality keys as `(left column, right column)`, canonically ordered.
    pub on: Vec<(String, String)>,
    /// Extra predicate over both sides.
    pub filter: Option<ScalarExpr>,
    /// Output columns, derived from the above.
    pub outputs: Vec<JoinOutput>,
}

/// Rows in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Sort {
    /// Input relation.
    pub input: Arc<Node>,
    /// Ordering keys, most significant first.
    pub keys: Vec<SortKey>,
}

/// At most `fetch` rows after skipping `offset`.
#[derive(Clone, Debug, PartialEq)]
pub struct Limit {
    /// Input relation.
    pub input: Arc<Node>,
    /// Rows skipped.
    pub offset: u64,
    /// Rows kept; `None` for all the rest.
    pub fetch: Option<u64>,
}

/// Unique rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Distinct {
    /// Input relation.
    pub input: Arc<Node>,
}

/// Set operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetOpKind {
    /// Rows of all inputs.
    Union,
    /// Rows in every input.
    Intersect,
    /// Rows of the first input not in the others.
    Difference,
}

impl SetOpKind {
    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            SetOpKind::Union => "union",
            SetOpKind::Intersect => "intersect",
            SetOpKind::Difference => "difference",
        }
    }
}

/// Union, intersection or difference of relations with equal schemas.
#[derive(Clone, Debug, PartialEq)]
pub struct SetOp {
    /// Operation.
    pub kind: SetOpKind,
    /// Remove duplicate rows (`UNION` vs `UNION ALL`).
    pub distinct: bool,
    /// Two or more inputs.
    pub inputs: Vec<Arc<Node>>,
}

/// A name on a node, so it can be found later (unbinding, serving). Transparent to execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Tag {
    /// Input relation.
    pub input: Arc<Node>,
    /// The tag.
    pub name: String,
    /// Free-form key/value metadata, sorted by key.
    pub metadata: Vec<(String, String)>,
}

/// A point whose result is stored and reused (SPEC §4): rows pass through unchanged; running the
/// expression looks the result up by the input address of `input` and a freshness token.
///
/// A *pinned* cache (`xorq pin`) also holds `frozen`: a read of the result stored when it was
/// pinned, bundled into the build by the hash of its bytes. Every run reads `frozen` and never
/// computes or looks up `input`; `input` stays in the graph so that lineage still says where the
/// rows came from and `xorq unpin` (dropping `frozen`) gives back the original expression, with
/// its original address.
#[derive(Clone, Debug, PartialEq)]
pub struct Cache {
    /// The cached expression.
    pub input: Arc<Node>,
    /// When a stored result is stale.
    pub strategy: CacheStrategy,
    /// Where it is kept.
    pub storage: CacheStorage,
    /// The read of the pinned result (a Parquet file read with `input`'s columns), when pinned.
    /// It is the node's second input, so every walk (bundling, manifests, addresses) sees it.
    pub frozen: Option<Arc<Node>>,
}

/// Moves the rows of its input into another engine (`.into_backend(profile)`): the input runs
/// where its data lives and its result is streamed, as Arrow batches, into the engine of
/// `profile`, where the operations above it run.
#[derive(Clone, Debug, PartialEq)]
pub struct IntoBackend {
    /// The expression whose result moves.
    pub input: Arc<Node>,
    /// The profile of the engine it moves into (a name, never connection details).
    pub profile: String,
}

/// A registered table function run over every batch of its input (batch in, batch out): its
/// output schema comes from the function, given the input schema and the constant arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct TableFunction {
    /// Input relation.
    pub input: Arc<Node>,
    /// The function (by name and version).
    pub func: TableFunc,
    /// Constant arguments, in order.
    pub args: Vec<Literal>,
}

/// The operation of a node.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RelOp {
    /// A leaf.
    Source(Source),
    /// Row filter.
    Filter(Filter),
    /// Projection.
    Project(Project),
    /// Grouped aggregation.
    Aggregate(Aggregate),
    /// Join.
    Join(Join),
    /// Ordering.
    Sort(Sort),
    /// Offset/limit.
    Limit(Limit),
    /// Unique rows.
    Distinct(Distinct),
    /// Union/intersect/difference.
    SetOp(SetOp),
    /// A named marker.
    Tag(Tag),
    /// A stored, reused result.
    Cache(Cache),
    /// A move to another engine.
    IntoBackend(IntoBackend),
    /// A registered table function.
    TableFunction(TableFunction),
}

impl RelOp {
    /// Stable operation name, as in manifests and lineage.
    pub fn name(&self) -> &'static str {
        match self {
            RelOp::Source(_) => "Read",
            RelOp::Filter(_) => "Filter",
            RelOp::Project(_) => "Project",
            RelOp::Aggregate(_) => "Aggregate",
            RelOp::Join(_) => "Join",
            RelOp::Sort(_) => "Sort",
            RelOp::Limit(_) => "Limit",
            RelOp::Distinct(_) => "Distinct",
            RelOp::SetOp(_) => "SetOp",
            RelOp::Tag(_) => "Tag",
            RelOp::Cache(_) => "Cache",
            RelOp::IntoBackend(_) => "IntoBackend",
            RelOp::TableFunction(_) => "TableFunction",
        }
    }

    /// Input relations, in order.
    pub fn inputs(&self) -> Vec<&Arc<Node>> {
        match self {
            RelOp::Source(_) => vec![],
            RelOp::Filter(f) => vec![&f.input],
            RelOp::Project(p) => vec![&p.input],
            RelOp::Aggregate(a) => vec![&a.input],
            RelOp::Join(j) => vec![&j.left, &j.right],
            RelOp::Sort(s) => vec![&s.input],
            RelOp::Limit(l) => vec![&l.input],
            RelOp::Distinct(d) => vec![&d.input],
            RelOp::SetOp(s) => s.inputs.iter().collect(),
            RelOp::Tag(t) => vec![&t.input],
            RelOp::Cache(c) => std::iter::once(&c.input).chain(&c.frozen).collect(),
            RelOp::IntoBackend(i) => vec![&i.input],
            RelOp::TableFunction(t) => vec![&t.input],
        }
    }

    /// Input relations for rewriting, in the order of [`RelOp::inputs`] (the one other place
    /// the inputs are listed).
    pub fn inputs_mut(&mut self) -> Vec<&mut Arc<Node>> {
        match self {
            RelOp::Source(_) => vec![],
            RelOp::Filter(Filter { input, .. })
            | RelOp::Project(Project { input, .. })
            | RelOp::Aggregate(Aggregate { input, .. })
            | RelOp::Sort(Sort { input, .. })
            | RelOp::Limit(Limit { input, .. })
            | RelOp::Distinct(Distinct { input })
            | RelOp::Tag(Tag { input, .. })
            | RelOp::IntoBackend(IntoBackend { input, .. })
            | RelOp::TableFunction(TableFunction { input, .. }) => vec![input],
            RelOp::Cache(Cache { input, frozen, .. }) => std::iter::once(input).chain(frozen).collect(),
            RelOp::Join(j) => vec![&mut j.left, &mut j.right],
            RelOp::SetOp(s) => s.inputs.iter_mut().collect(),
        }
    }

    /// The same operation over other inputs (as many as [`RelOp::inputs`] returns, in order).
    pub fn with_inputs(&self, inputs: Vec<Arc<Node>>) -> Result<RelOp> {
        let expected = self.inputs().len();
        if inputs.len() != expected {
            return Err(CoreError::Internal(format!("{} takes {expected} inputs, not {}", self.name(), inputs.len())));
        }
        let mut op = self.clone();
        for (slot, input) in op.inputs_mut().into_iter().zip(inputs) {
            *slot = input;
        }
        Ok(op)
    }

    /// Every scalar expression the operation holds (for walks: parameters, lineage, display).
    pub fn expressions(&self) -> Vec<&ScalarExpr> {
        match self {
            RelOp::Filter(f) => vec![&f.predicate],
            RelOp::Project(p) => p.exprs.iter().map(|n| &n.expr).collect(),
            RelOp::Aggregate(a) => a.keys.iter().chain(&a.measures).map(|n| &n.expr).collect(),
            RelOp::Join(j) => j.filter.iter().collect(),
            RelOp::Sort(s) => s.keys.iter().map(|k| &k.expr).collect(),
            _ => vec![],
        }
    }

    /// The expressions of [`RelOp::expressions`], in the same order, for rewriting (renaming a
    /// parameter); the node is then rebuilt with [`Node::try_new`].
    pub fn expressions_mut(&mut self) -> Vec<&mut ScalarExpr> {
        match self {
            RelOp::Filter(f) => vec![&mut f.predicate],
            RelOp::Project(p) => p.exprs.iter_mut().map(|n| &mut n.expr).collect(),
            RelOp::Aggregate(a) => a.keys.iter_mut().chain(&mut a.measures).map(|n| &mut n.expr).collect(),
            RelOp::Join(j) => j.filter.iter_mut().collect(),
            RelOp::Sort(s) => s.keys.iter_mut().map(|k| &mut k.expr).collect(),
            _ => vec![],
        }
    }

    fn output_schema(&self) -> Result<Schema> {
        let named = |exprs: &[&NamedExpr], context: &str| {
            Schema::new_in(
                exprs.iter().map(|n| Field::new(n.name.clone(), n.expr.dtype.clone(), n.expr.nullable)).collect(),
                context,
            )
        };
        match self {
            RelOp::Source(s) => Ok((*s.schema).clone()),
            RelOp::Filter(Filter { input, .. })
            | RelOp::Sort(Sort { input, .. })
            | RelOp::Limit(Limit { input, .. })
            | RelOp::Distinct(Distinct { input })
            | RelOp::Tag(Tag { input, .. })
            | RelOp::IntoBackend(IntoBackend { input, .. }) => Ok(input.schema().clone()),
            RelOp::Cache(c) => {
                if let Some(frozen) = &c.frozen {
                    super::pin::check_frozen(&c.input, frozen)?;
                }
                Ok(c.input.schema().clone())
            }
            RelOp::Project(p) => named(&p.exprs.iter().collect::<Vec<_>>(), "Select output"),
            RelOp::TableFunction(t) => t.func.output_schema(t.input.schema(), &t.args),
            RelOp::Aggregate(a) => {
                let mut schema = named(&a.keys.iter().chain(&a.measures).collect::<Vec<_>>(), "Aggregate output")?;
                // A key left out of some grouping set is null in that set's rows.
                if let Some(sets) = &a.grouping_sets {
                    let mut fields = schema.fields().to_vec();
                    for (i, f) in fields.iter_mut().enumerate().take(a.keys.len()) {
                        f.nullable |= sets.iter().any(|s| !s.contains(&i));
                    }
                    schema = Schema::new_in(fields, "Aggregate output")?;
                }
                Ok(schema)
            }
            RelOp::Join(j) => {
                let nullable_side = |side: JoinSide| {
                    matches!(
                        (j.kind, side),
                        (JoinKind::Outer, _) | (JoinKind::Left, JoinSide::Right) | (JoinKind::Right, JoinSide::Left)
                    )
                };
                let fields = j
                    .outputs
                    .iter()
                    .map(|o| {
                        let input = if o.side == JoinSide::Left { &j.left } else { &j.right };
                        let f = input.schema().field_or_err(&o.column, "Join input")?;
                        Ok(Field::new(o.name.clone(), f.dtype.clone(), f.nullable || nullable_side(o.side)))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Schema::new_in(fields, "Join output")
            }
            RelOp::SetOp(s) => {
                let first =
                    s.inputs.first().ok_or_else(|| CoreError::Internal("set operation without inputs".into()))?;
                let mut fields = first.schema().fields().to_vec();
                for other in &s.inputs[1..] {
                    for (f, g) in fields.iter_mut().zip(other.schema().fields()) {
                        f.nullable |= g.nullable;
                    }
                }
                Schema::new(fields)
            }
        }
    }
}

/// A node of the expression DAG: an operation, its output schema, and its address, computed
/// once on first use.
#[derive(Debug)]
pub struct Node {
    op: RelOp,
    schema: SchemaRef,
    pub(crate) address: OnceLock<Address>,
}

impl PartialEq for Node {
    /// Nodes are equal when their addresses are.
    fn eq(&self, other: &Self) -> bool {
        self.address() == other.address()
    }
}

impl Node {
    /// A node for `op`, with its output schema derived from the operation.
    pub fn try_new(op: RelOp) -> Result<Arc<Node>> {
        let schema = Arc::new(op.output_schema()?);
        Ok(Arc::new(Node { op, schema, address: OnceLock::new() }))
    }

    /// The operation.
    pub fn op(&self) -> &RelOp {
        &self.op
    }

    /// The output schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The output schema, shared.
    pub fn schema_ref(&self) -> &SchemaRef {
        &self.schema
    }

    /// Input nodes.
    pub fn inputs(&self) -> Vec<&Arc<Node>> {
        self.op.inputs()
    }
}

impl Drop for Node {
    /// Drops long chains iteratively, so a 100,000-node pipeline does not overflow the stack.
    fn drop(&mut self) {
        let mut pending: Vec<Arc<Node>> = Vec::new();
        take_inputs(&mut self.op, &mut pending);
        while let Some(node) = pending.pop() {
            if let Some(mut owned) = Arc::into_inner(node) {
                take_inputs(&mut owned.op, &mut pending);
            }
        }
    }
}

fn take_inputs(op: &mut RelOp, into: &mut Vec<Arc<Node>>) {
    let placeholder = || PLACEHOLDER.try_with(Arc::clone).unwrap_or_else(|_| Arc::new(leaf()));
    for slot in op.inputs_mut() {
        into.push(std::mem::replace(slot, placeholder()));
    }
}

/// An empty leaf, swapped into the input slots of a node being dropped.
fn leaf() -> Node {
    Node {
        op: RelOp::Source(Source {
            name: String::new(),
            kind: super::source::SourceKind::Table(super::source::TableSource {
                profile: String::new(),
                table: vec![],
            }),
            schema: Arc::new(Schema::default()),
        }),
        schema: Arc::new(Schema::default()),
        address: OnceLock::new(),
    }
}

thread_local! {
    static PLACEHOLDER: Arc<Node> = Arc::new(leaf());
}
