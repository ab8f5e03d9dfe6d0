//! Pinning a table's caches to the results they stored (`xorq pin`): each cache node whose
//! Parquet entry exists becomes a read of that entry's data file (see
//! [`xorq_core::plan::pin`]), so the table runs by reading it instead of deriving it again. With
//! [`PinOptions::materialize`], missing entries are computed and stored first.
//!
//! Pinning only decides; writing a build of the pinned table bundles each frozen file under the
//! hash of its bytes, checked against the hash the cache recorded when it wrote the entry, so a
//! damaged or edited entry is never frozen into a build.
//!
//! ```no_run
//! use xorq_core::{CacheStrategy, Table};
//! use xorq_exec::{Params, Session, cache::Cache, pin::PinOptions};
//! # async fn demo(totals: Table) -> xorq_exec::Result<()> {
//! let session = Session::new().with_cache(Cache::in_dir("/tmp/xorq-cache"));
//! let (pinned, reports) = session.pin(&totals, &Params::new(), PinOptions::default().materialize(true)).await?;
//! for report in &reports {
//!     println!("{report}");
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;

use futures::StreamExt;
use xorq_core::plan::{Cache as CacheNode, FileFormat, Node, pin};
use xorq_core::tree::{Recursion, TreeNode};
use xorq_core::{Address, CacheStorage, CacheStrategy, RelOp, Source, Table};

use crate::cache::event::{MissReason, Outcome, rows_text};
use crate::cache::plan::{Decision, Mode, decide};
use crate::error::{ExecError, Result};
use crate::params::Params;
use crate::session::Session;

/// How [`Session::pin`] treats cache nodes without a stored entry.
#[derive(Clone, Copy, Debug, Default)]
pub struct PinOptions {
    materialize: bool,
}

impl PinOptions {
    /// Compute and store each missing entry before pinning it (`xorq pin -e`); by default a cache
    /// without an entry is left as it is and reported.
    pub fn materialize(mut self, yes: bool) -> Self {
        self.materialize = yes;
        self
    }
}

/// What pinning did for one cache node.
#[derive(Clone, Debug, PartialEq)]
pub struct PinReport {
    /// Input address of the cached expression (what its entries are named by).
    pub address: Address,
    /// Operation at the root of the cached expression.
    pub op: &'static str,
    /// The node's strategy.
    pub strategy: CacheStrategy,
    /// What happened.
    pub outcome: PinOutcome,
}

/// What happened to one cache node.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PinOutcome {
    /// Pinned to its stored entry.
    Pinned {
        /// Rows of the entry.
        rows: u64,
        /// Whether the entry was computed just now (see [`PinOptions::materialize`]).
        materialized: bool,
    },
    /// It was pinned already; its frozen result is kept.
    AlreadyPinned,
    /// Left as it is: nothing is stored for it.
    NotStored(MissReason),
    /// Left as it is: it cannot be pinned (why).
    NotPinnable(String),
}

impl PinOutcome {
    /// Whether the node reads a frozen result after pinning.
    pub fn is_pinned(&self) -> bool {
        matches!(self, PinOutcome::Pinned { .. } | PinOutcome::AlreadyPinned)
    }
}

impl fmt::Display for PinReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cache {} ({}, {}): ", self.address.short(), self.op, self.strategy)?;
        match &self.outcome {
            PinOutcome::Pinned { rows, materialized: false } => write!(f, "pinned its stored {}", rows_text(*rows)),
            PinOutcome::Pinned { rows, materialized: true } => {
                write!(f, "computed, stored and pinned {}", rows_text(*rows))
            }
            PinOutcome::AlreadyPinned => f.write_str("already pinned; kept"),
            PinOutcome::NotStored(why) => write!(f, "not pinned: {why}"),
            PinOutcome::NotPinnable(why) => write!(f, "not pinned: {why}"),
        }
    }
}

impl Session {
    /// `table` with each cache node that has a stored Parquet entry pinned to it, outermost
    /// first (a pinned cache hides the caches under it), and what happened to each cache node
    /// reached. `params` are the values the entries were stored for.
    pub async fn pin(&self, table: &Table, params: &Params, options: PinOptions) -> Result<(Table, Vec<PinReport>)> {
        let cache = self.cache();
        if !cache.is_enabled() {
            return Err(ExecError::Cache(
                "caching is disabled, so there are no stored results to pin\nhint: name the cache directory the results were stored in (`--cache-dir`)".into(),
            ));
        }
        let values = params.resolve(table)?;
        // Decided top-down without running anything; the nodes to pin and their entries.
        let mut reports = Vec::new();
        let mut todo: Vec<Arc<Node>> = Vec::new();
        table.node().apply(|node| {
            let RelOp::Cache(c) = node.op() else { return Ok::<_, ExecError>(Recursion::Continue) };
            let report = |outcome| PinReport {
                address: c.input.address(),
                op: c.input.op().name(),
                strategy: c.strategy,
                outcome,
            };
            if c.frozen.is_some() {
                reports.push(report(PinOutcome::AlreadyPinned));
                return Ok(Recursion::Jump);
            }
            if let Some(why) = not_pinnable(c) {
                reports.push(report(PinOutcome::NotPinnable(why)));
                return Ok(Recursion::Continue);
            }
            todo.push(Arc::clone(node));
            Ok(Recursion::Continue)
        })?;
        // An inner cache under an outer one that gets pinned is not reached by a run: skip it.
        let mut stored: Vec<(Arc<Node>, Source)> = Vec::new();
        for node in todo {
            if stored.iter().any(|(outer, _)| contains(outer, &node)) {
                continue;
            }
            let RelOp::Cache(c) = node.op() else { continue };
            match self.lookup(c, &values).await? {
                Found::Hit { source, rows } => {
                    reports.push(entry_report(c, PinOutcome::Pinned { rows, materialized: false }));
                    stored.push((Arc::clone(&node), source));
                }
                Found::Miss(_) if options.materialize => {
                    self.materialize(&node, params).await?;
                    match self.lookup(c, &values).await? {
                        Found::Hit { source, rows } => {
                            reports.push(entry_report(c, PinOutcome::Pinned { rows, materialized: true }));
                            stored.push((Arc::clone(&node), source));
                        }
                        Found::Miss(why) => {
                            return Err(ExecError::Cache(format!(
                                "cache {} was computed but its entry cannot be read back ({why}); is the cache directory writable?",
                                c.input.address().short()
                            )));
                        }
                    }
                }
                Found::Miss(why) => reports.push(entry_report(c, PinOutcome::NotStored(why))),
            }
        }
        reports.sort_by_key(|r| r.address);
        let pinned = pin::pin_where::<ExecError>(table.node(), |node| {
            Ok(stored
                .iter()
                .find(|(n, _)| Arc::ptr_eq(n, node) || n.address() == node.address())
                .map(|(_, s)| s.clone()))
        })?;
        Ok((Table::from_node(pinned), reports))
    }

    /// The stored entry of `c` as a read named by the hash of its bytes, or why there is none.
    async fn lookup(&self, c: &CacheNode, values: &xorq_engines::datafusion::ParamValues) -> Result<Found> {
        // Keys are computed on the graph as it runs: caches pinned under `c` read their frozen
        // result there.
        let runs = CacheNode { input: pin::frozen_reads(&c.input)?, ..c.clone() };
        let (decision, events) = decide(self.cache(), &runs, values, Mode::Run)?;
        for event in events.iter().filter(|e| e.outcome.is_warning()) {
            self.cache().report(event.clone());
        }
        match decision {
            Decision::Hit { source, blake3: Some(blake3), .. } => {
                let content = Address::from_hex(&blake3).map_err(|_| {
                    ExecError::Cache(format!(
                        "the stored entry of cache {} records `{blake3}` as its checksum, which is not a BLAKE3 hash; remove the entry (`xorq cache`) and run again",
                        c.input.address().short()
                    ))
                })?;
                let rows = events
                    .iter()
                    .find_map(|e| match e.outcome {
                        Outcome::Hit { rows, .. } => Some(rows),
                        _ => None,
                    })
                    .unwrap_or_default();
                let xorq_core::plan::SourceKind::File(file) = &source.kind else {
                    return Err(ExecError::Cache(format!(
                        "the stored entry of cache {} is not a file",
                        c.input.address().short()
                    )));
                };
                let frozen = Source::bundled_file(
                    FileFormat::Parquet,
                    &file.location,
                    content,
                    "",
                    source.schema.as_ref().clone(),
                );
                Ok(Found::Hit { source: Source { name: source.name.clone(), ..frozen }, rows })
            }
            Decision::Hit { .. } => Ok(Found::Miss(MissReason::Damaged(
                "the entry records no checksum of its data (written by an older version); it cannot be frozen safely"
                    .into(),
            ))),
            Decision::Miss(_) => Ok(Found::Miss(
                events
                    .into_iter()
                    .find_map(|e| match e.outcome {
                        Outcome::Miss(why) => Some(why),
                        _ => None,
                    })
                    .unwrap_or(MissReason::NoEntry),
            )),
        }
    }

    /// Runs the cache node `node` to the end, so its entry is stored.
    async fn materialize(&self, node: &Arc<Node>, params: &Params) -> Result<()> {
        let mut stream = self.execute_stream(&Table::from_node(Arc::clone(node)), params).await?;
        while let Some(batch) = stream.next().await {
            batch.map_err(|e| ExecError::datafusion(format!("computing cache {}", node.address().short()), e))?;
        }
        Ok(())
    }
}

enum Found {
    Hit { source: Source, rows: u64 },
    Miss(MissReason),
}

fn entry_report(c: &CacheNode, outcome: PinOutcome) -> PinReport {
    PinReport { address: c.input.address(), op: c.input.op().name(), strategy: c.strategy, outcome }
}

/// Why `c` cannot be pinned, if it cannot.
fn not_pinnable(c: &CacheNode) -> Option<String> {
    if !matches!(c.storage, CacheStorage::Parquet) {
        return Some(format!("its results are kept as {}, not in a Parquet file a build can hold", c.storage));
    }
    let unbound = xorq_core::plan::walk::topological(&c.input)
        .into_iter()
        .any(|n| matches!(n.op(), RelOp::Source(Source { kind: xorq_core::plan::SourceKind::Input(_), .. })));
    unbound.then(|| "it reads unbound inputs, whose rows are bound at run time and never cached".to_string())
}

/// Whether `inner` is a node of the graph under `outer`.
fn contains(outer: &Arc<Node>, inner: &Arc<Node>) -> bool {
    let mut found = false;
    let _ = outer.apply(|n| {
        if Arc::ptr_eq(n, inner) {
            found = true;
            return Ok::<_, ExecError>(Recursion::Stop);
        }
        Ok(Recursion::Continue)
    });
    found
}
