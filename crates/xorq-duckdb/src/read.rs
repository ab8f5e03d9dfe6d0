//! A query's rows out of DuckDB as a stream of arrow 59 batches.
//!
//! A blocking worker owns the session's connection, runs the SQL with DuckDB's streaming
//! execution and fetches one chunk at a time, converting each to arrow 59 without copying
//! (`bridge.rs`) and sending it through a bounded channel ([`batch_channel`]): DuckDB computes
//! only as fast as the consumer reads. Dropping the stream stops the worker: its next send fails,
//! and a computation still running inside DuckDB (a big aggregate before its first row) is
//! interrupted through the connection's interrupt handle.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::Stream;
use tokio::sync::oneshot;
use xorq_engines::EngineError;
use xorq_engines::backend::{BatchSender, batch_channel};

use crate::bridge;
use crate::error::{Failure, excerpt};
use crate::session::lock;

/// Batches waiting between DuckDB and the consumer.
const IN_FLIGHT: usize = 2;

/// Runs `sql` on `conn` and streams its batches, as DuckDB types them (the caller conforms them
/// to the schema the IR promised). Errors before the first row (SQL that does not parse or bind)
/// are returned here; later ones arrive in the stream.
pub(crate) async fn query(
    conn: Arc<Mutex<duckdb::Connection>>,
    profile: &str,
    sql: String,
    schema: ArrowSchemaRef,
) -> Result<SendableRecordBatchStream, EngineError> {
    let context = format!("running `{}`", excerpt(&sql));
    let interrupt = lock(&conn, profile)?.interrupt_handle();
    let (sender, stream) = batch_channel(schema.clone(), IN_FLIGHT);
    let (started_tx, started_rx) = oneshot::channel::<Result<(), EngineError>>();
    // From here on, dropping the query (while it starts, or its stream) interrupts DuckDB.
    let guard = Interrupter(Some(interrupt));
    {
        let (profile, context) = (profile.to_string(), context.clone());
        tokio::task::spawn_blocking(move || work(conn, &sql, sender, started_tx, &profile, &context));
    }
    match started_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(EngineError::Backend {
                profile: profile.to_string(),
                context,
                message: "the DuckDB worker stopped before the query started".into(),
            });
        }
    }
    let guarded = InterruptOnDrop { inner: stream, guard };
    Ok(Box::pin(RecordBatchStreamAdapter::new(schema, guarded)))
}

/// The worker: runs the query on `conn`, then closes the connection (and with it the session's
/// temporary tables) before it drops `sender`, which ends the stream.
fn work(
    conn: Arc<Mutex<duckdb::Connection>>,
    sql: &str,
    sender: BatchSender,
    started: oneshot::Sender<Result<(), EngineError>>,
    profile: &str,
    context: &str,
) {
    match lock(&conn, profile) {
        Ok(guard) => produce(&guard, sql, &sender, started, profile, context),
        Err(e) => {
            let _ = started.send(Err(e));
        }
    }
    drop(conn);
    drop(sender);
}

/// Prepares and starts `sql` (telling `started` how that went), then sends
/// every batch until the result ends, fails, or the stream is dropped.
fn produce(
    conn: &duckdb::Connection,
    sql: &str,
    sender: &BatchSender,
    started: oneshot::Sender<Result<(), EngineError>>,
    profile: &str,
    context: &str,
) {
    let fail = |e: Failure| e.in_profile(profile, context);
    let mut stmt = match conn.prepare(sql) {
        Ok(stmt) => stmt,
        Err(e) => {
            let _ = started.send(Err(fail(e.into())));
            return;
        }
    };
    let batches = match stmt.stream_arrow([]) {
        Ok(batches) => batches,
        Err(e) => {
            let _ = started.send(Err(fail(e.into())));
            return;
        }
    };
    if started.send(Ok(())).is_err() {
        return; // the caller is gone
    }
    for batch in batches {
        let batch: Result<RecordBatch, Failure> = batch.map_err(Failure::from).and_then(|b| Ok(bridge::to_arrow59(b)?));
        let item = batch.map_err(|e| DataFusionError::External(Box::new(fail(e))));
        let failed = item.is_err();
        if !sender.send(item) || failed {
            return; // the stream was dropped (stop reading), or the error was the last item
        }
    }
}

/// Interrupts DuckDB's connection when dropped, unless disarmed.
struct Interrupter(Option<Arc<duckdb::InterruptHandle>>);

impl Drop for Interrupter {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            // A no-op if the worker has already closed the connection.
            handle.interrupt();
        }
    }
}

/// A stream that interrupts DuckDB when dropped before its end.
struct InterruptOnDrop {
    inner: SendableRecordBatchStream,
    guard: Interrupter,
}

impl Stream for InterruptOnDrop {
    type Item = Result<RecordBatch, DataFusionError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next {
            self.guard.0 = None; // the query is over: nothing left to interrupt
        }
        next
    }
}
