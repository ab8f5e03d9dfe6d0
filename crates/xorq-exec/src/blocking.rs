//! Blocking entry points for code that is not async, on one shared runtime.

use std::sync::OnceLock;

use arrow::array::RecordBatch;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use xorq_core::Table;
use xorq_core::profile::Profile;
use xorq_engines::backend::Connectors;

use crate::error::{ExecError, Result};
use crate::params::Params;
use crate::session::Session;

/// The shared multi-threaded runtime, started on first use: for front ends that block on
/// queries (the blocking API here, the Python extension).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ExecError::Runtime(format!("cannot start the async runtime: {e}")))
}

fn outside_async(call: &str) -> Result<&'static tokio::runtime::Runtime> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(ExecError::Blocking(format!(
            "`{call}()` blocks and was called inside an async runtime\nhint: use `Session::new().{call}(&table, &params).await` in async code"
        )));
    }
    runtime()
}

/// Runs `table` to completion on the shared runtime.
pub fn execute(table: &Table, params: &Params) -> Result<Vec<RecordBatch>> {
    outside_async("execute")?.block_on(Session::new().execute(table, params))
}

/// Runs `table` and returns its batches one at a time as they are produced; memory stays bounded
/// by the plan, not by the size of the result.
pub fn execute_stream(table: &Table, params: &Params) -> Result<BatchIter> {
    execute_stream_in(&Session::new(), table, params)
}

/// [`execute_stream`] in `session` (its cache, its DataFusion configuration).
pub fn execute_stream_in(session: &Session, table: &Table, params: &Params) -> Result<BatchIter> {
    let rt = outside_async("execute_stream")?;
    let stream = rt.block_on(session.execute_stream(table, params))?;
    Ok(BatchIter { stream, rt })
}

/// [`Session::pin`] on the shared runtime: `table` with its stored caches pinned, and what
/// happened to each cache node.
pub fn pin_in(
    session: &Session,
    table: &Table,
    params: &Params,
    options: crate::pin::PinOptions,
) -> Result<(Table, Vec<crate::pin::PinReport>)> {
    outside_async("pin")?.block_on(session.pin(table, params, options))
}

/// [`execute_stream_in`] with the expression's unbound inputs bound to `inputs` (read once).
pub fn execute_stream_with_inputs_in(
    session: &Session,
    table: &Table,
    params: &Params,
    inputs: crate::inputs::Inputs,
) -> Result<BatchIter> {
    let rt = outside_async("execute_stream_with_inputs")?;
    let stream = rt.block_on(session.execute_stream_with_inputs(table, params, inputs))?;
    Ok(BatchIter { stream, rt })
}

/// Runs `future` to completion on the shared runtime (for front ends that serve: a Flight
/// server runs on the same runtime as the runs it serves).
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output> {
    Ok(outside_async("block_on")?.block_on(future))
}

/// Connects `profiles` into `session` (see [`Session::connect`]) on the shared runtime.
pub fn connect(session: Session, profiles: &[Profile], connectors: &Connectors) -> Result<Session> {
    outside_async("connect")?.block_on(session.connect(profiles, connectors))
}

/// Runs `table` to completion in `session`.
pub fn execute_in(session: &Session, table: &Table, params: &Params) -> Result<Vec<RecordBatch>> {
    outside_async("execute")?.block_on(session.execute(table, params))
}

/// A blocking iterator over a running expression's batches.
pub struct BatchIter {
    stream: SendableRecordBatchStream,
    rt: &'static tokio::runtime::Runtime,
}

impl BatchIter {
    /// The schema every batch has.
    pub fn schema(&self) -> arrow::datatypes::SchemaRef {
        self.stream.schema()
    }
}

impl Iterator for BatchIter {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.rt.block_on(self.stream.next())?;
        Some(next.map_err(|e| ExecError::datafusion("executing", e)))
    }
}

/// What running `table` in `session` would do, without running it ([`Session::explain`]).
pub fn explain_in(session: &Session, table: &Table, params: &Params) -> Result<crate::explain::RunPlan> {
    outside_async("explain_in")?.block_on(session.explain(table, params))
}
