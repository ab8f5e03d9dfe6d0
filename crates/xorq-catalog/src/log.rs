//! The catalog's history as operations, read from git's log: each commit's subject, and the
//! `Xorq-*` trailers catalog commits carry.

use serde::Serialize;

use crate::catalog::Catalog;
use crate::error::Result;

/// One commit of the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LogRecord {
    /// Commit id (40 hex).
    pub commit: String,
    /// Author, as `name <email>`.
    pub author: String,
    /// Author time (ISO 8601 with offset).
    pub time: String,
    /// The subject line (`add 7d0c1f5e2a4b as prod r1`).
    pub summary: String,
    /// `init`, `add`, `add-alias`, `remove`, `remove-alias`, `merge`, or `other` for commits not
    /// made by xorq.
    pub op: String,
    /// Full addresses of the entries it added or removed.
    pub entries: Vec<String>,
    /// Aliases it touched (`prod r2 <address>` for new revisions, the name for removals).
    pub aliases: Vec<String>,
}

impl Catalog {
    /// The history, newest first; at most `limit` commits.
    pub fn log(&self, limit: Option<usize>) -> Result<Vec<LogRecord>> {
        let mut args = vec!["log".to_string(), "-z".into(), "--format=%H%x1f%an <%ae>%x1f%aI%x1f%B".into()];
        if let Some(n) = limit {
            args.push(format!("-n{n}"));
        }
        let text = self.git.run(&args)?;
        Ok(text.split('\0').filter(|r| !r.trim().is_empty()).filter_map(parse_record).collect())
    }
}

fn parse_record(record: &str) -> Option<LogRecord> {
    let mut fields = record.trim_start_matches('\n').splitn(4, '\u{1f}');
    let commit = fields.next()?.to_string();
    let author = fields.next()?.to_string();
    let time = fields.next()?.to_string();
    let body = fields.next().unwrap_or_default();
    let summary = body.lines().next().unwrap_or_default().to_string();
    let mut op = None;
    let mut entries = Vec::new();
    let mut aliases = Vec::new();
    for line in body.lines() {
        let Some((key, value)) = line.split_once(": ") else { continue };
        let value = value.trim().to_string();
        match key {
            "Xorq-Op" => op = Some(value),
            "Xorq-Entry" => entries.push(value),
            "Xorq-Alias" => aliases.push(value),
            _ => {}
        }
    }
    Some(LogRecord { commit, author, time, summary, op: op.unwrap_or_else(|| "other".into()), entries, aliases })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_with_and_without_trailers() {
        let r = parse_record(
            "abc\u{1f}Ann <a@x>\u{1f}2026-01-01T00:00:00+00:00\u{1f}add 0123 as prod r1\n\nXorq-Op: add\nXorq-Entry: 0123\nXorq-Alias: prod r1 0123\n",
        )
        .unwrap();
        assert_eq!((r.op.as_str(), r.summary.as_str()), ("add", "add 0123 as prod r1"));
        assert_eq!((r.entries.len(), r.aliases.len()), (1, 1));
        let r = parse_record("\nabc\u{1f}Bo <b@x>\u{1f}t\u{1f}fix by hand\n").unwrap();
        assert_eq!(r.op, "other");
    }
}
