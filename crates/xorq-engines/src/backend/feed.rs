//! A bounded channel from a thread that produces batches (an embedded engine's cursor) to an
//! async stream: the producer blocks once `capacity` batches wait, so memory stays bounded by
//! the consumer's pace, and a dropped stream stops the producer at its next send.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use tokio::sync::mpsc;

/// The producing end of [`batch_channel`].
#[derive(Debug)]
pub struct BatchSender {
    tx: mpsc::Sender<Result<RecordBatch, DataFusionError>>,
}

impl BatchSender {
    /// Sends a batch or an error, waiting while the channel is full. `false` when the stream was
    /// dropped: the producer should stop (a cancelled query).
    pub fn send(&self, item: Result<RecordBatch, DataFusionError>) -> bool {
        self.tx.blocking_send(item).is_ok()
    }
}

/// A channel holding at most `capacity` batches, and the stream that reads it.
pub fn batch_channel(schema: ArrowSchemaRef, capacity: usize) -> (BatchSender, SendableRecordBatchStream) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    (BatchSender { tx }, Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
}
