//! Markers in SQL text: a comment `-- xorq: cache [modification-time|snapshot] [ttl=1h]`
//! (or the same inside `/* … */`) right before a CTE caches that CTE; at the start of the query,
//! before `WITH` or `SELECT`, it caches the whole result. `-- xorq: tag <name>` before a CTE
//! tags it (`Table::tag`), so `xorq run-unbound`/`serve-unbound --to-unbind-tag <name>` can
//! leave it open. `-- xorq: into_backend <profile>` before a CTE moves its rows into the engine
//! of that profile (`Table::into_backend`), so what reads the CTE runs there. A CTE may carry one
//! marker of each kind: the tag innermost, then the move, then the cache.
//!
//! `-- xorq: param <name> <SQL type> [default <value>]`, anywhere in the text, declares the
//! parameter `$name`: its type (instead of the one inferred from its use) and the value a run
//! that binds none uses.
//!
//! DataFusion's parser drops comments, so the markers are found in the token stream, which
//! keeps them, and tied to the CTE whose name is the next token. A marked CTE's query is then
//! wrapped as `WITH __xorq_cache_<n> AS (<query>) SELECT * FROM __xorq_cache_<n>` (a CTE, not a
//! derived table, whose `ORDER BY` DataFusion's planner would drop): the lifter turns the
//! reference to `__xorq_cache_<n>` into a cache node over the lifted query, and the `SELECT *`
//! (which changes nothing) disappears, so a marked CTE has the address of the same logic cached
//! with the Rust API. A marker for the whole query caches the lifted root. A declared
//! parameter's every `$name` becomes `CAST($name AS <type>)`, which the lifter reads as the
//! parameter's type.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    CastKind, DataType as SqlType, Expr as AstExpr, Query, Spanned, Statement, Value, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer, Whitespace};
use xorq_core::CacheStrategy;
use xorq_core::plan::cache::parse_secs;

use super::locate::{Locator, Pos};
use crate::error::{EngineError, Result};

/// Alias prefix of the derived tables that stand for cache nodes (`__xorq_cache_0`, …).
pub(crate) const CACHE_ALIAS: &str = "__xorq_cache_";

/// What a marker asks for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Mark {
    /// Cache the CTE (or the query) with this strategy.
    Cache(CacheStrategy),
    /// Tag the CTE with this name.
    Tag(String),
    /// Move the CTE's rows into the engine of this profile.
    IntoBackend(String),
}

impl Mark {
    /// Order of application on one CTE: the tag innermost, then the move, then the cache.
    fn layer(&self) -> u8 {
        match self {
            Mark::Tag(_) => 0,
            Mark::IntoBackend(_) => 1,
            Mark::Cache(_) => 2,
        }
    }
}

/// A parameter declared with `-- xorq: param <name> <type> [default <value>]`.
#[derive(Clone, Debug)]
pub(crate) struct ParamDecl {
    /// The name, without `$`.
    pub name: String,
    /// The declared type, as SQL.
    pub sql_type: SqlType,
    /// The default as written (a string's quotes removed).
    pub default: Option<String>,
    /// Where the declaration is.
    pub at: Pos,
}

/// What one `xorq:` comment says.
#[derive(Debug)]
enum Directive {
    Mark(Mark),
    Param(ParamDecl),
}

/// One marker: where it is and what it asks for.
#[derive(Debug)]
struct Marker {
    at: Pos,
    mark: Directive,
    /// Position of the first token after the marker.
    target: Option<Pos>,
}

const SYNTAX: &str = "write `-- xorq: cache`, optionally followed by `modification-time` or `snapshot` and `ttl=<duration>` (`ttl=3600`, `ttl=90m`, `ttl=1d`)";
const DIRECTIVES: &str = "the directives are `cache` (`-- xorq: cache [modification-time|snapshot] [ttl=1h]`), `tag` (`-- xorq: tag <name>`), `into_backend` (`-- xorq: into_backend <profile>`) and `param` (`-- xorq: param <name> <type> [default <value>]`)";
const PARAM_SYNTAX: &str = "write `-- xorq: param <name> <SQL type> [default <value>]`, for example `-- xorq: param threshold DOUBLE default 100`";

/// Parses the text after `xorq:` in a comment.
fn directive(text: &str, at: Pos, locator: &Locator<'_>) -> Result<Directive> {
    let mut words = text.split_whitespace();
    match words.next() {
        Some(w) if w.eq_ignore_ascii_case("cache") => {}
        Some(w) if w.eq_ignore_ascii_case("tag") => {
            return match (words.next(), words.next()) {
                (Some(name), None) => Ok(Directive::Mark(Mark::Tag(name.to_string()))),
                _ => Err(locator.error("a tag marker names one tag: `-- xorq: tag <name>`", Some(at))),
            };
        }
        Some(w) if w.eq_ignore_ascii_case("into_backend") => {
            return match (words.next(), words.next()) {
                (Some(profile), None) => {
                    xorq_core::profile::check_name(profile).map_err(|e| locator.error(e.to_string(), Some(at)))?;
                    Ok(Directive::Mark(Mark::IntoBackend(profile.to_string())))
                }
                _ => Err(locator
                    .error("an into_backend marker names one profile: `-- xorq: into_backend <profile>`", Some(at))),
            };
        }
        Some(w) if w.eq_ignore_ascii_case("param") => {
            let rest = text.trim_start()[w.len()..].trim();
            return param_declaration(rest, at, locator).map(Directive::Param);
        }
        Some(other) => {
            return Err(locator.error(format!("unknown xorq directive `{other}`; {DIRECTIVES}"), Some(at)));
        }
        None => return Err(locator.error(format!("an empty xorq directive; {DIRECTIVES}"), Some(at))),
    }
    let mut strategy = CacheStrategy::modification_time();
    let mut ttl = None;
    let mut named = false;
    for word in words {
        if let Some(value) = word.strip_prefix("ttl=") {
            let secs = parse_secs(value).filter(|s| *s > 0).ok_or_else(|| {
                locator.error(
                    format!("`{value}` is not a time to live; use seconds (`3600`) or units (`90m`, `1h`, `1d`)"),
                    Some(at),
                )
            })?;
            ttl = Some(secs);
        } else if let Some(freshness) = xorq_core::Freshness::from_name(word).filter(|_| !named) {
            strategy = CacheStrategy::new(freshness);
            named = true;
        } else {
            return Err(locator.error(format!("unexpected `{word}` in the cache marker; {SYNTAX}"), Some(at)));
        }
    }
    Ok(Directive::Mark(Mark::Cache(match ttl {
        Some(secs) => strategy.with_ttl(std::time::Duration::from_secs(secs)),
        None => strategy,
    })))
}

/// `threshold DOUBLE default 100` → the declaration.
fn param_declaration(text: &str, at: Pos, locator: &Locator<'_>) -> Result<ParamDecl> {
    let error = |message: String| locator.error(message, Some(at));
    let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let name = name.trim_start_matches('$');
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(error(format!("`{name}` is not a parameter name; {PARAM_SYNTAX}")));
    }
    // The type runs up to the word `default` (any case), which is followed by the value.
    let lower = rest.to_ascii_lowercase();
    let split = lower.match_indices("default").find(|(i, _)| {
        let before = rest[..*i].chars().next_back();
        let after = rest[i + 7..].chars().next();
        before.is_none_or(char::is_whitespace) && after.is_none_or(char::is_whitespace)
    });
    let (type_text, default) = match split {
        Some((i, _)) => (rest[..i].trim(), Some(rest[i + 7..].trim())),
        None => (rest.trim(), None),
    };
    if type_text.is_empty() {
        return Err(error(format!("parameter `{name}` has no type; {PARAM_SYNTAX}")));
    }
    let sql_type = Parser::new(&GenericDialect {})
        .try_with_sql(type_text)
        .and_then(|mut p| {
            let t = p.parse_data_type()?;
            p.expect_token(&Token::EOF)?;
            Ok(t)
        })
        .ok()
        // An unknown word parses as a custom type, which no engine here has.
        .filter(|t| !matches!(t, SqlType::Custom(..)))
        .ok_or_else(|| error(format!("`{type_text}` is not a SQL type (parameter `{name}`); {PARAM_SYNTAX}")))?;
    let default = match default {
        None => None,
        Some("") => return Err(error(format!("parameter `{name}` says `default` but gives no value; {PARAM_SYNTAX}"))),
        Some(value) => Some(unquote(value).to_string()),
    };
    Ok(ParamDecl { name: name.to_string(), sql_type, default, at })
}

/// `'EU'` → `EU` (a SQL string literal's quotes; doubled quotes inside are not expected in a
/// default and are kept as written).
fn unquote(value: &str) -> &str {
    value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(value)
}

/// The markers of `sql`, in order.
fn markers(sql: &str, locator: &Locator<'_>) -> Result<Vec<Marker>> {
    // A marker is a comment that starts with `xorq:`; without that text there is none, and the
    // text need not be tokenized again (a generated query can be megabytes of constants).
    if !sql.as_bytes().windows(5).any(|w| w.eq_ignore_ascii_case(b"xorq:")) {
        return Ok(Vec::new());
    }
    let Ok(tokens) = Tokenizer::new(&GenericDialect {}, sql).tokenize_with_location() else {
        // The parser reports the text's own error.
        return Ok(Vec::new());
    };
    let mut out: Vec<Marker> = Vec::new();
    for t in &tokens {
        let text = match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, .. }) => comment.as_str(),
            Token::Whitespace(Whitespace::MultiLineComment(comment)) => comment.as_str(),
            Token::Whitespace(_) => continue,
            Token::EOF => break,
            _ => {
                for m in out.iter_mut().filter(|m| m.target.is_none()) {
                    m.target = Some((t.span.start.line, t.span.start.column));
                }
                continue;
            }
        };
        let trimmed = text.trim();
        let Some(rest) = trimmed.get(..5).filter(|p| p.eq_ignore_ascii_case("xorq:")).map(|_| &trimmed[5..]) else {
            continue;
        };
        let at = (t.span.start.line, t.span.start.column);
        out.push(Marker { at, mark: directive(rest, at, locator)?, target: None });
    }
    Ok(out)
}

/// The markers of one query.
#[derive(Debug, Default)]
pub(crate) struct Marked {
    /// What each wrapper stands for, by wrapper number (`__xorq_cache_<n>`).
    pub ctes: Vec<Mark>,
    /// The strategy of a marker for the whole query.
    pub whole: Option<CacheStrategy>,
    /// The declared parameters.
    pub params: Vec<ParamDecl>,
}

/// Finds the markers of `sql` and wraps the CTEs they mark in `statement` (a tag inside a
/// cache, whatever their order in the text).
pub(crate) fn apply(sql: &str, statement: &mut Statement, locator: &Locator<'_>) -> Result<Marked> {
    let mut markers = markers(sql, locator)?;
    let mut marked = Marked::default();
    if markers.is_empty() {
        return Ok(marked);
    }
    markers.retain(|m| match &m.mark {
        Directive::Param(p) => {
            marked.params.push(p.clone());
            false
        }
        Directive::Mark(_) => true,
    });
    declare_params(statement, &marked.params, locator)?;
    let Statement::Query(query) = statement else { return Ok(marked) };
    let start = {
        let s = query.span().start;
        (s.line, s.column)
    };
    // Innermost layer first (tag, move, cache), so a CTE marked several ways is wrapped in that
    // order whatever the order of the comments.
    let mut markers: Vec<(Pos, Mark, Option<Pos>)> = markers
        .into_iter()
        .filter_map(|m| match m.mark {
            Directive::Mark(mark) => Some((m.at, mark, m.target)),
            Directive::Param(_) => None,
        })
        .collect();
    markers.sort_by_key(|(_, mark, _)| mark.layer());
    let mut done: Vec<(usize, u8)> = Vec::new();
    for (at, mark, target) in &markers {
        let n = marked.ctes.len();
        let layer = mark.layer();
        let misplaced = || {
            locator.error(
                "this marker marks nothing: put `-- xorq: cache`, `-- xorq: tag <name>` or `-- xorq: into_backend <profile>` on the line before a CTE (`name AS (…)`), or a cache marker before the query's first word",
                Some(*at),
            )
        };
        let target = target.ok_or_else(misplaced)?;
        let cte = query.with.as_mut().and_then(|w| {
            w.cte_tables.iter_mut().position(|c| {
                let s = c.alias.name.span.start;
                (s.line, s.column) == target
            })
        });
        match (cte, mark) {
            (Some(i), mark) if !done.contains(&(i, layer)) => {
                let Some(with) = query.with.as_mut() else { return Err(misplaced()) };
                let cte = &mut with.cte_tables[i];
                let body = std::mem::replace(&mut *cte.query, template(n)?);
                *cte.query = wrap(body, n)?;
                done.push((i, layer));
                marked.ctes.push(mark.clone());
            }
            (None, Mark::Cache(strategy)) if target == start && marked.whole.is_none() => {
                marked.whole = Some(*strategy)
            }
            (None, Mark::Tag(_)) if target == start => {
                return Err(locator.error(
                    "a tag marks a CTE, not the whole query: put `-- xorq: tag <name>` on the line before `name AS (…)`",
                    Some(*at),
                ));
            }
            (None, Mark::IntoBackend(_)) if target == start => {
                return Err(locator.error(
                    "into_backend moves a CTE, not the whole query: put `-- xorq: into_backend <profile>` on the line before `name AS (…)` (what reads that CTE then runs in that engine)",
                    Some(*at),
                ));
            }
            _ if target == start || cte.is_some() => {
                return Err(locator.error(
                    "a second marker of the same kind for the same query; one cache and one tag marker per CTE (and one cache marker for the whole query)",
                    Some(*at),
                ));
            }
            _ => return Err(misplaced()),
        }
    }
    Ok(marked)
}

/// Gives every `$name` of a declared parameter its type (`CAST($name AS <type>)`); a parameter
/// declared twice, or declared and never used, is an error at its declaration.
fn declare_params(statement: &mut Statement, params: &[ParamDecl], locator: &Locator<'_>) -> Result<()> {
    if let Some((_, p)) = params.iter().enumerate().find(|(i, p)| params[..*i].iter().any(|q| q.name == p.name)) {
        return Err(locator.error(format!("parameter `{}` is declared twice; declare it once", p.name), Some(p.at)));
    }
    struct Declare<'p> {
        params: &'p [ParamDecl],
        used: Vec<bool>,
    }
    impl VisitorMut for Declare<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut AstExpr) -> ControlFlow<()> {
            let AstExpr::Value(v) = expr else { return ControlFlow::Continue(()) };
            let Value::Placeholder(id) = &v.value else { return ControlFlow::Continue(()) };
            let name = id.trim_start_matches(['$', ':', '@']);
            if let Some(i) = self.params.iter().position(|p| p.name == name) {
                self.used[i] = true;
                let placeholder = expr.clone();
                *expr = AstExpr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(placeholder),
                    data_type: self.params[i].sql_type.clone(),
                    array: false,
                    format: None,
                };
            }
            ControlFlow::Continue(())
        }
    }
    if params.is_empty() {
        return Ok(());
    }
    let mut visitor = Declare { params, used: vec![false; params.len()] };
    let _ = statement.visit(&mut visitor);
    if let Some(i) = visitor.used.iter().position(|u| !u) {
        let p = &params[i];
        return Err(locator
            .error(format!("parameter `{}` is declared but the query never uses `${}`", p.name, p.name), Some(p.at)));
    }
    Ok(())
}

fn template(n: usize) -> Result<Query> {
    let sql = format!("WITH {CACHE_ALIAS}{n} AS (SELECT 1) SELECT * FROM {CACHE_ALIAS}{n}");
    let statement = Parser::new(&GenericDialect {})
        .try_with_sql(&sql)
        .and_then(|mut p| p.parse_statement())
        .map_err(|e| EngineError::Internal(format!("the cache wrapper does not parse: {e}")))?;
    match statement {
        Statement::Query(q) => Ok(*q),
        _ => Err(EngineError::Internal("the cache wrapper is not a query".into())),
    }
}

/// `WITH __xorq_cache_<n> AS (<query>) SELECT * FROM __xorq_cache_<n>`.
fn wrap(query: Query, n: usize) -> Result<Query> {
    let mut outer = template(n)?;
    let cte = outer
        .with
        .as_mut()
        .and_then(|w| w.cte_tables.first_mut())
        .ok_or_else(|| EngineError::Internal("the cache wrapper has no CTE".into()))?;
    *cte.query = query;
    Ok(outer)
}

/// The wrapper number of a derived-table alias, if it stands for a cache node.
pub(crate) fn wrapper_index(alias: &str) -> Option<usize> {
    alias.strip_prefix(CACHE_ALIAS)?.parse().ok()
}
