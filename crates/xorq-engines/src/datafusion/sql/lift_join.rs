//! Joins and set operations. DataFusion plans `INTERSECT` / `EXCEPT` as semi / anti joins that
//! treat nulls as equal; those become the IR's set operations again.

use datafusion::common::NullEquality;
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Distinct, Expr as DfExpr, Join, JoinType, LogicalPlan, Operator, Union};
use xorq_core::plan::RelOp;
use xorq_core::{DataType, Expr, JoinKind, JoinSide, Table, col, lcol, rcol, union_type};

use super::lift_rel::{Lifter, strip_aliases};
use super::rel::{Col, Rel, Scope, Value};
use crate::error::{EngineError, Result};

impl Lifter<'_> {
    pub(crate) fn join(&self, j: &Join) -> Result<Rel> {
        let id = std::ptr::from_ref(j) as usize;
        if j.null_equality == NullEquality::NullEqualsNull {
            return self.intersect_or_except(j);
        }
        let kind = match j.join_type {
            JoinType::Inner if j.on.is_empty() && j.filter.is_none() => JoinKind::Cross,
            JoinType::Inner => JoinKind::Inner,
            JoinType::Left => JoinKind::Left,
            JoinType::Right => JoinKind::Right,
            JoinType::Full => JoinKind::Outer,
            JoinType::LeftSemi => JoinKind::Semi,
            JoinType::LeftAnti => JoinKind::Anti,
            other => {
                return Err(self
                    .locator
                    .error(format!("a {other} join is not supported by xorq"), self.locator.keyword(&["JOIN"])));
            }
        };
        let left = self.materialize(self.lift(&j.left, None)?)?;
        let right = self.materialize(self.lift(&j.right, None)?)?;
        let scope = || Scope::Join {
            schema: &j.schema,
            left_schema: j.left.schema(),
            right_schema: j.right.schema(),
            left: &left.cols,
            right: &right.cols,
        };
        let lifter = self.scalar(scope(), &[]);
        let merge = !self.unmerged.contains(&id);
        let mut keys: Vec<(String, String)> = Vec::new();
        let mut rest: Vec<Expr> = Vec::new();
        let mut equalities: Vec<(&DfExpr, &DfExpr)> = j.on.iter().map(|(l, r)| (l, r)).collect();
        let mut others: Vec<&DfExpr> = Vec::new();
        for c in j.filter.iter().flat_map(split_conjunction) {
            match c {
                DfExpr::BinaryExpr(BinaryExpr { left: l, op: Operator::Eq, right: r }) => equalities.push((l, r)),
                other => others.push(other),
            }
        }
        for (l, r) in equalities {
            match key_pair(&scope(), l, r) {
                Some((a, b)) if merge || a != b => keys.push((a, b)),
                Some((a, b)) => rest.push(lcol(a).eq(rcol(b))),
                None => rest.push(lifter.lift(l)?.eq(lifter.lift(r)?)),
            }
        }
        for o in others {
            rest.push(lifter.lift(o)?);
        }
        let table = match kind {
            JoinKind::Cross => left.table.cross_join(&right.table),
            _ => match rest.into_iter().reduce(Expr::and) {
                None => left.table.join(&right.table, kind, keys),
                Some(predicate) => left.table.join_where(&right.table, kind, keys, predicate),
            },
        }
        .map_err(|e| self.core(e))?;
        let cols = join_columns(&table, kind, &left, &right, id)?;
        Ok(Rel { table, cols })
    }

    /// `INTERSECT` / `EXCEPT`: a semi / anti join over all columns with nulls equal, whose left
    /// input is made distinct (without `ALL`).
    fn intersect_or_except(&self, j: &Join) -> Result<Rel> {
        let (name, words): (&str, &[&str]) = match j.join_type {
            JoinType::LeftSemi => ("INTERSECT", &["INTERSECT"]),
            JoinType::LeftAnti => ("EXCEPT", &["EXCEPT"]),
            other => {
                return Err(self.locator.error(
                    format!("a {other} join with nulls equal is not supported by xorq"),
                    self.locator.keyword(&["JOIN"]),
                ));
            }
        };
        let distinct_input = match strip_aliases(&j.left) {
            LogicalPlan::Distinct(Distinct::All(input)) if j.filter.is_none() => input,
            _ => {
                return Err(self.locator.error(
                    format!("`{name} ALL` is not supported by xorq; use `{name}` (distinct rows)"),
                    self.locator.keyword(&[words[0], "ALL"]).or_else(|| self.locator.keyword(words)),
                ));
            }
        };
        let a = self.materialize(self.lift(distinct_input, None)?)?;
        let b = self.materialize(self.lift(&j.right, None)?)?;
        let names: Vec<String> = a.cols.iter().map(|c| c.name.clone()).collect();
        let mut tables = self.conform(vec![a, b], &names)?.into_iter();
        let (a, b) = match (tables.next(), tables.next()) {
            (Some(a), Some(b)) => (a, b),
            _ => return Err(EngineError::Internal("set operation inputs".into())),
        };
        let table = if j.join_type == JoinType::LeftSemi { a.intersect(&b) } else { a.difference(&b) };
        Ok(Rel::of(table.map_err(|e| self.core_at(e, words))?))
    }

    /// `UNION ALL`, or `UNION` (distinct) when wrapped in `Distinct`.
    pub(crate) fn union(&self, u: &Union, distinct: bool) -> Result<Rel> {
        let rels = u.inputs.iter().map(|i| self.materialize(self.lift(i, None)?)).collect::<Result<Vec<_>>>()?;
        let names: Vec<String> = match rels.first() {
            Some(first) => first.cols.iter().map(|c| c.name.clone()).collect(),
            None => return Err(EngineError::Internal("union without inputs".into())),
        };
        let tables = self.conform(rels, &names)?;
        let last = tables.len() - 1;
        let mut it = tables.into_iter().enumerate();
        let mut acc = it.next().map(|(_, t)| t).ok_or_else(|| EngineError::Internal("union without inputs".into()))?;
        for (i, t) in it {
            // distinct(a ∪ b ∪ c) = (a ∪ b) ∪distinct c
            acc = if distinct && i == last { acc.union_distinct(&t) } else { acc.union(&t) }
                .map_err(|e| self.core_at(e, &["UNION"]))?;
        }
        Ok(Rel::of(acc))
    }

    /// The inputs of a set operation with the same column names (`names`) and types (the
    /// common type of each column), renaming and casting only where needed.
    fn conform(&self, rels: Vec<Rel>, names: &[String]) -> Result<Vec<Table>> {
        let column = |r: &Rel, i: usize| -> Result<String> {
            let c = r.cols.get(i).ok_or_else(|| {
                self.locator.error("the inputs of a set operation have different numbers of columns", None)
            })?;
            match c.column() {
                Some(name) => Ok(name.to_string()),
                // A merged join key: asks for the join again without merging.
                None => self.value(c).and_then(|_| Err(EngineError::Internal("set operation input not plain".into()))),
            }
        };
        let mut targets = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            // The common type; `None` when there is none, and the IR reports the mismatch.
            let mut t: Option<DataType> = None;
            let mut compatible = true;
            for r in &rels {
                let c = column(r, i)?;
                let dtype =
                    r.table.schema().field_or_err(&c, "set operation input").map_err(|e| self.core(e))?.dtype.clone();
                t = match t {
                    None => Some(dtype),
                    // As DataFusion's `coerce_union_schema`: values unify (a number with text is text).
                    Some(prev) => match union_type(&prev, &dtype) {
                        Some(common) => Some(common),
                        None => {
                            compatible = false;
                            Some(prev)
                        }
                    },
                };
            }
            targets.push(t.filter(|_| compatible));
        }
        if targets.iter().any(Option::is_none) {
            // Left as written, so the IR's error names the columns the user wrote.
            return Ok(rels.into_iter().map(|r| r.table).collect());
        }
        rels.into_iter()
            .map(|r| {
                if r.cols.len() != names.len() {
                    return Err(self
                        .locator
                        .error("the inputs of a set operation have different numbers of columns", None));
                }
                let schema = r.table.schema();
                let same = r.is_identity()
                    && schema
                        .fields()
                        .iter()
                        .zip(names)
                        .zip(&targets)
                        .all(|((f, n), t)| f.name == *n && Some(&f.dtype) == t.as_ref());
                if same && schema.len() == names.len() {
                    return Ok(r.table);
                }
                let mut exprs = Vec::with_capacity(names.len());
                for (i, (n, t)) in names.iter().zip(&targets).enumerate() {
                    let c = column(&r, i)?;
                    let mut e = col(c.as_str());
                    if let (Some(t), Some(f)) = (t, schema.field(&c))
                        && f.dtype != *t
                    {
                        e = e.cast(t.clone());
                    }
                    exprs.push(e.alias(n));
                }
                r.table.select(exprs).map_err(|e| self.core(e))
            })
            .collect()
    }
}

/// `l = r` between a plain left column and a plain right column, as `(left, right)` names.
fn key_pair(scope: &Scope<'_>, l: &DfExpr, r: &DfExpr) -> Option<(String, String)> {
    let (DfExpr::Column(a), DfExpr::Column(b)) = (l, r) else { return None };
    let (ca, sa) = scope.find(a, false)?;
    let (cb, sb) = scope.find(b, false)?;
    match (sa?, sb?) {
        (true, false) => Some((ca.column()?.to_string(), cb.column()?.to_string())),
        (false, true) => Some((cb.column()?.to_string(), ca.column()?.to_string())),
        _ => None,
    }
}

/// Where each column of DataFusion's join output is in the IR join's output. A same-named key
/// the IR merged stands for the kept copy only in an inner join with equal types; otherwise it
/// is [`Value::Merged`].
fn join_columns(table: &Table, kind: JoinKind, left: &Rel, right: &Rel, id: usize) -> Result<Vec<Col>> {
    let RelOp::Join(node) = table.node().op() else {
        return Err(EngineError::Internal("a join lifted to another operation".into()));
    };
    let find = |side: JoinSide, column: &str| {
        node.outputs.iter().find(|o| o.side == side && o.column == column).map(|o| o.name.clone())
    };
    let mut cols = Vec::new();
    for c in &left.cols {
        let name = c.column().ok_or_else(|| EngineError::Internal("join input not materialized".into()))?;
        let value = match find(JoinSide::Left, name) {
            Some(out) => Value::Expr(col(out)),
            None => Value::Merged { join: id },
        };
        cols.push(Col { value, name: c.name.clone() });
    }
    if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
        return Ok(cols);
    }
    for c in &right.cols {
        let name = c.column().ok_or_else(|| EngineError::Internal("join input not materialized".into()))?;
        let value = match find(JoinSide::Right, name) {
            Some(out) => Value::Expr(col(out)),
            None => {
                let kept = node.on.iter().find(|(_, r)| r == name).and_then(|(l, _)| {
                    let same_type = left.table.schema().field(l).map(|f| &f.dtype)
                        == right.table.schema().field(name).map(|f| &f.dtype);
                    if kind == JoinKind::Inner && same_type { find(JoinSide::Left, l) } else { None }
                });
                match kept {
                    Some(out) => Value::Expr(col(out)),
                    None => Value::Merged { join: id },
                }
            }
        };
        cols.push(Col { value, name: c.name.clone() });
    }
    Ok(cols)
}
