//! Our own functions in a serialized DataFusion plan (what a Ballista client sends its scheduler,
//! and the scheduler its executors).
//!
//! DataFusion's plan serialization names a function and lets the receiving side look the name
//! up in its registry. That is right for DataFusion's own functions and for registered ones, but
//! three of ours carry state that a name does not: checked arithmetic and the checked `sum` hold
//! the operation as the expression writes it (for the overflow error), and a large constant
//! holds its value. Looked up by name, the first two would lose their message and the third its
//! value. So each is written with what it holds ([`encode_udf`], [`encode_udaf`]) and rebuilt
//! from it ([`decode_udf`], [`decode_udaf`]); a registered function is written as its name and
//! version, so a process that registered another version refuses the plan instead of running
//! the wrong implementation. DataFusion's own functions are left to the name lookup.
//!
//! The bytes: `xorq1`, one tag byte, then the tag's payload (UTF-8 text, or a value's kind byte
//! and bytes, or a name, a NUL and a version as 4 little-endian bytes).

use std::sync::Arc;

use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{AggregateUDF, Expr, ScalarUDF};

use xorq_core::expr::AggFunc;
use xorq_core::expr::ir::ExprKind;
use xorq_core::{DataType, Literal, RelOp};

use super::{checked, checked_sum, functions, large_literal};

const MAGIC: &[u8] = b"xorq1";
const CHECKED: u8 = 1;
const LARGE_LITERAL: u8 = 2;
const REGISTERED: u8 = 3;
const CHECKED_SUM: u8 = 4;

/// The bytes that rebuild `udf` on another process, or `None` for DataFusion's own functions
/// (looked up by name there).
///
/// ```
/// use datafusion::functions::math::abs;
/// assert!(xorq_engines::datafusion::portable::encode_udf(&abs()).is_none());
/// ```
pub fn encode_udf(udf: &ScalarUDF) -> Option<Vec<u8>> {
    if let Some(label) = checked::label_of(udf) {
        return Some(framed(CHECKED, label.as_bytes()));
    }
    if let Some(value) = large_literal::value_of(udf) {
        let (kind, bytes) = value_bytes(value)?;
        let mut payload = vec![kind];
        payload.extend_from_slice(bytes);
        return Some(framed(LARGE_LITERAL, &payload));
    }
    functions::registered_scalar_key(udf).map(|(name, version)| framed(REGISTERED, &named(name, version)))
}

/// The function `name` rebuilt from bytes written by [`encode_udf`].
pub fn decode_udf(name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
    let (tag, payload) = unframed(name, buf)?;
    match tag {
        CHECKED => checked::from_parts(name, text(name, payload)?)
            .map(Arc::new)
            .ok_or_else(|| malformed(name, "not a checked operation")),
        LARGE_LITERAL => {
            let (kind, bytes) = payload.split_first().ok_or_else(|| malformed(name, "no value"))?;
            Ok(Arc::new(large_literal::holding(value_from(name, *kind, bytes)?)))
        }
        REGISTERED => {
            let (fname, version) = unnamed(name, payload)?;
            functions::registered_scalar_at(&fname, version).ok_or_else(|| not_here("function", &fname, version))
        }
        _ => Err(malformed(name, "unknown kind")),
    }
}

/// The bytes that rebuild `udaf` on another process, or `None` for DataFusion's own aggregates.
pub fn encode_udaf(udaf: &AggregateUDF) -> Option<Vec<u8>> {
    if let Some(label) = checked_sum::label_of(udaf) {
        return Some(framed(CHECKED_SUM, label.as_bytes()));
    }
    functions::registered_aggregate_key(udaf).map(|(name, version)| framed(REGISTERED, &named(name, version)))
}

/// The aggregate `name` rebuilt from bytes written by [`encode_udaf`].
pub fn decode_udaf(name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
    let (tag, payload) = unframed(name, buf)?;
    match tag {
        CHECKED_SUM => Ok(checked_sum::checked_sum(text(name, payload)?)),
        REGISTERED => {
            let (fname, version) = unnamed(name, payload)?;
            functions::registered_aggregate_at(&fname, version).ok_or_else(|| not_here("aggregate", &fname, version))
        }
        _ => Err(malformed(name, "unknown kind")),
    }
}

/// The registered functions of this process (their current versions), for a function registry
/// that looks plans' functions up by name.
pub fn registered() -> (Vec<Arc<ScalarUDF>>, Vec<Arc<AggregateUDF>>) {
    functions::all_registered()
}

/// Whether the lowering of `op` calls a function stock DataFusion does not have: a registered
/// function, checked arithmetic or `sum` (see `checked.rs`), a large constant, a table function.
/// Such a node runs only where xorq's functions are: the embedded engine, or a cluster started
/// with `xorq ballista`. The same predicates as the lowering's decide it, so the two agree.
///
/// ```
/// use xorq_core::{DataType, Field, Schema, Source, Table, col, lit};
/// use xorq_engines::datafusion::portable::calls_own_functions;
/// let schema = Schema::new(vec![Field::new("n", DataType::Int64, true), Field::new("x", DataType::Float64, true)])?;
/// let t = Table::from_source(Source::table("db", vec!["t".into()], schema))?;
/// let floats = t.select([(col("x") * lit(2.0)).alias("y")])?;
/// assert!(!calls_own_functions(floats.node().op()));
/// let integers = t.select([(col("n") * lit(2)).alias("m")])?; // checked: an overflow is an error
/// assert!(calls_own_functions(integers.node().op()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn calls_own_functions(op: &RelOp) -> bool {
    matches!(op, RelOp::TableFunction(_))
        || op.expressions().iter().any(|e| {
            e.any(|x| match &x.kind {
                ExprKind::Function { func, .. } => !func.is_builtin(),
                ExprKind::Aggregate(call) => {
                    !call.func.is_builtin()
                        || (call.func == AggFunc::SUM
                            && call.args.first().is_some_and(|a| a.dtype.is_integer() || a.dtype == DataType::Null))
                }
                ExprKind::Binary { op, left, right } => {
                    checked::binary_op(*op, &left.dtype, &right.dtype, &x.dtype).is_some()
                }
                ExprKind::Negate(inner) => inner.dtype.is_signed_integer(),
                ExprKind::Literal(Literal::String(s)) => s.len() >= large_literal::LARGE,
                ExprKind::Literal(Literal::Binary(b)) => b.len() >= large_literal::LARGE,
                // A parameter's value is known only when it is bound; text and binary may be large.
                ExprKind::Param(_) => matches!(x.dtype, DataType::String | DataType::Binary),
                _ => false,
            })
        })
}

/// The function a cluster is asked to run to learn whether it knows xorq's functions.
pub const PROBE_FUNCTION: &str = "checked_add";

/// `left + right` with checked arithmetic, which only a process with xorq's functions runs.
pub fn probe_call(left: Expr, right: Expr) -> Expr {
    let udf = checked::from_parts(PROBE_FUNCTION, "(1 + 1)".into())
        .unwrap_or_else(|| unreachable!("`checked_add` is a checked operation's name"));
    Arc::new(udf).call(vec![left, right])
}

fn framed(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAGIC.len() + 1 + payload.len());
    out.extend_from_slice(MAGIC);
    out.push(tag);
    out.extend_from_slice(payload);
    out
}

fn unframed<'a>(name: &str, buf: &'a [u8]) -> Result<(u8, &'a [u8])> {
    let rest = buf.strip_prefix(MAGIC).ok_or_else(|| {
        DataFusionError::Plan(format!(
            "function `{name}` is not one this process knows (no xorq encoding); \
             hint: run the cluster's scheduler and executors with `xorq ballista`, which know xorq's functions"
        ))
    })?;
    rest.split_first().map(|(tag, payload)| (*tag, payload)).ok_or_else(|| malformed(name, "empty"))
}

fn text(name: &str, payload: &[u8]) -> Result<String> {
    String::from_utf8(payload.to_vec()).map_err(|_| malformed(name, "a label that is not UTF-8"))
}

fn named(name: &str, version: u32) -> Vec<u8> {
    let mut out = name.as_bytes().to_vec();
    out.push(0);
    out.extend_from_slice(&version.to_le_bytes());
    out
}

fn unnamed(name: &str, payload: &[u8]) -> Result<(String, u32)> {
    let nul = payload.iter().position(|b| *b == 0).ok_or_else(|| malformed(name, "no version"))?;
    let version: [u8; 4] = payload[nul + 1..].try_into().map_err(|_| malformed(name, "a version of the wrong size"))?;
    Ok((text(name, &payload[..nul])?, u32::from_le_bytes(version)))
}

/// The kind byte and bytes of a text or binary value (what a large constant holds).
fn value_bytes(value: &ScalarValue) -> Option<(u8, &[u8])> {
    Some(match value {
        ScalarValue::Binary(Some(b)) => (0, b.as_slice()),
        ScalarValue::LargeBinary(Some(b)) => (1, b.as_slice()),
        ScalarValue::BinaryView(Some(b)) => (2, b.as_slice()),
        ScalarValue::Utf8(Some(s)) => (3, s.as_bytes()),
        ScalarValue::LargeUtf8(Some(s)) => (4, s.as_bytes()),
        ScalarValue::Utf8View(Some(s)) => (5, s.as_bytes()),
        _ => return None,
    })
}

fn value_from(name: &str, kind: u8, bytes: &[u8]) -> Result<ScalarValue> {
    let b = bytes.to_vec();
    Ok(match kind {
        0 => ScalarValue::Binary(Some(b)),
        1 => ScalarValue::LargeBinary(Some(b)),
        2 => ScalarValue::BinaryView(Some(b)),
        3..=5 => {
            let s = text(name, bytes)?;
            match kind {
                3 => ScalarValue::Utf8(Some(s)),
                4 => ScalarValue::LargeUtf8(Some(s)),
                _ => ScalarValue::Utf8View(Some(s)),
            }
        }
        _ => return Err(malformed(name, "an unknown value kind")),
    })
}

fn malformed(name: &str, what: &str) -> DataFusionError {
    DataFusionError::Plan(format!("the serialized function `{name}` is malformed: {what}"))
}

fn not_here(what: &str, name: &str, version: u32) -> DataFusionError {
    DataFusionError::Plan(format!(
        "registered {what} `{name}` version {version} is not registered in this process; \
         hint: start the cluster's scheduler and executors with `xorq ballista` of the same xorq version as the client"
    ))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::datatypes::DataType as ArrowType;

    use super::*;

    /// A checked operation comes back with its label, a large constant with its value.
    #[test]
    fn stateful_functions_round_trip() {
        let add = checked::from_parts("checked_add", "(a + 1)".into()).expect("a checked name");
        let bytes = encode_udf(&add).expect("ours");
        let back = decode_udf("checked_add", &bytes).expect("decodes");
        assert_eq!(*back, add);
        assert_eq!(checked::label_of(&back), Some("(a + 1)"));

        let value = ScalarValue::Utf8(Some("x".repeat(10_000)));
        let big = large_literal::holding(value.clone());
        let back = decode_udf(big.name(), &encode_udf(&big).expect("ours")).expect("decodes");
        assert_eq!(large_literal::value_of(&back), Some(&value));
        assert_eq!(back.inner().return_type(&[]).expect("typed"), ArrowType::Utf8);

        let sum = checked_sum::checked_sum("sum(a)".into());
        let back = decode_udaf("checked_sum", &encode_udaf(&sum).expect("ours")).expect("decodes");
        assert_eq!(checked_sum::label_of(&back), Some("sum(a)"));
    }

    /// Bytes another program wrote are refused with a hint, never guessed at.
    #[test]
    fn foreign_bytes_are_refused() {
        let err = decode_udf("f", b"something else").expect_err("not ours");
        assert!(err.to_string().contains("xorq ballista"), "{err}");
        let err = decode_udf("checked_add", b"xorq1\x09").expect_err("unknown kind");
        assert!(err.to_string().contains("malformed"), "{err}");
        let err = decode_udf("f", &framed(REGISTERED, &named("no_such_function", 7))).expect_err("not registered");
        assert!(err.to_string().contains("`no_such_function` version 7"), "{err}");
    }
}
