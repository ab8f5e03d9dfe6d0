//! SQLite rows to Arrow batches of the schema the IR promised.
//!
//! A value is read by its storage class and appended in the column's target type: integers and
//! reals as numbers, text parsed (dates, timestamps and decimals are stored as text or numbers,
//! see `types.rs`). A value that cannot be the column's type is an error naming the column.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Decimal128Builder, Float64Builder, Int64Builder, RecordBatch,
    StringBuilder,
};
use arrow::compute::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType as ArrowType, SchemaRef as ArrowSchemaRef};
use rusqlite::types::ValueRef;

/// Rows per batch.
pub(crate) const BATCH_ROWS: usize = 8192;

/// One column being read.
enum ColumnBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Decimal(Decimal128Builder, i8),
    /// Text, cast to the target type when the batch is finished (strings, dates, times).
    Text(StringBuilder),
    Blob(BinaryBuilder),
}

impl ColumnBuilder {
    fn new(target: &ArrowType) -> Self {
        match target {
            t if t.is_integer() => ColumnBuilder::Int(Int64Builder::with_capacity(BATCH_ROWS)),
            t if t.is_floating() => ColumnBuilder::Float(Float64Builder::with_capacity(BATCH_ROWS)),
            ArrowType::Boolean => ColumnBuilder::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
            ArrowType::Decimal128(p, s) => ColumnBuilder::Decimal(
                Decimal128Builder::with_capacity(BATCH_ROWS).with_data_type(ArrowType::Decimal128(*p, *s)),
                *s,
            ),
            ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView => {
                ColumnBuilder::Blob(BinaryBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8))
            }
            _ => ColumnBuilder::Text(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 8)),
        }
    }

    fn append(&mut self, value: ValueRef<'_>) -> Result<(), String> {
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_string();
        match (self, value) {
            (ColumnBuilder::Int(b), ValueRef::Null) => b.append_null(),
            (ColumnBuilder::Float(b), ValueRef::Null) => b.append_null(),
            (ColumnBuilder::Bool(b), ValueRef::Null) => b.append_null(),
            (ColumnBuilder::Decimal(b, _), ValueRef::Null) => b.append_null(),
            (ColumnBuilder::Text(b), ValueRef::Null) => b.append_null(),
            (ColumnBuilder::Blob(b), ValueRef::Null) => b.append_null(),
            (ColumnBuilder::Int(b), ValueRef::Integer(i)) => b.append_value(i),
            (ColumnBuilder::Int(b), ValueRef::Real(r)) if r.fract() == 0.0 && r.abs() < 9.2e18 => {
                // Exact: integral and within i64.
                b.append_value(r as i64)
            }
            (ColumnBuilder::Int(b), ValueRef::Text(t)) => {
                b.append_value(text(t).parse().map_err(|_| format!("`{}` is not an integer", text(t)))?)
            }
            (ColumnBuilder::Float(b), ValueRef::Integer(i)) => b.append_value(i as f64),
            (ColumnBuilder::Float(b), ValueRef::Real(r)) => b.append_value(r),
            (ColumnBuilder::Float(b), ValueRef::Text(t)) => {
                b.append_value(text(t).parse().map_err(|_| format!("`{}` is not a number", text(t)))?)
            }
            (ColumnBuilder::Bool(b), ValueRef::Integer(i)) => b.append_value(i != 0),
            (ColumnBuilder::Bool(b), ValueRef::Real(r)) => b.append_value(r != 0.0),
            (ColumnBuilder::Bool(b), ValueRef::Text(t)) => {
                b.append_value(match text(t).to_ascii_lowercase().as_str() {
                    "1" | "true" | "t" => true,
                    "0" | "false" | "f" => false,
                    other => return Err(format!("`{other}` is not a boolean")),
                })
            }
            (ColumnBuilder::Decimal(b, scale), ValueRef::Integer(i)) => b.append_value(
                i128::from(i).checked_mul(10i128.pow(u32::try_from(*scale).unwrap_or(0))).ok_or("decimal overflow")?,
            ),
            (ColumnBuilder::Decimal(b, scale), ValueRef::Real(r)) => {
                let scaled = (r * 10f64.powi(i32::from(*scale))).round();
                if !scaled.is_finite() || scaled.abs() >= 1e38 {
                    return Err(format!("{r} does not fit the decimal"));
                }
                // Exact for |scaled| < 1e38 (checked above), rounding is SQLite's REAL storage.
                b.append_value(scaled as i128)
            }
            (ColumnBuilder::Decimal(b, scale), ValueRef::Text(t)) => {
                let parsed: f64 = text(t).parse().map_err(|_| format!("`{}` is not a decimal", text(t)))?;
                b.append_value((parsed * 10f64.powi(i32::from(*scale))).round() as i128)
            }
            (ColumnBuilder::Text(b), ValueRef::Text(t)) => b.append_value(String::from_utf8_lossy(t)),
            (ColumnBuilder::Text(b), ValueRef::Integer(i)) => b.append_value(i.to_string()),
            (ColumnBuilder::Text(b), ValueRef::Real(r)) => b.append_value(r.to_string()),
            (ColumnBuilder::Blob(b), ValueRef::Blob(x) | ValueRef::Text(x)) => b.append_value(x),
            (_, other) => return Err(format!("a {:?} value does not fit", other.data_type())),
        }
        Ok(())
    }

    fn finish(&mut self, target: &ArrowType) -> Result<ArrayRef, String> {
        let array: ArrayRef = match self {
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Float(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
            ColumnBuilder::Decimal(b, _) => Arc::new(b.finish()),
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Blob(b) => Arc::new(b.finish()),
        };
        if array.data_type() == target {
            return Ok(array);
        }
        let options = CastOptions { safe: false, ..CastOptions::default() };
        cast_with_options(&array, target, &options).map_err(|e| crate::backend::conform::explain_cast_error(&e, target))
    }
}

/// Accumulates rows into batches of `schema`.
pub(crate) struct BatchBuilder {
    schema: ArrowSchemaRef,
    columns: Vec<ColumnBuilder>,
    rows: usize,
}

impl BatchBuilder {
    pub(crate) fn new(schema: ArrowSchemaRef) -> Self {
        let columns = schema.fields().iter().map(|f| ColumnBuilder::new(f.data_type())).collect();
        BatchBuilder { schema, columns, rows: 0 }
    }

    /// Appends one row; `Err` names the column whose value does not fit.
    pub(crate) fn append(&mut self, row: &rusqlite::Row<'_>) -> Result<(), String> {
        for (i, column) in self.columns.iter_mut().enumerate() {
            let value = row.get_ref(i).map_err(|e| e.to_string())?;
            column.append(value).map_err(|e| format!("column `{}`: {e}", self.schema.field(i).name()))?;
        }
        self.rows += 1;
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.rows
    }

    /// The rows so far as a batch; the builder starts over.
    pub(crate) fn finish(&mut self) -> Result<RecordBatch, String> {
        let arrays = self
            .columns
            .iter_mut()
            .zip(self.schema.fields())
            .map(|(c, f)| c.finish(f.data_type()).map_err(|e| format!("column `{}`: {e}", f.name())))
            .collect::<Result<Vec<_>, _>>()?;
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| e.to_string())
    }
}
