//! Typing rules of scalar functions that DataFusion types by a rule of their own (its
//! `coerce_types` and `return_field_from_args` for the function), restated over the IR's types.

use crate::expr::coerce::{comparison_type, union_type};
use crate::types::{DataType, TimeUnit};

use super::typing::{Arg, Refusal, Signature, Typing, arity, coerced_from, timestamp};

type Rule = Result<Signature, Refusal>;

fn types(args: &[Arg<'_>]) -> Vec<DataType> {
    args.iter().map(|a| a.dtype.clone()).collect()
}

fn same(args: &[Arg<'_>], t: &DataType) -> Vec<DataType> {
    vec![t.clone(); args.len()]
}

const fn custom(rule: super::typing::CustomRule) -> Typing {
    Typing::Custom(rule)
}

/// The IR's `concat` (SQL's `||`): text only, null when any part is.
pub(super) const CONCAT: Typing = custom(|args| {
    arity(args, 1, usize::MAX)?;
    if !args.iter().all(|a| matches!(a.dtype, DataType::String | DataType::Null)) {
        return Err(Refusal::Types(Some("`concat` joins text; cast other values with `.cast(DataType::String)`")));
    }
    Ok(Signature { args: vec![DataType::String; args.len()], result: DataType::String })
});

/// `concat_ws(separator, part, …)`: every part read as text (bytes are not joined).
pub(super) const CONCAT_WS: Typing = custom(|args| {
    arity(args, 2, usize::MAX)?;
    if args.iter().any(|a| *a.dtype == DataType::Binary) {
        return Err(Refusal::Types(Some("`concat_ws` joins text; bytes are not supported, cast them to text first")));
    }
    Ok(Signature { args: vec![DataType::String; args.len()], result: DataType::String })
});

/// `like(text, pattern)`: `_` and `%` are wildcards and `\\` escapes them, as in DataFusion
/// (`LIKE … ESCAPE '\\'` is the same call; DataFusion supports no other escape character).
pub(super) const LIKE: Typing = custom(|args| {
    arity(args, 2, 2)?;
    if !args.iter().all(|a| matches!(a.dtype, DataType::String | DataType::Null)) {
        return Err(Refusal::Types(None));
    }
    Ok(Signature { args: vec![DataType::String; 2], result: DataType::Boolean })
});

/// `similar_to(text, pattern)`.
pub(super) const SIMILAR_TO: Typing = custom(|args| {
    arity(args, 2, 2)?;
    if !args.iter().all(|a| matches!(a.dtype, DataType::String | DataType::Null)) {
        return Err(Refusal::Types(None));
    }
    Ok(Signature { args: vec![DataType::String; 2], result: DataType::Boolean })
});

/// What a date part reads: dates, times, timestamps, durations and intervals as they are, text
/// as a nanosecond timestamp; an untyped null stays untyped.
fn date_part_input(t: &DataType) -> Option<DataType> {
    use DataType as T;
    match t {
        T::Date | T::Time | T::Timestamp { .. } | T::Duration(_) | T::Interval | T::Null => Some(t.clone()),
        T::String => Some(timestamp(TimeUnit::Nanosecond, None)),
        _ => None,
    }
}

/// `year(x)`, `month(x)`, …: DataFusion's `date_part('year', x)`.
pub(super) const DATE_PART_FN: Typing = custom(|args| {
    arity(args, 1, 1)?;
    let t = date_part_input(args[0].dtype).ok_or(Refusal::Types(Some("it takes a date, time or timestamp")))?;
    Ok(Signature { args: vec![t], result: DataType::Int32 })
});

/// Units of the IR's `date_part` (the others have functions of their own).
pub const DATE_PART_UNITS: &[&str] =
    &["week", "millisecond", "microsecond", "nanosecond", "epoch", "isodow", "isoyear"];

/// Units that have a function of their own, and its name.
pub const DATE_PART_FUNCTIONS: &[(&str, &str)] = &[
    ("year", "year"),
    ("quarter", "quarter"),
    ("qtr", "quarter"),
    ("month", "month"),
    ("day", "day"),
    ("hour", "hour"),
    ("minute", "minute"),
    ("second", "second"),
    ("dow", "day_of_week"),
    ("doy", "day_of_year"),
];

/// `date_part(unit, x)` for the units without a function of their own.
pub(super) const DATE_PART: Typing = custom(|args| {
    arity(args, 2, 2)?;
    let unit = args[0].text().ok_or(Refusal::Message("the unit must be a constant text".into()))?;
    if let Some((_, f)) = DATE_PART_FUNCTIONS.iter().find(|(u, _)| *u == unit) {
        return Err(Refusal::Message(format!("use the function `{f}` for unit `{unit}`")));
    }
    if !DATE_PART_UNITS.contains(&unit) {
        return Err(Refusal::Message(format!(
            "unit `{unit}` is not one of {}",
            DATE_PART_UNITS.iter().map(|u| format!("`{u}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    let t = date_part_input(args[1].dtype).ok_or(Refusal::Types(None))?;
    let result = match unit {
        "epoch" => DataType::Float64,
        "nanosecond" => DataType::Int64,
        _ => DataType::Int32,
    };
    Ok(Signature { args: vec![DataType::String, t], result })
});

/// `date_trunc(unit, x)`: timestamps and times as they are; dates, text and nulls as
/// nanosecond timestamps.
pub(super) const DATE_TRUNC: Typing = custom(|args| {
    use DataType as T;
    arity(args, 2, 2)?;
    if !matches!(args[0].dtype, T::String | T::Null) {
        return Err(Refusal::Types(None));
    }
    let t = match args[1].dtype {
        T::Timestamp { .. } | T::Time => args[1].dtype.clone(),
        T::Date | T::String => timestamp(TimeUnit::Nanosecond, None),
        T::Null => T::Null,
        _ => return Err(Refusal::Types(Some("it truncates timestamps and times; cast a date to a timestamp"))),
    };
    let result = if t == T::Null { timestamp(TimeUnit::Nanosecond, None) } else { t.clone() };
    Ok(Signature { args: vec![T::String, t], result })
});

/// `strftime(x, format)` (DataFusion's `to_char`).
pub(super) const TO_CHAR: Typing = custom(|args| {
    use DataType as T;
    arity(args, 2, 2)?;
    let t = match args[0].dtype {
        // DataFusion lists zoned timestamps in nanoseconds only.
        T::Timestamp { tz: Some(tz), .. } => timestamp(TimeUnit::Nanosecond, Some(tz.clone())),
        T::Date | T::Time | T::Timestamp { .. } | T::Duration(_) => args[0].dtype.clone(),
        T::Null => T::Date,
        _ => return Err(Refusal::Types(Some("it formats dates, times, timestamps and durations"))),
    };
    // An untyped null format is text (DataFusion coerces it to `Utf8`); DataFusion then picks its
    // first timestamp signature, a nanosecond timestamp in a `+00` zone (the result is null).
    if !matches!(*args[1].dtype, T::String | T::Null) {
        return Err(Refusal::Types(Some("the format is text")));
    }
    let t = match (&t, args[1].dtype) {
        (T::Timestamp { tz: None, .. }, T::Null) => timestamp(TimeUnit::Nanosecond, Some("+00".into())),
        _ => t,
    };
    Ok(Signature { args: vec![t, T::String], result: T::String })
});

/// `date_bin(stride, source[, origin])`: the stride is an interval; a zone-less timestamp keeps
/// its unit when the stride is an interval already, anything else is a nanosecond timestamp in
/// its zone. An origin goes with a source of the same kind (zoned in the same zone, zone-less,
/// or a time).
pub(super) const DATE_BIN: Typing = custom(|args| {
    use DataType as T;
    arity(args, 2, 3)?;
    if !matches!(args[0].dtype, T::Interval | T::Null | T::String) {
        return Err(Refusal::Types(Some("the stride is an interval")));
    }
    // DataFusion lists `(interval, timestamp(any unit))` and `(interval, timestamp(any unit),
    // timestamp(ns))` as they are.
    let exact =
        *args[0].dtype == T::Interval && (args.len() == 2 || *args[2].dtype == timestamp(TimeUnit::Nanosecond, None));
    let bin = |t: &T| -> Option<T> {
        Some(match t {
            T::Timestamp { tz: None, .. } if exact => t.clone(),
            T::Timestamp { tz, .. } => timestamp(TimeUnit::Nanosecond, tz.clone()),
            T::Time => T::Time,
            T::Date | T::String | T::Null => timestamp(TimeUnit::Nanosecond, None),
            _ => return None,
        })
    };
    let source = bin(args[1].dtype).ok_or(Refusal::Types(None))?;
    let mut converted = vec![T::Interval, source.clone()];
    if let Some(origin) = args.get(2) {
        let origin = bin(origin.dtype).ok_or(Refusal::Types(None))?;
        let text_or_null = |t: &T| matches!(t, T::String | T::Null | T::Date);
        let zone = |t: &T| match t {
            T::Timestamp { tz, .. } => Some(tz.clone()),
            _ => None,
        };
        let fits = match (zone(&source), zone(&origin)) {
            (Some(None), Some(None)) => true,
            (Some(Some(a)), Some(Some(b))) => a == b,
            _ => {
                source == T::Time
                    && origin == T::Time
                    && !text_or_null(args[1].dtype)
                    && !text_or_null(origin_type(args))
            }
        };
        if !fits {
            return Err(Refusal::Types(Some(
                "the source and the origin must both be zone-less timestamps, timestamps in one zone, or times",
            )));
        }
        converted.push(origin);
    }
    Ok(Signature { args: converted, result: source })
});

fn origin_type<'a>(args: &[Arg<'a>]) -> &'a DataType {
    args[2].dtype
}

/// `from_unixtime(seconds[, zone])`.
pub(super) const FROM_UNIXTIME: Typing = custom(|args| {
    arity(args, 1, 2)?;
    let seconds = coerced_from(&DataType::Int64, args[0].dtype).ok_or(Refusal::Types(None))?;
    let mut converted = vec![seconds];
    let tz = match args.get(1) {
        Some(a) => {
            let zone = a.text().ok_or(Refusal::Message("the time zone must be a constant text".into()))?;
            converted.push(DataType::String);
            Some(zone.into())
        }
        None => None,
    };
    Ok(Signature { args: converted, result: timestamp(TimeUnit::Second, tz) })
});

fn make_parts(args: &[Arg<'_>], result: DataType) -> Rule {
    arity(args, 3, 3)?;
    if !args.iter().all(|a| matches!(a.dtype, DataType::Null | DataType::String) || a.dtype.is_integer()) {
        return Err(Refusal::Types(Some("it takes integers")));
    }
    Ok(Signature { args: same(args, &DataType::Int32), result })
}

/// `make_date(year, month, day)`: integers as `Int32`.
pub(super) const MAKE_DATE: Typing = custom(|args| make_parts(args, DataType::Date));

/// `make_time(hour, minute, second)`: integers as `Int32`.
pub(super) const MAKE_TIME: Typing = custom(|args| make_parts(args, DataType::Time));

/// Text arguments (a value and formats), as `to_date`, `to_time`, `to_timestamp` read them: no
/// conversion.
fn text_and_formats(args: &[Arg<'_>]) -> bool {
    args.iter().all(|a| matches!(a.dtype, DataType::String | DataType::Null))
}

/// Whether `args` is text with text formats, or one value that `single` accepts: what DataFusion's
/// `to_*` conversions run on (they type any argument and refuse the others when they run;
/// `tests/functions/catalogue.rs` checks that each refused type fails in DataFusion).
fn conversion_input(args: &[Arg<'_>], single: fn(&DataType) -> bool) -> Result<(), Refusal> {
    arity(args, 1, usize::MAX)?;
    if text_and_formats(args) || (args.len() == 1 && single(args[0].dtype)) {
        Ok(())
    } else {
        Err(Refusal::Types(Some("it reads text with text formats, or one value of a type it converts")))
    }
}

/// `to_date(x[, format, …])`: text with formats, or a number (days), a date or a timestamp.
pub(super) const TO_DATE: Typing = custom(|args| {
    conversion_input(args, |t| t.is_numeric() || matches!(t, DataType::Date | DataType::Timestamp { .. }))?;
    Ok(Signature { args: types(args), result: DataType::Date })
});

/// `to_time(x[, format, …])`: text with formats, or a timestamp.
pub(super) const TO_TIME: Typing = custom(|args| {
    conversion_input(args, |t| matches!(t, DataType::Timestamp { .. }))?;
    Ok(Signature { args: types(args), result: DataType::Time })
});

fn to_timestamp(args: &[Arg<'_>], unit: TimeUnit) -> Rule {
    conversion_input(args, |t| t.is_numeric() || matches!(t, DataType::Timestamp { .. }))?;
    Ok(Signature { args: types(args), result: timestamp(unit, None) })
}

/// `to_timestamp(x[, format, …])` and `to_timestamp_nanos`: text with formats, or a number or a
/// timestamp.
pub(super) const TO_TIMESTAMP_NS: Typing = custom(|args| to_timestamp(args, TimeUnit::Nanosecond));
/// `to_timestamp_micros(x[, format, …])`.
pub(super) const TO_TIMESTAMP_US: Typing = custom(|args| to_timestamp(args, TimeUnit::Microsecond));
/// `to_timestamp_millis(x[, format, …])`.
pub(super) const TO_TIMESTAMP_MS: Typing = custom(|args| to_timestamp(args, TimeUnit::Millisecond));
/// `to_timestamp_seconds(x[, format, …])`.
pub(super) const TO_TIMESTAMP_S: Typing = custom(|args| to_timestamp(args, TimeUnit::Second));

/// `to_unixtime(x[, format, …])`: text with formats, or an integer, a float, a date or a
/// timestamp.
pub(super) const TO_UNIXTIME: Typing = custom(|args| {
    conversion_input(args, |t| {
        t.is_integer() || t.is_float() || matches!(t, DataType::Date | DataType::Timestamp { .. })
    })?;
    Ok(Signature { args: types(args), result: DataType::Int64 })
});

/// `to_local_time(ts)`: the wall-clock time of a zoned timestamp, without the zone.
pub(super) const TO_LOCAL_TIME: Typing = custom(|args| {
    use DataType as T;
    arity(args, 1, 1)?;
    let result = match args[0].dtype {
        T::Timestamp { unit, .. } => timestamp(*unit, None),
        T::Null => timestamp(TimeUnit::Nanosecond, None),
        _ => return Err(Refusal::Types(Some("it takes a timestamp"))),
    };
    Ok(Signature { args: types(args), result })
});

/// `round(x[, digits])`: integers and floats keep their type; a decimal is rounded to the
/// scale the digits give when they are a constant (DataFusion's `calculate_new_precision_scale`),
/// else keeps its scale with one more digit. The digits are typed `Int64` (DataFusion narrows
/// them to `Int32` when it runs): the IR's `round` always typed them so, and addresses of
/// existing expressions must not change.
pub(super) const ROUND: Typing = custom(|args| {
    use DataType as T;
    arity(args, 1, 2)?;
    let x = args[0].dtype;
    if !(x.is_numeric() || *x == T::Null) {
        return Err(Refusal::Types(None));
    }
    let mut converted = vec![x.clone()];
    let places: Option<i64> = match args.get(1) {
        None => Some(0),
        Some(d) => {
            if !(d.dtype.is_integer() || *d.dtype == T::Null) {
                return Err(Refusal::Types(Some("the number of digits is an integer")));
            }
            converted.push(T::Int64);
            match d.constant {
                Some(l) if l.is_null() => Some(0),
                Some(l) => Some(l.as_i128().and_then(|v| i64::try_from(v).ok()).ok_or(Refusal::Types(None))?),
                None => None,
            }
        }
    };
    let result = match x {
        T::Null => T::Float64,
        T::Decimal { precision, scale } => {
            let (p, s) = (i64::from(*precision), i64::from(*scale));
            let (p, s) = match places {
                Some(dp) => {
                    let new_scale = if s < 0 { s.min(dp).max(-p) } else { s.min(dp.max(0)) };
                    let new_precision = if s == 0 && dp < 0 && dp.unsigned_abs() <= p.unsigned_abs() {
                        (p + 1).min(i64::from(crate::types::MAX_DECIMAL_PRECISION))
                    } else {
                        p
                    };
                    (new_precision, new_scale)
                }
                None => ((p + 1).min(i64::from(crate::types::MAX_DECIMAL_PRECISION)), s),
            };
            T::Decimal {
                precision: u8::try_from(p).map_err(|_| Refusal::Types(None))?,
                scale: i8::try_from(s).map_err(|_| Refusal::Types(None))?,
            }
        }
        _ => x.clone(),
    };
    Ok(Signature { args: converted, result })
});

/// `log(x)` and `log(base, x)`.
pub(super) const LOG: Typing = custom(|args| {
    use DataType as T;
    arity(args, 1, 2)?;
    let value = |t: &T| match t {
        _ if t.is_float() || t.is_decimal() || *t == T::Null => Some(t.clone()),
        _ if t.is_integer() => Some(T::Float64),
        _ => None,
    };
    if args.len() == 1 {
        let t = value(args[0].dtype).ok_or(Refusal::Types(None))?;
        let result = if t == T::Float32 { T::Float32 } else { T::Float64 };
        return Ok(Signature { args: vec![t], result });
    }
    let base = match args[0].dtype {
        t if t.is_float() || *t == T::Null => t.clone(),
        t if t.is_numeric() => T::Float64,
        _ => return Err(Refusal::Types(None)),
    };
    let x = value(args[1].dtype).ok_or(Refusal::Types(None))?;
    let result = if x == T::Float32 { T::Float32 } else { T::Float64 };
    Ok(Signature { args: vec![base, x], result })
});

/// `atan2(y, x)`, `nanvl(x, y)`: both `Float32` stay so, anything else is `Float64`.
pub(super) const FLOAT_PAIR: Typing = custom(|args| {
    use DataType as T;
    arity(args, 2, 2)?;
    if !args.iter().all(|a| a.dtype.is_numeric() || *a.dtype == T::Null) {
        return Err(Refusal::Types(None));
    }
    let t = if args.iter().all(|a| *a.dtype == T::Float32) { T::Float32 } else { T::Float64 };
    Ok(Signature { args: same(args, &t), result: t })
});

/// `gcd(a, b)`, `lcm(a, b)` of integers.
pub(super) const GCD: Typing = custom(|args| {
    arity(args, 2, 2)?;
    if !args.iter().all(|a| a.dtype.is_integer() || *a.dtype == DataType::Null) {
        return Err(Refusal::Types(Some("it takes integers")));
    }
    Ok(Signature { args: same(args, &DataType::Int64), result: DataType::Int64 })
});

/// Whether Arrow casts `from` to `to` (`can_cast_types`), over the IR's types: DataFusion
/// converts the arguments of functions that pick one type for all (`coalesce`, `greatest`, …)
/// only where Arrow can cast them.
pub(crate) fn castable(from: &DataType, to: &DataType) -> bool {
    use DataType as T;
    let wide_int = |t: &T| matches!(t, T::Int32 | T::Int64);
    match (from, to) {
        _ if from == to => true,
        (T::Null, _) => true,
        (a, b) if (a.is_numeric() || *a == T::Boolean) && (b.is_numeric() || *b == T::Boolean) => true,
        (a, T::String) if *a != T::Null => true,
        (T::String, b) => {
            b.is_numeric()
                || matches!(b, T::Boolean | T::Binary | T::Date | T::Time | T::Timestamp { .. } | T::Interval)
        }
        (T::Binary, T::String) => true,
        (T::Date, T::Timestamp { .. }) | (T::Timestamp { .. }, T::Date | T::Time | T::Timestamp { .. }) => true,
        (a, T::Timestamp { .. }) if a.is_numeric() => true,
        (a, T::Binary) if a.is_integer() => true,
        (a, T::Date) => wide_int(a),
        (a, T::Time) => *a == T::Int64,
        (T::Date | T::Timestamp { .. } | T::Time, b) => wide_int(b),
        (T::Duration(_) | T::Interval, T::Duration(_) | T::Interval) => true,
        (T::Duration(_), b) | (b, T::Duration(_)) => *b == T::Int64,
        _ => false,
    }
}

fn all_castable(args: &[Arg<'_>], t: &DataType) -> Result<(), Refusal> {
    if args.iter().all(|a| castable(a.dtype, t)) { Ok(()) } else { Err(Refusal::Types(None)) }
}

/// `greatest`, `least`: DataFusion's comparison coercion, folded from the first argument.
pub(super) const GREATEST: Typing = custom(|args| {
    arity(args, 1, usize::MAX)?;
    let mut t = args[0].dtype.clone();
    for a in &args[1..] {
        t = comparison_type(&t, a.dtype).ok_or(Refusal::Types(None))?;
    }
    all_castable(args, &t)?;
    Ok(Signature { args: same(args, &t), result: t })
});

/// `nullif(a, b)`: compared as DataFusion compares; two untyped nulls as text.
pub(super) const NULLIF: Typing = custom(|args| {
    arity(args, 2, 2)?;
    let t = comparison_type(args[0].dtype, args[1].dtype).ok_or(Refusal::Types(None))?;
    let t = if t == DataType::Null { DataType::String } else { t };
    all_castable(args, &t)?;
    Ok(Signature { args: same(args, &t), result: t })
});

/// DataFusion's type category, for `type_union_resolution`.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Category {
    Numeric,
    Boolean,
    Unknown,
    DateTime,
    NotSupported,
}

fn category(t: &DataType) -> Category {
    use DataType as T;
    match t {
        _ if t.is_numeric() => Category::Numeric,
        T::Boolean => Category::Boolean,
        T::String | T::Null => Category::Unknown,
        T::Date | T::Time | T::Timestamp { .. } | T::Interval | T::Duration(_) => Category::DateTime,
        _ => Category::NotSupported,
    }
}

/// DataFusion's `type_union_resolution` (`COALESCE`): one category of types (text goes with
/// any), folded pairwise; all nulls are text.
pub(crate) fn union_resolution(types: &[&DataType]) -> Option<DataType> {
    let first = *types.first()?;
    if types.iter().all(|t| *t == first) {
        return Some(first.clone());
    }
    if types.iter().all(|t| **t == DataType::Null) {
        return Some(DataType::String);
    }
    let categories: Vec<Category> = types.iter().filter(|t| ***t != DataType::Null).map(|t| category(t)).collect();
    if categories.contains(&Category::NotSupported) {
        return None;
    }
    let mut known = categories.iter().filter(|c| **c != Category::Unknown);
    if let Some(c) = known.next()
        && known.any(|d| d != c)
    {
        return None;
    }
    let mut candidate: Option<DataType> = None;
    for t in types.iter().filter(|t| ***t != DataType::Null) {
        candidate = Some(match candidate {
            None => (*t).clone(),
            Some(c) => {
                let text_and_time = |a: &DataType, b: &DataType| *a == DataType::String && b.is_temporal();
                if **t != c && (text_and_time(t, &c) || text_and_time(&c, t)) {
                    return None;
                }
                comparison_type(t, &c)?
            }
        });
    }
    candidate
}

/// `coalesce(a, …)`.
pub(super) const COALESCE: Typing = custom(|args| {
    arity(args, 1, usize::MAX)?;
    let all: Vec<&DataType> = args.iter().map(|a| a.dtype).collect();
    let t = union_resolution(&all).ok_or(Refusal::Types(None))?;
    all_castable(args, &t)?;
    Ok(Signature { args: same(args, &t), result: t })
});

/// The types `nvl` accepts, in DataFusion's order of preference.
const NVL_TYPES: &[DataType] = &[
    DataType::Boolean,
    DataType::UInt8,
    DataType::UInt16,
    DataType::UInt32,
    DataType::UInt64,
    DataType::Int8,
    DataType::Int16,
    DataType::Int32,
    DataType::Int64,
    DataType::Float32,
    DataType::Float64,
    DataType::String,
];

/// `nvl(a, b)`: the first type of DataFusion's list both convert to (anything converts to text).
pub(super) const NVL: Typing = custom(|args| {
    arity(args, 2, 2)?;
    let exact = NVL_TYPES.iter().find(|t| args.iter().all(|a| a.dtype == *t));
    let t = match exact {
        Some(t) => t.clone(),
        None => NVL_TYPES
            .iter()
            .find(|t| args.iter().all(|a| coerced_from(t, a.dtype).is_some()))
            .cloned()
            .ok_or(Refusal::Types(None))?,
    };
    Ok(Signature { args: same(args, &t), result: t })
});

/// `nvl2(x, a, b)`: DataFusion's union coercion of all three, each converted where it casts.
pub(super) const NVL2: Typing = custom(|args| {
    arity(args, 3, 3)?;
    let mut t = args[0].dtype.clone();
    for a in &args[1..] {
        t = union_type(&t, a.dtype).ok_or(Refusal::Types(None))?;
    }
    all_castable(args, &t)?;
    Ok(Signature { args: same(args, &t), result: t })
});
