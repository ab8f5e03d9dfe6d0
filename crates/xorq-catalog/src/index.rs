//! The node index, `.git/xorq-node-index.json` ([`NODE_INDEX_FILE`]): for every entry, its
//! root's computation address and the input address of every node of its graph, and for every
//! node its operation, one-line description, output columns and the size of its subgraph. `find`
//! searches it instead of loading every entry.
//!
//! It is derived from the entries, so it is not committed (pulls and merges never conflict on
//! it) and is never trusted blindly: every read compares it with the entries, indexes the
//! entries it lacks (new since it was written, pulled, or in a fresh clone), drops the entries
//! that are gone, and rebuilds it whole when it is absent, cannot be parsed, is inconsistent, or
//! was written by another version of xorq-rs or in another format. So it never gives a stale
//! answer; at worst a read does the indexing again. `add` and `remove` update it under the
//! writers' lock, `check` rebuilds it from scratch. It is written atomically (a temporary file
//! renamed over it); a reader writes what it repaired only when the writers' lock is free.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use xorq_build::fsutil::replace_file;
use xorq_build::metadata::{ColumnMeta, columns};
use xorq_core::plan::display::describe;
use xorq_core::plan::walk::topological;
use xorq_core::{Address, Node, RelOp, Table};

use crate::catalog::Catalog;
use crate::check::Finding;
use crate::error::{CatalogError, Result};
use crate::layout::{NODE_INDEX_FILE, entry_path, is_full_address};
use crate::lock::WriteLock;

/// The format of the index file this crate writes and reads (another is rebuilt).
pub(crate) const INDEX_FORMAT: u32 = 1;

/// Who wrote an index: an index written by another version is rebuilt (descriptions and
/// addresses may differ between versions).
fn writer() -> String {
    format!("xorq-rs {}", env!("CARGO_PKG_VERSION"))
}

/// The index file's contents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NodeIndex {
    /// [`INDEX_FORMAT`].
    pub format: u32,
    /// [`writer`].
    pub writer: String,
    /// Every node of an indexed entry, described once however many entries have it, in
    /// address order (as written); entries name them by position.
    pub nodes: Vec<IndexedNode>,
    /// Every indexed entry, by its full address.
    pub entries: BTreeMap<String, IndexedEntry>,
    /// The position of each node in `nodes`, by address (made when the index is read).
    #[serde(skip)]
    positions: HashMap<String, u32>,
}

/// One entry of the index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexedEntry {
    /// The computation address of its root (sources by reference).
    pub computation_address: String,
    /// Every node of its graph (positions in [`NodeIndex::nodes`]), inputs before the nodes
    /// that use them, the root (the entry's own node) last.
    pub nodes: Vec<u32>,
}

/// One node of the index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexedNode {
    /// Its input address (64 hex).
    pub address: String,
    /// Its operation (`Read`, `Filter`, `Aggregate`, …).
    pub op: String,
    /// One line saying what it does (`Filter [c81f2e0a9b11] (amount > 100)`).
    pub description: String,
    /// Its output columns.
    pub columns: Vec<ColumnMeta>,
    /// Nodes in its subgraph, itself included.
    pub size: usize,
    /// For a cache node, the input address its results are stored under.
    pub cache_of: Option<String>,
}

/// What reading the index file gave.
#[derive(Debug)]
pub(crate) enum Stored {
    /// There is none (a fresh clone, or never searched).
    Absent,
    /// A well-formed index of this format and writer.
    Usable(NodeIndex),
    /// One written by another version of xorq-rs or in another format (rebuilt: routine after
    /// an upgrade), and by whom.
    Foreign(String),
    /// One that cannot be parsed or is inconsistent (rebuilt), and what is wrong.
    Damaged(String),
}

/// The first fields of the file, read before the rest (whose shape depends on them).
#[derive(Deserialize)]
struct Header {
    format: Option<u32>,
    writer: Option<String>,
}

impl Stored {
    /// Reads the index file at `path`. Never an error: what cannot be used is rebuilt.
    pub(crate) fn read(path: &Path) -> Stored {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Stored::Absent,
            Err(e) => return Stored::Damaged(format!("cannot be read ({e})")),
        };
        let parsed = serde_json::from_slice::<NodeIndex>(&bytes);
        // Who wrote it decides first: another format need not parse as this one.
        let (format, written_by) = match &parsed {
            Ok(index) => (Some(index.format), Some(index.writer.clone())),
            Err(_) => match serde_json::from_slice::<Header>(&bytes) {
                Ok(header) => (header.format, header.writer),
                Err(e) => return Stored::Damaged(format!("is not a JSON object ({e})")),
            },
        };
        if format != Some(INDEX_FORMAT) || written_by.as_deref() != Some(writer().as_str()) {
            let format = format.map_or_else(|| "no format".to_string(), |f| format!("format {f}"));
            let written_by = written_by.unwrap_or_else(|| "an unknown writer".into());
            return Stored::Foreign(format!(
                "was written by {written_by} in {format}, not by this {} in format {INDEX_FORMAT}",
                writer()
            ));
        }
        let mut index = match parsed {
            Ok(index) => index,
            Err(e) => return Stored::Damaged(format!("is malformed ({e})")),
        };
        match index.inconsistency() {
            Some(why) => Stored::Damaged(format!("is inconsistent ({why})")),
            None => Stored::Usable(index),
        }
    }
}

impl NodeIndex {
    /// An empty index.
    pub(crate) fn new() -> NodeIndex {
        NodeIndex {
            format: INDEX_FORMAT,
            writer: writer(),
            nodes: Vec::new(),
            entries: BTreeMap::new(),
            positions: HashMap::new(),
        }
    }

    /// The position of the node `address`, if an indexed entry has it.
    pub(crate) fn position(&self, address: &str) -> Option<u32> {
        self.positions.get(address).copied()
    }

    /// The node at `position`.
    pub(crate) fn node(&self, position: u32) -> Option<&IndexedNode> {
        self.nodes.get(position as usize)
    }

    /// What makes this index unusable, if anything: a name that is not an address, a node
    /// described twice, a position out of range, an entry whose last node is not itself. Makes
    /// the positions by address on the way.
    fn inconsistency(&mut self) -> Option<String> {
        self.positions.clear();
        for (i, node) in self.nodes.iter().enumerate() {
            if !is_full_address(&node.address) {
                return Some(format!("node `{}` is not a 64-hex address", node.address));
            }
            let Ok(position) = u32::try_from(i) else { return Some("too many nodes".into()) };
            if self.positions.insert(node.address.clone(), position).is_some() {
                return Some(format!("node {} is described twice", short(&node.address)));
            }
        }
        for (address, entry) in &self.entries {
            if !is_full_address(address) {
                return Some(format!("entry `{address}` is not a 64-hex address"));
            }
            if entry.nodes.iter().any(|&n| self.node(n).is_none()) {
                return Some(format!("entry {} names a node that is not described", short(address)));
            }
            if entry.nodes.last().and_then(|&n| self.node(n)).map(|n| &n.address) != Some(address) {
                return Some(format!("entry {} does not end with its own node", short(address)));
            }
        }
        None
    }

    /// Indexes the entry whose expression is `table` (under its address), replacing what was
    /// indexed for it.
    pub(crate) fn insert(&mut self, table: &Table) {
        let order = topological(table.node());
        let (distinct, sizes) = subgraph_sizes(&order);
        let mut list = Vec::with_capacity(distinct.len());
        for (node, size) in distinct.into_iter().zip(sizes) {
            let hex = node.address().hex();
            let position = match self.positions.get(&hex) {
                Some(&position) => position,
                None => {
                    // Positions are u32 in the file; four billion distinct nodes are not indexed.
                    let Ok(position) = u32::try_from(self.nodes.len()) else { return };
                    self.nodes.push(IndexedNode {
                        address: hex.clone(),
                        op: node.op().name().to_string(),
                        description: describe(node),
                        columns: columns(node.schema()),
                        size,
                        cache_of: match node.op() {
                            RelOp::Cache(c) => Some(c.input.address().hex()),
                            _ => None,
                        },
                    });
                    self.positions.insert(hex, position);
                    position
                }
            };
            list.push(position);
        }
        // The root is last in a topological walk, and its address is unique in its graph.
        let computation_address = table.computation_address().hex();
        self.entries.insert(table.address().hex(), IndexedEntry { computation_address, nodes: list });
    }

    /// Forgets the nodes no indexed entry has, and puts the rest in address order (so an
    /// index is written the same however it came about).
    pub(crate) fn collect_garbage(&mut self) {
        let mut used = vec![false; self.nodes.len()];
        for &n in self.entries.values().flat_map(|e| &e.nodes) {
            if let Some(u) = used.get_mut(n as usize) {
                *u = true;
            }
        }
        let mut kept: Vec<(usize, IndexedNode)> =
            std::mem::take(&mut self.nodes).into_iter().enumerate().filter(|(i, _)| used[*i]).collect();
        kept.sort_by(|a, b| a.1.address.cmp(&b.1.address));
        let mut renumbered = vec![0u32; used.len()];
        self.positions.clear();
        for (new, (old, node)) in kept.into_iter().enumerate() {
            // At most as many as before, which fitted.
            let new = u32::try_from(new).unwrap_or(u32::MAX);
            renumbered[old] = new;
            self.positions.insert(node.address.clone(), new);
            self.nodes.push(node);
        }
        for entry in self.entries.values_mut() {
            for n in &mut entry.nodes {
                *n = renumbered.get(*n as usize).copied().unwrap_or(u32::MAX);
            }
        }
    }

    /// The nodes of `entry`, as this index describes them.
    fn nodes_of<'a>(&'a self, entry: &'a IndexedEntry) -> impl Iterator<Item = Option<&'a IndexedNode>> + 'a {
        entry.nodes.iter().map(|&n| self.node(n))
    }

    /// Writes the index to `path`, atomically.
    pub(crate) fn write(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec(self)
            .map_err(|e| CatalogError::Internal(format!("the node index cannot be written as JSON: {e}")))?;
        Ok(replace_file(path, &bytes)?)
    }
}

/// The distinct nodes of `order` (one per address, in the order of `order`, so inputs first)
/// and the number of distinct nodes in each one's subgraph, itself included.
fn subgraph_sizes<'n>(order: &[&'n Arc<Node>]) -> (Vec<&'n Arc<Node>>, Vec<usize>) {
    let mut ids: HashMap<Address, usize> = HashMap::new();
    let mut distinct = Vec::new();
    for node in order {
        ids.entry(node.address()).or_insert_with(|| {
            distinct.push(*node);
            distinct.len() - 1
        });
    }
    // One bit per distinct node: a node's subgraph is itself and its inputs' subgraphs.
    let words = distinct.len().div_ceil(64);
    let mut bits: Vec<Vec<u64>> = Vec::with_capacity(distinct.len());
    for (i, node) in distinct.iter().enumerate() {
        let mut set = vec![0u64; words];
        set[i / 64] |= 1 << (i % 64);
        for input in node.inputs() {
            // Inputs come first in a topological walk, so their sets are made already.
            if let Some(input_set) = ids.get(&input.address()).and_then(|j| bits.get(*j)) {
                for (word, theirs) in set.iter_mut().zip(input_set) {
                    *word |= theirs;
                }
            }
        }
        bits.push(set);
    }
    let sizes = bits.iter().map(|set| set.iter().map(|w| w.count_ones() as usize).sum()).collect();
    (distinct, sizes)
}

fn short(address: &str) -> &str {
    address.get(..12).unwrap_or(address)
}

/// How `find` used the index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IndexUse {
    /// Entries the index holds (after any repair): the entries searched.
    pub entries: usize,
    /// Entries indexed by this search (the index lacked them: added by a pull, in a fresh
    /// clone, or the whole index was rebuilt).
    pub indexed: usize,
    /// Entries dropped from the index (no longer in the catalog).
    pub dropped: usize,
    /// Why the whole index was rebuilt, if it was.
    pub rebuilt: Option<String>,
    /// Entries that could not be read, so were not searched, and why (`check` says more).
    pub unreadable: Vec<Finding>,
}

impl Catalog {
    /// `.git/xorq-node-index.json`.
    pub(crate) fn index_path(&self) -> PathBuf {
        self.root.join(".git").join(NODE_INDEX_FILE)
    }

    /// The node index, made to agree with the entries first (see the module documentation).
    pub(crate) fn current_index(&self) -> Result<(NodeIndex, IndexUse)> {
        let addresses = self.addresses()?;
        let mut used = IndexUse::default();
        let mut index = match Stored::read(&self.index_path()) {
            Stored::Usable(index) => index,
            Stored::Absent => {
                used.rebuilt = Some("there was none".into());
                NodeIndex::new()
            }
            Stored::Foreign(why) | Stored::Damaged(why) => {
                used.rebuilt = Some(format!("it {why}"));
                NodeIndex::new()
            }
        };
        let wanted: BTreeSet<&String> = addresses.iter().collect();
        let gone: Vec<String> = index.entries.keys().filter(|a| !wanted.contains(a)).cloned().collect();
        for address in &gone {
            index.entries.remove(address);
        }
        used.dropped = gone.len();
        let missing: Vec<&String> = addresses.iter().filter(|a| !index.entries.contains_key(*a)).collect();
        for address in missing {
            let unreadable = |message: String| Finding { path: entry_path(address), message };
            match xorq_build::load(&self.root.join(entry_path(address))) {
                Ok(build) if build.metadata.address == *address => {
                    index.insert(&build.table);
                    used.indexed += 1;
                }
                Ok(build) => used.unreadable.push(unreadable(format!(
                    "its expr.yaml has the address {}, not the one it is filed under; `xorq catalog check` tells more",
                    short(&build.metadata.address)
                ))),
                Err(e) => used.unreadable.push(unreadable(e.to_string())),
            }
        }
        used.entries = index.entries.len();
        if used.rebuilt.is_some() || used.dropped > 0 || used.indexed > 0 {
            index.collect_garbage();
            // Only when no writer is busy; otherwise the next read repairs it again.
            if let Some(_lock) = WriteLock::try_acquire(&self.git) {
                let _ = index.write(&self.index_path());
            }
        }
        Ok((index, used))
    }

    /// After `add` committed the entry of `table` (under the writers' lock): indexes it. Best
    /// effort: an index that cannot be written is repaired by the next read.
    pub(crate) fn index_added(&self, table: &Table) {
        let path = self.index_path();
        let mut index = match Stored::read(&path) {
            Stored::Usable(index) => index,
            Stored::Absent | Stored::Foreign(_) | Stored::Damaged(_) => NodeIndex::new(),
        };
        index.insert(table);
        index.collect_garbage();
        let _ = index.write(&path);
    }

    /// After `remove` committed (under the writers' lock): forgets `addresses`. Best effort.
    pub(crate) fn index_removed(&self, addresses: &[String]) {
        let path = self.index_path();
        // An absent or unusable index is rebuilt by the next read anyway.
        let Stored::Usable(mut index) = Stored::read(&path) else { return };
        for address in addresses {
            index.entries.remove(address);
        }
        index.collect_garbage();
        let _ = index.write(&path);
    }

    /// For `check`: the index rebuilt from the expressions of the entries it loaded, written
    /// when no writer is busy. A warning when the old index was damaged: unreadable,
    /// inconsistent, or holding an entry's nodes otherwise than the entry has them. An index
    /// merely behind (entries a pull or a clone brought, entries removed since, an index of
    /// another version) is routine, since reads repair it, and is rebuilt without a word.
    pub(crate) fn rebuild_index(&self, loaded: &[Table]) -> Option<Finding> {
        let mut index = NodeIndex::new();
        for table in loaded {
            index.insert(table);
        }
        index.collect_garbage();
        let path = self.index_path();
        let damage = match Stored::read(&path) {
            Stored::Absent | Stored::Foreign(_) => None,
            Stored::Damaged(why) => Some(format!("it {why}")),
            Stored::Usable(old) => {
                let wrong: Vec<&str> = index
                    .entries
                    .iter()
                    .filter(|(a, e)| {
                        old.entries.get(*a).is_some_and(|o| {
                            o.computation_address != e.computation_address || !old.nodes_of(o).eq(index.nodes_of(e))
                        })
                    })
                    .map(|(a, _)| short(a))
                    .collect();
                (!wrong.is_empty())
                    .then(|| format!("it held the nodes of {} otherwise than the entries have them", wrong.join(", ")))
            }
        };
        // A catalog that cannot be written (a read-only clone), or a writer at work: the next
        // `find` repairs the index instead.
        let written = WriteLock::try_acquire(&self.git).map(|_lock| index.write(&path));
        let damage = damage?;
        Some(Finding {
            path: format!(".git/{NODE_INDEX_FILE}"),
            message: match written {
                Some(Ok(())) => format!("the node index was damaged ({damage}); rebuilt"),
                _ => format!("the node index is damaged ({damage}); `xorq catalog find` rebuilds it when it can"),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_cannot_be_used_is_said_and_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(NODE_INDEX_FILE);
        assert!(matches!(Stored::read(&path), Stored::Absent));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(Stored::read(&path), Stored::Damaged(w) if w.contains("not a JSON object")));
        std::fs::write(&path, br#"{"format": 99, "writer": "xorq-rs 0.0.0"}"#).unwrap();
        assert!(matches!(Stored::read(&path), Stored::Foreign(w) if w.contains("format 99")));
        let mut index = NodeIndex::new();
        index.write(&path).unwrap();
        assert!(matches!(Stored::read(&path), Stored::Usable(i) if i == index));
        let a = "a".repeat(64);
        index.entries.insert(a.clone(), IndexedEntry { computation_address: a.clone(), nodes: vec![0] });
        index.write(&path).unwrap();
        assert!(matches!(Stored::read(&path), Stored::Damaged(w) if w.contains("not described")));
    }
}
