//! What goes wrong inside a DuckDB call ([`Failure`], the crate's one error enum), and how it
//! becomes an [`EngineError`] naming the profile, what was being done and, for a missing table,
//! the table.

use arrow::error::ArrowError;
use xorq_engines::EngineError;

/// A failure inside DuckDB or the Arrow bridge, before the profile and context are known.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// DuckDB's own error (its message starts with the kind: `Catalog Error: …`).
    #[error("{0}")]
    DuckDb(#[from] duckdb::Error),
    /// Converting or casting Arrow data.
    #[error("{0}")]
    Arrow(#[from] ArrowError),
    /// Anything else, said in words.
    #[error("{0}")]
    Message(String),
}

impl Failure {
    /// As an error of backend profile `profile` while `context` (e.g. "running `SELECT …`").
    /// DuckDB's "Table with name … does not exist" becomes [`EngineError::TableNotFound`].
    pub(crate) fn in_profile(self, profile: &str, context: &str) -> EngineError {
        let message = self.to_string();
        if let Some(table) = missing_table(&message) {
            return EngineError::TableNotFound { profile: profile.to_string(), table };
        }
        EngineError::Backend { profile: profile.to_string(), context: context.to_string(), message }
    }
}

/// The table a DuckDB catalog error says does not exist.
fn missing_table(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Catalog Error: ")?;
    let rest = rest.strip_prefix("Table with name ").or_else(|| rest.strip_prefix("Table or view with name "))?;
    let (name, _) = rest.split_once(" does not exist")?;
    Some(name.to_string())
}

/// Runs `f` on a blocking thread (DuckDB calls block), as profile `profile`.
pub(crate) async fn blocking<T: Send + 'static>(
    profile: &str,
    f: impl FnOnce() -> Result<T, EngineError> + Send + 'static,
) -> Result<T, EngineError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| EngineError::Backend {
        profile: profile.to_string(),
        context: "a DuckDB worker thread".into(),
        message: e.to_string(),
    })?
}

/// `sql` shortened to one line of at most 200 characters, for error contexts.
pub(crate) fn excerpt(sql: &str) -> String {
    let one_line = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_table_is_named() {
        let missing =
            Failure::Message("Catalog Error: Table with name nope does not exist!\nDid you mean \"t\"?".into());
        match missing.in_profile("warehouse", "reading") {
            EngineError::TableNotFound { profile, table } => {
                assert_eq!((profile.as_str(), table.as_str()), ("warehouse", "nope"))
            }
            other => panic!("expected TableNotFound, got {other:?}"),
        }
        let other = Failure::Message("Parser Error: syntax error at or near \"SELEC\"".into())
            .in_profile("w", "running `SELEC 1`");
        assert_eq!(
            other.to_string(),
            "backend profile `w`: running `SELEC 1`: Parser Error: syntax error at or near \"SELEC\""
        );
    }

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("SELECT\n  *\nFROM t"), "SELECT * FROM t");
        let long = format!("SELECT {}", "é".repeat(300));
        assert_eq!(excerpt(&long).chars().count(), 201);
    }
}
