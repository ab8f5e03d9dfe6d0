//! Adjustments to the unparsed statement where a dialect needs another shape than DataFusion
//! writes: the ordering of ordered aggregates (which DataFusion 55's unparser drops), parameter
//! placeholders, set-operation quantifiers, `OFFSET … FETCH`, and aggregate names.

use std::ops::ControlFlow;

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan};
use datafusion::sql::sqlparser::ast::{
    self, Expr, Fetch, FunctionArg, FunctionArgExpr, FunctionArgumentClause, FunctionArguments, Ident, LimitClause,
    ObjectName, Offset, OffsetRows, Query, SetExpr, SetQuantifier, Statement, Value, VisitMut, VisitorMut,
};

use datafusion::sql::unparser::Unparser;

use super::SqlDialect;
use crate::error::{EngineError, Result};

use SqlDialect as D;

/// An aggregate call as the unparser writes it (without its ordering), and its ordering.
pub(super) type OrderedAggregate = (String, Vec<ast::OrderByExpr>);

/// The ordered aggregates of `plan` (`first_value(x ORDER BY ts)`) other than ordered-set ones
/// (`WITHIN GROUP`), whose ordering the unparser leaves out: `adjust` puts it back.
pub(super) fn ordered_aggregates(plan: &LogicalPlan, unparser: &Unparser) -> Result<Vec<OrderedAggregate>> {
    let mut found: Vec<OrderedAggregate> = Vec::new();
    let mut failure = None;
    let walk = plan.apply(|node| {
        node.apply_expressions(|e| {
            e.apply(|x| {
                if let DfExpr::AggregateFunction(agg) = x
                    && !agg.params.order_by.is_empty()
                    && !agg.func.supports_within_group_clause()
                {
                    let rendered = unparser.expr_to_sql(x).map(|sql| sql.to_string());
                    let order = agg.params.order_by.iter().map(|s| unparser.sort_to_sql(s)).collect();
                    match (rendered, order) {
                        (Ok(key), Ok(order)) => match found.iter().find(|(k, _)| *k == key) {
                            Some((_, known)) if *known != order => {
                                failure = Some(format!("`{key}` appears with two orderings"));
                            }
                            Some(_) => {}
                            None => found.push((key, order)),
                        },
                        (Err(e), _) | (_, Err(e)) => failure = Some(e.to_string()),
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    walk.map_err(|e| EngineError::datafusion("finding ordered aggregates", e))?;
    match failure {
        Some(f) => Err(EngineError::Internal(format!("writing ordered aggregates: {f}"))),
        None => Ok(found),
    }
}

/// Adjusts `statement` for `dialect`; `params` are the expression's parameter names in order,
/// `ordered` the orderings to restore.
pub(super) fn adjust(
    statement: &mut Statement,
    dialect: SqlDialect,
    params: &[String],
    ordered: &[OrderedAggregate],
) -> Result<()> {
    let mut visitor = Adjust { dialect, params, ordered, error: None };
    let _ = statement.visit(&mut visitor);
    match visitor.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

struct Adjust<'a> {
    dialect: SqlDialect,
    params: &'a [String],
    ordered: &'a [OrderedAggregate],
    error: Option<EngineError>,
}

impl VisitorMut for Adjust<'_> {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if self.dialect == D::BigQuery {
            set_quantifiers(&mut query.body);
        }
        if self.dialect == D::Trino {
            offset_fetch(query);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Value(v) => {
                if let Value::Placeholder(id) = &mut v.value {
                    match placeholder(id, self.dialect, self.params) {
                        Ok(text) => *id = text,
                        Err(e) => {
                            self.error = Some(e);
                            return ControlFlow::Break(());
                        }
                    }
                }
            }
            // SQLite has no DATE type: `CAST(x AS DATE)` takes NUMERIC affinity and turns
            // '2024-01-31' into 2024. Its `date()` gives the ISO text dates are stored as.
            Expr::Cast { data_type: ast::DataType::Date, expr: inner, .. } if self.dialect == D::Sqlite => {
                let inner = std::mem::replace(inner.as_mut(), Expr::value(Value::Null));
                *expr = sqlite_date(inner);
            }
            Expr::Interval(interval) if matches!(self.dialect, D::BigQuery | D::Trino | D::Spark) => {
                whole_days(interval);
            }
            Expr::Function(f) if f.over.is_none() => {
                if !self.ordered.is_empty() {
                    let key = f.to_string();
                    if let Some((_, order)) = self.ordered.iter().find(|(k, _)| *k == key)
                        && let FunctionArguments::List(list) = &mut f.args
                    {
                        list.clauses.push(FunctionArgumentClause::OrderBy(order.clone()));
                    }
                }
                let name = f.name.to_string().to_ascii_lowercase();
                if let Some(new) = aggregate_name(&name, self.dialect) {
                    f.name = ObjectName::from(vec![Ident::new(new)]);
                }
                if name == "approx_percentile_cont" {
                    approx_quantile(f, self.dialect);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// `date(x)`.
fn sqlite_date(arg: Expr) -> Expr {
    Expr::Function(ast::Function {
        name: ObjectName::from(vec![Ident::new("date")]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: vec![ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(arg))],
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

/// `INTERVAL '7 0:0:0.000' DAY TO SECOND`, as DataFusion writes whole days in SQL-standard
/// style, as `INTERVAL '7' DAY`, which every SQL-standard engine reads (Trino reads no
/// single-digit hours).
fn whole_days(interval: &mut ast::Interval) {
    let (Some(ast::DateTimeField::Day), Some(ast::DateTimeField::Second)) =
        (&interval.leading_field, &interval.last_field)
    else {
        return;
    };
    let Expr::Value(v) = interval.value.as_mut() else { return };
    let Value::SingleQuotedString(text) = &v.value else { return };
    let Some(days) = text.strip_suffix(" 0:0:0.000") else { return };
    if days.parse::<i64>().is_err() {
        return;
    }
    let days = days.to_string();
    v.value = Value::SingleQuotedString(days);
    interval.last_field = None;
}

/// `$name` (as DataFusion writes a placeholder) in the dialect's style.
fn placeholder(id: &str, dialect: SqlDialect, params: &[String]) -> Result<String> {
    let name = id.trim_start_matches('$');
    Ok(match dialect {
        D::Postgres => match params.iter().position(|p| p == name) {
            Some(i) => format!("${}", i + 1),
            None => return Err(EngineError::Internal(format!("placeholder `{id}` names no parameter"))),
        },
        D::BigQuery => format!("@{name}"),
        D::Snowflake | D::Spark => format!(":{name}"),
        _ => format!("${name}"),
    })
}

/// BigQuery requires `UNION ALL` / `UNION DISTINCT` (likewise `INTERSECT`, `EXCEPT`): a bare
/// `UNION` is a syntax error there.
fn set_quantifiers(body: &mut SetExpr) {
    if let SetExpr::SetOperation { set_quantifier, left, right, .. } = body {
        if *set_quantifier == SetQuantifier::None {
            *set_quantifier = SetQuantifier::Distinct;
        }
        set_quantifiers(left);
        set_quantifiers(right);
    }
}

/// Trino reads `OFFSET n` before the row limit, and `LIMIT m OFFSET n` not at all: write
/// `OFFSET n ROWS FETCH FIRST m ROWS ONLY`.
fn offset_fetch(query: &mut Query) {
    let Some(LimitClause::LimitOffset { limit, offset: Some(offset), limit_by }) = &mut query.limit_clause else {
        return;
    };
    if !limit_by.is_empty() {
        return;
    }
    let quantity = limit.take();
    let value = offset.value.clone();
    query.limit_clause = Some(LimitClause::LimitOffset {
        limit: None,
        offset: Some(Offset { value, rows: OffsetRows::Rows }),
        limit_by: vec![],
    });
    if let Some(quantity) = quantity {
        query.fetch = Some(Fetch { with_ties: false, percent: false, quantity: Some(quantity) });
    }
}

/// Aggregates DataFusion names differently from the engine.
fn aggregate_name(name: &str, dialect: SqlDialect) -> Option<&'static str> {
    match (name, dialect) {
        // DataFusion's `var` is the sample variance; the engines call it `var_samp`.
        ("var", d) if d != D::DataFusion => Some("var_samp"),
        // DuckDB's aggregates are `first`/`last` (`first_value` is its window function).
        ("first_value", D::DuckDb) => Some("first"),
        ("last_value", D::DuckDb) => Some("last"),
        _ => None,
    }
}

/// `approx_percentile_cont(q) WITHIN GROUP (ORDER BY x)` in the engine's words.
fn approx_quantile(f: &mut ast::Function, dialect: SqlDialect) {
    let name = match dialect {
        // PostgreSQL has no approximate quantile; the exact one is an ordered-set aggregate.
        D::Postgres => {
            f.name = ObjectName::from(vec![Ident::new("percentile_cont")]);
            return;
        }
        D::DuckDb => "approx_quantile",
        D::Snowflake => "APPROX_PERCENTILE",
        D::Trino => "approx_percentile",
        D::Spark => "percentile_approx",
        _ => return,
    };
    // `name(x, q)`: the ordering column first, then the quantile.
    let Some(order) = f.within_group.first() else { return };
    let x = order.expr.clone();
    let q = match &f.args {
        FunctionArguments::List(list) => list.args.first().cloned(),
        _ => None,
    };
    let Some(q) = q else { return };
    f.name = ObjectName::from(vec![Ident::new(name)]);
    f.within_group.clear();
    f.args = FunctionArguments::List(ast::FunctionArgumentList {
        duplicate_treatment: None,
        args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(x)), q],
        clauses: vec![],
    });
}
