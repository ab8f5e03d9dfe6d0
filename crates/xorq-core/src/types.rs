//! Logical data types of the IR.
//!
//! The IR has its own small type enum instead of Arrow's: hashes and manifests must not change when
//! an engine picks another physical layout (`Utf8` vs `Utf8View`, `Time32` vs `Time64`), so every
//! physical Arrow type maps to one logical type here, with one canonical spelling.

use std::fmt;
use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, IntervalUnit, TimeUnit as ArrowTimeUnit};

use crate::error::{CoreError, Result};

/// Resolution of timestamps and durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimeUnit {
    /// Whole seconds.
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// Nanoseconds.
    Nanosecond,
}

impl TimeUnit {
    /// Short canonical name (`s`, `ms`, `us`, `ns`).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }

    /// Units per second.
    pub fn per_second(self) -> i64 {
        match self {
            TimeUnit::Second => 1,
            TimeUnit::Millisecond => 1_000,
            TimeUnit::Microsecond => 1_000_000,
            TimeUnit::Nanosecond => 1_000_000_000,
        }
    }

    /// The unit of an Arrow unit.
    pub fn from_arrow(u: ArrowTimeUnit) -> Self {
        match u {
            ArrowTimeUnit::Second => TimeUnit::Second,
            ArrowTimeUnit::Millisecond => TimeUnit::Millisecond,
            ArrowTimeUnit::Microsecond => TimeUnit::Microsecond,
            ArrowTimeUnit::Nanosecond => TimeUnit::Nanosecond,
        }
    }

    /// The Arrow unit.
    pub fn to_arrow(self) -> ArrowTimeUnit {
        match self {
            TimeUnit::Second => ArrowTimeUnit::Second,
            TimeUnit::Millisecond => ArrowTimeUnit::Millisecond,
            TimeUnit::Microsecond => ArrowTimeUnit::Microsecond,
            TimeUnit::Nanosecond => ArrowTimeUnit::Nanosecond,
        }
    }
}

/// A logical column type.
///
/// ```
/// use xorq_core::DataType;
/// assert_eq!(DataType::Decimal { precision: 15, scale: 2 }.to_string(), "Decimal(15, 2)");
/// assert!(DataType::Int32.is_integer());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DataType {
    /// The type of an untyped `NULL`.
    Null,
    /// `true` / `false`.
    Boolean,
    /// Signed 8-bit integer.
    Int8,
    /// Signed 16-bit integer.
    Int16,
    /// Signed 32-bit integer.
    Int32,
    /// Signed 64-bit integer.
    Int64,
    /// Unsigned 8-bit integer.
    UInt8,
    /// Unsigned 16-bit integer.
    UInt16,
    /// Unsigned 32-bit integer.
    UInt32,
    /// Unsigned 64-bit integer.
    UInt64,
    /// IEEE 754 single precision.
    Float32,
    /// IEEE 754 double precision.
    Float64,
    /// Exact decimal with `precision` digits, `scale` of them after the point (at most 38 digits).
    Decimal {
        /// Total number of digits.
        precision: u8,
        /// Digits after the decimal point.
        scale: i8,
    },
    /// UTF-8 text.
    String,
    /// Raw bytes.
    Binary,
    /// Calendar date (days since the Unix epoch).
    Date,
    /// Time of day, nanoseconds since midnight (as DataFusion's `Time64(ns)`).
    Time,
    /// Instant or local date-time, with an optional time zone.
    Timestamp {
        /// Resolution.
        unit: TimeUnit,
        /// IANA time zone or offset; `None` for a zone-less (local) timestamp.
        tz: Option<Arc<str>>,
    },
    /// Elapsed time.
    Duration(TimeUnit),
    /// Calendar interval: months, days and nanoseconds.
    Interval,
}

/// Largest decimal precision the IR supports (Arrow's `Decimal128`).
pub const MAX_DECIMAL_PRECISION: u8 = 38;

impl DataType {
    /// Whether this is one of the integer types.
    pub fn is_integer(&self) -> bool {
        self.is_signed_integer() || self.is_unsigned_integer()
    }

    /// Whether this is a signed integer type.
    pub fn is_signed_integer(&self) -> bool {
        matches!(self, DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64)
    }

    /// Whether this is an unsigned integer type.
    pub fn is_unsigned_integer(&self) -> bool {
        matches!(self, DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64)
    }

    /// Whether this is `Float32` or `Float64`.
    pub fn is_float(&self) -> bool {
        matches!(self, DataType::Float32 | DataType::Float64)
    }

    /// Whether this is a decimal type.
    pub fn is_decimal(&self) -> bool {
        matches!(self, DataType::Decimal { .. })
    }

    /// Integers, floats and decimals.
    pub fn is_numeric(&self) -> bool {
        self.is_integer() || self.is_float() || self.is_decimal()
    }

    /// Dates, times and timestamps.
    pub fn is_temporal(&self) -> bool {
        matches!(self, DataType::Date | DataType::Time | DataType::Timestamp { .. })
    }

    /// Number of decimal digits needed for any value of an integer type.
    pub(crate) fn integer_digits(&self) -> Option<u8> {
        Some(match self {
            DataType::Int8 | DataType::UInt8 => 3,
            DataType::Int16 | DataType::UInt16 => 5,
            DataType::Int32 | DataType::UInt32 => 10,
            DataType::Int64 => 19,
            DataType::UInt64 => 20,
            _ => return None,
        })
    }

    /// Bit width of an integer type.
    pub(crate) fn integer_bits(&self) -> Option<u8> {
        Some(match self {
            DataType::Int8 | DataType::UInt8 => 8,
            DataType::Int16 | DataType::UInt16 => 16,
            DataType::Int32 | DataType::UInt32 => 32,
            DataType::Int64 | DataType::UInt64 => 64,
            _ => return None,
        })
    }

    /// The Arrow type this logical type is materialised as.
    pub fn to_arrow(&self) -> ArrowType {
        match self {
            DataType::Null => ArrowType::Null,
            DataType::Boolean => ArrowType::Boolean,
            DataType::Int8 => ArrowType::Int8,
            DataType::Int16 => ArrowType::Int16,
            DataType::Int32 => ArrowType::Int32,
            DataType::Int64 => ArrowType::Int64,
            DataType::UInt8 => ArrowType::UInt8,
            DataType::UInt16 => ArrowType::UInt16,
            DataType::UInt32 => ArrowType::UInt32,
            DataType::UInt64 => ArrowType::UInt64,
            DataType::Float32 => ArrowType::Float32,
            DataType::Float64 => ArrowType::Float64,
            DataType::Decimal { precision, scale } => ArrowType::Decimal128(*precision, *scale),
            DataType::String => ArrowType::Utf8,
            DataType::Binary => ArrowType::Binary,
            DataType::Date => ArrowType::Date32,
            DataType::Time => ArrowType::Time64(ArrowTimeUnit::Nanosecond),
            DataType::Timestamp { unit, tz } => ArrowType::Timestamp(unit.to_arrow(), tz.clone()),
            DataType::Duration(unit) => ArrowType::Duration(unit.to_arrow()),
            DataType::Interval => ArrowType::Interval(IntervalUnit::MonthDayNano),
        }
    }

    /// The logical type of an Arrow type, or an error naming the column for nested and other types
    /// the IR does not model yet.
    pub fn from_arrow(column: &str, t: &ArrowType) -> Result<Self> {
        Ok(match t {
            ArrowType::Null => DataType::Null,
            ArrowType::Boolean => DataType::Boolean,
            ArrowType::Int8 => DataType::Int8,
            ArrowType::Int16 => DataType::Int16,
            ArrowType::Int32 => DataType::Int32,
            ArrowType::Int64 => DataType::Int64,
            ArrowType::UInt8 => DataType::UInt8,
            ArrowType::UInt16 => DataType::UInt16,
            ArrowType::UInt32 => DataType::UInt32,
            ArrowType::UInt64 => DataType::UInt64,
            ArrowType::Float16 | ArrowType::Float32 => DataType::Float32,
            ArrowType::Float64 => DataType::Float64,
            ArrowType::Decimal32(p, s) | ArrowType::Decimal64(p, s) | ArrowType::Decimal128(p, s) => {
                DataType::Decimal { precision: *p, scale: *s }
            }
            ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => DataType::String,
            ArrowType::Binary | ArrowType::LargeBinary | ArrowType::BinaryView | ArrowType::FixedSizeBinary(_) => {
                DataType::Binary
            }
            ArrowType::Date32 | ArrowType::Date64 => DataType::Date,
            ArrowType::Time32(_) | ArrowType::Time64(_) => DataType::Time,
            ArrowType::Timestamp(u, tz) => DataType::Timestamp { unit: TimeUnit::from_arrow(*u), tz: tz.clone() },
            ArrowType::Duration(u) => DataType::Duration(TimeUnit::from_arrow(*u)),
            ArrowType::Interval(_) => DataType::Interval,
            ArrowType::Dictionary(_, value) => DataType::from_arrow(column, value)?,
            other => {
                return Err(CoreError::UnsupportedType { column: column.to_string(), arrow_type: other.to_string() });
            }
        })
    }

    /// Parses the canonical spelling produced by `Display` (`Int64`, `Decimal(15, 2)`,
    /// `Timestamp(us, UTC)`), as written in manifests.
    ///
    /// ```
    /// use xorq_core::DataType;
    /// let t: DataType = "Timestamp(us, UTC)".parse().unwrap();
    /// assert_eq!(t.to_string(), "Timestamp(us, UTC)");
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        let bad = || CoreError::InvalidTypeName { name: text.to_string() };
        let (head, args) = match text.find('(') {
            Some(i) if text.ends_with(')') => {
                let inner = &text[i + 1..text.len() - 1];
                (&text[..i], inner.split(',').map(str::trim).collect::<Vec<_>>())
            }
            Some(_) => return Err(bad()),
            None => (text, Vec::new()),
        };
        let unit = |s: &str| -> Result<TimeUnit> {
            Ok(match s {
                "s" => TimeUnit::Second,
                "ms" => TimeUnit::Millisecond,
                "us" => TimeUnit::Microsecond,
                "ns" => TimeUnit::Nanosecond,
                _ => return Err(bad()),
            })
        };
        let simple = match head {
            "Null" => Some(DataType::Null),
            "Boolean" => Some(DataType::Boolean),
            "Int8" => Some(DataType::Int8),
            "Int16" => Some(DataType::Int16),
            "Int32" => Some(DataType::Int32),
            "Int64" => Some(DataType::Int64),
            "UInt8" => Some(DataType::UInt8),
            "UInt16" => Some(DataType::UInt16),
            "UInt32" => Some(DataType::UInt32),
            "UInt64" => Some(DataType::UInt64),
            "Float32" => Some(DataType::Float32),
            "Float64" => Some(DataType::Float64),
            "String" => Some(DataType::String),
            "Binary" => Some(DataType::Binary),
            "Date" => Some(DataType::Date),
            "Time" => Some(DataType::Time),
            "Interval" => Some(DataType::Interval),
            _ => None,
        };
        if let Some(t) = simple {
            return if args.is_empty() { Ok(t) } else { Err(bad()) };
        }
        match (head, args.as_slice()) {
            ("Decimal", [p, s]) => {
                let precision: u8 = p.parse().map_err(|_| bad())?;
                let scale: i8 = s.parse().map_err(|_| bad())?;
                DataType::decimal(precision, scale)
            }
            ("Timestamp", [u]) => Ok(DataType::Timestamp { unit: unit(u)?, tz: None }),
            ("Timestamp", [u, tz]) if !tz.is_empty() => {
                Ok(DataType::Timestamp { unit: unit(u)?, tz: Some(Arc::from(*tz)) })
            }
            ("Duration", [u]) => Ok(DataType::Duration(unit(u)?)),
            _ => Err(bad()),
        }
    }

    /// A checked decimal type: `1 <= precision <= 38` and `scale <= precision`.
    pub fn decimal(precision: u8, scale: i8) -> Result<Self> {
        if precision == 0 || precision > MAX_DECIMAL_PRECISION || i16::from(scale) > i16::from(precision) {
            return Err(CoreError::InvalidTypeName { name: format!("Decimal({precision}, {scale})") });
        }
        Ok(DataType::Decimal { precision, scale })
    }
}

impl std::str::FromStr for DataType {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self> {
        DataType::parse(s)
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Decimal { precision, scale } => write!(f, "Decimal({precision}, {scale})"),
            DataType::Timestamp { unit, tz: None } => write!(f, "Timestamp({})", unit.as_str()),
            DataType::Timestamp { unit, tz: Some(tz) } => {
                write!(f, "Timestamp({}, {tz})", unit.as_str())
            }
            DataType::Duration(unit) => write!(f, "Duration({})", unit.as_str()),
            other => f.write_str(match other {
                DataType::Null => "Null",
                DataType::Boolean => "Boolean",
                DataType::Int8 => "Int8",
                DataType::Int16 => "Int16",
                DataType::Int32 => "Int32",
                DataType::Int64 => "Int64",
                DataType::UInt8 => "UInt8",
                DataType::UInt16 => "UInt16",
                DataType::UInt32 => "UInt32",
                DataType::UInt64 => "UInt64",
                DataType::Float32 => "Float32",
                DataType::Float64 => "Float64",
                DataType::String => "String",
                DataType::Binary => "Binary",
                DataType::Date => "Date",
                DataType::Time => "Time",
                DataType::Interval => "Interval",
                // Covered by the arms above.
                DataType::Decimal { .. } | DataType::Timestamp { .. } | DataType::Duration(_) => {
                    unreachable!("handled above")
                }
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parse_round_trip() {
        let all = [
            DataType::Null,
            DataType::Boolean,
            DataType::Int8,
            DataType::UInt64,
            DataType::Float32,
            DataType::Decimal { precision: 38, scale: 10 },
            DataType::String,
            DataType::Binary,
            DataType::Date,
            DataType::Time,
            DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None },
            DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("Europe/Paris".into()) },
            DataType::Duration(TimeUnit::Millisecond),
            DataType::Interval,
        ];
        for t in all {
            assert_eq!(DataType::parse(&t.to_string()).unwrap(), t);
        }
        assert!(DataType::parse("Decimal(40, 2)").is_err());
        assert!(DataType::parse("Text").is_err());
    }

    #[test]
    fn physical_string_types_are_one_logical_type() {
        for t in [ArrowType::Utf8, ArrowType::LargeUtf8, ArrowType::Utf8View] {
            assert_eq!(DataType::from_arrow("c", &t).unwrap(), DataType::String);
        }
    }
}
