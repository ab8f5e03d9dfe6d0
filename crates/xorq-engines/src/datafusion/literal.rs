//! IR literals as DataFusion scalar values.

use arrow::datatypes::IntervalMonthDayNano;
use datafusion::common::ScalarValue;
use xorq_core::{Literal, TimeUnit};

use crate::error::{EngineError, Result};

/// The DataFusion value of a literal.
pub fn scalar_value(l: &Literal) -> Result<ScalarValue> {
    Ok(match l {
        Literal::Null(t) => ScalarValue::try_from(&t.to_arrow())
            .map_err(|e| EngineError::datafusion(format!("null of type `{t}`"), e))?,
        Literal::Boolean(v) => ScalarValue::Boolean(Some(*v)),
        Literal::Int8(v) => ScalarValue::Int8(Some(*v)),
        Literal::Int16(v) => ScalarValue::Int16(Some(*v)),
        Literal::Int32(v) => ScalarValue::Int32(Some(*v)),
        Literal::Int64(v) => ScalarValue::Int64(Some(*v)),
        Literal::UInt8(v) => ScalarValue::UInt8(Some(*v)),
        Literal::UInt16(v) => ScalarValue::UInt16(Some(*v)),
        Literal::UInt32(v) => ScalarValue::UInt32(Some(*v)),
        Literal::UInt64(v) => ScalarValue::UInt64(Some(*v)),
        Literal::Float32(v) => ScalarValue::Float32(Some(*v)),
        Literal::Float64(v) => ScalarValue::Float64(Some(*v)),
        Literal::Decimal { value, precision, scale } => ScalarValue::Decimal128(Some(*value), *precision, *scale),
        Literal::String(s) => ScalarValue::Utf8(Some(s.to_string())),
        Literal::Binary(b) => ScalarValue::Binary(Some(b.to_vec())),
        Literal::Date(d) => ScalarValue::Date32(Some(*d)),
        Literal::Time(ns) => ScalarValue::Time64Nanosecond(Some(*ns)),
        Literal::Timestamp { value, unit, tz } => {
            let (v, tz) = (Some(*value), tz.clone());
            match unit {
                TimeUnit::Second => ScalarValue::TimestampSecond(v, tz),
                TimeUnit::Millisecond => ScalarValue::TimestampMillisecond(v, tz),
                TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(v, tz),
                TimeUnit::Nanosecond => ScalarValue::TimestampNanosecond(v, tz),
            }
        }
        Literal::Duration { value, unit } => match unit {
            TimeUnit::Second => ScalarValue::DurationSecond(Some(*value)),
            TimeUnit::Millisecond => ScalarValue::DurationMillisecond(Some(*value)),
            TimeUnit::Microsecond => ScalarValue::DurationMicrosecond(Some(*value)),
            TimeUnit::Nanosecond => ScalarValue::DurationNanosecond(Some(*value)),
        },
        Literal::Interval { months, days, nanos } => {
            ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(*months, *days, *nanos)))
        }
        other => return Err(EngineError::Internal(format!("literal {other} has no DataFusion value"))),
    })
}

/// The IR literal of type `dtype` holding `value` (any Arrow representation of that type: a
/// `Utf8View` for `String`, a `BinaryView` for `Binary`, …), or `None` for a type this does not
/// convert (intervals, durations), so a caller can keep the value where it is instead.
///
/// ```
/// use datafusion::common::ScalarValue;
/// use xorq_core::{DataType, Literal};
/// use xorq_engines::datafusion::literal::literal_of;
/// let v = ScalarValue::Utf8View(Some("Adelie".into()));
/// assert_eq!(literal_of(&v, &DataType::String), Some(Literal::String("Adelie".into())));
/// assert_eq!(literal_of(&ScalarValue::Int64(None), &DataType::Int64), Some(Literal::Null(DataType::Int64)));
/// ```
pub fn literal_of(value: &ScalarValue, dtype: &xorq_core::DataType) -> Option<Literal> {
    use xorq_core::DataType as T;
    if value.is_null() {
        return Some(Literal::Null(dtype.clone()));
    }
    let v = value.cast_to(&dtype.to_arrow()).ok()?;
    Some(match (dtype, v) {
        (T::Boolean, ScalarValue::Boolean(Some(x))) => Literal::Boolean(x),
        (T::Int8, ScalarValue::Int8(Some(x))) => Literal::Int8(x),
        (T::Int16, ScalarValue::Int16(Some(x))) => Literal::Int16(x),
        (T::Int32, ScalarValue::Int32(Some(x))) => Literal::Int32(x),
        (T::Int64, ScalarValue::Int64(Some(x))) => Literal::Int64(x),
        (T::UInt8, ScalarValue::UInt8(Some(x))) => Literal::UInt8(x),
        (T::UInt16, ScalarValue::UInt16(Some(x))) => Literal::UInt16(x),
        (T::UInt32, ScalarValue::UInt32(Some(x))) => Literal::UInt32(x),
        (T::UInt64, ScalarValue::UInt64(Some(x))) => Literal::UInt64(x),
        (T::Float32, ScalarValue::Float32(Some(x))) => Literal::Float32(x),
        (T::Float64, ScalarValue::Float64(Some(x))) => Literal::Float64(x),
        (T::Decimal { .. }, ScalarValue::Decimal128(Some(x), precision, scale)) => {
            Literal::Decimal { value: x, precision, scale }
        }
        (T::String, ScalarValue::Utf8(Some(s))) => Literal::String(s.into()),
        (T::Binary, ScalarValue::Binary(Some(b))) => Literal::Binary(b.into()),
        (T::Date, ScalarValue::Date32(Some(d))) => Literal::Date(d),
        (T::Time, ScalarValue::Time64Nanosecond(Some(ns))) => Literal::Time(ns),
        (T::Timestamp { unit, tz }, ts) => {
            let value = match ts {
                ScalarValue::TimestampSecond(Some(x), _)
                | ScalarValue::TimestampMillisecond(Some(x), _)
                | ScalarValue::TimestampMicrosecond(Some(x), _)
                | ScalarValue::TimestampNanosecond(Some(x), _) => x,
                _ => return None,
            };
            Literal::Timestamp { value, unit: *unit, tz: tz.clone() }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use xorq_core::DataType;

    #[test]
    fn values_convert_to_literals_that_lower_back_to_them() {
        let cases = [
            (ScalarValue::Boolean(Some(true)), DataType::Boolean),
            (ScalarValue::Int32(Some(-3)), DataType::Int32),
            (ScalarValue::UInt64(Some(u64::MAX)), DataType::UInt64),
            (ScalarValue::Float64(Some(0.5)), DataType::Float64),
            (ScalarValue::Decimal128(Some(1234), 10, 2), DataType::Decimal { precision: 10, scale: 2 }),
            (ScalarValue::Utf8(Some("x".into())), DataType::String),
            (ScalarValue::Binary(Some(vec![0, 1, 2])), DataType::Binary),
            (ScalarValue::Date32(Some(19_000)), DataType::Date),
            (
                ScalarValue::TimestampMicrosecond(Some(5), Some("UTC".into())),
                DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) },
            ),
        ];
        for (value, dtype) in cases {
            let literal = literal_of(&value, &dtype).unwrap_or_else(|| panic!("{value:?} converts"));
            assert_eq!(literal.dtype(), dtype);
            assert_eq!(scalar_value(&literal).ok(), Some(value));
        }
        // Views and large offsets are representations of the same values.
        let view = ScalarValue::BinaryView(Some(vec![7; 40]));
        assert_eq!(literal_of(&view, &DataType::Binary), Some(Literal::Binary(vec![7; 40].into())));
        assert_eq!(
            literal_of(&ScalarValue::LargeUtf8(Some("y".into())), &DataType::String),
            Some(Literal::String("y".into()))
        );
    }
}
