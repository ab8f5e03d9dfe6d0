//! Type rules: common types for comparisons and `CASE`, arithmetic result types, castability.
//!
//! The arithmetic rules for decimals follow the Hive/Spark rules that Arrow's kernels (and so
//! DataFusion, DuckDB and Spark) use, so a declared type is the type an engine produces.

use crate::types::{DataType, MAX_DECIMAL_PRECISION};

use super::ir::BinaryOp;

/// The type two operands are converted to before they are compared.
pub fn comparison_type(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    match (l, r) {
        _ if l == r => Some(l.clone()),
        (T::Null, other) | (other, T::Null) => Some(other.clone()),
        _ if l.is_numeric() && r.is_numeric() => numeric_common(l, r),
        (T::Date, ts @ T::Timestamp { .. }) | (ts @ T::Timestamp { .. }, T::Date) => Some(ts.clone()),
        (T::Timestamp { unit: u1, tz: z1 }, T::Timestamp { unit: u2, tz: z2 }) if z1 == z2 => {
            Some(T::Timestamp { unit: (*u1).max(*u2), tz: z1.clone() })
        }
        _ => None,
    }
}

/// The type that every one of `types` converts to (for `CASE`, `COALESCE`, `IN`, set operations).
pub(crate) fn common_type<'a>(types: impl IntoIterator<Item = &'a DataType>) -> Option<DataType> {
    let mut acc = DataType::Null;
    for t in types {
        acc = comparison_type(&acc, t)?;
    }
    Some(acc)
}

/// Common type of two numeric types, losing as little as possible.
pub(crate) fn numeric_common(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    if l == r {
        return Some(l.clone());
    }
    match (l, r) {
        (T::Decimal { .. }, T::Decimal { .. }) => wider_decimal(l, r),
        (T::Decimal { .. }, i) | (i, T::Decimal { .. }) if i.is_integer() => {
            wider_decimal(l.decimal_view()?.as_ref(), r.decimal_view()?.as_ref())
        }
        (T::Decimal { .. }, _) | (_, T::Decimal { .. }) => Some(T::Float64),
        (T::Float32, i) | (i, T::Float32) if i.integer_bits().is_some_and(|b| b <= 16) => Some(T::Float32),
        _ if l.is_float() || r.is_float() => Some(T::Float64),
        _ => {
            // Both integers of different types.
            let (lb, rb) = (l.integer_bits()?, r.integer_bits()?);
            let bits = match (l.is_signed_integer(), r.is_signed_integer()) {
                (true, true) | (false, false) => lb.max(rb),
                (true, false) => lb.max(rb.saturating_mul(2)),
                (false, true) => rb.max(lb.saturating_mul(2)),
            };
            let signed = l.is_signed_integer() || r.is_signed_integer();
            Some(match (signed, bits.min(64)) {
                (true, 8) => T::Int8,
                (true, 16) => T::Int16,
                (true, 32) => T::Int32,
                (true, _) => T::Int64,
                (false, 8) => T::UInt8,
                (false, 16) => T::UInt16,
                (false, 32) => T::UInt32,
                (false, _) => T::UInt64,
            })
        }
    }
}

trait DecimalView {
    fn decimal_view(&self) -> Option<std::borrow::Cow<'_, DataType>>;
}

impl DecimalView for DataType {
    /// Decimals as they are; integers as the decimal that holds all their values.
    fn decimal_view(&self) -> Option<std::borrow::Cow<'_, DataType>> {
        match self {
            DataType::Decimal { .. } => Some(std::borrow::Cow::Borrowed(self)),
            i => Some(std::borrow::Cow::Owned(DataType::Decimal { precision: i.integer_digits()?, scale: 0 })),
        }
    }
}

fn decimal_parts(t: &DataType) -> Option<(i16, i16)> {
    match t {
        DataType::Decimal { precision, scale } => Some((i16::from(*precision), i16::from(*scale))),
        _ => None,
    }
}

fn make_decimal(precision: i16, scale: i16) -> Option<DataType> {
    let max = i16::from(MAX_DECIMAL_PRECISION);
    if scale > max {
        return None;
    }
    let precision = precision.clamp(1, max).max(scale);
    Some(DataType::Decimal { precision: u8::try_from(precision).ok()?, scale: i8::try_from(scale).ok()? })
}

fn wider_decimal(l: &DataType, r: &DataType) -> Option<DataType> {
    let (p1, s1) = decimal_parts(l)?;
    let (p2, s2) = decimal_parts(r)?;
    let s = s1.max(s2);
    make_decimal((p1 - s1).max(p2 - s2) + s, s)
}

/// How `left op right` is typed: the types each operand is cast to, and the result type.
#[derive(Debug, PartialEq)]
pub(crate) struct ArithmeticSignature {
    pub left: DataType,
    pub right: DataType,
    pub result: DataType,
}

/// Typing of arithmetic operators; `None` when the operand types do not fit the operator.
pub(crate) fn arithmetic(op: BinaryOp, l: &DataType, r: &DataType) -> Option<ArithmeticSignature> {
    use DataType as T;
    let sig = |left: DataType, right: DataType, result: DataType| Some(ArithmeticSignature { left, right, result });
    // Null operands take the other side's type.
    if *l == T::Null && *r == T::Null {
        return sig(T::Int64, T::Int64, T::Int64);
    }
    if *l == T::Null {
        return arithmetic(op, r, r);
    }
    if *r == T::Null {
        return arithmetic(op, l, l);
    }
    // Calendar arithmetic.
    match (op, l, r) {
        (BinaryOp::Add | BinaryOp::Sub, T::Date | T::Timestamp { .. }, T::Interval) => {
            return sig(l.clone(), T::Interval, l.clone());
        }
        (BinaryOp::Add, T::Interval, T::Date | T::Timestamp { .. }) => {
            return sig(T::Interval, r.clone(), r.clone());
        }
        _ => {}
    }
    if !l.is_numeric() || !r.is_numeric() {
        return None;
    }
    match op {
        BinaryOp::IntDiv => {
            let t = numeric_common(l, r)?;
            t.is_integer().then(|| ArithmeticSignature { left: t.clone(), right: t.clone(), result: t })
        }
        BinaryOp::Div if l.is_integer() && r.is_integer() => sig(T::Float64, T::Float64, T::Float64),
        _ if l.is_decimal() || r.is_decimal() => {
            if l.is_float() || r.is_float() {
                return sig(T::Float64, T::Float64, T::Float64);
            }
            let (lt, rt) = (l.decimal_view()?.into_owned(), r.decimal_view()?.into_owned());
            let (p1, s1) = decimal_parts(&lt)?;
            let (p2, s2) = decimal_parts(&rt)?;
            let result = match op {
                BinaryOp::Add | BinaryOp::Sub => {
                    let s = s1.max(s2);
                    make_decimal(s + (p1 - s1).max(p2 - s2) + 1, s)?
                }
                BinaryOp::Mul => make_decimal(p1 + p2 + 1, s1 + s2)?,
                BinaryOp::Div => {
                    let s = (s1 + 4).min(i16::from(MAX_DECIMAL_PRECISION));
                    make_decimal(s - s1 + s2 + p1, s)?
                }
                BinaryOp::Mod => {
                    let s = s1.max(s2);
                    make_decimal(s + (p1 - s1).min(p2 - s2), s)?
                }
                _ => return None,
            };
            sig(lt, rt, result)
        }
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => {
            let t = numeric_common(l, r)?;
            sig(t.clone(), t.clone(), t)
        }
        _ => None,
    }
}

/// Whether a value of `from` can be cast to `to` on every engine we target.
pub(crate) fn can_cast(from: &DataType, to: &DataType) -> bool {
    use DataType as T;
    if from == to || *from == T::Null {
        return true;
    }
    let textual = |t: &DataType| matches!(t, T::String);
    match (from, to) {
        (a, b) if a.is_numeric() && b.is_numeric() => true,
        (a, b) if (a.is_numeric() || *a == T::Boolean) && (textual(b) || *b == T::Boolean) => true,
        (T::Boolean, b) if b.is_numeric() => true,
        (T::String, b) if b.is_numeric() || b.is_temporal() || *b == T::Binary => true,
        (a, T::String) if a.is_temporal() || *a == T::Binary || matches!(a, T::Duration(_) | T::Interval) => true,
        (T::Date, T::Timestamp { .. }) | (T::Timestamp { .. }, T::Date | T::Time) => true,
        (T::Timestamp { .. }, T::Timestamp { .. }) => true,
        (T::Duration(_), T::Duration(_)) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType as T;

    fn dec(p: u8, s: i8) -> DataType {
        T::Decimal { precision: p, scale: s }
    }

    #[test]
    fn decimal_arithmetic_matches_arrow() {
        assert_eq!(arithmetic(BinaryOp::Mul, &dec(15, 2), &dec(15, 2)).unwrap().result, dec(31, 4));
        assert_eq!(arithmetic(BinaryOp::Sub, &dec(15, 2), &dec(15, 2)).unwrap().result, dec(16, 2));
        assert_eq!(arithmetic(BinaryOp::Div, &dec(15, 2), &dec(15, 2)).unwrap().result, dec(21, 6));
        // Integers enter decimal arithmetic as the decimal holding all their values.
        let s = arithmetic(BinaryOp::Sub, &T::Int64, &dec(15, 2)).unwrap();
        assert_eq!((s.left, s.result), (dec(19, 0), dec(22, 2)));
    }

    #[test]
    fn integer_division_is_true_division() {
        assert_eq!(arithmetic(BinaryOp::Div, &T::Int64, &T::Int32).unwrap().result, T::Float64);
        assert_eq!(arithmetic(BinaryOp::IntDiv, &T::Int64, &T::Int32).unwrap().result, T::Int64);
        assert!(arithmetic(BinaryOp::IntDiv, &T::Float64, &T::Int32).is_none());
    }

    #[test]
    fn comparisons() {
        assert_eq!(comparison_type(&T::Int32, &T::UInt32), Some(T::Int64));
        assert_eq!(comparison_type(&T::Date, &T::String), None);
        assert_eq!(comparison_type(&T::Int8, &T::Float32), Some(T::Float32));
    }
}
