//! DataFusion's (unoptimized) logical plan → IR tables, node by node, through the public
//! [`Table`] builder so checks and canonicalization are those of the Rust API.
//!
//! Aliases (`SubqueryAlias`, table qualifiers) vanish: columns are followed by position. A
//! projection that only renames the outputs of an aggregate names them in the aggregate itself
//! (as `agg([sum.alias("total")])` does), and a projection that changes nothing disappears.

use std::cell::Cell;
use std::collections::BTreeSet;

use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{
    Aggregate, Distinct, Expr as DfExpr, FetchType, Filter, Limit, LogicalPlan, Projection, SkipType, Sort, TableScan,
    Window,
};
use xorq_core::{CoreError, Expr, Table, col};

use super::cache_marker::{Mark, Marked, wrapper_index};
use super::context::SqlSource;
use super::lift_scalar::ScalarLifter;
use super::locate::Locator;
use super::rel::{Col, Rel, Scope, Value};
use crate::error::{EngineError, Result};

/// Names a parent projection gives the columns of a node, by position.
pub(crate) type Hints<'h> = Option<&'h [Option<String>]>;

/// One lifting pass over a plan.
pub(crate) struct Lifter<'a> {
    pub locator: &'a Locator<'a>,
    /// Joins (by plan node address) whose same-named keys must stay two columns.
    pub unmerged: BTreeSet<usize>,
    /// Set when a merged join key was used: the pass is repeated with that join unmerged.
    pub blocked: Cell<Option<usize>>,
    /// What each marker wrapper stands for, by wrapper number (`__xorq_cache_<n>`), and the
    /// declared parameters.
    pub marked: &'a Marked,
}

/// Lifts a whole query plan; its output columns carry the query's output names.
pub(crate) fn lift_root(plan: &LogicalPlan, locator: &Locator<'_>, marked: &Marked) -> Result<Table> {
    let mut unmerged = BTreeSet::new();
    loop {
        let lifter = Lifter { locator, unmerged: unmerged.clone(), blocked: Cell::new(None), marked };
        let result = lifter.lift(plan, None).and_then(|rel| lifter.finish(rel));
        match (result, lifter.blocked.get()) {
            (Err(_), Some(join)) if unmerged.insert(join) => continue,
            (result, _) => return result,
        }
    }
}

impl<'a> Lifter<'a> {
    pub(crate) fn scalar<'s>(&'s self, scope: Scope<'s>, subqueries: &'s [(usize, Expr)]) -> ScalarLifter<'s> {
        ScalarLifter { lifter: self, scope, subqueries }
    }

    /// A builder error, placed at the function or operator it names when the text has it.
    pub(crate) fn core(&self, e: CoreError) -> EngineError {
        let message = e.to_string();
        match self.locator.named_in(&message) {
            Some(at) => self.locator.error(message, Some(at)),
            None => EngineError::Core(e),
        }
    }

    /// A builder error placed at what it names, else at `words`.
    pub(crate) fn core_at(&self, e: CoreError, words: &[&str]) -> EngineError {
        let message = e.to_string();
        let at = self.locator.named_in(&message).or_else(|| self.locator.keyword(words));
        self.locator.error(message, at)
    }

    fn unsupported(&self, what: &str, words: &[&str]) -> EngineError {
        self.locator.error(format!("{what} is not supported by xorq"), self.locator.keyword(words))
    }

    /// Lifts one node; `hints` name its columns where a parent only renames them.
    #[recursive::recursive]
    pub(crate) fn lift(&self, plan: &LogicalPlan, hints: Hints<'_>) -> Result<Rel> {
        match plan {
            LogicalPlan::Projection(p) => self.projection(p),
            LogicalPlan::Filter(f) => self.filter(f, hints),
            LogicalPlan::Window(w) => self.window(w, hints),
            LogicalPlan::Aggregate(a) => self.aggregate(a, hints),
            LogicalPlan::Sort(s) => self.sort(s, hints),
            LogicalPlan::Limit(l) => self.limit(l, hints),
            LogicalPlan::Join(j) => self.join(j),
            LogicalPlan::Union(u) => self.union(u, false),
            LogicalPlan::TableScan(t) => self.scan(t),
            LogicalPlan::SubqueryAlias(a) => match wrapper_index(a.alias.table()) {
                Some(n) => self.cached(&a.input, n),
                None => self.lift(&a.input, hints),
            },
            LogicalPlan::Distinct(Distinct::All(input)) => match strip_aliases(input) {
                LogicalPlan::Union(u) => self.union(u, true),
                _ => {
                    let rel = self.materialize(self.lift(input, hints)?)?;
                    Ok(Rel { table: rel.table.distinct().map_err(|e| self.core(e))?, cols: rel.cols })
                }
            },
            LogicalPlan::Distinct(Distinct::On(_)) => Err(self.unsupported("`DISTINCT ON`", &["DISTINCT", "ON"])),
            LogicalPlan::EmptyRelation(e) => self.empty_relation(e),
            LogicalPlan::Values(v) => self.values(v),
            LogicalPlan::Unnest(_) => Err(self.unsupported("`UNNEST`", &["UNNEST"])),
            LogicalPlan::RecursiveQuery(_) => Err(self.unsupported("a recursive CTE", &["RECURSIVE"])),
            LogicalPlan::Subquery(_) => Err(self.locator.error(
                "a LATERAL (correlated) subquery in FROM is not supported by xorq",
                self.locator.keyword(&["LATERAL"]),
            )),
            other => Err(self.locator.error(format!("`{}` is not supported by xorq", other.display()), None)),
        }
    }

    /// A query marked `-- xorq: cache`, `-- xorq: tag` or `-- xorq: into_backend`: lifted with
    /// its SQL output names, then cached, tagged or moved.
    fn cached(&self, input: &LogicalPlan, n: usize) -> Result<Rel> {
        let mark =
            self.marked.ctes.get(n).ok_or_else(|| EngineError::Internal(format!("marker {n} has no meaning")))?;
        let table = self.finish(self.lift(input, None)?)?;
        let marked = match mark {
            Mark::Cache(strategy) => table.cache(*strategy),
            Mark::Tag(name) => table.tag(name),
            Mark::IntoBackend(profile) => table.into_backend(profile),
        };
        Ok(Rel::of(marked.map_err(|e| self.core(e))?))
    }

    /// Places pending window functions in a projection, so every column is a table column.
    pub(crate) fn materialize(&self, rel: Rel) -> Result<Rel> {
        if rel.is_plain() {
            return Ok(rel);
        }
        let mut taken: BTreeSet<String> = rel.cols.iter().filter_map(|c| c.column().map(str::to_string)).collect();
        let mut selected: BTreeSet<String> = BTreeSet::new();
        let mut exprs = Vec::with_capacity(rel.cols.len());
        let mut cols = Vec::with_capacity(rel.cols.len());
        for c in &rel.cols {
            if matches!(c.value, Value::Hidden) {
                cols.push(c.clone());
                continue;
            }
            // Two plan columns may be one table column (the merged key of an inner join).
            let name = match c.column() {
                Some(n) => n.to_string(),
                None => unique(&c.name, &mut taken),
            };
            if selected.insert(name.clone()) {
                exprs.push(self.value(c)?.alias(&name));
            }
            cols.push(Col { value: Value::Expr(col(name)), name: c.name.clone() });
        }
        let table = rel.table.select(exprs).map_err(|e| self.core(e))?;
        Ok(Rel { table, cols })
    }

    pub(crate) fn value(&self, c: &Col) -> Result<Expr> {
        match &c.value {
            Value::Expr(e) => Ok(e.clone()),
            Value::Merged { join } => {
                self.blocked.set(Some(*join));
                Err(EngineError::Internal(format!("join key `{}` was merged", c.name)))
            }
            Value::Hidden => Err(EngineError::Internal(format!("internal column `{}` was read", c.name))),
        }
    }

    /// The lifted root with the query's output names.
    fn finish(&self, rel: Rel) -> Result<Table> {
        if rel.is_identity() {
            return Ok(rel.table);
        }
        let cols: Vec<&Col> = rel.cols.iter().filter(|c| !matches!(c.value, Value::Hidden)).collect();
        let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
        self.check_unique(&names)?;
        let exprs = cols.iter().zip(&names).map(|(c, n)| Ok(self.value(c)?.alias(n))).collect::<Result<Vec<_>>>()?;
        rel.table.select(exprs).map_err(|e| self.core(e))
    }

    fn check_unique(&self, names: &[String]) -> Result<()> {
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(self.locator.error(
                    format!(
                        "the query has two output columns named `{n}`; give one of them another name (`… AS {n}_2`), or join with `USING (…)` to keep one copy of a key"
                    ),
                    self.locator.keyword(&["*"]).or_else(|| self.locator.token(n)),
                ));
            }
        }
        Ok(())
    }

    fn projection(&self, p: &Projection) -> Result<Rel> {
        let schema = p.input.schema();
        let mut hints: Vec<Option<String>> = vec![None; schema.fields().len()];
        for e in &p.expr {
            if let DfExpr::Alias(a) = e
                && let DfExpr::Column(c) = unalias(&a.expr)
                && let Ok(i) = schema.index_of_column(c)
            {
                hints[i].get_or_insert_with(|| a.name.clone());
            }
        }
        let input = self.lift(&p.input, Some(&hints))?;
        let refs: Vec<&DfExpr> = p.expr.iter().collect();
        let (input, subqueries) = self.scalar_subqueries(input, schema, &refs)?;
        let lifter = self.scalar(Scope::Single { schema, cols: &input.cols }, &subqueries);
        let mut exprs = Vec::with_capacity(p.expr.len());
        let mut names = Vec::with_capacity(p.expr.len());
        for e in &p.expr {
            let name = match e {
                DfExpr::Alias(a) => a.name.clone(),
                other => lifter.display_name(other),
            };
            exprs.push(lifter.lift(e)?);
            names.push(name);
        }
        self.check_unique(&names)?;
        let table_names = input.table.columns();
        let identity = exprs.len() == table_names.len()
            && exprs
                .iter()
                .zip(&names)
                .zip(&table_names)
                .all(|((e, n), t)| matches!(e, Expr::Column { name, side: None } if name == t) && n == t);
        if identity {
            return Ok(Rel::of(input.table));
        }
        let exprs: Vec<Expr> = exprs.into_iter().zip(&names).map(|(e, n)| e.alias(n)).collect();
        Ok(Rel::of(input.table.select(exprs).map_err(|e| self.core(e))?))
    }

    /// A `WHERE` (or `HAVING`): its plain conditions first, then its `IN`/`EXISTS` conditions as
    /// semi and anti joins (which only remove rows), then the conditions on scalar subqueries,
    /// whose values are joined in last, over the fewest rows. DataFusion plans the same order.
    fn filter(&self, f: &Filter, hints: Hints<'_>) -> Result<Rel> {
        let schema = f.input.schema();
        let input = self.materialize(self.lift(&f.input, hints)?)?;
        let (with_subquery, plain): (Vec<&DfExpr>, Vec<&DfExpr>) =
            split_conjunction(&f.predicate).into_iter().partition(|c| is_subquery_condition(c));
        let (with_scalar, simple): (Vec<&DfExpr>, Vec<&DfExpr>) =
            plain.into_iter().partition(|c| contains_scalar_subquery(c));
        let columns: Vec<String> = input.table.columns().iter().map(|c| c.to_string()).collect();
        let mut rel = input;
        if !simple.is_empty() {
            let lifter = self.scalar(Scope::Single { schema, cols: &rel.cols }, &[]);
            let terms = simple.iter().map(|c| lifter.lift(c)).collect::<Result<Vec<_>>>()?;
            let predicate = terms.into_iter().reduce(Expr::and).unwrap_or_else(|| xorq_core::lit(true));
            rel.table = rel.table.filter(predicate).map_err(|e| self.core(e))?;
        }
        let rel = self.subquery_conditions(rel, schema, &with_subquery)?;
        if with_scalar.is_empty() {
            return Ok(rel);
        }
        let (mut rel, subqueries) = self.scalar_subqueries(rel, schema, &with_scalar)?;
        let lifter = self.scalar(Scope::Single { schema, cols: &rel.cols }, &subqueries);
        let terms = with_scalar.iter().map(|c| lifter.lift(c)).collect::<Result<Vec<_>>>()?;
        let predicate = terms.into_iter().reduce(Expr::and).unwrap_or_else(|| xorq_core::lit(true));
        rel.table = rel.table.filter(predicate).map_err(|e| self.core(e))?;
        // Drop the columns of the joined subquery values again.
        rel.table = rel.table.select(columns.iter().map(col)).map_err(|e| self.core(e))?;
        Ok(rel)
    }

    fn window(&self, w: &Window, hints: Hints<'_>) -> Result<Rel> {
        let schema = w.input.schema();
        let width = schema.fields().len();
        let input = self.lift(&w.input, hints.map(|h| &h[..width.min(h.len())]))?;
        let lifter = self.scalar(Scope::Single { schema, cols: &input.cols }, &[]);
        let mut cols = input.cols.clone();
        for e in &w.window_expr {
            cols.push(Col { value: Value::Expr(lifter.lift(e)?), name: lifter.display_name(e) });
        }
        Ok(Rel { table: input.table, cols })
    }

    fn aggregate(&self, a: &Aggregate, hints: Hints<'_>) -> Result<Rel> {
        let schema = a.input.schema();
        let input = self.materialize(self.lift(&a.input, None)?)?;
        let lifter = self.scalar(Scope::Single { schema, cols: &input.cols }, &[]);
        let (group_exprs, sets) = grouping(&a.group_expr);
        let outputs: Vec<&DfExpr> = group_exprs.iter().copied().chain(&a.aggr_expr).collect();
        // With grouping sets, DataFusion's output has its internal grouping id after the keys.
        let hidden = usize::from(sets.is_some());
        let mut exprs = Vec::with_capacity(outputs.len());
        let mut sql_names = Vec::with_capacity(outputs.len());
        for e in &outputs {
            exprs.push(lifter.lift(e)?);
            sql_names.push(match e {
                DfExpr::Alias(al) => al.name.clone(),
                other => lifter.display_name(other),
            });
        }
        let mut taken = BTreeSet::new();
        let ir_names: Vec<String> = sql_names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let position = if i < group_exprs.len() { i } else { i + hidden };
                let preferred = hints.and_then(|h| h.get(position).cloned().flatten()).unwrap_or_else(|| n.clone());
                unique(&preferred, &mut taken)
            })
            .collect();
        let mut named = exprs.into_iter().zip(&ir_names).map(|(e, n)| e.alias(n));
        let keys: Vec<Expr> = named.by_ref().take(group_exprs.len()).collect();
        let measures: Vec<Expr> = named.collect();
        let table = match (&sets, keys.is_empty()) {
            (Some(sets), _) => input.table.group_by(keys).grouping_sets(sets.clone()).agg(measures),
            (None, true) => input.table.agg(measures),
            (None, false) => input.table.group_by(keys).agg(measures),
        }
        .map_err(|e| self.core_at(e, &["GROUP", "BY"]))?;
        let rel = Rel::named(table, sql_names);
        if sets.is_none() {
            return Ok(rel);
        }
        let mut cols = rel.cols;
        cols.insert(group_exprs.len(), Col { value: Value::Hidden, name: "__grouping_id".into() });
        Ok(Rel { table: rel.table, cols })
    }

    fn sort(&self, s: &Sort, hints: Hints<'_>) -> Result<Rel> {
        let schema = s.input.schema();
        let input = self.materialize(self.lift(&s.input, hints)?)?;
        let lifter = self.scalar(Scope::Single { schema, cols: &input.cols }, &[]);
        let keys = s.expr.iter().map(|k| lifter.sort(k)).collect::<Result<Vec<_>>>()?;
        let mut table = input.table.order_by(keys).map_err(|e| self.core(e))?;
        if let Some(n) = s.fetch {
            table = table.limit(n as u64).map_err(|e| self.core(e))?;
        }
        Ok(Rel { table, cols: input.cols })
    }

    fn limit(&self, l: &Limit, hints: Hints<'_>) -> Result<Rel> {
        let bad =
            || self.locator.error("LIMIT and OFFSET take constant whole numbers", self.locator.keyword(&["LIMIT"]));
        let skip = match l.get_skip_type() {
            Ok(SkipType::Literal(n)) => n as u64,
            _ => return Err(bad()),
        };
        let fetch = match l.get_fetch_type() {
            Ok(FetchType::Literal(n)) => n.map(|n| n as u64),
            _ => return Err(bad()),
        };
        let input = self.lift(&l.input, hints)?;
        Ok(Rel { table: input.table.slice(skip, fetch).map_err(|e| self.core(e))?, cols: input.cols })
    }

    fn scan(&self, t: &TableScan) -> Result<Rel> {
        let source = t
            .source
            .as_ref()
            .downcast_ref::<SqlSource>()
            .ok_or_else(|| EngineError::Internal(format!("table `{}` has no xorq source", t.table_name)))?;
        if !t.filters.is_empty() || t.fetch.is_some() {
            return Err(EngineError::Internal("the SQL planner pushed work into a scan".into()));
        }
        let table = source.table.clone();
        match &t.projection {
            None => Ok(Rel::of(table)),
            Some(indices) => {
                let names = table.columns();
                let picked: Vec<Expr> = indices.iter().filter_map(|i| names.get(*i)).map(|n| col(*n)).collect();
                Ok(Rel::of(table.select(picked).map_err(|e| self.core(e))?))
            }
        }
    }
}

/// The keys of an aggregate and, for `GROUPING SETS`, `ROLLUP` or `CUBE`, the sets as positions
/// in those keys.
fn grouping(group_expr: &[DfExpr]) -> (Vec<&DfExpr>, Option<Vec<Vec<usize>>>) {
    use datafusion::logical_expr::GroupingSet;
    let [DfExpr::GroupingSet(set)] = group_expr else { return (group_expr.iter().collect(), None) };
    let keys = set.distinct_expr();
    let n = keys.len();
    let sets = match set {
        GroupingSet::Rollup(_) => (0..=n).rev().map(|k| (0..k).collect()).collect(),
        GroupingSet::Cube(_) => {
            (0..1usize << n.min(16)).map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect()).collect()
        }
        GroupingSet::GroupingSets(groups) => {
            groups.iter().map(|g| g.iter().filter_map(|e| keys.iter().position(|k| *k == e)).collect()).collect()
        }
    };
    (keys, Some(sets))
}

/// The plan under any `SubqueryAlias` wrappers.
pub(crate) fn strip_aliases(mut plan: &LogicalPlan) -> &LogicalPlan {
    while let LogicalPlan::SubqueryAlias(a) = plan {
        plan = &a.input;
    }
    plan
}

/// The expression under any aliases (`count(1) AS "count(*)" AS n`).
fn unalias(mut e: &DfExpr) -> &DfExpr {
    while let DfExpr::Alias(a) = e {
        e = &a.expr;
    }
    e
}

/// `name`, or `name_2`, `name_3`, … if taken; records the result as taken.
pub(crate) fn unique(name: &str, taken: &mut BTreeSet<String>) -> String {
    let mut candidate = name.to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.insert(candidate.clone());
    candidate
}

/// Whether `e` holds a scalar subquery (not looking into subqueries' own plans).
fn contains_scalar_subquery(e: &DfExpr) -> bool {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut found = false;
    let _ = e.apply(|x| {
        found = matches!(x, DfExpr::ScalarSubquery(_));
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

/// `[NOT] IN (SELECT …)` and `[NOT] EXISTS (…)` as a whole condition.
fn is_subquery_condition(e: &DfExpr) -> bool {
    match e {
        DfExpr::InSubquery(_) | DfExpr::Exists(_) => true,
        DfExpr::Not(inner) => matches!(inner.as_ref(), DfExpr::InSubquery(_) | DfExpr::Exists(_)),
        _ => false,
    }
}
