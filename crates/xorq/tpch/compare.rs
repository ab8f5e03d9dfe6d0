//! Comparing two results of a TPC-H query: [`exact_difference`] for xorq against DataFusion
//! (same names, types and values; decimals exact; the order where the query orders), and
//! [`numeric_difference`] across engines that type numbers differently (DuckDB).

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::error::Error;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, SchemaRef};
use datafusion::common::ScalarValue;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Relative tolerance for floating-point values in [`exact_difference`].
///
/// Both sides evaluate the same expressions on the same rows with DataFusion's kernels; the only
/// legitimate difference is the order in which partial sums meet (partitions finish in any
/// order). For a sum of `n` terms computed in two orders the results differ by at most
/// `2(n-1)·u·Σ|xᵢ|` with `u = 2⁻⁵³`; at SF 0.01 the largest table has about 60,000 rows, so
/// for terms of one sign the relative difference is below `1.4e-11`. `1e-10` leaves room for
/// that and nothing else: one row more or less in a sum of 60,000 similar terms moves it by
/// about `1.7e-5` relative, five orders of magnitude above.
pub const FLOAT_TOLERANCE: f64 = 1e-10;

/// How a query's result is ordered: the output columns of its `ORDER BY` (empty when it does
/// not order).
#[derive(Clone, Debug, Default)]
pub struct Ordering {
    /// Output column names, outermost first.
    pub keys: Vec<String>,
}

/// Why `actual` (xorq's answer) differs from `expected` (DataFusion's), if it does.
///
/// - Column names are equal once DataFusion's table qualifiers are taken out of its names of
///   unaliased expressions (`sum(lineitem.l_quantity)` is xorq's `sum(l_quantity)`: the front
///   end names such columns without qualifiers, by design).
/// - Types are equal, the string types (`Utf8`, `LargeUtf8`, `Utf8View`) counting as one.
/// - Values are equal; decimals exactly (same precision, scale and digits); floats to
///   [`FLOAT_TOLERANCE`].
/// - Rows come in the same order where the query orders, except that rows whose `ORDER BY`
///   keys are all equal may come in any order among themselves; without `ORDER BY`, the rows are
///   compared as multisets.
pub fn exact_difference(actual: &[RecordBatch], expected: &[RecordBatch], ordering: &Ordering) -> Res<Option<String>> {
    let (Some(a_schema), Some(e_schema)) = (schema_of(actual), schema_of(expected)) else {
        let (a, e) = (count(actual), count(expected));
        return Ok((a != e).then(|| format!("{a} rows vs DataFusion's {e} rows")));
    };
    let (a_rows, e_rows) = (rows(actual)?, rows(expected)?);
    if let Some(why) = schema_difference(&a_schema, &e_schema) {
        let first = |rows: &[Vec<ScalarValue>]| {
            rows.first()
                .map_or("no rows".to_string(), |r| r.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | "))
        };
        return Ok(Some(format!(
            "{why}\n  first rows: xorq {} / DataFusion {} (of {} and {} rows)",
            first(&a_rows),
            first(&e_rows),
            a_rows.len(),
            e_rows.len()
        )));
    }
    if a_rows.len() != e_rows.len() {
        return Ok(Some(format!("{} rows vs DataFusion's {} rows", a_rows.len(), e_rows.len())));
    }
    let names: Vec<String> = e_schema.fields().iter().map(|f| unqualified(f.name())).collect();
    let keys: Vec<usize> = ordering
        .keys
        .iter()
        .map(|k| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(k))
                .ok_or_else(|| format!("the ORDER BY key `{k}` is not an output column ({})", names.join(", ")).into())
        })
        .collect::<Res<_>>()?;
    if keys.is_empty() {
        return Ok(run_difference(&a_rows, &e_rows, 0));
    }
    // Runs of rows with equal keys in DataFusion's answer; xorq's rows at the same positions must
    // be the same rows, in any order within the run.
    let mut start = 0;
    while start < e_rows.len() {
        let key = |row: &Vec<ScalarValue>| keys.iter().map(|&k| row[k].clone()).collect::<Vec<_>>();
        let run_key = key(&e_rows[start]);
        let mut end = start + 1;
        while end < e_rows.len() && key(&e_rows[end]) == run_key {
            end += 1;
        }
        if let Some(why) = run_difference(&a_rows[start..end], &e_rows[start..end], start) {
            return Ok(Some(why));
        }
        start = end;
    }
    Ok(None)
}

fn schema_of(batches: &[RecordBatch]) -> Option<SchemaRef> {
    batches.first().map(RecordBatch::schema)
}

fn count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

fn schema_difference(actual: &SchemaRef, expected: &SchemaRef) -> Option<String> {
    let show = |s: &SchemaRef| {
        s.fields().iter().map(|f| format!("{}: {}", f.name(), f.data_type())).collect::<Vec<_>>().join(", ")
    };
    let same = actual.fields().len() == expected.fields().len()
        && actual
            .fields()
            .iter()
            .zip(expected.fields())
            .all(|(a, e)| a.name() == &unqualified(e.name()) && same_type(a.data_type(), e.data_type()));
    (!same).then(|| format!("columns differ:\n  xorq:       {}\n  DataFusion: {}", show(actual), show(expected)))
}

fn same_type(a: &DataType, b: &DataType) -> bool {
    let string = |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    a == b || (string(a) && string(b))
}

/// `name` without table qualifiers: `sum(lineitem.l_quantity)` → `sum(l_quantity)`. A
/// qualifier is an identifier (not starting with a digit, so `0.2` stays) followed by `.` and a
/// letter or `_`.
pub fn unqualified(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_word = (c.is_alphabetic() || c == '_') && (i == 0 || !is_word(chars[i - 1]));
        if starts_word {
            let mut j = i;
            while j < chars.len() && is_word(chars[j]) {
                j += 1;
            }
            let qualifier =
                j + 1 < chars.len() && chars[j] == '.' && (chars[j + 1].is_alphabetic() || chars[j + 1] == '_');
            if qualifier {
                i = j + 1;
            } else {
                out.extend(&chars[i..j]);
                i = j;
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The rows of `batches`, strings as `Utf8` so that view and plain strings compare equal.
fn rows(batches: &[RecordBatch]) -> Res<Vec<Vec<ScalarValue>>> {
    let mut out = Vec::new();
    for batch in batches {
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| match c.data_type() {
                DataType::Utf8View | DataType::LargeUtf8 => cast(c, &DataType::Utf8),
                _ => Ok(c.clone()),
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            out.push(columns.iter().map(|c| ScalarValue::try_from_array(c, i)).collect::<Result<_, _>>()?);
        }
    }
    Ok(out)
}

/// Whether two runs of rows hold the same rows, in any order; `offset` places them in the
/// result for the message.
fn run_difference(actual: &[Vec<ScalarValue>], expected: &[Vec<ScalarValue>], offset: usize) -> Option<String> {
    let (a, e) = (sorted(actual), sorted(expected));
    for (a_row, e_row) in a.iter().zip(&e) {
        if !a_row.iter().zip(e_row.iter()).all(|(x, y)| same_value(x, y)) {
            let show = |r: &Vec<ScalarValue>| r.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | ");
            let place = if actual.len() == 1 {
                format!("row {offset}")
            } else {
                format!("rows {offset}..{} (equal ORDER BY keys)", offset + actual.len())
            };
            return Some(format!("{place}:\n  xorq:       {}\n  DataFusion: {}", show(a_row), show(e_row)));
        }
    }
    None
}

/// `rows` in the order of their values' text.
fn sorted(rows: &[Vec<ScalarValue>]) -> Vec<&Vec<ScalarValue>> {
    let mut keyed: Vec<(Vec<String>, &Vec<ScalarValue>)> =
        rows.iter().map(|r| (r.iter().map(ToString::to_string).collect(), r)).collect();
    keyed.sort_by(|x, y| x.0.cmp(&y.0));
    keyed.into_iter().map(|(_, r)| r).collect()
}

fn same_value(a: &ScalarValue, b: &ScalarValue) -> bool {
    let close = |x: f64, y: f64| {
        (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= FLOAT_TOLERANCE * x.abs().max(y.abs())
    };
    match (a, b) {
        (ScalarValue::Float64(Some(x)), ScalarValue::Float64(Some(y))) => close(*x, *y),
        (ScalarValue::Float32(Some(x)), ScalarValue::Float32(Some(y))) => close(f64::from(*x), f64::from(*y)),
        _ => a == b,
    }
}

/// A result value for comparison across engines: numbers as floats (engines type decimals
/// differently: DuckDB's `SUM` of a decimal is a `DECIMAL(38, s)`, its `AVG` a `DOUBLE`), the
/// rest as text.
#[derive(Debug, PartialEq)]
enum Cell {
    Num(f64),
    Text(Option<String>),
}

fn cells(batches: &[RecordBatch]) -> Res<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| cast(c, if c.data_type().is_numeric() { &DataType::Float64 } else { &DataType::Utf8 }))
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let row = columns.iter().map(|c| {
                if let Some(f) = c.as_any().downcast_ref::<Float64Array>() {
                    Cell::Num(if f.is_null(i) { f64::NAN } else { f.value(i) })
                } else {
                    let s = c.as_any().downcast_ref::<StringArray>();
                    Cell::Text(s.filter(|s| s.is_valid(i)).map(|s| s.value(i).to_string()))
                }
            });
            rows.push(row.collect());
        }
    }
    Ok(rows)
}

/// Why two engines' results differ, if they do: row by row, numbers equal to `tolerance`
/// relative to the larger one (or to 1).
pub fn numeric_difference(a: &[RecordBatch], b: &[RecordBatch], tolerance: f64) -> Res<Option<String>> {
    let (a, b) = (cells(a)?, cells(b)?);
    if a.len() != b.len() {
        return Ok(Some(format!("{} rows vs {} rows", a.len(), b.len())));
    }
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        let same = ra.len() == rb.len()
            && ra.iter().zip(rb).all(|pair| match pair {
                (Cell::Num(x), Cell::Num(y)) => {
                    (x - y).abs() <= tolerance * x.abs().max(y.abs()).max(1.0) || (x.is_nan() && y.is_nan())
                }
                (x, y) => x == y,
            });
        if !same {
            return Ok(Some(format!("row {i}: {ra:?} vs {rb:?}")));
        }
    }
    Ok(None)
}
