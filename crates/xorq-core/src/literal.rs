//! Typed constant values.

use std::fmt;
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use crate::error::{CoreError, Result};
use crate::types::{DataType, TimeUnit};

/// A constant value with its type.
///
/// ```
/// use xorq_core::{DataType, Literal};
/// assert_eq!(Literal::Int64(7).dtype(), DataType::Int64);
/// assert_eq!(Literal::date("2024-02-29").unwrap().to_string(), "DATE '2024-02-29'");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Literal {
    /// A null of the given type.
    Null(DataType),
    /// Boolean.
    Boolean(bool),
    /// 8-bit integer.
    Int8(i8),
    /// 16-bit integer.
    Int16(i16),
    /// 32-bit integer.
    Int32(i32),
    /// 64-bit integer.
    Int64(i64),
    /// Unsigned 8-bit integer.
    UInt8(u8),
    /// Unsigned 16-bit integer.
    UInt16(u16),
    /// Unsigned 32-bit integer.
    UInt32(u32),
    /// Unsigned 64-bit integer.
    UInt64(u64),
    /// Single precision float.
    Float32(f32),
    /// Double precision float.
    Float64(f64),
    /// Decimal: the unscaled integer value with its precision and scale.
    Decimal {
        /// Unscaled value (`12.34` at scale 2 is `1234`).
        value: i128,
        /// Precision.
        precision: u8,
        /// Scale.
        scale: i8,
    },
    /// UTF-8 text.
    String(Arc<str>),
    /// Bytes.
    Binary(Arc<[u8]>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Nanoseconds since midnight (DataFusion's time of day, `Time64(ns)`).
    Time(i64),
    /// Timestamp in `unit` since the epoch, with optional zone.
    Timestamp {
        /// Ticks since the epoch.
        value: i64,
        /// Resolution.
        unit: TimeUnit,
        /// Time zone.
        tz: Option<Arc<str>>,
    },
    /// Elapsed time.
    Duration {
        /// Ticks.
        value: i64,
        /// Resolution.
        unit: TimeUnit,
    },
    /// Calendar interval.
    Interval {
        /// Months.
        months: i32,
        /// Days.
        days: i32,
        /// Nanoseconds.
        nanos: i64,
    },
}

impl Literal {
    /// The literal's type.
    pub fn dtype(&self) -> DataType {
        match self {
            Literal::Null(t) => t.clone(),
            Literal::Boolean(_) => DataType::Boolean,
            Literal::Int8(_) => DataType::Int8,
            Literal::Int16(_) => DataType::Int16,
            Literal::Int32(_) => DataType::Int32,
            Literal::Int64(_) => DataType::Int64,
            Literal::UInt8(_) => DataType::UInt8,
            Literal::UInt16(_) => DataType::UInt16,
            Literal::UInt32(_) => DataType::UInt32,
            Literal::UInt64(_) => DataType::UInt64,
            Literal::Float32(_) => DataType::Float32,
            Literal::Float64(_) => DataType::Float64,
            Literal::Decimal { precision, scale, .. } => DataType::Decimal { precision: *precision, scale: *scale },
            Literal::String(_) => DataType::String,
            Literal::Binary(_) => DataType::Binary,
            Literal::Date(_) => DataType::Date,
            Literal::Time(_) => DataType::Time,
            Literal::Timestamp { unit, tz, .. } => DataType::Timestamp { unit: *unit, tz: tz.clone() },
            Literal::Duration { unit, .. } => DataType::Duration(*unit),
            Literal::Interval { .. } => DataType::Interval,
        }
    }

    /// Whether this is a null.
    pub fn is_null(&self) -> bool {
        matches!(self, Literal::Null(_))
    }

    /// A date literal from `YYYY-MM-DD`.
    pub fn date(text: &str) -> Result<Self> {
        let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| CoreError::InvalidArgument {
            context: "date literal".into(),
            message: format!("`{text}` is not a date of the form YYYY-MM-DD ({e})"),
        })?;
        Ok(Literal::Date(days_since_epoch(d)))
    }

    /// A time-of-day literal from `HH:MM:SS[.fffffffff]`, in nanoseconds.
    ///
    /// ```
    /// use xorq_core::Literal;
    /// assert_eq!(Literal::time("00:00:01.5").unwrap(), Literal::Time(1_500_000_000));
    /// ```
    pub fn time(text: &str) -> Result<Self> {
        let t = chrono::NaiveTime::parse_from_str(text, "%H:%M:%S%.f").map_err(|e| CoreError::InvalidArgument {
            context: "time literal".into(),
            message: format!("`{text}` is not a time of the form HH:MM:SS ({e})"),
        })?;
        use chrono::Timelike;
        Ok(Literal::Time(i64::from(t.num_seconds_from_midnight()) * 1_000_000_000 + i64::from(t.nanosecond())))
    }

    /// A zone-less microsecond timestamp literal from `YYYY-MM-DD HH:MM:SS[.ffffff]`.
    pub fn timestamp(text: &str) -> Result<Self> {
        let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
            .map_err(|e| CoreError::InvalidArgument {
                context: "timestamp literal".into(),
                message: format!("`{text}` is not a timestamp of the form YYYY-MM-DD HH:MM:SS ({e})"),
            })?;
        Ok(Literal::Timestamp { value: parsed.and_utc().timestamp_micros(), unit: TimeUnit::Microsecond, tz: None })
    }

    /// A zone-less timestamp in `unit` from `YYYY-MM-DD HH:MM:SS[.fffffffff]` (or with `T`), when
    /// the text is exact in that unit; `None` when it does not parse or has finer digits than the
    /// unit holds (then an engine's cast decides, as it would for the text).
    ///
    /// ```
    /// use xorq_core::{Literal, TimeUnit};
    /// let ns = Literal::timestamp_exact("2024-06-15 23:59:59.123456789", TimeUnit::Nanosecond).unwrap();
    /// assert_eq!(ns.to_string(), "TIMESTAMP '2024-06-15 23:59:59.123456789'");
    /// assert!(Literal::timestamp_exact("2024-06-15 23:59:59.123456789", TimeUnit::Microsecond).is_none());
    /// ```
    pub fn timestamp_exact(text: &str, unit: TimeUnit) -> Option<Self> {
        let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
            .ok()?;
        let nanos = parsed.and_utc().timestamp_nanos_opt()?;
        let per_nano = 1_000_000_000 / unit.per_second();
        (nanos % per_nano == 0).then_some(Literal::Timestamp { value: nanos / per_nano, unit, tz: None })
    }

    /// Text (a command-line `-p name=value`, a SQL parameter's declared default) read as a value
    /// of `dtype`, or `None` when it is not one. Strings are taken as they are; booleans accept
    /// `true/false/t/f/yes/no/1/0`; numbers must fit the type exactly.
    ///
    /// ```
    /// use xorq_core::{DataType, Literal};
    /// assert_eq!(Literal::parse_as(&DataType::Float64, "100"), Some(Literal::Float64(100.0)));
    /// assert_eq!(Literal::parse_as(&DataType::Int8, "300"), None);
    /// assert_eq!(Literal::parse_as(&DataType::Boolean, "yes"), Some(Literal::Boolean(true)));
    /// ```
    pub fn parse_as(dtype: &DataType, text: &str) -> Option<Literal> {
        let t = text.trim();
        match dtype {
            DataType::String => Some(Literal::String(text.into())),
            DataType::Boolean => match t.to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "1" => Some(Literal::Boolean(true)),
                "false" | "f" | "no" | "0" => Some(Literal::Boolean(false)),
                _ => None,
            },
            d if d.is_integer() => Literal::integer(t.parse::<i128>().ok()?, d),
            DataType::Float32 | DataType::Float64 | DataType::Decimal { .. } => {
                if let Ok(i) = t.parse::<i64>() {
                    return Literal::Int64(i).convert_exact(dtype);
                }
                Literal::Float64(t.parse::<f64>().ok()?).convert_exact(dtype)
            }
            DataType::Date => Literal::date(t).ok(),
            DataType::Timestamp { .. } => Literal::timestamp(t).ok()?.convert_exact(dtype),
            _ => None,
        }
    }

    /// The value as `i128` if it is an integer literal.
    pub fn as_i128(&self) -> Option<i128> {
        Some(match self {
            Literal::Int8(v) => i128::from(*v),
            Literal::Int16(v) => i128::from(*v),
            Literal::Int32(v) => i128::from(*v),
            Literal::Int64(v) => i128::from(*v),
            Literal::UInt8(v) => i128::from(*v),
            Literal::UInt16(v) => i128::from(*v),
            Literal::UInt32(v) => i128::from(*v),
            Literal::UInt64(v) => i128::from(*v),
            _ => return None,
        })
    }

    /// An integer literal of integer type `dtype`, if `v` fits.
    pub fn integer(v: i128, dtype: &DataType) -> Option<Self> {
        Some(match dtype {
            DataType::Int8 => Literal::Int8(v.try_into().ok()?),
            DataType::Int16 => Literal::Int16(v.try_into().ok()?),
            DataType::Int32 => Literal::Int32(v.try_into().ok()?),
            DataType::Int64 => Literal::Int64(v.try_into().ok()?),
            DataType::UInt8 => Literal::UInt8(v.try_into().ok()?),
            DataType::UInt16 => Literal::UInt16(v.try_into().ok()?),
            DataType::UInt32 => Literal::UInt32(v.try_into().ok()?),
            DataType::UInt64 => Literal::UInt64(v.try_into().ok()?),
            _ => return None,
        })
    }

    /// The value as `f64` if it is a float literal.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Literal::Float32(v) => Some(f64::from(*v)),
            Literal::Float64(v) => Some(*v),
            _ => None,
        }
    }

    /// This literal converted exactly to `target`, or `None` when the conversion would lose
    /// information (or is not a conversion between like kinds). Used to fold casts of constants
    /// and to give untyped constants the type of the column they meet.
    pub fn convert_exact(&self, target: &DataType) -> Option<Literal> {
        if &self.dtype() == target {
            return Some(self.clone());
        }
        if let Literal::Null(_) = self {
            return Some(Literal::Null(target.clone()));
        }
        if let Some(i) = self.as_i128() {
            return match target {
                t if t.is_integer() => Literal::integer(i, t),
                DataType::Float64 if i.unsigned_abs() <= 1 << 53 => Some(Literal::Float64(i as f64)),
                DataType::Float32 if i.unsigned_abs() <= 1 << 24 => Some(Literal::Float32(i as f32)),
                DataType::Decimal { precision, scale } if *scale >= 0 => {
                    let value = i.checked_mul(10i128.checked_pow(u32::try_from(*scale).ok()?)?)?;
                    fits_precision(value, *precision).then_some(Literal::Decimal {
                        value,
                        precision: *precision,
                        scale: *scale,
                    })
                }
                _ => None,
            };
        }
        if let Some(f) = self.as_f64() {
            return match target {
                DataType::Float64 => Some(Literal::Float64(f)),
                DataType::Float32 => {
                    let narrow = f as f32;
                    (f64::from(narrow) == f || f.is_nan()).then_some(Literal::Float32(narrow))
                }
                t if t.is_integer() => (f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0)
                    .then(|| Literal::integer(f as i128, t))
                    .flatten(),
                DataType::Decimal { precision, scale } => decimal_from_f64(f, *precision, *scale),
                _ => None,
            };
        }
        if let Literal::Decimal { value, scale, .. } = self {
            return match target {
                DataType::Decimal { precision: p2, scale: s2 } if s2 >= scale => {
                    let factor = 10i128.checked_pow(u32::try_from(s2 - scale).ok()?)?;
                    let v = value.checked_mul(factor)?;
                    fits_precision(v, *p2).then_some(Literal::Decimal { value: v, precision: *p2, scale: *s2 })
                }
                _ => None,
            };
        }
        match (self, target) {
            (Literal::Date(d), DataType::Timestamp { unit, tz: None }) => Some(Literal::Timestamp {
                value: i64::from(*d).checked_mul(86_400)?.checked_mul(unit.per_second())?,
                unit: *unit,
                tz: None,
            }),
            (Literal::Timestamp { value, unit, tz }, DataType::Timestamp { unit: u2, tz: tz2 })
                if tz == tz2 && u2 >= unit =>
            {
                let factor = u2.per_second() / unit.per_second();
                Some(Literal::Timestamp { value: value.checked_mul(factor)?, unit: *u2, tz: tz.clone() })
            }
            _ => None,
        }
    }
}

impl Literal {
    /// The value DataFusion's `CAST(self AS target)` produces (Arrow's cast kernels with
    /// DataFusion's default options), for the conversions whose result can be reproduced exactly
    /// here; `None` for the others, and wherever the cast would fail (an overflow, a text that
    /// is not a date): such a cast stays in the expression and the engine evaluates it.
    ///
    /// Casts of constants are folded with this, so a folded constant is always the value the
    /// engine would have computed: a float becomes a decimal as `round(value * 10^scale)` in
    /// floating point, exactly as Arrow does it, not by its decimal spelling.
    ///
    /// ```
    /// use xorq_core::{DataType, Literal};
    /// let d = DataType::Decimal { precision: 30, scale: 15 };
    /// let cast = Literal::Float64(0.06).cast_value(&d).unwrap();
    /// assert_eq!(cast, Literal::Decimal { value: 60_000_000_000_000, precision: 30, scale: 15 });
    /// // 123456.789 is not exact in binary: Arrow's product rounds away from the spelled value.
    /// let cast = Literal::Float64(123456.789).cast_value(&d).unwrap();
    /// assert_ne!(cast, Literal::Decimal { value: 123_456_789_000_000_000_000, precision: 30, scale: 15 });
    /// ```
    pub fn cast_value(&self, target: &DataType) -> Option<Literal> {
        use DataType as T;
        if &self.dtype() == target {
            return Some(self.clone());
        }
        if let Literal::Null(_) = self {
            return Some(Literal::Null(target.clone()));
        }
        if let Some(i) = self.as_i128() {
            return match target {
                t if t.is_integer() => Literal::integer(i, t),
                // Arrow converts with `as`: round to nearest, ties to even.
                T::Float64 => Some(Literal::Float64(i as f64)),
                T::Float32 => Some(Literal::Float32(i as f32)),
                T::Decimal { precision, scale } if *scale >= 0 => {
                    let value = i.checked_mul(10i128.checked_pow(u32::try_from(*scale).ok()?)?)?;
                    fits_precision(value, *precision).then_some(Literal::Decimal {
                        value,
                        precision: *precision,
                        scale: *scale,
                    })
                }
                _ => None,
            };
        }
        if let Some(f) = self.as_f64() {
            return match target {
                T::Float64 => Some(Literal::Float64(f)),
                // Out of `f32`'s range the cast fails rather than giving an infinity.
                T::Float32 if f.is_finite() && f.abs() > f64::from(f32::MAX) => None,
                T::Float32 => Some(Literal::Float32(f as f32)),
                // Arrow's float-to-integer cast truncates, and fails outside the target's range.
                t if t.is_integer() => {
                    let truncated = f.trunc();
                    if !truncated.is_finite() || truncated.abs() >= 1.7e38 {
                        return None;
                    }
                    Literal::integer(truncated as i128, t)
                }
                // Arrow: `round(10^scale * value)` in f64, then the precision is checked.
                T::Decimal { precision, scale } => {
                    let scaled = (10_f64.powi(i32::from(*scale)) * f).round();
                    if !scaled.is_finite() || scaled.abs() >= 1.7e38 {
                        return None;
                    }
                    let value = scaled as i128;
                    fits_precision(value, *precision).then_some(Literal::Decimal {
                        value,
                        precision: *precision,
                        scale: *scale,
                    })
                }
                _ => None,
            };
        }
        match (self, target) {
            // A wider scale multiplies exactly; a narrower one rounds, which is left to the engine.
            (Literal::Decimal { value, scale, .. }, T::Decimal { precision: p2, scale: s2 }) if s2 >= scale => {
                let factor = 10i128.checked_pow(u32::try_from(i16::from(*s2) - i16::from(*scale)).ok()?)?;
                let v = value.checked_mul(factor)?;
                fits_precision(v, *p2).then_some(Literal::Decimal { value: v, precision: *p2, scale: *s2 })
            }
            (Literal::String(s), T::Date) if is_iso_date(s) => Literal::date(s).ok(),
            (Literal::Date(d), T::Timestamp { unit, tz: None }) => Some(Literal::Timestamp {
                value: i64::from(*d).checked_mul(86_400)?.checked_mul(unit.per_second())?,
                unit: *unit,
                tz: None,
            }),
            (Literal::Timestamp { value, unit, tz }, T::Timestamp { unit: u2, tz: tz2 }) if tz == tz2 && u2 >= unit => {
                let factor = u2.per_second() / unit.per_second();
                Some(Literal::Timestamp { value: value.checked_mul(factor)?, unit: *u2, tz: tz.clone() })
            }
            _ => None,
        }
    }
}

/// `YYYY-MM-DD` exactly (four-digit year, two-digit month and day): the spelling every engine
/// reads as the same date.
fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() })
}

fn fits_precision(value: i128, precision: u8) -> bool {
    10i128.checked_pow(u32::from(precision)).is_some_and(|limit| value.unsigned_abs() < limit.unsigned_abs())
}

/// The exact decimal for a float, using its shortest round-trip spelling (`0.1` is `0.1`).
fn decimal_from_f64(f: f64, precision: u8, scale: i8) -> Option<Literal> {
    if !f.is_finite() || scale < 0 {
        return None;
    }
    let text = format!("{f}");
    let (int_part, frac_part) = text.split_once('.').unwrap_or((&text, ""));
    if frac_part.len() > usize::try_from(scale).ok()? || text.contains('e') {
        return None;
    }
    let padded = format!("{int_part}{frac_part:0<width$}", width = usize::try_from(scale).ok()?);
    let value: i128 = padded.parse().ok()?;
    fits_precision(value, precision).then_some(Literal::Decimal { value, precision, scale })
}

pub(crate) fn days_since_epoch(d: NaiveDate) -> i32 {
    // 1970-01-01 is a valid date, so this cannot fail.
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("the epoch is a valid date");
    i32::try_from((d - epoch).num_days()).unwrap_or(i32::MAX)
}

fn date_from_days(days: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(i64::from(days)))
}

/// SQL-like spelling, used in error messages and manifests.
impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null(t) => write!(f, "NULL::{t}"),
            Literal::Boolean(b) => write!(f, "{}", if *b { "TRUE" } else { "FALSE" }),
            Literal::Int8(v) => write!(f, "{v}"),
            Literal::Int16(v) => write!(f, "{v}"),
            Literal::Int32(v) => write!(f, "{v}"),
            Literal::Int64(v) => write!(f, "{v}"),
            Literal::UInt8(v) => write!(f, "{v}"),
            Literal::UInt16(v) => write!(f, "{v}"),
            Literal::UInt32(v) => write!(f, "{v}"),
            Literal::UInt64(v) => write!(f, "{v}"),
            Literal::Float32(v) => write!(f, "{v:?}"),
            Literal::Float64(v) => write!(f, "{v:?}"),
            Literal::Decimal { value, scale, .. } => {
                if *scale <= 0 {
                    // A negative scale multiplies: 5 at scale -2 is 500.
                    return write!(f, "{value}{}", "0".repeat(usize::from(scale.unsigned_abs())));
                }
                let digits = value.unsigned_abs().to_string();
                let scale = usize::try_from(*scale).unwrap_or(0);
                let padded = format!("{digits:0>width$}", width = scale + 1);
                let (int, frac) = padded.split_at(padded.len() - scale);
                write!(f, "{}{int}.{frac}", if *value < 0 { "-" } else { "" })
            }
            Literal::String(s) => write!(f, "'{}'", s.replace('\'', "''")),
            Literal::Binary(b) => {
                f.write_str("X'")?;
                for byte in b.iter() {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("'")
            }
            Literal::Date(d) => match date_from_days(*d) {
                Some(date) => write!(f, "DATE '{date}'"),
                None => write!(f, "DATE {d}"),
            },
            Literal::Time(ns) => match chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                u32::try_from(ns.div_euclid(1_000_000_000)).unwrap_or(u32::MAX),
                u32::try_from(ns.rem_euclid(1_000_000_000)).unwrap_or(0),
            ) {
                Some(t) => write!(f, "TIME '{t}'"),
                None => write!(f, "TIME {ns}ns"),
            },
            Literal::Timestamp { value, unit, tz } => {
                let per = unit.per_second();
                let nanos = u32::try_from(value.rem_euclid(per) * (1_000_000_000 / per)).unwrap_or(0);
                match chrono::DateTime::from_timestamp(value.div_euclid(per), nanos) {
                    Some(t) => write!(f, "TIMESTAMP '{}'", t.naive_utc())?,
                    None => write!(f, "TIMESTAMP {value}{}", unit.as_str())?,
                }
                match tz {
                    Some(tz) => write!(f, " AT TIME ZONE '{tz}'"),
                    None => Ok(()),
                }
            }
            Literal::Duration { value, unit } => write!(f, "DURATION {value}{}", unit.as_str()),
            Literal::Interval { months, days, nanos } => {
                write!(f, "INTERVAL {months} months {days} days {nanos} ns")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_conversions() {
        assert_eq!(Literal::Int64(100).convert_exact(&DataType::Float64), Some(Literal::Float64(100.0)));
        assert_eq!(Literal::Float64(100.0).convert_exact(&DataType::Int64), Some(Literal::Int64(100)));
        assert_eq!(Literal::Float64(100.5).convert_exact(&DataType::Int64), None);
        assert_eq!(Literal::Int64(300).convert_exact(&DataType::Int8), None);
        assert_eq!(Literal::Float64(0.1).convert_exact(&DataType::Float32), None);
        assert_eq!(
            Literal::Float64(0.05).convert_exact(&DataType::Decimal { precision: 15, scale: 2 }),
            Some(Literal::Decimal { value: 5, precision: 15, scale: 2 })
        );
        assert_eq!(
            Literal::Int64(1).convert_exact(&DataType::Decimal { precision: 15, scale: 2 }),
            Some(Literal::Decimal { value: 100, precision: 15, scale: 2 })
        );
    }

    #[test]
    fn display() {
        assert_eq!(Literal::Decimal { value: -5, precision: 15, scale: 2 }.to_string(), "-0.05");
        assert_eq!(Literal::Decimal { value: 5, precision: 15, scale: -2 }.to_string(), "500");
        assert_eq!(Literal::String("it's".into()).to_string(), "'it''s'");
        assert_eq!(Literal::Float64(100.0).to_string(), "100.0");
        assert_eq!(
            Literal::timestamp("2024-02-29 13:05:00.25").unwrap().to_string(),
            "TIMESTAMP '2024-02-29 13:05:00.250'"
        );
    }
}
