//! Running expressions on the embedded engine.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use xorq_core::plan::{Node, SourceKind, walk};
use xorq_core::profile::Profile;
use xorq_core::{RelOp, Source, Table};
use xorq_engines::EngineError;
use xorq_engines::backend::{BackendRef, Connectors, LOCAL_KIND};
use xorq_engines::datafusion::{Lowering, ParamValues};
use xorq_engines::probe;

use crate::cache::Cache;
use crate::cache::resolve;
use crate::cache::tee::TeeStream;
use crate::error::{ExecError, Result};
use crate::inputs::Inputs;
use crate::params::Params;
use crate::segment::{Place, Placement, remote_stream, substitute_remote_inputs};

/// A DataFusion session that runs xorq expressions, with a [`Cache`] for their cache nodes
/// (`$XORQ_CACHE_DIR`, else `~/.cache/xorq`, unless [`Session::with_cache`] says otherwise).
///
/// ```no_run
/// # async fn demo(table: xorq_core::Table) -> xorq_exec::Result<()> {
/// use xorq_exec::{Params, Session};
/// let batches = Session::new().execute(&table, &Params::new()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    ctx: SessionContext,
    cache: Cache,
    backends: Arc<BTreeMap<String, BackendRef>>,
    local_profiles: Arc<BTreeSet<String>>,
    /// The tables bound to unbound inputs for one run (empty outside [`Session::execute_stream_with_inputs`]).
    bound: Arc<BTreeMap<String, Arc<dyn TableProvider>>>,
}

/// The name of the embedded engine's own profile in every session, for `.into_backend("local")`.
pub const LOCAL_PROFILE: &str = "local";

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session using every core.
    pub fn new() -> Self {
        let partitions = std::thread::available_parallelism().map_or(1, usize::from);
        Session::from_context(SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions)))
    }

    /// A session over an existing DataFusion context (its configuration and registered objects).
    pub fn from_context(ctx: SessionContext) -> Self {
        Session {
            ctx,
            cache: Cache::from_env(),
            backends: Arc::default(),
            local_profiles: Arc::new(BTreeSet::from([LOCAL_PROFILE.to_string()])),
            bound: Arc::default(),
        }
    }

    /// The same session with `backend` connected under its profile's name: its tables can be
    /// read and rows can be moved into it (a profile of that name is replaced).
    pub fn with_backend(mut self, backend: BackendRef) -> Self {
        Arc::make_mut(&mut self.backends).insert(backend.profile().name().to_string(), backend);
        self
    }

    /// The same session with `profile` naming the embedded engine itself (a `datafusion` profile
    /// of a build): `.into_backend(profile)` streams rows into this session.
    pub fn with_local_profile(mut self, profile: &str) -> Self {
        Arc::make_mut(&mut self.local_profiles).insert(profile.to_string());
        self
    }

    /// The profile of the embedded engine (kind `datafusion`, named [`LOCAL_PROFILE`]).
    pub fn local_profile() -> Profile {
        // A constant name and kind that pass `Profile::new`'s checks.
        Profile::new(LOCAL_PROFILE, LOCAL_KIND).unwrap_or_else(|_| unreachable!("`local` is a valid profile name"))
    }

    /// The profiles of the connected backends and of the embedded engine, for a build's
    /// `profiles.yaml`.
    pub fn profiles(&self) -> Vec<Profile> {
        let mut out: Vec<Profile> = self.backends.values().map(|b| b.profile().clone()).collect();
        out.extend(self.local_profiles.iter().filter_map(|name| Profile::new(name, LOCAL_KIND).ok()));
        out
    }

    /// The same session with each of `profiles` connected: a `datafusion` profile names this
    /// session, any other kind is connected by `connectors`, its `${ENV}` references resolved
    /// from the environment now. This is how a build runs against whatever its profiles
    /// resolve to at run time.
    pub async fn connect(mut self, profiles: &[Profile], connectors: &Connectors) -> Result<Session> {
        for profile in profiles {
            self = if profile.kind() == LOCAL_KIND {
                self.with_local_profile(profile.name())
            } else {
                let backend = connectors.connect(profile).await?;
                self.with_backend(backend)
            };
        }
        Ok(self)
    }

    /// The backend connected as `profile`.
    pub fn backend(&self, profile: &str) -> Result<BackendRef> {
        self.backends.get(profile).cloned().ok_or_else(|| {
            EngineError::Connect {
                profile: profile.to_string(),
                kind: String::new(),
                message: "no backend is connected under this name".into(),
                hint: "\nhint: connect it with `Session::with_backend`".into(),
            }
            .into()
        })
    }

    /// Where each node of the graph under `root` runs.
    pub(crate) fn placement(&self, root: &Arc<Node>) -> Result<Placement> {
        let remote: BTreeSet<&str> = self.backends.keys().map(String::as_str).collect();
        let local: BTreeSet<&str> = self.local_profiles.iter().map(String::as_str).collect();
        Placement::of(root, &remote, &local)
    }

    /// The same session with `cache` for its cache nodes ([`Cache::disabled`] computes them).
    pub fn with_cache(mut self, cache: Cache) -> Self {
        self.cache = cache;
        self
    }

    /// The DataFusion context.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// The unoptimized DataFusion plan of `table` with `params` bound, computing every cache
    /// node's input (cache nodes are resolved only when the expression runs). File sources are
    /// checked first: a file whose columns changed since the expression was built is an error,
    /// not a silent column of nulls.
    pub fn logical_plan(&self, table: &Table, params: &Params) -> Result<LogicalPlan> {
        let values = params.resolve(table)?;
        self.lower(table, &values, &BTreeSet::new())
    }

    /// Lowers `table`, checking its file sources except the nodes in `skip` (cache entries,
    /// checked when they were looked up).
    pub(crate) fn lower(&self, table: &Table, values: &ParamValues, skip: &BTreeSet<usize>) -> Result<LogicalPlan> {
        let placement = self.placement(table.node())?;
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
        let partitions = self.ctx.state().config().target_partitions();
        let mut lowering = Lowering::new(values, partitions);
        for node in walk::topological(root) {
            if let RelOp::Source(Source { kind: SourceKind::Input(i), .. }) = node.op()
                && let Some(provider) = self.bound.get(&i.name)
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
        let placement = self.placement(&root)?;
        if let Place::Remote(_) = placement.place(&root) {
            return remote_stream(self, root, values).await;
        }
        let plan = self.lower_placed(&root, values, skip, &placement)?;
        self.stream_plan(plan, ordered).await
    }

    /// Runs a lowered plan as a stream. `ordered`: a scan reads cache entries whose row order
    /// matters, so files are not split across partitions.
    pub(crate) async fn stream_plan(&self, plan: LogicalPlan, ordered: bool) -> Result<SendableRecordBatchStream> {
        let state = if ordered {
            let mut config = self.ctx.state().config().clone();
            config.options_mut().optimizer.repartition_file_scans = false;
            SessionStateBuilder::new_from_existing(self.ctx.state()).with_config(config).build()
        } else {
            self.ctx.state()
        };
        let frame = DataFrame::new(state, plan);
        frame.execute_stream().await.map_err(|e| ExecError::datafusion("executing", e))
    }

    /// Runs `table` and collects every batch.
    pub async fn execute(&self, table: &Table, params: &Params) -> Result<Vec<RecordBatch>> {
        let mut stream = self.execute_stream(table, params).await?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            batches.push(batch.map_err(|e| ExecError::datafusion("executing", e))?);
        }
        Ok(batches)
    }

    /// The same session with these tables bound to unbound inputs (for one run or explain).
    pub(crate) fn with_bound(&self, bound: BTreeMap<String, Arc<dyn TableProvider>>) -> Session {
        let mut run = self.clone();
        run.bound = Arc::new(bound);
        run
    }

    /// Runs `table` with its unbound inputs bound to `inputs` (each stream read once; see
    /// [`Inputs`]) and collects every batch.
    pub async fn execute_with_inputs(
        &self,
        table: &Table,
        params: &Params,
        inputs: Inputs,
    ) -> Result<Vec<RecordBatch>> {
        let mut stream = self.execute_stream_with_inputs(table, params, inputs).await?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next().await {
            batches.push(batch.map_err(|e| ExecError::datafusion("executing", e))?);
        }
        Ok(batches)
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
        let resolved = resolve::resolve(self, table, &values).await?;
        let stream =
            self.stream_node(resolved.table.node().clone(), &values, &resolved.entries, resolved.ordered).await?;
        Ok(match resolved.root {
            Some(pending) => Box::pin(TeeStream::new(stream, pending, self.cache.clone())),
            None => stream,
        })
    }
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
