//! One `.slt` file, record by record. Statements (and records that are not queries) run in the
//! file's DataFusion session; each query is lifted by xorq's SQL front end over that session's
//! tables, run through xorq, and its answer compared with the recorded one. A query xorq does
//! not answer as recorded is also run by DataFusion here: when DataFusion itself does not give
//! the recorded answer in this harness (a table DataFusion's runner registers in code, a missing
//! feature), the record says nothing about xorq and is counted as not reproduced.

use std::collections::{BTreeSet, HashMap};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use sqllogictest::{Condition, Control, QueryExpect, Record, ResultMode, SortMode, StatementExpect};
use tokio::runtime::Runtime;
use xorq::{Execute, SqlOptions, sql_to_table_with};

use crate::compare::{Expected, Letter, Verdict, compare};
use crate::engine::{self, Answer, Kind};
use crate::format;
use crate::ledger::{Deliberate, Outcome};
use crate::resolver::SessionTables;

/// The labels DataFusion's runner gives its engine (`onlyif`/`skipif` conditions).
const LABELS: [&str; 2] = ["Datafusion", "DataFusion"];

/// One checked record.
pub struct Checked {
    /// Where it is: `file:line`, with ` > part:line` for included files.
    pub location: String,
    /// Its SQL.
    pub sql: String,
    /// What happened.
    pub outcome: Outcome,
}

/// What xorq did with a query.
#[derive(Clone)]
enum Xorq {
    Answer(Answer),
    /// The front end did not accept it.
    Refused(String),
    /// It was accepted but failed while running (or panicked).
    Failed(String),
}

/// The state of one file's run.
struct FileRun<'a> {
    ctx: &'a SessionContext,
    rt: &'a Runtime,
    tables: SessionTables<'a>,
    deliberate: &'a Deliberate,
    root: String,
    top: &'a Path,
    /// Tables whose data files are not here, and tables made from them.
    missing: BTreeSet<String>,
    sort_mode: Option<SortMode>,
    result_mode: Option<ResultMode>,
    /// xorq's answers since the tables last changed, by SQL (TPC-H runs each query three times).
    memo: HashMap<String, Xorq>,
    checked: Vec<Checked>,
    /// `SET` statements in force: DataFusion's session takes them, a SQL pipeline has no
    /// session (xorq plans with DataFusion's defaults).
    settings: Vec<String>,
    /// Tables DataFusion reads as unbounded streams (`CREATE UNBOUNDED EXTERNAL TABLE`).
    unbounded: BTreeSet<String>,
}

/// Runs the file at `path` (under `top`, the `test_files` directory) and checks its records.
pub fn run_file(
    path: &Path,
    top: &Path,
    root: &str,
    deliberate: &Deliberate,
    rt: &Runtime,
) -> Result<Vec<Checked>, String> {
    let records = sqllogictest::parse_file::<Letter>(path).map_err(|e| format!("{e}"))?;
    let ctx = engine::session();
    let mut run = FileRun {
        ctx: &ctx,
        rt,
        tables: SessionTables::new(&ctx, rt),
        deliberate,
        root: root.to_string(),
        top,
        missing: BTreeSet::new(),
        sort_mode: None,
        result_mode: None,
        memo: HashMap::new(),
        checked: Vec::new(),
        settings: Vec::new(),
        unbounded: BTreeSet::new(),
    };
    for record in records {
        match record {
            Record::Halt { .. } => break,
            Record::Statement { loc, conditions, sql, expected, .. } => {
                if skipped(&conditions) {
                    continue;
                }
                let expects_error = matches!(expected, StatementExpect::Error(_));
                if expects_error && engine::kind(&sql) == Kind::Query {
                    // A query DataFusion rejects: xorq must not answer it either.
                    let outcome = run.query(&sql, &Expected::Error);
                    run.push(&loc, sql, outcome);
                } else {
                    run.statement(&sql);
                }
            }
            Record::Query { loc, conditions, sql, expected, .. } => {
                if skipped(&conditions) {
                    continue;
                }
                if engine::kind(&sql) != Kind::Query {
                    run.statement(&sql);
                    run.push(&loc, sql, Outcome::NotAQuery);
                    continue;
                }
                let expected = match expected {
                    QueryExpect::Error(_) => Expected::Error,
                    QueryExpect::Results { types, sort_mode, results, .. } => Expected::Rows {
                        types: types.iter().map(sqllogictest::ColumnType::to_char).collect(),
                        sort_mode: sort_mode.or(run.sort_mode),
                        valuewise: run.result_mode == Some(ResultMode::ValueWise),
                        lines: results,
                    },
                };
                let outcome = run.query(&sql, &expected);
                run.push(&loc, sql, outcome);
            }
            Record::Control(Control::SortMode(mode)) => run.sort_mode = Some(mode),
            Record::Control(Control::ResultMode(mode)) => run.result_mode = Some(mode),
            // Includes are already expanded; `system`, `sleep`, `let`, subtests and connections
            // are not used by the vendored files.
            _ => {}
        }
    }
    Ok(run.checked)
}

fn skipped(conditions: &[Condition]) -> bool {
    conditions.iter().any(|c| match c {
        Condition::OnlyIf { label } => !LABELS.contains(&label.as_str()),
        Condition::SkipIf { label } => LABELS.contains(&label.as_str()),
    })
}

impl FileRun<'_> {
    fn push(&mut self, loc: &sqllogictest::Location, sql: String, outcome: Outcome) {
        self.checked.push(Checked { location: location(loc, self.top), sql, outcome });
    }

    /// Runs a statement in DataFusion. Its outcome is not judged (that is DataFusion's own
    /// suite); a table whose data file is missing here is remembered, as is one made from it
    /// (DataFusion may accept a missing location as an empty table).
    fn statement(&mut self, sql: &str) {
        let kind = engine::kind(sql);
        if kind == Kind::Setting {
            let upper = sql.trim_start().to_ascii_uppercase();
            if upper.starts_with("RESET") {
                self.settings.clear();
            } else if changes_answers(&upper) {
                self.settings.push(sql.trim().to_string());
            }
            let _ = self.rt.block_on(engine::run(self.ctx, sql, &self.root));
            return;
        }
        // Its outcome is DataFusion's business; only its effect on the tables matters here.
        let _ = self.rt.block_on(engine::run(self.ctx, sql, &self.root));
        self.tables.clear();
        self.memo.clear();
        match kind {
            Kind::External { table, locations, unbounded } => {
                if unbounded {
                    self.unbounded.insert(table.clone());
                } else {
                    self.unbounded.remove(&table);
                }
                let absent =
                    |l: &String| !l.contains("://") && !l.starts_with("test_files/scratch") && !Path::new(l).exists();
                if locations.iter().any(absent) {
                    self.missing.insert(table);
                } else {
                    self.missing.remove(&table);
                }
            }
            Kind::Other { creates: Some(table) } => {
                if engine::tables_read(sql).iter().any(|t| self.missing.contains(t)) {
                    self.missing.insert(table);
                } else {
                    self.missing.remove(&table);
                }
            }
            _ => {}
        }
    }

    fn query(&mut self, sql: &str, expected: &Expected) -> Outcome {
        if let Some(t) = engine::tables_read(sql).into_iter().find(|t| self.missing.contains(t)) {
            return Outcome::NoData(format!("table `{t}` reads DataFusion test data that is not here"));
        }
        let xorq = match self.memo.get(sql) {
            Some(x) => x.clone(),
            None => {
                let x = self.xorq(sql);
                self.memo.insert(sql.to_string(), x.clone());
                x
            }
        };
        let candidate = match (&xorq, expected) {
            (Xorq::Refused(_) | Xorq::Failed(_), Expected::Error) => return Outcome::Passed,
            (Xorq::Answer(_), Expected::Error) => {
                // DataFusion refuses some plans over an unbounded stream (a sort, say); xorq's
                // sources are files, always bounded, so the record does not apply.
                if let Some(t) = engine::tables_read(sql).into_iter().find(|t| self.unbounded.contains(t)) {
                    return Outcome::NotReproduced(format!(
                        "DataFusion's error is about table `{t}` being an unbounded stream; xorq reads it as a bounded file"
                    ));
                }
                Outcome::Differing("xorq answered; DataFusion's recorded result is an error".into())
            }
            (Xorq::Refused(m), Expected::Rows { .. }) => Outcome::Refused(m.clone()),
            // xorq's error shows the operands and the type they overflow: DataFusion's recorded
            // answer is the wrapped-around value.
            (Xorq::Failed(m), Expected::Rows { .. })
                if m.contains("arithmetic overflow in `")
                    && let Some(reason) = self.deliberate.rule("integer-overflow") =>
            {
                return Outcome::Deliberate(reason.to_string());
            }
            (Xorq::Failed(m), Expected::Rows { .. }) => Outcome::Differing(format!("xorq failed: {m}")),
            (Xorq::Answer(a), Expected::Rows { .. }) => match compare(a, expected) {
                Verdict::Same => return Outcome::Passed,
                Verdict::OrderOnly if !has_order_by(sql) => match self.deliberate.rule("unordered") {
                    Some(reason) => return Outcome::Deliberate(reason.to_string()),
                    None => Outcome::Differing("the same rows in another order (no ORDER BY)".into()),
                },
                Verdict::OrderOnly => {
                    match ties_only(sql, a, expected).then(|| self.deliberate.rule("order-ties")).flatten() {
                        Some(reason) => return Outcome::Deliberate(reason.to_string()),
                        None => Outcome::Differing("the same rows in another order".into()),
                    }
                }
                Verdict::Different(why) => match self.any_rows_of(sql, a, expected) {
                    Some(reason) => return Outcome::Deliberate(reason),
                    None => match self.dictionary_only(sql, a, expected) {
                        Some(reason) => return Outcome::Deliberate(reason),
                        None => Outcome::Differing(why),
                    },
                },
            },
        };
        // A session setting xorq cannot see explains a different answer.
        if matches!(candidate, Outcome::Differing(_))
            && !self.settings.is_empty()
            && let Some(reason) = self.deliberate.rule("session-setting")
        {
            return Outcome::Deliberate(format!("{reason} (in force: {})", self.settings.join("; ")));
        }
        // Does DataFusion itself give the recorded answer here?
        let reproduced = match self.rt.block_on(engine::run(self.ctx, sql, &self.root)) {
            Ok(answer) => match expected {
                Expected::Error => Err("DataFusion answers here".to_string()),
                Expected::Rows { .. } => match compare(&answer, expected) {
                    Verdict::Same | Verdict::OrderOnly => Ok(()),
                    Verdict::Different(why) => Err(format!("DataFusion here: {why}")),
                },
            },
            Err(e) => match expected {
                Expected::Error => Ok(()),
                Expected::Rows { .. } => Err(format!("DataFusion here: {}", first_line(&e))),
            },
        };
        match reproduced {
            Err(why) => Outcome::NotReproduced(why),
            Ok(()) => candidate,
        }
    }

    /// The `dictionary-encoding` reason when the query casts to a dictionary type and xorq's
    /// answer is the recorded one but for the columns DataFusion records as `?` (a dictionary):
    /// the IR's logical types keep the values, not the encoding.
    fn dictionary_only(&self, sql: &str, answer: &Answer, expected: &Expected) -> Option<String> {
        let Expected::Rows { types, sort_mode, valuewise, lines } = expected else { return None };
        if !sql.contains("Dictionary(") || answer.types.len() != types.len() {
            return None;
        }
        let only_dictionaries =
            answer.types.chars().zip(types.chars()).all(|(ours, recorded)| ours == recorded || recorded == '?');
        if !only_dictionaries {
            return None;
        }
        let relabelled = Expected::Rows {
            types: answer.types.clone(),
            sort_mode: *sort_mode,
            valuewise: *valuewise,
            lines: lines.clone(),
        };
        matches!(compare(answer, &relabelled), Verdict::Same | Verdict::OrderOnly)
            .then(|| self.deliberate.rule("dictionary-encoding").map(str::to_string))
            .flatten()
    }

    /// For a query whose outermost `LIMIT` has no `ORDER BY` (any rows may be returned): the
    /// `limit-without-order` reason when xorq's answer has the recorded types and row count and
    /// every row of it is a row of DataFusion's answer without the `LIMIT`.
    fn any_rows_of(&self, sql: &str, answer: &Answer, expected: &Expected) -> Option<String> {
        let reason = self.deliberate.rule("limit-without-order")?;
        let Expected::Rows { types, lines, .. } = expected else { return None };
        if answer.types != *types || answer.rows.len() != lines.len() {
            return None;
        }
        let unlimited = without_limit(sql)?;
        let all = self.rt.block_on(engine::run(self.ctx, &unlimited, &self.root)).ok()?;
        let mut pool: HashMap<&Vec<String>, usize> = HashMap::new();
        for row in &all.rows {
            *pool.entry(row).or_default() += 1;
        }
        for row in &answer.rows {
            let left = pool.get_mut(row).filter(|n| **n > 0)?;
            *left -= 1;
        }
        Some(reason.to_string())
    }

    /// Lifts, runs and formats `sql` through xorq.
    fn xorq(&self, sql: &str) -> Xorq {
        let attempt = catch_unwind(AssertUnwindSafe(|| {
            let table = match sql_to_table_with(sql, &self.tables, &SqlOptions::default()) {
                Ok(t) => t,
                Err(e) => return Xorq::Refused(e.to_string()),
            };
            let batches = match table.execute() {
                Ok(b) => b,
                Err(e) => return Xorq::Failed(e.to_string()),
            };
            let schema = batches.first().map(|b| b.schema()).unwrap_or_else(|| table.schema().to_arrow().into());
            match format::rows(&batches, &self.root) {
                Ok(rows) => Xorq::Answer(Answer {
                    types: format::type_letters(&schema),
                    rows,
                    names: schema.fields().iter().map(|f| f.name().clone()).collect(),
                }),
                Err(e) => Xorq::Failed(format!("formatting the answer: {e}")),
            }
        }));
        attempt.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Xorq::Failed(format!("panicked: {message}"))
        })
    }
}

/// Whether a `SET` can change an answer (how SQL is read, the time zone), rather than only how a
/// plan runs (`datafusion.execution.*` but the time zone, `datafusion.optimizer.*`).
fn changes_answers(upper: &str) -> bool {
    let time_zone = upper.contains("TIME ZONE") || upper.contains("TIME_ZONE");
    time_zone || !(upper.contains("DATAFUSION.EXECUTION.") || upper.contains("DATAFUSION.OPTIMIZER."))
}

/// Whether xorq's rows and the recorded ones (the same multiset) differ in order only among rows
/// whose `ORDER BY` keys are equal: the keys, read in both orders, are the same sequence. Only
/// for keys that are output columns (by name or position) and cells without spaces.
fn ties_only(sql: &str, answer: &Answer, expected: &Expected) -> bool {
    use datafusion::sql::sqlparser::ast::{Expr as AstExpr, OrderByKind, Value as AstValue};
    let Expected::Rows { lines, valuewise: false, sort_mode: None, .. } = expected else { return false };
    let Some(Statement::Query(q)) = Parser::parse_sql(&GenericDialect {}, sql).ok().and_then(|mut s| s.pop()) else {
        return false;
    };
    let Some(OrderByKind::Expressions(items)) = q.order_by.map(|o| o.kind) else { return false };
    let mut keys = Vec::with_capacity(items.len());
    for item in &items {
        let index = match &item.expr {
            AstExpr::Identifier(id) => answer.names.iter().position(|n| n.eq_ignore_ascii_case(&id.value)),
            AstExpr::Value(v) => match &v.value {
                AstValue::Number(n, _) => n.parse::<usize>().ok().and_then(|n| n.checked_sub(1)),
                _ => None,
            },
            _ => None,
        };
        match index {
            Some(i) => keys.push(i),
            None => return false,
        }
    }
    if answer.rows.iter().flatten().any(|c| c.contains(' ')) || lines.len() != answer.rows.len() {
        return false;
    }
    answer.rows.iter().zip(lines).all(|(ours, recorded)| {
        let theirs: Vec<&str> = recorded.split(' ').collect();
        theirs.len() == ours.len() && keys.iter().all(|k| theirs.get(*k).copied() == ours.get(*k).map(String::as_str))
    })
}

/// Whether the outermost query has an `ORDER BY`, which makes row order part of the answer.
fn has_order_by(sql: &str) -> bool {
    match Parser::parse_sql(&GenericDialect {}, sql).ok().and_then(|mut s| s.pop()) {
        Some(Statement::Query(q)) => q.order_by.is_some(),
        // Unparsable here: assume order matters, so no difference is excused.
        _ => true,
    }
}

/// `sql` without its outermost `LIMIT`/`OFFSET`/`FETCH`, when it has one and no `ORDER BY`.
fn without_limit(sql: &str) -> Option<String> {
    let Some(Statement::Query(mut q)) = Parser::parse_sql(&GenericDialect {}, sql).ok()?.pop() else { return None };
    if q.order_by.is_some() || (q.limit_clause.is_none() && q.fetch.is_none()) {
        return None;
    }
    q.limit_clause = None;
    q.fetch = None;
    Some(q.to_string())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// `file:line`, outermost first, files relative to `top`.
fn location(loc: &sqllogictest::Location, top: &Path) -> String {
    // `Location` shows itself as `file:line`, then `\nat file:line` for each including file.
    let top = format!("{}/", top.display());
    let mut parts: Vec<String> =
        loc.to_string().split("\nat ").map(|p| p.strip_prefix(top.as_str()).unwrap_or(p).to_string()).collect();
    parts.reverse();
    parts.join(" > ")
}
