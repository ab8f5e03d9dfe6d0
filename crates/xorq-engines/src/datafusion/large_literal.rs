//! Large constants (a fitted model broadcast into a query as a literal) as a function returning
//! the value, so DataFusion never prints them.
//!
//! DataFusion names every expression by printing it, literals included, and it names them
//! often: each optimizer pass that rebuilds a projection recomputes the names of its
//! expressions. For a literal of megabytes (a random forest is ~10 MB of JSON), printing its
//! bytes as decimal numbers dozens of times per query cost seconds. Lowered as a call to a
//! function that holds the value, the expression is named `binary(<size> bytes, blake3 <hex>)`
//! and the value is handed to its consumers once per batch, as a scalar: what a literal would
//! give them, without the printing.
//!
//! The function is `Volatile` only so that plan-time constant folding does not turn it back
//! into a literal; its value never changes.

use std::hash::{Hash, Hasher};

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// Values at least this long (bytes of text or binary) are lowered through [`large_literal`].
pub const LARGE: usize = 4096;

/// A constant whose value is only shown by size and digest.
#[derive(Debug)]
struct LargeLiteral {
    value: ScalarValue,
    name: String,
    signature: Signature,
}

impl PartialEq for LargeLiteral {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}
impl Eq for LargeLiteral {}
impl Hash for LargeLiteral {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // The name holds the digest of the value.
        self.name.hash(state);
    }
}

/// The bytes of a text or binary value.
fn bytes(value: &ScalarValue) -> Option<&[u8]> {
    match value {
        ScalarValue::Binary(Some(b)) | ScalarValue::LargeBinary(Some(b)) | ScalarValue::BinaryView(Some(b)) => {
            Some(b.as_slice())
        }
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            Some(s.as_bytes())
        }
        _ => None,
    }
}

/// `value` as an expression: a literal, or for text and binary of [`LARGE`] bytes or more, a
/// call that returns it (named by its size and digest).
///
/// ```
/// use datafusion::common::ScalarValue;
/// use datafusion::logical_expr::Expr;
/// use xorq_engines::datafusion::large_literal::large_literal;
/// assert!(matches!(large_literal(ScalarValue::Binary(Some(vec![1; 8]))), Expr::Literal(..)));
/// let big = large_literal(ScalarValue::Binary(Some(vec![1; 1 << 20])));
/// assert!(big.schema_name().to_string().starts_with("binary(1048576 bytes, blake3 "));
/// ```
pub fn large_literal(value: ScalarValue) -> Expr {
    if bytes(&value).is_none_or(|b| b.len() < LARGE) {
        return datafusion::prelude::lit(value);
    }
    holding(value).call(vec![])
}

/// The function returning `value` (text or binary), named by its size and digest.
pub(crate) fn holding(value: ScalarValue) -> ScalarUDF {
    let b = bytes(&value).unwrap_or_default();
    let kind = if matches!(value, ScalarValue::Binary(_) | ScalarValue::LargeBinary(_) | ScalarValue::BinaryView(_)) {
        "binary"
    } else {
        "text"
    };
    let digest = blake3::hash(b).to_hex();
    let name = format!("{kind}({} bytes, blake3 {})", b.len(), &digest[..16]);
    ScalarUDF::new_from_impl(LargeLiteral { value, name, signature: Signature::nullary(Volatility::Volatile) })
}

/// The value `udf` returns when it is a large constant ([`holding`] rebuilds it), for a
/// serialized plan.
pub(crate) fn value_of(udf: &ScalarUDF) -> Option<&ScalarValue> {
    let inner: &dyn std::any::Any = udf.inner().as_ref();
    inner.downcast_ref::<LargeLiteral>().map(|l| &l.value)
}

impl ScalarUDFImpl for LargeLiteral {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.value.data_type())
    }

    fn schema_name(&self, _: &[Expr]) -> Result<String> {
        Ok(self.name.clone())
    }

    fn display_name(&self, _: &[Expr]) -> Result<String> {
        Ok(self.name.clone())
    }

    fn invoke_with_args(&self, _: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch};
    use datafusion::prelude::{SessionContext, col};

    use super::*;

    /// A large binary constant beside a column reads back as the same bytes on every row.
    #[tokio::test]
    async fn a_large_constant_is_its_value_on_every_row() {
        let ctx = SessionContext::new();
        let batch =
            RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as _)]).expect("batch");
        let value: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let df = ctx
            .read_batch(batch)
            .expect("reads")
            .select(vec![col("id"), large_literal(ScalarValue::Binary(Some(value.clone()))).alias("v")])
            .expect("selects");
        let out = df.collect().await.expect("runs");
        let v = out[0].column(1).as_binary::<i32>();
        assert_eq!(v.len(), 3);
        assert!((0..3).all(|i| v.value(i) == value.as_slice()));
    }
}
