//! Walks over the DAG that visit each distinct node once, without recursion: names for the
//! orders most callers need, on top of [`crate::tree::TreeNode`].

use std::sync::Arc;

use super::node::Node;
use crate::tree::TreeNode;

/// Every distinct node reachable from `root` (by identity), inputs before the nodes that use
/// them; `root` is last.
///
/// ```
/// use xorq_core::{col, lit, Table};
/// # use arrow_array::{RecordBatch, Int64Array};
/// # use std::sync::Arc;
/// # let batch = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
/// let t = Table::memtable(vec![batch]).unwrap();
/// let f = t.filter(col("a").gt(lit(1))).unwrap();
/// let both = f.union(&f).unwrap(); // `f` is used twice but is one node
/// assert_eq!(xorq_core::plan::walk::topological(both.node()).len(), 3);
/// ```
pub fn topological(root: &Arc<Node>) -> Vec<&Arc<Node>> {
    root.post_order()
}

/// Like [`topological`], without walking into the inputs of nodes for which `stop` is true (those
/// nodes themselves are visited): for work that replaces a whole subgraph, such as running it on
/// another engine.
pub fn topological_until(root: &Arc<Node>, stop: impl Fn(&Arc<Node>) -> bool) -> Vec<&Arc<Node>> {
    root.post_order_until(stop)
}

/// The backend profiles the graph under `root` needs connected to run: those its tables live
/// in, those rows are moved into, and those cache entries are kept in.
///
/// ```
/// use xorq_core::{DataType, Field, Schema, Source, Table};
/// let schema = Schema::new(vec![Field::new("id", DataType::Int64, false)])?;
/// let t = Table::from_source(Source::table("warehouse", vec!["orders".into()], schema))?;
/// let moved = t.into_backend("duck")?;
/// assert_eq!(xorq_core::plan::walk::profiles_used(moved.node()), ["duck", "warehouse"].map(String::from).into());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn profiles_used(root: &Arc<Node>) -> std::collections::BTreeSet<String> {
    use super::cache::CacheStorage;
    use super::node::RelOp;
    use super::source::SourceKind;
    topological(root)
        .into_iter()
        .filter_map(|node| match node.op() {
            RelOp::Source(s) => match &s.kind {
                SourceKind::Table(t) => Some(t.profile.clone()),
                _ => None,
            },
            RelOp::IntoBackend(i) => Some(i.profile.clone()),
            RelOp::Cache(c) => match &c.storage {
                CacheStorage::Source { profile: Some(p) } => Some(p.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}
