//! PostgreSQL types and IR types, both ways.
//!
//! | PostgreSQL | IR |
//! |---|---|
//! | `boolean` | `Boolean` |
//! | `smallint`, `integer`, `bigint` | `Int16`, `Int32`, `Int64` |
//! | `real`, `double precision` | `Float32`, `Float64` |
//! | `numeric(p, s)`, p ≤ 38 | `Decimal(p, s)` |
//! | `numeric` (no precision) | `Decimal(38, 10)`: 28 digits before the point, 10 after; a value with more after is rounded, one with more before is an error |
//! | `text`, `varchar`, `char(n)`, `name`, `"char"`, enums | `String` |
//! | `uuid`, `json`, `jsonb` | `String` (the canonical text) |
//! | `bytea` | `Binary` |
//! | `date`, `time` | `Date`, `Time` |
//! | `timestamp`, `timestamptz` | `Timestamp(us)`, `Timestamp(us, UTC)` |
//! | `interval` | `Interval` |
//!
//! Domains have their base type. Anything else (arrays, ranges, geometric types, `timetz`, …)
//! is refused with the table, the column and the type named.

use tokio_postgres::types::{Kind, Type};
use xorq_core::DataType;

/// The scale given to `numeric` columns declared without a precision.
pub(crate) const UNCONSTRAINED_NUMERIC_SCALE: i8 = 10;

/// How a value of a PostgreSQL type is laid out in the binary protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    /// `boolean`: one byte.
    Bool,
    /// `smallint`.
    Int2,
    /// `integer`.
    Int4,
    /// `bigint`.
    Int8,
    /// `oid`: an unsigned 32-bit integer.
    Oid,
    /// `real`.
    Float4,
    /// `double precision`.
    Float8,
    /// `numeric`: see `numeric.rs`.
    Numeric,
    /// UTF-8 text: `text`, `varchar`, `char(n)`, `name`, `json`, enums, `unknown`.
    Text,
    /// `"char"`: one byte.
    Char,
    /// `jsonb`: a version byte, then text.
    Jsonb,
    /// `uuid`: 16 bytes.
    Uuid,
    /// `bytea`.
    Bytea,
    /// `date`: days since 2000-01-01.
    Date,
    /// `time`: microseconds since midnight.
    Time,
    /// `timestamp`: microseconds since 2000-01-01 00:00.
    Timestamp,
    /// `timestamptz`: microseconds since 2000-01-01 00:00 UTC.
    Timestamptz,
    /// `interval`: microseconds, days, months.
    Interval,
}

/// The wire layout of `ty`, looking through domains; `None` when we cannot read it.
pub(crate) fn wire_of(ty: &Type) -> Option<Wire> {
    match ty.kind() {
        Kind::Domain(base) => return wire_of(base),
        Kind::Enum(_) => return Some(Wire::Text),
        _ => {}
    }
    wire_of_oid(ty.oid())
}

fn wire_of_oid(oid: u32) -> Option<Wire> {
    Some(match oid {
        16 => Wire::Bool,
        21 => Wire::Int2,
        23 => Wire::Int4,
        20 => Wire::Int8,
        26 => Wire::Oid,
        700 => Wire::Float4,
        701 => Wire::Float8,
        1700 => Wire::Numeric,
        // text, varchar, bpchar, name, json, unknown
        25 | 1043 | 1042 | 19 | 114 | 705 => Wire::Text,
        18 => Wire::Char,
        3802 => Wire::Jsonb,
        2950 => Wire::Uuid,
        17 => Wire::Bytea,
        1082 => Wire::Date,
        1083 => Wire::Time,
        1114 => Wire::Timestamp,
        1184 => Wire::Timestamptz,
        1186 => Wire::Interval,
        _ => return None,
    })
}

/// The IR type of a column of type `oid` (a domain's base type) with modifier `typmod`
/// (`-1` for none); `is_enum` for user-defined enum types. `Err` explains why there is none.
pub(crate) fn ir_type(oid: u32, typmod: i32, is_enum: bool) -> Result<DataType, String> {
    if is_enum {
        return Ok(DataType::String);
    }
    let wire = wire_of_oid(oid).ok_or_else(|| "xorq cannot read this type".to_string())?;
    Ok(match wire {
        Wire::Bool => DataType::Boolean,
        Wire::Int2 => DataType::Int16,
        Wire::Int4 => DataType::Int32,
        Wire::Int8 | Wire::Oid => DataType::Int64,
        Wire::Float4 => DataType::Float32,
        Wire::Float8 => DataType::Float64,
        Wire::Numeric => numeric_type(typmod)?,
        Wire::Text | Wire::Char | Wire::Jsonb | Wire::Uuid => DataType::String,
        Wire::Bytea => DataType::Binary,
        Wire::Date => DataType::Date,
        Wire::Time => DataType::Time,
        Wire::Timestamp => DataType::Timestamp { unit: xorq_core::TimeUnit::Microsecond, tz: None },
        Wire::Timestamptz => DataType::Timestamp { unit: xorq_core::TimeUnit::Microsecond, tz: Some("UTC".into()) },
        Wire::Interval => DataType::Interval,
    })
}

/// `numeric(p, s)` from its type modifier: `((p << 16) | (s & 0x7ff)) + 4`, the scale an 11-bit
/// signed number since PostgreSQL 15.
fn numeric_type(typmod: i32) -> Result<DataType, String> {
    if typmod < 4 {
        return Ok(DataType::Decimal { precision: 38, scale: UNCONSTRAINED_NUMERIC_SCALE });
    }
    let bits = typmod - 4;
    let precision = (bits >> 16) & 0xffff;
    let scale = ((bits & 0x7ff) ^ 1024) - 1024;
    let (Ok(p), Ok(s)) = (u8::try_from(precision), i8::try_from(scale)) else {
        return Err(format!("numeric({precision}, {scale}) is beyond a 38-digit decimal"));
    };
    DataType::decimal(p, s).map_err(|_| {
        format!(
            "numeric({precision}, {scale}) is beyond a 38-digit decimal; cast it in a view, e.g. to numeric(38, {}) or double precision",
            scale.clamp(0, 38)
        )
    })
}

/// The PostgreSQL type a column of IR type `dtype` is created with (rows moved in).
pub(crate) fn column_type(dtype: &DataType) -> Result<String, String> {
    Ok(match dtype {
        DataType::Null | DataType::String => "text".into(),
        DataType::Boolean => "boolean".into(),
        // PostgreSQL has no 8-bit integer; unsigned types take the next wider signed one.
        DataType::Int8 | DataType::Int16 | DataType::UInt8 => "smallint".into(),
        DataType::Int32 | DataType::UInt16 => "integer".into(),
        DataType::Int64 | DataType::UInt32 => "bigint".into(),
        DataType::UInt64 => "numeric(20, 0)".into(),
        DataType::Float32 => "real".into(),
        DataType::Float64 => "double precision".into(),
        DataType::Decimal { precision, scale } => format!("numeric({precision}, {scale})"),
        DataType::Binary => "bytea".into(),
        DataType::Date => "date".into(),
        DataType::Time => "time".into(),
        DataType::Timestamp { tz: None, .. } => "timestamp".into(),
        DataType::Timestamp { tz: Some(_), .. } => "timestamptz".into(),
        DataType::Duration(_) | DataType::Interval => "interval".into(),
        other => return Err(format!("{other} has no PostgreSQL column type")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_modifiers() {
        let typmod = |p: i32, s: i32| ((p << 16) | (s & 0x7ff)) + 4;
        assert_eq!(ir_type(1700, typmod(38, 9), false), Ok(DataType::Decimal { precision: 38, scale: 9 }));
        assert_eq!(ir_type(1700, typmod(5, -2), false), Ok(DataType::Decimal { precision: 5, scale: -2 }));
        assert_eq!(ir_type(1700, -1, false), Ok(DataType::Decimal { precision: 38, scale: 10 }));
        assert!(ir_type(1700, typmod(50, 2), false).expect_err("too wide").contains("numeric(50, 2)"));
        assert!(ir_type(600, -1, false).is_err(), "point");
        assert_eq!(ir_type(600, -1, true), Ok(DataType::String), "an enum");
    }

    #[test]
    fn column_types() {
        assert_eq!(column_type(&DataType::Decimal { precision: 12, scale: 3 }).as_deref(), Ok("numeric(12, 3)"));
        assert_eq!(column_type(&DataType::UInt64).as_deref(), Ok("numeric(20, 0)"));
    }
}
