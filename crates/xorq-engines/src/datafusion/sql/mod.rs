//! The SQL front end: one `SELECT` (CTEs, joins, subqueries, window functions, set operations,
//! …) over `read_parquet('…')` / `read_csv('…')` / `read_json('…')` or
//! `<profile>.<schema>.<table>` sources, parsed and planned by DataFusion's SQL layer, then
//! lifted into the IR through the [`Table`] builder, so checks, canonicalization and addresses are
//! those of the Rust API.
//!
//! The plan is lifted *unoptimized*: the user's logic is hashed, not the optimizer's rewrite.
//! Aliases of tables, subqueries and CTEs do not reach the IR, so renaming them keeps the
//! address. Output columns are named as in SQL: the alias, else the column's name, else
//! DataFusion's display name of the expression without table qualifiers (`sum(amount)`).
//!
//! ```no_run
//! use xorq_engines::datafusion::sql::{sql_to_table, NoBackends};
//! let t = sql_to_table(
//!     "SELECT region, sum(amount) AS total FROM read_parquet('sales.parquet') GROUP BY region",
//!     &NoBackends,
//! )?;
//! assert_eq!(t.columns(), ["region", "total"]);
//! # Ok::<(), xorq_engines::EngineError>(())
//! ```
//!
//! A comment `-- xorq: cache [modification-time|snapshot] [ttl=1h]` on the line before a CTE
//! caches that CTE (`Table::cache`); before the query's first word it caches the whole result.
//! `-- xorq: into_backend <profile>` before a CTE moves its rows into that profile's engine
//! (`Table::into_backend`); `-- xorq: param <name> <type> [default <value>]` declares `$name`.
//!
//! Subqueries are decorrelated as DataFusion's optimizer would: `IN`/`EXISTS` (correlated or
//! not, `NOT IN` null-aware) become semi and anti joins (`subquery.rs`), scalar subqueries become
//! joins with their aggregate, with the count bug handled (`scalar_subquery.rs`). `VALUES` and a
//! `SELECT` without `FROM` are in-memory tables (`values.rs`); `GROUPING SETS`, `ROLLUP` and
//! `CUBE` are the aggregate's grouping sets.
//!
//! Anything the IR cannot express (a function outside the catalogue, `LATERAL`, recursive CTEs,
//! …) is an [`EngineError::Sql`] naming the construct and its line and column.

mod cache_marker;
mod context;
pub mod functions;
mod lift_join;
mod lift_rel;
mod lift_scalar;
mod locate;
mod rel;
mod scalar_subquery;
mod sources;
mod subquery;
mod values;

use std::path::PathBuf;

use datafusion::common::DataFusionError;
use datafusion::sql::planner::{ParserOptions, SqlToRel};
use datafusion::sql::sqlparser::ast::{Spanned, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use xorq_core::Table;

pub use sources::{NoBackends, TableResolver};

use context::SqlContext;
use locate::{Locator, Pos};

use crate::error::{EngineError, Result};

/// How SQL text is read.
#[derive(Clone, Debug, Default)]
pub struct SqlOptions {
    /// Directory that relative paths of `read_parquet('…')` and friends are resolved against,
    /// typically the directory of the `.sql` file; the current directory when `None`.
    pub base_dir: Option<PathBuf>,
}

impl SqlOptions {
    /// Options that resolve relative file paths against `dir`.
    pub fn with_base_dir(dir: impl Into<PathBuf>) -> Self {
        SqlOptions { base_dir: Some(dir.into()) }
    }
}

/// The table one SQL `SELECT` computes, with file paths resolved against the current directory.
pub fn sql_to_table(sql: &str, resolver: &dyn TableResolver) -> Result<Table> {
    sql_to_table_with(sql, resolver, &SqlOptions::default())
}

/// The table one SQL `SELECT` computes.
pub fn sql_to_table_with(sql: &str, resolver: &dyn TableResolver, options: &SqlOptions) -> Result<Table> {
    let mut locator = Locator::new(sql);
    let mut statement = parse(sql, &locator)?;
    sources::normalize_table_function_args(&mut statement, &locator)?;
    if let Statement::Query(q) = &statement
        && q.with.as_ref().is_some_and(|w| w.recursive)
    {
        return Err(locator
            .error("a recursive CTE (`WITH RECURSIVE`) is not supported by xorq", locator.keyword(&["RECURSIVE"])));
    }
    locator.search_statement();
    let marked = cache_marker::apply(sql, &mut statement, &locator)?;
    let context = SqlContext::new(resolver, options.base_dir.as_deref(), &locator);
    let planner = SqlToRel::new_with_options(&context, ParserOptions::from(&context.options().sql_parser));
    let plan = planner.sql_statement_to_plan(statement).map_err(|e| plan_error(&e, &locator))?;
    let table = lift_rel::lift_root(&plan, &locator, &marked)?;
    match marked.whole {
        Some(strategy) => Ok(table.cache(strategy)?),
        None => Ok(table),
    }
}

fn parse(sql: &str, locator: &Locator<'_>) -> Result<Statement> {
    let statements = Parser::new(&GenericDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| parse_error(&e, locator))?;
    let mut it = statements.into_iter();
    let statement = it.next().ok_or_else(|| locator.error("the SQL text has no statement; write one SELECT", None))?;
    if let Some(second) = it.next() {
        let start = second.span().start;
        return Err(locator.error(
            "the SQL text has more than one statement; a pipeline is one SELECT",
            (start.line > 0).then_some((start.line, start.column)),
        ));
    }
    match statement {
        Statement::Query(_) => Ok(statement),
        other => {
            let kind = other.to_string().split_whitespace().next().unwrap_or("").to_uppercase();
            Err(locator.error(format!("only a SELECT query is supported, not `{kind}`"), None))
        }
    }
}

/// A parser error with the position it names (`… at Line: 3, Column: 14`), or the end of the
/// text for an unexpected end.
fn parse_error(e: &ParserError, locator: &Locator<'_>) -> EngineError {
    let text = match e {
        ParserError::TokenizerError(s) | ParserError::ParserError(s) => s.clone(),
        ParserError::RecursionLimitExceeded => "the query is nested too deeply".to_string(),
    };
    let (message, at) = match text.rsplit_once(" at Line: ") {
        Some((message, rest)) => (message.to_string(), parse_position(rest)),
        None => (text.clone(), None),
    };
    let at = at.or_else(|| message.contains("EOF").then(|| locator.end()));
    locator.error(format!("syntax error: {message}"), at)
}

fn parse_position(rest: &str) -> Option<Pos> {
    let (line, column) = rest.split_once(", Column: ")?;
    let column: String = column.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

/// A planning error: ours (raised while resolving sources, already placed) or DataFusion's,
/// placed at the span DataFusion attached or at the name it quotes.
fn plan_error(e: &DataFusionError, locator: &Locator<'_>) -> EngineError {
    if let Some(ours) = ours(e) {
        return match ours {
            EngineError::Sql { message, line, column } => {
                EngineError::Sql { message: message.clone(), line: *line, column: *column }
            }
            other => locator.error(other.to_string(), Locator::diagnostic(e)),
        };
    }
    let message = without_scan_qualifiers(e.find_root().message().trim());
    let unaliased = locator.unaliased_table_functions();
    if message.contains("duplicate qualified field name") && unaliased.len() > 1 {
        return locator.error(
            format!("{message}\nhint: give each table function an alias, e.g. `read_parquet('orders.parquet') AS o`"),
            unaliased.get(1).copied(),
        );
    }
    let quoted = message.split('\'').nth(1).filter(|q| !q.is_empty() && !q.contains(' '));
    let at =
        Locator::diagnostic(e).or_else(|| quoted.and_then(|q| locator.function(&[q]).or_else(|| locator.token(q))));
    locator.error(message, at)
}

/// An error of ours that DataFusion passed through, anywhere in its chain of sources.
fn ours(e: &DataFusionError) -> Option<&EngineError> {
    for top in e.iter() {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(top);
        while let Some(err) = current {
            if let Some(found) = err.downcast_ref::<EngineError>() {
                return Some(found);
            }
            if let Some(DataFusionError::External(inner)) = err.downcast_ref::<DataFusionError>()
                && let Some(found) = inner.downcast_ref::<EngineError>()
            {
                return Some(found);
            }
            current = err.source();
        }
    }
    None
}

/// DataFusion names the scan of a table function `"read_csv()"`; a message is clearer without
/// that qualifier (`'"read_csv()".amount'` → `'amount'`).
fn without_scan_qualifiers(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('"') {
        let after = &rest[start + 1..];
        let name_len = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with("()\".") {
            out.push_str(&rest[..start]);
            rest = &after[name_len + 4..];
        } else {
            out.push_str(&rest[..=start]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}
