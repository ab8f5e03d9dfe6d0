//! Sources of a SQL query: the `read_parquet` / `read_csv` / `read_json` table functions and
//! `<profile>.<schema>.<table>` names of backend tables.

use std::ops::ControlFlow;
use std::path::Path;

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr as DfExpr;
use datafusion::sql::sqlparser::ast::{
    Expr as AstExpr, FunctionArg, FunctionArgExpr, Ident, Statement, TableFactor, Value, VisitMut, VisitorMut,
};
use xorq_core::Table;
use xorq_core::plan::{CsvOptions, FileFormat, is_url};

use super::locate::{Locator, Pos};
use crate::error::{EngineError, Result};
use crate::probe::read_file;

/// Resolves `<profile>.<schema>.<table>` names of a SQL query to backend tables.
pub trait TableResolver {
    /// The table `path` (schema and table name, as written) of the backend profile `profile`.
    fn table(&self, profile: &str, path: &[String]) -> Result<Table>;

    /// The table an unqualified name (`FROM orders`) stands for, if this resolver has one.
    /// `None`, the default, gives the query the error that asks for a table function or a
    /// `<profile>.<schema>.<table>` name. The planner also asks for the names of CTEs; for those
    /// the answer is not used.
    fn bare_table(&self, _name: &str) -> Result<Option<Table>> {
        Ok(None)
    }
}

/// A resolver for when no backend is connected: every table name is an error that says so.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoBackends;

impl TableResolver for NoBackends {
    fn table(&self, profile: &str, path: &[String]) -> Result<Table> {
        let table = std::iter::once(profile).chain(path.iter().map(String::as_str)).collect::<Vec<_>>().join(".");
        Err(EngineError::NotConnected { profile: profile.to_string(), table })
    }
}

/// The table functions a query may read from.
pub(crate) const TABLE_FUNCTIONS: [&str; 3] = ["read_parquet", "read_csv", "read_json"];

/// Positional order of `read_csv`'s optional arguments.
const CSV_ARGS: [&str; 2] = ["delimiter", "header"];

fn csv_arg_position(name: &str) -> Option<usize> {
    match name.to_ascii_lowercase().as_str() {
        "delimiter" | "delim" | "sep" => Some(0),
        "header" | "has_header" => Some(1),
        _ => None,
    }
}

/// Rewrites `read_csv('p', header => false)` to positional arguments (`read_csv('p', ',', false)`),
/// since DataFusion's planner passes table functions positional arguments only. Unknown names
/// are reported with their position.
pub(crate) fn normalize_table_function_args(statement: &mut Statement, locator: &Locator<'_>) -> Result<()> {
    struct Rewrite<'l, 'a> {
        locator: &'l Locator<'a>,
    }
    impl VisitorMut for Rewrite<'_, '_> {
        type Break = EngineError;
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<EngineError> {
            let TableFactor::Table { name, args: Some(args), .. } = factor else { return ControlFlow::Continue(()) };
            let is_csv =
                name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| i.value.eq_ignore_ascii_case("read_csv"));
            if !is_csv || !args.args.iter().any(|a| matches!(a, FunctionArg::Named { .. })) {
                return ControlFlow::Continue(());
            }
            let mut positional: Vec<FunctionArg> = Vec::new();
            let mut named: [Option<FunctionArgExpr>; 2] = [None, None];
            for arg in std::mem::take(&mut args.args) {
                match arg {
                    FunctionArg::Named { name, arg, .. } => match csv_arg_position(&name.value) {
                        Some(i) => named[i] = Some(arg),
                        None => {
                            return ControlFlow::Break(self.locator.error(
                                format!(
                                    "read_csv has no option `{}`; its options are {}",
                                    name.value,
                                    CSV_ARGS.map(|a| format!("`{a}`")).join(", ")
                                ),
                                ident_pos(&name),
                            ));
                        }
                    },
                    other => positional.push(other),
                }
            }
            let defaults = [string_arg(","), FunctionArgExpr::Expr(AstExpr::Value(Value::Boolean(true).into()))];
            let mut out = positional;
            for (i, default) in defaults.into_iter().enumerate() {
                if out.len() <= i + 1 {
                    out.push(FunctionArg::Unnamed(named[i].take().unwrap_or(default)));
                }
            }
            args.args = out;
            ControlFlow::Continue(())
        }
    }
    match statement.visit(&mut Rewrite { locator }) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn ident_pos(ident: &Ident) -> Option<Pos> {
    let l = ident.span.start;
    (l.line > 0).then_some((l.line, l.column))
}

fn string_arg(s: &str) -> FunctionArgExpr {
    FunctionArgExpr::Expr(AstExpr::Value(Value::SingleQuotedString(s.to_string()).into()))
}

fn literal_string(e: &DfExpr) -> Option<&str> {
    match e {
        DfExpr::Literal(
            ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) | ScalarValue::Utf8View(Some(s)),
            _,
        ) => Some(s),
        _ => None,
    }
}

fn literal_bool(e: &DfExpr) -> Option<bool> {
    match e {
        DfExpr::Literal(ScalarValue::Boolean(Some(b)), _) => Some(*b),
        _ => None,
    }
}

/// Builds the table of a table function call. `Err` carries a message for the caller to locate.
pub(crate) fn table_function(name: &str, args: &[DfExpr], base_dir: Option<&Path>) -> Result<Table, String> {
    let lower = name.to_ascii_lowercase();
    if !TABLE_FUNCTIONS.contains(&lower.as_str()) {
        return Err(format!(
            "table function `{name}` is not supported; read sources with {}",
            TABLE_FUNCTIONS.map(|f| format!("`{f}('path')`")).join(", ")
        ));
    }
    let usage = if lower == "read_csv" {
        "read_csv('path' [, delimiter => ',' ] [, header => true ])".to_string()
    } else {
        format!("{lower}('path')")
    };
    let path =
        args.first().and_then(literal_string).ok_or_else(|| format!("`{lower}` takes a path string: {usage}"))?;
    let format = match lower.as_str() {
        "read_parquet" => FileFormat::Parquet,
        "read_json" => FileFormat::Json,
        _ => {
            let mut options = CsvOptions::default();
            if let Some(d) = args.get(1) {
                let d = literal_string(d)
                    .filter(|d| d.len() == 1)
                    .ok_or_else(|| format!("the delimiter of `read_csv` is one ASCII character in quotes: {usage}"))?;
                options.delimiter = d.as_bytes()[0];
            }
            if let Some(h) = args.get(2) {
                options.has_header =
                    literal_bool(h).ok_or_else(|| format!("`header` of `read_csv` is true or false: {usage}"))?;
            }
            FileFormat::Csv(options)
        }
    };
    let max_args = if lower == "read_csv" { 3 } else { 1 };
    if args.len() > max_args {
        return Err(format!("`{lower}` takes at most {max_args} argument(s): {usage}"));
    }
    let resolved = match base_dir {
        Some(dir) if !is_url(path) && Path::new(path).is_relative() => dir.join(path).to_string_lossy().into_owned(),
        _ => path.to_string(),
    };
    read_file(format, &resolved).map_err(|e| {
        let message = e.to_string();
        match base_dir {
            Some(dir) => message.replace(
                "relative paths are resolved from the current directory",
                &format!("relative paths are resolved from `{}`", dir.display()),
            ),
            None => message,
        }
    })
}
