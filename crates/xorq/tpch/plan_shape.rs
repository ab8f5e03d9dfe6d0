//! The shape of a physical plan, for comparing xorq's lowering of a query with DataFusion's
//! plan of the same SQL: what decides its speed, without what only names differ.
//!
//! A shape is a tree of lines: joins (kind, join type, partition mode, equi-join keys, filter),
//! scans (the table, the predicate pushed into the scan, the filter right above it), aggregates
//! (group keys; each function with the scanned columns its arguments read), other filters, top-k
//! sorts, set operations and scalar subqueries. Every column is named by where it comes from:
//! `table.column` for a scanned column (`nation#2.n_name` for the second scan of `nation`,
//! counted left to right), or the expression computing it from such columns, written in a
//! canonical form (operands of commutative operators sorted, comparisons turned one way, `IN`
//! lists sorted). Projections, repartitions, sorts without a limit and limits are transparent, so
//! xorq's renaming projections and DataFusion's qualified names give equal shapes when the plans
//! do the same work in the same order; the predicate of a dynamic filter (filled at run time) is
//! left out.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{JoinSide, JoinType};
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::expressions::{BinaryExpr, Column, InListExpr};
use datafusion::physical_expr::utils::split_conjunction;
use datafusion::physical_expr::{PhysicalExpr, PhysicalExprRef, ScalarFunctionExpr};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::utils::JoinFilter;
use datafusion::physical_plan::joins::{CrossJoinExec, HashJoinExec, NestedLoopJoinExec, SortMergeJoinExec};
use datafusion::physical_plan::projection::ProjectionExec;

/// Operators that only move, reorder, cut or rename rows: left out of the shape.
const TRANSPARENT: [&str; 11] = [
    "RepartitionExec",
    "CoalesceBatchesExec",
    "CoalescePartitionsExec",
    "SortExec",
    "SortPreservingMergeExec",
    "GlobalLimitExec",
    "LocalLimitExec",
    "ProjectionExec",
    "CooperativeExec",
    "BufferExec",
    "OutputRequirementExec",
];

/// The shape of `plan`, one line per node, children indented under their parent.
pub fn shape(plan: &Arc<dyn ExecutionPlan>) -> Vec<String> {
    let mut walker = Walker { scans: BTreeMap::new() };
    let sub = walker.walk(plan);
    sub.nodes.iter().flat_map(|n| n.lines(0)).collect()
}

/// Two shapes side by side, `≠` marking the lines that differ.
pub fn side_by_side(left_title: &str, left: &[String], right_title: &str, right: &[String]) -> String {
    let width = left.iter().map(|l| l.chars().count()).max().unwrap_or(0).max(left_title.len()).min(120);
    let mut out = String::new();
    let _ = writeln!(out, "  {left_title:<width$} | {right_title}");
    for i in 0..left.len().max(right.len()) {
        let (l, r) = (left.get(i).map_or("", String::as_str), right.get(i).map_or("", String::as_str));
        let mark = if l == r { ' ' } else { '≠' };
        let _ = writeln!(out, "{mark} {l:<width$} | {r}");
    }
    out
}

/// A node of the shape.
#[derive(Clone, Debug)]
struct Node {
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn lines(&self, depth: usize) -> Vec<String> {
        let mut out = vec![format!("{}{}", "  ".repeat(depth), self.text)];
        for c in &self.children {
            out.extend(c.lines(depth + 1));
        }
        out
    }
}

/// Where an output column comes from: its name in the shape (`lineitem.l_quantity`, or the
/// expression computing it), the scanned columns it is computed from, and whether it is a
/// scanned column itself.
#[derive(Clone, Debug)]
struct Origin {
    label: String,
    reads: BTreeSet<String>,
    scanned: bool,
}

impl Origin {
    /// A column as a scan reads it.
    fn scanned(label: String) -> Self {
        Origin { reads: BTreeSet::from([label.clone()]), label, scanned: true }
    }

    /// A value computed from other columns, read as itself by what uses it (an aggregate's
    /// result, a mark column, an unknown column).
    fn atom(label: String) -> Self {
        Origin { reads: BTreeSet::from([label.clone()]), label, scanned: false }
    }

    /// The expression `expr` over columns of `origins`.
    fn computed(expr: &Arc<dyn PhysicalExpr>, origins: &[Origin]) -> Self {
        if let Some(c) = expr.downcast_ref::<Column>() {
            return origin(origins, c.index());
        }
        let mut reads = BTreeSet::new();
        let _ = expr.apply(|e| {
            if let Some(c) = e.downcast_ref::<Column>() {
                reads.extend(origin(origins, c.index()).reads);
            }
            Ok(TreeNodeRecursion::Continue)
        });
        Origin { label: render(expr, origins), reads, scanned: false }
    }
}

/// The shape of a subtree: its top nodes (none when it is only transparent operators over
/// nothing, several under a multi-input operator), the origin of each output column, and whether
/// its single top node is a scan (filters right above a scan are shown on the scan's line).
struct Sub {
    nodes: Vec<Node>,
    origins: Vec<Origin>,
    top_is_scan: bool,
}

struct Walker {
    /// Scans of each table seen so far, to number repeated scans.
    scans: BTreeMap<String, usize>,
}

impl Walker {
    fn walk(&mut self, plan: &Arc<dyn ExecutionPlan>) -> Sub {
        if let Some(scan) = plan.downcast_ref::<DataSourceExec>() {
            return self.scan(plan, scan);
        }
        if let Some(join) = plan.downcast_ref::<HashJoinExec>() {
            let (l, r) = (self.walk(join.left()), self.walk(join.right()));
            let on = render_keys(join.on(), &l.origins, &r.origins);
            let mut text = format!("HashJoin {:?} {:?} on=[{on}]", join.join_type(), join.partition_mode());
            push_filter(&mut text, join.filter(), &l.origins, &r.origins);
            let origins = join_origins(*join.join_type(), &l.origins, &r.origins, join.projection.as_deref());
            return joined(text, l, r, origins, plan);
        }
        if let Some(join) = plan.downcast_ref::<NestedLoopJoinExec>() {
            let (l, r) = (self.walk(join.left()), self.walk(join.right()));
            let mut text = format!("NestedLoopJoin {:?}", join.join_type());
            push_filter(&mut text, join.filter(), &l.origins, &r.origins);
            let origins = join_origins(*join.join_type(), &l.origins, &r.origins, join.projection().as_deref());
            return joined(text, l, r, origins, plan);
        }
        if let Some(join) = plan.downcast_ref::<SortMergeJoinExec>() {
            let (l, r) = (self.walk(join.left()), self.walk(join.right()));
            let on = render_keys(join.on(), &l.origins, &r.origins);
            let mut text = format!("SortMergeJoin {:?} on=[{on}]", join.join_type());
            push_filter(&mut text, join.filter().as_ref(), &l.origins, &r.origins);
            let origins = join_origins(join.join_type(), &l.origins, &r.origins, None);
            return joined(text, l, r, origins, plan);
        }
        if let Some(join) = plan.downcast_ref::<CrossJoinExec>() {
            let (l, r) = (self.walk(join.left()), self.walk(join.right()));
            let origins = join_origins(JoinType::Inner, &l.origins, &r.origins, None);
            return joined("CrossJoin".to_string(), l, r, origins, plan);
        }
        if let Some(filter) = plan.downcast_ref::<FilterExec>() {
            let mut sub = self.walk(filter.input());
            let predicate = render_conjuncts(filter.predicate(), &sub.origins);
            if sub.top_is_scan
                && let [scan] = sub.nodes.as_mut_slice()
            {
                let _ = write!(scan.text, " filter=[{predicate}]");
            } else {
                sub.nodes = vec![Node { text: format!("Filter [{predicate}]"), children: sub.nodes }];
                sub.top_is_scan = false;
            }
            if let Some(p) = filter.projection() {
                sub.origins = p.iter().map(|&i| origin(&sub.origins, i)).collect();
            }
            return sub;
        }
        if let Some(aggregate) = plan.downcast_ref::<AggregateExec>() {
            return self.aggregate(aggregate);
        }
        if let Some(projection) = plan.downcast_ref::<ProjectionExec>() {
            let mut sub = self.walk(projection.input());
            sub.origins = projection.expr().iter().map(|p| Origin::computed(&p.expr, &sub.origins)).collect();
            return sub;
        }
        let children: Vec<Sub> = plan.children().into_iter().map(|c| self.walk(c)).collect();
        let width = plan.schema().fields().len();
        if children.len() == 1 && TRANSPARENT.contains(&plan.name()) {
            let mut sub = children.into_iter().next().unwrap_or_else(|| unreachable!("one child"));
            if sub.origins.len() != width {
                sub.origins = unknown(plan, width);
            }
            return sub;
        }
        // Anything else is shown by name, over its inputs; its columns keep their origins when it
        // passes its first input's columns through (unions, scalar subqueries).
        let origins = match children.first() {
            Some(first) if first.origins.len() == width => first.origins.clone(),
            _ => unknown(plan, width),
        };
        let text = match plan.name() {
            // A sort that keeps the first rows only (`ORDER BY … LIMIT n`).
            n if n.starts_with("SortExec") => "TopK".to_string(),
            n => n.trim_end_matches("Exec").to_string(),
        };
        Sub {
            nodes: vec![Node { text, children: children.into_iter().flat_map(|c| c.nodes).collect() }],
            origins,
            top_is_scan: false,
        }
    }

    fn scan(&mut self, plan: &Arc<dyn ExecutionPlan>, scan: &DataSourceExec) -> Sub {
        let config = scan.data_source().downcast_ref::<FileScanConfig>();
        let table = config.and_then(table_of).unwrap_or_else(|| "memory".to_string());
        let seen = self.scans.entry(table.clone()).or_insert(0);
        *seen += 1;
        let label = if *seen == 1 { table } else { format!("{table}#{seen}") };
        let mut text = format!("Scan {label}");
        // The scan's own expressions are over the file's columns, named by the scan's label.
        let file_column = |c: &Column| format!("{label}.{}", c.name());
        if let Some(predicate) = config.and_then(|c| c.file_source().filter()) {
            let pushed = render_conjuncts_by(&predicate, &|e| canon(e, &file_column));
            if !pushed.is_empty() {
                let _ = write!(text, " pushed=[{pushed}]");
            }
        }
        let width = plan.schema().fields().len();
        let columns: Vec<Origin> = config
            .map(|c| {
                c.file_schema().fields().iter().map(|f| Origin::scanned(format!("{label}.{}", f.name()))).collect()
            })
            .unwrap_or_default();
        let projected: Option<Vec<Origin>> = config
            .and_then(|c| c.file_source().projection())
            .map(|p| p.iter().map(|e| Origin::computed(&e.expr, &columns)).collect())
            .filter(|o: &Vec<Origin>| o.len() == width);
        let origins = projected.unwrap_or_else(|| {
            plan.schema().fields().iter().map(|f| Origin::scanned(format!("{label}.{}", f.name()))).collect()
        });
        Sub { nodes: vec![Node { text, children: Vec::new() }], origins, top_is_scan: true }
    }

    fn aggregate(&mut self, aggregate: &AggregateExec) -> Sub {
        let sub = self.walk(aggregate.input());
        let keys: Vec<Origin> =
            aggregate.group_expr().expr().iter().map(|(e, _)| Origin::computed(e, &sub.origins)).collect();
        let groups: Vec<String> = keys.iter().map(group_key).collect();
        let finishing = matches!(aggregate.mode(), AggregateMode::Final | AggregateMode::FinalPartitioned);
        let mut origins = keys;
        if finishing || matches!(aggregate.mode(), AggregateMode::PartialReduce) {
            // The input holds the partial states: each aggregate's first state column carries its
            // description, given by the partial aggregate below.
            let mut at = origins.len();
            for a in aggregate.aggr_expr() {
                let description = origin(&sub.origins, at);
                let states = a.state_fields().map_or(1, |f| f.len());
                if finishing {
                    origins.push(description);
                } else {
                    origins.extend(std::iter::repeat_n(description, states));
                }
                at += states;
            }
            return Sub { nodes: sub.nodes, origins, top_is_scan: sub.top_is_scan };
        }
        let mut functions = Vec::new();
        for (a, filter) in aggregate.aggr_expr().iter().zip(aggregate.filter_expr()) {
            let args: Vec<String> = a.expressions().iter().map(|e| columns_read(e, &sub.origins)).collect();
            let args: Vec<String> = args.into_iter().filter(|a| !a.is_empty()).collect();
            let distinct = if a.is_distinct() { "distinct " } else { "" };
            // xorq's exact integer sum (`checked_sum`) is DataFusion's `sum` but for overflow.
            let function = match a.fun().name() {
                "checked_sum" => "sum",
                other => other,
            };
            let mut f = format!("{function}({distinct}{})", args.join(", "));
            if let Some(filter) = filter {
                let _ = write!(f, " filter ({})", render(filter, &sub.origins));
            }
            let states = if matches!(aggregate.mode(), AggregateMode::Partial) {
                a.state_fields().map_or(1, |f| f.len())
            } else {
                1
            };
            origins.extend(std::iter::repeat_n(Origin::atom(f.clone()), states));
            functions.push(f);
        }
        let text = format!("Aggregate gby=[{}] aggr=[{}]", groups.join(", "), functions.join(", "));
        Sub { nodes: vec![Node { text, children: sub.nodes }], origins, top_is_scan: false }
    }
}

/// A group key: its column's origin, or for a computed key its canonical form in lower case
/// (`date_part(YEAR, …)` and `date_part(year, …)` group alike).
fn group_key(key: &Origin) -> String {
    if key.scanned { key.label.clone() } else { key.label.to_lowercase() }
}

/// The table a file scan reads: the directory of its first file (`…/lineitem/part-1.parquet`
/// is `lineitem`), or the file's stem when it is not in a directory of its own.
fn table_of(config: &FileScanConfig) -> Option<String> {
    let file = config.file_groups.iter().flat_map(|g| g.iter()).next()?;
    let parts: Vec<&str> = file.path().as_ref().split('/').collect();
    let name = parts.last()?;
    let parent = parts.len().checked_sub(2).and_then(|i| parts.get(i));
    Some(match parent {
        Some(dir) if name.starts_with("part-") => (*dir).to_string(),
        _ => name.split('.').next().unwrap_or(name).to_string(),
    })
}

fn joined(text: String, l: Sub, r: Sub, origins: Vec<Origin>, plan: &Arc<dyn ExecutionPlan>) -> Sub {
    let width = plan.schema().fields().len();
    let origins = if origins.len() == width { origins } else { unknown(plan, width) };
    let children = l.nodes.into_iter().chain(r.nodes).collect();
    Sub { nodes: vec![Node { text, children }], origins, top_is_scan: false }
}

/// The origins of a join's output: both inputs' columns (or one side's, for semi and anti
/// joins; with the mark column of mark joins), then the join's own projection.
fn join_origins(kind: JoinType, l: &[Origin], r: &[Origin], projection: Option<&[usize]>) -> Vec<Origin> {
    let mark = || std::iter::once(Origin::atom("mark".to_string()));
    let all: Vec<Origin> = match kind {
        JoinType::LeftSemi | JoinType::LeftAnti => l.to_vec(),
        JoinType::RightSemi | JoinType::RightAnti => r.to_vec(),
        JoinType::LeftMark => l.iter().cloned().chain(mark()).collect(),
        JoinType::RightMark => r.iter().cloned().chain(mark()).collect(),
        _ => l.iter().chain(r).cloned().collect(),
    };
    match projection {
        Some(p) => p.iter().map(|&i| origin(&all, i)).collect(),
        None => all,
    }
}

fn render_keys(on: &[(PhysicalExprRef, PhysicalExprRef)], l: &[Origin], r: &[Origin]) -> String {
    let mut keys: Vec<String> = on.iter().map(|(a, b)| format!("{} = {}", render(a, l), render(b, r))).collect();
    keys.sort();
    keys.join(", ")
}

fn push_filter(text: &mut String, filter: Option<&JoinFilter>, l: &[Origin], r: &[Origin]) {
    let Some(filter) = filter else { return };
    let origins: Vec<Origin> = filter
        .column_indices()
        .iter()
        .map(|c| match c.side {
            JoinSide::Left => origin(l, c.index),
            JoinSide::Right => origin(r, c.index),
            JoinSide::None => Origin::atom("mark".to_string()),
        })
        .collect();
    let _ = write!(text, " filter=[{}]", render_conjuncts(filter.expression(), &origins));
}

fn origin(origins: &[Origin], i: usize) -> Origin {
    origins.get(i).cloned().unwrap_or_else(|| Origin::atom(format!("?{i}")))
}

fn unknown(plan: &Arc<dyn ExecutionPlan>, width: usize) -> Vec<Origin> {
    (0..width).map(|i| Origin::atom(format!("{}?{i}", plan.name()))).collect()
}

/// Marks a column rewritten to its origin, so its `@index` can be taken out of the display.
const ORIGIN_INDEX: usize = usize::MAX;

/// `expr` with each column named by its origin, in a canonical form (see [`canon`]).
fn render(expr: &Arc<dyn PhysicalExpr>, origins: &[Origin]) -> String {
    canon(expr, &|c: &Column| origin(origins, c.index()).label)
}

/// `expr` written so that equal computations read equal: operands of commutative operators
/// sorted, `AND`/`OR` chains flattened and sorted, comparisons written with the smaller operand
/// first (`b > a` is `a < b`), `IN` lists sorted; each column named by `name`. Other expressions
/// are DataFusion's display of them with their columns renamed.
fn canon(expr: &Arc<dyn PhysicalExpr>, name: &dyn Fn(&Column) -> String) -> String {
    if let Some(c) = expr.downcast_ref::<Column>() {
        return name(c);
    }
    // xorq's checked arithmetic (overflow fails instead of wrapping: a deliberate difference)
    // reads as the operator DataFusion's plan has.
    if let Some(f) = expr.downcast_ref::<ScalarFunctionExpr>() {
        let op = match f.name() {
            "checked_add" => Some(Operator::Plus),
            "checked_sub" => Some(Operator::Minus),
            "checked_mul" => Some(Operator::Multiply),
            "checked_div" => Some(Operator::Divide),
            "checked_mod" => Some(Operator::Modulo),
            _ => None,
        };
        if let (Some(op), [l, r]) = (op, f.args()) {
            let as_operator: Arc<dyn PhysicalExpr> = Arc::new(BinaryExpr::new(Arc::clone(l), op, Arc::clone(r)));
            return canon(&as_operator, name);
        }
        if let ("checked_negate", [x]) = (f.name(), f.args()) {
            return format!("(- {})", canon(x, name));
        }
    }
    if let Some(b) = expr.downcast_ref::<BinaryExpr>() {
        let op = *b.op();
        if matches!(op, Operator::And | Operator::Or) {
            let mut parts = Vec::new();
            flatten(expr, op, &mut parts);
            let mut parts: Vec<String> = parts.iter().map(|p| canon(p, name)).collect();
            parts.sort();
            return format!("({})", parts.join(&format!(" {op} ")));
        }
        let (l, r) = (canon(b.left(), name), canon(b.right(), name));
        let commutative = matches!(
            op,
            Operator::Eq
                | Operator::NotEq
                | Operator::Plus
                | Operator::Multiply
                | Operator::IsDistinctFrom
                | Operator::IsNotDistinctFrom
        );
        let flipped = match op {
            Operator::Lt => Some(Operator::Gt),
            Operator::LtEq => Some(Operator::GtEq),
            Operator::Gt => Some(Operator::Lt),
            Operator::GtEq => Some(Operator::LtEq),
            _ => None,
        };
        return match (commutative, flipped) {
            (true, _) if r < l => format!("({r} {op} {l})"),
            (_, Some(f)) if r < l => format!("({r} {f} {l})"),
            _ => format!("({l} {op} {r})"),
        };
    }
    if let Some(list) = expr.downcast_ref::<InListExpr>() {
        let mut items: Vec<String> = list.list().iter().map(|i| canon(i, name)).collect();
        items.sort();
        let not = if list.negated() { "NOT " } else { "" };
        return format!("{} {not}IN ({})", canon(list.expr(), name), items.join(", "));
    }
    // Any other expression: DataFusion's display of it, each child written canonically.
    let children: Vec<Arc<dyn PhysicalExpr>> = expr
        .children()
        .into_iter()
        .map(|c| Arc::new(Column::new(&canon(c, name), ORIGIN_INDEX)) as Arc<dyn PhysicalExpr>)
        .collect();
    if children.is_empty() {
        return expr.to_string();
    }
    let unmarked = |e: &Arc<dyn PhysicalExpr>| e.to_string().replace(&format!("@{ORIGIN_INDEX}"), "");
    match Arc::clone(expr).with_new_children(children) {
        Ok(e) => unmarked(&e),
        // An expression that checks its new children's types: its columns renamed, as they are.
        Err(_) => match Arc::clone(expr).transform_up(|e| {
            Ok(match e.downcast_ref::<Column>() {
                Some(c) if c.index() != ORIGIN_INDEX => {
                    Transformed::yes(Arc::new(Column::new(&name(c), ORIGIN_INDEX)) as Arc<dyn PhysicalExpr>)
                }
                _ => Transformed::no(e),
            })
        }) {
            Ok(t) => unmarked(&t.data),
            Err(e) => format!("<{expr}: {e}>"),
        },
    }
}

/// The operands of a chain of `op` (`a AND (b AND c)` gives `a`, `b`, `c`).
fn flatten<'e>(expr: &'e Arc<dyn PhysicalExpr>, op: Operator, out: &mut Vec<&'e Arc<dyn PhysicalExpr>>) {
    match expr.downcast_ref::<BinaryExpr>() {
        Some(b) if *b.op() == op => {
            flatten(b.left(), op, out);
            flatten(b.right(), op, out);
        }
        _ => out.push(expr),
    }
}

/// The scanned columns `expr` is computed from, sorted: how an aggregate's argument is shown,
/// since equal computations may be written in different but equivalent forms (`x * (1 - d)` and
/// `(1.00 - d) * x`) and the plan shape is about what is read, joined and grouped, not how an
/// expression is spelled.
fn columns_read(expr: &Arc<dyn PhysicalExpr>, origins: &[Origin]) -> String {
    Origin::computed(expr, origins).reads.into_iter().collect::<Vec<_>>().join(", ")
}

/// The conjuncts of a predicate, each rendered, sorted (their order is not significant), without
/// dynamic filters (filled at run time by joins and top-k sorts).
fn render_conjuncts(expr: &Arc<dyn PhysicalExpr>, origins: &[Origin]) -> String {
    render_conjuncts_by(expr, &|e| render(e, origins))
}

fn render_conjuncts_by(expr: &Arc<dyn PhysicalExpr>, each: &dyn Fn(&Arc<dyn PhysicalExpr>) -> String) -> String {
    let mut parts: Vec<String> =
        split_conjunction(expr).into_iter().filter(|e| !e.to_string().starts_with("DynamicFilter")).map(each).collect();
    parts.sort();
    parts.join(" AND ")
}
