//! Positions in the SQL text: DataFusion's logical plan has no spans for most things, so a
//! construct is found again in the parsed statement (sqlparser spans) or in the token stream.

use std::ops::ControlFlow;

use datafusion::common::DataFusionError;
use datafusion::sql::sqlparser::ast::{
    Expr as AstExpr, FunctionArg, FunctionArgExpr, ObjectName, Spanned, Statement, TableFactor, Value, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

use crate::error::EngineError;

/// A 1-based line and column.
pub(crate) type Pos = (u64, u64);

/// Finds constructs of one SQL text.
pub(crate) struct Locator<'a> {
    sql: &'a str,
    /// The tokens, read the first time a construct is looked for (errors only, mostly): a large
    /// generated query is not held twice.
    tokens: std::cell::OnceCell<Vec<TokenWithSpan>>,
    /// Whether the text parsed, so constructs may be looked for in its statement.
    parsed: bool,
    /// The statement, parsed again the first time a construct is looked for in it: holding a
    /// copy of every statement for the rare error would double the memory of a large query.
    statement: std::cell::OnceCell<Option<Statement>>,
}

fn pos(l: Location) -> Option<Pos> {
    (l.line > 0 && l.column > 0).then_some((l.line, l.column))
}

fn last_ident(name: &ObjectName) -> Option<String> {
    name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone())
}

impl<'a> Locator<'a> {
    /// A locator over the tokens of `sql` (none if the text cannot be tokenized).
    pub(crate) fn new(sql: &'a str) -> Self {
        Locator { sql, tokens: std::cell::OnceCell::new(), parsed: false, statement: std::cell::OnceCell::new() }
    }

    fn tokens(&self) -> &[TokenWithSpan] {
        self.tokens
            .get_or_init(|| Tokenizer::new(&GenericDialect {}, self.sql).tokenize_with_location().unwrap_or_default())
    }

    /// Also search the statement: the text is known to parse.
    pub(crate) fn search_statement(&mut self) {
        self.parsed = true;
    }

    fn statement(&self) -> Option<&Statement> {
        if !self.parsed {
            return None;
        }
        self.statement
            .get_or_init(|| {
                Parser::new(&GenericDialect {})
                    .try_with_sql(self.sql)
                    .and_then(|mut p| p.parse_statements())
                    .ok()
                    .and_then(|statements| statements.into_iter().next())
            })
            .as_ref()
    }

    /// An error at `at`, or at the start of the statement when the construct was not found.
    pub(crate) fn error(&self, message: impl Into<String>, at: Option<Pos>) -> EngineError {
        let (line, column) = at.or_else(|| self.start()).unwrap_or((1, 1));
        EngineError::Sql { message: message.into(), line, column }
    }

    /// Where the first real token is.
    fn start(&self) -> Option<Pos> {
        self.tokens()
            .iter()
            .find(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .and_then(|t| pos(t.span.start))
    }

    /// Just after the last character, for "unexpected end of input".
    pub(crate) fn end(&self) -> Pos {
        let line = self.sql.lines().count().max(1);
        let last = self.sql.lines().last().unwrap_or("");
        (line as u64, last.chars().count() as u64 + 1)
    }

    fn visit<F: FnMut(&AstNode<'_>) -> Option<Pos>>(&self, mut f: F) -> Option<Pos> {
        let statement = self.statement()?;
        let mut finder = Finder { f: &mut f };
        match statement.visit(&mut finder) {
            ControlFlow::Break(p) => Some(p),
            ControlFlow::Continue(()) => None,
        }
    }

    /// The first call of a function named one of `names` (case-insensitive).
    pub(crate) fn function(&self, names: &[&str]) -> Option<Pos> {
        let is = |n: &str| names.iter().any(|m| m.eq_ignore_ascii_case(n));
        self.visit(|node| match node {
            AstNode::Expr(AstExpr::Function(f)) if last_ident(&f.name).is_some_and(|n| is(&n)) => {
                pos(f.name.span().start)
            }
            _ => None,
        })
        .or_else(|| self.call_token(names))
    }

    /// Which of `names` the text calls (a word followed by `(`), first in the text: how the
    /// query spelled a function that has aliases.
    pub(crate) fn called<'n>(&self, names: &[&'n str]) -> Option<&'n str> {
        let real: Vec<&TokenWithSpan> =
            self.tokens().iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
        real.windows(2).find_map(|w| match (&w[0].token, &w[1].token) {
            (Token::Word(word), Token::LParen) => names.iter().copied().find(|n| n.eq_ignore_ascii_case(&word.value)),
            _ => None,
        })
    }

    /// A word followed by `(`: functions the AST gives dedicated nodes (`EXTRACT`, `TRIM`, …).
    fn call_token(&self, names: &[&str]) -> Option<Pos> {
        let real: Vec<&TokenWithSpan> =
            self.tokens().iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
        real.windows(2).find_map(|w| match (&w[0].token, &w[1].token) {
            (Token::Word(word), Token::LParen) if names.iter().any(|n| n.eq_ignore_ascii_case(&word.value)) => {
                pos(w[0].span.start)
            }
            _ => None,
        })
    }

    /// The table function call `name(…)` whose first argument is `first` (any, if `None`).
    pub(crate) fn table_function(&self, name: &str, first: Option<&str>) -> Option<Pos> {
        self.visit(|node| match node {
            AstNode::Table(TableFactor::Table { name: n, args: Some(args), .. })
                if last_ident(n).is_some_and(|n| n.eq_ignore_ascii_case(name)) =>
            {
                let arg = args.args.first().and_then(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(AstExpr::Value(v))) => match &v.value {
                        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s.as_str()),
                        _ => None,
                    },
                    _ => None,
                });
                if first.is_none() || arg == first { pos(n.span().start) } else { None }
            }
            _ => None,
        })
    }

    /// Where table function calls without an alias are, in order.
    pub(crate) fn unaliased_table_functions(&self) -> Vec<Pos> {
        let mut found = Vec::new();
        self.visit(|node| {
            if let AstNode::Table(TableFactor::Table { name, args: Some(_), alias: None, .. }) = node
                && let Some(p) = pos(name.span().start)
            {
                found.push(p);
            }
            None
        });
        found
    }

    /// The first table reference whose name ends with `parts` (case-insensitive).
    pub(crate) fn relation(&self, parts: &[String]) -> Option<Pos> {
        self.visit(|node| match node {
            AstNode::Table(TableFactor::Table { name, args: None, .. }) => {
                let idents: Vec<String> = name.0.iter().filter_map(|p| p.as_ident()).map(|i| i.value.clone()).collect();
                let matches = idents.len() >= parts.len()
                    && idents[idents.len() - parts.len()..].iter().zip(parts).all(|(a, b)| a.eq_ignore_ascii_case(b));
                if matches { pos(name.span().start) } else { None }
            }
            _ => None,
        })
    }

    /// The first occurrence of these consecutive tokens: keywords and identifiers
    /// (case-insensitive) or symbols (`(`).
    pub(crate) fn keyword(&self, words: &[&str]) -> Option<Pos> {
        let real: Vec<&TokenWithSpan> =
            self.tokens().iter().filter(|t| !matches!(t.token, Token::Whitespace(_))).collect();
        if words.is_empty() || real.len() < words.len() {
            return None;
        }
        real.windows(words.len()).find_map(|w| {
            let all = w.iter().zip(words).all(|(t, k)| match &t.token {
                Token::Word(word) => word.value.eq_ignore_ascii_case(k),
                other => other.to_string() == *k,
            });
            if all { pos(w[0].span.start) } else { None }
        })
    }

    /// The first token spelled `text` (an identifier, case-insensitive, or a symbol).
    pub(crate) fn token(&self, text: &str) -> Option<Pos> {
        self.tokens().iter().find_map(|t| {
            let hit = match &t.token {
                Token::Word(w) => w.value.eq_ignore_ascii_case(text),
                Token::Whitespace(_) => false,
                other => other.to_string() == text,
            };
            if hit { pos(t.span.start) } else { None }
        })
    }

    /// The start of the span DataFusion attached to an error, if any.
    pub(crate) fn diagnostic(e: &DataFusionError) -> Option<Pos> {
        let span = e.diagnostic()?.span?;
        (span.start.line > 0 && span.start.column > 0).then_some((span.start.line, span.start.column))
    }

    /// The first backquoted name of a message, found in the text (a best effort for errors that
    /// carry no position: the IR's type errors name the function or operator that failed).
    pub(crate) fn named_in(&self, message: &str) -> Option<Pos> {
        let mut parts = message.split('`');
        parts.next()?;
        let name = parts.next()?;
        self.function(&[name]).or_else(|| self.token(name))
    }
}

/// What the statement visitor shows the search closure.
pub(crate) enum AstNode<'n> {
    Expr(&'n AstExpr),
    Table(&'n TableFactor),
}

struct Finder<'f, F: FnMut(&AstNode<'_>) -> Option<Pos>> {
    f: &'f mut F,
}

impl<F: FnMut(&AstNode<'_>) -> Option<Pos>> Visitor for Finder<'_, F> {
    type Break = Pos;

    fn pre_visit_expr(&mut self, expr: &AstExpr) -> ControlFlow<Pos> {
        match (self.f)(&AstNode::Expr(expr)) {
            Some(p) => ControlFlow::Break(p),
            None => ControlFlow::Continue(()),
        }
    }

    fn pre_visit_table_factor(&mut self, table_factor: &TableFactor) -> ControlFlow<Pos> {
        match (self.f)(&AstNode::Table(table_factor)) {
            Some(p) => ControlFlow::Break(p),
            None => ControlFlow::Continue(()),
        }
    }
}
