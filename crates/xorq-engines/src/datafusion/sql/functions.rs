//! DataFusion functions by name → the IR's function catalogue. The reverse of the lowering in
//! `datafusion/scalar.rs`; anything not listed has no IR equivalent and is reported.

use arrow::datatypes::DataType as ArrowType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;
use xorq_core::{AggFunc, DataType, Expr, ScalarFunc, SortExpr, TimeUnit, WindowFunc, count_star, lit};

/// Scalar functions with a direct IR equivalent (DataFusion's canonical names).
const SCALAR: &[(&str, ScalarFunc)] = &[
    ("upper", ScalarFunc::Upper),
    ("lower", ScalarFunc::Lower),
    ("character_length", ScalarFunc::Length),
    ("btrim", ScalarFunc::Trim),
    ("ltrim", ScalarFunc::LTrim),
    ("rtrim", ScalarFunc::RTrim),
    ("substr", ScalarFunc::Substring),
    ("replace", ScalarFunc::Replace),
    ("contains", ScalarFunc::Contains),
    ("starts_with", ScalarFunc::StartsWith),
    ("ends_with", ScalarFunc::EndsWith),
    ("strpos", ScalarFunc::StrPos),
    ("lpad", ScalarFunc::LPad),
    ("rpad", ScalarFunc::RPad),
    ("reverse", ScalarFunc::Reverse),
    ("to_char", ScalarFunc::Strftime),
    ("abs", ScalarFunc::Abs),
    ("round", ScalarFunc::Round),
    ("floor", ScalarFunc::Floor),
    ("ceil", ScalarFunc::Ceil),
    ("sqrt", ScalarFunc::Sqrt),
    ("exp", ScalarFunc::Exp),
    ("ln", ScalarFunc::Ln),
    ("log10", ScalarFunc::Log10),
    ("log2", ScalarFunc::Log2),
    ("power", ScalarFunc::Power),
    ("signum", ScalarFunc::Sign),
    ("greatest", ScalarFunc::Greatest),
    ("least", ScalarFunc::Least),
    ("coalesce", ScalarFunc::Coalesce),
    ("nvl", ScalarFunc::Coalesce),
    ("nullif", ScalarFunc::NullIf),
];

/// `date_part` units with an IR function.
const DATE_PARTS: &[(&str, ScalarFunc)] = &[
    ("year", ScalarFunc::Year),
    ("month", ScalarFunc::Month),
    ("day", ScalarFunc::Day),
    ("hour", ScalarFunc::Hour),
    ("minute", ScalarFunc::Minute),
    ("second", ScalarFunc::Second),
    ("dow", ScalarFunc::DayOfWeek),
    ("doy", ScalarFunc::DayOfYear),
    ("quarter", ScalarFunc::Quarter),
];

fn string_literal(e: &DfExpr) -> Option<&str> {
    match e {
        DfExpr::Literal(v, _) => v.try_as_str().flatten(),
        _ => None,
    }
}

/// A scalar function call; `arg_type` gives DataFusion's type of an argument. `Err` is the
/// message of an unsupported call.
pub(crate) fn scalar(
    name: &str,
    mut args: Vec<Expr>,
    raw: &[DfExpr],
    arg_type: impl Fn(usize) -> Option<ArrowType>,
) -> Result<Expr, String> {
    match name {
        "date_part" => {
            let unit = raw.first().and_then(string_literal).map(str::to_ascii_lowercase);
            let func = unit.as_deref().and_then(|u| DATE_PARTS.iter().find(|(n, _)| *n == u)).map(|(_, f)| *f);
            match (func, args.len()) {
                (Some(f), 2) => Ok(Expr::Function(f, vec![args.swap_remove(1)])),
                _ => Err(format!(
                    "date part `{}` is not supported; use one of {}",
                    unit.unwrap_or_else(|| "?".into()),
                    DATE_PARTS.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
                )),
            }
        }
        "date_trunc" => {
            // DataFusion truncates dates as nanosecond timestamps; the IR takes timestamps only.
            if matches!(arg_type(1), Some(ArrowType::Date32 | ArrowType::Date64)) && args.len() == 2 {
                let date = args.swap_remove(1);
                args.push(date.cast(DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None }));
            }
            Ok(Expr::Function(ScalarFunc::DateTrunc, args))
        }
        // SQL's `concat` skips null arguments (all null gives ''); the IR's is null when any is.
        "concat" if !args.is_empty() => {
            Ok(Expr::Function(ScalarFunc::Concat, args.into_iter().map(|a| a.fill_null(lit(""))).collect()))
        }
        _ => match SCALAR.iter().find(|(n, _)| *n == name) {
            Some((_, f)) => Ok(Expr::Function(*f, args)),
            None => {
                Err(format!("function `{name}` is not supported by xorq (it has no equivalent in the expression IR)"))
            }
        },
    }
}

/// An aggregate call. `Err` is the message of an unsupported call.
pub(crate) fn aggregate(
    name: &str,
    args: Vec<Expr>,
    raw: &[DfExpr],
    distinct: bool,
    order_by: Vec<SortExpr>,
) -> Result<Expr, String> {
    let agg = |func: AggFunc, args: Vec<Expr>| Expr::Aggregate { func, args, order_by: vec![] };
    if distinct && name != "count" {
        return Err(format!("`{name}(DISTINCT …)` is not supported; only `count(DISTINCT …)` is"));
    }
    let func = match name {
        "count" if distinct && args.len() == 1 => return Ok(agg(AggFunc::CountDistinct, args)),
        "count" if distinct => return Err("`count(DISTINCT …)` takes one argument".into()),
        // `count(*)` is planned as `count(1)`: counting a non-null constant counts rows.
        "count" if matches!(raw, [DfExpr::Literal(v, _)] if !v.is_null()) => return Ok(count_star()),
        "count" => AggFunc::Count,
        "sum" => AggFunc::Sum,
        "avg" => AggFunc::Mean,
        "min" => AggFunc::Min,
        "max" => AggFunc::Max,
        "stddev" => AggFunc::Std,
        "stddev_pop" => AggFunc::StdPop,
        "var" => AggFunc::Var,
        "var_pop" => AggFunc::VarPop,
        "first_value" => AggFunc::First,
        "last_value" => AggFunc::Last,
        "approx_percentile_cont" => {
            // `approx_percentile_cont(x, q)` and `… WITHIN GROUP (ORDER BY x)` (planned with x first).
            if order_by.iter().any(|k| k.descending) {
                return Err("`approx_percentile_cont` is supported in ascending order only".into());
            }
            if args.len() != 2 {
                return Err("`approx_percentile_cont` is supported with a value and a quantile only".into());
            }
            return Ok(agg(AggFunc::ApproxQuantile, args));
        }
        other => {
            return Err(format!(
                "aggregate `{other}` is not supported by xorq (it has no equivalent in the expression IR)"
            ));
        }
    };
    let call = agg(func, args);
    Ok(if order_by.is_empty() { call } else { call.order_by(order_by) })
}

/// A window-only function. `Err` is the message of an unsupported call.
pub(crate) fn window(name: &str, args: Vec<Expr>) -> Result<Expr, String> {
    let func = match name {
        "row_number" => WindowFunc::RowNumber,
        "rank" => WindowFunc::Rank,
        "dense_rank" => WindowFunc::DenseRank,
        "percent_rank" => WindowFunc::PercentRank,
        "cume_dist" => WindowFunc::CumeDist,
        "ntile" => WindowFunc::Ntile,
        "lag" => WindowFunc::Lag,
        "lead" => WindowFunc::Lead,
        "first_value" => WindowFunc::FirstValue,
        "last_value" => WindowFunc::LastValue,
        other => {
            return Err(format!(
                "window function `{other}` is not supported by xorq (it has no equivalent in the expression IR)"
            ));
        }
    };
    Ok(Expr::WindowFunction(func, args))
}

/// The IR type of an Arrow type, for casts.
pub(crate) fn ir_type(t: &ArrowType) -> Result<DataType, String> {
    DataType::from_arrow("cast", t).map_err(|e| e.to_string())
}

/// A constant as a literal of the IR. SQL numbers become constants that take the type they
/// meet, like Rust numbers in the builder, so `amount > 100` is `col("amount").gt(lit(100))`.
pub(crate) fn literal(v: &ScalarValue) -> Result<Expr, String> {
    use xorq_core::{Literal, lit, lit_null};
    Ok(match v {
        _ if v.is_null() => {
            let t = ir_type(&v.data_type()).unwrap_or(DataType::Null);
            lit_null(t)
        }
        ScalarValue::Boolean(Some(b)) => lit(*b),
        ScalarValue::Int64(Some(i)) => lit(*i),
        ScalarValue::UInt64(Some(u)) => lit(*u),
        ScalarValue::Float64(Some(f)) => lit(*f),
        ScalarValue::Int8(Some(i)) => lit(Literal::Int8(*i)),
        ScalarValue::Int16(Some(i)) => lit(Literal::Int16(*i)),
        ScalarValue::Int32(Some(i)) => lit(Literal::Int32(*i)),
        ScalarValue::UInt8(Some(i)) => lit(Literal::UInt8(*i)),
        ScalarValue::UInt16(Some(i)) => lit(Literal::UInt16(*i)),
        ScalarValue::UInt32(Some(i)) => lit(Literal::UInt32(*i)),
        ScalarValue::Float32(Some(f)) => lit(Literal::Float32(*f)),
        ScalarValue::Decimal128(Some(value), precision, scale) => {
            lit(Literal::Decimal { value: *value, precision: *precision, scale: *scale })
        }
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)) => {
            lit(s.as_str())
        }
        ScalarValue::Date32(Some(d)) => lit(Literal::Date(*d)),
        ScalarValue::TimestampSecond(Some(t), tz) => timestamp(*t, TimeUnit::Second, tz),
        ScalarValue::TimestampMillisecond(Some(t), tz) => timestamp(*t, TimeUnit::Millisecond, tz),
        ScalarValue::TimestampMicrosecond(Some(t), tz) => timestamp(*t, TimeUnit::Microsecond, tz),
        ScalarValue::TimestampNanosecond(Some(t), tz) => timestamp(*t, TimeUnit::Nanosecond, tz),
        ScalarValue::IntervalMonthDayNano(Some(i)) => {
            lit(Literal::Interval { months: i.months, days: i.days, nanos: i.nanoseconds })
        }
        ScalarValue::IntervalYearMonth(Some(m)) => lit(Literal::Interval { months: *m, days: 0, nanos: 0 }),
        ScalarValue::IntervalDayTime(Some(d)) => {
            lit(Literal::Interval { months: 0, days: d.days, nanos: i64::from(d.milliseconds) * 1_000_000 })
        }
        other => return Err(format!("constants of type `{}` are not supported", other.data_type())),
    })
}

fn timestamp(value: i64, unit: TimeUnit, tz: &Option<std::sync::Arc<str>>) -> Expr {
    xorq_core::lit(xorq_core::Literal::Timestamp { value, unit, tz: tz.clone() })
}
