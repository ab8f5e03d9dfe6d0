//! The IR's type rules against DataFusion's own coercion functions, for every pair of IR types and
//! every operator: `comparison_type` against `comparison_coercion`, `union_type` against
//! `type_union_coercion`, and `arithmetic_signature` against `BinaryTypeCoercer` (operand types
//! and result type). Where DataFusion refuses a pair, the IR must refuse it; where it accepts, the
//! IR must give the same types, read back as logical types (`Utf8View` is `String`).
//!
//! The one deliberate difference, documented in `xorq_core::expr::coerce`: the IR's `Div` is true
//! division, so DataFusion's `/` on two integers is compared with the IR's `IntDiv`.
//!
//! Arithmetic between a signed integer and a `UInt64`: DataFusion declares `Decimal(20, 0)` (its
//! `numerical_coercion`) and casts both operands to it when it runs, but Arrow's kernel on two
//! `Decimal(20, 0)` operands returns another type (`Decimal(21, 0)` for `+`), so explicit casts
//! in the IR would re-type differently when a manifest is read back. The IR keeps the operands'
//! own types with DataFusion's result type, and leaves the casts to DataFusion. Integer division
//! there (a rounded decimal quotient in DataFusion) is refused.

use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::logical_expr::Operator;
use datafusion::logical_expr::type_coercion::binary::{BinaryTypeCoercer, comparison_coercion, type_union_coercion};
use xorq_core::expr::{arithmetic_signature, comparison_type, union_type};
use xorq_core::{BinaryOp, DataType, TimeUnit};

/// Every IR type, with decimals, timestamps and durations at representative parameters.
fn ir_types() -> Vec<DataType> {
    use DataType as T;
    let mut types = vec![
        T::Null,
        T::Boolean,
        T::Int8,
        T::Int16,
        T::Int32,
        T::Int64,
        T::UInt8,
        T::UInt16,
        T::UInt32,
        T::UInt64,
        T::Float32,
        T::Float64,
        T::String,
        T::Binary,
        T::Date,
        T::Time,
        T::Interval,
    ];
    for (p, s) in
        [(1, 0), (3, 2), (5, 2), (10, 0), (15, 2), (20, 0), (22, 2), (30, 15), (38, 0), (38, 10), (38, 38), (5, -2)]
    {
        types.push(DataType::decimal(p, s).expect("valid decimal"));
    }
    let units = [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond];
    for unit in units {
        for tz in [None, Some("UTC"), Some("+00:00"), Some("Europe/Paris")] {
            types.push(T::Timestamp { unit, tz: tz.map(Into::into) });
        }
        types.push(T::Duration(unit));
    }
    types
}

/// The IR type DataFusion's answer stands for; `None` for a type the IR does not have
/// (`Decimal256`, `Float16`), which the IR's rule must then refuse.
fn logical(t: &ArrowType) -> Option<DataType> {
    match t {
        ArrowType::Float16 | ArrowType::Decimal256(..) => None,
        other => DataType::from_arrow("x", other).ok(),
    }
}

fn show(t: &Option<DataType>) -> String {
    t.as_ref().map_or_else(|| "refused".to_string(), ToString::to_string)
}

#[test]
fn comparison_and_union_types_are_datafusions() {
    let types = ir_types();
    let mut differences = Vec::new();
    let mut accepted = 0;
    for l in &types {
        for r in &types {
            let (la, ra) = (l.to_arrow(), r.to_arrow());
            let theirs = comparison_coercion(&la, &ra).map(|t| logical(&t));
            let theirs = theirs.flatten();
            let ours = comparison_type(l, r);
            if ours != theirs {
                differences.push(format!("compare {l} with {r}: ours {}, DataFusion {}", show(&ours), show(&theirs)));
            }
            accepted += usize::from(ours.is_some());
            let theirs = type_union_coercion(&la, &ra).and_then(|t| logical(&t));
            let ours = union_type(l, r);
            if ours != theirs {
                differences.push(format!("unify {l} with {r}: ours {}, DataFusion {}", show(&ours), show(&theirs)));
            }
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    // The walk covers the space: most pairs of like kinds compare.
    assert!(accepted > 900, "only {accepted} comparable pairs");
}

/// DataFusion's signature for `l op r` as logical types: `(left, right, result)`, or `None`.
fn datafusion_signature(op: Operator, l: &DataType, r: &DataType) -> Option<(DataType, DataType, DataType)> {
    let (la, ra) = (l.to_arrow(), r.to_arrow());
    let coercer = BinaryTypeCoercer::new(&la, &op, &ra);
    let (lt, rt) = coercer.get_input_types().ok()?;
    let result = coercer.get_result_type().ok()?;
    Some((logical(&lt)?, logical(&rt)?, logical(&result)?))
}

#[test]
fn arithmetic_signatures_are_datafusions() {
    let ops = [
        (Operator::Plus, BinaryOp::Add),
        (Operator::Minus, BinaryOp::Sub),
        (Operator::Multiply, BinaryOp::Mul),
        (Operator::Divide, BinaryOp::Div),
        (Operator::Modulo, BinaryOp::Mod),
    ];
    let types = ir_types();
    let integral = |t: &DataType| t.is_integer() || *t == DataType::Null;
    let mut differences = Vec::new();
    let mut accepted = 0;
    for (df_op, ir_op) in ops {
        for l in &types {
            for r in &types {
                // DataFusion's `/` on integers divides as integers: the IR's `IntDiv`.
                let ir_op = if ir_op == BinaryOp::Div && integral(l) && integral(r) { BinaryOp::IntDiv } else { ir_op };
                let theirs = datafusion_signature(df_op, l, r);
                let ours = arithmetic_signature(ir_op, l, r).map(|s| (s.left, s.right, s.result));
                let unsigned_vs_signed = |a: &DataType, b: &DataType| *a == DataType::UInt64 && b.is_signed_integer();
                let mixed = unsigned_vs_signed(l, r) || unsigned_vs_signed(r, l);
                // Integer division refuses it; other operators keep the operands' own types
                // (DataFusion casts them when it runs) with DataFusion's result type.
                let refused_on_purpose = mixed
                    && match (&ours, &theirs) {
                        (None, _) => ir_op == BinaryOp::IntDiv,
                        (Some((ol, or, ot)), Some((_, _, tt))) => ol == l && or == r && ot == tt,
                        _ => false,
                    };
                if ours != theirs && !refused_on_purpose {
                    let fmt = |s: &Option<(DataType, DataType, DataType)>| match s {
                        Some((a, b, c)) => format!("({a}, {b}) -> {c}"),
                        None => "refused".into(),
                    };
                    differences.push(format!("{l} {df_op} {r}: ours {}, DataFusion {}", fmt(&ours), fmt(&theirs)));
                }
                accepted += usize::from(ours.is_some());
            }
        }
    }
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    assert!(accepted > 1000, "only {accepted} accepted signatures");
}

#[test]
fn true_division_is_the_documented_difference() {
    // `a / b` on integers: the IR's `Div` divides as Float64, DataFusion's `/` truncates; the SQL
    // front end lifts `/` on integers to `IntDiv`, so SQL keeps DataFusion's answer.
    let div = arithmetic_signature(BinaryOp::Div, &DataType::Int32, &DataType::Int64).expect("typed");
    assert_eq!(div.result, DataType::Float64);
    let int_div = arithmetic_signature(BinaryOp::IntDiv, &DataType::Int32, &DataType::Int64).expect("typed");
    assert_eq!(
        Some((int_div.left, int_div.right, int_div.result)),
        datafusion_signature(Operator::Divide, &DataType::Int32, &DataType::Int64)
    );
    // A signed integer and a UInt64 divide as decimals in DataFusion: refused as integer division.
    assert!(arithmetic_signature(BinaryOp::IntDiv, &DataType::Int64, &DataType::UInt64).is_none());
    assert!(datafusion_signature(Operator::Divide, &DataType::Int64, &DataType::UInt64).is_some());
}
