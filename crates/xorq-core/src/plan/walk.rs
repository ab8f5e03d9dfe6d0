//! Walks over the DAG that visit each distinct node once, without recursion.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::node::Node;

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
    topological_until(root, |_| false)
}

/// Like [`topological`], without walking into the inputs of nodes for which `stop` is true (those
/// nodes themselves are visited): for work that replaces a whole subgraph, such as running it on
/// another engine.
pub fn topological_until(root: &Arc<Node>, stop: impl Fn(&Arc<Node>) -> bool) -> Vec<&Arc<Node>> {
    let mut seen: BTreeSet<*const Node> = BTreeSet::new();
    let mut out = Vec::new();
    let mut stack: Vec<(&Arc<Node>, bool)> = vec![(root, false)];
    while let Some((node, expanded)) = stack.pop() {
        let key = Arc::as_ptr(node);
        if expanded {
            if seen.insert(key) {
                out.push(node);
            }
            continue;
        }
        if seen.contains(&key) {
            continue;
        }
        stack.push((node, true));
        if stop(node) {
            continue;
        }
        for input in node.inputs().into_iter().rev() {
            if !seen.contains(&Arc::as_ptr(input)) {
                stack.push((input, false));
            }
        }
    }
    out
}
