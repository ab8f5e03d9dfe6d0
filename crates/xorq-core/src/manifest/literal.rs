//! Literal values in the manifest: each written as the YAML scalar that reads most naturally for
//! its type, and read back exactly from its text and declared type.
//!
//! | type | written as |
//! |---|---|
//! | integers, `Boolean` | a YAML integer or boolean |
//! | `Float32`, `Float64` | the shortest decimal that reads back to the same bits (`.nan`, `.inf`) |
//! | `Decimal(p, s)` | text with exactly `s` fraction digits (`'12.30'`); `'5e2'` for a negative scale |
//! | `String` | the text |
//! | `Binary` | lower-case hex |
//! | `Date` | `YYYY-MM-DD` (days since the epoch outside years 1–9999) |
//! | `Time` | `HH:MM:SS[.ffffff]` |
//! | `Timestamp(unit[, tz])` | the UTC date-time, `YYYY-MM-DD HH:MM:SS[.fff…]`, or ticks outside years 1–9999 |
//! | `Duration(unit)` | ticks |
//! | `Interval` | `M months D days N ns` |
//! | a null of any type | `null` |

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::literal::Literal;
use crate::types::{DataType, TimeUnit};

use super::model::Scalar;

/// The scalar a literal is written as (its type is written next to it).
pub(crate) fn to_scalar(l: &Literal) -> Scalar {
    match l {
        Literal::Null(_) => Scalar::Null,
        Literal::Boolean(b) => Scalar::Bool(*b),
        Literal::Int8(v) => Scalar::Int(i64::from(*v)),
        Literal::Int16(v) => Scalar::Int(i64::from(*v)),
        Literal::Int32(v) => Scalar::Int(i64::from(*v)),
        Literal::Int64(v) => Scalar::Int(*v),
        Literal::UInt8(v) => Scalar::UInt(u64::from(*v)),
        Literal::UInt16(v) => Scalar::UInt(u64::from(*v)),
        Literal::UInt32(v) => Scalar::UInt(u64::from(*v)),
        Literal::UInt64(v) => Scalar::UInt(*v),
        Literal::Float32(v) => Scalar::Float32(*v),
        Literal::Float64(v) => Scalar::Float64(*v),
        Literal::Decimal { value, scale, .. } => Scalar::Text(decimal_text(*value, *scale)),
        Literal::String(s) => Scalar::Text(s.to_string()),
        Literal::Binary(b) => Scalar::Text(b.iter().map(|byte| format!("{byte:02x}")).collect()),
        Literal::Date(d) => Scalar::Text(date_text(*d)),
        Literal::Time(ns) => Scalar::Text(time_text(*ns)),
        Literal::Timestamp { value, unit, .. } => Scalar::Text(timestamp_text(*value, *unit)),
        Literal::Duration { value, .. } => Scalar::Int(*value),
        Literal::Interval { months, days, nanos } => Scalar::Text(format!("{months} months {days} days {nanos} ns")),
    }
}

fn decimal_text(value: i128, scale: i8) -> String {
    match scale {
        0 => value.to_string(),
        s if s < 0 => format!("{value}e{}", -i16::from(s)),
        s => {
            let scale = usize::try_from(s).unwrap_or(0);
            let digits = format!("{:0>width$}", value.unsigned_abs(), width = scale + 1);
            let (int, frac) = digits.split_at(digits.len() - scale);
            format!("{}{int}.{frac}", if value < 0 { "-" } else { "" })
        }
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn plain_year(year: i32) -> bool {
    (1..=9999).contains(&year)
}

fn date_text(days: i32) -> String {
    match epoch().checked_add_signed(chrono::Duration::days(i64::from(days))) {
        Some(d) if plain_year(chrono::Datelike::year(&d)) => d.format("%Y-%m-%d").to_string(),
        _ => days.to_string(),
    }
}

fn time_text(ns: i64) -> String {
    let secs = u32::try_from(ns.div_euclid(1_000_000_000)).ok();
    let nanos = u32::try_from(ns.rem_euclid(1_000_000_000)).ok();
    match (secs, nanos) {
        (Some(s), Some(n)) if ns >= 0 => match NaiveTime::from_num_seconds_from_midnight_opt(s, n) {
            Some(t) => t.format("%H:%M:%S%.f").to_string(),
            None => ns.to_string(),
        },
        _ => ns.to_string(),
    }
}

fn timestamp_text(value: i64, unit: TimeUnit) -> String {
    let per = unit.per_second();
    let nanos = u32::try_from(value.rem_euclid(per) * (1_000_000_000 / per)).unwrap_or(0);
    match DateTime::from_timestamp(value.div_euclid(per), nanos) {
        Some(t) if plain_year(chrono::Datelike::year(&t.naive_utc())) => {
            t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string()
        }
        _ => value.to_string(),
    }
}

/// The literal of type `dtype` that `scalar` spells, or a message saying why it does not.
pub(crate) fn from_scalar(scalar: &Scalar, dtype: &DataType) -> Result<Literal, String> {
    let text = match scalar {
        Scalar::Null => return Ok(Literal::Null(dtype.clone())),
        Scalar::Text(t) => t.trim(),
        // The writer's forms; a reader only ever sees text.
        other => return from_scalar(&Scalar::Text(written_text(other)), dtype),
    };
    let bad = |what: &str| format!("`{text}` is not {what} (for type `{dtype}`)");
    let int = |what: &str| text.parse::<i128>().map_err(|_| bad(what));
    let fits = |v: i128| Literal::integer(v, dtype).ok_or_else(|| format!("{v} does not fit type `{dtype}`"));
    Ok(match dtype {
        DataType::Null => return Err(format!("a literal of type `Null` must be `null`, not `{text}`")),
        DataType::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" => Literal::Boolean(true),
            "false" => Literal::Boolean(false),
            _ => return Err(bad("`true` or `false`")),
        },
        t if t.is_integer() => fits(int("an integer")?)?,
        DataType::Float32 => Literal::Float32(
            special_float(text).map(|f| f as f32).or_else(|| text.parse().ok()).ok_or_else(|| bad("a number"))?,
        ),
        DataType::Float64 => Literal::Float64(float(text).ok_or_else(|| bad("a number"))?),
        DataType::Decimal { precision, scale } => {
            let value = parse_decimal(text, *scale).ok_or_else(|| bad("a decimal with at most that many digits"))?;
            let limit = 10i128.checked_pow(u32::from(*precision)).unwrap_or(i128::MAX);
            if value.unsigned_abs() >= limit.unsigned_abs() {
                return Err(format!("`{text}` has more than {precision} digits (for type `{dtype}`)"));
            }
            Literal::Decimal { value, precision: *precision, scale: *scale }
        }
        DataType::String => Literal::String(Arc::from(text_untrimmed(scalar))),
        DataType::Binary => Literal::Binary(parse_hex(text).ok_or_else(|| bad("hex bytes"))?.into()),
        DataType::Date => Literal::Date(match text.parse::<i32>() {
            Ok(days) => days,
            Err(_) => {
                let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| bad("a date YYYY-MM-DD"))?;
                i32::try_from((d - epoch()).num_days()).map_err(|_| bad("a representable date"))?
            }
        }),
        DataType::Time => Literal::Time(match text.parse::<i64>() {
            Ok(ns) => ns,
            Err(_) => {
                let t = NaiveTime::parse_from_str(text, "%H:%M:%S%.f").map_err(|_| bad("a time HH:MM:SS"))?;
                i64::from(t.num_seconds_from_midnight()) * 1_000_000_000 + i64::from(t.nanosecond())
            }
        }),
        DataType::Timestamp { unit, tz } => Literal::Timestamp {
            value: match text.parse::<i64>() {
                Ok(ticks) => ticks,
                Err(_) => parse_timestamp(text, *unit).ok_or_else(|| bad("a date-time YYYY-MM-DD HH:MM:SS[.fff]"))?,
            },
            unit: *unit,
            tz: tz.clone(),
        },
        DataType::Duration(unit) => Literal::Duration {
            value: i64::try_from(int("a whole number of ticks")?).map_err(|_| bad("a representable duration"))?,
            unit: *unit,
        },
        DataType::Interval => parse_interval(text).ok_or_else(|| bad("an interval `M months D days N ns`"))?,
        other => return Err(format!("literals of type `{other}` are not supported in manifests")),
    })
}

/// Strings keep their surrounding whitespace; every other type is read trimmed.
fn text_untrimmed(scalar: &Scalar) -> &str {
    match scalar {
        Scalar::Text(t) => t,
        _ => "",
    }
}

fn written_text(s: &Scalar) -> String {
    match s {
        Scalar::Null => String::new(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::UInt(u) => u.to_string(),
        Scalar::Float32(f) => f.to_string(),
        Scalar::Float64(f) => format!("{f:?}"),
        Scalar::Text(t) => t.clone(),
    }
}

/// YAML's special floats (`.nan`, `.inf`, `-.inf`), else `None` so the caller parses the text
/// for its own width.
fn special_float(text: &str) -> Option<f64> {
    match text.to_ascii_lowercase().as_str() {
        ".nan" => Some(f64::NAN),
        ".inf" | "+.inf" => Some(f64::INFINITY),
        "-.inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

fn float(text: &str) -> Option<f64> {
    special_float(text).or_else(|| text.parse::<f64>().ok())
}

fn parse_decimal(text: &str, scale: i8) -> Option<i128> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unscaled: i128 = if let Some((mantissa, exponent)) = body.split_once(['e', 'E']) {
        // Negative scales: `5e2` at scale -2 is the unscaled value 5.
        if !digits_only(mantissa) || exponent.parse::<i16>().ok()? != -i16::from(scale) {
            return None;
        }
        mantissa.parse().ok()?
    } else {
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let scale = usize::try_from(scale).ok()?;
        if !digits_only(int) || (!frac.is_empty() && !digits_only(frac)) || frac.len() > scale {
            return None;
        }
        format!("{int}{frac:0<scale$}").parse().ok()?
    };
    Some(if negative { -unscaled } else { unscaled })
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok()).collect()
}

fn parse_timestamp(text: &str, unit: TimeUnit) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?
        .and_utc();
    let per = unit.per_second();
    let nanos_per_tick = 1_000_000_000 / per;
    let nanos = i64::from(t.timestamp_subsec_nanos());
    if nanos % nanos_per_tick != 0 {
        return None;
    }
    t.timestamp().checked_mul(per)?.checked_add(nanos / nanos_per_tick)
}

fn parse_interval(text: &str) -> Option<Literal> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    match parts.as_slice() {
        [m, "months", d, "days", n, "ns"] => {
            Some(Literal::Interval { months: m.parse().ok()?, days: d.parse().ok()?, nanos: n.parse().ok()? })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(l: Literal) {
        let text = match to_scalar(&l) {
            Scalar::Null => Scalar::Null,
            other => Scalar::Text(written_text(&other)),
        };
        assert_eq!(from_scalar(&text, &l.dtype()), Ok(l.clone()), "{text:?}");
    }

    #[test]
    fn every_kind_round_trips() {
        let ts = |value, unit, tz: Option<&str>| Literal::Timestamp { value, unit, tz: tz.map(Arc::from) };
        for l in [
            Literal::Null(DataType::Int64),
            Literal::Boolean(true),
            Literal::Int8(-128),
            Literal::UInt64(u64::MAX),
            Literal::Float32(0.1),
            Literal::Float64(-0.0),
            Literal::Float64(f64::INFINITY),
            Literal::Float64(1e300),
            Literal::Decimal { value: -5, precision: 15, scale: 2 },
            Literal::Decimal { value: 5, precision: 3, scale: -2 },
            Literal::Decimal { value: 12, precision: 5, scale: 0 },
            Literal::String(" padded ".into()),
            Literal::Binary(vec![0, 255, 16].into()),
            Literal::Date(19_783),
            Literal::Date(i32::MAX),
            Literal::Time(45_900_250_000_123),
            Literal::Time(-1),
            ts(1_709_211_900_250_000, TimeUnit::Microsecond, None),
            ts(1_709_211_900_123_456_789, TimeUnit::Nanosecond, Some("Europe/Paris")),
            ts(-1, TimeUnit::Second, None),
            ts(i64::MAX, TimeUnit::Second, None),
            Literal::Duration { value: -5, unit: TimeUnit::Millisecond },
            Literal::Interval { months: 1, days: -2, nanos: 3 },
        ] {
            round_trip(l);
        }
        let nan = from_scalar(&Scalar::Text(".nan".into()), &DataType::Float64);
        assert!(matches!(nan, Ok(Literal::Float64(f)) if f.is_nan()));
    }

    #[test]
    fn bad_text_is_explained() {
        let err = from_scalar(&Scalar::Text("300".into()), &DataType::Int8).unwrap_err();
        assert!(err.contains("does not fit"), "{err}");
        let err = from_scalar(&Scalar::Text("1.234".into()), &DataType::Decimal { precision: 5, scale: 2 });
        assert!(err.is_err());
    }
}
