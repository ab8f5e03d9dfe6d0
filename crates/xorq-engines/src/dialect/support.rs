//! What each dialect cannot express, found by walking the IR before anything is lowered, so the
//! error names the operation as the user wrote it rather than as the unparser failed on it.

use std::collections::HashMap;

use xorq_core::Table;
use xorq_core::expr::{AggregateCall, ExprKind, ScalarFunc};
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
        if let RelOp::Aggregate(a) = node.op()
            && a.grouping_sets.is_some()
            && dialect != SqlDialect::DataFusion
        {
            return refuse(
                dialect,
                "grouping sets (`GROUPING SETS`, `ROLLUP`, `CUBE`)",
                "move the rows into the embedded engine first (`.into_backend` the input), or aggregate each grouping and union them",
            );
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
        ExprKind::Aggregate(call) => aggregate(call, dialect),
        ExprKind::Window(call) if dialect != D::DataFusion => {
            if !PORTABLE_WINDOW.contains(&call.func.name()) {
                return refuse(dialect, format!("window function `{}`", call.func.name()), NOT_WRITTEN);
            }
            if call.ignore_nulls {
                return refuse(dialect, format!("`{}(…) IGNORE NULLS`", call.func.name()), NOT_WRITTEN);
            }
            Ok(())
        }
        ExprKind::Function { func, .. } => function(*func, dialect),
        _ => Ok(()),
    }
}

/// The advice for a function whose SQL for an engine is not written.
const NOT_WRITTEN: &str = "its SQL for this engine is not written yet; run this part on DataFusion";

/// Scalar functions every dialect says (the IR's first functions; tested in `tests/it/dialects.rs`).
/// Others are refused for engines other than DataFusion unless listed in [`EXTRA_SCALAR`].
const PORTABLE_SCALAR: &[&str] = &[
    "upper",
    "lower",
    "length",
    "trim",
    "ltrim",
    "rtrim",
    "substr",
    "replace",
    "contains",
    "starts_with",
    "ends_with",
    "concat",
    "like",
    "ilike",
    "strpos",
    "lpad",
    "rpad",
    "reverse",
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "day_of_week",
    "day_of_year",
    "quarter",
    "date_trunc",
    "strftime",
    "abs",
    "round",
    "floor",
    "ceil",
    "sqrt",
    "exp",
    "ln",
    "log10",
    "log2",
    "power",
    "sign",
    "greatest",
    "least",
    "coalesce",
    "nullif",
];

/// Scalar functions beyond [`PORTABLE_SCALAR`] whose SQL is written for a dialect (tested in
/// `tests/it/dialects.rs`).
const EXTRA_SCALAR: &[(SqlDialect, &[&str])] = &[];

/// Aggregates every dialect says, apart from the refusals in [`aggregate`].
const PORTABLE_AGGREGATE: &[&str] = &[
    "count",
    "count_star",
    "count_distinct",
    "sum",
    "mean",
    "min",
    "max",
    "std",
    "std_pop",
    "var",
    "var_pop",
    "first",
    "last",
    "approx_quantile",
];

/// Window functions every dialect says.
const PORTABLE_WINDOW: &[&str] = &[
    "row_number",
    "rank",
    "dense_rank",
    "percent_rank",
    "cume_dist",
    "ntile",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "aggregate",
];

fn aggregate(call: &AggregateCall, dialect: SqlDialect) -> Result<()> {
    let func = call.func;
    let name = func.name();
    if dialect == D::DataFusion {
        return Ok(());
    }
    if !PORTABLE_AGGREGATE.contains(&name) {
        return refuse(dialect, format!("aggregate `{name}`"), NOT_WRITTEN);
    }
    if call.distinct || call.filter.is_some() || call.ignore_nulls {
        let what = if call.distinct {
            "DISTINCT"
        } else if call.filter.is_some() {
            "FILTER (WHERE …)"
        } else {
            "IGNORE NULLS"
        };
        return refuse(dialect, format!("aggregate `{name}` with {what}"), NOT_WRITTEN);
    }
    let ordered = !call.order_by.is_empty();
    match name {
        "std" | "std_pop" | "var" | "var_pop" if dialect == D::Sqlite => refuse(
            dialect,
            format!("aggregate `{name}` (SQLite has no standard deviation or variance)"),
            "compute it from sums of squares, or run this part on another engine",
        ),
        "approx_quantile" if dialect == D::Sqlite => refuse(
            dialect,
            "aggregate `approx_quantile` (SQLite has no quantile function)",
            "run this part on another engine",
        ),
        // BigQuery's `APPROX_QUANTILES(x, n)[OFFSET(k)]` is not written yet.
        "approx_quantile" if dialect == D::BigQuery => refuse(
            dialect,
            "aggregate `approx_quantile` (BigQuery's `APPROX_QUANTILES(x, n)[OFFSET(k)]` form is not written yet)",
            "run this part on another engine",
        ),
        "first" | "last" if dialect != D::DuckDb => {
            let detail = if ordered { "ordered `first`/`last` aggregate" } else { "`first`/`last` aggregate" };
            refuse(
                dialect,
                format!("aggregate `{name}` (an {detail} that keeps nulls has no exact form)"),
                "use `min`/`max`, or a `row_number()` window and a filter, or run this part on DuckDB or DataFusion",
            )
        }
        _ => Ok(()),
    }
}

fn function(func: ScalarFunc, dialect: SqlDialect) -> Result<()> {
    let name = func.name();
    if dialect == D::DataFusion {
        return Ok(());
    }
    let extra = EXTRA_SCALAR.iter().any(|(d, names)| *d == dialect && names.contains(&name));
    if !PORTABLE_SCALAR.contains(&name) && !extra {
        return refuse(dialect, format!("function `{name}`"), NOT_WRITTEN);
    }
    match (name, dialect) {
        // `to_char` patterns are chrono's (`%Y-%m-%d`); only engines with strftime-style patterns
        // read them the same way.
        ("strftime", D::Postgres | D::Snowflake | D::Trino | D::Spark) => refuse(
            dialect,
            format!("function `{name}` (its format patterns differ from the engine's)"),
            "format on DataFusion or DuckDB, or cast to a string",
        ),
        _ => Ok(()),
    }
}
