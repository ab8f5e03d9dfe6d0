//! Subqueries in conditions and values. DataFusion leaves them in expressions until its
//! optimizer decorrelates them; the IR has joins instead:
//!
//! - `x IN (SELECT y …)` → semi join on `x = y`; `NOT IN` → anti join when neither side can be
//!   null (otherwise SQL's three-valued `NOT IN` differs from an anti join);
//! - `[NOT] EXISTS (SELECT … WHERE inner = outer AND …)` → semi (anti) join on the correlation;
//! - an uncorrelated scalar subquery that is an aggregate without `GROUP BY` (exactly one row)
//!   → a cross join with that row.

use datafusion::common::DFSchema;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr as DfExpr, ExprSchemable, LogicalPlan, Operator, Subquery};
use xorq_core::plan::RelOp;
use xorq_core::{Expr, JoinKind, Table, col};

use super::lift_rel::Lifter;
use super::lift_scalar::plan_id;
use super::rel::{Rel, Scope};
use crate::error::{EngineError, Result};

/// A semi or anti join waiting to be applied.
struct Pending {
    kind: JoinKind,
    right: Table,
    keys: Vec<(String, String)>,
    predicate: Option<Expr>,
}

impl Pending {
    /// Orders pending joins by content, so the order conditions were written in does not matter.
    fn sort_key(&self) -> String {
        format!("{:?} {} {:?} {:?}", self.kind, self.right.address(), self.keys, self.predicate)
    }
}

fn contains_outer_reference(e: &DfExpr) -> bool {
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
        let mut table = rel.table;
        for p in pending {
            table = match p.predicate {
                None => table.join(&p.right, p.kind, p.keys),
                Some(predicate) => table.join_where(&p.right, p.kind, p.keys, predicate),
            }
            .map_err(|e| self.core(e))?;
        }
        Ok(Rel { table, cols: rel.cols })
    }

    fn in_subquery(&self, rel: &Rel, schema: &DFSchema, s: &InSubquery, negated: bool) -> Result<Pending> {
        let words: &[&str] = if negated { &["NOT", "IN"] } else { &["IN", "(", "SELECT"] };
        if !s.subquery.outer_ref_columns.is_empty() {
            return Err(self.locator.error(
                "a correlated `IN (SELECT …)` is not supported by xorq; write it as `EXISTS (SELECT … WHERE …)`",
                self.locator.keyword(words),
            ));
        }
        let right = self.materialize(self.lift(&s.subquery.subquery, None)?)?;
        let y = match right.cols.as_slice() {
            [only] => only.column().map(str::to_string),
            _ => None,
        }
        .ok_or_else(|| {
            self.locator.error("the subquery of `IN` must return one column", self.locator.keyword(words))
        })?;
        let kind = if negated { JoinKind::Anti } else { JoinKind::Semi };
        if negated {
            let left_nullable = s.expr.nullable(schema).unwrap_or(true);
            let right_nullable = right.table.schema().field(&y).is_none_or(|f| f.nullable);
            if left_nullable || right_nullable {
                return Err(self.locator.error(
                    "`NOT IN (SELECT …)` over values that can be null is not supported by xorq (SQL's NOT IN yields no rows once the subquery has a null, which a join cannot express); write `NOT EXISTS (SELECT … WHERE inner = outer)`",
                    self.locator.keyword(words),
                ));
            }
        }
        let subquery_schema = s.subquery.subquery.schema();
        let scope = Scope::Join {
            schema,
            left_schema: schema,
            right_schema: subquery_schema,
            left: &rel.cols,
            right: &right.cols,
        };
        let x = self.scalar(scope, &[]).lift(&s.expr)?;
        Ok(match (&*s.expr, rel_column(rel, schema, &s.expr)) {
            (DfExpr::Column(_), Some(name)) => {
                Pending { kind, right: right.table, keys: vec![(name, y)], predicate: None }
            }
            _ => Pending { kind, right: right.table, keys: vec![], predicate: Some(x.eq(xorq_core::rcol(y))) },
        })
    }

    fn exists(&self, rel: &Rel, schema: &DFSchema, e: &Exists, negated: bool) -> Result<Pending> {
        let words: &[&str] = if negated { &["NOT", "EXISTS"] } else { &["EXISTS"] };
        let unsupported = |why: &str| {
            self.locator.error(
                format!("this `EXISTS` is not supported by xorq: {why}"),
                self.locator.keyword(words).or_else(|| self.locator.keyword(&["EXISTS"])),
            )
        };
        if e.subquery.outer_ref_columns.is_empty() {
            return Err(unsupported("it does not refer to the outer query; filter with a join instead"));
        }
        let mut plan = e.subquery.subquery.as_ref();
        loop {
            plan = match plan {
                LogicalPlan::Projection(p) => &p.input,
                LogicalPlan::SubqueryAlias(a) => &a.input,
                LogicalPlan::Distinct(Distinct::All(input)) => input,
                _ => break,
            };
        }
        let LogicalPlan::Filter(filter) = plan else {
            return Err(unsupported("the outer query may only be referred to in the subquery's WHERE clause"));
        };
        let inner_schema = filter.input.schema();
        let inner = self.materialize(self.lift(&filter.input, None)?)?;
        let (correlated, local): (Vec<&DfExpr>, Vec<&DfExpr>) =
            split_conjunction(&filter.predicate).into_iter().partition(|c| contains_outer_reference(c));
        let mut right = inner.table.clone();
        if !local.is_empty() {
            let lifter = self.scalar(Scope::Single { schema: inner_schema, cols: &inner.cols }, &[]);
            let terms = local.iter().map(|c| lifter.lift(c)).collect::<Result<Vec<_>>>()?;
            if let Some(p) = terms.into_iter().reduce(Expr::and) {
                right = right.filter(p).map_err(|e| self.core(e))?;
            }
        }
        let scope = || Scope::Correlated { inner_schema, inner: &inner.cols, outer_schema: schema, outer: &rel.cols };
        let lifter = self.scalar(scope(), &[]);
        let mut keys = Vec::new();
        let mut rest = Vec::new();
        for c in correlated {
            let pair = match c {
                DfExpr::BinaryExpr(BinaryExpr { left, op: Operator::Eq, right: r }) => {
                    correlation_pair(&scope(), left, r).or_else(|| correlation_pair(&scope(), r, left))
                }
                _ => None,
            };
            match pair {
                Some(pair) => keys.push(pair),
                None => rest.push(lifter.lift(c)?),
            }
        }
        let kind = if negated { JoinKind::Anti } else { JoinKind::Semi };
        Ok(Pending { kind, right, keys, predicate: rest.into_iter().reduce(Expr::and) })
    }

    /// Cross-joins the uncorrelated one-row scalar subqueries of `exprs` to `rel`; returns their
    /// values by plan address.
    pub(crate) fn scalar_subqueries(&self, rel: Rel, exprs: &[&DfExpr]) -> Result<(Rel, Vec<(usize, Expr)>)> {
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
        let at = self.locator.keyword(&["(", "SELECT"]);
        let mut lifted = Vec::with_capacity(found.len());
        for s in found {
            if !s.outer_ref_columns.is_empty() {
                return Err(self
                    .locator
                    .error("a correlated scalar subquery is not supported by xorq; join instead", at));
            }
            if !one_row(&s.subquery) {
                return Err(self.locator.error(
                    "a scalar subquery is supported only when it is an aggregate without GROUP BY (exactly one row)",
                    at,
                ));
            }
            lifted.push((plan_id(&s.subquery), self.materialize(self.lift(&s.subquery, None)?)?.table));
        }
        // Joined in an order of their own, so the order they were written in does not matter.
        lifted.sort_by_cached_key(|(_, t)| t.address());
        let rel = self.materialize(rel)?;
        let mut table = rel.table.clone();
        let mut values = Vec::with_capacity(lifted.len());
        for (id, value) in lifted {
            table = table.cross_join(&value).map_err(|e| self.core(e))?;
            let RelOp::Join(j) = table.node().op() else {
                return Err(EngineError::Internal("a cross join lifted to another operation".into()));
            };
            let name =
                j.outputs.last().map(|o| o.name.clone()).ok_or_else(|| EngineError::Internal("empty join".into()))?;
            values.push((id, col(name)));
        }
        Ok((Rel { table, cols: rel.cols }, values))
    }
}

/// The table column a plain column reference of the outer query is.
fn rel_column(rel: &Rel, schema: &DFSchema, e: &DfExpr) -> Option<String> {
    let DfExpr::Column(c) = e else { return None };
    let i = schema.index_of_column(c).ok()?;
    rel.cols.get(i)?.column().map(str::to_string)
}

/// `outer = inner` between plain columns, as `(outer, inner)` names.
fn correlation_pair(scope: &Scope<'_>, outer: &DfExpr, inner: &DfExpr) -> Option<(String, String)> {
    let (DfExpr::OuterReferenceColumn(_, o), DfExpr::Column(i)) = (outer, inner) else { return None };
    let (oc, _) = scope.find(o, true)?;
    let (ic, _) = scope.find(i, false)?;
    Some((oc.column()?.to_string(), ic.column()?.to_string()))
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
