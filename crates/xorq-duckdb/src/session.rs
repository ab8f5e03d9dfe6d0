//! One DuckDB connection for one segment run: rows moved in become its temporary tables
//! (`load.rs`), then one query streams its rows out (`read.rs`). DuckDB's temporary tables
//! belong to the connection, so the same connection runs both, and the query's stream owns it.

use std::sync::{Arc, Mutex, MutexGuard};

use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use async_trait::async_trait;
use datafusion::execution::SendableRecordBatchStream;
use xorq_core::Schema;
use xorq_engines::EngineError;
use xorq_engines::backend::{Connection, conform_stream};

use crate::load::{self, Lifetime};
use crate::read;

/// A connection of a [`DuckDbBackend`](crate::DuckDbBackend).
pub(crate) struct DuckDbSession {
    profile: String,
    conn: Arc<Mutex<duckdb::Connection>>,
}

impl DuckDbSession {
    pub(crate) fn new(profile: &str, conn: duckdb::Connection) -> Self {
        DuckDbSession { profile: profile.to_string(), conn: Arc::new(Mutex::new(conn)) }
    }
}

/// The connection, or an error if a previous use of it panicked.
pub(crate) fn lock<'a>(
    conn: &'a Mutex<duckdb::Connection>,
    profile: &str,
) -> Result<MutexGuard<'a, duckdb::Connection>, EngineError> {
    conn.lock().map_err(|_| EngineError::Backend {
        profile: profile.to_string(),
        context: "a DuckDB connection".into(),
        message: "a previous use of this connection panicked".into(),
    })
}

#[async_trait]
impl Connection for DuckDbSession {
    async fn load(&mut self, name: &str, schema: &Schema, rows: SendableRecordBatchStream) -> Result<u64, EngineError> {
        load::load(self.conn.clone(), &self.profile, name, Lifetime::Temporary, schema, rows).await
    }

    async fn query(
        self: Box<Self>,
        sql: String,
        schema: ArrowSchemaRef,
    ) -> Result<SendableRecordBatchStream, EngineError> {
        let DuckDbSession { profile, conn } = *self;
        let rows = read::query(conn, &profile, sql, schema.clone()).await?;
        Ok(conform_stream(rows, schema, format!("DuckDB profile `{profile}`")))
    }
}
