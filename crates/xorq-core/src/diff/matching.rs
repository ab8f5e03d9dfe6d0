//! Pairing the nodes of two graphs: by address first (the same logic), then from the outputs
//! down by position and operation.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::address::Address;
use crate::plan::display::describe;
use crate::plan::node::{Node, RelOp};
use crate::tree::TreeNode;

use super::{GraphNode, NodeRef};

/// What a node of one side is to the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Status {
    /// A node with the same address exists there (index on the other side).
    Same(usize),
    /// Paired with this node there, same operation, something differs.
    Paired(usize),
    /// No counterpart: added (new side) or removed (old side).
    Alone,
}

/// One side's nodes, inputs before their consumers, with their statuses.
pub(super) struct Side<'a> {
    pub nodes: Vec<&'a Arc<Node>>,
    pub index: HashMap<*const Node, usize>,
    pub status: Vec<Status>,
    pub addresses: Vec<Address>,
}

impl<'a> Side<'a> {
    fn new(root: &'a Arc<Node>) -> Self {
        let nodes = root.post_order();
        let index = nodes.iter().enumerate().map(|(i, n)| (Arc::as_ptr(n), i)).collect();
        let addresses = nodes.iter().map(|n| n.address()).collect();
        let status = vec![Status::Alone; nodes.len()];
        Side { nodes, index, status, addresses }
    }

    /// The index of `node`, which is of this side.
    fn at(&self, node: &Arc<Node>) -> Option<usize> {
        self.index.get(&Arc::as_ptr(node)).copied()
    }

    /// The indexes of node `i`'s inputs.
    pub fn inputs(&self, i: usize) -> Vec<usize> {
        self.nodes[i].inputs().into_iter().filter_map(|n| self.at(n)).collect()
    }

    /// The root (the last node of a post-order).
    pub fn root(&self) -> usize {
        self.nodes.len() - 1
    }

    /// How the report names node `i`.
    pub fn node_ref(&self, i: usize) -> NodeRef {
        node_ref(self.nodes[i])
    }
}

/// How the report names a node.
pub(super) fn node_ref(node: &Node) -> NodeRef {
    let op = node.op().name().to_string();
    let line = describe(node);
    // `describe` is `Op [address] detail`; the report shows address and detail apart.
    let detail = line.split_once("] ").map(|(_, d)| d.to_string()).unwrap_or_default();
    NodeRef { address: node.address().hex(), op, detail }
}

/// Both sides, paired.
pub(super) struct Matched<'a> {
    pub old: Side<'a>,
    pub new: Side<'a>,
}

/// Whether a join's inputs are the other's, swapped.
pub(super) fn swapped(old: &Side<'_>, a: usize, new: &Side<'_>, b: usize) -> bool {
    if !matches!(old.nodes[a].op(), RelOp::Join(_)) {
        return false;
    }
    let (ia, ib) = (old.inputs(a), new.inputs(b));
    let addr = |s: &Side<'_>, i: usize| s.addresses[i];
    ia.len() == 2
        && ib.len() == 2
        && addr(old, ia[0]) != addr(new, ib[0])
        && addr(old, ia[0]) == addr(new, ib[1])
        && addr(old, ia[1]) == addr(new, ib[0])
}

/// Pairs the two graphs (see the module documentation of [`super`]).
pub(super) fn match_graphs<'a>(old_root: &'a Arc<Node>, new_root: &'a Arc<Node>) -> Matched<'a> {
    let mut old = Side::new(old_root);
    let mut new = Side::new(new_root);
    let by_address: HashMap<Address, usize> = old.addresses.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    let new_by_address: HashMap<Address, usize> = new.addresses.iter().enumerate().map(|(i, a)| (*a, i)).collect();
    for (i, a) in new.addresses.iter().enumerate() {
        if let Some(&j) = by_address.get(a) {
            new.status[i] = Status::Same(j);
        }
    }
    for (j, a) in old.addresses.iter().enumerate() {
        if let Some(&i) = new_by_address.get(a) {
            old.status[j] = Status::Same(i);
        }
    }
    let name = |s: &Side<'_>, i: usize| s.nodes[i].op().name();
    let mut stack = vec![(old.root(), new.root())];
    // A pair reached again through a shared node is looked at once.
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    while let Some((a, b)) = stack.pop() {
        if old.status[a] != Status::Alone || new.status[b] != Status::Alone || !seen.insert((a, b)) {
            continue;
        }
        let (ia, ib) = (old.inputs(a), new.inputs(b));
        // A node put on top of an unchanged one, or one taken from above it, before anything
        // else: `filter(p2)` added above `filter(p1)` is an added filter, not a changed one.
        if let Some(&c) = ib.iter().find(|&&c| new.addresses[c] == old.addresses[a]) {
            stack.push((a, c));
            continue;
        }
        if let Some(&c) = ia.iter().find(|&&c| old.addresses[c] == new.addresses[b]) {
            stack.push((c, b));
            continue;
        }
        if name(&old, a) == name(&new, b) {
            old.status[a] = Status::Paired(b);
            new.status[b] = Status::Paired(a);
            if swapped(&old, a, &new, b) {
                stack.push((ia[0], ib[1]));
                stack.push((ia[1], ib[0]));
            } else if ia.len() == ib.len() {
                stack.extend(ia.iter().copied().zip(ib.iter().copied()).rev());
            } else {
                // Set operations with more or fewer inputs: each new input with the first old
                // input of its operation not yet taken.
                let mut taken = vec![false; ia.len()];
                for &c in &ib {
                    if let Some(k) = (0..ia.len()).find(|&k| !taken[k] && name(&old, ia[k]) == name(&new, c)) {
                        taken[k] = true;
                        stack.push((ia[k], c));
                    }
                }
            }
            continue;
        }
        // Different operations at the same place: one was inserted or removed if the other
        // side continues below with the same operation; else both were replaced.
        if let Some(&c) = ib.iter().find(|&&c| name(&new, c) == name(&old, a)) {
            stack.push((a, c));
        } else if let Some(&c) = ia.iter().find(|&&c| name(&old, c) == name(&new, b)) {
            stack.push((c, b));
        } else if ia.len() == ib.len() {
            stack.extend(ia.iter().copied().zip(ib.iter().copied()).rev());
        }
    }
    Matched { old, new }
}

/// Both graphs for drawing. A paired node is `changed` when its own parameters are
/// (`own_change`, by new index), else `inputs` (only what is below it changed).
pub(super) fn graphs(m: &Matched<'_>, own_change: &[bool]) -> (Vec<GraphNode>, Vec<GraphNode>) {
    let side = |s: &Side<'_>, alone: &'static str, is_new: bool| {
        (0..s.nodes.len())
            .map(|i| {
                let (status, pair) = match s.status[i] {
                    Status::Same(j) => ("unchanged", Some(j)),
                    Status::Paired(j) => {
                        let own = if is_new { own_change.get(i) } else { own_change.get(j) };
                        (if own == Some(&true) { "changed" } else { "inputs" }, Some(j))
                    }
                    Status::Alone => (alone, None),
                };
                GraphNode { node: s.node_ref(i), status, inputs: s.inputs(i), pair }
            })
            .collect()
    };
    (side(&m.old, "removed", false), side(&m.new, "added", true))
}
