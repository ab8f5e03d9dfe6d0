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
