//! Outcomes, the committed ledger of records that do not pass (`ledger.tsv`), and the list of
//! deliberate differences (`deliberate.tsv`).
//!
//! The ledger has one line per record: location, outcome, SQL and message, tab-separated, with
//! `\t`, `\n` and `\\` escaped. The run fails when a record's outcome differs from its line (or
//! from "passed" when it has none), in either direction, until the ledger is rewritten with
//! `XORQ_SLT_BLESS=1`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// What happened to one record.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// xorq gave the recorded answer (or rejected a query DataFusion rejects).
    Passed,
    /// xorq's front end refused the query; its message.
    Refused(String),
    /// A difference listed in `deliberate.tsv`; its reason.
    Deliberate(String),
    /// Another answer, an error where DataFusion answers, or an answer where DataFusion errs.
    Differing(String),
    /// DataFusion itself does not give the recorded answer in this harness; why.
    NotReproduced(String),
    /// The query reads DataFusion test data that is not present.
    NoData(String),
    /// Not a query (DDL, DML, `EXPLAIN`, …): run in DataFusion only.
    NotAQuery,
}

impl Outcome {
    /// The outcome's name in the ledger; `None` for outcomes the ledger does not keep.
    pub fn ledger_kind(&self) -> Option<&'static str> {
        match self {
            Outcome::Refused(_) => Some("refused"),
            Outcome::Differing(_) => Some("differing"),
            Outcome::NotReproduced(_) => Some("not-reproduced"),
            _ => None,
        }
    }

    /// The message of a ledgered outcome.
    pub fn message(&self) -> &str {
        match self {
            Outcome::Refused(m)
            | Outcome::Deliberate(m)
            | Outcome::Differing(m)
            | Outcome::NotReproduced(m)
            | Outcome::NoData(m) => m,
            Outcome::Passed | Outcome::NotAQuery => "",
        }
    }
}

/// One line of the ledger.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub kind: String,
    pub sql: String,
    pub message: String,
}

/// The ledger, by location.
#[derive(Default)]
pub struct Ledger {
    pub entries: BTreeMap<String, Entry>,
}

impl Ledger {
    /// Reads `path`; a missing file is an empty ledger.
    pub fn read(path: &Path) -> Result<Ledger, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Ledger::default()),
            Err(e) => return Err(format!("cannot read `{}`: {e}", path.display())),
        };
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            let [location, kind, sql, message] = fields[..] else {
                return Err(format!(
                    "`{}` line {}: expected 4 tab-separated fields (location, outcome, SQL, message)\nhint: rewrite it with XORQ_SLT_BLESS=1",
                    path.display(),
                    n + 1
                ));
            };
            entries.insert(
                unescape(location),
                Entry { kind: kind.to_string(), sql: unescape(sql), message: unescape(message) },
            );
        }
        Ok(Ledger { entries })
    }

    /// Writes the ledger to `path`, in the order of `order` (locations as the run met them),
    /// then any others.
    pub fn write(&self, path: &Path, order: &[String]) -> Result<(), String> {
        let mut text = String::from(
            "# Records of DataFusion's sqllogictest files that xorq does not pass yet (see README.md).\n\
             # location\toutcome\tSQL\tmessage; rewrite with XORQ_SLT_BLESS=1\n",
        );
        let mut written = std::collections::BTreeSet::new();
        let rest: Vec<&String> = self.entries.keys().filter(|k| !order.contains(k)).collect();
        for location in order.iter().chain(rest) {
            if let Some(e) = self.entries.get(location)
                && written.insert(location.clone())
            {
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    escape(location),
                    e.kind,
                    escape(&e.sql),
                    escape(&e.message)
                ));
            }
        }
        std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The deliberate differences: rules the runner applies by name (`rule:<name>`), each with its
/// reason. A rule missing from the file is not applied.
pub struct Deliberate {
    rules: BTreeMap<String, String>,
}

impl Deliberate {
    /// Reads `path`: `rule:<name>\t<reason>` lines; `#` starts a comment.
    pub fn read(path: &Path) -> Result<Deliberate, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let mut rules = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let parsed = line.split_once('\t').and_then(|(k, r)| Some((k.strip_prefix("rule:")?, r.trim())));
            match parsed {
                Some((name, reason)) if KNOWN_RULES.contains(&name) && !reason.is_empty() => {
                    rules.insert(name.to_string(), reason.to_string());
                }
                _ => {
                    return Err(format!(
                        "`{}` line {}: expected `rule:<name><TAB><reason>` with a rule of {KNOWN_RULES:?}",
                        path.display(),
                        n + 1
                    ));
                }
            }
        }
        Ok(Deliberate { rules })
    }

    /// The reason of rule `name`, if the file lists it.
    pub fn rule(&self, name: &str) -> Option<&str> {
        self.rules.get(name).map(String::as_str)
    }
}

/// The rules the runner knows how to apply.
const KNOWN_RULES: [&str; 6] =
    ["unordered", "limit-without-order", "session-setting", "dictionary-encoding", "order-ties", "integer-overflow"];

/// Counts of outcomes.
#[derive(Clone, Copy, Default)]
pub struct Counts {
    pub passed: usize,
    pub refused: usize,
    pub deliberate: usize,
    pub differing: usize,
    pub not_reproduced: usize,
    pub no_data: usize,
    pub not_a_query: usize,
}

impl Counts {
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Refused(_) => self.refused += 1,
            Outcome::Deliberate(_) => self.deliberate += 1,
            Outcome::Differing(_) => self.differing += 1,
            Outcome::NotReproduced(_) => self.not_reproduced += 1,
            Outcome::NoData(_) => self.no_data += 1,
            Outcome::NotAQuery => self.not_a_query += 1,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.passed += other.passed;
        self.refused += other.refused;
        self.deliberate += other.deliberate;
        self.differing += other.differing;
        self.not_reproduced += other.not_reproduced;
        self.no_data += other.no_data;
        self.not_a_query += other.not_a_query;
    }

    /// The header of [`Counts`]' table rows.
    pub const HEADER: [&'static str; 7] =
        ["passed", "refused", "deliberate", "differing", "not reproduced", "no data", "not a query"];

    fn values(&self) -> [usize; 7] {
        [
            self.passed,
            self.refused,
            self.deliberate,
            self.differing,
            self.not_reproduced,
            self.no_data,
            self.not_a_query,
        ]
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (v, h) in self.values().iter().zip(Counts::HEADER) {
            write!(f, " {v:>w$}", w = h.len().max(5))?;
        }
        Ok(())
    }
}
