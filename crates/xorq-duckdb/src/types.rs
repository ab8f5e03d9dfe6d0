//! DuckDB's column types and the IR's types, as the crate documentation's table says.

use arrow::datatypes::DataType as ArrowType;
use xorq_core::{DataType, TimeUnit};

/// The IR type of a DuckDB column type as `DESCRIBE` spells it, or `None` when the IR cannot
/// hold it.
pub(crate) fn from_duckdb(name: &str) -> Option<DataType> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.ends_with(']') {
        return None; // a list or a fixed-size array
    }
    let base = upper.split('(').next().unwrap_or_default().trim();
    Some(match base {
        "BOOLEAN" | "BOOL" | "LOGICAL" => DataType::Boolean,
        "TINYINT" | "INT1" => DataType::Int8,
        "SMALLINT" | "INT2" | "SHORT" => DataType::Int16,
        "INTEGER" | "INT4" | "INT" | "SIGNED" => DataType::Int32,
        "BIGINT" | "INT8" | "LONG" => DataType::Int64,
        "UTINYINT" => DataType::UInt8,
        "USMALLINT" => DataType::UInt16,
        "UINTEGER" => DataType::UInt32,
        "UBIGINT" => DataType::UInt64,
        "HUGEINT" | "INT128" | "UHUGEINT" | "UINT128" => DataType::Decimal { precision: 38, scale: 0 },
        "FLOAT" | "FLOAT4" | "REAL" => DataType::Float32,
        "DOUBLE" | "FLOAT8" => DataType::Float64,
        "DECIMAL" | "NUMERIC" => {
            let (precision, scale) = precision_scale(&upper)?;
            DataType::Decimal { precision, scale }
        }
        "VARCHAR" | "TEXT" | "STRING" | "CHAR" | "BPCHAR" | "UUID" | "JSON" | "ENUM" => DataType::String,
        "BLOB" | "BYTEA" | "BINARY" | "VARBINARY" => DataType::Binary,
        "DATE" => DataType::Date,
        "TIME" => DataType::Time,
        "TIMESTAMP" | "DATETIME" => DataType::Timestamp { unit: TimeUnit::Microsecond, tz: None },
        "TIMESTAMP_S" => DataType::Timestamp { unit: TimeUnit::Second, tz: None },
        "TIMESTAMP_MS" => DataType::Timestamp { unit: TimeUnit::Millisecond, tz: None },
        "TIMESTAMP_NS" => DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None },
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => {
            DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) }
        }
        "INTERVAL" => DataType::Interval,
        _ => return None,
    })
}

/// `DECIMAL(p,s)`'s precision and scale; a bare `DECIMAL` is DuckDB's default `DECIMAL(18,3)`.
fn precision_scale(upper: &str) -> Option<(u8, i8)> {
    let Some((_, rest)) = upper.split_once('(') else {
        return Some((18, 3));
    };
    let inner = rest.split_once(')')?.0;
    let mut parts = inner.split(',').map(str::trim);
    let precision: u8 = parts.next()?.parse().ok().filter(|p| (1..=38).contains(p))?;
    let scale: i8 = match parts.next() {
        Some(s) => s.parse().ok().filter(|s: &i8| (0..=precision as i8).contains(s))?,
        None => 0,
    };
    Some((precision, scale))
}

/// The DuckDB column type that holds values of `dtype`, or why there is none.
pub(crate) fn declared(dtype: &DataType) -> Result<String, String> {
    Ok(match dtype {
        DataType::Null => "INTEGER".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt8 => "UTINYINT".into(),
        DataType::UInt16 => "USMALLINT".into(),
        DataType::UInt32 => "UINTEGER".into(),
        DataType::UInt64 => "UBIGINT".into(),
        DataType::Float32 => "FLOAT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal { precision, scale } if *scale >= 0 => format!("DECIMAL({precision},{scale})"),
        DataType::Decimal { .. } => return Err(format!("DuckDB has no decimal type with a negative scale ({dtype})")),
        DataType::String => "VARCHAR".into(),
        DataType::Binary => "BLOB".into(),
        DataType::Date => "DATE".into(),
        DataType::Time => "TIME".into(),
        DataType::Timestamp { tz: Some(_), .. } => "TIMESTAMPTZ".into(),
        DataType::Timestamp { unit: TimeUnit::Second, tz: None } => "TIMESTAMP_S".into(),
        DataType::Timestamp { unit: TimeUnit::Millisecond, tz: None } => "TIMESTAMP_MS".into(),
        DataType::Timestamp { unit: TimeUnit::Microsecond, tz: None } => "TIMESTAMP".into(),
        DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None } => "TIMESTAMP_NS".into(),
        DataType::Duration(_) | DataType::Interval => "INTERVAL".into(),
        other => return Err(format!("DuckDB cannot store `{other}` values yet")),
    })
}

/// The Arrow type a column of `dtype` is handed to DuckDB's appender as: the IR's own, except
/// `Null` (DuckDB's appender takes no null-typed vectors; the column is an all-null `INTEGER`).
pub(crate) fn append_type(dtype: &DataType) -> ArrowType {
    match dtype {
        DataType::Null => ArrowType::Int32,
        other => other.to_arrow(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_type_reads_back() {
        let types = [
            DataType::Boolean,
            DataType::Int8,
            DataType::Int16,
            DataType::Int32,
            DataType::Int64,
            DataType::UInt8,
            DataType::UInt16,
            DataType::UInt32,
            DataType::UInt64,
            DataType::Float32,
            DataType::Float64,
            DataType::Decimal { precision: 38, scale: 10 },
            DataType::String,
            DataType::Binary,
            DataType::Date,
            DataType::Time,
            DataType::Timestamp { unit: TimeUnit::Second, tz: None },
            DataType::Timestamp { unit: TimeUnit::Millisecond, tz: None },
            DataType::Timestamp { unit: TimeUnit::Microsecond, tz: None },
            DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None },
            DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) },
            DataType::Interval,
        ];
        for t in types {
            let name = declared(&t).expect("declarable");
            assert_eq!(from_duckdb(&name), Some(t.clone()), "{name}");
        }
    }

    #[test]
    fn duckdb_spellings() {
        assert_eq!(from_duckdb("HUGEINT"), Some(DataType::Decimal { precision: 38, scale: 0 }));
        assert_eq!(
            from_duckdb("TIMESTAMP WITH TIME ZONE"),
            Some(DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) })
        );
        assert_eq!(from_duckdb("DECIMAL(12, 2)"), Some(DataType::Decimal { precision: 12, scale: 2 }));
        assert_eq!(from_duckdb("DECIMAL"), Some(DataType::Decimal { precision: 18, scale: 3 }));
        assert_eq!(from_duckdb("ENUM('a', 'b')"), Some(DataType::String));
        assert_eq!(from_duckdb("INTEGER[]"), None);
        assert_eq!(from_duckdb("STRUCT(a INTEGER)"), None);
        assert_eq!(from_duckdb("MAP(VARCHAR, INTEGER)"), None);
        assert_eq!(from_duckdb("TIME WITH TIME ZONE"), None);
        assert!(declared(&DataType::Decimal { precision: 5, scale: -2 }).is_err());
    }
}
