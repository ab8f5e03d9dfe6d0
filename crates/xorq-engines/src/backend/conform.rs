//! Conforming an engine's batches to the schema the IR promised.
//!
//! Engines type results their own way (DuckDB's `SUM` of integers is a `HUGEINT` decimal,
//! SQLite has five storage classes, PostgreSQL's `count` is `int8`). The IR's schema is the
//! contract, so every batch is cast to it column by column, by position; a value that does not
//! fit is an error naming the column, never a silent wrap.

use arrow::array::{ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::SchemaRef as ArrowSchemaRef;
use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;

/// `stream` with each batch cast to `schema` (see the module docs). `engine` names the source
/// of the rows in errors.
pub fn conform_stream(
    stream: SendableRecordBatchStream,
    schema: ArrowSchemaRef,
    engine: String,
) -> SendableRecordBatchStream {
    let target = schema.clone();
    let conformed = stream.map(move |batch| {
        let batch = batch?;
        conform_batch(&batch, &target)
            .map_err(|e| DataFusionError::Execution(format!("reading the result of {engine}: {e}")))
    });
    Box::pin(RecordBatchStreamAdapter::new(schema, conformed))
}

/// `batch` cast to `schema`, by position: a column whose values do not fit is an error naming
/// it, never a null (times of day become nanoseconds).
pub fn conform_batch(batch: &RecordBatch, schema: &ArrowSchemaRef) -> Result<RecordBatch, ArrowError> {
    if batch.num_columns() != schema.fields().len() {
        return Err(ArrowError::SchemaError(format!(
            "expected {} columns ({}), got {}",
            schema.fields().len(),
            schema.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", "),
            batch.num_columns()
        )));
    }
    let options = CastOptions { safe: false, ..CastOptions::default() };
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(column, field)| {
            if column.data_type() == field.data_type() {
                Ok(column.clone())
            } else if let Some(nanos) = time_to_nanos(column, field.data_type()) {
                Ok(nanos)
            } else {
                cast_with_options(column, field.data_type(), &options).map_err(|e| {
                    ArrowError::CastError(format!(
                        "column `{}` ({} → {}): {}",
                        field.name(),
                        column.data_type(),
                        field.data_type(),
                        explain_cast_error(&e, field.data_type())
                    ))
                })
            }
        })
        .collect::<Result<Vec<ArrayRef>, _>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(schema.clone(), columns, &options)
}

/// A cast error in words: a number that does not fit its integer or decimal type is an overflow
/// of the engine's arithmetic (an `Int32` sum computed in 64 bits, say), which xorq refuses
/// rather than wrap or truncate.
pub(crate) fn explain_cast_error(e: &ArrowError, target: &arrow::datatypes::DataType) -> String {
    let numeric = target.is_integer() || matches!(target, arrow::datatypes::DataType::Decimal128(..));
    match e {
        ArrowError::CastError(m) | ArrowError::ComputeError(m) | ArrowError::InvalidArgumentError(m)
            if numeric && (m.contains("Can't cast value") || m.contains("too large") || m.contains("overflow")) =>
        {
            format!(
                "arithmetic overflow: {m}\nhint: the value does not fit {target}; widen the operation's operands first, e.g. CAST(x AS BIGINT) or CAST(x AS DECIMAL(38, 0))"
            )
        }
        other => other.to_string(),
    }
}

/// A time of day in a coarser unit as the IR's `Time64(ns)`. Arrow's own cast multiplies every
/// slot, null ones (whose values are arbitrary) included, which overflows; the values of valid
/// slots, under 86,400 seconds, never do.
fn time_to_nanos(column: &ArrayRef, target: &arrow::datatypes::DataType) -> Option<ArrayRef> {
    use arrow::array::{AsArray, Time64NanosecondArray};
    use arrow::datatypes::{
        DataType as A, Time32MillisecondType, Time32SecondType, Time64MicrosecondType, TimeUnit as U,
    };
    if *target != A::Time64(U::Nanosecond) {
        return None;
    }
    let nanos: Time64NanosecondArray = match column.data_type() {
        A::Time64(U::Microsecond) => column.as_primitive::<Time64MicrosecondType>().unary(|v| v.wrapping_mul(1_000)),
        A::Time32(U::Millisecond) => {
            column.as_primitive::<Time32MillisecondType>().unary(|v| i64::from(v).wrapping_mul(1_000_000))
        }
        A::Time32(U::Second) => {
            column.as_primitive::<Time32SecondType>().unary(|v| i64::from(v).wrapping_mul(1_000_000_000))
        }
        _ => return None,
    };
    Some(std::sync::Arc::new(nanos))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, Decimal128Array, Int64Array};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;

    #[test]
    fn casts_by_position_and_refuses_overflow() {
        let batch = RecordBatch::try_from_iter([(
            "sum(x)",
            Arc::new(Decimal128Array::from(vec![Some(42), None]).with_precision_and_scale(38, 0).expect("valid"))
                as ArrayRef,
        )])
        .expect("one column");
        let schema = Arc::new(Schema::new(vec![Field::new("total", DataType::Int64, true)]));
        let out = conform_batch(&batch, &schema).expect("fits");
        let total = out.column(0).as_any().downcast_ref::<Int64Array>().expect("cast to Int64");
        assert_eq!((total.value(0), total.is_null(1)), (42, true));
        assert_eq!(out.schema().field(0).name(), "total");

        let narrow = Arc::new(Schema::new(vec![Field::new("total", DataType::Int8, true)]));
        let big = RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1000])) as ArrayRef)]).expect("ok");
        let err = conform_batch(&big, &narrow).expect_err("1000 does not fit Int8").to_string();
        assert!(err.contains("column `total`"), "{err}");
    }
}
