//! Results as comparable rows.

use arrow::array::RecordBatch;
use arrow::datatypes::DataType as ArrowType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use xorq::plan::RelOp;
use xorq::{ExprKind, Table};

/// A result: its rows as text, and the text of the sort-key columns in order when the
/// expression ends in a sort on columns.
#[derive(Debug)]
pub struct Rows {
    sorted: Vec<Vec<String>>,
    ordered_keys: Option<Vec<Vec<String>>>,
    unordered_limit: bool,
}

fn cell(batch: &RecordBatch, column: usize, row: usize) -> String {
    let array = batch.column(column);
    let options = FormatOptions::default().with_null("NULL");
    let text =
        ArrayFormatter::try_new(array.as_ref(), &options).map_or_else(|e| e.to_string(), |f| f.value(row).to_string());
    match array.data_type() {
        ArrowType::Float32 | ArrowType::Float64 if text != "NULL" => match text.parse::<f64>() {
            Ok(0.0) => "0".into(),
            Ok(v) => format!("{v:.5e}"),
            Err(_) => text,
        },
        _ => text,
    }
}

impl Rows {
    /// The rows of `batches`, the result of `table`.
    pub fn of(table: &Table, batches: &[RecordBatch]) -> Rows {
        let mut all = Vec::new();
        for b in batches {
            for r in 0..b.num_rows() {
                all.push((0..b.num_columns()).map(|c| cell(b, c, r)).collect::<Vec<_>>());
            }
        }
        let schema = table.schema();
        let ordered_keys = match table.node().op() {
            RelOp::Sort(s) => {
                let positions: Vec<usize> = s
                    .keys
                    .iter()
                    .filter_map(|k| match &k.expr.kind {
                        ExprKind::Column(c) => schema.index_of(&c.name),
                        _ => None,
                    })
                    .collect();
                Some(all.iter().map(|row| positions.iter().map(|&p| row[p].clone()).collect()).collect())
            }
            _ => None,
        };
        let unordered_limit = matches!(table.node().op(), RelOp::Limit(l) if !matches!(l.input.op(), RelOp::Sort(_)));
        let mut sorted = all;
        sorted.sort();
        Rows { sorted, ordered_keys, unordered_limit }
    }

    /// What differs from `expected`, or `None`.
    pub fn differences(&self, expected: &Rows) -> Option<String> {
        if self.unordered_limit {
            return (self.sorted.len() != expected.sorted.len())
                .then(|| format!("{} rows, expected {}", self.sorted.len(), expected.sorted.len()));
        }
        if self.sorted != expected.sorted {
            let missing: Vec<_> = expected.sorted.iter().filter(|r| !self.sorted.contains(r)).take(3).collect();
            let extra: Vec<_> = self.sorted.iter().filter(|r| !expected.sorted.contains(r)).take(3).collect();
            return Some(format!(
                "{} rows, expected {}; missing e.g. {missing:?}; unexpected e.g. {extra:?}",
                self.sorted.len(),
                expected.sorted.len()
            ));
        }
        if self.ordered_keys != expected.ordered_keys {
            return Some("the same rows in another order".into());
        }
        None
    }
}
