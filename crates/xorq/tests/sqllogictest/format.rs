//! Arrow results as sqllogictest text, by the rules of DataFusion's own runner
//! (`datafusion/sqllogictest/src/engines/datafusion_engine/normalize.rs` and `conversion.rs` at
//! 55.2.0): `NULL` for nulls, `(empty)` for empty strings, floats and decimals rounded through a
//! big decimal (12 places for floats, the scale for decimals), `Infinity`/`NaN` spelled out, a
//! multi-line last cell spread over numbered rows, everything else through Arrow's formatter
//! with DataFusion's default format options. The column types are DataFusion's letters.

use std::str::FromStr;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Decimal32Type, Decimal64Type, Decimal128Type, Decimal256Type, DecimalType, Float16Type, Float32Type,
    Float64Type, Schema,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use bigdecimal::BigDecimal;
use datafusion::config::ConfigField;
use datafusion::error::DataFusionError;

/// DataFusion's column type letters (`DFColumnType`): `B`oolean, `D`ate/time, `I`nteger, `R`eal
/// (floats and decimals), `T`ext, timestamp `P`, anything else `?`.
pub fn type_letters(schema: &Schema) -> String {
    schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Boolean => 'B',
            t if t.is_integer() => 'I',
            DataType::Float16 | DataType::Float32 | DataType::Float64 => 'R',
            DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..) => {
                'R'
            }
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => 'T',
            DataType::Date32 | DataType::Date64 | DataType::Time32(_) | DataType::Time64(_) => 'D',
            DataType::Timestamp(..) => 'P',
            DataType::Dictionary(key, value)
                if key.is_integer() && matches!(**value, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) =>
            {
                'T'
            }
            _ => '?',
        })
        .collect()
}

/// The rows of `batches` as sqllogictest cells. `root` is replaced by `WORKSPACE_ROOT`, as
/// DataFusion's runner does with its checkout's path.
pub fn rows(batches: &[RecordBatch], root: &str) -> Result<Vec<Vec<String>>, String> {
    // DataFusion's default display options, with nulls as `NULL`.
    let mut df_options = datafusion::config::FormatOptions::default();
    df_options.set("null", "NULL").map_err(|e| e.to_string())?;
    let options: FormatOptions<'_> = (&df_options).try_into().map_err(|e: DataFusionError| e.to_string())?;
    let mut out = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            let cells = batch
                .columns()
                .iter()
                .map(|c| cell(c, row, &options))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|s| if !root.is_empty() && s.contains(root) { s.replace(root, "WORKSPACE_ROOT") } else { s })
                .collect();
            out.extend(expand_row(cells));
        }
    }
    Ok(out)
}

/// A last cell of several lines becomes one row per line, numbered, leading spaces as `-`.
fn expand_row(mut row: Vec<String>) -> Vec<Vec<String>> {
    let Some(last) = row.pop() else { return vec![row] };
    let lines: Vec<&str> = last.split('\n').collect();
    if lines.len() < 2 {
        row.push(last);
        return vec![row];
    }
    let mut out = vec![row];
    for (i, line) in lines.iter().enumerate() {
        let content = line.trim_start();
        let prefix = "-".repeat(line.len() - content.len());
        out.push(vec![format!("{:02}){prefix}{content}", i + 1)]);
    }
    out
}

fn cell(col: &ArrayRef, row: usize, options: &FormatOptions<'_>) -> Result<String, String> {
    if col.is_null(row) {
        return Ok("NULL".into());
    }
    Ok(match col.data_type() {
        DataType::Null => "NULL".into(),
        DataType::Boolean => col.as_boolean().value(row).to_string(),
        DataType::Float16 => {
            let v = col.as_primitive::<Float16Type>().value(row);
            float(v.is_nan(), v.is_infinite(), v.is_sign_negative(), &v.to_string())
        }
        DataType::Float32 => {
            let v = col.as_primitive::<Float32Type>().value(row);
            float(v.is_nan(), v.is_infinite(), v.is_sign_negative(), &v.to_string())
        }
        DataType::Float64 => {
            let v = col.as_primitive::<Float64Type>().value(row);
            float(v.is_nan(), v.is_infinite(), v.is_sign_negative(), &v.to_string())
        }
        DataType::Decimal32(_, s) => decimal::<Decimal32Type>(col.as_primitive::<Decimal32Type>().value(row), *s),
        DataType::Decimal64(_, s) => decimal::<Decimal64Type>(col.as_primitive::<Decimal64Type>().value(row), *s),
        DataType::Decimal128(_, s) => decimal::<Decimal128Type>(col.as_primitive::<Decimal128Type>().value(row), *s),
        DataType::Decimal256(_, s) => decimal::<Decimal256Type>(col.as_primitive::<Decimal256Type>().value(row), *s),
        DataType::Utf8 => text(col.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => text(col.as_string::<i64>().value(row)),
        DataType::Utf8View => text(col.as_string_view().value(row)),
        DataType::Dictionary(..) => {
            let dict = col.as_any_dictionary();
            let key = dict.normalized_keys()[row];
            cell(dict.values(), key, options)?
        }
        _ => ArrayFormatter::try_new(col.as_ref(), options).map_err(|e| e.to_string())?.value(row).to_string(),
    })
}

fn text(s: &str) -> String {
    if s.is_empty() { "(empty)".into() } else { s.trim_end_matches('\n').replace('\u{0}', "\\0") }
}

fn float(nan: bool, infinite: bool, negative: bool, shown: &str) -> String {
    match (nan, infinite, negative) {
        (true, _, _) => "NaN".into(),
        (false, true, false) => "Infinity".into(),
        (false, true, true) => "-Infinity".into(),
        // Rust prints finite floats as plain decimals, which BigDecimal always parses; a value
        // it could not parse is shown as Rust prints it, so a mismatch stays visible.
        _ => BigDecimal::from_str(shown).map(|d| rounded(&d, 12)).unwrap_or_else(|_| shown.to_string()),
    }
}

fn decimal<T: DecimalType>(value: T::Native, scale: i8) -> String {
    let shown = T::format_decimal(value, u8::MAX, scale);
    BigDecimal::from_str(&shown).map(|d| rounded(&d, i64::from(scale))).unwrap_or(shown)
}

fn rounded(d: &BigDecimal, digits: i64) -> String {
    d.round(digits).normalized().to_plain_string()
}
