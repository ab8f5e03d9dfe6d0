//! Rows moved in: a temporary table created from the IR schema, filled by `COPY … FROM STDIN
//! (FORMAT binary)` that we encode ourselves, batch by batch, so memory holds one batch and one
//! chunk of bytes (at most about [`CHUNK_BYTES`]) at a time.

use std::io::Cursor;

use arrow::array::{Array, AsArray, BinaryArray, BooleanArray, Decimal128Array, RecordBatch, StringArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    DataType as ArrowType, Date32Type, DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType,
    DurationSecondType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, IntervalMonthDayNano,
    IntervalMonthDayNanoType, IntervalUnit, SchemaRef as ArrowSchemaRef, Time64NanosecondType,
    TimeUnit as ArrowTimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::execution::SendableRecordBatchStream;
use futures::{SinkExt, StreamExt};
use tokio_postgres::{Client, CopyInSink};
use xorq_core::Schema;

use super::catalog::quote_ident;
use super::config::Settings;
use super::decode::{EPOCH_DAYS, EPOCH_MICROS};
use super::numeric;
use super::session::statement_error;
use super::types::column_type;
use crate::backend::conform::conform_batch;
use crate::error::{EngineError, Result};

/// Bytes encoded before they are sent.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Creates the temporary table `name` with `schema` and copies `rows` into it.
pub(crate) async fn load(
    client: &Client,
    profile: &str,
    settings: &Settings,
    name: &str,
    schema: &Schema,
    mut rows: SendableRecordBatchStream,
) -> Result<u64> {
    let context = format!("loading rows into the temporary table `{name}`");
    let fail =
        |message: String| EngineError::Backend { profile: profile.to_string(), context: context.clone(), message };
    let columns = schema
        .fields()
        .iter()
        .map(|f| {
            Ok(format!(
                "{} {}",
                quote_ident(&f.name),
                column_type(&f.dtype).map_err(|m| fail(format!("column `{}`: {m}", f.name)))?
            ))
        })
        .collect::<Result<Vec<String>>>()?;
    let create = format!("CREATE TEMPORARY TABLE {} ({})", quote_ident(name), columns.join(", "));
    client.batch_execute(&create).await.map_err(|e| statement_error(profile, settings, &context, &e))?;

    let names: Vec<String> = schema.fields().iter().map(|f| quote_ident(&f.name)).collect();
    let copy = format!("COPY {} ({}) FROM STDIN (FORMAT binary)", quote_ident(name), names.join(", "));
    let sink: CopyInSink<Cursor<Vec<u8>>> =
        client.copy_in(&copy).await.map_err(|e| statement_error(profile, settings, &context, &e))?;
    let mut sink = Box::pin(sink);
    let send_error = |e: tokio_postgres::Error| statement_error(profile, settings, &context, &e);

    let target: ArrowSchemaRef = std::sync::Arc::new(schema.to_arrow());
    let mut buf = Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4);
    buf.extend_from_slice(HEADER);
    while let Some(batch) = rows.next().await {
        // An error of the rows' source drops the sink, which aborts the COPY (nothing is kept).
        let batch = batch.map_err(|e| {
            EngineError::datafusion(format!("reading the rows to load into `{name}` of backend profile `{profile}`"), e)
        })?;
        let batch = conform_batch(&batch, &target).map_err(|e| fail(e.to_string()))?;
        let encoders = encoders(&batch).map_err(&fail)?;
        for row in 0..batch.num_rows() {
            buf.extend_from_slice(&(encoders.len() as i16).to_be_bytes());
            for encoder in &encoders {
                encoder.write(row, &mut buf).map_err(|m| fail(format!("column `{}`, row {row}: {m}", encoder.name)))?;
            }
            if buf.len() >= CHUNK_BYTES {
                let chunk = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4));
                sink.send(Cursor::new(chunk)).await.map_err(send_error)?;
            }
        }
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    sink.send(Cursor::new(buf)).await.map_err(send_error)?;
    sink.as_mut().finish().await.map_err(send_error)
}

/// One column of a batch, typed once.
struct Encoder<'a> {
    name: &'a str,
    nulls: Option<&'a NullBuffer>,
    values: Values<'a>,
}

enum Values<'a> {
    Null,
    Bool(&'a BooleanArray),
    Int8(&'a [i8]),
    Int16(&'a [i16]),
    Int32(&'a [i32]),
    Int64(&'a [i64]),
    UInt8(&'a [u8]),
    UInt16(&'a [u16]),
    UInt32(&'a [u32]),
    UInt64(&'a [u64]),
    Float32(&'a [f32]),
    Float64(&'a [f64]),
    Decimal(&'a Decimal128Array, i8),
    Utf8(&'a StringArray),
    Binary(&'a BinaryArray),
    Date(&'a [i32]),
    Time(&'a [i64]),
    /// Timestamps in their unit.
    Timestamp(&'a [i64], ArrowTimeUnit),
    Duration(&'a [i64], ArrowTimeUnit),
    Interval(&'a [IntervalMonthDayNano]),
}

fn encoders(batch: &RecordBatch) -> Result<Vec<Encoder<'_>>, String> {
    batch
        .schema_ref()
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(field, array)| {
            let values = match array.data_type() {
                ArrowType::Null => Values::Null,
                ArrowType::Boolean => Values::Bool(array.as_boolean()),
                ArrowType::Int8 => Values::Int8(array.as_primitive::<Int8Type>().values()),
                ArrowType::Int16 => Values::Int16(array.as_primitive::<Int16Type>().values()),
                ArrowType::Int32 => Values::Int32(array.as_primitive::<Int32Type>().values()),
                ArrowType::Int64 => Values::Int64(array.as_primitive::<Int64Type>().values()),
                ArrowType::UInt8 => Values::UInt8(array.as_primitive::<UInt8Type>().values()),
                ArrowType::UInt16 => Values::UInt16(array.as_primitive::<UInt16Type>().values()),
                ArrowType::UInt32 => Values::UInt32(array.as_primitive::<UInt32Type>().values()),
                ArrowType::UInt64 => Values::UInt64(array.as_primitive::<UInt64Type>().values()),
                ArrowType::Float32 => Values::Float32(array.as_primitive::<Float32Type>().values()),
                ArrowType::Float64 => Values::Float64(array.as_primitive::<Float64Type>().values()),
                ArrowType::Decimal128(_, s) => Values::Decimal(array.as_primitive(), *s),
                ArrowType::Utf8 => Values::Utf8(array.as_string()),
                ArrowType::Binary => Values::Binary(array.as_binary()),
                ArrowType::Date32 => Values::Date(array.as_primitive::<Date32Type>().values()),
                ArrowType::Time64(ArrowTimeUnit::Nanosecond) => {
                    Values::Time(array.as_primitive::<Time64NanosecondType>().values())
                }
                ArrowType::Timestamp(unit, _) => Values::Timestamp(
                    match unit {
                        ArrowTimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
                        ArrowTimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().values(),
                        ArrowTimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().values(),
                        ArrowTimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().values(),
                    },
                    *unit,
                ),
                ArrowType::Duration(unit) => Values::Duration(
                    match unit {
                        ArrowTimeUnit::Second => array.as_primitive::<DurationSecondType>().values(),
                        ArrowTimeUnit::Millisecond => array.as_primitive::<DurationMillisecondType>().values(),
                        ArrowTimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().values(),
                        ArrowTimeUnit::Nanosecond => array.as_primitive::<DurationNanosecondType>().values(),
                    },
                    *unit,
                ),
                ArrowType::Interval(IntervalUnit::MonthDayNano) => {
                    Values::Interval(array.as_primitive::<IntervalMonthDayNanoType>().values())
                }
                other => return Err(format!("column `{}`: cannot copy {other} values", field.name())),
            };
            Ok(Encoder { name: field.name(), nulls: array.nulls(), values })
        })
        .collect()
}

/// Microseconds of a value in `unit` (rounded down below microseconds).
fn to_micros(value: i64, unit: ArrowTimeUnit) -> Result<i64, String> {
    let out = match unit {
        ArrowTimeUnit::Second => value.checked_mul(1_000_000),
        ArrowTimeUnit::Millisecond => value.checked_mul(1000),
        ArrowTimeUnit::Microsecond => Some(value),
        ArrowTimeUnit::Nanosecond => Some(value.div_euclid(1000)),
    };
    out.ok_or_else(|| format!("{value} is out of PostgreSQL's range"))
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn variable(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), String> {
    let len = i32::try_from(bytes.len())
        .map_err(|_| format!("a value of {} bytes is over PostgreSQL's 1 GB", bytes.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

impl Encoder<'_> {
    /// Appends the field of `row`: its length (`-1` for NULL) and bytes.
    fn write(&self, row: usize, out: &mut Vec<u8>) -> Result<(), String> {
        if matches!(self.values, Values::Null) || self.nulls.is_some_and(|n| n.is_null(row)) {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            return Ok(());
        }
        match &self.values {
            Values::Null => {}
            Values::Bool(a) => field(out, &[u8::from(a.value(row))]),
            Values::Int8(v) => field(out, &i16::from(v[row]).to_be_bytes()),
            Values::Int16(v) => field(out, &v[row].to_be_bytes()),
            Values::Int32(v) => field(out, &v[row].to_be_bytes()),
            Values::Int64(v) => field(out, &v[row].to_be_bytes()),
            Values::UInt8(v) => field(out, &i16::from(v[row]).to_be_bytes()),
            Values::UInt16(v) => field(out, &i32::from(v[row]).to_be_bytes()),
            Values::UInt32(v) => field(out, &i64::from(v[row]).to_be_bytes()),
            Values::UInt64(v) => numeric_field(out, i128::from(v[row]), 0),
            Values::Float32(v) => field(out, &v[row].to_be_bytes()),
            Values::Float64(v) => field(out, &v[row].to_be_bytes()),
            Values::Decimal(a, scale) => numeric_field(out, a.value(row), *scale),
            Values::Utf8(a) => variable(out, a.value(row).as_bytes())?,
            Values::Binary(a) => variable(out, a.value(row))?,
            Values::Date(v) => {
                let days = v[row].checked_sub(EPOCH_DAYS).ok_or("date out of PostgreSQL's range")?;
                field(out, &days.to_be_bytes())
            }
            Values::Time(v) => {
                // PostgreSQL keeps microseconds: a finer time of day is refused, not rounded.
                let ns = v[row];
                if ns % 1_000 != 0 {
                    return Err("a time of day with nanoseconds (PostgreSQL's `time` keeps microseconds)".into());
                }
                field(out, &(ns / 1_000).to_be_bytes())
            }
            Values::Timestamp(v, unit) => {
                let micros = to_micros(v[row], *unit)?.checked_sub(EPOCH_MICROS).ok_or("timestamp out of range")?;
                field(out, &micros.to_be_bytes())
            }
            Values::Duration(v, unit) => interval_field(out, to_micros(v[row], *unit)?, 0, 0),
            Values::Interval(v) => {
                let IntervalMonthDayNano { months, days, nanoseconds } = v[row];
                interval_field(out, nanoseconds.div_euclid(1000), days, months)
            }
        }
        Ok(())
    }
}

fn numeric_field(out: &mut Vec<u8>, mantissa: i128, scale: i8) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    numeric::encode(mantissa, scale, out);
    let len = (out.len() - at - 4) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

fn interval_field(out: &mut Vec<u8>, micros: i64, days: i32, months: i32) {
    out.extend_from_slice(&16i32.to_be_bytes());
    out.extend_from_slice(&micros.to_be_bytes());
    out.extend_from_slice(&days.to_be_bytes());
    out.extend_from_slice(&months.to_be_bytes());
}
