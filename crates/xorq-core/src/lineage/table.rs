//! The lineage of several output columns in one graph, and the source fields each column
//! depends on.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{EdgeKind, LineageEdge, LineageNode, NodeKind};

/// An output column and the node it starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageRoot {
    /// The output column.
    pub column: String,
    /// Its field node.
    pub node: usize,
}

/// The lineage of several output columns as one DAG: nodes that columns have in common (a
/// shared source, a filter both pass through) appear once. This is what the graph formats
/// (Graphviz, Mermaid, HTML, OpenLineage) draw.
///
/// Node ids are assigned depth first from each root in column order, value edges first, so the
/// same expression always yields the same graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableLineage {
    /// The output columns, in the order asked.
    pub columns: Vec<LineageRoot>,
    /// Nodes, indexed by id.
    pub nodes: Vec<LineageNode>,
    /// Edges, grouped by `from` in id order (as in [`super::LineageGraph`]).
    pub edges: Vec<LineageEdge>,
}

/// How a source field reaches an output column, in OpenLineage's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Transformation {
    /// The value is the source value, unchanged.
    Identity,
    /// The value is computed from the source value.
    Transformation,
    /// The value is an aggregate over source values.
    Aggregation,
    /// The source field decides which rows are kept.
    Filter,
    /// The source field is a join key or is read by a join predicate.
    Join,
    /// The source field is a grouping key of an aggregate the column is computed by.
    GroupBy,
    /// The source field orders rows.
    Sort,
    /// The source field partitions or orders a window.
    Window,
}

impl Transformation {
    /// `DIRECT` when the source value flows into the column's value, `INDIRECT` when it only
    /// decides which rows are there, or how they are grouped or ordered.
    pub fn kind(self) -> &'static str {
        match self {
            Transformation::Identity | Transformation::Transformation | Transformation::Aggregation => "DIRECT",
            _ => "INDIRECT",
        }
    }

    /// The OpenLineage subtype, such as `AGGREGATION` or `FILTER`.
    pub fn subtype(self) -> &'static str {
        match self {
            Transformation::Identity => "IDENTITY",
            Transformation::Transformation => "TRANSFORMATION",
            Transformation::Aggregation => "AGGREGATION",
            Transformation::Filter => "FILTER",
            Transformation::Join => "JOIN",
            Transformation::GroupBy => "GROUP_BY",
            Transformation::Sort => "SORT",
            Transformation::Window => "WINDOW",
        }
    }
}

/// A source column an output column depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputField {
    /// The `Read` node.
    pub read: usize,
    /// The source's URI.
    pub uri: String,
    /// The source's label.
    pub source: String,
    /// The source column.
    pub field: String,
    /// Every way it reaches the output column, sorted, without repeats.
    pub transformations: Vec<Transformation>,
}

impl TableLineage {
    /// The node with this id.
    pub fn node(&self, id: usize) -> Option<&LineageNode> {
        self.nodes.get(id)
    }

    /// The dependencies of `id`, in order.
    pub fn children(&self, id: usize) -> impl Iterator<Item = (usize, EdgeKind)> + '_ {
        let start = self.edges.partition_point(|e| e.from < id);
        self.edges[start..].iter().take_while(move |e| e.from == id).map(|e| (e.to, e.kind))
    }

    /// For each node id, whether it is the field of an output column (computed once per
    /// rendering rather than searched for every node).
    pub fn outputs(&self) -> Vec<bool> {
        let mut out = vec![false; self.nodes.len()];
        for r in &self.columns {
            if let Some(flag) = out.get_mut(r.node) {
                *flag = true;
            }
        }
        out
    }

    /// The nodes `root` depends on, itself included, following value edges and, with
    /// `control`, control edges too.
    pub fn reachable(&self, root: usize, control: bool) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![root];
        while let Some(id) = stack.pop() {
            if id >= seen.len() || std::mem::replace(&mut seen[id], true) {
                continue;
            }
            stack.extend(self.children(id).filter(|&(_, k)| control || k == EdgeKind::Value).map(|(c, _)| c));
        }
        seen
    }

    /// The source columns `root` depends on and how, in the order first reached.
    ///
    /// A source column is the last field on a path before its `Read`. The way it reaches the
    /// output is decided along the path: only value edges make it direct (`IDENTITY` when no
    /// expression is applied, `TRANSFORMATION` when one is, `AGGREGATION` through an aggregate
    /// call); a control edge makes it indirect, with the kind of the operation that reads it
    /// (a filter, a join, a grouping, a sort, a window). Every control position anywhere
    /// under the column counts: a rank computed over a join depends on the join keys, even
    /// though its value path never meets the join's output columns.
    pub fn input_fields(&self, root: usize) -> Vec<InputField> {
        let mut out: Vec<InputField> = Vec::new();
        // Visited (node, how). The last field on the path is carried along but not part of the
        // key: every path into an operation node comes through fields of the column it is keyed
        // by, so the name is the same. A `Read` is shared by all its columns, so it is never
        // marked visited: each arrival records its field. Linear in nodes × kinds.
        let mut seen: HashSet<(usize, Transformation)> = HashSet::new();
        // (node, how, last field seen on the path)
        let mut stack = vec![(root, Transformation::Identity, root)];
        while let Some((id, how, field)) = stack.pop() {
            let Some(node) = self.node(id) else { continue };
            if !matches!(node.kind, NodeKind::Read { .. }) && !seen.insert((id, how)) {
                continue;
            }
            let field = if matches!(node.kind, NodeKind::Field { .. }) { id } else { field };
            if let NodeKind::Read { source, uri } = &node.kind {
                let name = match self.node(field).map(|n| &n.kind) {
                    Some(NodeKind::Field { name }) => name.clone(),
                    _ => continue,
                };
                match out.iter_mut().find(|i| i.read == id && i.field == name) {
                    Some(existing) => {
                        if !existing.transformations.contains(&how) {
                            existing.transformations.push(how);
                            existing.transformations.sort();
                        }
                    }
                    None => out.push(InputField {
                        read: id,
                        uri: uri.clone(),
                        source: source.clone(),
                        field: name,
                        transformations: vec![how],
                    }),
                }
                continue;
            }
            let kids: Vec<(usize, EdgeKind)> = self.children(id).collect();
            for &(child, edge) in kids.iter().rev() {
                let next = match edge {
                    EdgeKind::Control => indirect(&node.kind),
                    EdgeKind::Value => match (how, self.node(child).map(|n| &n.kind)) {
                        (
                            Transformation::Identity | Transformation::Transformation,
                            Some(NodeKind::Expr { aggregate: true, .. }),
                        ) => Transformation::Aggregation,
                        (Transformation::Identity, Some(NodeKind::Expr { .. })) => Transformation::Transformation,
                        _ => how,
                    },
                };
                stack.push((child, next, field));
            }
        }
        out
    }
}

/// The kind of indirect dependency a control edge out of `from` stands for.
fn indirect(from: &NodeKind) -> Transformation {
    match from {
        NodeKind::Join { .. } => Transformation::Join,
        NodeKind::Aggregate => Transformation::GroupBy,
        NodeKind::Sort => Transformation::Sort,
        NodeKind::Expr { name, .. } if name == "Window" => Transformation::Window,
        // a filter, and an aggregate call's `FILTER (WHERE …)` or ordering
        _ => Transformation::Filter,
    }
}
