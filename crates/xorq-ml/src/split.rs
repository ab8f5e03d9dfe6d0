//! Deterministic, hash-based splits: `train_test_split(table, test_size, keys, seed)`.
//!
//! Each row gets a number in `[0, 1)` from the BLAKE3 hash of the seed and its key values
//! (`split_hash(seed, key, …)`, a registered function computed on the embedded engine); a row
//! whose number is below `test_size` is a test row. The number depends only on the values, not
//! on their order, the partitioning, or the engine the rows come from: integers of any width
//! hash as the same 64-bit value, text of any Arrow representation as the same UTF-8 bytes, so a
//! row read from SQLite lands where the same row read from Parquet does.
//!
//! The bytes hashed for each row (the contract; changing it is a new function version):
//! the seed as 8 little-endian bytes, then per key a tag and the value — `n` for null; `i` + i64
//! LE for signed integers and unsigned ones up to `i64::MAX`; `u` + u64 LE above that; `f` + the
//! f64 bits LE (`-0.0` as `0.0`, every NaN as the canonical one; `Float32` widened); `b` + one
//! byte; `s` + u64 LE length + UTF-8; `x` + u64 LE length + bytes; `d` + i32 LE days; `t` + i64
//! LE nanoseconds since the epoch in UTC. The number is the first 8 bytes of the hash, as a
//! u64 LE, divided by 2⁶⁴.
//!
//! ```
//! use xorq_ml::split::bucket_of;
//! use datafusion::arrow::array::{ArrayRef, Int32Array, Int64Array};
//! use std::sync::Arc;
//! let narrow: ArrayRef = Arc::new(Int32Array::from(vec![7]));
//! let wide: ArrayRef = Arc::new(Int64Array::from(vec![7]));
//! assert_eq!(bucket_of(42, &[narrow]).unwrap(), bucket_of(42, &[wide]).unwrap());
//! ```

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType as ArrowType, TimeUnit as ArrowUnit};
use datafusion::common::{Result as DfResult, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDFImpl, Signature as DfSignature, Volatility,
};
use xorq_core::expr::func::{Arg, FunctionDef, Refusal, Signature, Typing};
use xorq_core::{DataType, Expr, Table, col, lit};

use crate::error::{MlError, Result};

/// The name of the split function (in SQL: `WHERE split_hash(42, id) >= 0.2` keeps the train
/// rows of a 20 % test split).
pub const SPLIT_HASH: &str = "split_hash";

/// The catalogue entry of `split_hash(seed, key, …)`.
pub(crate) static SPLIT_HASH_DEF: FunctionDef = FunctionDef::scalar(
    SPLIT_HASH,
    Typing::Custom(split_hash_typing),
    "a number in [0, 1) from the hash of an integer seed and the key values: a deterministic split",
);

fn split_hash_typing(args: &[Arg<'_>]) -> std::result::Result<Signature, Refusal> {
    if args.len() < 2 {
        return Err(Refusal::Arity("at least 2 (an integer seed, then key columns)".into()));
    }
    if !args[0].dtype.is_integer() {
        return Err(Refusal::Message(format!("the seed (first argument) must be an integer, not {}", args[0].dtype)));
    }
    let mut out = vec![DataType::Int64];
    for a in &args[1..] {
        if !hashable(a.dtype) {
            return Err(Refusal::Message(format!(
                "a split key of type {} cannot be hashed the same way on every engine; cast it to an integer or text",
                a.dtype
            )));
        }
        out.push(a.dtype.clone());
    }
    Ok(Signature { args: out, result: DataType::Float64 })
}

fn hashable(t: &DataType) -> bool {
    t.is_integer()
        || matches!(
            t,
            DataType::Float32
                | DataType::Float64
                | DataType::String
                | DataType::Binary
                | DataType::Boolean
                | DataType::Date
                | DataType::Timestamp { .. }
                | DataType::Null
        )
}

/// The split numbers of the rows of `keys` with `seed`.
pub fn bucket_of(seed: i64, keys: &[ArrayRef]) -> Result<Vec<f64>> {
    let rows = keys.first().map_or(0, |k| k.len());
    let mut hashers: Vec<blake3::Hasher> = (0..rows)
        .map(|_| {
            let mut h = blake3::Hasher::new();
            h.update(&seed.to_le_bytes());
            h
        })
        .collect();
    for key in keys {
        feed(key, &mut hashers)?;
    }
    Ok(hashers
        .into_iter()
        .map(|h| {
            let hash = h.finalize();
            let mut first = [0u8; 8];
            first.copy_from_slice(&hash.as_bytes()[..8]);
            u64::from_le_bytes(first) as f64 / 18_446_744_073_709_551_616.0
        })
        .collect())
}

fn cast_err(e: datafusion::arrow::error::ArrowError) -> MlError {
    MlError::Split(format!("a split key cannot be read: {e}"))
}

/// Adds each row's tagged value of `key` to its hasher.
fn feed(key: &ArrayRef, hashers: &mut [blake3::Hasher]) -> Result<()> {
    let t = key.data_type();
    let each = |hashers: &mut [blake3::Hasher], f: &mut dyn FnMut(usize, &mut blake3::Hasher)| {
        for (i, h) in hashers.iter_mut().enumerate() {
            if key.is_null(i) {
                h.update(b"n");
            } else {
                f(i, h);
            }
        }
    };
    match t {
        ArrowType::Null => each(hashers, &mut |_, _| {}),
        ArrowType::UInt64 => {
            let a = key.as_primitive::<datafusion::arrow::datatypes::UInt64Type>();
            each(hashers, &mut |i, h| match i64::try_from(a.value(i)) {
                Ok(v) => {
                    h.update(b"i");
                    h.update(&v.to_le_bytes());
                }
                Err(_) => {
                    h.update(b"u");
                    h.update(&a.value(i).to_le_bytes());
                }
            });
        }
        t if t.is_integer() => {
            let a = cast(key, &ArrowType::Int64).map_err(cast_err)?;
            let a = a.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            each(hashers, &mut |i, h| {
                h.update(b"i");
                h.update(&a.value(i).to_le_bytes());
            });
        }
        ArrowType::Float16 | ArrowType::Float32 | ArrowType::Float64 => {
            let a = cast(key, &ArrowType::Float64).map_err(cast_err)?;
            let a = a.as_primitive::<datafusion::arrow::datatypes::Float64Type>();
            each(hashers, &mut |i, h| {
                let v = a.value(i);
                let v = if v.is_nan() {
                    f64::NAN
                } else if v == 0.0 {
                    0.0
                } else {
                    v
                };
                h.update(b"f");
                h.update(&v.to_bits().to_le_bytes());
            });
        }
        ArrowType::Boolean => {
            let a = key.as_boolean();
            each(hashers, &mut |i, h| {
                h.update(b"b");
                h.update(&[a.value(i) as u8]);
            });
        }
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View | ArrowType::Dictionary(..) => {
            let a = cast(key, &ArrowType::Utf8).map_err(cast_err)?;
            let a = a.as_string::<i32>();
            each(hashers, &mut |i, h| {
                let v = a.value(i).as_bytes();
                h.update(b"s");
                h.update(&(v.len() as u64).to_le_bytes());
                h.update(v);
            });
        }
        ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView => {
            let a = cast(key, &ArrowType::Binary).map_err(cast_err)?;
            let a = a.as_binary::<i32>();
            each(hashers, &mut |i, h| {
                let v = a.value(i);
                h.update(b"x");
                h.update(&(v.len() as u64).to_le_bytes());
                h.update(v);
            });
        }
        ArrowType::Date32 | ArrowType::Date64 => {
            let a = cast(key, &ArrowType::Date32).map_err(cast_err)?;
            let a = a.as_primitive::<datafusion::arrow::datatypes::Date32Type>();
            each(hashers, &mut |i, h| {
                h.update(b"d");
                h.update(&a.value(i).to_le_bytes());
            });
        }
        ArrowType::Timestamp(_, tz) => {
            let utc = ArrowType::Timestamp(ArrowUnit::Nanosecond, tz.as_ref().map(|_| Arc::from("UTC")));
            let a = cast(key, &utc).map_err(cast_err)?;
            let a = a.as_primitive::<datafusion::arrow::datatypes::TimestampNanosecondType>();
            each(hashers, &mut |i, h| {
                h.update(b"t");
                h.update(&a.value(i).to_le_bytes());
            });
        }
        other => {
            return Err(MlError::Split(format!(
                "a split key of Arrow type {other} cannot be hashed the same way on every engine; cast it to an integer or text"
            )));
        }
    }
    Ok(())
}

/// DataFusion's implementation of `split_hash`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub(crate) struct SplitHash {
    signature: DfSignature,
}

impl SplitHash {
    pub(crate) fn new() -> Self {
        SplitHash { signature: DfSignature::user_defined(Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for SplitHash {
    fn name(&self) -> &str {
        SPLIT_HASH
    }

    fn signature(&self) -> &DfSignature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[ArrowType]) -> DfResult<Vec<ArrowType>> {
        let mut out = arg_types.to_vec();
        if let Some(first) = out.first_mut() {
            *first = ArrowType::Int64;
        }
        Ok(out)
    }

    fn return_type(&self, _: &[ArrowType]) -> DfResult<ArrowType> {
        Ok(ArrowType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let seed = match args.args.first() {
            Some(ColumnarValue::Scalar(ScalarValue::Int64(Some(s)))) => *s,
            _ => return exec_err!("split_hash: the seed (first argument) must be a constant integer"),
        };
        let keys = ColumnarValue::values_to_arrays(&args.args[1..])?;
        let values = bucket_of(seed, &keys)?;
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(values))))
    }
}

/// The rows of `table` split into train and test: a row is a test row when the hash of `seed`
/// and its `keys` falls below `test_size` (see the module documentation).
///
/// ```
/// # use std::sync::Arc;
/// # use datafusion::arrow::array::{Int64Array, RecordBatch};
/// # xorq_ml::register().unwrap();
/// # let t = xorq_core::Table::memtable(vec![RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from((0..100).collect::<Vec<i64>>())) as _)]).unwrap()]).unwrap();
/// let (train, test) = xorq_ml::train_test_split(&t, 0.25, &["id"], 42)?;
/// assert_ne!(train.address(), test.address());
/// # Ok::<(), xorq_ml::MlError>(())
/// ```
pub fn train_test_split(table: &Table, test_size: f64, keys: &[&str], seed: i64) -> Result<(Table, Table)> {
    if !(test_size > 0.0 && test_size < 1.0) {
        return Err(MlError::Split(format!("test_size must be between 0 and 1 (exclusive), not {test_size}")));
    }
    let mut parts = train_test_splits(table, &[1.0 - test_size, test_size], keys, seed)?;
    let test = parts.pop();
    let train = parts.pop();
    match (train, test) {
        (Some(train), Some(test)) => Ok((train, test)),
        _ => Err(MlError::Split("a two-way split gave fewer than two parts".into())),
    }
}

/// The rows of `table` in consecutive parts of the given `fractions` (summing to 1), by the
/// hash of `seed` and `keys`. The last fraction's rows come first in hash order, so
/// `train_test_split(t, 0.2, …)` is `train_test_splits(t, &[0.8, 0.2], …)`.
pub fn train_test_splits(table: &Table, fractions: &[f64], keys: &[&str], seed: i64) -> Result<Vec<Table>> {
    if keys.is_empty() {
        return Err(MlError::Split("a split needs at least one key column whose values identify a row".into()));
    }
    let total: f64 = fractions.iter().sum();
    if fractions.len() < 2 || fractions.iter().any(|f| f.is_nan() || *f <= 0.0) || (total - 1.0).abs() > 1e-9 {
        return Err(MlError::Split(format!(
            "split fractions must be two or more numbers above 0 that sum to 1, not {fractions:?}"
        )));
    }
    let func = crate::functions::handles()?.split_hash;
    let mut args = vec![lit(seed)];
    args.extend(keys.iter().map(|k| col(*k)));
    let hash = Expr::call_function(func, args);
    // Bounds from the last fraction down, so the test part of a two-way split is the lowest.
    let last = fractions.len() - 1;
    let mut upper = 1.0;
    let mut out = Vec::with_capacity(fractions.len());
    for (i, f) in fractions.iter().enumerate() {
        let lower = if i == last { 0.0 } else { upper - f };
        // The hash is below 1, so the first part needs no upper bound, the last no lower one.
        let cond = match i {
            0 => hash.clone().gt_eq(lit(lower)),
            _ if i == last => hash.clone().lt(lit(upper)),
            _ => hash.clone().gt_eq(lit(lower)).and(hash.clone().lt(lit(upper))),
        };
        out.push(table.filter(cond)?);
        upper = lower;
    }
    Ok(out)
}
