//! Column lineage: where each output column of an expression comes from, computed from the IR
//! alone (no engine).
//!
//! A [`LineageGraph`] is a DAG of numbered [`LineageNode`]s joined by [`LineageEdge`]s that point
//! upstream (from a value to what it is made from). Three kinds of nodes alternate:
//!
//! - **fields** ([`NodeKind::Field`]): a column at the output of some relational node. The root is
//!   the asked column at the table's output; every column an expression references is a field of
//!   the expression's input.
//! - **operations** (`Read`, `Filter`, `Project`, `Aggregate`, `Join`, `SetOp`, `Sort`, `Limit`,
//!   `Distinct`, `Tag`, `Cache`, `IntoBackend`): the relational node that produced the field. A field is followed
//!   by the operation that made it; operations that pass a column through unchanged (filter, sort,
//!   limit, distinct, tag, cache, a move between engines, a join or set operation that keeps the name) lead straight to the
//!   input's operation, without a repeated field. Lineage ends at `Read`.
//! - **expressions** ([`NodeKind::Expr`]): functions, aggregates, windows, casts, `Case` and
//!   operators, by stable PascalCase names (`Sum`, `Add`, `Cast`, `Window`, …). Literals are
//!   omitted; named parameters appear as `Param` leaves.
//!
//! Each edge is a **value** dependency (the output value is computed from it) or a **control**
//! dependency (it decides which rows reach the output, or how they are grouped or ordered, but is
//! not part of the value). Control dependencies always point at fields:
//!
//! - filter predicates: the columns the predicate reads;
//! - joins: the key columns of both sides and the columns of the join predicate;
//! - sorts: the ordering key columns;
//! - windows: partition and ordering key columns (the function's arguments are value deps);
//! - aggregate calls: the columns of `FILTER (WHERE …)` and of an ordering (`first`, `last`);
//! - grouped aggregation: a measure has the grouping key columns as control deps (they decide
//!   which rows are aggregated together); a key has only its own expression as value dep.
//!
//! `CASE` conditions are value deps: they choose the value. Limit and distinct add no
//! dependencies.
//!
//! Nodes are shared: a field or operation is keyed by the relational node (by address, so equal
//! logic is one node) and the column, a source by its address alone, an expression by its
//! position; a self-join or a source read by two branches appears once. Extraction and rendering
//! use the crate's `recursive` attribute, so deep pipelines grow the stack instead of overflowing
//! it.
//!
//! ```
//! use xorq_core::{col, lit, lineage, Table};
//! # use arrow_array::{RecordBatch, StringArray, Float64Array};
//! # use std::sync::Arc;
//! # let batch = RecordBatch::try_from_iter([
//! #     ("region", Arc::new(StringArray::from(vec!["EU"])) as _),
//! #     ("amount", Arc::new(Float64Array::from(vec![120.0])) as _),
//! # ]).unwrap();
//! let sales = Table::memtable(vec![batch])?;
//! let t = sales.filter(col("amount").gt(lit(100)))?.group_by(["region"]).agg([col("amount").sum().alias("total")])?;
//! let graph = lineage::column_lineage(&t, "total")?;
//! assert!(graph.render(&lineage::TreeOptions::default()).contains("Sum #3"));
//! # Ok::<(), xorq_core::CoreError>(())
//! ```

mod dot;
pub(crate) mod extract;
pub(crate) mod html;
mod mermaid;
pub mod openlineage;
mod table;
mod tree;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::expr::ir::JoinSide;
use crate::table::Table;

pub use html::HtmlOptions;
pub use table::{InputField, LineageRoot, TableLineage, Transformation};
pub use tree::TreeOptions;

/// What a lineage node stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NodeKind {
    /// A column at the output of a relational node.
    Field {
        /// Column name.
        name: String,
    },
    /// A source (a lineage leaf).
    Read {
        /// The source's readable label (file name, table name).
        source: String,
        /// Where its rows come from (see [`Source::uri`](crate::Source::uri)).
        uri: String,
    },
    /// A row filter.
    Filter,
    /// A projection (`select`, `mutate`, `rename`, `drop`).
    Project,
    /// A grouped aggregation.
    Aggregate,
    /// A join; the column comes from `side`.
    Join {
        /// The input the column comes from.
        side: Side,
    },
    /// A union, intersection or difference (every input contributes).
    SetOp {
        /// `union`, `intersect` or `difference`.
        op: String,
    },
    /// An ordering.
    Sort,
    /// An offset/limit.
    Limit,
    /// Unique rows.
    Distinct,
    /// A named marker.
    Tag {
        /// The tag.
        name: String,
    },
    /// A cache node: the rows pass through; its result is stored and reused.
    Cache {
        /// The strategy, as shown by [`CacheStrategy`](crate::CacheStrategy)'s `Display`
        /// (`modification-time`, `snapshot, ttl 1d`).
        strategy: String,
    },
    /// A move into another engine: the rows pass through unchanged.
    IntoBackend {
        /// The profile of the engine the rows move into.
        profile: String,
    },
    /// A registered table function: each output column may depend on every input column.
    TableFunction {
        /// The function's name.
        name: String,
    },
    /// A scalar expression: a function, aggregate, window, cast, `Case` or operator.
    Expr {
        /// Stable PascalCase name (`Sum`, `Add`, `Cast`, `Window`, `Param`, …).
        name: String,
        /// Extra detail: a cast's target type, a window's function, a parameter's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// An aggregate call of a grouped aggregation (`Sum`, `Count`, …), which folds many
        /// rows into one value.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        aggregate: bool,
    },
}

/// A join input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The left input.
    Left,
    /// The right input.
    Right,
}

impl From<JoinSide> for Side {
    fn from(side: JoinSide) -> Self {
        match side {
            JoinSide::Left => Side::Left,
            JoinSide::Right => Side::Right,
        }
    }
}

impl NodeKind {
    /// The node's family, for drawing: `field`, `read`, `op` (a relational operation) or `expr`.
    pub fn family(&self) -> &'static str {
        match self {
            NodeKind::Field { .. } => "field",
            NodeKind::Read { .. } => "read",
            NodeKind::Expr { .. } => "expr",
            _ => "op",
        }
    }

    /// The label used in text renderings: `Field:total`, `Read:sales.parquet`, `Sum`,
    /// `Cast:Float64`, `Join:left`.
    pub fn label(&self) -> String {
        match self {
            NodeKind::Field { name } => format!("Field:{name}"),
            NodeKind::Read { source, .. } => format!("Read:{source}"),
            NodeKind::Filter => "Filter".into(),
            NodeKind::Project => "Project".into(),
            NodeKind::Aggregate => "Aggregate".into(),
            NodeKind::Join { side: Side::Left } => "Join:left".into(),
            NodeKind::Join { side: Side::Right } => "Join:right".into(),
            NodeKind::SetOp { op } => format!("SetOp:{op}"),
            NodeKind::Sort => "Sort".into(),
            NodeKind::Limit => "Limit".into(),
            NodeKind::Distinct => "Distinct".into(),
            NodeKind::Tag { name } => format!("Tag:{name}"),
            NodeKind::Cache { strategy } => format!("Cache:{strategy}"),
            NodeKind::IntoBackend { profile } => format!("IntoBackend:{profile}"),
            NodeKind::TableFunction { name } => format!("TableFunction:{name}"),
            NodeKind::Expr { name, detail: Some(d), .. } => format!("{name}:{d}"),
            NodeKind::Expr { name, detail: None, .. } => name.clone(),
        }
    }
}

/// How an upstream node affects a downstream one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// The downstream value is computed from it.
    Value,
    /// It decides which rows appear (or how they are grouped or ordered), not the value.
    Control,
}

/// A node of a lineage graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageNode {
    /// Index in [`LineageGraph::nodes`].
    pub id: usize,
    /// What it stands for.
    #[serde(flatten)]
    pub kind: NodeKind,
}

/// A dependency: `from` (downstream) depends on `to` (upstream).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageEdge {
    /// The dependent node.
    pub from: usize,
    /// The node it depends on.
    pub to: usize,
    /// Value or control.
    pub kind: EdgeKind,
}

/// The lineage of one output column: a DAG rooted at the column's field.
///
/// Node ids are assigned in depth-first order from the root (value edges before control edges
/// at each node), so the same expression always yields the same graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageGraph {
    /// The output column.
    pub column: String,
    /// The root (the output field); always 0.
    pub root: usize,
    /// Nodes, indexed by id.
    pub nodes: Vec<LineageNode>,
    /// Edges, grouped by `from` in id order; at each node, value edges first, each group in
    /// argument order.
    pub edges: Vec<LineageEdge>,
}

impl LineageGraph {
    /// The node with this id.
    pub fn node(&self, id: usize) -> Option<&LineageNode> {
        self.nodes.get(id)
    }

    /// The dependencies of `id`, in order.
    pub fn children(&self, id: usize) -> impl Iterator<Item = (usize, EdgeKind)> + '_ {
        let start = self.edges.partition_point(|e| e.from < id);
        self.edges[start..].iter().take_while(move |e| e.from == id).map(|e| (e.to, e.kind))
    }

    /// The labels of the sources the column reads, in id order, without repeats.
    pub fn sources(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for n in &self.nodes {
            if let NodeKind::Read { source, .. } = &n.kind
                && !out.contains(&source.as_str())
            {
                out.push(source);
            }
        }
        out
    }

    /// The text tree (see [`TreeOptions`]).
    pub fn render(&self, options: &TreeOptions) -> String {
        tree::render(self, options)
    }
}

/// The lineage of one output column of `table`.
///
/// An unknown column is a [`CoreError::ColumnNotFound`] with a suggestion.
pub fn column_lineage(table: &Table, column: &str) -> Result<LineageGraph> {
    table.schema().field_or_err(column, "lineage")?;
    extract::extract(table.node(), column)
}

/// The lineage of every output column of `table`, in schema order.
pub fn lineage(table: &Table) -> Result<Vec<(String, LineageGraph)>> {
    table.columns().into_iter().map(|c| Ok((c.to_string(), extract::extract(table.node(), c)?))).collect()
}

/// The lineage of every output column of `table` as one graph (see [`TableLineage`]).
///
/// ```
/// use xorq_core::{col, lineage, lit, Table};
/// # use arrow_array::{RecordBatch, Float64Array};
/// # use std::sync::Arc;
/// # let batch = RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap();
/// let t = Table::memtable(vec![batch])?.mutate([(col("amount") * lit(2)).alias("double")])?;
/// let graph = lineage::table_lineage(&t)?;
/// assert_eq!(graph.columns.len(), 2);
/// // `double` is computed from `amount`, which `amount` passes through unchanged.
/// let inputs = graph.input_fields(graph.columns[1].node);
/// assert_eq!(inputs[0].field, "amount");
/// assert_eq!(inputs[0].transformations, [lineage::Transformation::Transformation]);
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn table_lineage(table: &Table) -> Result<TableLineage> {
    extract::extract_many(table.node(), &table.columns())
}

/// The lineage of some output columns of `table` as one graph; an unknown column is a
/// [`CoreError::ColumnNotFound`] with a suggestion.
pub fn columns_lineage(table: &Table, columns: &[&str]) -> Result<TableLineage> {
    for c in columns {
        table.schema().field_or_err(c, "lineage")?;
    }
    extract::extract_many(table.node(), columns)
}

pub(crate) fn internal(message: &str) -> CoreError {
    CoreError::Internal(format!("lineage: {message}"))
}
