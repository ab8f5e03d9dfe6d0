//! DataFusion functions by name → the IR's function catalogue, and the functions xorq refuses
//! with the reason. The reverse of `datafusion/functions.rs`: a DataFusion function whose IR
//! form is the function of the same name needs no entry here.

use std::sync::LazyLock;

use arrow::datatypes::DataType as ArrowType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;
use xorq_core::expr::func::{DATE_PART_FUNCTIONS, DATE_PART_UNITS};
use xorq_core::{AggFunc, DataType, Expr, ScalarFunc, SortExpr, TimeUnit, lit};

use crate::datafusion::functions::{aggregate_from_datafusion, scalar_from_datafusion, window_from_datafusion};

/// Why xorq refuses a DataFusion function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefusalClass {
    /// It takes or returns lists, structs, maps or unions, which the IR does not model yet.
    Nested,
    /// Its result is not a function of its inputs (the time, randomness, the program's version):
    /// an address names logic, so a cached result would be served when the answer has changed.
    NotReproducible,
    /// Its result depends on the physical layout (Arrow types, field metadata, files), which the
    /// IR leaves to the engine.
    Physical,
    /// A conversion that turns failures into nulls (`TRY_CAST`), which the IR has no form for.
    TryCast,
    /// It only has a meaning with `GROUPING SETS`, which this lifter does not produce.
    GroupingSets,
}

impl RefusalClass {
    /// The reason, as a user reads it.
    pub fn reason(self) -> &'static str {
        match self {
            RefusalClass::Nested => {
                "it works on lists, structs, maps or unions, which xorq's expressions do not model yet"
            }
            RefusalClass::NotReproducible => {
                "its result is not a function of its inputs, so an expression's address could not name its result"
            }
            RefusalClass::Physical => {
                "its result depends on the physical layout DataFusion picks (Arrow types, field metadata, files), not on the values"
            }
            RefusalClass::TryCast => {
                "it turns failed conversions into nulls, which xorq's expressions have no form for"
            }
            RefusalClass::GroupingSets => "it only has a meaning with GROUPING SETS, ROLLUP or CUBE",
        }
    }
}

/// A DataFusion function xorq refuses, with why and what to do instead.
#[derive(Clone, Copy, Debug)]
pub struct Refused {
    /// DataFusion's name.
    pub name: &'static str,
    /// The class of reason.
    pub class: RefusalClass,
    /// What to write instead, if anything.
    pub hint: &'static str,
}

const fn refused(name: &'static str, class: RefusalClass, hint: &'static str) -> Refused {
    Refused { name, class, hint }
}

use RefusalClass as R;

/// DataFusion's scalar and aggregate functions xorq refuses, other than DataFusion's nested
/// functions (`datafusion-functions-nested`), which are all refused as [`RefusalClass::Nested`].
pub const REFUSED: &[Refused] = &[
    refused("named_struct", R::Nested, ""),
    refused("struct", R::Nested, ""),
    refused("get_field", R::Nested, ""),
    refused("union_extract", R::Nested, ""),
    refused("union_tag", R::Nested, ""),
    refused("regexp_match", R::Nested, "use `regexp_like`, `regexp_instr` or `regexp_replace`"),
    refused("array_agg", R::Nested, "use `string_agg` to join values as text"),
    refused(
        "now",
        R::NotReproducible,
        "pass the time as a parameter bound per run (`$now`, `xorq run -p now=…`), so it is part of the cache key",
    ),
    refused("current_date", R::NotReproducible, "pass the date as a parameter bound per run (`$today`)"),
    refused("current_time", R::NotReproducible, "pass the time as a parameter bound per run"),
    refused("random", R::NotReproducible, "derive pseudo-random numbers from a key, e.g. `abs(hash)` of a column"),
    refused("uuid", R::NotReproducible, "derive an identifier from the row's values, e.g. `md5` of its key columns"),
    refused("version", R::NotReproducible, "the DataFusion version changes with the program, not with the data"),
    refused("arrow_typeof", R::Physical, ""),
    refused("arrow_field", R::Physical, ""),
    refused("arrow_metadata", R::Physical, ""),
    refused("with_metadata", R::Physical, ""),
    refused("input_file_name", R::Physical, ""),
    refused("file_row_index", R::Physical, ""),
    refused("arrow_try_cast", R::TryCast, "use `CAST`, which fails on a value it cannot convert"),
    refused("try_cast_to_type", R::TryCast, "use `CAST`, which fails on a value it cannot convert"),
];

static NESTED: LazyLock<Vec<String>> = LazyLock::new(|| {
    datafusion::functions_nested::all_default_nested_functions().iter().map(|f| f.name().to_string()).collect()
});

/// Why DataFusion's function `name` (canonical name) is refused, if it is.
pub fn refusal(name: &str) -> Option<Refused> {
    REFUSED
        .iter()
        .find(|r| r.name == name)
        .copied()
        .or_else(|| NESTED.iter().any(|n| n == name).then_some(refused("", R::Nested, "")))
}

/// The message for a refused function called `shown`.
pub(crate) fn refusal_message(shown: &str, r: &Refused) -> String {
    let hint = if r.hint.is_empty() { String::new() } else { format!("\nhint: {}", r.hint) };
    format!("function `{shown}` is not supported by xorq: {}{hint}", r.class.reason())
}

fn string_literal(e: &DfExpr) -> Option<&str> {
    match e {
        DfExpr::Literal(v, _) => v.try_as_str().flatten(),
        _ => None,
    }
}

/// `date_part(unit, x)`: the function of the unit where it has one, else the IR's `date_part`.
fn date_part(mut args: Vec<Expr>, raw: &[DfExpr]) -> Result<Expr, String> {
    let unit = raw.first().and_then(string_literal).map(|u| u.trim_matches(['\'', '"']).to_ascii_lowercase());
    let Some(unit) = unit.filter(|_| args.len() == 2) else {
        return Err("`date_part` is supported with a constant unit, such as `date_part('year', d)`".into());
    };
    let value = args.swap_remove(1);
    if let Some((_, f)) = DATE_PART_FUNCTIONS.iter().find(|(u, _)| *u == unit) {
        let func = ScalarFunc::from_name(f).ok_or_else(|| format!("date part function `{f}` is missing"))?;
        return Ok(Expr::Function(func, vec![value]));
    }
    let normalized = unit.strip_suffix('s').filter(|u| DATE_PART_UNITS.contains(u)).unwrap_or(&unit);
    if !DATE_PART_UNITS.contains(&normalized) {
        let mut known: Vec<&str> = DATE_PART_FUNCTIONS.iter().map(|(u, _)| *u).collect();
        known.extend(DATE_PART_UNITS);
        return Err(format!(
            "date part `{unit}` is not supported; use one of {}",
            known.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    Ok(Expr::Function(ScalarFunc::DATE_PART, vec![lit(normalized), value]))
}

/// A scalar function call; `arg_type` gives DataFusion's type of an argument. `Err` is the
/// message of an unsupported call.
pub(crate) fn scalar(
    name: &str,
    shown: &str,
    args: Vec<Expr>,
    raw: &[DfExpr],
    arg_type: impl Fn(usize) -> Option<ArrowType>,
) -> Result<Expr, String> {
    if let Some(r) = refusal(name) {
        return Err(refusal_message(shown, &r));
    }
    let is_text = |i: usize| matches!(arg_type(i), Some(ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View));
    match name {
        "date_part" => date_part(args, raw),
        // SQL's `concat` skips null arguments (all null gives '') and reads every argument as
        // text; the IR's is null when any is.
        "concat" if !args.is_empty() => {
            if (0..args.len()).any(|i| matches!(arg_type(i), Some(t) if t.is_binary())) {
                return Err("`concat` of bytes is not supported; cast them to text first".into());
            }
            let parts = args
                .into_iter()
                .enumerate()
                .map(|(i, a)| if is_text(i) { a } else { a.cast(DataType::String) }.fill_null(lit("")))
                .collect();
            Ok(Expr::Function(ScalarFunc::CONCAT, parts))
        }
        // `arrow_cast(x, 'Int64')` and `cast_to_type(x, y)` are casts to a type DataFusion names.
        "arrow_cast" | "cast_to_type" => {
            let target = match name {
                "arrow_cast" => raw
                    .get(1)
                    .and_then(string_literal)
                    .and_then(|t| t.parse::<ArrowType>().ok())
                    .ok_or_else(|| "`arrow_cast` is supported with a constant type name".to_string())?,
                _ => arg_type(1).ok_or_else(|| "`cast_to_type` needs a typed second argument".to_string())?,
            };
            let target = cast_target(&target)?;
            let value = args.into_iter().next().ok_or_else(|| format!("`{name}` without arguments"))?;
            Ok(value.cast(target))
        }
        _ => match scalar_from_datafusion(name) {
            Some(f) => Ok(Expr::Function(f, args)),
            None => {
                Err(format!("function `{shown}` is not supported by xorq (it has no equivalent in the expression IR)"))
            }
        },
    }
}

/// The options of an aggregate call besides its arguments.
pub(crate) struct AggregateOptions {
    /// `DISTINCT`.
    pub distinct: bool,
    /// `ORDER BY` inside the call (or `WITHIN GROUP`).
    pub order_by: Vec<SortExpr>,
    /// `FILTER (WHERE …)`.
    pub filter: Option<Expr>,
    /// `IGNORE NULLS`.
    pub ignore_nulls: bool,
}

/// An aggregate call. `Err` is the message of an unsupported call.
pub(crate) fn aggregate(
    name: &str,
    shown: &str,
    mut args: Vec<Expr>,
    raw: &[DfExpr],
    options: AggregateOptions,
) -> Result<Expr, String> {
    if let Some(r) = refusal(name) {
        return Err(refusal_message(shown, &r));
    }
    let AggregateOptions { distinct, mut order_by, filter, ignore_nulls } = options;
    let func = match name {
        "count" if args.len() != 1 => {
            return Err("`count` of several expressions is not supported; count one expression or `*`".into());
        }
        // `count(*)` is planned as `count(1)`: counting a non-null constant counts rows.
        "count" if !distinct && matches!(raw, [DfExpr::Literal(v, _)] if !v.is_null()) => {
            args.clear();
            AggFunc::COUNT_STAR
        }
        "approx_percentile_cont" | "percentile_cont" | "approx_percentile_cont_with_weight" => {
            // `f(x, q)` and `f(q) WITHIN GROUP (ORDER BY x)` (planned with x first).
            if order_by.iter().any(|k| k.descending) {
                return Err(format!("`{shown}` is supported in ascending order only"));
            }
            let arity = if name == "approx_percentile_cont_with_weight" { 3 } else { 2 };
            if args.len() != arity {
                let what = if arity == 3 { "a value, a weight and a quantile" } else { "a value and a quantile" };
                return Err(format!("`{shown}` is supported with {what} only"));
            }
            order_by.clear();
            aggregate_from_datafusion(name).ok_or_else(|| format!("aggregate `{shown}` is missing"))?
        }
        _ => aggregate_from_datafusion(name).ok_or_else(|| {
            format!("aggregate `{shown}` is not supported by xorq (it has no equivalent in the expression IR)")
        })?,
    };
    let mut call = Expr::aggregate(func, args);
    if !order_by.is_empty() {
        call = call.order_by(order_by);
    }
    if distinct {
        call = call.distinct();
    }
    if ignore_nulls {
        call = call.ignore_nulls();
    }
    if let Some(f) = filter {
        call = call.filter(f);
    }
    Ok(call)
}

/// A window-only function. `Err` is the message of an unsupported call.
pub(crate) fn window(name: &str, shown: &str, args: Vec<Expr>, ignore_nulls: bool) -> Result<Expr, String> {
    let func = window_from_datafusion(name).ok_or_else(|| {
        format!("window function `{shown}` is not supported by xorq (it has no equivalent in the expression IR)")
    })?;
    let call = Expr::window_function(func, args);
    Ok(if ignore_nulls { call.ignore_nulls() } else { call })
}

/// The IR type of an Arrow type, for casts.
pub(crate) fn ir_type(t: &ArrowType) -> Result<DataType, String> {
    DataType::from_arrow("cast", t).map_err(|e| e.to_string())
}

/// The IR type a `CAST` (or `arrow_cast`) to `t` is, when the IR's type holds exactly the values
/// the cast produces. Casting is where a physical type changes values: `Float16` rounds, `Date64`
/// keeps milliseconds, `Time32(Second)` truncates, a year-month interval drops days. The IR's
/// logical type for those is wider, so the cast is refused rather than computed differently.
/// Layouts that do not change values (`Utf8View`, `LargeBinary`, `Decimal64`, a dictionary of an
/// exact type) are their logical type.
pub(crate) fn cast_target(t: &ArrowType) -> Result<DataType, String> {
    use arrow::datatypes::{IntervalUnit, TimeUnit as ArrowUnit};
    let inexact = match t {
        ArrowType::Float16 => Some("the IR has no 16-bit float (it would keep more precision)"),
        ArrowType::Date64 => Some("the IR's date is a day (Date64 keeps milliseconds)"),
        ArrowType::Time32(_)
        | ArrowType::Time64(ArrowUnit::Second | ArrowUnit::Millisecond | ArrowUnit::Microsecond) => {
            Some("the IR's time of day is in nanoseconds (a coarser cast truncates)")
        }
        ArrowType::Interval(IntervalUnit::YearMonth | IntervalUnit::DayTime) => {
            Some("the IR's interval is months, days and nanoseconds")
        }
        ArrowType::FixedSizeBinary(_) => Some("the IR has no fixed-size binary"),
        ArrowType::Dictionary(_, value) => return cast_target(value),
        _ => None,
    };
    match inexact {
        Some(why) => Err(format!("a cast to `{t}` is not supported: {why}")),
        None => ir_type(t),
    }
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
        ScalarValue::Binary(Some(b)) | ScalarValue::LargeBinary(Some(b)) | ScalarValue::BinaryView(Some(b)) => {
            lit(Literal::Binary(b.as_slice().into()))
        }
        ScalarValue::Date32(Some(d)) => lit(Literal::Date(*d)),
        ScalarValue::Time64Nanosecond(Some(t)) => lit(Literal::Time(*t)),
        ScalarValue::Time64Microsecond(Some(t)) => lit(Literal::Time(t.saturating_mul(1_000))),
        ScalarValue::Time32Millisecond(Some(t)) => lit(Literal::Time(i64::from(*t) * 1_000_000)),
        ScalarValue::Time32Second(Some(t)) => lit(Literal::Time(i64::from(*t) * 1_000_000_000)),
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
