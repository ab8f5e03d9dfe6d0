//! The 22 TPC-H queries (`queries/q1.sql` … `queries/q22.sql`, see `README.md` beside this file),
//! the one set of query texts of the repository, and what the tests and benchmarks derive from
//! them: the statements of a text, its single-`SELECT` form, the pipeline file a user would write
//! for `xorq build` (the table names replaced by sources), the tables it reads and its `ORDER BY`.
//!
//! Included by path (`#[path = …] mod queries;`) by the tests and benches of `crates/xorq` and by
//! the DuckDB bench of `crates/xorq-duckdb`; it uses only DataFusion's SQL parser.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::error::Error;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr as AstExpr, OrderByKind, Query as AstQuery, Spanned, Statement, TableFactor, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The eight TPC-H tables.
pub const TABLES: [&str; 8] = ["part", "supplier", "partsupp", "customer", "orders", "lineitem", "nation", "region"];

/// One TPC-H query.
#[derive(Clone, Copy, Debug)]
pub struct Query {
    /// 1 to 22.
    pub number: u8,
    /// `q1` … `q22`: the file's stem, and the query's name in ledgers and tables.
    pub name: &'static str,
    /// The text as in `queries/`, every statement of it (Q15 creates and drops a view).
    pub text: &'static str,
}

macro_rules! queries {
    ($($n:literal),*) => {
        [$(Query { number: $n, name: concat!("q", $n), text: include_str!(concat!("queries/q", $n, ".sql")) }),*]
    };
}

/// The 22 queries, in order.
pub const QUERIES: [Query; 22] =
    queries!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22);

/// The queries named in `list` (`q1,q5` or `1,5`), or all of them for `None` or an empty list.
pub fn select_queries(list: Option<&str>) -> Res<Vec<Query>> {
    let Some(list) = list.filter(|l| !l.trim().is_empty()) else { return Ok(QUERIES.to_vec()) };
    list.split(',')
        .map(|item| {
            let item = item.trim().trim_start_matches(['q', 'Q']);
            let n: u8 = item.parse().map_err(|_| format!("`{item}` is not a TPC-H query; name them q1 … q22"))?;
            QUERIES.iter().find(|q| q.number == n).copied().ok_or_else(|| format!("there is no TPC-H query {n}").into())
        })
        .collect()
}

/// What the statements of a query text are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The query itself.
    Select,
    /// `CREATE VIEW`, run before it.
    CreateView,
    /// `DROP VIEW`, run after it.
    DropView,
}

impl Query {
    /// The statements of the text, each as written (without its `;`), with their kinds.
    pub fn statements(&self) -> Res<Vec<(Kind, String)>> {
        split_statements(self.text)?
            .into_iter()
            .map(|s| {
                let first = s.split_whitespace().take(2).collect::<Vec<_>>().join(" ").to_ascii_lowercase();
                let kind = match first.as_str() {
                    "create view" => Kind::CreateView,
                    "drop view" => Kind::DropView,
                    _ if first.starts_with("select") || first.starts_with("with") => Kind::Select,
                    _ => {
                        return Err(
                            format!("{}: a statement that is neither a SELECT nor a view: {s}", self.name).into()
                        );
                    }
                };
                Ok((kind, s))
            })
            .collect()
    }

    /// The query as one `SELECT`: a view the text creates becomes a CTE of the same name and
    /// columns (Q15), so it can be a pipeline file; the other queries are their text.
    pub fn select(&self) -> Res<String> {
        let statements = self.statements()?;
        let mut ctes = Vec::new();
        let mut select = None;
        for (kind, text) in statements {
            match kind {
                Kind::CreateView => ctes.push(view_as_cte(&text)?),
                Kind::DropView => {}
                Kind::Select if select.is_none() => select = Some(text),
                Kind::Select => return Err(format!("{} has more than one SELECT", self.name).into()),
            }
        }
        let select = select.ok_or_else(|| format!("{} has no SELECT", self.name))?;
        Ok(if ctes.is_empty() { select } else { format!("with {}\n{select}", ctes.join(",\n")) })
    }

    /// The single `SELECT` with each TPC-H table replaced by `source(table)`, keeping the name
    /// the query uses for it (`nation n1` becomes `<source> n1`, `lineitem` becomes
    /// `<source> AS lineitem`): the pipeline file a user writes for `xorq build`, e.g. with
    /// `read_parquet('…/lineitem')` as the source.
    pub fn pipeline(&self, source: impl Fn(&str) -> String) -> Res<String> {
        let text = self.select()?;
        let refs = table_refs(&text)?;
        let starts = line_starts(&text);
        let mut out = text.clone();
        // From the last reference back, so earlier offsets stay valid.
        for r in refs.iter().rev() {
            let (from, to) = (offset(&text, &starts, r.start)?, offset(&text, &starts, r.end)?);
            if !text[from..to].eq_ignore_ascii_case(&r.table) {
                return Err(format!("{}: the table name `{}` is not at its recorded place", self.name, r.table).into());
            }
            let replacement =
                if r.aliased { source(&r.table) } else { format!("{} AS {}", source(&r.table), &text[from..to]) };
            out.replace_range(from..to, &replacement);
        }
        Ok(out)
    }

    /// The TPC-H tables the query reads.
    pub fn tables(&self) -> Res<BTreeSet<&'static str>> {
        let refs = table_refs(&self.select()?)?;
        Ok(TABLES.into_iter().filter(|t| refs.iter().any(|r| r.table == *t)).collect())
    }

    /// The output columns of the outer `ORDER BY`, in order (empty when the query does not
    /// order).
    pub fn order_keys(&self) -> Res<Vec<String>> {
        let statement = parse_one(&self.select()?)?;
        let Statement::Query(query) = statement else { return Err(format!("{} is not a query", self.name).into()) };
        let mut keys = Vec::new();
        if let Some(order) = &query.order_by {
            let OrderByKind::Expressions(exprs) = &order.kind else {
                return Err(format!("{}: `ORDER BY ALL` is not expected in TPC-H", self.name).into());
            };
            for e in exprs {
                match &e.expr {
                    AstExpr::Identifier(ident) => keys.push(ident.value.clone()),
                    other => {
                        return Err(format!("{}: the ORDER BY key `{other}` is not an output column", self.name).into());
                    }
                }
            }
        }
        Ok(keys)
    }
}

/// A reference to a TPC-H table in a query text: its name's position, and whether it has an
/// alias.
struct TableRef {
    table: String,
    start: Location,
    end: Location,
    aliased: bool,
}

/// The references to TPC-H tables in `sql`, in text order (CTE names are not tables).
fn table_refs(sql: &str) -> Res<Vec<TableRef>> {
    struct Collect {
        ctes: BTreeSet<String>,
        refs: Vec<TableRef>,
    }
    impl Visitor for Collect {
        type Break = ();
        fn pre_visit_query(&mut self, query: &AstQuery) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                self.ctes.extend(with.cte_tables.iter().map(|c| c.alias.name.value.to_ascii_lowercase()));
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table { name, alias, args: None, .. } = factor
                && let [part] = name.0.as_slice()
                && let Some(ident) = part.as_ident()
            {
                let table = ident.value.to_ascii_lowercase();
                if TABLES.contains(&table.as_str()) && !self.ctes.contains(&table) {
                    let span = name.span();
                    self.refs.push(TableRef { table, start: span.start, end: span.end, aliased: alias.is_some() });
                }
            }
            ControlFlow::Continue(())
        }
    }
    let statement = parse_one(sql)?;
    let mut collect = Collect { ctes: BTreeSet::new(), refs: Vec::new() };
    let _ = statement.visit(&mut collect);
    let mut refs = collect.refs;
    refs.sort_by_key(|r| (r.start.line, r.start.column));
    Ok(refs)
}

fn parse_one(sql: &str) -> Res<Statement> {
    let mut statements = Parser::new(&GenericDialect {}).try_with_sql(sql)?.parse_statements()?;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        n => Err(format!("expected one statement, found {n}: {sql}").into()),
    }
}

fn tokens(sql: &str) -> Res<Vec<TokenWithSpan>> {
    Ok(Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location()?)
}

/// The statements of `sql`, split at its semicolons (outside strings and comments), trimmed.
fn split_statements(sql: &str) -> Res<Vec<String>> {
    let starts = line_starts(sql);
    let mut out = Vec::new();
    let mut from = 0;
    for t in tokens(sql)? {
        if t.token == Token::SemiColon {
            let at = offset(sql, &starts, t.span.start)?;
            out.push(sql[from..at].trim().to_string());
            from = at + 1;
        }
    }
    out.push(sql[from..].trim().to_string());
    out.retain(|s| !s.is_empty());
    Ok(out)
}

/// `create view v (a, b) as <query>` as the CTE `v (a, b) as (<query>)`.
fn view_as_cte(statement: &str) -> Res<String> {
    let starts = line_starts(statement);
    let mut depth = 0i32;
    let mut seen_view = false;
    for t in tokens(statement)? {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Word(w) if w.keyword == Keyword::VIEW => seen_view = true,
            Token::Word(w) if w.keyword == Keyword::AS && depth == 0 && seen_view => {
                let view_end = statement.to_ascii_lowercase().find("view").map(|i| i + 4).unwrap_or(0);
                let at = offset(statement, &starts, t.span.start)?;
                let header = statement[view_end..at].trim();
                let body = statement[at + 2..].trim();
                return Ok(format!("{header} as (\n{body}\n)"));
            }
            _ => {}
        }
    }
    Err(format!("not a `CREATE VIEW … AS …` statement: {statement}").into())
}

/// The byte offset of each line's start.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

/// The byte offset of a tokenizer location (1-based line, 1-based column in characters).
fn offset(text: &str, starts: &[usize], at: Location) -> Res<usize> {
    let line_start = usize::try_from(at.line)
        .ok()
        .and_then(|l| l.checked_sub(1))
        .and_then(|l| starts.get(l))
        .ok_or_else(|| format!("no line {} in the query text", at.line))?;
    let column = usize::try_from(at.column)?.saturating_sub(1);
    let line = &text[*line_start..];
    let within = line.char_indices().nth(column).map_or(line.len(), |(i, _)| i);
    Ok(line_start + within)
}
