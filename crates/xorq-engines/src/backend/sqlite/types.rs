//! SQLite's declared column types and the IR's types.
//!
//! SQLite stores five classes (NULL, INTEGER, REAL, TEXT, BLOB) and keeps a column's *declared*
//! type only as a hint (its affinity). A table's schema is read from the declarations, by the
//! same rules SQLite uses for affinity, with the usual names for dates and booleans recognised:
//!
//! | declared | IR type | stored as |
//! |---|---|---|
//! | `BOOLEAN`, `BOOL` | Boolean | 0 / 1 |
//! | contains `INT` | Int64 | INTEGER |
//! | `DATE` | Date | TEXT `YYYY-MM-DD` |
//! | `DATETIME`, `TIMESTAMP` | Timestamp (µs) | TEXT `YYYY-MM-DD HH:MM:SS.ffffff` |
//! | `TIMESTAMPTZ` | Timestamp (µs, UTC) | TEXT, as above, in UTC |
//! | `TIME` | Time | TEXT `HH:MM:SS.ffffff` |
//! | `DECIMAL(p,s)`, `NUMERIC(p,s)` | Decimal(p, s) | REAL or INTEGER (SQLite has no decimals) |
//! | contains `CHAR`, `CLOB`, `TEXT` | String | TEXT |
//! | contains `BLOB`, or none | Binary | BLOB |
//! | contains `REAL`, `FLOA`, `DOUB` | Float64 | REAL |
//! | anything else (`NUMERIC` affinity) | Float64 | REAL or INTEGER |

use xorq_core::{DataType, TimeUnit};

/// The IR type of a column declared as `declared`.
pub(crate) fn from_declared(declared: &str) -> DataType {
    let upper = declared.trim().to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or_default().trim();
    match base {
        "BOOLEAN" | "BOOL" => return DataType::Boolean,
        "DATE" => return DataType::Date,
        "DATETIME" | "TIMESTAMP" => return DataType::Timestamp { unit: TimeUnit::Microsecond, tz: None },
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => {
            return DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) };
        }
        "TIME" => return DataType::Time,
        "DECIMAL" | "NUMERIC" => {
            if let Some((p, s)) = precision_scale(&upper) {
                return DataType::Decimal { precision: p, scale: s };
            }
        }
        _ => {}
    }
    if upper.contains("INT") {
        DataType::Int64
    } else if ["CHAR", "CLOB", "TEXT"].iter().any(|w| upper.contains(w)) {
        DataType::String
    } else if upper.is_empty() || upper.contains("BLOB") {
        DataType::Binary
    } else {
        DataType::Float64
    }
}

fn precision_scale(upper: &str) -> Option<(u8, i8)> {
    let inner = upper.split_once('(')?.1.split_once(')')?.0;
    let mut parts = inner.split(',').map(str::trim);
    let precision: u8 = parts.next()?.parse().ok().filter(|p| (1..=38).contains(p))?;
    let scale: i8 = match parts.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    Some((precision, scale))
}

/// The declaration for a column of `dtype` in a table rows are moved into.
pub(crate) fn declared(dtype: &DataType) -> String {
    match dtype {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => "INTEGER".into(),
        DataType::Float32 | DataType::Float64 => "REAL".into(),
        DataType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
        DataType::String => "TEXT".into(),
        DataType::Date => "DATE".into(),
        DataType::Time => "TIME".into(),
        DataType::Timestamp { tz: None, .. } => "TIMESTAMP".into(),
        DataType::Timestamp { tz: Some(_), .. } => "TIMESTAMPTZ".into(),
        _ => "BLOB".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_follow_affinity_rules() {
        assert_eq!(from_declared("BIGINT"), DataType::Int64);
        assert_eq!(from_declared("varchar(20)"), DataType::String);
        assert_eq!(from_declared(""), DataType::Binary);
        assert_eq!(from_declared("double precision"), DataType::Float64);
        assert_eq!(from_declared("DECIMAL(12, 2)"), DataType::Decimal { precision: 12, scale: 2 });
        assert_eq!(from_declared("NUMERIC"), DataType::Float64);
        assert_eq!(from_declared("datetime"), DataType::Timestamp { unit: TimeUnit::Microsecond, tz: None });
        for t in [DataType::Int32, DataType::String, DataType::Date, DataType::Boolean, DataType::Float64] {
            assert_eq!(from_declared(&declared(&t)).to_arrow().is_numeric(), t.to_arrow().is_numeric(), "{t}");
        }
    }
}
