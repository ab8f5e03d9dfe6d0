//! Planning cache nodes: each is looked up top-down (a hit hides everything under it) and
//! decided (hit, miss and why, not reached, not cached), without running anything. The
//! executor (`run.rs`) then rebuilds the graph bottom-up: hits become reads of their entries,
//! misses are computed and stored.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::SystemTime;

use xorq_core::plan::{Cache as CacheNode, walk};
use xorq_core::tree::{Recursion, TreeNode};
use xorq_core::{Node, RelOp, Source};
use xorq_engines::datafusion::ParamValues;

use super::Cache;
use super::event::{CacheEvent, MissReason, Outcome};
use super::key::{self, EntryKey, Token};
use super::store::{CacheStore, Committed, ENTRY_FORMAT, ENTRY_VERSION, EntryMeta, EntryWriter, Lookup};
use crate::error::{ExecError, Result};

/// What a cache event says besides its outcome.
#[derive(Clone)]
pub(crate) struct EventBase {
    node: CacheNode,
    address: xorq_core::Address,
}

impl EventBase {
    pub(crate) fn event(&self, outcome: Outcome) -> CacheEvent {
        CacheEvent {
            address: self.address,
            op: self.node.input.op().name(),
            strategy: self.node.strategy,
            storage: self.node.storage.clone(),
            outcome,
        }
    }
}

/// A miss waiting for its rows.
pub(crate) struct Pending {
    pub store: Arc<dyn CacheStore>,
    pub key: EntryKey,
    pub meta: EntryMeta,
    pub replace: Option<SystemTime>,
    pub base: EventBase,
}

/// What a cache node will do.
pub(crate) enum Decision {
    /// Read the stored entry from `source`.
    Hit {
        source: Source,
        ordered: bool,
        /// The BLAKE3 hash of the entry's data file (what a pin bundles it by), when it has one.
        blake3: Option<String>,
        /// Rows of the entry (from its sidecar).
        rows: u64,
    },
    /// Compute the node's input and store it.
    Miss(Box<Pending>),
}

pub(crate) fn id(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

/// How cache nodes are looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// For a run: a damaged entry is removed, a hit is recorded.
    Run,
    /// For `--explain`: nothing is changed.
    Explain,
}

/// What every cache node of an expression will do, decided top-down without running anything:
/// a hit hides everything under it.
pub(crate) struct CachePlan {
    /// The decision for each cache node looked up, by identity.
    pub decisions: BTreeMap<usize, Decision>,
    /// The nodes still needed (reachable from the root without passing a hit), by identity.
    pub needed: BTreeSet<usize>,
    /// What each cache node will do, in the order they were looked at, then those a hit hides.
    pub events: Vec<CacheEvent>,
}

/// The graph under `root` as it runs: each pinned cache replaced by the read of its frozen
/// result (see [`xorq_core::plan::pin`]); an event for each pinned cache a run reaches; and
/// whether one of them holds rows whose order is part of the result.
pub(crate) fn read_pinned(root: &Arc<Node>) -> Result<(Arc<Node>, Vec<CacheEvent>, bool)> {
    let mut events = Vec::new();
    let mut ordered = false;
    root.apply(|node| {
        let RelOp::Cache(c @ CacheNode { frozen: Some(frozen), .. }) = node.op() else {
            return Ok::<_, ExecError>(Recursion::Continue);
        };
        let named = match frozen.op() {
            RelOp::Source(Source {
                kind:
                    xorq_core::plan::SourceKind::File(xorq_core::plan::FileSource {
                        identity: xorq_core::plan::SourceIdentity::Content { hash, .. },
                        ..
                    }),
                ..
            }) => format!("blake3 {}", hash.short()),
            _ => format!("read {}", frozen.address().short()),
        };
        let base = EventBase { node: c.clone(), address: c.input.address() };
        events.push(base.event(Outcome::Pinned { frozen: named }));
        ordered |= is_ordered(&c.input);
        Ok(Recursion::Jump)
    })?;
    if events.is_empty() {
        return Ok((Arc::clone(root), events, false));
    }
    Ok((xorq_core::plan::pin::frozen_reads(root)?, events, ordered))
}

/// Looks up every cache node of the graph under `root` that a run would reach.
pub(crate) fn plan_cache(cache: &Cache, root: &Arc<Node>, values: &ParamValues, mode: Mode) -> Result<CachePlan> {
    let mut plan = CachePlan { decisions: BTreeMap::new(), needed: BTreeSet::new(), events: Vec::new() };
    // Parents first: a hit's subgraph is not reached, so it is neither looked up nor run.
    root.apply(|node| {
        plan.needed.insert(id(node));
        let RelOp::Cache(c) = node.op() else { return Ok::<_, ExecError>(Recursion::Continue) };
        let base = EventBase { node: c.clone(), address: c.input.address() };
        let inputs = unbound_inputs(&c.input);
        if !inputs.is_empty() {
            // Computed in place every run: the node lowers as its input.
            plan.events.push(base.event(Outcome::Unbound { inputs }));
            return Ok(Recursion::Continue);
        }
        let (decision, events) = decide(cache, c, values, mode)?;
        plan.events.extend(events);
        let hit = matches!(decision, Decision::Hit { .. });
        plan.decisions.insert(id(node), decision);
        Ok(if hit { Recursion::Jump } else { Recursion::Continue })
    })?;
    for node in walk::topological(root) {
        if let RelOp::Cache(c) = node.op()
            && !plan.needed.contains(&id(node))
        {
            let base = EventBase { node: c.clone(), address: c.input.address() };
            plan.events.push(base.event(Outcome::Skipped));
        }
    }
    Ok(plan)
}

/// The unbound inputs read under `node`, sorted.
fn unbound_inputs(node: &Arc<Node>) -> Vec<String> {
    let mut names: Vec<String> = walk::topological(node)
        .into_iter()
        .filter_map(|n| match n.op() {
            RelOp::Source(Source { kind: xorq_core::plan::SourceKind::Input(i), .. }) => Some(i.name.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Looks the cache node `c` up: the decision, and the events that say what it will do.
pub(crate) fn decide(
    cache: &Cache,
    c: &CacheNode,
    values: &ParamValues,
    mode: Mode,
) -> Result<(Decision, Vec<CacheEvent>)> {
    let store = cache.store_for(&c.storage)?;
    let (key, token) = key::key(&c.input, c.strategy.freshness(), values)?;
    let base = EventBase { node: c.clone(), address: key.address };
    let meta = template(&key, &token, c);
    let miss = |replace: Option<SystemTime>| {
        Decision::Miss(Box::new(Pending {
            store: Arc::clone(&store),
            key: key.clone(),
            meta: meta.clone(),
            replace,
            base: base.clone(),
        }))
    };
    let found = match mode {
        Mode::Run => store.lookup(&key, c.input.schema())?,
        Mode::Explain => store.peek(&key, c.input.schema())?,
    };
    match found {
        Lookup::Hit { source, meta: found } => {
            let created = found.created_time();
            let age = created.and_then(|t| t.elapsed().ok());
            if let (Some(ttl), Some(age)) = (c.strategy.ttl(), age)
                && age > ttl
            {
                return Ok((miss(created), vec![base.event(Outcome::Miss(MissReason::Expired { age, ttl }))]));
            }
            if mode == Mode::Run {
                store.record_hit(&key);
            }
            let event =
                base.event(Outcome::Hit { created: created.unwrap_or(SystemTime::UNIX_EPOCH), rows: found.rows });
            // Whether order matters follows from the expression, not from the (editable) sidecar.
            let (blake3, rows) = (found.blake3.clone(), found.rows);
            Ok((Decision::Hit { source, ordered: is_ordered(&c.input), blake3, rows }, vec![event]))
        }
        Lookup::Miss { damaged: Some(why), .. } => {
            let (short, place) = (key.address.short(), store.describe());
            let events = match mode {
                Mode::Run => vec![
                    base.event(Outcome::Warning(format!(
                        "the stored entry {short} in {place} was damaged ({why}); removed it, computing again"
                    ))),
                    base.event(Outcome::Miss(MissReason::Damaged(why))),
                ],
                Mode::Explain => vec![base.event(Outcome::Warning(format!(
                    "the stored entry {short} in {place} is damaged ({why}); a run removes it and computes it again"
                )))],
            };
            Ok((miss(None), events))
        }
        Lookup::Miss { previous, damaged: None } => {
            Ok((miss(None), vec![base.event(Outcome::Miss(explain(&previous, &token)))]))
        }
    }
}

/// Why there is no entry, from the entries written for other tokens.
fn explain(previous: &[EntryMeta], token: &Token) -> MissReason {
    let same_params = previous.iter().filter(|m| m.params == token.params).max_by(|a, b| a.created.cmp(&b.created));
    match same_params {
        Some(m) => {
            let changes = key::changes(&m.sources, &token.sources);
            if changes.is_empty() { MissReason::NoEntry } else { MissReason::SourceChanged { changes } }
        }
        None if !previous.is_empty() && !token.params.is_empty() => {
            MissReason::OtherParams { params: token.params.iter().map(|(k, v)| format!("{k}={v}")).collect() }
        }
        None => MissReason::NoEntry,
    }
}

/// The sidecar of the entry `c` will write (rows, bytes, checksum and time filled in when it is
/// committed).
fn template(key: &EntryKey, token: &Token, c: &CacheNode) -> EntryMeta {
    EntryMeta {
        format: ENTRY_FORMAT.into(),
        version: ENTRY_VERSION,
        key: key.name(),
        address: key.address.hex(),
        strategy: key.freshness.name().into(),
        ttl_secs: c.strategy.ttl_secs(),
        token: key.token.hex(),
        sources: token.sources.clone(),
        params: token.params.clone(),
        schema: c.input.schema().fields().iter().map(|f| format!("{}: {}", f.name, f.dtype)).collect(),
        created: String::new(),
        rows: 0,
        bytes: 0,
        blake3: None,
        root_op: c.input.op().name().into(),
        summary: summary(&c.input),
        ordered: is_ordered(&c.input),
        tool_version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Whether the rows' order is part of the result: a sort, seen through operations that keep
/// the order of their input.
pub(crate) fn is_ordered(node: &Arc<Node>) -> bool {
    let mut node = node;
    loop {
        match node.op() {
            RelOp::Sort(_) => return true,
            RelOp::Filter(_) | RelOp::Project(_) | RelOp::Limit(_) | RelOp::Tag(_) | RelOp::Cache(_) => {
                match node.inputs().first() {
                    Some(input) => node = input,
                    None => return false,
                }
            }
            _ => return false,
        }
    }
}

/// `Sort ← Aggregate ← Filter ← Read sales.parquet`: the operations down the first input.
pub(crate) fn summary(node: &Arc<Node>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut node = node;
    loop {
        match node.op() {
            RelOp::Source(s) => {
                parts.push(format!("Read {}", s.name));
                break;
            }
            op => parts.push(op.name().to_string()),
        }
        match node.inputs().first() {
            Some(input) => node = input,
            None => break,
        }
    }
    let reads: BTreeSet<&str> = walk::topological(node)
        .into_iter()
        .filter_map(|n| match n.op() {
            RelOp::Source(s) => Some(s.name.as_str()),
            _ => None,
        })
        .collect();
    if parts.len() > 5 {
        let last = parts.len() - 1;
        parts.splice(3..last, ["…".to_string()]);
    }
    let mut text = parts.join(" ← ");
    if reads.len() > 1 {
        text.push_str(&format!(" (+{} more sources)", reads.len() - 1));
    }
    text
}

/// Stores what `pending` writes and reports how it went; `false` if nothing was stored.
pub(crate) fn commit(cache: &Cache, pending: Pending, writer: Box<dyn EntryWriter>) -> bool {
    let base = pending.base;
    // A source written while the rows were computed: they may come from either version, and
    // the token names the old one. Not kept; the next run computes from the new one.
    if pending.key.freshness == xorq_core::Freshness::ModificationTime {
        match key::sources_now(&base.node.input, pending.key.freshness) {
            Ok(now) if now == pending.meta.sources => {}
            Ok(now) => {
                let changes = key::changes(&pending.meta.sources, &now).join(", ");
                cache.report(base.event(Outcome::Warning(format!(
                    "not stored: a source changed while it was computed ({changes}); it is computed again next time"
                ))));
                return false;
            }
            Err(e) => {
                cache.report(base.event(Outcome::Warning(format!(
                    "not stored: its sources cannot be checked again ({e}); it is computed again next time"
                ))));
                return false;
            }
        }
    }
    match writer.commit(pending.meta, pending.replace) {
        Ok(Committed::Published(meta)) => {
            cache.report(base.event(Outcome::Stored { rows: meta.rows, bytes: meta.bytes }));
            true
        }
        Ok(Committed::Existing) => {
            cache.report(base.event(Outcome::StoredByAnother));
            true
        }
        Err(e) => {
            cache.report(
                base.event(Outcome::Warning(format!(
                    "could not store the result ({e}); it is computed again next time"
                ))),
            );
            false
        }
    }
}
