//! Subqueries in conditions: `[NOT] IN (SELECT …)` and `[NOT] EXISTS (…)`, correlated or not.
//! DataFusion leaves them in expressions until its optimizer decorrelates them; the IR has joins
//! instead, and the front end decorrelates them itself (rather than lifting the output of
//! DataFusion's decorrelation rules), so addresses do not depend on how a DataFusion version
//! rewrites subqueries, and every engine and the lineage see plain joins:
//!
//! - `x IN (SELECT y …)` → a semi join on `x = y` (and on the correlation, if any);
//! - `x NOT IN (SELECT y …)` → an anti join on `x = y`, then SQL's three-valued logic where a null
//!   can be involved: a row is kept when the subquery is empty, or when `x` is not null and the
//!   subquery holds no null (counted per correlation group);
//! - `[NOT] EXISTS (SELECT … WHERE inner = outer AND …)` → a semi (anti) join on the correlation;
//!   an uncorrelated `EXISTS` → the subquery's row count, compared with zero.
//!
//! Scalar subqueries (values) are in `scalar_subquery.rs`.

use datafusion::common::DFSchema;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::utils::{conjunction, split_conjunction};
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr as DfExpr, ExprSchemable, LogicalPlan, Operator};
use xorq_core::{Expr, JoinKind, Table, col, count_star, lit};

use super::lift_rel::Lifter;
use super::rel::{Rel, Scope};
use crate::error::{EngineError, Result};

/// A semi or anti join waiting to be applied, with what must happen after it.
struct Pending {
    kind: JoinKind,
    right: Table,
    keys: Vec<(String, String)>,
    predicate: Option<Expr>,
    /// A value computed on the outer rows before the join, as `(name, expression)`: the tested
    /// expression of `IN` when it is not a plain column, so the join is on equal keys.
    computed: Option<(String, Expr)>,
    /// `NOT IN` over values that can be null: the counts joined in before the anti join and the
    /// condition they must meet after it.
    null_aware: Option<NullAware>,
}

/// The per-group counts a null-aware `NOT IN` needs: rows of the subquery (`n`) and its non-null
/// values (`nn`), joined to the outer rows on the correlation (a cross join when uncorrelated).
struct NullAware {
    counts: Table,
    /// `(outer column, counts column)` pairs; empty when uncorrelated.
    keys: Vec<(String, String)>,
    /// Names of `n` and `nn` in `counts`.
    rows: String,
    values: String,
    /// The tested value, as an expression over the outer rows.
    tested: Expr,
    /// Whether `tested` can be null; whether the subquery's values can be.
    tested_nullable: bool,
    values_nullable: bool,
}

impl Pending {
    /// Orders pending joins by content, so the order conditions were written in does not matter:
    /// semi joins (`IN`, `EXISTS`) before anti joins, as DataFusion plans them, then by content.
    fn sort_key(&self) -> (bool, String) {
        (
            self.kind == JoinKind::Anti,
            format!("{:?} {} {:?} {:?}", self.kind, self.right.address(), self.keys, self.predicate),
        )
    }
}

pub(crate) fn contains_outer_reference(e: &DfExpr) -> bool {
    let mut found = false;
    let _ = e.apply(|x| {
        if matches!(x, DfExpr::OuterReferenceColumn(..)) {
            found = true;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// A correlated subquery taken apart: the input of its `WHERE`, with the local conditions
/// applied, and the correlated conditions split into equalities with the outer query and the
/// rest.
pub(crate) struct Correlated<'p> {
    /// The subquery's `WHERE` with only its local conditions (a plan to lift).
    pub inner: LogicalPlan,
    /// The plan nodes above the `WHERE` (projections, aliases, `DISTINCT`), outermost first.
    pub above: Vec<&'p LogicalPlan>,
    /// `outer = inner` conditions as `(outer column, inner column)` of the `WHERE`'s input.
    pub equalities: Vec<(&'p DfExpr, &'p DfExpr)>,
    /// Other conditions that refer to the outer query.
    pub others: Vec<&'p DfExpr>,
}

/// Splits `plan` (a subquery) at the `WHERE` clause that refers to the outer query. `stop_at`
/// says which nodes may stand between the top and that `WHERE` and are returned in `above`.
pub(crate) fn split_correlated<'p>(
    plan: &'p LogicalPlan,
    passes: impl Fn(&LogicalPlan) -> bool,
) -> std::result::Result<Correlated<'p>, &'static str> {
    let mut above = Vec::new();
    let mut node = plan;
    loop {
        match node {
            LogicalPlan::Filter(filter) => {
                let (correlated, local): (Vec<&DfExpr>, Vec<&DfExpr>) =
                    split_conjunction(&filter.predicate).into_iter().partition(|c| contains_outer_reference(c));
                if correlated.is_empty() {
                    // A filter of the subquery's own: keep looking below (`WHERE` under `HAVING`).
                    if !passes(node) {
                        break;
                    }
                    above.push(node);
                    node = &filter.input;
                    continue;
                }
                let inner = match conjunction(local.into_iter().cloned()) {
                    Some(predicate) => LogicalPlan::Filter(
                        datafusion::logical_expr::Filter::try_new(predicate, filter.input.clone())
                            .map_err(|_| "its local conditions could not be planned")?,
                    ),
                    None => filter.input.as_ref().clone(),
                };
                let mut equalities = Vec::new();
                let mut others = Vec::new();
                for c in correlated {
                    match c {
                        DfExpr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right })
                            if outer_inner(left, right).is_some() =>
                        {
                            equalities.push(outer_inner(left, right).ok_or("unreachable")?);
                        }
                        other => others.push(other),
                    }
                }
                return Ok(Correlated { inner, above, equalities, others });
            }
            other if passes(other) => {
                above.push(other);
                node = match other.inputs().as_slice() {
                    [only] => *only,
                    _ => break,
                };
            }
            _ => break,
        }
    }
    Err("the outer query may only be referred to in the subquery's WHERE clause")
}

/// `(outer reference, inner column)` of `a = b` in either order.
fn outer_inner<'e>(a: &'e DfExpr, b: &'e DfExpr) -> Option<(&'e DfExpr, &'e DfExpr)> {
    match (a, b) {
        (DfExpr::OuterReferenceColumn(..), DfExpr::Column(_)) => Some((a, b)),
        (DfExpr::Column(_), DfExpr::OuterReferenceColumn(..)) => Some((b, a)),
        _ => None,
    }
}

impl Lifter<'_> {
    /// Applies whole-condition subqueries (`[NOT] IN (SELECT …)`, `[NOT] EXISTS (…)`) of a WHERE
    /// clause to `rel`, whose DataFusion schema is `schema`.
    pub(crate) fn subquery_conditions(&self, rel: Rel, schema: &DFSchema, conditions: &[&DfExpr]) -> Result<Rel> {
        let mut pending = Vec::with_capacity(conditions.len());
        for c in conditions {
            let (inner, negated) = match c {
                DfExpr::Not(x) => (x.as_ref(), true),
                other => (*other, false),
            };
            pending.push(match inner {
                DfExpr::InSubquery(s) => self.in_subquery(&rel, schema, s, negated != s.negated)?,
                DfExpr::Exists(e) => self.exists(&rel, schema, e, negated != e.negated)?,
                _ => return Err(EngineError::Internal("not a subquery condition".into())),
            });
        }
        pending.sort_by_cached_key(Pending::sort_key);
        let columns: Vec<String> = rel.table.columns().iter().map(|c| c.to_string()).collect();
        let mut table = rel.table;
        for p in pending {
            table = self.apply_pending(table, p, &columns)?;
        }
        Ok(Rel { table, cols: rel.cols })
    }

    fn apply_pending(&self, table: Table, p: Pending, columns: &[String]) -> Result<Table> {
        let table = match &p.computed {
            Some((name, e)) => {
                let mut exprs: Vec<Expr> = table.columns().iter().map(|c| col(*c)).collect();
                exprs.push(e.clone().alias(name));
                table.select(exprs).map_err(|e| self.core(e))?
            }
            None => table,
        };
        let Some(aware) = p.null_aware else {
            return match p.predicate {
                None => table.join(&p.right, p.kind, p.keys),
                Some(predicate) => table.join_where(&p.right, p.kind, p.keys, predicate),
            }
            .map_err(|e| self.core(e));
        };
        // Counts per correlation group (one row when uncorrelated), beside each outer row.
        let with_counts = if aware.keys.is_empty() {
            table.cross_join(&aware.counts)
        } else {
            table.join(&aware.counts, JoinKind::Left, aware.keys.clone())
        }
        .map_err(|e| self.core(e))?;
        let output = |column: &str| -> Result<String> {
            let xorq_core::plan::RelOp::Join(j) = with_counts.node().op() else {
                return Err(EngineError::Internal("counts joined as another operation".into()));
            };
            j.outputs
                .iter()
                .find(|o| o.side == xorq_core::JoinSide::Right && o.column == column)
                .map(|o| o.name.clone())
                .ok_or_else(|| EngineError::Internal(format!("count `{column}` not in the join output")))
        };
        let (rows, values) = (col(output(&aware.rows)?), col(output(&aware.values)?));
        let anti = match p.predicate {
            None => with_counts.join(&p.right, JoinKind::Anti, p.keys),
            Some(predicate) => with_counts.join_where(&p.right, JoinKind::Anti, p.keys, predicate),
        }
        .map_err(|e| self.core(e))?;
        // Kept: the subquery is empty for this row, or the value is known and no value of the
        // subquery is null (the anti join already dropped equal values).
        let empty = rows.clone().fill_null(lit(0i64)).eq(lit(0i64));
        let mut known = Vec::new();
        if aware.tested_nullable {
            known.push(aware.tested.is_not_null());
        }
        if aware.values_nullable {
            known.push(values.eq(rows));
        }
        let kept = match known.into_iter().reduce(Expr::and) {
            Some(k) => empty.or(k),
            None => lit(true),
        };
        anti.filter(kept).and_then(|t| t.select(columns.iter().map(col))).map_err(|e| self.core(e))
    }

    fn in_subquery(&self, rel: &Rel, schema: &DFSchema, s: &InSubquery, negated: bool) -> Result<Pending> {
        let words: &[&str] = if negated { &["NOT", "IN"] } else { &["IN", "(", "SELECT"] };
        let one_column =
            || self.locator.error("the subquery of `IN` must return one column", self.locator.keyword(words));
        let kind = if negated { JoinKind::Anti } else { JoinKind::Semi };
        let plan = s.subquery.subquery.as_ref();
        // Correlated: the subquery's WHERE refers to the outer query; its SELECT computes `y`.
        let (right, y, mut keys, predicate) = if s.subquery.outer_ref_columns.is_empty() {
            let right = self.materialize(self.lift(plan, None)?)?;
            let y = match right.cols.as_slice() {
                [only] => only.column().map(str::to_string),
                _ => None,
            }
            .ok_or_else(one_column)?;
            (right.table, y, Vec::new(), None)
        } else {
            let passes = |p: &LogicalPlan| matches!(p, LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_));
            let split = split_correlated(plan, passes).map_err(|why| {
                self.locator
                    .error(format!("this correlated `IN` is not supported by xorq: {why}"), self.locator.keyword(words))
            })?;
            let (table, value, keys, predicate) = self.correlated_rows(rel, schema, &split, words, true)?;
            (table, value.ok_or_else(one_column)?, keys, predicate)
        };
        let tested = self.scalar(Scope::Single { schema, cols: &rel.cols }, &[]).lift(&s.expr)?;
        let (x, computed) = match rel_column(rel, schema, &s.expr) {
            Some(name) => (name, None),
            None => {
                let name = "__xorq_in_tested".to_string();
                (name.clone(), Some((name, tested.clone())))
            }
        };
        keys.push((x, y.clone()));
        let null_aware = if negated {
            let tested_nullable = s.expr.nullable(schema).unwrap_or(true);
            let values_nullable = right.schema().field(&y).is_none_or(|f| f.nullable);
            if tested_nullable || values_nullable {
                Some(self.not_in_counts(&right, &y, &keys, tested, tested_nullable, values_nullable)?)
            } else {
                None
            }
        } else {
            None
        };
        Ok(Pending { kind, right, keys, predicate, computed, null_aware })
    }

    /// The counts a null-aware `NOT IN` needs, grouped by the correlation keys (all keys but the
    /// tested value's).
    fn not_in_counts(
        &self,
        right: &Table,
        y: &str,
        keys: &[(String, String)],
        tested: Expr,
        tested_nullable: bool,
        values_nullable: bool,
    ) -> Result<NullAware> {
        // Every key but the last, which is the tested value's.
        let correlation: Vec<&(String, String)> = keys[..keys.len().saturating_sub(1)].iter().collect();
        let (rows, values) = ("__xorq_not_in_rows".to_string(), "__xorq_not_in_values".to_string());
        let measures = [count_star().alias(&rows), col(y).count().alias(&values)];
        let counts = if correlation.is_empty() {
            right.agg(measures)
        } else {
            right.group_by(correlation.iter().map(|(_, r)| col(r.as_str()))).agg(measures)
        }
        .map_err(|e| self.core(e))?;
        Ok(NullAware {
            counts,
            keys: correlation.into_iter().cloned().collect(),
            rows,
            values,
            tested,
            tested_nullable,
            values_nullable,
        })
    }

    fn exists(&self, rel: &Rel, schema: &DFSchema, e: &Exists, negated: bool) -> Result<Pending> {
        let words: &[&str] = if negated { &["NOT", "EXISTS"] } else { &["EXISTS"] };
        let plan = e.subquery.subquery.as_ref();
        if e.subquery.outer_ref_columns.is_empty() {
            // Uncorrelated: the same answer for every row, from the subquery's row count.
            let right = self.materialize(self.lift(plan, None)?)?;
            let n = "__xorq_exists_rows";
            let counts = right.table.agg([count_star().alias(n)]).map_err(|e| self.core(e))?;
            let condition = if negated { col(n).eq(lit(0i64)) } else { col(n).gt(lit(0i64)) };
            let keep = counts.filter(condition).map_err(|e| self.core(e))?;
            // A semi join with the filtered count row: every row when it exists, none otherwise.
            return Ok(Pending {
                kind: JoinKind::Semi,
                right: keep,
                keys: vec![],
                predicate: Some(lit(true)),
                computed: None,
                null_aware: None,
            });
        }
        let passes = |p: &LogicalPlan| {
            matches!(
                p,
                LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_) | LogicalPlan::Distinct(Distinct::All(_))
            )
        };
        let split = split_correlated(plan, passes).map_err(|why| {
            self.locator.error(
                format!("this `EXISTS` is not supported by xorq: {why}"),
                self.locator.keyword(words).or_else(|| self.locator.keyword(&["EXISTS"])),
            )
        })?;
        let (right, _, keys, predicate) = self.correlated_rows(rel, schema, &split, words, false)?;
        let kind = if negated { JoinKind::Anti } else { JoinKind::Semi };
        Ok(Pending { kind, right, keys, predicate, computed: None, null_aware: None })
    }

    /// The rows of a correlated subquery's `WHERE` input with its local conditions, the join
    /// keys and predicate that express the correlation, and the column its projection selects
    /// (when it selects exactly one).
    #[allow(clippy::type_complexity)]
    fn correlated_rows(
        &self,
        rel: &Rel,
        schema: &DFSchema,
        split: &Correlated<'_>,
        words: &[&str],
        selects_value: bool,
    ) -> Result<(Table, Option<String>, Vec<(String, String)>, Option<Expr>)> {
        let inner_schema = split.inner.schema();
        let inner = self.materialize(self.lift(&split.inner, None)?)?;
        let scope = || Scope::Correlated { inner_schema, inner: &inner.cols, outer_schema: schema, outer: &rel.cols };
        let mut keys = Vec::new();
        let mut rest = Vec::new();
        for (outer, inner_col) in &split.equalities {
            match correlation_pair(&scope(), outer, inner_col) {
                Some(pair) => keys.push(pair),
                None => rest.push(self.scalar(scope(), &[]).lift(&DfExpr::BinaryExpr(BinaryExpr::new(
                    Box::new((*outer).clone()),
                    Operator::Eq,
                    Box::new((*inner_col).clone()),
                )))?),
            }
        }
        for c in &split.others {
            rest.push(self.scalar(scope(), &[]).lift(c)?);
        }
        // The value the subquery selects (for `IN`): its projection over the `WHERE`'s input.
        let mut table = inner.table.clone();
        let mut value = None;
        if !selects_value {
            return Ok((table, value, keys, rest.into_iter().reduce(Expr::and)));
        }
        if let Some(LogicalPlan::Projection(p)) =
            split.above.iter().rev().find(|p| matches!(p, LogicalPlan::Projection(_)))
        {
            if split.above.iter().filter(|p| matches!(p, LogicalPlan::Projection(_))).count() > 1 {
                return Err(self.locator.error(
                    "a correlated subquery with nested projections is not supported by xorq",
                    self.locator.keyword(words),
                ));
            }
            if let [e] = p.expr.as_slice() {
                let lifted = self.scalar(Scope::Single { schema: inner_schema, cols: &inner.cols }, &[]).lift(e)?;
                match lifted {
                    Expr::Column { name, side: None } => value = Some(name),
                    other => {
                        let name = "__xorq_in_value".to_string();
                        let mut exprs: Vec<Expr> = table.columns().iter().map(|c| col(*c)).collect();
                        exprs.push(other.alias(&name));
                        table = table.select(exprs).map_err(|e| self.core(e))?;
                        value = Some(name);
                    }
                }
            }
        }
        Ok((table, value, keys, rest.into_iter().reduce(Expr::and)))
    }
}

/// The table column a plain column reference of the outer query is.
fn rel_column(rel: &Rel, schema: &DFSchema, e: &DfExpr) -> Option<String> {
    let DfExpr::Column(c) = e else { return None };
    let i = schema.index_of_column(c).ok()?;
    rel.cols.get(i)?.column().map(str::to_string)
}

/// `outer = inner` between plain columns, as `(outer, inner)` names.
pub(crate) fn correlation_pair(scope: &Scope<'_>, outer: &DfExpr, inner: &DfExpr) -> Option<(String, String)> {
    let (DfExpr::OuterReferenceColumn(_, o), DfExpr::Column(i)) = (outer, inner) else { return None };
    let (oc, _) = scope.find(o, true)?;
    let (ic, _) = scope.find(i, false)?;
    Some((oc.column()?.to_string(), ic.column()?.to_string()))
}
