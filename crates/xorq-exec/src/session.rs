//! Running expressions on the embedded engine.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::RecordBatch;
use datafusion::dataframe::DataFrame;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;
use xorq_core::plan::{SourceKind, walk};
use xorq_core::{RelOp, Source, Table};
use xorq_engines::datafusion::{Lowering, ParamValues};
use xorq_engines::probe;

use crate::cache::Cache;
use crate::cache::resolve;
use crate::cache::tee::TeeStream;
use crate::error::{ExecError, Result};
use crate::params::Params;

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
}

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
        Session { ctx, cache: Cache::from_env() }
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
        verify_sources(table, skip)?;
        let partitions = self.ctx.state().config().target_partitions();
        Ok(Lowering::new(values, partitions).lower_table(table)?)
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

    /// Runs `table` as a stream of batches (memory bounded by the plan, not the result).
    ///
    /// Cache nodes are resolved first (see [`crate::cache`]): hits are read from their entries,
    /// misses inside the expression are computed and stored, and a miss at the root is stored
    /// while the stream is consumed (only if it is consumed to the end).
    pub async fn execute_stream(&self, table: &Table, params: &Params) -> Result<SendableRecordBatchStream> {
        let values = params.resolve(table)?;
        let resolved = resolve::resolve(self, table, &values).await?;
        let plan = self.lower(&resolved.table, &values, &resolved.entries)?;
        let stream = self.stream_plan(plan, resolved.ordered).await?;
        Ok(match resolved.root {
            Some(pending) => Box::pin(TeeStream::new(stream, pending, self.cache.clone())),
            None => stream,
        })
    }
}

fn verify_sources(table: &Table, skip: &BTreeSet<usize>) -> Result<()> {
    for node in walk::topological(table.node()) {
        if skip.contains(&(Arc::as_ptr(node) as usize)) {
            continue;
        }
        if let RelOp::Source(Source { kind: SourceKind::File(file), schema, .. }) = node.op() {
            probe::verify_file(&file.format, &file.location, schema)?;
        }
    }
    Ok(())
}
