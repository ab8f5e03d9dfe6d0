//! The one error type of `xorq-core`: every way an expression can be rejected while it is built.

use std::fmt;

use thiserror::Error;

/// Result alias for `xorq-core`.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;

/// A list of names printed as `` `a`, `b`, `c` `` (at most 20, then a count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameList(pub Vec<String>);

impl fmt::Display for NameList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 20;
        if self.0.is_empty() {
            return f.write_str("(none)");
        }
        for (i, name) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "`{name}`")?;
        }
        if self.0.len() > SHOWN {
            write!(f, " and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// `; did you mean `x`?` when there is a close name, else nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion(pub Option<String>);

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(s) => write!(f, "; did you mean `{s}`?"),
            None => Ok(()),
        }
    }
}

/// Everything that can go wrong while an expression is constructed.
///
/// Variants name the offending column, type or operation, and where it was used (`context`, such
/// as "Filter input"), so a message is useful without a stack trace.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CoreError {
    /// A column reference that the input does not have.
    #[error("no column `{column}` in {context}{suggestion}\navailable columns: {available}")]
    ColumnNotFound {
        /// The name that was asked for.
        column: String,
        /// Where it was looked up, such as "Filter input".
        context: String,
        /// The columns that do exist.
        available: NameList,
        /// The closest existing name, if any is close.
        suggestion: Suggestion,
    },
    /// A column name used for both sides of a join without saying which side.
    #[error(
        "column `{column}` in {context} exists on both sides of the join\nhint: write `lcol(\"{column}\")` or `rcol(\"{column}\")`"
    )]
    AmbiguousColumn {
        /// The ambiguous name.
        column: String,
        /// Where it was used.
        context: String,
    },
    /// Two output columns with one name.
    #[error("duplicate column name `{column}` in {context}\nhint: give one of them another name with `.alias(...)`")]
    DuplicateColumn {
        /// The repeated name.
        column: String,
        /// The operation whose output it is.
        context: String,
    },
    /// An operator or function applied to operand types it does not accept.
    #[error("type error in {context}: `{operation}` cannot take {types}{hint}")]
    TypeMismatch {
        /// The operator or function, such as `>` or `sum`.
        operation: String,
        /// The operand types, such as "`Date` and `String`".
        types: String,
        /// Where it was used.
        context: String,
        /// Extra advice starting with a newline, or empty.
        hint: String,
    },
    /// A predicate that is not boolean.
    #[error("{context} needs a Boolean predicate, got `{found}`")]
    NotBoolean {
        /// Where the predicate was used.
        context: String,
        /// The type it had.
        found: String,
    },
    /// A cast that no engine can perform.
    #[error("cannot cast `{from}` to `{to}` in {context}")]
    InvalidCast {
        /// Source type.
        from: String,
        /// Target type.
        to: String,
        /// Where the cast was used.
        context: String,
    },
    /// Aggregates where rows are expected, or plain columns where an aggregate is expected.
    #[error("{message}")]
    InvalidAggregation {
        /// What was wrong and how to fix it.
        message: String,
    },
    /// A set operation (union, intersect, difference) over inputs whose schemas differ.
    #[error("{operation} inputs have different schemas: {detail}")]
    SchemaMismatch {
        /// The set operation.
        operation: String,
        /// The first difference found.
        detail: String,
    },
    /// A physical type that the IR does not model.
    #[error("column `{column}` has type `{arrow_type}`, which xorq-rs does not support yet")]
    UnsupportedType {
        /// The column.
        column: String,
        /// The Arrow type it had.
        arrow_type: String,
    },
    /// A type name that does not parse.
    #[error(
        "`{name}` is not a data type (expected names like `Int64`, `String`, `Decimal(15, 2)`, `Timestamp(us, UTC)`)"
    )]
    InvalidTypeName {
        /// The text that failed to parse.
        name: String,
    },
    /// A literal that cannot be represented in the requested type.
    #[error("literal {value} does not fit type `{dtype}`")]
    LiteralOutOfRange {
        /// The literal, as written.
        value: String,
        /// The type it had to fit.
        dtype: String,
    },
    /// A bad argument to a builder call (an empty selection, a negative offset, …).
    #[error("{context}: {message}")]
    InvalidArgument {
        /// The call.
        context: String,
        /// What was wrong.
        message: String,
    },
    /// A named parameter used with two different types or defaults.
    #[error("parameter `{name}` is declared twice with different definitions: {first} and {second}")]
    ParamConflict {
        /// The parameter.
        name: String,
        /// One definition.
        first: String,
        /// The other.
        second: String,
    },
    /// A memtable whose batches do not share one schema, or other data problems.
    #[error("memtable: {message}")]
    InvalidMemtable {
        /// What was wrong.
        message: String,
    },
    /// A manifest (`expr.yaml`) that cannot be read or written: malformed YAML, a missing or
    /// unexpected field, a newer format version, a node whose content does not match its
    /// recorded address. `line` and `column` (1-based) point into the YAML text when known.
    #[error("manifest{}: {message}", location(*.line, *.column))]
    Manifest {
        /// What was wrong and what to do about it.
        message: String,
        /// Line of the offending YAML, if known.
        line: Option<u32>,
        /// Column of the offending YAML, if known.
        column: Option<u32>,
    },
    /// A backend profile that cannot be written or used as given.
    #[error("profile `{profile}`: {message}")]
    Profile {
        /// Profile name.
        profile: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A broken invariant inside xorq-rs: a bug (front ends add where to report it, see
    /// [`crate::BUG_REPORT`]).
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// Whose fault this is: an internal error is a bug; everything else is the expression's own
    /// logic, or a manifest or profile that is not what it should be.
    pub fn fault(&self) -> crate::Fault {
        match self {
            CoreError::Internal(_) => crate::Fault::Internal,
            _ => crate::Fault::Runtime,
        }
    }

    /// A `ColumnNotFound` with the closest of `available` as the suggestion.
    pub fn column_not_found<'a>(column: &str, context: &str, available: impl IntoIterator<Item = &'a str>) -> Self {
        let available: Vec<String> = available.into_iter().map(str::to_string).collect();
        let suggestion = closest(column, available.iter().map(String::as_str));
        CoreError::ColumnNotFound {
            column: column.to_string(),
            context: context.to_string(),
            available: NameList(available),
            suggestion: Suggestion(suggestion),
        }
    }

    /// A `TypeMismatch` for an operation over the given operand types.
    pub fn type_mismatch(operation: &str, types: &[&crate::DataType], context: &str, hint: Option<&str>) -> Self {
        let types = match types {
            [] => "no arguments".to_string(),
            [one] => format!("`{one}`"),
            many => {
                let (last, rest) = many.split_last().expect("slice has at least two elements");
                let rest: Vec<String> = rest.iter().map(|t| format!("`{t}`")).collect();
                format!("{} and `{last}`", rest.join(", "))
            }
        };
        CoreError::TypeMismatch {
            operation: operation.to_string(),
            types,
            context: context.to_string(),
            hint: hint.map(|h| format!("\nhint: {h}")).unwrap_or_default(),
        }
    }
}

/// ` at line L, column C` when a location is known, else nothing.
fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo.
///
/// Case-insensitive equality wins; otherwise the smallest Damerau–Levenshtein distance within a
/// third of the name's length (at least 1, at most 3).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).clamp(1, 3);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = if c.to_lowercase() == lower { 0 } else { strsim::damerau_levenshtein(&lower, &c.to_lowercase()) };
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_only() {
        assert_eq!(closest("amuont", ["region", "amount"]), Some("amount".into()));
        assert_eq!(closest("Region", ["region", "amount"]), Some("region".into()));
        assert_eq!(closest("zzz", ["region", "amount"]), None);
    }

    #[test]
    fn error_stays_small() {
        // Errors travel through every `?`; keep them cheap to move.
        assert!(std::mem::size_of::<CoreError>() <= 128, "{}", std::mem::size_of::<CoreError>());
    }
}
