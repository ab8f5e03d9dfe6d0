//! Merkle addressing of nodes: a node's address hashes its operation, parameters and its inputs'
//! addresses. Computed once per node (cached in the node) with an explicit stack, so deep graphs
//! neither recompute shared subgraphs nor overflow the stack.

use std::collections::BTreeMap;

use crate::address::Address;
use crate::encode::Encoder;
use crate::schema::Schema;
use crate::tree::TreeNode;

use super::node::{Node, RelOp};
use super::source::{FileFormat, SourceIdentity, SourceKind};

/// Which identity sources contribute.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AddressMode {
    /// The input address: bundled sources by the hash of their bytes.
    Input,
    /// The computation address: every source by its reference (bundled ones by where they came
    /// from), so the same logic over a new data snapshot has the same computation address.
    Computation,
}

impl Node {
    /// The input address of this node (SPEC §2), computed once.
    pub fn address(&self) -> Address {
        if let Some(a) = self.address.get() {
            return *a;
        }
        // Inputs first, not going below a node whose address is known already.
        for node in TreeNode::post_order_until(self, |n: &Node| n.address.get().is_some()) {
            if node.address.get().is_none() {
                let a = encode_node(node, AddressMode::Input, |n| n.address.get().copied());
                // A concurrent caller may have set it first; both computed the same value.
                let _ = node.address.set(a);
            }
        }
        self.address.get().copied().unwrap_or_else(|| encode_node(self, AddressMode::Input, |n| Some(n.address())))
    }

    /// The computation address (sources as references); see [`AddressMode::Computation`].
    pub fn computation_address(&self) -> Address {
        let mut memo: BTreeMap<*const Node, Address> = BTreeMap::new();
        for node in TreeNode::post_order(self) {
            let a = encode_node(node, AddressMode::Computation, |n| memo.get(&(n as *const Node)).copied());
            memo.insert(node as *const Node, a);
        }
        memo.get(&(self as *const Node)).copied().unwrap_or_else(|| self.address())
    }
}

fn schema(enc: &mut Encoder, s: &Schema) {
    enc.len(s.len());
    for f in s.fields() {
        enc.str(&f.name);
        enc.dtype(&f.dtype);
    }
}

/// Encodes one node given its inputs' addresses (`input_address` returns `None` only for a bug
/// in the traversal order, in which case a zero address is hashed and the bug shows in tests).
fn encode_node(node: &Node, mode: AddressMode, input_address: impl Fn(&Node) -> Option<Address>) -> Address {
    let mut enc = Encoder::new("node");
    let op = node.op();
    enc.str(op.name());
    match op {
        RelOp::Source(s) => {
            match &s.kind {
                SourceKind::File(f) => {
                    enc.str("file");
                    enc.str(f.format.name());
                    if let FileFormat::Csv(o) = &f.format {
                        enc.bool(o.has_header);
                        enc.u64(u64::from(o.delimiter));
                    }
                    match (&f.identity, mode) {
                        (SourceIdentity::Reference(r), _)
                        | (SourceIdentity::Content { origin: r, .. }, AddressMode::Computation) => {
                            enc.str("reference");
                            enc.str(r);
                        }
                        (SourceIdentity::Project(path), _) => {
                            enc.str("project");
                            enc.str(path);
                        }
                        (SourceIdentity::Content { hash, .. }, AddressMode::Input) => {
                            enc.str("content");
                            enc.address(hash);
                        }
                    }
                }
                SourceKind::Memtable(m) => {
                    enc.str("memtable");
                    enc.address(&m.content);
                }
                SourceKind::Table(t) => {
                    enc.str("table");
                    enc.str(&t.profile);
                    enc.len(t.table.len());
                    for part in &t.table {
                        enc.str(part);
                    }
                }
                // A new kind, so no existing address changes: the name and the schema (below).
                SourceKind::Input(i) => {
                    enc.str("input");
                    enc.str(&i.name);
                }
            }
            schema(&mut enc, &s.schema);
        }
        RelOp::Filter(f) => enc.expr(&f.predicate),
        RelOp::Project(p) => {
            enc.len(p.exprs.len());
            for n in &p.exprs {
                enc.str(&n.name);
                enc.expr(&n.expr);
            }
        }
        RelOp::Aggregate(a) => {
            for group in [&a.keys, &a.measures] {
                enc.len(group.len());
                for n in group {
                    enc.str(&n.name);
                    enc.expr(&n.expr);
                }
            }
            // Written only when present, so a plain grouping keeps its address.
            if let Some(sets) = &a.grouping_sets {
                enc.str("grouping_sets");
                enc.len(sets.len());
                for set in sets {
                    enc.len(set.len());
                    for i in set {
                        enc.u64(*i as u64);
                    }
                }
            }
        }
        RelOp::Join(j) => {
            enc.str(j.kind.name());
            enc.len(j.on.len());
            for (l, r) in &j.on {
                enc.str(l);
                enc.str(r);
            }
            enc.opt(j.filter.as_ref(), |e, f| e.expr(f));
        }
        RelOp::Sort(s) => {
            enc.len(s.keys.len());
            for k in &s.keys {
                enc.expr(&k.expr);
                enc.bool(k.descending);
                enc.bool(k.nulls_first);
            }
        }
        RelOp::Limit(l) => {
            enc.u64(l.offset);
            enc.opt(l.fetch.as_ref(), |e, f| e.u64(*f));
        }
        RelOp::Distinct(_) => {}
        RelOp::SetOp(s) => {
            enc.str(s.kind.name());
            enc.bool(s.distinct);
        }
        RelOp::Tag(t) => {
            enc.str(&t.name);
            enc.len(t.metadata.len());
            for (k, v) in &t.metadata {
                enc.str(k);
                enc.str(v);
            }
        }
        RelOp::Cache(c) => {
            enc.str(c.strategy.freshness().name());
            enc.opt(c.strategy.ttl_secs().as_ref(), |e, t| e.u64(*t));
            enc.str(c.storage.name());
            enc.opt(c.storage.profile().as_ref(), |e, p| e.str(p));
        }
        RelOp::IntoBackend(i) => enc.str(&i.profile),
        // A new operation, so no existing address changes: name, version and arguments.
        RelOp::TableFunction(t) => {
            enc.str(t.func.name());
            enc.u64(u64::from(t.func.version()));
            enc.len(t.args.len());
            for a in &t.args {
                enc.literal(a);
            }
        }
    }
    let inputs = node.inputs();
    enc.len(inputs.len());
    for input in inputs {
        let a = input_address(input).unwrap_or(Address::from_bytes([0; 32]));
        enc.address(&a);
    }
    enc.finish()
}
