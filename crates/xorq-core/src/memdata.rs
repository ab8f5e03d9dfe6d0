//! The content hash of in-memory data: a canonical, value-level encoding, so the same values give
//! the same hash however they are split into batches or laid out in memory (slices, string views).

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType as ArrowType;

use crate::address::Address;
use crate::encode::Encoder;
use crate::error::{CoreError, Result};
use crate::schema::Schema;

/// BLAKE3 over the schema and every value, column by column, row by row.
pub(crate) fn content_hash(schema: &Schema, batches: &[RecordBatch]) -> Result<Address> {
    let mut enc = Encoder::new("memtable");
    enc.len(schema.len());
    for f in schema.fields() {
        enc.str(&f.name);
        enc.dtype(&f.dtype);
    }
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    enc.len(rows);
    for (i, field) in schema.fields().iter().enumerate() {
        for batch in batches {
            let column = batch.columns().get(i).ok_or_else(|| CoreError::InvalidMemtable {
                message: format!("a batch has no column {i} (`{}`)", field.name),
            })?;
            encode_array(&mut enc, &field.name, column.as_ref())?;
        }
    }
    Ok(enc.finish())
}

fn encode_array(enc: &mut Encoder, name: &str, array: &dyn Array) -> Result<()> {
    let n = array.len();
    let valid = |i: usize| array.is_valid(i);
    match array.data_type() {
        ArrowType::Boolean => {
            let a = array.as_boolean();
            for i in 0..n {
                enc.bool(valid(i));
                if valid(i) {
                    enc.bool(a.value(i));
                }
            }
        }
        ArrowType::Utf8 => strings(enc, n, valid, |i| array.as_string::<i32>().value(i).as_bytes()),
        ArrowType::LargeUtf8 => strings(enc, n, valid, |i| array.as_string::<i64>().value(i).as_bytes()),
        ArrowType::Utf8View => strings(enc, n, valid, |i| array.as_string_view().value(i).as_bytes()),
        ArrowType::Binary => strings(enc, n, valid, |i| array.as_binary::<i32>().value(i)),
        ArrowType::LargeBinary => strings(enc, n, valid, |i| array.as_binary::<i64>().value(i)),
        ArrowType::BinaryView => strings(enc, n, valid, |i| array.as_binary_view().value(i)),
        ArrowType::FixedSizeBinary(_) => strings(enc, n, valid, |i| array.as_fixed_size_binary().value(i)),
        ArrowType::Null => {
            for _ in 0..n {
                enc.bool(false);
            }
        }
        t if t.is_primitive() => {
            // Fixed-width values: read each value's bytes from the (possibly offset) buffer.
            let width = t.primitive_width().ok_or_else(|| CoreError::Internal(format!("no width for {t}")))?;
            let data = array.to_data();
            let buffer =
                data.buffers().first().ok_or_else(|| CoreError::Internal(format!("no values buffer for {t}")))?;
            let bytes = buffer.as_slice();
            let start = data.offset();
            for i in 0..n {
                enc.bool(valid(i));
                if valid(i) {
                    let at = (start + i) * width;
                    let value = bytes.get(at..at + width).ok_or_else(|| CoreError::InvalidMemtable {
                        message: format!("column `{name}` has a values buffer shorter than its length"),
                    })?;
                    enc.bytes(value);
                }
            }
        }
        other => {
            return Err(CoreError::UnsupportedType { column: name.to_string(), arrow_type: other.to_string() });
        }
    }
    Ok(())
}

fn strings<'a>(enc: &mut Encoder, n: usize, valid: impl Fn(usize) -> bool, value: impl Fn(usize) -> &'a [u8]) {
    for i in 0..n {
        enc.bool(valid(i));
        if valid(i) {
            enc.bytes(value(i));
        }
    }
}
