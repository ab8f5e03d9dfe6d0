//! A miss at the root is stored while its rows stream to the caller: each batch is handed on and
//! written; at the end of the stream the entry is committed. A stream dropped early, or one that
//! fails, leaves no entry (the writer discards its staging data when dropped).

use std::pin::Pin;
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::error::Result as DfResult;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::Stream;

use super::Cache;
use super::event::Outcome;
use super::plan::{Pending, commit};
use super::store::EntryWriter;

/// The caller's stream, with the rows also written to a cache entry.
pub(crate) struct TeeStream {
    inner: SendableRecordBatchStream,
    write: Option<(Pending, Box<dyn EntryWriter>)>,
    cache: Cache,
}

impl TeeStream {
    /// Tees `inner` into the entry `pending` describes; if the entry cannot be started, the rows
    /// still flow (with a warning).
    pub(crate) fn new(inner: SendableRecordBatchStream, pending: Pending, cache: Cache) -> Self {
        let write = match pending.store.writer(&pending.key, inner.schema()) {
            Ok(writer) => Some((pending, writer)),
            Err(e) => {
                cache.report(pending.base.event(Outcome::Warning(format!(
                    "could not store the result ({e}); it is computed again next time"
                ))));
                None
            }
        };
        TeeStream { inner, write, cache }
    }
}

impl Stream for TeeStream {
    type Item = DfResult<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(Some(Ok(batch))) => {
                if let Some((pending, writer)) = this.write.as_mut()
                    && let Err(e) = writer.write(&batch)
                {
                    this.cache.report(pending.base.event(Outcome::Warning(format!(
                        "could not store the result ({e}); it is computed again next time"
                    ))));
                    this.write = None;
                }
                Poll::Ready(Some(Ok(batch)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.write = None;
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                if let Some((pending, writer)) = this.write.take() {
                    commit(&this.cache, pending, writer);
                }
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl RecordBatchStream for TeeStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
