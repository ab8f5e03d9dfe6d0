//! `find`: the entries that compute what a new expression computes, or part of it, found by the
//! input addresses of their nodes (SPEC §2: a node's address names its whole subgraph, so equal
//! addresses are equal computations over equal data). Searched in the node index
//! ([`crate::layout::NODE_INDEX_FILE`]), so a search loads no entry that the index holds.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use xorq_build::metadata::ColumnMeta;
use xorq_core::Table;
use xorq_core::plan::walk::topological;

use crate::catalog::{AliasPointer, Catalog};
use crate::error::Result;
use crate::index::{IndexUse, IndexedNode, NodeIndex};

/// How an entry matches the expression searched for, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The entry is the expression: the same input address.
    Same,
    /// The same computation over another snapshot of its data: the same computation address
    /// (sources by reference), another input address.
    SameComputation,
    /// The entry and the expression share a subgraph that computes something (not only a read
    /// of a source).
    SharesSubgraph,
    /// They share only reads of sources ("who else reads this file").
    SharesSource,
}

impl MatchKind {
    /// `same`, `same_computation`, `shares_subgraph`, `shares_source` (as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            MatchKind::Same => "same",
            MatchKind::SameComputation => "same_computation",
            MatchKind::SharesSubgraph => "shares_subgraph",
            MatchKind::SharesSource => "shares_source",
        }
    }
}

/// A node the expression searched for and an entry both have, with nothing above it shared: the
/// top of a shared subgraph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SharedNode {
    /// Its input address (64 hex).
    pub address: String,
    /// Its operation (`Read`, `Filter`, `Aggregate`, …).
    pub op: String,
    /// One line saying what it does, with its short address.
    pub description: String,
    /// Its output columns.
    pub columns: Vec<ColumnMeta>,
    /// Nodes in its subgraph, itself included: how much computation is shared.
    pub nodes: usize,
    /// It is the entry's root: the whole entry is part of the expression.
    pub whole_entry: bool,
    /// It is the expression's root: the whole expression is part of the entry.
    pub whole_query: bool,
    /// The address a cache stores this node's result under: for a cache node, its input's
    /// address; otherwise its own (`xorq run-cached` stores a whole result under its root's).
    pub cache_key: String,
    /// Whether a result is stored under [`SharedNode::cache_key`] by design: a cache node, or
    /// the entry's whole result (`xorq catalog run-cached`).
    pub cache_point: bool,
}

/// One entry that matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindMatch {
    /// How it matches.
    pub kind: MatchKind,
    /// The entry's full address.
    pub address: String,
    /// Alias revisions that point to it.
    pub aliases: Vec<AliasPointer>,
    /// The tops of the subgraphs it shares with the expression, largest first (for
    /// [`MatchKind::Same`], the root alone).
    pub shared: Vec<SharedNode>,
}

impl FindMatch {
    /// Nodes in the largest shared subgraph.
    pub fn largest(&self) -> usize {
        self.shared.iter().map(|s| s.nodes).max().unwrap_or(0)
    }
}

/// The expression searched for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuerySummary {
    /// Its input address.
    pub address: String,
    /// Its computation address.
    pub computation_address: String,
    /// Its distinct nodes.
    pub nodes: usize,
}

/// What `find` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FindReport {
    /// The expression searched for.
    pub query: QuerySummary,
    /// The matching entries, best first: the same entry, then the same computation over other
    /// data, then shared subgraphs by the size of the largest, then shared reads of sources;
    /// ties by alias, then address.
    pub matches: Vec<FindMatch>,
    /// How the node index was used (and repaired).
    pub index: IndexUse,
}

impl Catalog {
    /// The entries that compute `query`, the same computation over other data, or a part of it
    /// (see [`FindReport::matches`] for the order). The node index is brought up to date first
    /// (entries it lacks are loaded and indexed), so the answer is never stale.
    ///
    /// ```no_run
    /// let catalog = xorq_catalog::Catalog::open("my-catalog".as_ref())?;
    /// let new = xorq_build::load("builds/7d0c1f5e2a4b".as_ref())?;
    /// for m in catalog.find(&new.table)?.matches {
    ///     let top = &m.shared[0];
    ///     println!("{} {}: {} ({} nodes)", &m.address[..12], m.kind.name(), top.description, top.nodes);
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find(&self, query: &Table) -> Result<FindReport> {
        let (index, used) = self.current_index()?;
        let query_graph = QueryGraph::of(query);
        let mut aliases: BTreeMap<String, Vec<AliasPointer>> = BTreeMap::new();
        for (alias, file) in self.alias_files()? {
            let latest = file.latest().map(|r| r.revision);
            for r in &file.revisions {
                aliases.entry(r.address.clone()).or_default().push(AliasPointer {
                    alias: alias.clone(),
                    revision: r.revision,
                    latest: Some(r.revision) == latest,
                });
            }
        }
        let mut matches = matches(&index, &query_graph);
        for m in &mut matches {
            let mut pointers = aliases.remove(&m.address).unwrap_or_default();
            pointers.sort_by(|a, b| b.latest.cmp(&a.latest).then_with(|| a.alias.cmp(&b.alias)));
            m.aliases = pointers;
        }
        matches.sort_by(|a, b| {
            a.kind
                .cmp(&b.kind)
                .then_with(|| b.largest().cmp(&a.largest()))
                .then_with(|| sort_name(a).cmp(sort_name(b)))
                .then_with(|| a.address.cmp(&b.address))
        });
        let query = QuerySummary {
            address: query_graph.root.clone(),
            computation_address: query.computation_address().hex(),
            nodes: query_graph.nodes.len(),
        };
        Ok(FindReport { query, matches, index: used })
    }
}

/// The name an entry is ordered by: its first alias whose latest revision it is, else its
/// address.
fn sort_name(m: &FindMatch) -> &str {
    m.aliases.iter().find(|p| p.latest).map_or(m.address.as_str(), |p| p.alias.as_str())
}

/// The expression searched for: its distinct node addresses and who uses each.
struct QueryGraph {
    /// Node addresses (64 hex), inputs first, the root last.
    nodes: Vec<String>,
    /// Position of each address in `nodes`.
    position: HashMap<String, usize>,
    /// For each node, the positions of the nodes that use it.
    parents: Vec<Vec<usize>>,
    /// The root's address.
    root: String,
    /// The root's computation address.
    computation: String,
}

impl QueryGraph {
    fn of(table: &Table) -> QueryGraph {
        let order = topological(table.node());
        let mut nodes = Vec::new();
        let mut position: HashMap<String, usize> = HashMap::new();
        let mut parents: Vec<Vec<usize>> = Vec::new();
        for node in &order {
            let hex = node.address().hex();
            if position.contains_key(&hex) {
                continue;
            }
            let at = nodes.len();
            position.insert(hex.clone(), at);
            nodes.push(hex);
            parents.push(Vec::new());
            for input in node.inputs() {
                // Inputs come first in a topological walk.
                if let Some(&i) = position.get(&input.address().hex())
                    && !parents[i].contains(&at)
                {
                    parents[i].push(at);
                }
            }
        }
        let root = table.address().hex();
        QueryGraph { nodes, position, parents, root, computation: table.computation_address().hex() }
    }
}

/// Every entry of `index` that matches `query`, unordered, without aliases.
fn matches(index: &NodeIndex, query: &QueryGraph) -> Vec<FindMatch> {
    // The query's nodes by their position in the index (those no entry has are left out): one
    // array lookup per node of every entry finds what each shares.
    let mut in_query: Vec<Option<usize>> = vec![None; index.nodes.len()];
    for (i, node) in query.nodes.iter().enumerate() {
        if let Some(slot) = index.position(node).and_then(|p| in_query.get_mut(p as usize)) {
            *slot = Some(i);
        }
    }
    let mut out = Vec::new();
    for (address, entry) in &index.entries {
        let have: Vec<usize> =
            entry.nodes.iter().filter_map(|&n| in_query.get(n as usize).copied().flatten()).collect();
        let kind = if *address == query.root {
            MatchKind::Same
        } else if entry.computation_address == query.computation {
            MatchKind::SameComputation
        } else if have.is_empty() {
            continue;
        } else {
            MatchKind::SharesSubgraph
        };
        let tops: Vec<usize> = if kind == MatchKind::Same {
            query.position.get(&query.root).copied().into_iter().collect()
        } else {
            // A shared node is a top when nothing that uses it in the query is shared too.
            let mut is_shared = vec![false; query.nodes.len()];
            for &i in &have {
                is_shared[i] = true;
            }
            have.iter().copied().filter(|&i| !query.parents[i].iter().any(|&p| is_shared[p])).collect()
        };
        let mut nodes: Vec<SharedNode> = tops
            .into_iter()
            .filter_map(|i| {
                let node = index.position(&query.nodes[i]).and_then(|p| index.node(p))?;
                Some(shared_node(node, address, &query.root))
            })
            .collect();
        nodes.sort_by(|a, b| b.nodes.cmp(&a.nodes).then_with(|| a.address.cmp(&b.address)));
        let kind = match kind {
            // `Read` is the operation of every source (`RelOp::Source`).
            MatchKind::SharesSubgraph if nodes.iter().all(|n| n.op == "Read") => MatchKind::SharesSource,
            other => other,
        };
        out.push(FindMatch { kind, address: address.clone(), aliases: Vec::new(), shared: nodes });
    }
    out
}

fn shared_node(node: &IndexedNode, entry: &str, root: &str) -> SharedNode {
    let address = node.address.as_str();
    let whole_entry = address == entry;
    SharedNode {
        address: address.to_string(),
        op: node.op.clone(),
        description: node.description.clone(),
        columns: node.columns.clone(),
        nodes: node.size,
        whole_entry,
        whole_query: address == root,
        cache_key: node.cache_of.clone().unwrap_or_else(|| address.to_string()),
        cache_point: node.cache_of.is_some() || whole_entry,
    }
}
