//! The executor: runs what the planning functions decide (`cache::plan` for cache nodes,
//! `placement` and `segment::sql` for engines), as Arrow streams. Inner cache misses are computed
//! and stored bottom-up, rows move into backends, backend segments run as SQL and stream back,
//! the local part runs in DataFusion, and a miss at the root is stored as its rows stream out.
//!
//! Module layers (no import cycle): `session` (configuration) ← `placement`, `cache::plan`,
//! `segment::sql` (planning, nothing runs) ← `run` (this executor) ← `explain`, `pin`, `blocking`.

pub(crate) mod broadcast;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use futures::StreamExt;
use futures::future::BoxFuture;
use xorq_core::plan::{Node, SourceKind, walk};
use xorq_core::tree::TreeNode;
use xorq_core::{RelOp, Source, Table};
use xorq_engines::backend::{StreamFactory, conform_stream, stream_provider};
use xorq_engines::datafusion::{Lowering, ParamValues};
use xorq_engines::probe;

use crate::cache::Outcome;
use crate::cache::plan::{CachePlan, Decision, Mode, Pending, commit, id, is_ordered, plan_cache, read_pinned};
use crate::cache::store::Lookup;
use crate::cache::tee::TeeStream;
use crate::error::{ExecError, Result};
use crate::inputs::Inputs;
use crate::params::Params;
use crate::placement::{Place, Placement};
use crate::segment::sql::{SegmentSql, segment_sql};
use crate::session::Session;

impl Session {
    /// The unoptimized DataFusion plan of `table` with `params` bound, computing every cache
    /// node's input (cache nodes are resolved only when the expression runs). File sources are
    /// checked first: a file whose columns changed since the expression was built is an error,
    /// not a silent column of nulls.
    pub fn logical_plan(&self, table: &Table, params: &Params) -> Result<LogicalPlan> {
        let values = params.resolve(table)?;
        let (root, _, _) = read_pinned(table.node())?;
        self.lower(&Table::from_node(root), &values, &BTreeSet::new())
    }

    /// Lowers `table`, checking its file sources except the nodes in `skip` (cache entries,
    /// checked when they were looked up).
    pub(crate) fn lower(&self, table: &Table, values: &ParamValues, skip: &BTreeSet<usize>) -> Result<LogicalPlan> {
        let placement = self.placement(table.node(), skip)?;
        self.lower_placed(table.node(), values, skip, &placement)
    }

    /// Lowers the local part of `root`; every backend segment under it becomes a streaming scan.
    pub(crate) fn lower_placed(
        &self,
        root: &Arc<Node>,
        values: &ParamValues,
        skip: &BTreeSet<usize>,
        placement: &Placement,
    ) -> Result<LogicalPlan> {
        verify_sources(root, skip)?;
        let partitions = self.context().state().config().target_partitions();
        let mut lowering = Lowering::new(values, partitions);
        for node in walk::topological(root) {
            if let RelOp::Source(Source { kind: SourceKind::Input(i), .. }) = node.op()
                && let Some(provider) = self.bound().get(&i.name)
            {
                lowering = lowering.with_substitute(node, Arc::clone(provider));
            }
        }
        let mut lowering = substitute_remote_inputs(self, root, placement, values, lowering)?;
        Ok(lowering.lower(root)?)
    }

    /// Runs the graph under `root` wherever its parts live, as one stream.
    pub(crate) async fn stream_node(
        &self,
        root: Arc<Node>,
        values: &ParamValues,
        skip: &BTreeSet<usize>,
        ordered: bool,
    ) -> Result<SendableRecordBatchStream> {
        let placement = self.placement(&root, skip)?;
        if let Place::Remote(profile) = placement.place(&root) {
            return remote_stream(self, root, profile.clone(), values).await;
        }
        let plan = self.lower_placed(&root, values, skip, &placement)?;
        self.stream_plan(plan, ordered).await
    }

    /// Runs a lowered plan as a stream. `ordered`: a scan reads cache entries whose row order
    /// matters, so files are not split across partitions.
    pub(crate) async fn stream_plan(&self, plan: LogicalPlan, ordered: bool) -> Result<SendableRecordBatchStream> {
        let state = if ordered {
            let mut config = self.context().state().config().clone();
            config.options_mut().optimizer.repartition_file_scans = false;
            SessionStateBuilder::new_from_existing(self.context().state()).with_config(config).build()
        } else {
            self.context().state()
        };
        let frame = DataFrame::new(state, plan);
        frame.execute_stream().await.map_err(|e| ExecError::datafusion("executing", e))
    }

    /// Runs `table` and collects every batch.
    pub async fn execute(&self, table: &Table, params: &Params) -> Result<Vec<RecordBatch>> {
        collect(self.execute_stream(table, params).await?).await
    }

    /// Runs `table` with its unbound inputs bound to `inputs` (each stream read once; see
    /// [`Inputs`]) and collects every batch.
    pub async fn execute_with_inputs(
        &self,
        table: &Table,
        params: &Params,
        inputs: Inputs,
    ) -> Result<Vec<RecordBatch>> {
        collect(self.execute_stream_with_inputs(table, params, inputs).await?).await
    }

    /// Runs `table` as a stream with its unbound inputs bound to `inputs`. Every input the
    /// expression reads must be bound, with rows of its schema, and nothing else; a cache node
    /// above an input is computed every run (its rows are never part of a cache key).
    pub async fn execute_stream_with_inputs(
        &self,
        table: &Table,
        params: &Params,
        inputs: Inputs,
    ) -> Result<SendableRecordBatchStream> {
        let declared = table.inputs()?;
        self.with_bound(inputs.into_providers(&declared)?).execute_stream(table, params).await
    }

    /// Runs `table` as a stream of batches (memory bounded by the plan, not the result).
    ///
    /// Cache nodes are resolved first (see [`crate::cache`]): hits are read from their entries,
    /// misses inside the expression are computed and stored, and a miss at the root is stored
    /// while the stream is consumed (only if it is consumed to the end).
    pub async fn execute_stream(&self, table: &Table, params: &Params) -> Result<SendableRecordBatchStream> {
        let values = params.resolve(table)?;
        // Pinned caches read their frozen results: what is under them is neither run nor looked up.
        let (root, pinned, pinned_ordered) = read_pinned(table.node())?;
        for event in pinned {
            self.cache().report(event);
        }
        let mut resolved = resolve(self, &Table::from_node(root), &values).await?;
        broadcast::broadcast(self, &mut resolved, &values).await?;
        let ordered = resolved.ordered || pinned_ordered;
        let stream = self.stream_node(resolved.table.node().clone(), &values, &resolved.entries, ordered).await?;
        Ok(match resolved.root {
            Some(pending) => Box::pin(TeeStream::new(stream, pending, self.cache().clone())),
            None => stream,
        })
    }
}

/// Every batch of `stream`.
async fn collect(mut stream: SendableRecordBatchStream) -> Result<Vec<RecordBatch>> {
    let mut batches = Vec::new();
    while let Some(batch) = stream.next().await {
        batches.push(batch.map_err(|e| ExecError::datafusion("executing", e))?);
    }
    Ok(batches)
}

/// An expression with its cache nodes resolved.
pub(crate) struct Resolved {
    /// What to run: no cache nodes left.
    pub table: Table,
    /// The root's miss, to be stored while its rows stream out.
    pub root: Option<Pending>,
    /// Whether an entry whose row order matters is read (read without splitting files).
    pub ordered: bool,
    /// Nodes that read stored entries (already checked, not probed again), by identity.
    pub entries: BTreeSet<usize>,
    /// Of those, the ones whose entry holds exactly one row (see [`crate::broadcast`]).
    pub single_rows: BTreeSet<usize>,
}

/// Resolves the cache nodes of `table` for `session`: plans them ([`plan_cache`]), reports
/// what each does, then runs the plan bottom-up: hits become reads of their entries, misses
/// inside the expression are computed and stored, a miss at the root is left to be stored as
/// its rows stream out.
pub(crate) async fn resolve(session: &Session, table: &Table, values: &ParamValues) -> Result<Resolved> {
    let cache = session.cache();
    let root = table.node();
    let unchanged = || Resolved {
        table: table.clone(),
        root: None,
        ordered: false,
        entries: BTreeSet::new(),
        single_rows: BTreeSet::new(),
    };
    let all = walk::topological(root);
    if !cache.is_enabled() || !all.iter().any(|n| matches!(n.op(), RelOp::Cache(_))) {
        return Ok(unchanged());
    }
    let CachePlan { mut decisions, needed: seen, events } = plan_cache(cache, root, values, Mode::Run)?;
    for event in events {
        cache.report(event);
    }

    // Bottom-up over what is still needed: hits read their entries, misses are computed.
    let mut out = unchanged();
    let mut rebuilt: BTreeMap<usize, Arc<Node>> = BTreeMap::new();
    let input_of = |rebuilt: &BTreeMap<usize, Arc<Node>>, n: &Arc<Node>| rebuilt.get(&id(n)).cloned();
    for node in all.iter().copied().filter(|n| seen.contains(&id(n))) {
        let new = match (node.op(), decisions.remove(&id(node))) {
            (RelOp::Cache(_), Some(Decision::Hit { source, ordered, rows, .. })) => {
                let read = Node::try_new(RelOp::Source(source))?;
                out.ordered |= ordered;
                out.entries.insert(id(&read));
                if rows == 1 {
                    out.single_rows.insert(id(&read));
                }
                read
            }
            (RelOp::Cache(c), Some(Decision::Miss(pending))) => {
                let input = input_of(&rebuilt, &c.input).ok_or_else(|| internal("cache input"))?;
                if Arc::ptr_eq(node, root) {
                    out.root = Some(*pending);
                    input
                } else {
                    materialize(session, input, values, *pending, &mut out).await?
                }
            }
            _ => Arc::clone(node).map_children(|i| input_of(&rebuilt, &i).ok_or_else(|| internal("input")))?,
        };
        rebuilt.insert(id(node), new);
    }
    out.table = Table::from_node(rebuilt.remove(&id(root)).ok_or_else(|| internal("root"))?);
    Ok(out)
}

fn internal(what: &str) -> ExecError {
    ExecError::Internal(format!("the cache resolution lost a node ({what})"))
}

/// Computes a miss inside the expression into its store, then reads it back from there. If it
/// cannot be stored, the node is computed in place instead.
async fn materialize(
    session: &Session,
    input: Arc<Node>,
    values: &ParamValues,
    pending: Pending,
    out: &mut Resolved,
) -> Result<Arc<Node>> {
    let cache = session.cache();
    let mut stream = session.stream_node(Arc::clone(&input), values, &out.entries, out.ordered).await?;
    let mut writer = match pending.store.writer(&pending.key, stream.schema()) {
        Ok(w) => w,
        Err(e) => {
            cache.report(
                pending
                    .base
                    .event(Outcome::Warning(format!("could not store the result ({e}); computing it in place"))),
            );
            return Ok(input);
        }
    };
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| ExecError::datafusion("executing", e))?;
        if let Err(e) = writer.write(&batch) {
            cache.report(
                pending
                    .base
                    .event(Outcome::Warning(format!("could not store the result ({e}); computing it in place"))),
            );
            return Ok(input);
        }
    }
    let (store, key, base) = (Arc::clone(&pending.store), pending.key.clone(), pending.base.clone());
    let schema = input.schema().clone();
    if !commit(cache, pending, writer) {
        return Ok(input);
    }
    let ordered = is_ordered(&input);
    match store.lookup(&key, &schema)? {
        Lookup::Hit { source, meta } => {
            let read = Node::try_new(RelOp::Source(source))?;
            out.ordered |= ordered;
            out.entries.insert(id(&read));
            if meta.rows == 1 {
                out.single_rows.insert(id(&read));
            }
            Ok(read)
        }
        _ => {
            cache.report(
                base.event(Outcome::Warning("the stored entry could not be read back; computing it in place".into())),
            );
            Ok(input)
        }
    }
}
/// `lowering` with every backend segment that feeds a local node scanned as a stream (started
/// when the plan runs, once per execution).
pub(crate) fn substitute_remote_inputs<'a>(
    session: &Session,
    root: &Arc<Node>,
    placement: &Placement,
    values: &ParamValues,
    mut lowering: Lowering<'a>,
) -> Result<Lowering<'a>> {
    if !placement.any_remote() {
        return Ok(lowering);
    }
    let remote = |n: &Arc<Node>| matches!(placement.place(n), Place::Remote(_));
    let mut done = BTreeSet::new();
    for node in walk::topological_until(root, remote) {
        if remote(node) {
            continue;
        }
        for input in node.op().inputs() {
            if !remote(input) || !done.insert(Arc::as_ptr(input)) {
                continue;
            }
            let Place::Remote(profile) = placement.place(input).clone() else { continue };
            let (session, input_node, values) = (session.clone(), Arc::clone(input), values.clone());
            let factory: StreamFactory = Arc::new(move || {
                let (session, node, values, profile) =
                    (session.clone(), Arc::clone(&input_node), values.clone(), profile.clone());
                Box::pin(async move {
                    remote_stream(&session, node, profile, &values)
                        .await
                        .map_err(|e| DataFusionError::External(Box::new(e)))
                })
            });
            let provider = stream_provider(Arc::new(input.schema().to_arrow()), factory)?;
            lowering = lowering.with_substitute(input, provider);
        }
    }
    Ok(lowering)
}

/// Runs the segment rooted at `node` (placed on the backend `profile`) there. On a cluster, the
/// segment is lowered as for the embedded engine and its plan sent to the scheduler. On a SQL
/// backend, rows moved into it by `.into_backend` are computed (wherever they live) and loaded
/// into temporary tables of one connection, then the segment's SQL runs on that connection and
/// its rows stream back; what the engine's SQL cannot express is refused before any row moves.
pub(crate) fn remote_stream<'a>(
    session: &'a Session,
    node: Arc<Node>,
    profile: String,
    values: &'a ParamValues,
) -> BoxFuture<'a, Result<SendableRecordBatchStream>> {
    Box::pin(async move {
        let backend = session.backend(&profile)?;
        if let Some(cluster) = backend.cluster() {
            let plan = cluster_plan(&node, values, cluster)?;
            tracing::debug!(profile = %profile, url = cluster.url(), "running a part on a cluster");
            // Batches arrive as the IR's types, whatever physical layout the cluster chose
            // (Ballista reads strings as views): exactly what the embedded engine gives.
            let schema = Arc::new(node.schema().to_arrow());
            return Ok(conform_stream(cluster.execute(plan).await?, schema, format!("cluster `{profile}`")));
        }
        let placement = session.placement(&node, &BTreeSet::new())?;
        let SegmentSql { profile, backend, sql, moves } = segment_sql(session, &node, &placement, values)?;
        let mut connection = backend.open().await?;
        for (name, input) in moves {
            let schema = input.schema().clone();
            let rows = session.stream_node(input, values, &BTreeSet::new(), false).await?;
            let count = connection.load(&name, &schema, rows).await?;
            tracing::debug!(profile = %profile, table = %name, rows = count, "moved rows into the backend");
        }
        tracing::debug!(profile = %profile, %sql, "running a segment");
        Ok(connection.query(sql, Arc::new(node.schema().to_arrow())).await?)
    })
}

/// The plan of the cluster segment rooted at `node`: lowered exactly as for the embedded engine
/// (every node under it runs on the cluster, so nothing is substituted), its file sources
/// checked first.
pub(crate) fn cluster_plan(
    node: &Arc<Node>,
    values: &ParamValues,
    cluster: &dyn xorq_engines::backend::Cluster,
) -> Result<LogicalPlan> {
    verify_sources(node, &BTreeSet::new())?;
    Ok(Lowering::new(values, cluster.target_partitions()).lower(node)?)
}

fn verify_sources(root: &Arc<Node>, skip: &BTreeSet<usize>) -> Result<()> {
    for node in walk::topological(root) {
        if skip.contains(&(Arc::as_ptr(node) as usize)) {
            continue;
        }
        if let RelOp::Source(Source { kind: SourceKind::File(file), schema, .. }) = node.op() {
            probe::verify_file(&file.format, &file.location, schema)?;
        }
    }
    Ok(())
}
