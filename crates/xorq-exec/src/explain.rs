//! What a run would do, without running it: `Session::explain` and `xorq run --explain`.
//!
//! The plan is made by the same code a run uses: the cache nodes are planned by
//! [`plan_cache`](crate::cache::resolve) (looking entries up without changing them), the graph is
//! placed on engines by the same placement, each backend segment's SQL is written by the same
//! function that writes it for a run, and the local part is lowered and optimized by
//! DataFusion as a run would. Nothing is executed, no row is read or moved, nothing is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use xorq_core::plan::{Node, RelOp, rewrite, walk};
use xorq_core::{Address, Table};

use crate::cache::CacheEvent;
use crate::cache::plan::{Decision, Mode, id, plan_cache, read_pinned, summary};
use crate::error::{ExecError, Result};
use crate::params::Params;
use crate::placement::Place;
use crate::run::broadcast;
use crate::segment::sql::{SegmentSql, backend_segments, segment_sql};
use crate::session::Session;

/// What a run of an expression would do, stage by stage, in the order a run does it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPlan {
    /// What each cache node will do (hit, miss and why, not reached, not cached).
    pub cache: Vec<CacheEvent>,
    /// The stages.
    pub stages: Vec<Stage>,
}

/// One stage of a run.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Stage {
    /// A cache miss: the node's input is computed and stored (inside the expression: first, then
    /// read back; at the root: while the result streams out).
    Store {
        /// The cached expression's input address (the entry's name).
        address: Address,
        /// A one-line summary of what is computed.
        summary: String,
        /// Whether it is the result itself.
        at_root: bool,
    },
    /// Rows moved into a backend's temporary table before its segment runs.
    Move {
        /// The backend profile.
        profile: String,
        /// The temporary table.
        table: String,
        /// What the rows are.
        summary: String,
    },
    /// A backend segment, run as SQL on its engine.
    Backend {
        /// The backend profile.
        profile: String,
        /// Its engine's SQL dialect.
        dialect: String,
        /// The SQL sent.
        sql: String,
    },
    /// A part sent to a cluster (Ballista) as a DataFusion plan: it reads its sources there and
    /// its rows stream back.
    Cluster {
        /// The cluster's profile.
        profile: String,
        /// The scheduler's address.
        url: String,
        /// DataFusion's optimized logical plan of the part, indented (the scheduler plans its
        /// stages from it).
        plan: String,
    },
    /// A cross join with a one-row side (a stored entry or a frozen result) that runs as
    /// constants: the row is read once and becomes literal columns of the other side, so the
    /// join shown in the local plan is not run.
    Broadcast {
        /// What the one row is.
        summary: String,
    },
    /// The part that runs on the embedded engine: DataFusion's optimized logical plan.
    Local {
        /// The plan, indented.
        plan: String,
    },
}

impl Stage {
    /// The engine the stage runs on (`datafusion`, or a backend profile).
    pub fn engine(&self) -> &str {
        match self {
            Stage::Store { .. } | Stage::Broadcast { .. } | Stage::Local { .. } => "datafusion",
            Stage::Move { profile, .. } | Stage::Backend { profile, .. } | Stage::Cluster { profile, .. } => profile,
        }
    }

    /// A short name of the kind of stage (`store`, `move`, `backend`, `cluster`, `broadcast`,
    /// `local`).
    pub fn kind(&self) -> &'static str {
        match self {
            Stage::Store { .. } => "store",
            Stage::Move { .. } => "move",
            Stage::Backend { .. } => "backend",
            Stage::Cluster { .. } => "cluster",
            Stage::Broadcast { .. } => "broadcast",
            Stage::Local { .. } => "local",
        }
    }
}

impl fmt::Display for RunPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for event in &self.cache {
            writeln!(f, "{event}")?;
        }
        for (i, stage) in self.stages.iter().enumerate() {
            let n = i + 1;
            match stage {
                Stage::Store { address, summary, at_root: false } => {
                    writeln!(f, "stage {n}: compute and store cache entry {} (datafusion): {summary}", address.short())?
                }
                Stage::Store { address, summary, at_root: true } => writeln!(
                    f,
                    "stage {n}: store the result as cache entry {} while it streams out: {summary}",
                    address.short()
                )?,
                Stage::Move { profile, table, summary } => {
                    writeln!(f, "stage {n}: move rows into {profile} as temporary table {table}: {summary}")?
                }
                Stage::Backend { profile, dialect, sql } => {
                    writeln!(f, "stage {n}: run on {profile} ({dialect}):")?;
                    for line in sql.lines() {
                        writeln!(f, "  {line}")?;
                    }
                }
                Stage::Cluster { profile, url, plan } => {
                    writeln!(f, "stage {n}: run on cluster {profile} ({url}), rows streamed back:")?;
                    for line in plan.lines() {
                        writeln!(f, "  {line}")?;
                    }
                }
                Stage::Broadcast { summary } => writeln!(
                    f,
                    "stage {n}: read the one stored row of {summary} and run the cross join with it as constants \
                     (literal columns; the join below is not run)"
                )?,
                Stage::Local { plan } => {
                    writeln!(f, "stage {n}: run on datafusion:")?;
                    for line in plan.lines() {
                        writeln!(f, "  {line}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

impl Session {
    /// What running `table` with `params` would do, without running anything (see
    /// [`RunPlan`]). Unbound inputs need no rows: they are planned as empty tables of their
    /// schema.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use arrow::array::{Int64Array, RecordBatch};
    /// use xorq_core::{col, lit, Table};
    /// use xorq_exec::{Params, Session, explain::Stage};
    ///
    /// let batch = RecordBatch::try_from_iter([("x", Arc::new(Int64Array::from(vec![1, 2])) as _)])?;
    /// let t = Table::memtable(vec![batch])?.filter(col("x").gt(lit(1)))?;
    /// let plan = Session::new().explain(&t, &Params::new()).await?;
    /// assert!(matches!(&plan.stages[..], [Stage::Local { plan }] if plan.contains("Filter")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn explain(&self, table: &Table, params: &Params) -> Result<RunPlan> {
        let values = params.resolve(table)?;
        let mut placeholders: BTreeMap<String, Arc<dyn TableProvider>> = BTreeMap::new();
        for (name, schema) in table.inputs()? {
            let empty = MemTable::try_new(Arc::new(schema.to_arrow()), vec![vec![]])
                .map_err(|e| ExecError::datafusion("planning an unbound input", e))?;
            placeholders.insert(name, Arc::new(empty));
        }
        let session = self.with_bound(placeholders);

        let mut stages = Vec::new();
        let (pinned_root, mut events, _) = read_pinned(table.node())?;
        let table = &Table::from_node(pinned_root);
        let mut root = Arc::clone(table.node());
        let mut entries = BTreeSet::new();
        let mut single_rows = BTreeSet::new();
        let has_cache = walk::topological(table.node()).iter().any(|n| matches!(n.op(), RelOp::Cache(_)));
        if self.cache().is_enabled() && has_cache {
            let plan = plan_cache(self.cache(), table.node(), &values, Mode::Explain)?;
            events.extend(plan.events);
            // Stores bottom-up, as a run computes them.
            for node in walk::topological(table.node()) {
                if let (RelOp::Cache(c), Some(Decision::Miss(pending))) = (node.op(), plan.decisions.get(&id(node))) {
                    stages.push(Stage::Store {
                        address: pending.key.address,
                        summary: summary(&c.input),
                        at_root: Arc::ptr_eq(node, table.node()),
                    });
                }
            }
            // Hits read their entries; everything under them is gone (and undecided, so every
            // read made here stands in the new graph).
            root = rewrite::map_nodes::<ExecError>(table.node(), |n| match plan.decisions.get(&id(n)) {
                Some(Decision::Hit { source, rows, .. }) => {
                    let read = Node::try_new(RelOp::Source(source.clone()))?;
                    entries.insert(id(&read));
                    if *rows == 1 {
                        single_rows.insert(id(&read));
                    }
                    Ok(Some(read))
                }
                _ => Ok(None),
            })?;
        }

        let placement = session.placement(&root, &entries)?;
        let one_row = |n: &Arc<Node>| single_rows.contains(&id(n)) || broadcast::frozen_single_row(n);
        for (join, side) in broadcast::one_row_joins(&root, one_row) {
            if let Some((one, _)) = broadcast::sides(&join, side) {
                stages.push(Stage::Broadcast { summary: summary(one) });
            }
        }
        for (node, profile) in backend_segments(&root, &placement) {
            if let Some(cluster) = session.backend(profile)?.cluster() {
                let plan = crate::run::cluster_plan(node, &values, cluster)?;
                let optimized =
                    session.context().state().optimize(&plan).map_err(|e| ExecError::datafusion("optimizing", e))?;
                stages.push(Stage::Cluster {
                    profile: profile.to_string(),
                    url: cluster.url().to_string(),
                    plan: optimized.display_indent().to_string(),
                });
                continue;
            }
            let SegmentSql { profile, backend, sql, moves } = segment_sql(&session, node, &placement, &values)?;
            for (table, input) in moves {
                stages.push(Stage::Move { profile: profile.clone(), table, summary: summary(&input) });
            }
            stages.push(Stage::Backend { profile, dialect: backend.dialect().to_string(), sql });
        }
        if placement.place(&root) == &Place::Local {
            let plan = session.lower_placed(&root, &values, &entries, &placement)?;
            let optimized =
                session.context().state().optimize(&plan).map_err(|e| ExecError::datafusion("optimizing", e))?;
            stages.push(Stage::Local { plan: optimized.display_indent().to_string() });
        }
        Ok(RunPlan { cache: events, stages })
    }
}
