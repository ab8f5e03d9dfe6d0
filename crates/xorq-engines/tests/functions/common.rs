//! IR types, constants and DataFusion's typing of one call, shared by the tests.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType as ArrowType, Field, FieldRef};
use datafusion::logical_expr::function::WindowUDFFieldArgs;
use datafusion::logical_expr::type_coercion::functions::fields_with_udf;
use datafusion::logical_expr::{AggregateUDF, ReturnFieldArgs, ScalarUDF, WindowUDF};
use datafusion::scalar::ScalarValue;
use xorq_core::expr::{AggFunc, ScalarFunc, WindowFunc};
use xorq_core::{DataType, Literal, TimeUnit};
use xorq_engines::datafusion::functions::{
    AggregateForm, Implementations, ScalarForm, aggregate_form, scalar_form, window_name,
};
use xorq_engines::datafusion::scalar_value;

/// The IR types arguments are drawn from: every type, with decimals, timestamps and durations at
/// a few parameters.
pub fn ir_types() -> Vec<DataType> {
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
    for (p, s) in [(5, 0), (10, 2), (38, 10)] {
        types.push(T::decimal(p, s).expect("valid decimal"));
    }
    for unit in [TimeUnit::Second, TimeUnit::Millisecond, TimeUnit::Microsecond, TimeUnit::Nanosecond] {
        types.push(T::Timestamp { unit, tz: None });
    }
    types.push(T::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) });
    types.push(T::Timestamp { unit: TimeUnit::Nanosecond, tz: Some("+05:00".into()) });
    types.push(T::Duration(TimeUnit::Microsecond));
    types.push(T::Duration(TimeUnit::Second));
    types
}

/// A smaller set, for calls of four or more arguments.
pub fn few_types(arity: usize) -> Vec<DataType> {
    use DataType as T;
    let mut types = vec![T::Null, T::Int64, T::String, T::Float64];
    if arity == 4 {
        types.extend([T::Int32, T::Timestamp { unit: TimeUnit::Nanosecond, tz: None }, T::Interval]);
    }
    types
}

/// A constant of type `t`; text is `text`.
pub fn constant(t: &DataType, text: &str) -> Literal {
    use DataType as T;
    match t {
        T::Null => Literal::Null(T::Null),
        T::Boolean => Literal::Boolean(true),
        T::Int8 => Literal::Int8(2),
        T::Int16 => Literal::Int16(2),
        T::Int32 => Literal::Int32(2),
        T::Int64 => Literal::Int64(2),
        T::UInt8 => Literal::UInt8(2),
        T::UInt16 => Literal::UInt16(2),
        T::UInt32 => Literal::UInt32(2),
        T::UInt64 => Literal::UInt64(2),
        T::Float32 => Literal::Float32(0.5),
        T::Float64 => Literal::Float64(0.5),
        T::Decimal { precision, scale } => {
            Literal::Decimal { value: 5 * 10i128.pow((*scale).max(1) as u32 - 1), precision: *precision, scale: *scale }
        }
        T::String => Literal::String(text.into()),
        T::Binary => Literal::Binary(b"ab".as_slice().into()),
        T::Date => Literal::Date(0),
        T::Time => Literal::Time(0),
        T::Timestamp { unit, tz } => Literal::Timestamp { value: 0, unit: *unit, tz: tz.clone() },
        T::Duration(unit) => Literal::Duration { value: 1, unit: *unit },
        _ => Literal::Interval { months: 0, days: 1, nanos: 0 },
    }
}

/// The IR type DataFusion's answer stands for; `None` for a type the IR does not have.
pub fn logical(t: &ArrowType) -> Option<DataType> {
    match t {
        ArrowType::Float16 | ArrowType::Decimal256(..) | ArrowType::Decimal32(..) | ArrowType::Decimal64(..) => None,
        other => DataType::from_arrow("x", other).ok(),
    }
}

/// What computes an IR function in DataFusion, for typing.
pub enum Df {
    /// A scalar function, with a date part's unit put first.
    Scalar(Arc<ScalarUDF>, Option<&'static str>),
    /// An aggregate.
    Aggregate(Arc<AggregateUDF>),
    /// A window function.
    Window(Arc<WindowUDF>),
    /// A DataFusion expression rather than a function (`LIKE`, `||`, `count(*)`).
    Expression(&'static str),
}

pub fn df_scalar(f: ScalarFunc) -> Df {
    let impls = Implementations::builtin();
    match scalar_form(f) {
        ScalarForm::Udf(name) => Df::Scalar(Arc::clone(impls.scalar(name).expect("registered")), None),
        ScalarForm::DatePart(unit) => {
            Df::Scalar(Arc::clone(impls.scalar("date_part").expect("registered")), Some(unit))
        }
        ScalarForm::Like { .. } => Df::Expression("LIKE"),
        ScalarForm::SimilarTo => Df::Expression("SIMILAR TO"),
        ScalarForm::Concat => Df::Expression("||"),
    }
}

pub fn df_aggregate(f: AggFunc) -> Df {
    let impls = Implementations::builtin();
    match aggregate_form(f) {
        AggregateForm::Udaf(name) | AggregateForm::WithinGroup(name) => {
            Df::Aggregate(Arc::clone(impls.aggregate(name).expect("registered")))
        }
        AggregateForm::CountStar => Df::Expression("count(*)"),
        AggregateForm::CountDistinct => Df::Aggregate(Arc::clone(impls.aggregate("count").expect("registered"))),
    }
}

pub fn df_window(f: WindowFunc) -> Df {
    Df::Window(Arc::clone(Implementations::builtin().window(window_name(f)).expect("registered")))
}

/// DataFusion's answer for a call: the converted argument types and the result type, as IR
/// types; `None` when DataFusion refuses the call (or answers with a type the IR lacks).
pub fn df_typing(df: &Df, args: &[(DataType, Option<Literal>)]) -> Option<(Vec<DataType>, DataType)> {
    let mut fields: Vec<FieldRef> =
        args.iter().enumerate().map(|(i, (t, _))| Arc::new(Field::new(format!("a{i}"), t.to_arrow(), true))).collect();
    let mut scalars: Vec<Option<ScalarValue>> =
        args.iter().map(|(_, c)| c.as_ref().and_then(|l| scalar_value(l).ok())).collect();
    let (coerced, result) = match df {
        Df::Scalar(udf, unit) => {
            if let Some(unit) = unit {
                fields.insert(0, Arc::new(Field::new("unit", ArrowType::Utf8, false)));
                scalars.insert(0, Some(ScalarValue::Utf8(Some((*unit).to_string()))));
            }
            let coerced = fields_with_udf(&fields, udf.as_ref()).ok()?;
            let refs: Vec<Option<&ScalarValue>> = scalars.iter().map(Option::as_ref).collect();
            let result =
                udf.return_field_from_args(ReturnFieldArgs { arg_fields: &coerced, scalar_arguments: &refs }).ok()?;
            let skip = usize::from(unit.is_some());
            (coerced[skip..].to_vec(), result)
        }
        Df::Aggregate(udaf) => {
            let coerced = fields_with_udf(&fields, udaf.as_ref()).ok()?;
            let result = udaf.return_field(&coerced).ok()?;
            (coerced, result)
        }
        Df::Window(udwf) => {
            let coerced = fields_with_udf(&fields, udwf.as_ref()).ok()?;
            let result = udwf.field(WindowUDFFieldArgs::new(&coerced, "w")).ok()?;
            (coerced, result)
        }
        Df::Expression(_) => return None,
    };
    let coerced = coerced.iter().map(|f| logical(f.data_type())).collect::<Option<Vec<_>>>()?;
    Some((coerced, logical(result.data_type())?))
}
