//! Ledgers of known outcomes: the TPC-H queries whose xorq result (or plan) is not yet
//! DataFusion's, each with the reason. A test computes every query's outcome, and fails when
//! one differs from its ledger line in either direction: a query newly failing, and a ledgered
//! query that now passes (so the ledger, the to-do list of the people fixing them, stays true).
//!
//! A ledger is a text file; a line starting with `#` is a comment; each other line is
//! `<query> <outcome> <reason…>`, e.g. `q2 refused correlated scalar subquery`. A query without
//! a line is expected to pass.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// One ledger line.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The outcome the ledger expects instead of passing.
    pub outcome: String,
    /// Why, for the reader.
    pub reason: String,
}

/// A parsed ledger: each query's expected non-passing outcome.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// The ledger's path in the repository, for messages.
    pub path: &'static str,
    /// By query name.
    pub entries: BTreeMap<String, Entry>,
}

/// What happened to one query.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// `pass`, or one of the outcomes the ledger may name.
    pub kind: &'static str,
    /// The error or the difference (empty for a pass).
    pub detail: String,
}

impl Outcome {
    /// A query that passed.
    pub fn pass() -> Self {
        Outcome { kind: "pass", detail: String::new() }
    }
}

impl Ledger {
    /// Parses `text` (the file at `path`); `outcomes` are the non-passing outcomes it may name
    /// and `queries` the query names.
    pub fn parse(path: &'static str, text: &str, outcomes: &[&str], queries: &[&str]) -> Res<Ledger> {
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (query, outcome) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let reason = words.collect::<Vec<_>>().join(" ");
            let at = format!("{path}:{}", n + 1);
            if !queries.contains(&query) {
                return Err(format!("{at}: `{query}` is not a query ({})", queries.join(", ")).into());
            }
            if !outcomes.contains(&outcome) {
                return Err(format!("{at}: the outcome `{outcome}` is not one of {}", outcomes.join(", ")).into());
            }
            if reason.is_empty() {
                return Err(format!("{at}: give the reason after the outcome").into());
            }
            let entry = Entry { outcome: outcome.to_string(), reason: reason.to_string() };
            if entries.insert(query.to_string(), entry).is_some() {
                return Err(format!("{at}: `{query}` has a second line").into());
            }
        }
        Ok(Ledger { path, entries })
    }

    /// The queries whose outcome is not the ledger's, each with what to do; empty when every
    /// outcome is as recorded.
    pub fn mismatches(&self, outcomes: &[(String, Outcome)]) -> Vec<String> {
        let mut out = Vec::new();
        for (query, outcome) in outcomes {
            let expected = self.entries.get(query).map_or("pass", |e| e.outcome.as_str());
            if expected == outcome.kind {
                continue;
            }
            let mut m = String::new();
            if outcome.kind == "pass" {
                let _ = write!(
                    m,
                    "{query} now passes, but {} records it as `{expected}`: remove its line from the ledger",
                    self.path
                );
            } else if expected == "pass" {
                let _ = write!(
                    m,
                    "{query} is now `{}`: fix it, or record it in {} as `{query} {} <reason>`\n    {}",
                    outcome.kind,
                    self.path,
                    outcome.kind,
                    outcome.detail.replace('\n', "\n    ")
                );
            } else {
                let _ = write!(
                    m,
                    "{query} is now `{}`, but {} records it as `{expected}`: update its line\n    {}",
                    outcome.kind,
                    self.path,
                    outcome.detail.replace('\n', "\n    ")
                );
            }
            out.push(m);
        }
        out
    }
}
