//! Per-operator lineage rules (see the module docs of [`super`] for the model).

use std::collections::HashMap;
use std::sync::Arc;

use crate::address::Address;
use crate::error::Result;
use crate::expr::func::WindowFunc;
use crate::expr::ir::{ExprKind, JoinSide, ScalarExpr};
use crate::plan::node::{Node, RelOp};

use super::{EdgeKind, LineageEdge, LineageGraph, LineageNode, LineageRoot, NodeKind, TableLineage, internal};

/// The lineage graph of `column` at the output of `root`.
pub(super) fn extract(root: &Arc<Node>, column: &str) -> Result<LineageGraph> {
    let mut b = Builder::default();
    let top = b.field(root, column)?;
    let (nodes, edges, _) = b.finish(&[top]);
    Ok(LineageGraph { column: column.to_string(), root: 0, nodes, edges })
}

/// One graph for several output columns of `root`, sharing the nodes they have in common.
pub(super) fn extract_many(root: &Arc<Node>, columns: &[&str]) -> Result<TableLineage> {
    Ok(extract_with_origins(root, columns)?.0)
}

/// [`extract_many`], with each numbered node's [`Origin`]: the operation nodes and reads carry the
/// address of their relational node (and, for operations, the column), so a change found in the
/// relational graph can be followed to the output columns it reaches.
pub(crate) fn extract_with_origins(root: &Arc<Node>, columns: &[&str]) -> Result<(TableLineage, Vec<Origin>)> {
    let mut b = Builder::default();
    let tops = columns.iter().map(|c| b.field(root, c)).collect::<Result<Vec<_>>>()?;
    let origins = b.origins();
    let (nodes, edges, new_id) = b.finish(&tops);
    let mut numbered: Vec<Origin> = vec![None; nodes.len()];
    for (old, origin) in origins.into_iter().enumerate() {
        if let Some(Some(new)) = new_id.get(old) {
            numbered[*new] = origin;
        }
    }
    let roots = columns
        .iter()
        .zip(&tops)
        .map(|(c, &top)| {
            let node = new_id[top].ok_or_else(|| internal("a root is always numbered"))?;
            Ok(LineageRoot { column: c.to_string(), node })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((TableLineage { columns: roots, nodes, edges }, numbered))
}

/// Relational nodes are identified by address: the same logic is the same lineage node.
type Key = (Address, String);

#[derive(Default)]
struct Builder {
    kinds: Vec<NodeKind>,
    children: Vec<Vec<(usize, EdgeKind)>>,
    fields: HashMap<Key, usize>,
    ops: HashMap<Key, usize>,
    reads: HashMap<Address, usize>,
}

/// The relational node (and column, for an operation) a lineage node stands for: what
/// [`extract_with_origins`] returns beside the graph, indexed by lineage node id.
pub(crate) type Origin = Option<(Address, Option<String>)>;

impl Builder {
    fn add(&mut self, kind: NodeKind) -> usize {
        self.kinds.push(kind);
        self.children.push(Vec::new());
        self.kinds.len() - 1
    }

    fn edge(&mut self, from: usize, to: usize, kind: EdgeKind) {
        let list = &mut self.children[from];
        if !list.contains(&(to, kind)) {
            list.push((to, kind));
        }
    }

    /// `column` at the output of `node`, followed by the operation that made it.
    #[recursive::recursive]
    fn field(&mut self, node: &Arc<Node>, column: &str) -> Result<usize> {
        let key = (node.address(), column.to_string());
        if let Some(&id) = self.fields.get(&key) {
            return Ok(id);
        }
        if node.schema().field(column).is_none() {
            node.schema().field_or_err(column, &format!("{} output", node.op().name()))?;
        }
        let id = self.add(NodeKind::Field { name: column.to_string() });
        self.fields.insert(key, id);
        let op = self.op(node, column)?;
        self.edge(id, op, EdgeKind::Value);
        Ok(id)
    }

    /// `column` of `input`, used under the name `as_name`: the same name leads straight to the
    /// input's operation, another name to a field of the input.
    fn through(&mut self, input: &Arc<Node>, column: &str, as_name: &str) -> Result<usize> {
        if column == as_name { self.op(input, column) } else { self.field(input, column) }
    }

    /// Control edges from `from` to every column `expr` reads from `input`.
    fn control(&mut self, from: usize, input: &Arc<Node>, expr: &ScalarExpr) -> Result<()> {
        for name in columns(expr) {
            let f = self.field(input, &name)?;
            self.edge(from, f, EdgeKind::Control);
        }
        Ok(())
    }

    /// The operation of `node` that produced `column`.
    #[recursive::recursive]
    fn op(&mut self, node: &Arc<Node>, column: &str) -> Result<usize> {
        let ptr = node.address();
        if let RelOp::Source(s) = node.op() {
            if let Some(&id) = self.reads.get(&ptr) {
                return Ok(id);
            }
            let id = self.add(NodeKind::Read { source: s.name.clone(), uri: s.uri() });
            self.reads.insert(ptr, id);
            return Ok(id);
        }
        let key = (ptr, column.to_string());
        if let Some(&id) = self.ops.get(&key) {
            return Ok(id);
        }
        let id = match node.op() {
            RelOp::Source(_) => return Err(internal("sources are handled above")),
            RelOp::Filter(f) => {
                let id = self.add(NodeKind::Filter);
                let v = self.through(&f.input, column, column)?;
                self.edge(id, v, EdgeKind::Value);
                self.control(id, &f.input, &f.predicate)?;
                id
            }
            RelOp::Project(p) => {
                let named = p.exprs.iter().find(|n| n.name == column).ok_or_else(|| internal("projected column"))?;
                let id = self.add(NodeKind::Project);
                self.value_expr(id, &p.input, &named.expr, column)?;
                id
            }
            RelOp::Aggregate(a) => {
                let id = self.add(NodeKind::Aggregate);
                if let Some(key) = a.keys.iter().find(|n| n.name == column) {
                    self.value_expr(id, &a.input, &key.expr, column)?;
                } else {
                    let m = a.measures.iter().find(|n| n.name == column).ok_or_else(|| internal("measure"))?;
                    self.value_expr(id, &a.input, &m.expr, column)?;
                    for key in &a.keys {
                        self.control(id, &a.input, &key.expr)?;
                    }
                }
                id
            }
            RelOp::Join(j) => {
                let out = j.outputs.iter().find(|o| o.name == column).ok_or_else(|| internal("join output"))?;
                let input = if out.side == JoinSide::Left { &j.left } else { &j.right };
                let id = self.add(NodeKind::Join { side: out.side.into() });
                let v = self.through(input, &out.column, column)?;
                self.edge(id, v, EdgeKind::Value);
                for (l, r) in &j.on {
                    let lf = self.field(&j.left, l)?;
                    self.edge(id, lf, EdgeKind::Control);
                    let rf = self.field(&j.right, r)?;
                    self.edge(id, rf, EdgeKind::Control);
                }
                if let Some(filter) = &j.filter {
                    for (name, side) in sided_columns(filter) {
                        let side_input = match side {
                            Some(JoinSide::Right) => &j.right,
                            Some(JoinSide::Left) => &j.left,
                            None if j.left.schema().field(&name).is_some() => &j.left,
                            None => &j.right,
                        };
                        let f = self.field(side_input, &name)?;
                        self.edge(id, f, EdgeKind::Control);
                    }
                }
                id
            }
            RelOp::Sort(s) => {
                let id = self.add(NodeKind::Sort);
                let v = self.through(&s.input, column, column)?;
                self.edge(id, v, EdgeKind::Value);
                for k in &s.keys {
                    self.control(id, &s.input, &k.expr)?;
                }
                id
            }
            RelOp::Limit(l) => self.pass(NodeKind::Limit, &l.input, column)?,
            RelOp::Distinct(d) => self.pass(NodeKind::Distinct, &d.input, column)?,
            RelOp::Tag(t) => self.pass(NodeKind::Tag { name: t.name.clone() }, &t.input, column)?,
            RelOp::Cache(c) => {
                // A pinned cache serves its frozen result, which came from `input`: lineage
                // follows `input` and says the node is pinned.
                let pinned = if c.frozen.is_some() { ", pinned" } else { "" };
                self.pass(NodeKind::Cache { strategy: format!("{}{pinned}", c.strategy) }, &c.input, column)?
            }
            RelOp::IntoBackend(i) => {
                self.pass(NodeKind::IntoBackend { profile: i.profile.clone() }, &i.input, column)?
            }
            RelOp::TableFunction(t) => {
                // Opaque: every input column may reach every output column.
                let id = self.add(NodeKind::TableFunction { name: t.func.name().to_string() });
                for name in t.input.schema().names() {
                    let v = self.field(&t.input, name)?;
                    self.edge(id, v, EdgeKind::Value);
                }
                id
            }
            RelOp::SetOp(s) => {
                let position = node.schema().index_of(column).ok_or_else(|| internal("set operation column"))?;
                let id = self.add(NodeKind::SetOp { op: s.kind.name().to_string() });
                for input in &s.inputs {
                    let name = input
                        .schema()
                        .fields()
                        .get(position)
                        .map(|f| f.name.clone())
                        .ok_or_else(|| internal("set operation input column"))?;
                    let v = self.through(input, &name, column)?;
                    self.edge(id, v, EdgeKind::Value);
                }
                id
            }
        };
        self.ops.insert(key, id);
        Ok(id)
    }

    /// Where each lineage node (by its id before numbering) comes from.
    fn origins(&self) -> Vec<Origin> {
        let mut out: Vec<Origin> = vec![None; self.kinds.len()];
        for ((address, column), &id) in &self.ops {
            out[id] = Some((*address, Some(column.clone())));
        }
        for (address, &id) in &self.reads {
            out[id] = Some((*address, None));
        }
        out
    }

    /// An operation that passes every column through unchanged.
    fn pass(&mut self, kind: NodeKind, input: &Arc<Node>, column: &str) -> Result<usize> {
        let id = self.add(kind);
        let v = self.op(input, column)?;
        self.edge(id, v, EdgeKind::Value);
        Ok(id)
    }

    /// Value edge from the operation `from` to the expression that computes output `column`; a
    /// bare reference to the same name passes the column through.
    fn value_expr(&mut self, from: usize, input: &Arc<Node>, expr: &ScalarExpr, column: &str) -> Result<()> {
        let target = match &expr.kind {
            ExprKind::Column(c) if c.name == column => Some(self.op(input, column)?),
            _ => self.expr(input, expr)?,
        };
        if let Some(t) = target {
            self.edge(from, t, EdgeKind::Value);
        }
        Ok(())
    }

    /// The node for a scalar expression over `input`; `None` for constants.
    #[recursive::recursive]
    fn expr(&mut self, input: &Arc<Node>, e: &ScalarExpr) -> Result<Option<usize>> {
        let named = |name: &str| NodeKind::Expr { name: name.to_string(), detail: None, aggregate: false };
        let (kind, values, controls): (NodeKind, Vec<&ScalarExpr>, Vec<&ScalarExpr>) = match &e.kind {
            ExprKind::Column(c) => return self.field(input, &c.name).map(Some),
            ExprKind::Literal(_) => return Ok(None),
            ExprKind::Param(p) => {
                let kind = NodeKind::Expr { name: "Param".into(), detail: Some(p.name.clone()), aggregate: false };
                return Ok(Some(self.add(kind)));
            }
            ExprKind::Binary { op, .. } => (named(op.name()), e.children(), vec![]),
            ExprKind::And(_) => (named("And"), e.children(), vec![]),
            ExprKind::Or(_) => (named("Or"), e.children(), vec![]),
            ExprKind::Not(_) => (named("Not"), e.children(), vec![]),
            ExprKind::Negate(_) => (named("Negate"), e.children(), vec![]),
            ExprKind::IsNull(_) => (named("IsNull"), e.children(), vec![]),
            ExprKind::IsNotNull(_) => (named("IsNotNull"), e.children(), vec![]),
            ExprKind::Cast(_) => (
                NodeKind::Expr { name: "Cast".into(), detail: Some(e.dtype.to_string()), aggregate: false },
                e.children(),
                vec![],
            ),
            ExprKind::Case { .. } => (named("Case"), e.children(), vec![]),
            ExprKind::InList { negated, .. } => {
                (named(if *negated { "NotInList" } else { "InList" }), e.children(), vec![])
            }
            ExprKind::Function { func, args } => (named(&pascal(func.name())), args.iter().collect(), vec![]),
            ExprKind::Aggregate(call) => (
                NodeKind::Expr {
                    name: pascal(call.func.name()),
                    // A model's fit: what flows into it is the training rows' columns.
                    detail: call.func.def().aggregate.training.then(|| "training".to_string()),
                    aggregate: true,
                },
                call.args.iter().collect(),
                call.filter.iter().chain(call.order_by.iter().map(|k| &k.expr)).collect(),
            ),
            ExprKind::Window(call) => {
                let detail = (call.func != WindowFunc::AGGREGATE).then(|| pascal(call.func.name()));
                (
                    NodeKind::Expr { name: "Window".into(), detail, aggregate: false },
                    call.args.iter().collect(),
                    call.partition_by.iter().chain(call.order_by.iter().map(|k| &k.expr)).collect(),
                )
            }
        };
        let id = self.add(kind);
        for v in values {
            if let Some(c) = self.expr(input, v)? {
                self.edge(id, c, EdgeKind::Value);
            }
        }
        for c in controls {
            self.control(id, input, c)?;
        }
        Ok(Some(id))
    }

    /// Renumbers the nodes reachable from `roots` in depth-first order (value edges first),
    /// one root after the other.
    fn finish(self, roots: &[usize]) -> (Vec<LineageNode>, Vec<LineageEdge>, Vec<Option<usize>>) {
        let mut order: Vec<usize> = Vec::new();
        let mut new_id: Vec<Option<usize>> = vec![None; self.kinds.len()];
        let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
        let sorted = |id: usize| {
            let mut c = self.children[id].clone();
            c.sort_by_key(|&(_, k)| k); // stable: argument order within a kind
            c
        };
        while let Some(id) = stack.pop() {
            if new_id[id].is_some() {
                continue;
            }
            new_id[id] = Some(order.len());
            order.push(id);
            stack.extend(sorted(id).into_iter().rev().map(|(c, _)| c).filter(|&c| new_id[c].is_none()));
        }
        let nodes =
            order.iter().enumerate().map(|(id, &old)| LineageNode { id, kind: self.kinds[old].clone() }).collect();
        let edges = order
            .iter()
            .enumerate()
            .flat_map(|(from, &old)| {
                sorted(old)
                    .into_iter()
                    .filter_map(|(to, kind)| new_id[to].map(|to| LineageEdge { from, to, kind }))
                    .collect::<Vec<_>>()
            })
            .collect();
        (nodes, edges, new_id)
    }
}

/// The distinct column names `expr` reads, in first-use order.
fn columns(expr: &ScalarExpr) -> Vec<String> {
    sided_columns(expr).into_iter().map(|(n, _)| n).fold(Vec::new(), |mut acc, n| {
        if !acc.contains(&n) {
            acc.push(n);
        }
        acc
    })
}

/// The distinct `(column, join side)` pairs `expr` reads, in first-use order.
fn sided_columns(expr: &ScalarExpr) -> Vec<(String, Option<JoinSide>)> {
    let mut out: Vec<(String, Option<JoinSide>)> = Vec::new();
    expr.walk(&mut |e| {
        if let ExprKind::Column(c) = &e.kind {
            let item = (c.name.clone(), c.side);
            if !out.contains(&item) {
                out.push(item);
            }
        }
    });
    out
}

/// `count_distinct` → `CountDistinct`.
fn pascal(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect()
}
