//! Running one query and streaming its rows as batches: memory holds one batch being built (and
//! the few protocol messages tokio-postgres buffers), and the session lives inside the stream,
//! so its temporary tables last until the last row. Dropping the stream before the end cancels
//! the statement on the server.

use std::pin::Pin;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use tokio_postgres::RowStream;
use tokio_postgres::types::ToSql;

use super::config::Settings;
use super::read::{BATCH_ROWS, BatchReader};
use super::session::{Session, statement_error};
use crate::backend::conform_stream;
use crate::error::{EngineError, Result};

const RUNNING: &str = "running the query";
const READING: &str = "reading the query's result";

/// Keeps the session for the stream; cancels the statement when dropped before the end.
struct Guard {
    session: Option<Session>,
    finished: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(session) = self.session.take()
            && !self.finished
        {
            session.abandon();
        }
    }
}

struct State {
    // Dropped before the guard (fields drop in order): the rows, then the session.
    rows: Pin<Box<RowStream>>,
    reader: BatchReader,
    profile: String,
    settings: Arc<Settings>,
    guard: Guard,
}

impl State {
    fn fail(&self, context: &str, message: String) -> DataFusionError {
        DataFusionError::External(Box::new(EngineError::Backend {
            profile: self.profile.clone(),
            context: context.to_string(),
            message,
        }))
    }

    /// The next full batch, or the last partial one, or `None` at the end.
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>, DataFusionError> {
        if self.guard.finished {
            return Ok(None);
        }
        while let Some(row) = self.rows.next().await {
            let row = row.map_err(|e| {
                DataFusionError::External(Box::new(statement_error(&self.profile, &self.settings, READING, &e)))
            })?;
            self.reader.push(&row).map_err(|m| self.fail(READING, m))?;
            if self.reader.len() >= BATCH_ROWS {
                return self.reader.finish().map(Some).map_err(|m| self.fail(READING, m));
            }
        }
        self.guard.finished = true;
        if self.reader.len() == 0 {
            return Ok(None);
        }
        self.reader.finish().map(Some).map_err(|m| self.fail(READING, m))
    }
}

/// Runs `sql` on `session` and streams its rows as batches of `schema`.
pub(crate) async fn query(
    session: Session,
    profile: String,
    settings: Arc<Settings>,
    sql: String,
    schema: ArrowSchemaRef,
) -> Result<SendableRecordBatchStream> {
    let statement =
        session.client.prepare(&sql).await.map_err(|e| statement_error(&profile, &settings, RUNNING, &e))?;
    let reader = BatchReader::new(statement.columns(), &schema).map_err(|message| EngineError::Backend {
        profile: profile.clone(),
        context: RUNNING.into(),
        message,
    })?;
    let read_schema = reader.schema();
    let rows = session
        .client
        .query_raw(&statement, std::iter::empty::<&dyn ToSql>())
        .await
        .map_err(|e| statement_error(&profile, &settings, RUNNING, &e))?;
    let engine = format!("backend profile `{profile}`");
    let state = State {
        rows: Box::pin(rows),
        reader,
        profile,
        settings,
        guard: Guard { session: Some(session), finished: false },
    };
    let batches = futures::stream::try_unfold(state, |mut state| async move {
        Ok(state.next_batch().await?.map(|batch| (batch, state)))
    });
    let stream: SendableRecordBatchStream = Box::pin(RecordBatchStreamAdapter::new(read_schema, batches));
    Ok(conform_stream(stream, schema, engine))
}
