//! Blocking entry points for code that is not async, on one shared runtime.

use std::sync::OnceLock;

use arrow::array::RecordBatch;
use xorq_core::Table;

use crate::error::{ExecError, Result};
use crate::params::Params;
use crate::session::Session;

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| ExecError::Runtime(format!("cannot start the async runtime: {e}")))
}

/// Runs `table` to completion on the shared runtime.
pub fn execute(table: &Table, params: &Params) -> Result<Vec<RecordBatch>> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(ExecError::Runtime(
            "`execute()` blocks and was called inside an async runtime\nhint: use `Session::new().execute(&table, &params).await` in async code".into(),
        ));
    }
    let rt = runtime()?;
    rt.block_on(Session::new().execute(table, params))
}
