//! One value of the binary protocol, decoded by its wire layout into a borrowed [`Value`].

use super::numeric::Numeric;
use super::types::Wire;

/// Days from 1970-01-01 (Arrow's epoch) to 2000-01-01 (PostgreSQL's).
pub(crate) const EPOCH_DAYS: i32 = 10_957;
/// Microseconds from 1970-01-01 to 2000-01-01.
pub(crate) const EPOCH_MICROS: i64 = 946_684_800_000_000;

/// A decoded value; times are already on the Unix epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Value<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Numeric(Numeric<'a>),
    Text(&'a str),
    Bytes(&'a [u8]),
    Uuid([u8; 16]),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 1970-01-01 (UTC for `timestamptz`).
    Timestamp(i64),
    Interval {
        months: i32,
        days: i32,
        micros: i64,
    },
}

fn fixed<const N: usize>(raw: &[u8], what: &str) -> Result<[u8; N], String> {
    raw.try_into().map_err(|_| format!("malformed {what} value ({} bytes, expected {N})", raw.len()))
}

fn utf8<'a>(raw: &'a [u8], what: &str) -> Result<&'a str, String> {
    std::str::from_utf8(raw).map_err(|e| format!("{what} value is not UTF-8: {e}"))
}

/// `raw`, laid out as `wire`.
pub(crate) fn decode(wire: Wire, raw: &[u8]) -> Result<Value<'_>, String> {
    Ok(match wire {
        Wire::Bool => Value::Bool(fixed::<1>(raw, "boolean")?[0] != 0),
        Wire::Int2 => Value::Int(i64::from(i16::from_be_bytes(fixed(raw, "smallint")?))),
        Wire::Int4 => Value::Int(i64::from(i32::from_be_bytes(fixed(raw, "integer")?))),
        Wire::Int8 => Value::Int(i64::from_be_bytes(fixed(raw, "bigint")?)),
        Wire::Oid => Value::Int(i64::from(u32::from_be_bytes(fixed(raw, "oid")?))),
        Wire::Float4 => Value::Float(f64::from(f32::from_be_bytes(fixed(raw, "real")?))),
        Wire::Float8 => Value::Float(f64::from_be_bytes(fixed(raw, "double precision")?)),
        Wire::Numeric => Value::Numeric(Numeric::parse(raw)?),
        Wire::Text => Value::Text(utf8(raw, "text")?),
        Wire::Char => Value::Text(utf8(raw, "\"char\"")?),
        Wire::Jsonb => match raw.split_first() {
            Some((1, text)) => Value::Text(utf8(text, "jsonb")?),
            _ => return Err("jsonb value in an unknown binary version".into()),
        },
        Wire::Uuid => Value::Uuid(fixed(raw, "uuid")?),
        Wire::Bytea => Value::Bytes(raw),
        Wire::Date => {
            let days = i32::from_be_bytes(fixed(raw, "date")?);
            Value::Date(days.checked_add(EPOCH_DAYS).ok_or_else(|| infinite("date", days == i32::MAX))?)
        }
        Wire::Time => Value::Time(i64::from_be_bytes(fixed(raw, "time")?)),
        Wire::Timestamp | Wire::Timestamptz => {
            let micros = i64::from_be_bytes(fixed(raw, "timestamp")?);
            if micros == i64::MAX || micros == i64::MIN {
                return Err(infinite("timestamp", micros == i64::MAX));
            }
            Value::Timestamp(micros.checked_add(EPOCH_MICROS).ok_or_else(|| infinite("timestamp", true))?)
        }
        Wire::Interval => {
            let b: [u8; 16] = fixed(raw, "interval")?;
            Value::Interval {
                micros: i64::from_be_bytes(fixed(&b[..8], "interval")?),
                days: i32::from_be_bytes(fixed(&b[8..12], "interval")?),
                months: i32::from_be_bytes(fixed(&b[12..], "interval")?),
            }
        }
    })
}

fn infinite(what: &str, positive: bool) -> String {
    let sign = if positive { "" } else { "-" };
    format!("{sign}infinity ({what}) cannot be represented in Arrow; filter it out or cast it in the query")
}

/// The canonical text of a uuid: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub(crate) fn uuid_text(u: &[u8; 16]) -> String {
    let hex: String = u.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}
