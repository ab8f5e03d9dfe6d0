//! Arrow batches into a SQLite table: one prepared `INSERT` per row, inside the caller's
//! transaction, values converted to SQLite's storage classes as `types.rs` describes.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType as ArrowType, Float64Type, Int64Type, TimeUnit};
use arrow::temporal_conversions::timestamp_us_to_datetime;
use rusqlite::types::Value;

/// One column as SQLite values.
fn column_values(array: &ArrayRef, name: &str) -> Result<Vec<Value>, String> {
    let err = |e: arrow::error::ArrowError| format!("column `{name}`: {e}");
    let n = array.len();
    let null_or = |i: usize, v: Value| if array.is_null(i) { Value::Null } else { v };
    Ok(match array.data_type() {
        ArrowType::Boolean => {
            let a = array.as_boolean();
            (0..n).map(|i| null_or(i, Value::Integer(i64::from(a.value(i))))).collect()
        }
        t if t.is_integer() => {
            let a = cast(array, &ArrowType::Int64).map_err(err)?;
            let a = a.as_primitive::<Int64Type>();
            (0..n).map(|i| null_or(i, Value::Integer(a.value(i)))).collect()
        }
        t if t.is_floating() => {
            let a = cast(array, &ArrowType::Float64).map_err(err)?;
            let a = a.as_primitive::<Float64Type>();
            (0..n).map(|i| null_or(i, Value::Real(a.value(i)))).collect()
        }
        ArrowType::Timestamp(..) => {
            let a = cast(array, &ArrowType::Timestamp(TimeUnit::Microsecond, None)).map_err(err)?;
            let a = a.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
            (0..n)
                .map(|i| {
                    if a.is_null(i) {
                        return Ok(Value::Null);
                    }
                    let t = timestamp_us_to_datetime(a.value(i))
                        .ok_or_else(|| format!("column `{name}`: timestamp out of range"))?;
                    Ok(Value::Text(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string()))
                })
                .collect::<Result<_, String>>()?
        }
        ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView => {
            let a = cast(array, &ArrowType::Binary).map_err(err)?;
            let a = a.as_binary::<i32>();
            (0..n).map(|i| null_or(i, Value::Blob(a.value(i).to_vec()))).collect()
        }
        ArrowType::Decimal128(..) | ArrowType::Decimal256(..) => {
            // SQLite has no decimals: a DECIMAL column keeps an exact INTEGER when the value is
            // whole, else the nearest REAL (its NUMERIC affinity converts the text).
            let a = cast(array, &ArrowType::Utf8).map_err(err)?;
            let a = a.as_string::<i32>();
            (0..n).map(|i| null_or(i, Value::Text(a.value(i).to_string()))).collect()
        }
        ArrowType::Utf8
        | ArrowType::LargeUtf8
        | ArrowType::Utf8View
        | ArrowType::Date32
        | ArrowType::Date64
        | ArrowType::Time32(_)
        | ArrowType::Time64(_) => {
            let a = cast(array, &ArrowType::Utf8).map_err(err)?;
            let a = a.as_string::<i32>();
            (0..n).map(|i| null_or(i, Value::Text(a.value(i).to_string()))).collect()
        }
        other => return Err(format!("column `{name}`: SQLite cannot store `{other}` values")),
    })
}

/// Inserts every row of `batch` with `insert` (a statement with one `?` per column).
pub(crate) fn insert_batch(insert: &mut rusqlite::Statement<'_>, batch: &RecordBatch) -> Result<(), String> {
    let columns = batch
        .columns()
        .iter()
        .zip(batch.schema().fields())
        .map(|(a, f)| column_values(a, f.name()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut row = Vec::with_capacity(columns.len());
    for i in 0..batch.num_rows() {
        row.clear();
        row.extend(columns.iter().map(|c| &c[i]));
        insert.execute(rusqlite::params_from_iter(row.iter())).map_err(|e| e.to_string())?;
    }
    Ok(())
}
