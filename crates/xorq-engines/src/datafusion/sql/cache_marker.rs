//! Markers in SQL text: a comment `-- xorq: cache [modification-time|snapshot] [ttl=1h]`
//! (or the same inside `/* … */`) right before a CTE caches that CTE; at the start of the query,
//! before `WITH` or `SELECT`, it caches the whole result. `-- xorq: tag <name>` before a CTE
//! tags it (`Table::tag`), so `xorq run-unbound`/`serve-unbound --to-unbind-tag <name>` can
//! leave it open; a CTE may carry one marker of each kind (the tag is inside the cache).
//!
//! DataFusion's parser drops comments, so the markers are found in the token stream, which
//! keeps them, and tied to the CTE whose name is the next token. A marked CTE's query is then
//! wrapped as `WITH __xorq_cache_<n> AS (<query>) SELECT * FROM __xorq_cache_<n>` (a CTE, not a
//! derived table, whose `ORDER BY` DataFusion's planner would drop): the lifter turns the
//! reference to `__xorq_cache_<n>` into a cache node over the lifted query, and the `SELECT *`
//! (which changes nothing) disappears, so a marked CTE has the address of the same logic cached
//! with the Rust API. A marker for the whole query caches the lifted root.

use datafusion::sql::sqlparser::ast::{Query, Spanned, Statement};
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
}

/// One marker: where it is and what it asks for.
#[derive(Debug)]
struct Marker {
    at: Pos,
    mark: Mark,
    /// Position of the first token after the marker.
    target: Option<Pos>,
}

const SYNTAX: &str = "write `-- xorq: cache`, optionally followed by `modification-time` or `snapshot` and `ttl=<duration>` (`ttl=3600`, `ttl=90m`, `ttl=1d`)";
const DIRECTIVES: &str = "the directives are `cache` (`-- xorq: cache [modification-time|snapshot] [ttl=1h]`) and `tag` (`-- xorq: tag <name>`)";

/// Parses the text after `xorq:` in a comment.
fn directive(text: &str, at: Pos, locator: &Locator<'_>) -> Result<Mark> {
    let mut words = text.split_whitespace();
    match words.next() {
        Some(w) if w.eq_ignore_ascii_case("cache") => {}
        Some(w) if w.eq_ignore_ascii_case("tag") => {
            return match (words.next(), words.next()) {
                (Some(name), None) => Ok(Mark::Tag(name.to_string())),
                _ => Err(locator.error("a tag marker names one tag: `-- xorq: tag <name>`", Some(at))),
            };
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
    Ok(Mark::Cache(match ttl {
        Some(secs) => strategy.with_ttl(std::time::Duration::from_secs(secs)),
        None => strategy,
    }))
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
}

/// Finds the markers of `sql` and wraps the CTEs they mark in `statement` (a tag inside a
/// cache, whatever their order in the text).
pub(crate) fn apply(sql: &str, statement: &mut Statement, locator: &Locator<'_>) -> Result<Marked> {
    let mut markers = markers(sql, locator)?;
    let mut marked = Marked::default();
    if markers.is_empty() {
        return Ok(marked);
    }
    let Statement::Query(query) = statement else { return Ok(marked) };
    let start = {
        let s = query.span().start;
        (s.line, s.column)
    };
    // Tags first, so that a CTE marked both ways is cached over its tag.
    markers.sort_by_key(|m| !matches!(m.mark, Mark::Tag(_)));
    let mut done: Vec<(usize, bool)> = Vec::new();
    for m in &markers {
        let n = marked.ctes.len();
        let is_tag = matches!(m.mark, Mark::Tag(_));
        let misplaced = || {
            locator.error(
                "this marker marks nothing: put `-- xorq: cache` (or `-- xorq: tag <name>`) on the line before a CTE (`name AS (…)`), or a cache marker before the query's first word",
                Some(m.at),
            )
        };
        let target = m.target.ok_or_else(misplaced)?;
        let cte = query.with.as_mut().and_then(|w| {
            w.cte_tables.iter_mut().position(|c| {
                let s = c.alias.name.span.start;
                (s.line, s.column) == target
            })
        });
        match (cte, &m.mark) {
            (Some(i), mark) if !done.contains(&(i, is_tag)) => {
                let Some(with) = query.with.as_mut() else { return Err(misplaced()) };
                let cte = &mut with.cte_tables[i];
                let body = std::mem::replace(&mut *cte.query, template(n)?);
                *cte.query = wrap(body, n)?;
                done.push((i, is_tag));
                marked.ctes.push(mark.clone());
            }
            (None, Mark::Cache(strategy)) if target == start && marked.whole.is_none() => {
                marked.whole = Some(*strategy)
            }
            (None, Mark::Tag(_)) if target == start => {
                return Err(locator.error(
                    "a tag marks a CTE, not the whole query: put `-- xorq: tag <name>` on the line before `name AS (…)`",
                    Some(m.at),
                ));
            }
            _ if target == start || cte.is_some() => {
                return Err(locator.error(
                    "a second marker of the same kind for the same query; one cache and one tag marker per CTE (and one cache marker for the whole query)",
                    Some(m.at),
                ));
            }
            _ => return Err(misplaced()),
        }
    }
    Ok(marked)
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
