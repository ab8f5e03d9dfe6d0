//! Scalar subqueries (a value in `SELECT`, `WHERE` or `HAVING`), decorrelated by the front end
//! into joins (see `subquery.rs` for why not by DataFusion's rules):
//!
//! - uncorrelated, an aggregate without `GROUP BY` (exactly one row) → a cross join with that row;
//! - correlated by equalities `inner = outer` in its `WHERE`, an aggregate without `GROUP BY`
//!   (`(SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)`) → the aggregate
//!   grouped by the inner columns of the correlation, left-joined on them. An outer row with no
//!   group gets the value of the subquery over no rows: null, unless the subquery counts
//!   (`count(*)` over no rows is 0), which a marker column detects (the "count bug").

use datafusion::common::DFSchema;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr as DfExpr, ExprSchemable, LogicalPlan, Operator, Subquery};
use xorq_core::plan::RelOp;
use xorq_core::{Expr, JoinKind, JoinSide, Table, col, count_star, lit, lit_null, when};

use super::lift_rel::{Lifter, unique};
use super::lift_scalar::plan_id;
use super::rel::{Col, Rel, Scope, Value};
use super::subquery::{correlation_pair, split_correlated};
use crate::error::{EngineError, Result};

/// A lifted scalar subquery, waiting to be joined to the outer rows.
struct Lifted {
    id: usize,
    right: Table,
    /// `(outer column, inner column)`; empty for an uncorrelated subquery (a cross join).
    keys: Vec<(String, String)>,
    /// The value's column in `right`.
    value: String,
    /// For a correlated subquery whose value over no rows is not null: the marker column in
    /// `right` (null after the join where no group matched) and that value.
    empty: Option<(String, Expr)>,
}

/// Aggregates whose value over no rows is not null.
fn counts(name: &str) -> bool {
    matches!(name, "count" | "approx_distinct")
}

impl Lifter<'_> {
    /// Joins the scalar subqueries of `exprs` to `rel` (whose DataFusion schema is `schema`);
    /// returns their values by plan address.
    pub(crate) fn scalar_subqueries(
        &self,
        rel: Rel,
        schema: &DFSchema,
        exprs: &[&DfExpr],
    ) -> Result<(Rel, Vec<(usize, Expr)>)> {
        let mut found: Vec<&Subquery> = Vec::new();
        for e in exprs {
            let _ = e.apply(|x| {
                if let DfExpr::ScalarSubquery(s) = x
                    && !found.iter().any(|f| plan_id(&f.subquery) == plan_id(&s.subquery))
                {
                    found.push(s);
                }
                Ok(TreeNodeRecursion::Continue)
            });
        }
        if found.is_empty() {
            return Ok((rel, Vec::new()));
        }
        let rel = self.materialize(rel)?;
        let mut lifted = Vec::with_capacity(found.len());
        for s in found {
            lifted.push(if s.outer_ref_columns.is_empty() {
                self.uncorrelated(s)?
            } else {
                self.correlated(&rel, schema, s)?
            });
        }
        // Joined in an order of their own, so the order they were written in does not matter.
        lifted.sort_by_cached_key(|l| (l.right.address(), l.keys.clone()));
        let mut table = rel.table.clone();
        let mut values = Vec::with_capacity(lifted.len());
        for l in lifted {
            table = if l.keys.is_empty() {
                table.cross_join(&l.right)
            } else {
                table.join(&l.right, JoinKind::Left, l.keys.clone())
            }
            .map_err(|e| self.core(e))?;
            let RelOp::Join(j) = table.node().op() else {
                return Err(EngineError::Internal("a subquery joined as another operation".into()));
            };
            let output = |column: &str| {
                j.outputs
                    .iter()
                    .find(|o| o.side == JoinSide::Right && o.column == column)
                    .map(|o| o.name.clone())
                    .ok_or_else(|| EngineError::Internal(format!("subquery value `{column}` not in the join output")))
            };
            let value = col(output(&l.value)?);
            let value = match &l.empty {
                Some((marker, empty)) => when(col(output(marker)?).is_null()).then(empty.clone()).otherwise(value),
                None => value,
            };
            values.push((l.id, value));
        }
        Ok((Rel { table, cols: rel.cols }, values))
    }

    fn uncorrelated(&self, s: &Subquery) -> Result<Lifted> {
        let at = self.locator.keyword(&["(", "SELECT"]);
        if !one_row(&s.subquery) {
            return Err(self.locator.error(
                "a scalar subquery is supported when it is an aggregate without GROUP BY (exactly one row)",
                at,
            ));
        }
        let rel = self.materialize(self.lift(&s.subquery, None)?)?;
        let value = match rel.cols.as_slice() {
            [only] => only.column().map(str::to_string),
            _ => None,
        }
        .ok_or_else(|| self.locator.error("a scalar subquery must return one column", at))?;
        Ok(Lifted { id: plan_id(&s.subquery), right: rel.table, keys: vec![], value, empty: None })
    }

    fn correlated(&self, outer: &Rel, outer_schema: &DFSchema, s: &Subquery) -> Result<Lifted> {
        let at = self.locator.keyword(&["(", "SELECT"]);
        let refuse = |why: &str| {
            self.locator.error(format!("this correlated scalar subquery is not supported by xorq: {why}"), at)
        };
        // Projections over one aggregate without GROUP BY, over the correlated WHERE.
        let mut projections = Vec::new();
        let mut node = s.subquery.as_ref();
        let aggregate = loop {
            match node {
                LogicalPlan::Projection(p) => {
                    projections.push(p);
                    node = &p.input;
                }
                LogicalPlan::SubqueryAlias(a) => node = &a.input,
                LogicalPlan::Aggregate(a) if a.group_expr.is_empty() => break a,
                _ => {
                    return Err(refuse(
                        "it must be an aggregate without GROUP BY, e.g. `(SELECT max(x) FROM t WHERE t.k = outer.k)`",
                    ));
                }
            }
        };
        let outer_in = |e: &DfExpr| super::subquery::contains_outer_reference(e);
        if projections.iter().any(|p| p.expr.iter().any(outer_in)) || aggregate.aggr_expr.iter().any(outer_in) {
            return Err(refuse("the outer query may only be referred to in the subquery's WHERE clause"));
        }
        let passes = |p: &LogicalPlan| matches!(p, LogicalPlan::SubqueryAlias(_));
        let split = split_correlated(&aggregate.input, passes).map_err(refuse)?;
        if !split.others.is_empty() {
            return Err(refuse(
                "it may refer to the outer query only by equalities `inner_column = outer_column` joined by AND",
            ));
        }
        let inner_schema = split.inner.schema();
        let inner = self.materialize(self.lift(&split.inner, None)?)?;
        let scope = Scope::Correlated { inner_schema, inner: &inner.cols, outer_schema, outer: &outer.cols };
        let mut keys = Vec::new();
        for (o, i) in &split.equalities {
            keys.push(correlation_pair(&scope, o, i).ok_or_else(|| {
                refuse("each correlation must compare a column of the subquery with a column of the outer query")
            })?);
        }
        // The aggregate grouped by the inner columns of the correlation, plus a row count as the
        // marker of a matched group.
        let lifter = self.scalar(Scope::Single { schema: aggregate.input.schema(), cols: &inner.cols }, &[]);
        let mut taken: std::collections::BTreeSet<String> = keys.iter().map(|(_, i)| i.clone()).collect();
        let mut measures = Vec::with_capacity(aggregate.aggr_expr.len() + 1);
        let mut agg_cols = Vec::with_capacity(aggregate.aggr_expr.len());
        let mut empty_cols = Vec::with_capacity(aggregate.aggr_expr.len());
        let mut counted = false;
        for e in &aggregate.aggr_expr {
            let sql_name = match e {
                DfExpr::Alias(a) => a.name.clone(),
                other => lifter.display_name(other),
            };
            let name = unique(&sql_name, &mut taken);
            measures.push(lifter.lift(e)?.alias(&name));
            agg_cols.push(Col { value: Value::Expr(col(&name)), name: sql_name.clone() });
            let func = aggregate_name(e);
            counted |= func.as_deref().is_some_and(counts);
            let dtype = e
                .get_type(aggregate.input.schema())
                .ok()
                .and_then(|t| xorq_core::DataType::from_arrow(&sql_name, &t).ok())
                .unwrap_or(xorq_core::DataType::Null);
            let over_nothing = if func.as_deref().is_some_and(counts) { lit(0i64) } else { lit_null(dtype) };
            empty_cols.push(Col { value: Value::Expr(over_nothing), name: sql_name });
        }
        let marker = unique("__xorq_matched", &mut taken);
        measures.push(count_star().alias(&marker));
        let grouped =
            inner.table.group_by(keys.iter().map(|(_, i)| col(i.as_str()))).agg(measures).map_err(|e| self.core(e))?;
        // The projections above the aggregate, lifted twice: over the groups' values, and over
        // the values of the aggregates over no rows.
        let (mut value_cols, mut empty_value_cols) = (agg_cols, empty_cols);
        let mut null_propagating = true;
        for p in projections.iter().rev() {
            let schema = p.input.schema();
            let over = |cols: &[Col]| -> Result<Vec<Col>> {
                let l = self.scalar(Scope::Single { schema, cols }, &[]);
                p.expr.iter().map(|e| Ok(Col { value: Value::Expr(l.lift(e)?), name: l.display_name(e) })).collect()
            };
            null_propagating &= p.expr.iter().all(propagates_null);
            value_cols = over(&value_cols)?;
            empty_value_cols = over(&empty_value_cols)?;
        }
        let (value, empty) = match (value_cols.as_slice(), empty_value_cols.as_slice()) {
            ([v], [e]) => (self.value(v)?, self.value(e)?),
            _ => return Err(self.locator.error("a scalar subquery must return one column", at)),
        };
        let value_name = unique("__xorq_value", &mut taken);
        let mut exprs: Vec<Expr> = keys.iter().map(|(_, i)| col(i.as_str())).collect();
        exprs.push(value.alias(&value_name));
        let needs_marker = counted || !null_propagating;
        if needs_marker {
            exprs.push(col(&marker));
        }
        let right = grouped.select(exprs).map_err(|e| self.core(e))?;
        Ok(Lifted {
            id: plan_id(&s.subquery),
            right,
            keys,
            value: value_name,
            empty: needs_marker.then_some((marker, empty)),
        })
    }
}

/// The name of the aggregate function an aggregate expression calls.
fn aggregate_name(e: &DfExpr) -> Option<String> {
    match e {
        DfExpr::Alias(a) => aggregate_name(&a.expr),
        DfExpr::AggregateFunction(f) => Some(f.func.name().to_string()),
        _ => None,
    }
}

/// Whether `e` is null whenever the aggregates it reads are (arithmetic, comparisons, casts):
/// then a missing group needs no marker.
fn propagates_null(e: &DfExpr) -> bool {
    match e {
        DfExpr::Alias(a) => propagates_null(&a.expr),
        DfExpr::Column(_) | DfExpr::Literal(..) => true,
        DfExpr::Cast(c) => propagates_null(&c.expr),
        DfExpr::Negative(x) => propagates_null(x),
        DfExpr::BinaryExpr(b) => {
            !matches!(b.op, Operator::And | Operator::Or | Operator::IsDistinctFrom | Operator::IsNotDistinctFrom)
                && propagates_null(&b.left)
                && propagates_null(&b.right)
        }
        _ => false,
    }
}

/// Whether a plan returns exactly one row whatever its input.
fn one_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => one_row(&p.input),
        LogicalPlan::SubqueryAlias(a) => one_row(&a.input),
        LogicalPlan::Aggregate(a) => a.group_expr.is_empty(),
        _ => false,
    }
}
