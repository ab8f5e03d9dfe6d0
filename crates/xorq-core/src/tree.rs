//! One traversal for both trees of the IR, in the manner of DataFusion's `TreeNode`: the
//! relational DAG ([`Node`], shared through `Arc`) and scalar expressions ([`ScalarExpr`]).
//!
//! Each type lists its children once for reading and once for writing
//! ([`RelOp::inputs`](crate::RelOp::inputs) and [`RelOp::inputs_mut`](crate::RelOp::inputs_mut);
//! [`ScalarExpr::children`] and [`ScalarExpr::children_mut`]); every walk and rewrite is built
//! here on those lists, so adding an operation or an expression kind means adding it to two
//! matches, not finding every hand-written walker. Walks are iterative and rewrites either
//! iterative (the DAG) or `#[recursive]` (expressions), so a 10,000-node chain never overflows the
//! stack. In the DAG a node shared by several parents is visited once and rewritten once, so a
//! rewrite keeps shared nodes shared.
//!
//! ```
//! use xorq_core::tree::{Recursion, TreeNode};
//! use xorq_core::{col, lit, RelOp, Table};
//! # use arrow_array::{RecordBatch, Int64Array};
//! # use std::sync::Arc;
//! # let batch = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
//! let t = Table::memtable(vec![batch])?.filter(col("a").gt(lit(1)))?.limit(1)?;
//! // Operation names, parents first, not looking below the filter.
//! let mut names = Vec::new();
//! t.node().apply(|n| {
//!     names.push(n.op().name());
//!     Ok::<_, xorq_core::CoreError>(if matches!(n.op(), RelOp::Filter(_)) { Recursion::Jump } else { Recursion::Continue })
//! })?;
//! assert_eq!(names, ["Limit", "Filter"]);
//! # Ok::<(), xorq_core::CoreError>(())
//! ```

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::error::CoreError;
use crate::expr::ir::{ExprKind, ScalarExpr};
use crate::literal::Literal;
use crate::plan::node::Node;
use crate::types::DataType;

/// What a visit does after seeing a node, as DataFusion's `TreeNodeRecursion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recursion {
    /// Go on into the node's children.
    Continue,
    /// Skip the node's children and go on with the rest.
    Jump,
    /// End the whole walk.
    Stop,
}

/// A node of a tree (or of a DAG whose shared nodes have an identity), walked and rewritten by
/// the provided methods on top of the two child lists each type writes once.
pub trait TreeNode: Sized {
    /// The direct children, in a fixed order.
    fn children(&self) -> Vec<&Self>;

    /// This node with each child `c` replaced by `f(c)`, in the order of
    /// [`children`](TreeNode::children); the node itself when nothing changed.
    fn map_children<E: From<CoreError>>(self, f: impl FnMut(Self) -> Result<Self, E>) -> Result<Self, E>;

    /// The identity of a node that may be reached from several parents (an `Arc`'s pointer), so
    /// walks visit it once and rewrites rewrite it once; `None` for plain trees.
    fn shared_id(&self) -> Option<usize> {
        None
    }

    /// Calls `f` on this node and its descendants, parents first and children in order, each
    /// shared node once; `f` decides whether to go into a node's children, skip them or stop.
    /// Returns [`Recursion::Stop`] when `f` stopped the walk.
    fn apply<'n, E>(&'n self, mut f: impl FnMut(&'n Self) -> Result<Recursion, E>) -> Result<Recursion, E> {
        let mut seen: HashSet<usize> = HashSet::new();
        let mut stack: Vec<&'n Self> = vec![self];
        while let Some(node) = stack.pop() {
            if let Some(id) = node.shared_id()
                && !seen.insert(id)
            {
                continue;
            }
            match f(node)? {
                Recursion::Continue => stack.extend(node.children().into_iter().rev()),
                Recursion::Jump => {}
                Recursion::Stop => return Ok(Recursion::Stop),
            }
        }
        Ok(Recursion::Continue)
    }

    /// Whether this node or a descendant satisfies `pred` (stopping at the first that does).
    fn exists(&self, mut pred: impl FnMut(&Self) -> bool) -> bool {
        let found = self.apply(|n| Ok::<_, CoreError>(if pred(n) { Recursion::Stop } else { Recursion::Continue }));
        matches!(found, Ok(Recursion::Stop))
    }

    /// Every node under this one, each shared node once, children before their parents (in
    /// child order), this node last: the order in which to compute anything that needs its
    /// inputs' results first.
    fn post_order(&self) -> Vec<&Self> {
        self.post_order_until(|_| false)
    }

    /// Like [`post_order`](TreeNode::post_order), without going into the children of nodes for
    /// which `stop` is true (those nodes are still listed).
    fn post_order_until<'n>(&'n self, stop: impl Fn(&'n Self) -> bool) -> Vec<&'n Self> {
        let mut seen: HashSet<usize> = HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<(&'n Self, bool)> = vec![(self, false)];
        while let Some((node, expanded)) = stack.pop() {
            let id = node.shared_id();
            if expanded {
                out.push(node);
                continue;
            }
            if let Some(id) = id
                && !seen.insert(id)
            {
                continue;
            }
            stack.push((node, true));
            if !stop(node) {
                stack.extend(node.children().into_iter().rev().map(|c| (c, false)));
            }
        }
        out
    }

    /// This tree with every node `n` replaced by `f(n)`, children first (so `f` sees a node whose
    /// children are already rewritten); a shared node is rewritten once and stays shared.
    fn transform_up<E: From<CoreError>>(self, mut f: impl FnMut(Self) -> Result<Self, E>) -> Result<Self, E>
    where
        Self: Clone,
    {
        #[recursive::recursive]
        fn up<T: TreeNode + Clone, E: From<CoreError>>(
            node: T,
            f: &mut impl FnMut(T) -> Result<T, E>,
            done: &mut HashMap<usize, (T, T)>,
        ) -> Result<T, E> {
            let id = node.shared_id();
            if let Some((_, new)) = id.and_then(|id| done.get(&id)) {
                return Ok(new.clone());
            }
            // The original is kept in `done` beside its rewrite, so its identity (an address)
            // cannot be reused by another node while the rewrite runs.
            let original = id.map(|_| node.clone());
            let mapped = node.map_children(|c| up(c, f, done))?;
            let new = f(mapped)?;
            if let (Some(id), Some(original)) = (id, original) {
                done.insert(id, (original, new.clone()));
            }
            Ok(new)
        }
        up(self, &mut f, &mut HashMap::new())
    }
}

impl TreeNode for Arc<Node> {
    fn children(&self) -> Vec<&Self> {
        self.op().inputs()
    }

    fn map_children<E: From<CoreError>>(self, mut f: impl FnMut(Self) -> Result<Self, E>) -> Result<Self, E> {
        let old = self.op().inputs();
        let new = old.iter().map(|&i| f(Arc::clone(i))).collect::<Result<Vec<_>, E>>()?;
        if new.iter().zip(&old).all(|(n, o)| Arc::ptr_eq(n, o)) {
            return Ok(self);
        }
        Ok(Node::try_new(self.op().with_inputs(new)?)?)
    }

    fn shared_id(&self) -> Option<usize> {
        Some(Arc::as_ptr(self) as usize)
    }

    /// Iterative: each distinct node is rebuilt once, inputs first, so a long chain never
    /// recurses.
    fn transform_up<E: From<CoreError>>(self, mut f: impl FnMut(Self) -> Result<Self, E>) -> Result<Self, E> {
        let mut rebuilt: HashMap<usize, Arc<Node>> = HashMap::new();
        for node in self.post_order() {
            let id = Arc::as_ptr(node) as usize;
            let inputs_rebuilt = Arc::clone(node)
                .map_children(|i| Ok::<_, E>(rebuilt.get(&(Arc::as_ptr(&i) as usize)).cloned().unwrap_or(i)))?;
            rebuilt.insert(id, f(inputs_rebuilt)?);
        }
        rebuilt
            .remove(&(Arc::as_ptr(&self) as usize))
            .ok_or_else(|| E::from(CoreError::Internal("the root was not rebuilt".into())))
    }
}

/// The DAG read through plain references (the root of an address computation is a `&Node`).
impl TreeNode for Node {
    fn children(&self) -> Vec<&Self> {
        self.op().inputs().into_iter().map(|i| &**i).collect()
    }

    /// Nodes are rewritten as `Arc<Node>`; a bare `Node` has no children to replace.
    fn map_children<E: From<CoreError>>(self, _f: impl FnMut(Self) -> Result<Self, E>) -> Result<Self, E> {
        Err(E::from(CoreError::Internal("rewrite an `Arc<Node>`, not a bare `Node`".into())))
    }

    fn shared_id(&self) -> Option<usize> {
        Some(self as *const Node as usize)
    }
}

impl TreeNode for ScalarExpr {
    fn children(&self) -> Vec<&Self> {
        ScalarExpr::children(self)
    }

    fn map_children<E: From<CoreError>>(mut self, mut f: impl FnMut(Self) -> Result<Self, E>) -> Result<Self, E> {
        for child in self.children_mut() {
            let taken = std::mem::replace(child, placeholder());
            *child = f(taken)?;
        }
        Ok(self)
    }
}

/// A cheap expression swapped into a child's slot while the child is rewritten.
fn placeholder() -> ScalarExpr {
    ScalarExpr::new(ExprKind::Literal(Literal::Null(DataType::Null)), DataType::Null, true)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, RecordBatch};

    use super::{Recursion, TreeNode};
    use crate::expr::ir::{ExprKind, ScalarExpr};
    use crate::{CoreError, Node, RelOp, Table, col, lit};

    fn table() -> Table {
        let batch = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2, 3])) as _)])
            .expect("one Int64 column is a valid batch");
        Table::memtable(vec![batch]).expect("a memtable of one batch")
    }

    #[test]
    fn a_ten_thousand_node_chain_is_walked_and_rewritten_without_overflow() -> Result<(), CoreError> {
        let mut t = table();
        for _ in 0..10_000 {
            t = t.mutate([(col("a") + lit(1)).alias("a")])?;
        }
        let root = t.node().clone();
        assert_eq!(root.post_order().len(), 10_001);
        let mut count = 0;
        root.apply(|_| {
            count += 1;
            Ok::<_, CoreError>(Recursion::Continue)
        })?;
        assert_eq!(count, 10_001);
        let same = Arc::clone(&root).transform_up(Ok::<_, CoreError>)?;
        assert!(Arc::ptr_eq(&same, &root), "an identity rewrite keeps the graph");
        assert_eq!(root.address(), same.address());
        Ok(())
    }

    #[test]
    fn a_shared_node_is_visited_once_and_stays_shared_after_a_rewrite() -> Result<(), CoreError> {
        let base = table();
        let f = base.filter(col("a").gt(lit(1)))?;
        let both = f.union(&f)?;
        let mut filters = 0;
        both.node().apply(|n| {
            filters += usize::from(matches!(n.op(), RelOp::Filter(_)));
            Ok::<_, CoreError>(Recursion::Continue)
        })?;
        assert_eq!(filters, 1);
        // Replace the source: the filter above it is rebuilt once, and both union inputs are it.
        let other = Table::memtable(vec![
            RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![9])) as _)])
                .expect("one Int64 column is a valid batch"),
        ])?;
        let rewritten = both.node().clone().transform_up(|n| {
            Ok::<_, CoreError>(if matches!(n.op(), RelOp::Source(_)) { other.node().clone() } else { n })
        })?;
        let inputs = rewritten.op().inputs();
        assert!(Arc::ptr_eq(inputs[0], inputs[1]));
        assert_eq!(
            Table::from_node(rewritten).address(),
            other.filter(col("a").gt(lit(1)))?.union(&other.filter(col("a").gt(lit(1)))?)?.address()
        );
        Ok(())
    }

    #[test]
    fn jump_skips_children_and_stop_ends_the_walk() -> Result<(), CoreError> {
        let t = table().filter(col("a").gt(lit(1)))?.limit(2)?;
        let mut seen = Vec::new();
        let end = t.node().apply(|n| {
            seen.push(n.op().name());
            Ok::<_, CoreError>(if matches!(n.op(), RelOp::Filter(_)) { Recursion::Stop } else { Recursion::Continue })
        })?;
        assert_eq!((seen, end), (vec!["Limit", "Filter"], Recursion::Stop));
        assert_eq!(
            t.node()
                .post_order_until(|n| matches!(n.op(), RelOp::Filter(_)))
                .iter()
                .map(|n| n.op().name())
                .collect::<Vec<_>>(),
            ["Filter", "Limit"]
        );
        let plain: &Node = t.node();
        assert_eq!(plain.post_order().len(), 3);
        Ok(())
    }

    #[test]
    fn expressions_list_children_the_same_way_for_reading_and_rewriting() -> Result<(), CoreError> {
        let t = table();
        let t = t.mutate([crate::when((col("a") + lit(1)).gt(lit(2)).and(col("a").is_null().not()))
            .then(col("a"))
            .otherwise(col("a") * lit(3))
            .alias("b")])?;
        let RelOp::Project(p) = t.node().op() else { panic!("a mutate is a projection") };
        let e = p.exprs[1].expr.clone();
        // Rewriting each literal to itself visits exactly the expressions `apply` visits.
        let mut read = 0;
        e.apply(|_| {
            read += 1;
            Ok::<_, CoreError>(Recursion::Continue)
        })?;
        let mut rewritten = 0;
        let same = e.clone().transform_up(|x| {
            rewritten += 1;
            Ok::<_, CoreError>(x)
        })?;
        assert_eq!((read, same), (rewritten, e.clone()));
        // A rewrite that changes every literal 1 into 10.
        let changed = e.transform_up(|x| {
            Ok::<_, CoreError>(match &x.kind {
                ExprKind::Literal(crate::Literal::Int64(1)) => ScalarExpr::literal(crate::Literal::Int64(10)),
                _ => x,
            })
        })?;
        assert!(changed.to_string().contains("10"), "{changed}");
        Ok(())
    }

    #[test]
    fn a_deep_expression_is_walked_and_rewritten_without_overflow() -> Result<(), CoreError> {
        // Built directly: the walks and rewrites are what is under test. (Derived `Clone` and
        // `Drop` of a 10,000-deep `Box` chain recurse, as DataFusion's `Expr` does, so the result
        // is forgotten rather than dropped.)
        let mut deep = ScalarExpr::literal(crate::Literal::Int64(1));
        for _ in 0..10_000 {
            deep = ScalarExpr::new(ExprKind::Negate(Box::new(deep)), crate::DataType::Int64, false);
        }
        let mut count = 0;
        deep.apply(|_| {
            count += 1;
            Ok::<_, CoreError>(Recursion::Continue)
        })?;
        assert_eq!(count, 10_001);
        let rewritten = deep.transform_up(|x| {
            Ok::<_, CoreError>(match &x.kind {
                ExprKind::Literal(_) => ScalarExpr::literal(crate::Literal::Int64(2)),
                _ => x,
            })
        })?;
        let mut literals = Vec::new();
        rewritten.apply(|e| {
            if let ExprKind::Literal(l) = &e.kind {
                literals.push(l.clone());
            }
            Ok::<_, CoreError>(Recursion::Continue)
        })?;
        assert_eq!(literals, [crate::Literal::Int64(2)]);
        std::mem::forget(rewritten);
        Ok(())
    }
}
