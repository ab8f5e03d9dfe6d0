//! Functions every other engine has and SQLite's default build lacks (its math functions need
//! `SQLITE_ENABLE_MATH_FUNCTIONS`), registered on each connection so that the same SQL runs.
//! A NULL argument gives NULL, as in SQL.
//!
//! Also checked integer arithmetic: SQLite turns an integer result past 64 bits into a float
//! without a word, so xorq's SQL for SQLite writes integer `+`, `-`, `*` and unary minus as
//! `xorq_checked_add(a, b, label)` and its siblings, which fail with an error naming `label` (the
//! operation as the expression writes it) instead.

use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value, ValueRef};

type Unary = fn(f64) -> f64;

/// An integer operation that is `None` past the range of `i64`.
type IntOp = fn(i64, i64) -> Option<i64>;
/// The same operation on SQLite's floats.
type FloatOp = fn(f64, f64) -> f64;

/// Registers the functions on `conn`.
pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let unary: [(&str, Unary); 5] =
        [("sqrt", f64::sqrt), ("exp", f64::exp), ("ln", f64::ln), ("log10", f64::log10), ("log2", f64::log2)];
    for (name, f) in unary {
        conn.create_scalar_function(name, 1, flags, move |ctx| Ok(ctx.get::<Option<f64>>(0)?.map(f)))?;
    }
    let checked: [(&str, IntOp, FloatOp, &str); 3] = [
        ("xorq_checked_add", i64::checked_add, |a, b| a + b, "+"),
        ("xorq_checked_sub", i64::checked_sub, |a, b| a - b, "-"),
        ("xorq_checked_mul", i64::checked_mul, |a, b| a * b, "*"),
    ];
    for (name, int_op, float_op, symbol) in checked {
        conn.create_scalar_function(name, 3, flags, move |ctx| checked_binary(ctx, int_op, float_op, symbol))?;
    }
    conn.create_scalar_function("xorq_checked_negate", 2, flags, |ctx| match ctx.get_raw(0) {
        ValueRef::Null => Ok(Value::Null),
        ValueRef::Integer(x) => x.checked_neg().map(Value::Integer).ok_or_else(|| overflow(ctx, 1, format!("-{x}"))),
        ValueRef::Real(x) => Ok(Value::Real(-x)),
        other => Err(not_a_number(other)),
    })?;
    for name in ["pow", "power"] {
        conn.create_scalar_function(name, 2, flags, |ctx| {
            Ok(ctx.get::<Option<f64>>(0)?.zip(ctx.get::<Option<f64>>(1)?).map(|(a, b)| a.powf(b)))
        })?;
    }
    Ok(())
}

/// `a op b` of two integers, or an error naming the operation (argument 2) when the result does
/// not fit in 64 bits. Values of another storage class (SQLite columns are dynamically typed)
/// compute as SQLite's own operator would, in floats.
fn checked_binary(
    ctx: &Context<'_>,
    int_op: fn(i64, i64) -> Option<i64>,
    float_op: fn(f64, f64) -> f64,
    symbol: &str,
) -> rusqlite::Result<Value> {
    let number = |v: ValueRef<'_>| match v {
        ValueRef::Integer(i) => Ok(Some(Err(i))),
        #[allow(clippy::cast_precision_loss)] // as SQLite's own operator: a REAL operand is a float
        ValueRef::Real(r) => Ok(Some(Ok(r))),
        ValueRef::Null => Ok(None),
        other => Err(not_a_number(other)),
    };
    #[allow(clippy::cast_precision_loss)] // mixed integer and REAL operands compute in floats, as in SQLite
    let float = |n: Result<f64, i64>| n.unwrap_or_else(|i| i as f64);
    Ok(match (number(ctx.get_raw(0))?, number(ctx.get_raw(1))?) {
        (None, _) | (_, None) => Value::Null,
        (Some(Err(a)), Some(Err(b))) => match int_op(a, b) {
            Some(v) => Value::Integer(v),
            None => return Err(overflow(ctx, 2, format!("{a} {symbol} {b}"))),
        },
        (Some(a), Some(b)) => Value::Real(float_op(float(a), float(b))),
    })
}

/// The error of an overflowing operation whose label is argument `label_at`.
fn overflow(ctx: &Context<'_>, label_at: usize, values: String) -> rusqlite::Error {
    let label = ctx.get::<String>(label_at).unwrap_or_default();
    rusqlite::Error::UserFunctionError(
        format!("arithmetic overflow in `{label}`: {values} does not fit in a 64-bit integer").into(),
    )
}

fn not_a_number(v: ValueRef<'_>) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(format!("a {:?} value is not a number", v.data_type()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn math_functions_answer_like_other_engines() {
        let conn = Connection::open_in_memory().expect("SQLite");
        register(&conn).expect("registered");
        let (root, none, power): (f64, Option<f64>, f64) = conn
            .query_row("SELECT sqrt(16), sqrt(NULL), power(2, 10)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query");
        assert_eq!((root, none, power), (4.0, None, 1024.0));
    }

    #[test]
    fn integer_arithmetic_fails_on_overflow_naming_the_operation() {
        let conn = Connection::open_in_memory().expect("SQLite");
        register(&conn).expect("registered");
        let sum: i64 = conn.query_row("SELECT xorq_checked_add(40, 2, 'a + 2')", [], |r| r.get(0)).expect("in range");
        assert_eq!(sum, 42);
        let null: Option<i64> =
            conn.query_row("SELECT xorq_checked_mul(NULL, 2, 'a * 2')", [], |r| r.get(0)).expect("null");
        assert_eq!(null, None);
        for sql in [
            "SELECT xorq_checked_add(9223372036854775807, 1, '(big + 1)')",
            "SELECT xorq_checked_sub(-9223372036854775808, 1, '(big + 1)')",
            "SELECT xorq_checked_mul(4611686018427387904, 2, '(big + 1)')",
            "SELECT xorq_checked_negate(-9223372036854775808, '(big + 1)')",
        ] {
            let err = conn.query_row(sql, [], |r| r.get::<_, i64>(0)).expect_err(sql);
            assert!(err.to_string().contains("overflow in `(big + 1)`"), "{sql}: {err}");
        }
    }
}
