//! Rows moved into DuckDB: a new table of the IR's schema (types as `types.rs` declares them),
//! temporary for a segment's rows or persistent for [`DuckDbBackend::create_table`](crate::DuckDbBackend::create_table),
//! filled batch by batch through DuckDB's appender.
//!
//! A blocking worker holds the session's connection and one appender; the async side feeds it
//! batches through a channel of two, so memory stays bounded by a few batches whatever the size
//! of the stream. Each batch crosses to arrow 60 without copying (`bridge.rs`). The table is
//! created and filled in one transaction: a stream that fails, or a load that is dropped, leaves
//! no table behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType as ArrowType, IntervalMonthDayNanoType, IntervalUnit};
use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use xorq_core::{DataType, Schema};
use xorq_engines::EngineError;
use xorq_engines::backend::quote_ident;

use crate::bridge;
use crate::error::Failure;
use crate::session::lock;
use crate::types;

/// Batches waiting between the stream and the appender.
const IN_FLIGHT: usize = 2;

/// Whether a new table outlives the connection that creates it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Lifetime {
    /// DuckDB's `TEMPORARY` table: the connection's own, dropped with it.
    Temporary,
    /// A table of the database's default schema.
    Persistent,
}

impl Lifetime {
    fn adjective(self) -> &'static str {
        match self {
            Lifetime::Temporary => "temporary ",
            Lifetime::Persistent => "",
        }
    }
}

/// Creates the table `name` with `schema` on `conn` and appends `rows` to it. Returns the
/// number of rows written.
pub(crate) async fn load(
    conn: Arc<Mutex<duckdb::Connection>>,
    profile: &str,
    name: &str,
    lifetime: Lifetime,
    schema: &Schema,
    mut rows: SendableRecordBatchStream,
) -> Result<u64, EngineError> {
    let context = format!("moving rows into the {}table `{name}`", lifetime.adjective());
    let create = create_table(name, lifetime, schema).map_err(|m| Failure::Message(m).in_profile(profile, &context))?;
    let dtypes: Vec<DataType> = schema.fields().iter().map(|f| f.dtype.clone()).collect();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<RecordBatch>(IN_FLIGHT);
    let feeder = Feeder { tx: Some(tx), aborted: Arc::new(AtomicBool::new(false)) };
    let worker = {
        let (profile, context, name) = (profile.to_string(), context.clone(), name.to_string());
        let aborted = feeder.aborted.clone();
        tokio::task::spawn_blocking(move || -> Result<u64, EngineError> {
            let conn = lock(&conn, &profile)?;
            let fail = |e: Failure| e.in_profile(&profile, &context);
            conn.execute_batch("BEGIN TRANSACTION").map_err(|e| fail(e.into()))?;
            let appended = append_all(&conn, &create, &name, lifetime, &dtypes, &mut rx);
            let aborted = aborted.load(Ordering::SeqCst);
            if appended.is_err() || aborted {
                // No table rather than half of one. A failed rollback leaves the transaction to
                // end with the connection.
                let _ = conn.execute_batch("ROLLBACK");
            }
            match appended {
                Err(e) => Err(fail(e)),
                Ok(_) if aborted => Ok(0), // nobody waits for this
                Ok(written) => {
                    conn.execute_batch("COMMIT").map_err(|e| fail(e.into()))?;
                    Ok(written)
                }
            }
        })
    };
    let mut failed = None;
    while let Some(batch) = rows.next().await {
        match batch {
            Ok(batch) => {
                if !feeder.send(batch).await {
                    break; // the worker stopped: its error is reported below
                }
            }
            Err(e) => {
                failed = Some(upstream_error(e, profile, &context));
                break;
            }
        }
    }
    match failed {
        Some(e) => {
            drop(feeder); // aborts: the worker rolls back
            let _ = worker.await;
            Err(e)
        }
        None => {
            feeder.finish();
            blocking_result(worker.await, profile)
        }
    }
}

/// The sending end of the worker's channel. Dropped without [`Feeder::finish`] (the stream
/// failed, or the load's future was dropped), it tells the worker to roll back before it closes
/// the channel.
struct Feeder {
    tx: Option<tokio::sync::mpsc::Sender<RecordBatch>>,
    aborted: Arc<AtomicBool>,
}

impl Feeder {
    /// Sends a batch; `false` when the worker has stopped.
    async fn send(&self, batch: RecordBatch) -> bool {
        match &self.tx {
            Some(tx) => tx.send(batch).await.is_ok(),
            None => false,
        }
    }

    /// Closes the channel: every batch was sent, the worker commits.
    fn finish(mut self) {
        self.tx = None;
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            // Set before the channel closes (the worker reads it once the channel is closed):
            // the sender is dropped only after. (`if self.tx.take().is_some()` dropped it in the
            // condition, before the flag was set, so a worker could see the channel close, read
            // `false` and commit half a table; a loaded machine did.)
            self.aborted.store(true, Ordering::SeqCst);
            drop(tx);
        }
    }
}

/// The worker's appending: creates the table, then appends what arrives on `rx` until it closes.
fn append_all(
    conn: &duckdb::Connection,
    create: &str,
    name: &str,
    lifetime: Lifetime,
    dtypes: &[DataType],
    rx: &mut tokio::sync::mpsc::Receiver<RecordBatch>,
) -> Result<u64, Failure> {
    conn.execute_batch(create)?;
    let mut appender = match lifetime {
        // Temporary tables live in DuckDB's `temp` catalog.
        Lifetime::Temporary => conn.appender_to_catalog_and_db(name, "temp", "main")?,
        Lifetime::Persistent => conn.appender(name)?,
    };
    let mut written = 0u64;
    while let Some(batch) = rx.blocking_recv() {
        written += batch.num_rows() as u64;
        appender.append_record_batch(bridge::to_arrow60(conform(batch, dtypes)?)?)?;
    }
    appender.flush()?;
    Ok(written)
}

/// The error of the stream being moved in: an engine's own error as it is (it names its
/// profile), anything else as an error of this move.
fn upstream_error(e: DataFusionError, profile: &str, context: &str) -> EngineError {
    let message = match e {
        DataFusionError::External(inner) => match inner.downcast::<EngineError>() {
            Ok(engine) => return *engine,
            Err(other) => other.to_string(),
        },
        other => other.to_string(),
    };
    EngineError::Backend { profile: profile.to_string(), context: format!("{context}, reading the rows"), message }
}

fn blocking_result(
    joined: Result<Result<u64, EngineError>, tokio::task::JoinError>,
    profile: &str,
) -> Result<u64, EngineError> {
    joined.map_err(|e| EngineError::Backend {
        profile: profile.to_string(),
        context: "a DuckDB worker thread".into(),
        message: e.to_string(),
    })?
}

/// `CREATE [TEMPORARY] TABLE "name" ("col" TYPE [NOT NULL], …)`, or which column cannot be
/// stored.
fn create_table(name: &str, lifetime: Lifetime, schema: &Schema) -> Result<String, String> {
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            let declared = types::declared(&f.dtype).map_err(|e| format!("column `{}`: {e}", f.name))?;
            let not_null = if f.nullable { "" } else { " NOT NULL" };
            Ok(format!("{} {declared}{not_null}", quote_ident(&f.name)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let temporary = if lifetime == Lifetime::Temporary { "TEMPORARY " } else { "" };
    Ok(format!("CREATE {temporary}TABLE {} ({})", quote_ident(name), columns.join(", ")))
}

/// `batch` with every column in the Arrow type the appender expects for its declared column. A
/// column already of the right logical type is passed as is (DuckDB takes `Utf8View`, `LargeUtf8`
/// and the like directly); others are cast, failing rather than losing a value. Intervals and
/// durations go as text (see [`interval_text`]).
fn conform(batch: RecordBatch, dtypes: &[DataType]) -> Result<RecordBatch, Failure> {
    if batch.num_columns() != dtypes.len() {
        return Err(Failure::Message(format!(
            "a batch of {} columns arrived for a table of {}",
            batch.num_columns(),
            dtypes.len()
        )));
    }
    let is_interval = |dtype: &DataType| matches!(dtype, DataType::Interval | DataType::Duration(_));
    let needs_cast = |column: &ArrayRef, dtype: &DataType| {
        matches!(dtype, DataType::Null) || DataType::from_arrow("", column.data_type()).ok().as_ref() != Some(dtype)
    };
    if !batch.columns().iter().zip(dtypes).any(|(c, t)| is_interval(t) || needs_cast(c, t)) {
        return Ok(batch);
    }
    let options = CastOptions { safe: false, ..CastOptions::default() };
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(dtypes.len());
    let mut columns = Vec::with_capacity(dtypes.len());
    for ((column, field), dtype) in batch.columns().iter().zip(schema.fields()).zip(dtypes) {
        let failed = |target: &ArrowType, e: ArrowError| {
            Failure::Message(format!("column `{}` ({} → {target}): {e}", field.name(), column.data_type()))
        };
        let column = if is_interval(dtype) {
            interval_text(column).map_err(|e| failed(&ArrowType::Utf8, e))?
        } else if needs_cast(column, dtype) {
            let target = types::append_type(dtype);
            cast_with_options(column, &target, &options).map_err(|e| failed(&target, e))?
        } else {
            column.clone()
        };
        fields.push(field.as_ref().clone().with_data_type(column.data_type().clone()).with_nullable(true));
        columns.push(column);
    }
    let schema = Arc::new(arrow::datatypes::Schema::new(fields));
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// Intervals (or durations) as DuckDB interval text, `1 months 2 days 3000000 microseconds`,
/// which the appender casts to the `INTERVAL` column. The `duckdb` crate's own conversion of
/// Arrow intervals loses their nulls (duckdb 1.20000.1: `primitive_array_to_vector` rebuilds
/// the array from its values alone); its text cast keeps them. DuckDB intervals count
/// microseconds: nanoseconds are truncated, as the crate's conversion would.
fn interval_text(column: &ArrayRef) -> Result<ArrayRef, ArrowError> {
    let intervals = cast_with_options(
        column,
        &ArrowType::Interval(IntervalUnit::MonthDayNano),
        &CastOptions { safe: false, ..CastOptions::default() },
    )?;
    let text: StringArray = intervals
        .as_primitive::<IntervalMonthDayNanoType>()
        .iter()
        .map(|v| v.map(|v| format!("{} months {} days {} microseconds", v.months, v.days, v.nanoseconds / 1000)))
        .collect();
    Ok(Arc::new(text))
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Int64Array, NullArray};
    use xorq_core::Field;

    use super::*;

    #[test]
    fn ddl_quotes_names_and_declares_types() {
        let schema = Schema::new(vec![
            Field::new(r#"we"ird"#, DataType::Int64, false),
            Field::new("price", DataType::Decimal { precision: 10, scale: 2 }, true),
        ])
        .expect("distinct names");
        assert_eq!(
            create_table("my table", Lifetime::Temporary, &schema).expect("declarable"),
            r#"CREATE TEMPORARY TABLE "my table" ("we""ird" BIGINT NOT NULL, "price" DECIMAL(10,2))"#
        );
        assert!(
            create_table("t", Lifetime::Persistent, &schema).expect("declarable").starts_with("CREATE TABLE \"t\"")
        );
        let bad = Schema::new(vec![Field::new("d", DataType::Decimal { precision: 5, scale: -1 }, true)])
            .expect("one column");
        assert!(create_table("t", Lifetime::Temporary, &bad).expect_err("negative scale").contains("column `d`"));
    }

    #[test]
    fn conforming_casts_only_what_differs() {
        let batch = RecordBatch::try_from_iter([
            ("n", Arc::new(NullArray::new(2)) as ArrayRef),
            ("i", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ])
        .expect("equal lengths");
        let out = conform(batch, &[DataType::Null, DataType::Int64]).expect("casts");
        assert_eq!(out.column(0).data_type(), &arrow::datatypes::DataType::Int32);
        assert_eq!(out.column(0).null_count(), 2);
        assert_eq!(out.column(1).data_type(), &arrow::datatypes::DataType::Int64);
    }

    #[test]
    fn intervals_go_as_text_and_keep_their_nulls() {
        use arrow::array::IntervalMonthDayNanoArray;
        use arrow::datatypes::IntervalMonthDayNano;
        let intervals = IntervalMonthDayNanoArray::from(vec![
            Some(IntervalMonthDayNano::new(1, 2, 3_000_000_999)),
            None,
            Some(IntervalMonthDayNano::new(0, -1, -5_000)),
        ]);
        let batch = RecordBatch::try_from_iter([("iv", Arc::new(intervals) as ArrayRef)]).expect("one column");
        let out = conform(batch, &[DataType::Interval]).expect("converts");
        let text = out.column(0).as_string::<i32>();
        assert_eq!(text.value(0), "1 months 2 days 3000000 microseconds");
        assert!(text.is_null(1));
        assert_eq!(text.value(2), "0 months -1 days -5 microseconds");
    }
}
