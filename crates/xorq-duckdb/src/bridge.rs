//! Arrow 60 (what the `duckdb` crate speaks) to arrow 59 (what DataFusion and the rest of xorq
//! speak) and back, zero-copy, over the Arrow C Data Interface (DEPS.md T1).
//!
//! A batch is viewed as one struct array, exported by one arrow as an `ArrowArray` and an
//! `ArrowSchema` C struct, and imported by the other. Both crates define those C structs as
//! `#[repr(C)]` types of the same layout, so crossing is moving the two structs, O(columns) per
//! batch: the buffers themselves never move, and the imported arrays release them through the
//! exporter's callback when the last reference is dropped.
//!
//! This is the only module of the crate with `unsafe` code: one function, [`move_ffi`], plus the
//! import calls of the C Data Interface.

use std::mem::ManuallyDrop;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch, RecordBatchOptions, StructArray};
use arrow::datatypes::Schema;
use arrow::error::ArrowError;
use arrow60::array::Array as _;

/// Moves one C Data Interface struct from one arrow crate's definition to the other's.
///
/// # Safety
///
/// `A` and `B` must be `#[repr(C)]` definitions of the same C struct of the Arrow C Data
/// Interface (`ArrowArray`, or `ArrowSchema`), as arrow's `FFI_ArrowArray` and `FFI_ArrowSchema`
/// are in every arrow version. Ownership moves: `value`'s release callback runs once, from the
/// returned value.
unsafe fn move_ffi<A, B>(value: A) -> B {
    const {
        assert!(size_of::<A>() == size_of::<B>() && align_of::<A>() == align_of::<B>());
    }
    let value = ManuallyDrop::new(value);
    // SAFETY: `A` and `B` have the same layout (the caller's contract, sizes and alignments
    // checked at compile time above), and `value` is read exactly once and never dropped, so the
    // struct and the buffers its release callback owns change hands without being freed twice.
    unsafe { std::ptr::read(std::ptr::from_ref::<A>(&*value).cast::<B>()) }
}

/// A DuckDB (arrow 60) batch as an arrow 59 batch, sharing its buffers.
pub(crate) fn to_arrow59(batch: arrow60::array::RecordBatch) -> Result<RecordBatch, ArrowError> {
    let rows = batch.num_rows();
    let metadata: std::collections::HashMap<String, String> = batch.schema().metadata().clone().into();
    let data = arrow60::array::StructArray::from(batch).into_data();
    let (array, schema) = arrow60::ffi::to_ffi(&data).map_err(|e| ArrowError::CDataInterface(e.to_string()))?;
    // SAFETY: arrow 59's and arrow 60's FFI_ArrowArray and FFI_ArrowSchema are both the
    // `#[repr(C)]` structs of the C Data Interface specification.
    let (array, schema): (arrow::ffi::FFI_ArrowArray, arrow::ffi::FFI_ArrowSchema) =
        unsafe { (move_ffi(array), move_ffi(schema)) };
    // SAFETY: `array` and `schema` were exported together, just above, from one valid struct
    // array, so the schema describes the array and the array's buffers are alive and owned by it.
    let data = unsafe { arrow::ffi::from_ffi(array, &schema) }?;
    if !matches!(data.data_type(), arrow::datatypes::DataType::Struct(_)) {
        return Err(not_a_struct(data.data_type()));
    }
    let (fields, columns, _) = StructArray::from(data).into_parts();
    let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
    RecordBatch::try_new_with_options(schema, columns, &RecordBatchOptions::new().with_row_count(Some(rows)))
}

/// An arrow 59 batch as a DuckDB (arrow 60) batch, sharing its buffers.
pub(crate) fn to_arrow60(batch: RecordBatch) -> Result<arrow60::array::RecordBatch, ArrowError> {
    let rows = batch.num_rows();
    let metadata = batch.schema().metadata().clone();
    let data = StructArray::from(batch).into_data();
    let (array, schema) = arrow::ffi::to_ffi(&data)?;
    // SAFETY: arrow 59's and arrow 60's FFI_ArrowArray and FFI_ArrowSchema are both the
    // `#[repr(C)]` structs of the C Data Interface specification.
    let (array, schema): (arrow60::ffi::FFI_ArrowArray, arrow60::ffi::FFI_ArrowSchema) =
        unsafe { (move_ffi(array), move_ffi(schema)) };
    // SAFETY: `array` and `schema` were exported together, just above, from one valid struct
    // array, so the schema describes the array and the array's buffers are alive and owned by it.
    let data =
        unsafe { arrow60::ffi::from_ffi(array, &schema) }.map_err(|e| ArrowError::CDataInterface(e.to_string()))?;
    if !matches!(data.data_type(), arrow60::datatypes::DataType::Struct(_)) {
        return Err(not_a_struct(data.data_type()));
    }
    let (fields, columns, _) = arrow60::array::StructArray::from(data).into_parts();
    let schema = Arc::new(arrow60::datatypes::Schema::new_with_metadata(fields, metadata));
    arrow60::array::RecordBatch::try_new_with_options(
        schema,
        columns,
        &arrow60::array::RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| ArrowError::CDataInterface(e.to_string()))
}

/// A struct array exported came back as something else: a bug in an arrow crate.
fn not_a_struct(found: &impl std::fmt::Display) -> ArrowError {
    ArrowError::CDataInterface(format!("a batch crossed arrow versions as `{found}`, not as a struct"))
}

#[cfg(test)]
mod tests {
    use arrow::array::{AsArray, Decimal128Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Int64Type, TimeUnit};
    use arrow60::array::Array as _;

    use super::*;

    /// An arrow 60 batch: Int64 and Utf8 with nulls, a decimal and a zoned timestamp.
    fn batch60() -> arrow60::array::RecordBatch {
        use arrow60::array::{ArrayRef, Decimal128Array, Int64Array, StringArray, TimestampMicrosecondArray};
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(i64::MAX), None, Some(-7)]));
        let names: ArrayRef = Arc::new(StringArray::from(vec![Some("héllo"), Some("世界"), None]));
        let prices: ArrayRef =
            Arc::new(Decimal128Array::from(vec![Some(12_345), None, Some(-1)]).with_precision_and_scale(10, 2).expect(
                "precision 10, scale 2 is a valid decimal type", // cannot fail: 0 < 2 <= 10 <= 38
            ));
        let ts: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![Some(0), Some(1), None]).with_timezone("UTC"));
        arrow60::array::RecordBatch::try_from_iter([("i", ints), ("s", names), ("p", prices), ("ts", ts)])
            .expect("columns of equal length") // cannot fail: all have three rows
    }

    #[test]
    fn arrow60_to_59_is_zero_copy_and_keeps_nulls() {
        let batch = batch60();
        let int_ptr = batch.column(0).to_data().buffers()[0].as_ptr() as usize;
        let str_ptr = batch.column(1).to_data().buffers()[1].as_ptr() as usize;

        let out = to_arrow59(batch).expect("crosses");
        assert_eq!(out.num_rows(), 3);
        let ints = out.column(0).as_primitive::<Int64Type>();
        assert_eq!(ints.values().as_ptr() as usize, int_ptr, "the Int64 buffer was copied");
        assert_eq!(ints, &Int64Array::from(vec![Some(i64::MAX), None, Some(-7)]));
        let names = out.column(1).as_string::<i32>();
        assert_eq!(names.values().as_ptr() as usize, str_ptr, "the string data was copied");
        assert_eq!(names, &StringArray::from(vec![Some("héllo"), Some("世界"), None]));
        let prices = out.column(2).as_primitive::<arrow::datatypes::Decimal128Type>();
        assert_eq!(prices.data_type(), &DataType::Decimal128(10, 2));
        assert_eq!(prices.null_count(), 1);
        assert_eq!(out.schema().field(3).data_type(), &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())));
        assert!(out.column(3).is_null(2));
    }

    #[test]
    fn arrow59_to_60_is_zero_copy_and_keeps_nulls() {
        let ints = Int64Array::from(vec![None, Some(i64::MIN), Some(3)]);
        let int_ptr = ints.values().as_ptr() as usize;
        let prices = Decimal128Array::from(vec![None, Some(99), Some(100)])
            .with_precision_and_scale(38, 10)
            .expect("precision 38, scale 10 is a valid decimal type"); // cannot fail: 0 < 10 <= 38
        let batch = RecordBatch::try_from_iter([
            ("i", Arc::new(ints) as arrow::array::ArrayRef),
            ("p", Arc::new(prices) as arrow::array::ArrayRef),
        ])
        .expect("columns of equal length"); // cannot fail: both have three rows

        let out = to_arrow60(batch).expect("crosses");
        let ints = out.column(0).as_any().downcast_ref::<arrow60::array::Int64Array>().expect("still Int64");
        assert_eq!(ints.values().as_ptr() as usize, int_ptr, "the Int64 buffer was copied");
        assert_eq!((ints.is_null(0), ints.value(1), ints.value(2)), (true, i64::MIN, 3));
        assert_eq!(out.column(1).data_type(), &arrow60::datatypes::DataType::Decimal128(38, 10));
        assert_eq!(out.column(1).null_count(), 1);
    }

    #[test]
    fn a_batch_without_columns_keeps_its_row_count() {
        let batch = RecordBatch::try_new_with_options(
            Arc::new(Schema::empty()),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(5)),
        )
        .expect("an empty schema with a row count");
        let there = to_arrow60(batch).expect("crosses");
        assert_eq!(there.num_rows(), 5);
        assert_eq!(to_arrow59(there).expect("crosses back").num_rows(), 5);
    }
}
