//! Joins lowered as DataFusion would plan them from SQL: a tree of joins over aliased inputs with
//! qualified columns, filters directly over the joins they restrict, and one projection at the
//! top that names the columns as the IR does.
//!
//! The IR's `Join` names its output columns itself (keeping one copy of a same-named key,
//! suffixing clashes with `_right`). Lowered node by node, that naming is a renaming projection
//! over every join, which hides the join tree from DataFusion's optimizer: it can neither turn a
//! cross join under a `WHERE` into inner joins in a good order (`eliminate_cross_join`) nor see
//! the tree whole. Here a cluster of joins (and filters over joins) is lowered at once: each
//! input that is not itself a join gets an alias of its own (`__xorq_t<n>`), each IR column is
//! followed to the qualified column it stands for, and only the cluster's root is projected.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, TableReference};
use datafusion::logical_expr::{Expr as DfExpr, LogicalPlan, LogicalPlanBuilder};
use xorq_core::expr::JoinSide;
use xorq_core::plan::{JoinKind, Node, RelOp};

use super::lower::{Lowering, common_key_type, df, join_type};
use super::provider::source_provider;
use super::scalar::{LEFT, Nested, RIGHT};
use crate::error::{EngineError, Result};

/// A lowered join cluster: its plan (without the final projection) and, for each IR column of
/// the cluster's root, the qualified column that holds it.
pub(crate) struct Joined {
    pub plan: LogicalPlan,
    pub columns: BTreeMap<String, Column>,
}

/// Whether `node` is lowered inside the join cluster of a parent that is a join or a filter: a
/// join, or a filter over one.
pub(crate) fn is_member(node: &Node) -> bool {
    let mut n = node;
    loop {
        match n.op() {
            RelOp::Join(_) => return true,
            RelOp::Filter(f) => n = &f.input,
            _ => return false,
        }
    }
}

/// Whether `parent` lowers its input `child` inside its own join cluster.
pub(crate) fn inlines(parent: &Node, child: &Node) -> bool {
    matches!(parent.op(), RelOp::Join(_) | RelOp::Filter(_)) && is_member(parent) && is_member(child)
}

impl Lowering<'_> {
    /// The plan of a cluster root (a join, or a filter over one) with the IR's column names.
    pub(crate) fn lower_join_cluster(&self, node: &Arc<Node>) -> Result<LogicalPlan> {
        let mut next_alias = 0usize;
        let joined = self.join_tree(node, &mut next_alias)?;
        let outputs = node
            .schema()
            .fields()
            .iter()
            .map(|f| {
                let column = joined
                    .columns
                    .get(&f.name)
                    .ok_or_else(|| EngineError::Internal(format!("join output `{}` has no column", f.name)))?;
                Ok(DfExpr::Column(column.clone()).alias(f.name.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        LogicalPlanBuilder::from(joined.plan)
            .project(outputs)
            .and_then(LogicalPlanBuilder::build)
            .map_err(df("lowering a join"))
    }

    #[recursive::recursive]
    fn join_tree(&self, node: &Arc<Node>, next_alias: &mut usize) -> Result<Joined> {
        let err = df("lowering a join");
        match node.op() {
            RelOp::Filter(f) => {
                let input = self.join_input(&f.input, next_alias)?;
                let predicate = self.scalar().lower(&f.predicate, &mut Nested::Inline)?;
                let predicate = qualify(predicate, |_, name| input.columns.get(name).cloned())?;
                let plan =
                    LogicalPlanBuilder::from(input.plan).filter(predicate).and_then(|b| b.build()).map_err(err)?;
                Ok(Joined { plan, columns: input.columns })
            }
            RelOp::Join(j) => {
                let Joined { plan: left_plan, columns: left_columns } = self.join_input(&j.left, next_alias)?;
                let Joined { plan: right_plan, columns: right_columns } = self.join_input(&j.right, next_alias)?;
                let (left, right) = (Sides(&left_columns), Sides(&right_columns));
                let builder = LogicalPlanBuilder::from(left_plan);
                let plan = if j.kind == JoinKind::Cross {
                    builder.cross_join(right_plan)
                } else {
                    let (mut lk, mut rk) = (Vec::with_capacity(j.on.len()), Vec::with_capacity(j.on.len()));
                    for (l, r) in &j.on {
                        let (lt, rt) = (
                            &j.left.schema().field_or_err(l, "Join keys")?.dtype,
                            &j.right.schema().field_or_err(r, "Join keys")?.dtype,
                        );
                        let common = common_key_type(lt, rt)?;
                        lk.push(super::lower::cast_to(DfExpr::Column(side_column(&left, l)?), lt, &common));
                        rk.push(super::lower::cast_to(DfExpr::Column(side_column(&right, r)?), rt, &common));
                    }
                    let filter = match &j.filter {
                        Some(f) => {
                            let lowered = self.scalar().lower(f, &mut Nested::Inline)?;
                            Some(qualify(lowered, |relation, name| match relation {
                                Some(LEFT) => left.0.get(name).cloned(),
                                Some(RIGHT) => right.0.get(name).cloned(),
                                _ => None,
                            })?)
                        }
                        None => None,
                    };
                    builder.join_with_expr_keys(right_plan, join_type(j.kind)?, (lk, rk), filter)
                }
                .and_then(|b| b.build())
                .map_err(err)?;
                let mut columns = BTreeMap::new();
                for o in &j.outputs {
                    let side = if o.side == JoinSide::Left { &left } else { &right };
                    columns.insert(o.name.clone(), side_column(side, &o.column)?);
                }
                Ok(Joined { plan, columns })
            }
            other => Err(EngineError::Internal(format!("`{}` lowered as a join", other.name()))),
        }
    }

    /// An input of a join or filter in a cluster: another member inline, a source scanned under
    /// an alias of its own, anything else under an alias of its own.
    fn join_input(&self, node: &Arc<Node>, next_alias: &mut usize) -> Result<Joined> {
        if is_member(node) && !self.is_substituted(node) {
            return self.join_tree(node, next_alias);
        }
        let alias = format!("__xorq_t{next_alias}");
        *next_alias += 1;
        let plan = match node.op() {
            // A source is scanned under the alias, as SQL's `FROM t AS alias`.
            RelOp::Source(source) if !self.is_substituted(node) => {
                let provider = source_provider(source, self.partitions())?;
                LogicalPlanBuilder::scan(TableReference::bare(alias.clone()), provider_as_source(provider), None)
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(df("scanning a join input"))?
            }
            _ => LogicalPlanBuilder::from(self.input_plan(node)?)
                .alias(alias.clone())
                .and_then(LogicalPlanBuilder::build)
                .map_err(df("aliasing a join input"))?,
        };
        // The scan's (or the aliased plan's) columns are the IR's, in order.
        let columns = node
            .schema()
            .fields()
            .iter()
            .zip(plan.schema().fields().iter())
            .map(|(ir, df_field)| (ir.name.clone(), Column::new(Some(alias.clone()), df_field.name().clone())))
            .collect();
        Ok(Joined { plan, columns })
    }
}

/// The column map of one side of a join.
struct Sides<'a>(&'a BTreeMap<String, Column>);

fn side_column(side: &Sides<'_>, name: &str) -> Result<Column> {
    side.0.get(name).cloned().ok_or_else(|| EngineError::Internal(format!("join input has no column `{name}`")))
}

/// `e` with every column reference replaced by the qualified column `find(relation, name)` gives.
fn qualify(e: DfExpr, find: impl Fn(Option<&str>, &str) -> Option<Column>) -> Result<DfExpr> {
    e.transform_up(|x| {
        Ok(match &x {
            DfExpr::Column(c) => match find(c.relation.as_ref().map(|r| r.table()), &c.name) {
                Some(q) => Transformed::yes(DfExpr::Column(q)),
                None => {
                    return Err(datafusion::error::DataFusionError::Internal(format!(
                        "column `{}` is not in the join",
                        c.flat_name()
                    )));
                }
            },
            _ => Transformed::no(x),
        })
    })
    .map(|t| t.data)
    .map_err(|e| EngineError::datafusion("lowering a join predicate", e))
}
