//! Rebuilding a graph with some of its nodes replaced, keeping shared nodes shared.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::CoreError;
use crate::tree::TreeNode;

use super::node::{Node, RelOp};
use super::source::Source;

/// The graph under `root` with each source `s` replaced by `replace(s)` (`None` keeps it).
///
/// A replacement must have the same schema as the source it replaces, so every expression above
/// it stays valid; nodes above an unchanged subgraph are reused as they are. This is how a build
/// swaps a referenced file for its bundled snapshot.
///
/// ```
/// use xorq_core::{col, lit, Source, Table, plan::rewrite::map_sources};
/// # use arrow_array::{RecordBatch, Int64Array};
/// # use std::sync::Arc;
/// # let batch = |v: i64| RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![v])) as _)]).unwrap();
/// let t = Table::memtable(vec![batch(1)])?.filter(col("a").gt(lit(0)))?;
/// let other = Table::memtable(vec![batch(2)])?;
/// let xorq_core::RelOp::Source(replacement) = other.node().op() else { unreachable!() };
/// let swapped = map_sources::<xorq_core::CoreError>(t.node(), |_| Ok(Some(replacement.clone())))?;
/// assert_ne!(Table::from_node(swapped).address(), t.address());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn map_sources<E: From<CoreError>>(
    root: &Arc<Node>,
    mut replace: impl FnMut(&Source) -> std::result::Result<Option<Source>, E>,
) -> std::result::Result<Arc<Node>, E> {
    map_nodes(root, |node| match node.op() {
        RelOp::Source(s) => Ok(replace(s)?.map(|r| Node::try_new(RelOp::Source(r))).transpose()?),
        _ => Ok(None),
    })
}

/// The graph under `root` with each node `n` for which `replace(n)` gives a node replaced by it
/// (with the same schema), everything above rebuilt and everything else shared. Nodes are
/// offered inputs first. This is how a run swaps a subgraph computed elsewhere for a table that
/// holds its rows.
///
/// ```
/// use xorq_core::{col, lit, Table, plan::rewrite::map_nodes};
/// # use arrow_array::{RecordBatch, Int64Array};
/// # use std::sync::Arc;
/// # let batch = |v: i64| RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![v])) as _)]).unwrap();
/// let inner = Table::memtable(vec![batch(1)])?.filter(col("a").gt(lit(0)))?;
/// let outer = inner.limit(1)?;
/// let other = Table::memtable(vec![batch(2)])?;
/// let swapped = map_nodes::<xorq_core::CoreError>(outer.node(), |n| {
///     Ok(Arc::ptr_eq(n, inner.node()).then(|| other.node().clone()))
/// })?;
/// assert_eq!(Table::from_node(swapped).address(), other.limit(1)?.address());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn map_nodes<E: From<CoreError>>(
    root: &Arc<Node>,
    mut replace: impl FnMut(&Arc<Node>) -> std::result::Result<Option<Arc<Node>>, E>,
) -> std::result::Result<Arc<Node>, E> {
    // Offered the original node (not one with rewritten inputs), so callers can match by identity.
    let mut rebuilt: HashMap<*const Node, Arc<Node>> = HashMap::new();
    for node in root.post_order() {
        let new = match replace(node)? {
            Some(r) if r.schema() != node.schema() => {
                return Err(E::from(CoreError::Internal(format!(
                    "the replacement for a `{}` node has another schema",
                    node.op().name()
                ))));
            }
            Some(r) => r,
            None => {
                Arc::clone(node).map_children(|i| Ok::<_, E>(rebuilt.get(&Arc::as_ptr(&i)).cloned().unwrap_or(i)))?
            }
        };
        rebuilt.insert(Arc::as_ptr(node), new);
    }
    rebuilt.remove(&Arc::as_ptr(root)).ok_or_else(|| E::from(CoreError::Internal("the root was not rebuilt".into())))
}
