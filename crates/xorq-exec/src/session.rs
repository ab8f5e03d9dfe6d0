//! Running expressions on the embedded engine.

use arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use xorq_core::plan::{SourceKind, walk};
use xorq_core::{RelOp, Source, Table};
use xorq_engines::datafusion::Lowering;
use xorq_engines::probe;

use crate::error::{ExecError, Result};
use crate::params::Params;

/// A DataFusion session that runs xorq expressions.
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
        Session { ctx }
    }

    /// The DataFusion context.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The unoptimized DataFusion plan of `table` with `params` bound. File sources are checked
    /// first: a file whose columns changed since the expression was built is an error, not a
    /// silent column of nulls.
    pub fn logical_plan(&self, table: &Table, params: &Params) -> Result<LogicalPlan> {
        let values = params.resolve(table)?;
        verify_sources(table)?;
        let partitions = self.ctx.state().config().target_partitions();
        Ok(Lowering::new(&values, partitions).lower_table(table)?)
    }

    /// Runs `table` and collects every batch.
    pub async fn execute(&self, table: &Table, params: &Params) -> Result<Vec<RecordBatch>> {
        let plan = self.logical_plan(table, params)?;
        let frame = self.ctx.execute_logical_plan(plan).await.map_err(|e| ExecError::datafusion("planning", e))?;
        frame.collect().await.map_err(|e| ExecError::datafusion("executing", e))
    }

    /// Runs `table` as a stream of batches (memory bounded by the plan, not the result).
    pub async fn execute_stream(&self, table: &Table, params: &Params) -> Result<SendableRecordBatchStream> {
        let plan = self.logical_plan(table, params)?;
        let frame = self.ctx.execute_logical_plan(plan).await.map_err(|e| ExecError::datafusion("planning", e))?;
        frame.execute_stream().await.map_err(|e| ExecError::datafusion("executing", e))
    }
}

fn verify_sources(table: &Table) -> Result<()> {
    for node in walk::topological(table.node()) {
        if let RelOp::Source(Source { kind: SourceKind::File(file), schema, .. }) = node.op() {
            probe::verify_file(&file.format, &file.location, schema)?;
        }
    }
    Ok(())
}
