//! What each dialect cannot express, found by walking the IR before anything is lowered, so the
//! error names the operation as the user wrote it rather than as the unparser failed on it.

use std::collections::HashMap;

use xorq_core::Table;
use xorq_core::expr::{AggFunc, ExprKind, ScalarFunc};
use xorq_core::plan::{Node, RelOp, SetOpKind, walk};

use super::{PlaceholderStyle, SqlDialect};
use crate::datafusion::ParamValues;
use crate::error::{EngineError, Result};

use SqlDialect as D;

/// Fails on the first operation in `table` that `dialect` cannot express (inputs are visited
/// before the nodes that use them).
pub(super) fn check(table: &Table, dialect: SqlDialect, values: &ParamValues) -> Result<()> {
    for node in walk::topological(table.node()) {
        names_apart_in_case(node, dialect)?;
        if let RelOp::SetOp(set) = node.op() {
            set_op(set.kind, set.distinct, dialect)?;
        }
        for e in node.op().expressions() {
            let mut found = Ok(());
            e.walk(&mut |x| {
                if found.is_ok() {
                    found = expression(&x.kind, dialect, values);
                }
            });
            found?;
        }
    }
    Ok(())
}

fn refuse(dialect: SqlDialect, what: impl Into<String>, hint: &str) -> Result<()> {
    let hint = if hint.is_empty() { String::new() } else { format!("\nhint: {hint}") };
    Err(EngineError::DialectUnsupported { dialect: dialect.display_name().to_string(), what: what.into(), hint })
}

/// Refuses a relation with two columns whose names differ only in case, in an engine that
/// matches names ignoring case: it would read one column for the other (SQLite does, silently)
/// or refuse the query with an engine error far from the cause.
fn names_apart_in_case(node: &Node, dialect: SqlDialect) -> Result<()> {
    if !dialect.ignores_column_case() {
        return Ok(());
    }
    let mut seen: HashMap<String, &str> = HashMap::new();
    for name in node.schema().names() {
        if let Some(first) = seen.insert(name.to_ascii_lowercase(), name) {
            return refuse(
                dialect,
                format!(
                    "columns `{first}` and `{name}` of one {} (names that differ only in case, which {} does not tell apart)",
                    node.op().name(),
                    dialect.display_name()
                ),
                &format!(
                    "name `{name}` differently where it is made (for example `.alias(\"{name}_2\")`), or `.rename` one \
                     of them before this {} brings them together",
                    node.op().name()
                ),
            );
        }
    }
    Ok(())
}

fn set_op(kind: SetOpKind, distinct: bool, dialect: SqlDialect) -> Result<()> {
    let name = match kind {
        SetOpKind::Intersect => "INTERSECT ALL",
        SetOpKind::Difference => "EXCEPT ALL",
        _ => return Ok(()),
    };
    // DataFusion runs these as semi/anti joins without `DISTINCT`, which is not SQL's `ALL`
    // (that keeps min(m, n) copies): no engine's SQL says the same thing.
    if !distinct && dialect != D::DataFusion {
        return refuse(
            dialect,
            format!("`{}` keeping duplicates ({name} as DataFusion computes it)", kind.name()),
            "use the distinct form, or run this part on DataFusion",
        );
    }
    Ok(())
}

fn expression(kind: &ExprKind, dialect: SqlDialect, values: &ParamValues) -> Result<()> {
    match kind {
        ExprKind::Param(p) if dialect.placeholder_style() == PlaceholderStyle::Unsupported => {
            if values.contains_key(&p.name) {
                return Ok(());
            }
            refuse(
                dialect,
                format!("parameter `{}` (it has positional `?` parameters only)", p.name),
                &format!("bind a value when generating the SQL (`xorq sql … -p {}=…`)", p.name),
            )
        }
        ExprKind::Aggregate(call) => aggregate(call.func, !call.order_by.is_empty(), dialect),
        ExprKind::Function { func, .. } => function(*func, dialect),
        _ => Ok(()),
    }
}

fn aggregate(func: AggFunc, ordered: bool, dialect: SqlDialect) -> Result<()> {
    match func {
        AggFunc::Std | AggFunc::StdPop | AggFunc::Var | AggFunc::VarPop if dialect == D::Sqlite => refuse(
            dialect,
            format!("aggregate `{}` (SQLite has no standard deviation or variance)", func.name()),
            "compute it from sums of squares, or run this part on another engine",
        ),
        AggFunc::ApproxQuantile if dialect == D::Sqlite => refuse(
            dialect,
            "aggregate `approx_quantile` (SQLite has no quantile function)",
            "run this part on another engine",
        ),
        // BigQuery's `APPROX_QUANTILES(x, n)[OFFSET(k)]` is not written yet.
        AggFunc::ApproxQuantile if dialect == D::BigQuery => refuse(
            dialect,
            "aggregate `approx_quantile` (BigQuery's `APPROX_QUANTILES(x, n)[OFFSET(k)]` form is not written yet)",
            "run this part on another engine",
        ),
        AggFunc::First | AggFunc::Last if !matches!(dialect, D::DuckDb | D::DataFusion) => {
            let detail = if ordered { "ordered `first`/`last` aggregate" } else { "`first`/`last` aggregate" };
            refuse(
                dialect,
                format!("aggregate `{}` (an {detail} that keeps nulls has no exact form)", func.name()),
                "use `min`/`max`, or a `row_number()` window and a filter, or run this part on DuckDB or DataFusion",
            )
        }
        _ => Ok(()),
    }
}

fn function(func: ScalarFunc, dialect: SqlDialect) -> Result<()> {
    use ScalarFunc as F;
    match (func, dialect) {
        // `to_char` patterns are chrono's (`%Y-%m-%d`); only engines with strftime-style patterns
        // read them the same way.
        (F::Strftime, D::Postgres | D::Snowflake | D::Trino | D::Spark) => refuse(
            dialect,
            format!("function `{}` (its format patterns differ from the engine's)", func.name()),
            "format on DataFusion or DuckDB, or cast to a string",
        ),
        _ => Ok(()),
    }
}
