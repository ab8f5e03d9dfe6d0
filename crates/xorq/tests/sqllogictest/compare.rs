//! An answer against a recorded one, as DataFusion's runner judges it: `rowsort` sorts the rows,
//! `valuesort` every value; column types must match letter for letter (`strict_column_validator`);
//! each row is its cells joined by a space, trailing spaces ignored (`df_value_validator` with
//! `value_normalizer`), and `<slt:ignore>` in the record matches anything.

use sqllogictest::{ColumnType, SortMode};

use crate::engine::Answer;

/// DataFusion's column type letter (`DFColumnType`): `B`, `D`, `I`, `P`, `R`, `T`, else `?`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter(char);

impl ColumnType for Letter {
    fn from_char(value: char) -> Option<Self> {
        Some(Letter(if "BDIPRT".contains(value) { value } else { '?' }))
    }

    fn to_char(&self) -> char {
        self.0
    }
}

/// What a record expects of a query.
pub enum Expected {
    /// An error (any message: xorq's are its own).
    Error,
    /// Rows.
    Rows {
        /// The column type letters.
        types: String,
        /// The record's sort mode, else the file's.
        sort_mode: Option<SortMode>,
        /// `control resultmode valuewise`: one value a line.
        valuewise: bool,
        /// The recorded lines.
        lines: Vec<String>,
    },
}

/// How an answer compares with the record.
pub enum Verdict {
    Same,
    /// The same lines in another order.
    OrderOnly,
    /// Something else, described.
    Different(String),
}

/// Compares `answer` with the rows `expected` (an expected error is the caller's business).
pub fn compare(answer: &Answer, expected: &Expected) -> Verdict {
    let Expected::Rows { types, sort_mode, valuewise, lines } = expected else {
        return Verdict::Different("an error was expected".into());
    };
    let mut rows = answer.rows.clone();
    match sort_mode {
        Some(SortMode::RowSort) => rows.sort_unstable(),
        Some(SortMode::ValueSort) => {
            rows = rows.iter().flatten().map(|v| vec![v.clone()]).collect();
            rows.sort_unstable();
        }
        _ => {}
    }
    if answer.types != *types {
        return Verdict::Different(format!("column types `{}`, recorded `{types}`", answer.types));
    }
    if *valuewise {
        rows = rows.iter().flatten().map(|v| vec![v.clone()]).collect();
    }
    let actual: Vec<String> = rows.iter().map(|r| r.join(" ").trim_end().to_string()).collect();
    let recorded: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    if recorded.iter().any(|l| l.contains(IGNORE)) {
        return if ignore_match(&actual, &recorded) {
            Verdict::Same
        } else {
            Verdict::Different("the answer does not match the record's fragments around `<slt:ignore>`".into())
        };
    }
    if actual == recorded {
        return Verdict::Same;
    }
    let (mut a, mut r) = (actual.clone(), recorded.clone());
    a.sort_unstable();
    r.sort_unstable();
    if a == r {
        return Verdict::OrderOnly;
    }
    Verdict::Different(describe(&actual, &recorded))
}

const IGNORE: &str = "<slt:ignore>";

/// `df_value_validator`'s fragment match: the record's text around each marker must appear in
/// order, the first one at the start.
fn ignore_match(actual: &[String], recorded: &[String]) -> bool {
    let actual = actual.join("\n");
    let recorded = recorded.join("\n");
    let mut pos = 0;
    for (i, fragment) in recorded.split(IGNORE).enumerate() {
        if fragment.is_empty() {
            continue;
        }
        match actual[pos..].find(fragment) {
            Some(at) if i > 0 || at == 0 => pos += at + fragment.len(),
            _ => return false,
        }
    }
    true
}

/// The first line that differs, and the row counts.
fn describe(actual: &[String], recorded: &[String]) -> String {
    let counts = format!("{} rows, recorded {}", actual.len(), recorded.len());
    let first = actual.iter().zip(recorded).position(|(a, r)| a != r);
    match first {
        Some(i) => format!("{counts}; row {}: `{}`, recorded `{}`", i + 1, clip(&actual[i]), clip(&recorded[i])),
        None => counts,
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 120;
    match s.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_string(),
    }
}
