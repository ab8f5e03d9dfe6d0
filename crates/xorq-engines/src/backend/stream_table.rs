//! A DataFusion table whose rows are a stream from another engine: how a segment's result, or
//! a `.into_backend()` to the embedded session, enters a DataFusion plan without a temp file or
//! a full collect.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use futures::TryStreamExt;
use futures::future::BoxFuture;

use crate::error::{EngineError, Result};

/// Starts the stream of rows; called once per execution of the plan that scans it. A failure
/// travels through DataFusion as `DataFusionError::External`, so the caller can take its own
/// error type back out.
pub type StreamFactory =
    Arc<dyn Fn() -> BoxFuture<'static, datafusion::error::Result<SendableRecordBatchStream>> + Send + Sync>;

struct FactoryPartition {
    schema: ArrowSchemaRef,
    factory: StreamFactory,
}

impl fmt::Debug for FactoryPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactoryPartition").field("schema", &self.schema).finish_non_exhaustive()
    }
}

impl PartitionStream for FactoryPartition {
    fn schema(&self) -> &ArrowSchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let start = (self.factory)();
        let rows = futures::stream::once(start).try_flatten();
        Box::pin(RecordBatchStreamAdapter::new(self.schema.clone(), rows))
    }
}

/// A single-partition table of `schema` whose scan runs `factory` and streams what it returns.
pub fn stream_provider(schema: ArrowSchemaRef, factory: StreamFactory) -> Result<Arc<dyn TableProvider>> {
    let partition: Arc<dyn PartitionStream> = Arc::new(FactoryPartition { schema: schema.clone(), factory });
    let table = StreamingTable::try_new(schema, vec![partition])
        .map_err(|e| EngineError::datafusion("streaming rows from another engine", e))?;
    Ok(Arc::new(table))
}
