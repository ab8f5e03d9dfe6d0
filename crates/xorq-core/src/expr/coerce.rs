//! Type rules: the common type of compared values, of unified values (`CASE` results, set
//! operations), arithmetic signatures, castability.
//!
//! Our semantics are DataFusion's. Each rule here is DataFusion 55's rule of the same name
//! (`datafusion_expr_common::type_coercion::binary`), restated over the IR's logical types:
//! [`comparison_type`] is `comparison_coercion`, [`union_type`] is `type_union_coercion`, and
//! [`arithmetic_signature`] is `BinaryTypeCoercer` for `+ - * / %` together with the result types
//! of Arrow's arithmetic kernels. `xorq-engines/tests/it/coercion.rs` walks every pair of IR types
//! and every operator and compares these rules with DataFusion's own functions, so a drift is a
//! failing test rather than a silently different answer.
//!
//! The IR restates the rules instead of calling DataFusion because addresses must not change when
//! an engine changes its mind: a different rule in a later DataFusion is a failing differential
//! test and a deliberate, versioned change of the hash scheme here.
//!
//! Two deliberate differences, both documented where they live:
//! - `BinaryOp::Div` is true division (integers are divided as `Float64`), `BinaryOp::IntDiv`
//!   divides integers as DataFusion's `/` does; the SQL front end maps `/` on integers to `IntDiv`.
//! - A comparison of a column with a constant that converts exactly to the column's type is made
//!   in the column's type (`int32_col > 100` instead of `CAST(int32_col AS BIGINT) > 100`), as
//!   DataFusion's own optimizer does (`unwrap_cast_in_comparison`), only where the widening cast
//!   is injective and order-preserving, so the answer cannot change ([`narrows_exactly`]).

use crate::types::{DataType, MAX_DECIMAL_PRECISION, TimeUnit};

use super::ir::BinaryOp;

/// The type two values are converted to before they are compared (`=`, `<`, `IN`, `BETWEEN`,
/// `CASE x WHEN …`, join keys): DataFusion's `comparison_coercion`.
///
/// ```
/// use xorq_core::DataType;
/// use xorq_core::expr::comparison_type;
/// // A decimal compared with a float is compared as a decimal, never as a float.
/// let t = comparison_type(&DataType::Decimal { precision: 15, scale: 2 }, &DataType::Float64);
/// assert_eq!(t, Some(DataType::Decimal { precision: 30, scale: 15 }));
/// assert_eq!(comparison_type(&DataType::Date, &DataType::String), Some(DataType::Date));
/// ```
pub fn comparison_type(l: &DataType, r: &DataType) -> Option<DataType> {
    if l == r {
        return Some(l.clone());
    }
    numeric_coercion(l, r)
        .or_else(|| temporal_coercion_nonstrict_timezone(l, r))
        .or_else(|| null_coercion(l, r))
        .or_else(|| string_numeric_coercion(l, r))
        .or_else(|| string_temporal_coercion(l, r))
        .or_else(|| binary_coercion(l, r))
}

/// The type two values are brought to when they are unified rather than compared (`CASE`
/// results, `UNION` columns): DataFusion's `type_union_coercion`. Unlike [`comparison_type`], a
/// string and a number unify as a string.
///
/// ```
/// use xorq_core::DataType;
/// use xorq_core::expr::union_type;
/// assert_eq!(union_type(&DataType::Int32, &DataType::Int64), Some(DataType::Int64));
/// assert_eq!(union_type(&DataType::String, &DataType::Int64), Some(DataType::String));
/// ```
pub fn union_type(l: &DataType, r: &DataType) -> Option<DataType> {
    if l == r {
        return Some(l.clone());
    }
    numeric_coercion(l, r)
        .or_else(|| temporal_coercion_nonstrict_timezone(l, r))
        .or_else(|| null_coercion(l, r))
        .or_else(|| string_numeric_union_coercion(l, r))
        .or_else(|| string_temporal_coercion(l, r))
        .or_else(|| binary_coercion(l, r))
}

/// The type every one of `types` converts to for comparison (`IN` lists, `CASE x WHEN …`):
/// [`comparison_type`] folded from the first type, as DataFusion's `get_coerce_type_for_list`.
pub(crate) fn common_comparison_type<'a>(types: impl IntoIterator<Item = &'a DataType>) -> Option<DataType> {
    let mut it = types.into_iter();
    let first = it.next()?.clone();
    it.try_fold(first, |acc, t| comparison_type(&acc, t))
}

/// The type `CASE` results unify to: [`union_type`] folded from the `ELSE` value's type (or the
/// first `THEN` value's), as DataFusion's `get_coerce_type_for_case_expression`.
pub(crate) fn case_result_type<'a>(
    then_types: impl IntoIterator<Item = &'a DataType>,
    else_type: Option<&'a DataType>,
) -> Option<DataType> {
    let mut then_types = then_types.into_iter();
    let first = match else_type {
        Some(t) => t.clone(),
        None => then_types.next()?.clone(),
    };
    then_types.try_fold(first, |acc, t| union_type(&acc, t))
}

/// The same as DataFusion's `get_coerce_type_for_list`, kept under its old name for function
/// signatures that compare their arguments.
pub(crate) fn common_type<'a>(types: impl IntoIterator<Item = &'a DataType>) -> Option<DataType> {
    common_comparison_type(types)
}

/// DataFusion's `binary_numeric_coercion`: both numeric.
fn numeric_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    if !l.is_numeric() || !r.is_numeric() {
        return None;
    }
    if l == r {
        return Some(l.clone());
    }
    decimal_coercion(l, r).or_else(|| numerical_coercion(l, r))
}

/// DataFusion's `decimal_coercion` for `Decimal128`: a decimal meets another decimal or any
/// number as the decimal wide enough for both (a float counts as `Decimal(30, 15)`).
fn decimal_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (DataType::Decimal { .. }, DataType::Decimal { .. }) => wider_decimal(l, r),
        (DataType::Decimal { .. }, other) => wider_decimal(l, &numeric_as_decimal(other)?),
        (other, DataType::Decimal { .. }) => wider_decimal(r, &numeric_as_decimal(other)?),
        _ => None,
    }
}

/// DataFusion's `coerce_numeric_type_to_decimal128` (Spark's rule).
fn numeric_as_decimal(t: &DataType) -> Option<DataType> {
    let (precision, scale) = match t {
        DataType::Int8 | DataType::UInt8 => (3, 0),
        DataType::Int16 | DataType::UInt16 => (5, 0),
        DataType::Int32 | DataType::UInt32 => (10, 0),
        DataType::Int64 | DataType::UInt64 => (20, 0),
        DataType::Float32 => (14, 7),
        DataType::Float64 => (30, 15),
        _ => return None,
    };
    Some(DataType::Decimal { precision, scale })
}

fn decimal_parts(t: &DataType) -> Option<(i16, i16)> {
    match t {
        DataType::Decimal { precision, scale } => Some((i16::from(*precision), i16::from(*scale))),
        _ => None,
    }
}

/// `Decimal(min(38, precision), min(38, scale))`, as DataFusion's `create_decimal128_type`; `None`
/// where that is not a valid decimal (DataFusion would fail later).
fn make_decimal(precision: i16, scale: i16) -> Option<DataType> {
    let max = i16::from(MAX_DECIMAL_PRECISION);
    let (precision, scale) = (precision.min(max), scale.min(max));
    if precision < 1 || scale > precision {
        return None;
    }
    Some(DataType::Decimal { precision: u8::try_from(precision).ok()?, scale: i8::try_from(scale).ok()? })
}

/// DataFusion's `get_wider_decimal_type`: `(max(s1, s2) + max(p1 - s1, p2 - s2), max(s1, s2))`.
fn wider_decimal(l: &DataType, r: &DataType) -> Option<DataType> {
    let (p1, s1) = decimal_parts(l)?;
    let (p2, s2) = decimal_parts(r)?;
    let s = s1.max(s2);
    make_decimal((p1 - s1).max(p2 - s2) + s, s)
}

/// DataFusion's `numerical_coercion`: the narrowest type that holds both (`UInt64` with a signed
/// integer is `Decimal(20, 0)`).
fn numerical_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    let signed_below = |t: &T, bits: u8| t.is_signed_integer() && t.integer_bits().is_some_and(|b| b < bits);
    Some(match (l, r) {
        (T::Float64, _) | (_, T::Float64) => T::Float64,
        (T::Float32, _) | (_, T::Float32) => T::Float32,
        (T::UInt64, i) | (i, T::UInt64) if i.is_signed_integer() => T::Decimal { precision: 20, scale: 0 },
        (T::UInt64, _) | (_, T::UInt64) => T::UInt64,
        (T::Int64, _) | (_, T::Int64) => T::Int64,
        (T::UInt32, i) | (i, T::UInt32) if signed_below(i, 64) => T::Int64,
        (T::UInt32, _) | (_, T::UInt32) => T::UInt32,
        (T::Int32, _) | (_, T::Int32) => T::Int32,
        (T::UInt16, i) | (i, T::UInt16) if signed_below(i, 32) => T::Int32,
        (T::UInt16, _) | (_, T::UInt16) => T::UInt16,
        (T::Int16, _) | (_, T::Int16) => T::Int16,
        (T::Int8, T::UInt8) | (T::UInt8, T::Int8) => T::Int16,
        (T::Int8, _) | (_, T::Int8) => T::Int8,
        (T::UInt8, _) | (_, T::UInt8) => T::UInt8,
        _ => return None,
    })
}

/// DataFusion's `timeunit_coercion`: the finer unit (seconds only with seconds).
fn finer_unit(l: TimeUnit, r: TimeUnit) -> TimeUnit {
    use TimeUnit as U;
    match (l, r) {
        (U::Second, U::Second) => U::Second,
        (U::Nanosecond, _) | (_, U::Nanosecond) => U::Nanosecond,
        (U::Microsecond, _) | (_, U::Microsecond) => U::Microsecond,
        _ => U::Millisecond,
    }
}

const NANOS: TimeUnit = TimeUnit::Nanosecond;

/// DataFusion's `temporal_coercion_nonstrict_timezone`: timestamps compare whatever their zones
/// (the left zone wins when both have one).
fn temporal_coercion_nonstrict_timezone(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (DataType::Timestamp { unit: u1, tz: z1 }, DataType::Timestamp { unit: u2, tz: z2 }) => {
            Some(DataType::Timestamp { unit: finer_unit(*u1, *u2), tz: z1.clone().or_else(|| z2.clone()) })
        }
        _ => temporal_coercion(l, r),
    }
}

/// DataFusion's `temporal_coercion_strict_timezone`, used by arithmetic: timestamps with two
/// different zones do not mix.
fn temporal_coercion_strict_timezone(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (DataType::Timestamp { unit: u1, tz: z1 }, DataType::Timestamp { unit: u2, tz: z2 }) => {
            let tz = match (z1, z2) {
                (Some(a), Some(b)) => {
                    let utc = |z: &str| z == "UTC" || z == "+00:00";
                    if a == b || (utc(a) && utc(b)) {
                        Some(a.clone())
                    } else {
                        return None;
                    }
                }
                (Some(a), None) => Some(a.clone()),
                (None, b) => b.clone(),
            };
            Some(DataType::Timestamp { unit: finer_unit(*u1, *u2), tz })
        }
        _ => temporal_coercion(l, r),
    }
}

/// DataFusion's `temporal_coercion`.
fn temporal_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    match (l, r) {
        (T::Interval | T::Duration(_), T::Interval | T::Duration(_)) => Some(T::Interval),
        (T::Date, i) | (i, T::Date) if i.is_integer() => Some(T::Date),
        (T::Date, T::Time) | (T::Time, T::Date) => Some(T::Timestamp { unit: NANOS, tz: None }),
        (T::Timestamp { .. }, T::Date) | (T::Date, T::Timestamp { .. }) => Some(T::Timestamp { unit: NANOS, tz: None }),
        _ => None,
    }
}

/// DataFusion's `null_coercion`: an untyped null takes the other side's type.
fn null_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (DataType::Null, other) | (other, DataType::Null) => Some(other.clone()),
        _ => None,
    }
}

/// DataFusion's `string_numeric_coercion` (comparisons): text compared with a number is read as
/// that number.
fn string_numeric_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (n, DataType::String) | (DataType::String, n) if n.is_numeric() => Some(n.clone()),
        _ => None,
    }
}

/// DataFusion's `string_numeric_union_coercion` (unification): a number unified with text is text.
fn string_numeric_union_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (n, DataType::String) | (DataType::String, n) if n.is_numeric() => Some(DataType::String),
        _ => None,
    }
}

/// DataFusion's `string_temporal_coercion`: text next to a date, time or timestamp is read as one
/// (a timestamp as nanoseconds in the other side's zone).
fn string_temporal_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    let rule = |a: &DataType, b: &DataType| match (a, b) {
        (DataType::String, DataType::Date) => Some(DataType::Date),
        (DataType::String, DataType::Time) => Some(DataType::Time),
        (DataType::String, DataType::Timestamp { tz, .. }) => Some(DataType::Timestamp { unit: NANOS, tz: tz.clone() }),
        _ => None,
    };
    rule(l, r).or_else(|| rule(r, l))
}

/// DataFusion's `binary_coercion`: bytes next to text are bytes.
fn binary_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    match (l, r) {
        (DataType::Binary, DataType::String) | (DataType::String, DataType::Binary) => Some(DataType::Binary),
        _ => None,
    }
}

/// How `left op right` is typed: the types each operand is cast to, and the result type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArithmeticSignature {
    /// The type the left operand is cast to.
    pub left: DataType,
    /// The type the right operand is cast to.
    pub right: DataType,
    /// The result type.
    pub result: DataType,
}

fn sig(left: DataType, right: DataType, result: DataType) -> Option<ArithmeticSignature> {
    Some(ArithmeticSignature { left, right, result })
}

/// Arrow's `is_temporal`, which unlike [`DataType::is_temporal`] counts durations and intervals.
fn arrow_temporal(t: &DataType) -> bool {
    t.is_temporal() || matches!(t, DataType::Duration(_) | DataType::Interval)
}

/// Typing of the arithmetic operators `+ - * / %` (and [`BinaryOp::IntDiv`]), as DataFusion's
/// `BinaryTypeCoercer`; `None` where DataFusion refuses the operand types.
///
/// [`BinaryOp::Div`] is true division (see the module documentation): integers are divided as
/// `Float64`. [`BinaryOp::IntDiv`] takes integers and is typed as DataFusion's `/`.
///
/// ```
/// use xorq_core::{BinaryOp, DataType};
/// use xorq_core::expr::arithmetic_signature;
/// let d = |p, s| DataType::Decimal { precision: p, scale: s };
/// // `1 - l_discount`: the integer enters decimal arithmetic as Decimal(20, 0).
/// let s = arithmetic_signature(BinaryOp::Sub, &DataType::Int64, &d(15, 2)).unwrap();
/// assert_eq!((s.left, s.result), (d(20, 0), d(23, 2)));
/// ```
pub fn arithmetic_signature(op: BinaryOp, l: &DataType, r: &DataType) -> Option<ArithmeticSignature> {
    match op {
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Mod => coerced_arithmetic(op, l, r),
        BinaryOp::IntDiv => {
            let s = coerced_arithmetic(BinaryOp::IntDiv, l, r)?;
            (s.left.is_integer() && s.right.is_integer() && s.result.is_integer()).then_some(s)
        }
        BinaryOp::Div => {
            let integer = |t: &DataType| t.is_integer() || *t == DataType::Null;
            if integer(l) && integer(r) {
                return sig(DataType::Float64, DataType::Float64, DataType::Float64);
            }
            coerced_arithmetic(BinaryOp::Div, l, r)
        }
        _ => None,
    }
}

/// `BinaryTypeCoercer::signature` for an arithmetic operator (`IntDiv` stands for DataFusion's `/`
/// on integers).
fn coerced_arithmetic(op: BinaryOp, l: &DataType, r: &DataType) -> Option<ArithmeticSignature> {
    use DataType as T;
    if *l == T::Null && *r == T::Null {
        return sig(T::Int64, T::Int64, T::Int64);
    }
    if let Some(coerced) = null_coercion(l, r) {
        if !arrow_temporal(&coerced) {
            let result = kernel_result(op, &coerced, &coerced)?;
            return sig(coerced.clone(), coerced, result);
        }
        return arithmetic_inner(op, &coerced, &coerced);
    }
    arithmetic_inner(op, l, r)
}

/// `BinaryTypeCoercer::signature_inner` for arithmetic.
fn arithmetic_inner(op: BinaryOp, l: &DataType, r: &DataType) -> Option<ArithmeticSignature> {
    use DataType as T;
    // `date - date`: the number of days, as `Int64`.
    if op == BinaryOp::Sub && *l == T::Date && *r == T::Date {
        return sig(T::Date, T::Date, T::Int64);
    }
    // `time ± interval` wraps around the clock and stays a time.
    match (op, l, r) {
        (BinaryOp::Add, T::Time, T::Interval) | (BinaryOp::Sub, T::Time, T::Interval) => {
            return sig(T::Time, T::Interval, T::Time);
        }
        (BinaryOp::Add, T::Interval, T::Time) => return sig(T::Interval, T::Time, T::Time),
        _ => {}
    }
    if let Some(result) = kernel_result(op, l, r) {
        return sig(l.clone(), r.clone(), result);
    }
    if let Some((lt, rt)) = temporal_math_coercion(l, r) {
        let result = kernel_result(op, &lt, &rt)?;
        return sig(lt, rt, result);
    }
    if let Some(coerced) = temporal_coercion_strict_timezone(l, r) {
        let result = kernel_result(op, &coerced, &coerced)?;
        return sig(coerced.clone(), coerced, result);
    }
    if let Some((lt, rt)) = math_decimal_coercion(l, r) {
        let result = kernel_result(op, &lt, &rt)?;
        return sig(lt, rt, result);
    }
    if l.is_numeric() && r.is_numeric() {
        let t = numerical_coercion(l, r)?;
        // `UInt64` with a signed integer: DataFusion declares `Decimal(20, 0)` and casts both
        // operands to it when it runs. The IR keeps the operands as they are (explicit casts
        // would re-type as Arrow's decimal arithmetic, `Decimal(21, 0)` for `+`, when a manifest
        // is read back) and declares DataFusion's type; lowering leaves the casts to DataFusion.
        if t.is_decimal() {
            return sig(l.clone(), r.clone(), t);
        }
        return sig(t.clone(), t.clone(), t);
    }
    None
}

/// DataFusion's `temporal_math_coercion`.
fn temporal_math_coercion(l: &DataType, r: &DataType) -> Option<(DataType, DataType)> {
    use DataType as T;
    let ts_ns = T::Timestamp { unit: NANOS, tz: None };
    Some(match (l, r) {
        (T::Date, i) if i.is_integer() => (T::Date, T::Interval),
        (i, T::Date) if i.is_integer() => (T::Interval, T::Date),
        (T::Date, T::Time) => (ts_ns, T::Duration(NANOS)),
        (T::Time, T::Date) => (T::Duration(NANOS), ts_ns),
        (T::Timestamp { unit, tz }, T::Duration(_)) => {
            (T::Timestamp { unit: *unit, tz: tz.clone() }, T::Duration(*unit))
        }
        (T::Duration(_), T::Timestamp { unit, tz }) => {
            (T::Duration(*unit), T::Timestamp { unit: *unit, tz: tz.clone() })
        }
        (T::Time, T::Time) | (T::Time, T::Interval) | (T::Interval, T::Time) => (T::Interval, T::Interval),
        (T::Interval, n) if n.is_integer() || n.is_float() => (T::Interval, T::Interval),
        (n, T::Interval) if n.is_integer() || n.is_float() => (T::Interval, T::Interval),
        _ => return None,
    })
}

/// DataFusion's `math_decimal_coercion`: a decimal with an integer (never a float, which makes
/// the arithmetic floating point).
fn math_decimal_coercion(l: &DataType, r: &DataType) -> Option<(DataType, DataType)> {
    use DataType as T;
    match (l, r) {
        (T::Null, T::Decimal { .. }) => Some((r.clone(), r.clone())),
        (T::Decimal { .. }, T::Null) => Some((l.clone(), l.clone())),
        (T::Decimal { .. }, T::Decimal { .. }) => Some((l.clone(), r.clone())),
        (T::Decimal { .. }, i) if i.is_integer() => Some((l.clone(), numeric_as_decimal(i)?)),
        (i, T::Decimal { .. }) if i.is_integer() => Some((numeric_as_decimal(i)?, r.clone())),
        _ => None,
    }
}

/// The result type of Arrow's arithmetic kernel (`add_wrapping`, `sub_wrapping`, `mul_wrapping`,
/// `div`, `rem`) on exactly these operand types, or `None` where the kernel refuses them. Decimal
/// results follow the Hive rules Arrow implements.
fn kernel_result(op: BinaryOp, l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType as T;
    let additive = matches!(op, BinaryOp::Add | BinaryOp::Sub);
    match (l, r) {
        _ if l == r && (l.is_integer() || l.is_float()) => Some(l.clone()),
        (T::Decimal { .. }, T::Decimal { .. }) => decimal_result(op, l, r),
        (T::Timestamp { unit: u1, .. }, T::Timestamp { unit: u2, .. }) if op == BinaryOp::Sub && u1 == u2 => {
            Some(T::Duration(*u1))
        }
        (T::Timestamp { unit, .. }, T::Duration(d)) if additive && unit == d => Some(l.clone()),
        (T::Timestamp { .. } | T::Date, T::Interval) if additive => Some(l.clone()),
        (T::Duration(a), T::Duration(b)) if additive && a == b => Some(l.clone()),
        (T::Interval, T::Interval) if additive => Some(T::Interval),
        // Arrow swaps the operands of a commutative operator to put the date or timestamp first.
        (T::Duration(_) | T::Interval, T::Date | T::Timestamp { .. }) if op == BinaryOp::Add => kernel_result(op, r, l),
        _ => None,
    }
}

/// Arrow's `decimal_op` result types.
fn decimal_result(op: BinaryOp, l: &DataType, r: &DataType) -> Option<DataType> {
    let max = i16::from(MAX_DECIMAL_PRECISION);
    let (p1, s1) = decimal_parts(l)?;
    let (p2, s2) = decimal_parts(r)?;
    // Arrow rescales with `10^k` in `i128`, which fails beyond `10^38`.
    let pow_fits = |k: i16| k.abs() <= max;
    let (precision, scale) = match op {
        BinaryOp::Add | BinaryOp::Sub => {
            let s = s1.max(s2);
            if !pow_fits(s - s1) || !pow_fits(s - s2) {
                return None;
            }
            (s + (p1 - s1).max(p2 - s2) + 1, s)
        }
        BinaryOp::Mul => {
            if s1 + s2 > max {
                return None;
            }
            (p1 + p2 + 1, s1 + s2)
        }
        BinaryOp::Div | BinaryOp::IntDiv => {
            let s = (s1 + 4).min(max);
            if !pow_fits(s - s1 + s2) {
                return None;
            }
            (s - s1 + s2 + p1, s)
        }
        BinaryOp::Mod => {
            let s = s1.max(s2);
            (s + (p1 - s1).min(p2 - s2), s)
        }
        _ => return None,
    };
    make_decimal(precision.min(max), scale)
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
        (T::Duration(_), T::Duration(_) | T::Interval) => true,
        _ => false,
    }
}

/// Whether a comparison made in `wide` can instead be made in `narrow` when one side is a
/// constant that converts exactly to `narrow`: the cast `narrow → wide` must map distinct values
/// to distinct values and keep their order, so `CAST(x AS wide) op c` ≡ `x op c'`.
///
/// Integers widen injectively to wider integers and to decimals with enough integer digits, and
/// to floats whose mantissa holds them (`Int32` to `Float64`, not `Int64`); decimals to decimals
/// with at least their integer digits and scale; `Float32` to `Float64`; dates to timestamps and
/// timestamps to finer units in the same zone.
pub(crate) fn narrows_exactly(narrow: &DataType, wide: &DataType) -> bool {
    use DataType as T;
    if narrow == wide {
        return true;
    }
    let mantissa = |t: &DataType| match t {
        T::Float32 => 24,
        T::Float64 => 53,
        _ => 0,
    };
    match (narrow, wide) {
        (n, w) if n.is_integer() && w.is_integer() => {
            let (nb, wb) = (n.integer_bits().unwrap_or(64), w.integer_bits().unwrap_or(0));
            match (n.is_signed_integer(), w.is_signed_integer()) {
                (true, true) | (false, false) => nb <= wb,
                (false, true) => nb < wb,
                (true, false) => false,
            }
        }
        (n, T::Decimal { precision, scale }) if n.is_integer() => {
            *scale >= 0 && i16::from(*precision) - i16::from(*scale) >= i16::from(n.integer_digits().unwrap_or(u8::MAX))
        }
        (n, w) if n.is_integer() && w.is_float() => {
            let bits = n.integer_bits().unwrap_or(64) - u8::from(n.is_signed_integer());
            bits <= mantissa(w)
        }
        (T::Decimal { precision: p1, scale: s1 }, T::Decimal { precision: p2, scale: s2 }) => {
            s2 >= s1 && i16::from(*p2) - i16::from(*s2) >= i16::from(*p1) - i16::from(*s1)
        }
        (T::Float32, T::Float64) => true,
        (T::Date, T::Timestamp { .. }) => true,
        (T::Timestamp { unit: u1, tz: z1 }, T::Timestamp { unit: u2, tz: z2 }) => z1 == z2 && u2 >= u1,
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
        let mul = arithmetic_signature(BinaryOp::Mul, &dec(15, 2), &dec(15, 2)).unwrap();
        assert_eq!(mul.result, dec(31, 4));
        assert_eq!(arithmetic_signature(BinaryOp::Sub, &dec(15, 2), &dec(15, 2)).unwrap().result, dec(16, 2));
        assert_eq!(arithmetic_signature(BinaryOp::Div, &dec(15, 2), &dec(15, 2)).unwrap().result, dec(21, 6));
        // Integers enter decimal arithmetic as Spark's decimal for their width.
        let s = arithmetic_signature(BinaryOp::Sub, &T::Int64, &dec(15, 2)).unwrap();
        assert_eq!((s.left, s.result), (dec(20, 0), dec(23, 2)));
        // A float makes decimal arithmetic floating point.
        assert_eq!(arithmetic_signature(BinaryOp::Mul, &dec(15, 2), &T::Float64).unwrap().result, T::Float64);
    }

    #[test]
    fn integer_division() {
        assert_eq!(arithmetic_signature(BinaryOp::Div, &T::Int64, &T::Int32).unwrap().result, T::Float64);
        assert_eq!(arithmetic_signature(BinaryOp::IntDiv, &T::Int64, &T::Int32).unwrap().result, T::Int64);
        assert!(arithmetic_signature(BinaryOp::IntDiv, &T::Float64, &T::Int32).is_none());
    }

    #[test]
    fn comparisons() {
        assert_eq!(comparison_type(&T::Int32, &T::UInt32), Some(T::Int64));
        assert_eq!(comparison_type(&T::Int64, &T::UInt64), Some(dec(20, 0)));
        assert_eq!(comparison_type(&T::Int8, &T::Float32), Some(T::Float32));
        assert_eq!(comparison_type(&dec(15, 2), &T::Float64), Some(dec(30, 15)));
        assert_eq!(comparison_type(&T::Date, &T::String), Some(T::Date));
        assert_eq!(comparison_type(&T::Int64, &T::String), Some(T::Int64));
        assert_eq!(union_type(&T::Int64, &T::String), Some(T::String));
        assert_eq!(comparison_type(&T::Boolean, &T::Int64), None);
    }

    #[test]
    fn narrowing_is_injective_only() {
        assert!(narrows_exactly(&T::Int32, &T::Int64));
        assert!(narrows_exactly(&T::Int32, &T::Float64));
        assert!(!narrows_exactly(&T::Int64, &T::Float64));
        assert!(!narrows_exactly(&T::Int32, &T::UInt64));
        assert!(narrows_exactly(&T::UInt32, &T::Int64));
        assert!(narrows_exactly(&dec(15, 2), &dec(30, 15)));
        assert!(!narrows_exactly(&dec(30, 15), &dec(15, 2)));
        assert!(narrows_exactly(&T::Int64, &dec(22, 2)));
        assert!(!narrows_exactly(&T::Int64, &dec(20, 2)));
    }
}
