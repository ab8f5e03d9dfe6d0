//! Semantic diff (SPEC §13): what changed in the logic of a pipeline between two expressions,
//! and which output columns the change can reach.
//!
//! A text diff of two manifests shows moved lines. This compares the two graphs:
//!
//! 1. **Match.** Nodes with equal addresses are the same logic (an address hashes a node and
//!    everything under it), so an unchanged subgraph is one line with its address. The rest is
//!    paired from the outputs down, by position and operation: two nodes at the same place with
//!    the same operation are one node *changed*; an operation found only on one side was *added*
//!    or *removed* (a filter inserted above a read is an added filter, not a changed read).
//! 2. **Describe.** A changed node lists its changed parameters side by side, in the words of
//!    the lineage tree and `xorq explain` (`Filter: (amount > 100) → (amount > 150)`,
//!    `Aggregate: sum(amount) → mean(amount) as total`), and a source its other reference,
//!    other bundled snapshot of the same reference, or other schema.
//! 3. **Impact.** Each change is a change of the row set (a filter, a join, a limit, a grouping:
//!    it reaches every column), of the values of some columns at one node (a projection's or a
//!    measure's expression, a source's data), or of neither (a tag, a cache strategy, the engine
//!    a part runs on). Column lineage (value and control dependencies) carries value changes to
//!    the output columns they reach.
//! 4. **Classify.** [`Classification::None`] (same address, or nothing that reaches the output),
//!    [`Classification::Additive`] (new columns only), [`Classification::Values`] (same schema,
//!    values can differ) or [`Classification::Breaking`] (a column removed, renamed or retyped,
//!    or the row set changed).
//!
//! ```
//! use xorq_core::{col, diff, lit, Table};
//! # use arrow_array::{RecordBatch, StringArray, Float64Array};
//! # use std::sync::Arc;
//! # let batch = RecordBatch::try_from_iter([
//! #     ("region", Arc::new(StringArray::from(vec!["EU"])) as _),
//! #     ("amount", Arc::new(Float64Array::from(vec![120.0])) as _),
//! # ]).unwrap();
//! let sales = Table::memtable(vec![batch])?;
//! let old = sales.filter(col("amount").gt(lit(100)))?;
//! let new = sales.filter(col("amount").gt(lit(150)))?;
//! let d = diff::diff(&old, &new)?;
//! assert_eq!(d.classification, diff::Classification::Breaking);
//! assert_eq!(d.changes[0].params[0].to_string(), "(amount > 100.0) → (amount > 150.0)");
//! // An equivalent rewrite is no change at all.
//! let same = sales.filter(lit(100).lt(col("amount")))?;
//! assert_eq!(diff::diff(&old, &same)?.classification, diff::Classification::None);
//! # Ok::<(), xorq_core::CoreError>(())
//! ```

mod html;
mod impact;
mod matching;
mod params;
mod text;

use std::fmt;

use serde::Serialize;

use crate::error::Result;
use crate::table::Table;

pub use html::DiffPage;

/// How far a change reaches, from least to most disruptive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// No logical change: the same address, or only what does not reach the output (a tag, a
    /// cache strategy, the engine a part runs on).
    None,
    /// New output columns only; every existing column keeps its rows and values.
    Additive,
    /// The same schema (perhaps with new columns); values of existing columns can differ.
    Values,
    /// A column removed, renamed or retyped, or the row set changed.
    Breaking,
}

impl Classification {
    /// The lower-case name (`none`, `additive`, `values`, `breaking`).
    pub fn name(self) -> &'static str {
        match self {
            Classification::None => "none",
            Classification::Additive => "additive",
            Classification::Values => "values",
            Classification::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One side of a diff, as the report names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideInfo {
    /// The root's input address (64 hex).
    pub address: String,
    /// What the user called it (a build path, `alias@r2`), if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A node as a report shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeRef {
    /// Its input address (64 hex).
    pub address: String,
    /// Its operation (`Filter`, `Read`, …).
    pub op: String,
    /// Its parameters in one line, as `xorq explain` prints them (without the address).
    pub detail: String,
}

/// What happened to a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the new graph.
    Added,
    /// Only in the old graph.
    Removed,
    /// At the same place with the same operation, different parameters or inputs.
    Changed,
}

/// One changed parameter: `old → new`, either side absent for an added or removed item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamChange {
    /// What it is (`predicate`, `kind`, a column name, `reference`, `snapshot`, `$threshold`).
    pub what: String,
    /// The old value, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    /// The new value, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

impl fmt::Display for ParamChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.old, &self.new) {
            (Some(o), Some(n)) => write!(f, "{o} → {n}"),
            (None, Some(n)) => write!(f, "+ {n}"),
            (Some(o), None) => write!(f, "- {o}"),
            (None, None) => f.write_str(&self.what),
        }
    }
}

/// What a change does to the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// Nothing the output shows (a tag, a cache strategy, an engine).
    #[default]
    None,
    /// Values of some columns at this node (see [`NodeChange::columns`]).
    Values,
    /// The order of the rows.
    Order,
    /// Which rows there are: every column downstream.
    Rows,
}

/// A node added, removed or changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeChange {
    /// Added, removed or changed.
    pub kind: ChangeKind,
    /// The operation.
    pub op: String,
    /// The node in the old graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<NodeRef>,
    /// The node in the new graph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<NodeRef>,
    /// The changed parameters (for an added or removed node: its parameters).
    pub params: Vec<ParamChange>,
    /// What it does to the output.
    pub effect: Effect,
    /// With [`Effect::Values`]: the columns of this node whose values change here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    /// A one-word note when the parameters alone do not say it (`inputs` when only what is
    /// below changed, `sides swapped`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl NodeChange {
    /// The change in the lineage tree's words: `Filter: (amount > 100) → (amount > 150)` for a
    /// changed node; for an added or removed one, its parameters as `xorq explain` words them
    /// (`Filter: (region = 'EU')`).
    pub fn headline(&self) -> String {
        if self.kind != ChangeKind::Changed
            && let Some(node) = self.new.as_ref().or(self.old.as_ref())
        {
            return if node.detail.is_empty() { node.op.clone() } else { format!("{}: {}", node.op, node.detail) };
        }
        let params: Vec<String> = self.params.iter().map(ToString::to_string).collect();
        match (params.is_empty(), &self.note) {
            (true, Some(note)) => format!("{}: {note}", self.op),
            (true, None) => self.op.clone(),
            (false, Some(note)) => format!("{}: {} ({note})", self.op, params.join("; ")),
            (false, None) => format!("{}: {}", self.op, params.join("; ")),
        }
    }
}

/// A subgraph with the same address on both sides, shown as one line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unchanged {
    /// Its top node.
    pub node: NodeRef,
    /// How many nodes it holds.
    pub nodes: usize,
}

/// What happens to an output column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnStatus {
    /// Same name, type, rows and values.
    Unchanged,
    /// Same name and type; its values (or rows) can differ.
    Values,
    /// Only in the new output.
    Added,
    /// Only in the old output.
    Removed,
    /// The old column under a new name.
    Renamed,
    /// Same name, another type.
    Retyped,
}

/// One output column's fate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnImpact {
    /// Its name (the new name for a renamed column).
    pub name: String,
    /// What happens to it.
    pub status: ColumnStatus,
    /// Its old type, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_type: Option<String>,
    /// Its new type, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_type: Option<String>,
    /// For a renamed column: its old name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    /// The changes that reach it (indexes into [`Diff::changes`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub because: Vec<usize>,
}

/// A node of one side's graph, for drawing (see [`DiffPage`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphNode {
    /// The node.
    #[serde(flatten)]
    pub node: NodeRef,
    /// `unchanged`, `changed` (its own parameters), `inputs` (only what is below it changed),
    /// `added` or `removed`.
    pub status: &'static str,
    /// Its inputs (indexes into the same side's nodes).
    pub inputs: Vec<usize>,
    /// The index of its counterpart on the other side, if paired or equal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair: Option<usize>,
}

/// The result of [`diff`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// The old expression.
    pub old: SideInfo,
    /// The new expression.
    pub new: SideInfo,
    /// How far the change reaches.
    pub classification: Classification,
    /// Whether the addresses are equal (the same logic).
    pub same_address: bool,
    /// Why the row set changed, if it did (a change's headline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows_changed_by: Option<String>,
    /// Nodes added, removed and changed, inputs before their consumers, the new graph's first.
    pub changes: Vec<NodeChange>,
    /// The largest unchanged subgraphs under changed nodes.
    pub unchanged: Vec<Unchanged>,
    /// Every output column of both sides: the new output's in order, then the removed ones.
    pub columns: Vec<ColumnImpact>,
    /// Whether the output's columns come in another order (not a change of any column).
    pub column_order_changed: bool,
    /// The old graph's nodes, inputs first.
    pub old_graph: Vec<GraphNode>,
    /// The new graph's nodes, inputs first.
    pub new_graph: Vec<GraphNode>,
}

impl Diff {
    /// Names the two sides (a path or `alias@rN`) in renderings.
    pub fn with_labels(mut self, old: impl Into<String>, new: impl Into<String>) -> Self {
        self.old.label = Some(old.into());
        self.new.label = Some(new.into());
        self
    }

    /// Whether there is a logical change (the `diff` exit code: 0 none, 1 some).
    pub fn is_change(&self) -> bool {
        self.classification != Classification::None
    }

    /// One line: the classification and the first change that decides it, as `xorq catalog
    /// log` prints it (`breaking: Filter: (amount > 100) → (amount > 150)`).
    pub fn summary(&self) -> String {
        text::summary(self)
    }

    /// The text report (see `xorq diff`).
    pub fn render(&self) -> String {
        text::render(self)
    }
}

/// Compares `old` with `new` (see the module documentation).
pub fn diff(old: &Table, new: &Table) -> Result<Diff> {
    let matched = matching::match_graphs(old.node(), new.node());
    let described = params::describe_changes(&matched);
    let impact = impact::assess(old, new, &matched, &described)?;
    let own: Vec<bool> = described.new_change.iter().map(Option::is_some).collect();
    let (old_graph, new_graph) = matching::graphs(&matched, &own);
    let params::Described { changes, unchanged, .. } = described;
    Ok(Diff {
        old: SideInfo { address: old.address().hex(), label: None },
        new: SideInfo { address: new.address().hex(), label: None },
        classification: impact.classification,
        same_address: old.address() == new.address(),
        rows_changed_by: impact.rows_changed_by,
        changes,
        unchanged,
        columns: impact.columns,
        column_order_changed: impact.column_order_changed,
        old_graph,
        new_graph,
    })
}
