//! Query results: rows of the binary protocol into Arrow batches of the schema the IR promised.
//!
//! Each column is read straight into the target Arrow type when PostgreSQL's type converts to it
//! without loss of meaning (any integer or `numeric` into any integer or decimal, checked; a
//! `timestamptz` into a timestamp of any unit; …). Other pairs are read in the natural Arrow type
//! of the PostgreSQL type and cast by [`conform_stream`](crate::backend::conform_stream), which
//! refuses values that do not fit. `numeric` is decoded exactly (no floats) and rounded half away
//! from zero to the target scale.

use std::error::Error as StdError;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder,
    Int8Builder, Int16Builder, Int32Builder, Int64Builder, IntervalMonthDayNanoBuilder, RecordBatch,
    RecordBatchOptions, StringBuilder, Time64NanosecondBuilder, UInt8Builder, UInt16Builder, UInt32Builder,
    UInt64Builder,
};
use arrow::datatypes::{
    DataType as ArrowType, DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType,
    DurationSecondType, Field as ArrowField, IntervalMonthDayNano, IntervalUnit, Schema as ArrowSchema,
    SchemaRef as ArrowSchemaRef, TimeUnit as ArrowTimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Type};

use super::decode::{Value, decode, uuid_text};
use super::types::{Wire, wire_of};

/// Rows per batch.
pub(crate) const BATCH_ROWS: usize = 8192;

/// The bytes of a value of any type (decoded by [`decode`]).
struct Raw<'a>(&'a [u8]);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Raw(raw))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// The Arrow type a wire layout is read as when the target type is not one it converts to.
fn natural(wire: Wire) -> ArrowType {
    match wire {
        Wire::Bool => ArrowType::Boolean,
        Wire::Int2 => ArrowType::Int16,
        Wire::Int4 => ArrowType::Int32,
        Wire::Int8 | Wire::Oid => ArrowType::Int64,
        Wire::Float4 => ArrowType::Float32,
        Wire::Float8 => ArrowType::Float64,
        // The exact text; Arrow parses it into whatever the target is.
        Wire::Numeric | Wire::Text | Wire::Char | Wire::Jsonb | Wire::Uuid => ArrowType::Utf8,
        Wire::Bytea => ArrowType::Binary,
        Wire::Date => ArrowType::Date32,
        Wire::Time => ArrowType::Time64(ArrowTimeUnit::Nanosecond),
        Wire::Timestamp => ArrowType::Timestamp(ArrowTimeUnit::Microsecond, None),
        Wire::Timestamptz => ArrowType::Timestamp(ArrowTimeUnit::Microsecond, Some("UTC".into())),
        Wire::Interval => ArrowType::Interval(IntervalUnit::MonthDayNano),
    }
}

/// Whether values laid out as `wire` are read directly into `target`.
fn direct(wire: Wire, target: &ArrowType) -> bool {
    use Wire::*;
    let integer = matches!(wire, Int2 | Int4 | Int8 | Oid);
    match target {
        ArrowType::Boolean => wire == Bool,
        t if t.is_integer() => integer || wire == Numeric,
        ArrowType::Float32 | ArrowType::Float64 => integer || matches!(wire, Float4 | Float8 | Numeric),
        ArrowType::Decimal128(..) => integer || wire == Numeric,
        ArrowType::Utf8 => matches!(wire, Text | Char | Jsonb | Uuid | Numeric),
        ArrowType::Binary => wire == Bytea,
        ArrowType::Date32 => wire == Date,
        ArrowType::Time64(ArrowTimeUnit::Nanosecond) => wire == Time,
        ArrowType::Timestamp(..) => matches!(wire, Timestamp | Timestamptz),
        ArrowType::Duration(_) | ArrowType::Interval(IntervalUnit::MonthDayNano) => wire == Interval,
        _ => false,
    }
}

/// One column's builder, in the Arrow type it is read as.
enum Sink {
    Bool(BooleanBuilder),
    Int8(Int8Builder),
    Int16(Int16Builder),
    Int32(Int32Builder),
    Int64(Int64Builder),
    UInt8(UInt8Builder),
    UInt16(UInt16Builder),
    UInt32(UInt32Builder),
    UInt64(UInt64Builder),
    Float32(Float32Builder),
    Float64(Float64Builder),
    Decimal(Decimal128Builder, u8, i8),
    Utf8(StringBuilder),
    Binary(BinaryBuilder),
    Date(Date32Builder),
    Time(Time64NanosecondBuilder),
    /// Values in `unit`, finished as timestamps with the zone.
    Timestamp(Int64Builder, ArrowTimeUnit, Option<Arc<str>>),
    /// Values in `unit`, finished as durations.
    Duration(Int64Builder, ArrowTimeUnit),
    Interval(IntervalMonthDayNanoBuilder),
}

/// Calls `$body` with the builder of any variant bound to `$b`.
macro_rules! each_builder {
    ($sink:expr, $b:ident => $body:expr) => {
        match $sink {
            Sink::Bool($b) => $body,
            Sink::Int8($b) => $body,
            Sink::Int16($b) => $body,
            Sink::Int32($b) => $body,
            Sink::Int64($b) => $body,
            Sink::UInt8($b) => $body,
            Sink::UInt16($b) => $body,
            Sink::UInt32($b) => $body,
            Sink::UInt64($b) => $body,
            Sink::Float32($b) => $body,
            Sink::Float64($b) => $body,
            Sink::Decimal($b, ..) => $body,
            Sink::Utf8($b) => $body,
            Sink::Binary($b) => $body,
            Sink::Date($b) => $body,
            Sink::Time($b) => $body,
            Sink::Timestamp($b, ..) => $body,
            Sink::Duration($b, _) => $body,
            Sink::Interval($b) => $body,
        }
    };
}

impl Sink {
    /// A builder for `target`, which [`direct`] or [`natural`] chose.
    fn new(target: &ArrowType) -> Option<Sink> {
        let n = BATCH_ROWS;
        Some(match target {
            ArrowType::Boolean => Sink::Bool(BooleanBuilder::with_capacity(n)),
            ArrowType::Int8 => Sink::Int8(Int8Builder::with_capacity(n)),
            ArrowType::Int16 => Sink::Int16(Int16Builder::with_capacity(n)),
            ArrowType::Int32 => Sink::Int32(Int32Builder::with_capacity(n)),
            ArrowType::Int64 => Sink::Int64(Int64Builder::with_capacity(n)),
            ArrowType::UInt8 => Sink::UInt8(UInt8Builder::with_capacity(n)),
            ArrowType::UInt16 => Sink::UInt16(UInt16Builder::with_capacity(n)),
            ArrowType::UInt32 => Sink::UInt32(UInt32Builder::with_capacity(n)),
            ArrowType::UInt64 => Sink::UInt64(UInt64Builder::with_capacity(n)),
            ArrowType::Float32 => Sink::Float32(Float32Builder::with_capacity(n)),
            ArrowType::Float64 => Sink::Float64(Float64Builder::with_capacity(n)),
            ArrowType::Decimal128(p, s) => {
                Sink::Decimal(Decimal128Builder::with_capacity(n).with_data_type(target.clone()), *p, *s)
            }
            ArrowType::Utf8 => Sink::Utf8(StringBuilder::with_capacity(n, n * 16)),
            ArrowType::Binary => Sink::Binary(BinaryBuilder::with_capacity(n, n * 16)),
            ArrowType::Date32 => Sink::Date(Date32Builder::with_capacity(n)),
            ArrowType::Time64(ArrowTimeUnit::Nanosecond) => Sink::Time(Time64NanosecondBuilder::with_capacity(n)),
            ArrowType::Timestamp(unit, tz) => Sink::Timestamp(Int64Builder::with_capacity(n), *unit, tz.clone()),
            ArrowType::Duration(unit) => Sink::Duration(Int64Builder::with_capacity(n), *unit),
            ArrowType::Interval(IntervalUnit::MonthDayNano) => {
                Sink::Interval(IntervalMonthDayNanoBuilder::with_capacity(n))
            }
            _ => return None,
        })
    }

    fn append_null(&mut self) {
        each_builder!(self, b => b.append_null())
    }

    /// Appends `value`, converted to this builder's type; the error says why it cannot be.
    fn append(&mut self, value: Value<'_>) -> Result<(), String> {
        match self {
            Sink::Bool(b) => match value {
                Value::Bool(v) => b.append_value(v),
                other => return Err(mismatch(&other, "Boolean")),
            },
            Sink::Int8(b) => b.append_value(narrow(integer(value)?, "Int8")?),
            Sink::Int16(b) => b.append_value(narrow(integer(value)?, "Int16")?),
            Sink::Int32(b) => b.append_value(narrow(integer(value)?, "Int32")?),
            Sink::Int64(b) => b.append_value(narrow(integer(value)?, "Int64")?),
            Sink::UInt8(b) => b.append_value(narrow(integer(value)?, "UInt8")?),
            Sink::UInt16(b) => b.append_value(narrow(integer(value)?, "UInt16")?),
            Sink::UInt32(b) => b.append_value(narrow(integer(value)?, "UInt32")?),
            Sink::UInt64(b) => b.append_value(narrow(integer(value)?, "UInt64")?),
            // Lossy by request: the IR asked for a float.
            Sink::Float32(b) => b.append_value(float(value)? as f32),
            Sink::Float64(b) => b.append_value(float(value)?),
            Sink::Decimal(b, precision, scale) => b.append_value(decimal(value, *precision, *scale)?),
            Sink::Utf8(b) => match value {
                Value::Text(t) => b.append_value(t),
                Value::Uuid(u) => b.append_value(uuid_text(&u)),
                Value::Numeric(n) => b.append_value(n.text()),
                other => return Err(mismatch(&other, "Utf8")),
            },
            Sink::Binary(b) => match value {
                Value::Bytes(v) => b.append_value(v),
                other => return Err(mismatch(&other, "Binary")),
            },
            Sink::Date(b) => match value {
                Value::Date(d) => b.append_value(d),
                other => return Err(mismatch(&other, "Date32")),
            },
            Sink::Time(b) => match value {
                // PostgreSQL's time is in microseconds, the IR's in nanoseconds.
                Value::Time(t) => b.append_value(t.checked_mul(1_000).ok_or("time of day out of range")?),
                other => return Err(mismatch(&other, "Time64")),
            },
            Sink::Timestamp(b, unit, _) => match value {
                Value::Timestamp(micros) => b.append_value(from_micros(micros, *unit)?),
                other => return Err(mismatch(&other, "Timestamp")),
            },
            Sink::Duration(b, unit) => match value {
                Value::Interval { months: 0, days, micros } => {
                    let total = i64::from(days)
                        .checked_mul(86_400_000_000)
                        .and_then(|d| d.checked_add(micros))
                        .ok_or("interval out of range for a Duration")?;
                    b.append_value(from_micros(total, *unit)?)
                }
                Value::Interval { months, .. } => {
                    return Err(format!("an interval of {months} months has no fixed length (a Duration)"));
                }
                other => return Err(mismatch(&other, "Duration")),
            },
            Sink::Interval(b) => match value {
                Value::Interval { months, days, micros } => {
                    let nanos = micros.checked_mul(1000).ok_or("interval out of range")?;
                    b.append_value(IntervalMonthDayNano::new(months, days, nanos))
                }
                other => return Err(mismatch(&other, "Interval")),
            },
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Sink::Timestamp(b, unit, tz) => {
                let values = b.finish();
                match unit {
                    ArrowTimeUnit::Second => {
                        Arc::new(values.reinterpret_cast::<TimestampSecondType>().with_timezone_opt(tz.clone()))
                    }
                    ArrowTimeUnit::Millisecond => {
                        Arc::new(values.reinterpret_cast::<TimestampMillisecondType>().with_timezone_opt(tz.clone()))
                    }
                    ArrowTimeUnit::Microsecond => {
                        Arc::new(values.reinterpret_cast::<TimestampMicrosecondType>().with_timezone_opt(tz.clone()))
                    }
                    ArrowTimeUnit::Nanosecond => {
                        Arc::new(values.reinterpret_cast::<TimestampNanosecondType>().with_timezone_opt(tz.clone()))
                    }
                }
            }
            Sink::Duration(b, unit) => {
                let values = b.finish();
                match unit {
                    ArrowTimeUnit::Second => Arc::new(values.reinterpret_cast::<DurationSecondType>()),
                    ArrowTimeUnit::Millisecond => Arc::new(values.reinterpret_cast::<DurationMillisecondType>()),
                    ArrowTimeUnit::Microsecond => Arc::new(values.reinterpret_cast::<DurationMicrosecondType>()),
                    ArrowTimeUnit::Nanosecond => Arc::new(values.reinterpret_cast::<DurationNanosecondType>()),
                }
            }
            other => each_builder!(other, b => Arc::new(b.finish()) as ArrayRef),
        }
    }
}

fn kind(value: &Value<'_>) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Numeric(_) => "a numeric",
        Value::Text(_) => "text",
        Value::Bytes(_) => "bytes",
        Value::Uuid(_) => "a uuid",
        Value::Date(_) => "a date",
        Value::Time(_) => "a time",
        Value::Timestamp(_) => "a timestamp",
        Value::Interval { .. } => "an interval",
    }
}

fn mismatch(value: &Value<'_>, target: &str) -> String {
    format!("{} cannot be read as {target}", kind(value))
}

/// An integer value, exactly: a `numeric` must have no fraction.
fn integer(value: Value<'_>) -> Result<i128, String> {
    match value {
        Value::Int(i) => Ok(i128::from(i)),
        Value::Numeric(n) => match n.scaled(0)? {
            (v, false) => Ok(v),
            (_, true) => Err(format!("`{}` is not a whole number", n.text())),
        },
        other => Err(mismatch(&other, "an integer")),
    }
}

fn narrow<T: TryFrom<i128>>(value: i128, target: &str) -> Result<T, String> {
    T::try_from(value).map_err(|_| format!("{value} is out of range for {target}"))
}

fn float(value: Value<'_>) -> Result<f64, String> {
    match value {
        Value::Int(i) => Ok(i as f64),
        Value::Float(f) => Ok(f),
        // The exact text, parsed: correctly rounded (and `NaN`, `Infinity` as such).
        Value::Numeric(n) => n.text().parse().map_err(|_| format!("`{}` is not a number", n.text())),
        other => Err(mismatch(&other, "a float")),
    }
}

/// The value as a `Decimal128(precision, scale)` mantissa.
fn decimal(value: Value<'_>, precision: u8, scale: i8) -> Result<i128, String> {
    let mantissa = match value {
        Value::Int(i) => rescale(i128::from(i), scale)?,
        Value::Numeric(n) => n.scaled(scale)?.0,
        other => return Err(mismatch(&other, "a decimal")),
    };
    let limit = 10i128.checked_pow(u32::from(precision)).unwrap_or(i128::MAX);
    if mantissa.unsigned_abs() >= limit.unsigned_abs() {
        return Err(format!("a value with mantissa {mantissa} does not fit Decimal({precision}, {scale})"));
    }
    Ok(mantissa)
}

/// An integer times `10^scale`; a negative scale rounds half away from zero.
fn rescale(value: i128, scale: i8) -> Result<i128, String> {
    let factor = 10i128.checked_pow(u32::from(scale.unsigned_abs()));
    let out = match factor {
        Some(f) if scale >= 0 => value.checked_mul(f),
        Some(f) => {
            let (q, r) = (value / f, value % f);
            Some(if r.abs() * 2 >= f { q + value.signum() } else { q })
        }
        None => (scale < 0).then_some(0),
    };
    out.ok_or_else(|| format!("{value} does not fit 38 digits at scale {scale}"))
}

/// Microseconds in `unit` (rounded down below microseconds).
fn from_micros(micros: i64, unit: ArrowTimeUnit) -> Result<i64, String> {
    match unit {
        ArrowTimeUnit::Second => Ok(micros.div_euclid(1_000_000)),
        ArrowTimeUnit::Millisecond => Ok(micros.div_euclid(1000)),
        ArrowTimeUnit::Microsecond => Ok(micros),
        ArrowTimeUnit::Nanosecond => {
            micros.checked_mul(1000).ok_or_else(|| "out of range for nanoseconds (years 1677 to 2262)".to_string())
        }
    }
}

struct Column {
    name: String,
    wire: Wire,
    sink: Sink,
}

/// Rows into batches.
pub(crate) struct BatchReader {
    columns: Vec<Column>,
    schema: ArrowSchemaRef,
    rows: usize,
}

impl BatchReader {
    /// A reader of rows with `columns` for the `target` schema; the error names the column
    /// whose type cannot be read.
    pub(crate) fn new(columns: &[tokio_postgres::Column], target: &ArrowSchema) -> Result<Self, String> {
        if columns.len() != target.fields().len() {
            return Err(format!(
                "the query returns {} columns ({}), but the expression has {} ({})",
                columns.len(),
                columns.iter().map(|c| c.name()).collect::<Vec<_>>().join(", "),
                target.fields().len(),
                target.fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>().join(", "),
            ));
        }
        let mut readers = Vec::with_capacity(columns.len());
        let mut fields = Vec::with_capacity(columns.len());
        for (column, field) in columns.iter().zip(target.fields()) {
            let wire = wire_of(column.type_()).ok_or_else(|| {
                format!("column `{}` has PostgreSQL type `{}`, which xorq cannot read", field.name(), column.type_())
            })?;
            let read_as = if direct(wire, field.data_type()) { field.data_type().clone() } else { natural(wire) };
            let sink =
                Sink::new(&read_as).ok_or_else(|| format!("column `{}`: no reader for {read_as}", field.name()))?;
            fields.push(ArrowField::new(field.name(), read_as, true));
            readers.push(Column { name: field.name().clone(), wire, sink });
        }
        Ok(BatchReader { columns: readers, schema: Arc::new(ArrowSchema::new(fields)), rows: 0 })
    }

    /// The schema of the batches, before conforming.
    pub(crate) fn schema(&self) -> ArrowSchemaRef {
        self.schema.clone()
    }

    /// Rows buffered.
    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// Appends a row; the error names the column.
    pub(crate) fn push(&mut self, row: &Row) -> Result<(), String> {
        for (i, column) in self.columns.iter_mut().enumerate() {
            let raw: Option<Raw<'_>> = row.try_get(i).map_err(|e| format!("column `{}`: {e}", column.name))?;
            match raw {
                None => column.sink.append_null(),
                Some(Raw(bytes)) => decode(column.wire, bytes)
                    .and_then(|value| column.sink.append(value))
                    .map_err(|e| format!("column `{}`: {e}", column.name))?,
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The buffered rows as a batch; the reader starts over.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, String> {
        let arrays: Vec<ArrayRef> = self.columns.iter_mut().map(|c| c.sink.finish()).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(self.schema.clone(), arrays, &options).map_err(|e| e.to_string())
    }
}
