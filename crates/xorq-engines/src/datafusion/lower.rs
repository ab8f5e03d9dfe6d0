//! Lowering of the relational IR to a DataFusion `LogicalPlan`. The IR stays the source of truth:
//! each node's plan is checked against the node's schema, and conformed (renamed or cast) where
//! DataFusion's own typing differs.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::common::{Column, JoinType, TableReference};
use datafusion::logical_expr::builder::LogicalTableSource;
use datafusion::logical_expr::expr_rewriter::normalize_col;
use datafusion::logical_expr::{BinaryExpr, Cast, Expr as DfExpr, LogicalPlan, LogicalPlanBuilder, Operator};
use xorq_core::expr::JoinSide;
use xorq_core::plan::{Cache, JoinKind, Node, RelOp, SetOpKind, SourceKind, walk};
use xorq_core::{DataType, Schema, Table};

use super::provider::source_provider;
use super::scalar::{LEFT, Nested, ParamValues, RIGHT, ScalarLowering, nested_name};
use crate::error::{EngineError, Result};

/// Lowers IR nodes to DataFusion plans, each distinct node once.
pub struct Lowering<'a> {
    scalar: ScalarLowering<'a>,
    partitions: usize,
    memo: BTreeMap<*const Node, LogicalPlan>,
    conformed: Vec<String>,
    substitutes: BTreeMap<*const Node, Arc<dyn TableProvider>>,
}

pub(crate) fn df(context: &str) -> impl FnOnce(datafusion::error::DataFusionError) -> EngineError + '_ {
    move |e| EngineError::datafusion(context, e)
}

impl<'a> Lowering<'a> {
    /// A lowering that binds `params` and scans in-memory data with `partitions` partitions.
    pub fn new(params: &'a ParamValues, partitions: usize) -> Self {
        Lowering {
            scalar: ScalarLowering { params, placeholders: false, for_sql: false, checked_markers: false },
            partitions,
            memo: BTreeMap::new(),
            conformed: Vec::new(),
            substitutes: BTreeMap::new(),
        }
    }

    /// Scans `provider` in place of `node` and its whole subgraph: for a part of the expression
    /// that runs elsewhere (another engine) and arrives as a stream. `provider` must have the
    /// node's schema.
    pub fn with_substitute(mut self, node: &Arc<Node>, provider: Arc<dyn TableProvider>) -> Self {
        self.substitutes.insert(Arc::as_ptr(node), provider);
        self
    }

    /// Parameters not in `params` become `$name` placeholders rather than their defaults or an
    /// error: for plans shown as SQL, where values are bound per run.
    pub fn with_placeholders(mut self) -> Self {
        self.scalar.placeholders = true;
        self
    }

    /// Lowers for SQL generation rather than execution: sources become bare scans (a backend
    /// table under its qualified name, anything else under [`scan_name`]) with no data behind
    /// them, and operations whose meaning differs between SQL engines (integer division) become
    /// marker functions that each dialect renders (see `crate::dialect`). Such a plan is for the
    /// unparser only; it does not run.
    pub fn for_sql(mut self) -> Self {
        self.scalar.for_sql = true;
        self
    }

    /// With [`Lowering::for_sql`], for an engine whose integer arithmetic does not fail on
    /// overflow (SQLite): integer `+`, `-`, `*` and unary minus become checked-arithmetic markers
    /// (`marker::CHECKED_ADD`, …).
    pub fn with_checked_markers(mut self) -> Self {
        self.scalar.checked_markers = true;
        self
    }

    /// Columns whose DataFusion type differed from the IR's and were cast (`op.column: df -> ir`).
    /// Empty when the IR's typing rules agree with DataFusion's; tests check that they do.
    pub fn conformed_columns(&self) -> &[String] {
        &self.conformed
    }

    /// The DataFusion plan of `table`.
    pub fn lower_table(&mut self, table: &Table) -> Result<LogicalPlan> {
        self.lower(table.node())
    }

    /// The DataFusion plan of `root`, lowering inputs first (no recursion over the graph).
    pub fn lower(&mut self, root: &Arc<Node>) -> Result<LogicalPlan> {
        let order = walk::topological_until(root, |n| self.substitutes.contains_key(&Arc::as_ptr(n)));
        // Joins and filters over joins that only parents in the same join cluster read are lowered
        // inside that cluster (`join_tree.rs`), not on their own.
        let mut needed: std::collections::BTreeSet<*const Node> = std::collections::BTreeSet::new();
        needed.insert(Arc::as_ptr(root));
        for node in &order {
            if self.substitutes.contains_key(&Arc::as_ptr(node)) {
                continue;
            }
            for input in node.inputs() {
                if self.scalar.for_sql || !super::join_tree::inlines(node, input) {
                    needed.insert(Arc::as_ptr(input));
                }
            }
        }
        for node in order {
            let key = Arc::as_ptr(node);
            if self.memo.contains_key(&key) || !needed.contains(&key) {
                continue;
            }
            let plan = match self.substitutes.get(&key) {
                Some(provider) => LogicalPlanBuilder::scan(
                    TableReference::bare(scan_name(node)),
                    provider_as_source(Arc::clone(provider)),
                    None,
                )
                .and_then(LogicalPlanBuilder::build)
                .map_err(df("scanning a stream from another engine"))?,
                None => self.lower_node(node)?,
            };
            let plan = conform(plan, node.schema(), node.op().name(), &mut self.conformed)?;
            self.memo.insert(key, plan);
        }
        self.input(root)
    }

    /// How scalar expressions are lowered.
    pub(crate) fn scalar(&self) -> &ScalarLowering<'a> {
        &self.scalar
    }

    /// Partitions of in-memory scans.
    pub(crate) fn partitions(&self) -> usize {
        self.partitions
    }

    /// Whether `node` is scanned from a stream of another engine.
    pub(crate) fn is_substituted(&self, node: &Arc<Node>) -> bool {
        self.substitutes.contains_key(&Arc::as_ptr(node))
    }

    /// The lowered plan of an input already lowered (with the IR's column names).
    pub(crate) fn input_plan(&self, node: &Arc<Node>) -> Result<LogicalPlan> {
        self.input(node)
    }

    fn input(&self, node: &Arc<Node>) -> Result<LogicalPlan> {
        self.memo
            .get(&Arc::as_ptr(node))
            .cloned()
            .ok_or_else(|| EngineError::Internal("input lowered out of order".into()))
    }

    fn lower_node(&self, node: &Arc<Node>) -> Result<LogicalPlan> {
        let context = format!("lowering {}", node.op().name());
        let err = df(&context);
        let s = &self.scalar;
        match node.op() {
            RelOp::Source(source) if s.for_sql => {
                let name = match &source.kind {
                    SourceKind::Table(t) => qualified_reference(&t.table),
                    _ => TableReference::bare(scan_name(node)),
                };
                let scan = Arc::new(LogicalTableSource::new(Arc::new(source.schema.to_arrow())));
                LogicalPlanBuilder::scan(name, scan, None).and_then(LogicalPlanBuilder::build).map_err(err)
            }
            RelOp::Source(source) => {
                let provider = source_provider(source, self.partitions)?;
                let name = scan_name(node);
                LogicalPlanBuilder::scan(TableReference::bare(name), provider_as_source(provider), None)
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(err)
            }
            RelOp::Filter(_) | RelOp::Join(_) if !s.for_sql && super::join_tree::is_member(node) => {
                self.lower_join_cluster(node)
            }
            RelOp::Filter(f) => {
                let predicate = s.lower(&f.predicate, &mut Nested::Inline)?;
                LogicalPlanBuilder::from(self.input(&f.input)?).filter(predicate).and_then(|b| b.build()).map_err(err)
            }
            RelOp::Project(p) => {
                let mut windows = Vec::new();
                let mut exprs = Vec::with_capacity(p.exprs.len());
                for n in &p.exprs {
                    // For SQL, window functions stay in the projection (no window plan whose
                    // unparsed subquery would hide the input's table name from the projection).
                    let lowered = if s.for_sql {
                        s.lower(&n.expr, &mut Nested::Inline)?
                    } else {
                        s.lower(&n.expr, &mut Nested::Collect(&mut windows))?
                    };
                    exprs.push(lowered.alias(n.name.clone()));
                }
                let mut input = self.input(&p.input)?;
                if !windows.is_empty() {
                    input = window_plan(input, windows)?;
                }
                LogicalPlanBuilder::from(input).project(exprs).and_then(|b| b.build()).map_err(err)
            }
            // `grouping(k)` needs the keys as plain group columns (DataFusion's analyzer finds its
            // arguments among them by equality), with or without grouping sets.
            RelOp::Aggregate(a) if a.grouping_sets.is_some() || uses_grouping(a) => self.grouping_sets(a, &context),
            RelOp::Aggregate(a) => {
                let keys = a
                    .keys
                    .iter()
                    .map(|k| Ok(s.lower(&k.expr, &mut Nested::Inline)?.alias(k.name.clone())))
                    .collect::<Result<Vec<_>>>()?;
                let mut aggregates = Vec::new();
                let mut outputs: Vec<DfExpr> =
                    a.keys.iter().map(|k| DfExpr::Column(Column::from_name(k.name.clone()))).collect();
                for m in &a.measures {
                    outputs.push(s.lower(&m.expr, &mut Nested::Collect(&mut aggregates))?.alias(m.name.clone()));
                }
                let keys_len = keys.len();
                let aggregated = LogicalPlanBuilder::from(self.input(&a.input)?)
                    .aggregate(keys, aggregates)
                    .and_then(|b| b.build())
                    .map_err(df(&context))?;
                let outputs = resolve_nested(outputs, &aggregated, keys_len)?;
                LogicalPlanBuilder::from(aggregated).project(outputs).and_then(|b| b.build()).map_err(err)
            }
            RelOp::Join(j) => {
                let (left, right) = if s.for_sql {
                    (derived_table(self.input(&j.left)?)?, derived_table(self.input(&j.right)?)?)
                } else {
                    (self.input(&j.left)?, self.input(&j.right)?)
                };
                let left = LogicalPlanBuilder::from(left).alias(LEFT).map_err(df(&context))?;
                let right =
                    LogicalPlanBuilder::from(right).alias(RIGHT).and_then(|b| b.build()).map_err(df(&context))?;
                let joined = if j.kind == JoinKind::Cross {
                    left.cross_join(right)
                } else {
                    let (mut lk, mut rk) = (Vec::new(), Vec::new());
                    for (l, r) in &j.on {
                        let (lt, rt) = (
                            &j.left.schema().field_or_err(l, "Join keys")?.dtype,
                            &j.right.schema().field_or_err(r, "Join keys")?.dtype,
                        );
                        let common = common_key_type(lt, rt)?;
                        lk.push(cast_to(DfExpr::Column(Column::new(Some(LEFT), l.clone())), lt, &common));
                        rk.push(cast_to(DfExpr::Column(Column::new(Some(RIGHT), r.clone())), rt, &common));
                    }
                    let filter = match &j.filter {
                        Some(f) => Some(s.lower(f, &mut Nested::Inline)?),
                        None => None,
                    };
                    left.join_with_expr_keys(right, join_type(j.kind)?, (lk, rk), filter)
                };
                let outputs: Vec<DfExpr> = j
                    .outputs
                    .iter()
                    .map(|o| {
                        let relation = if o.side == JoinSide::Left { LEFT } else { RIGHT };
                        DfExpr::Column(Column::new(Some(relation), o.column.clone())).alias(o.name.clone())
                    })
                    .collect();
                joined.and_then(|b| b.project(outputs)).and_then(|b| b.build()).map_err(err)
            }
            RelOp::Sort(sort) => {
                let keys = sort.keys.iter().map(|k| s.sort_key(k, &mut Nested::Inline)).collect::<Result<Vec<_>>>()?;
                LogicalPlanBuilder::from(self.input(&sort.input)?).sort(keys).and_then(|b| b.build()).map_err(err)
            }
            RelOp::Limit(l) => {
                let skip = usize::try_from(l.offset).unwrap_or(usize::MAX);
                let fetch = l.fetch.map(|f| usize::try_from(f).unwrap_or(usize::MAX));
                LogicalPlanBuilder::from(self.input(&l.input)?).limit(skip, fetch).and_then(|b| b.build()).map_err(err)
            }
            RelOp::Distinct(d) => {
                LogicalPlanBuilder::from(self.input(&d.input)?).distinct().and_then(|b| b.build()).map_err(err)
            }
            RelOp::SetOp(set) if s.for_sql && matches!(set.kind, SetOpKind::Intersect | SetOpKind::Difference) => {
                self.null_safe_set_op(set.kind, &set.inputs, &context)
            }
            RelOp::SetOp(set) => {
                let mut inputs = set.inputs.iter().map(|i| self.input(i));
                let first =
                    inputs.next().ok_or_else(|| EngineError::Internal("set operation without inputs".into()))??;
                let mut plan = first;
                for next in inputs {
                    let next = next?;
                    plan = match set.kind {
                        SetOpKind::Union if set.distinct => {
                            LogicalPlanBuilder::from(plan).union_distinct(next).and_then(|b| b.build())
                        }
                        SetOpKind::Union => LogicalPlanBuilder::from(plan).union(next).and_then(|b| b.build()),
                        SetOpKind::Intersect => LogicalPlanBuilder::intersect(plan, next, !set.distinct),
                        SetOpKind::Difference => LogicalPlanBuilder::except(plan, next, !set.distinct),
                        _ => return Err(EngineError::Internal("unknown set operation".into())),
                    }
                    .map_err(df(&context))?;
                }
                Ok(plan)
            }
            RelOp::Tag(t) => self.input(&t.input),
            // Pinned: the frozen result is read (runs replace it before lowering; this keeps
            // SQL and explain output true to what runs).
            RelOp::Cache(Cache { frozen: Some(frozen), .. }) => self.input(frozen),
            // Unresolved (running without a cache): the rows are computed.
            RelOp::Cache(c) => self.input(&c.input),
            // Within one engine a move is nothing; between engines the runner substitutes the
            // moved stream (see `with_substitute`) or writes the SQL of each side.
            RelOp::IntoBackend(i) => self.input(&i.input),
            RelOp::TableFunction(t) if !s.for_sql => {
                let schema = Arc::new(node.schema().to_arrow());
                let provider = super::table_function::provider(t.func, t.args.clone(), self.input(&t.input)?, schema)?;
                LogicalPlanBuilder::scan(TableReference::bare(scan_name(node)), provider_as_source(provider), None)
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(err)
            }
            other => Err(EngineError::Unsupported {
                engine: "DataFusion".into(),
                what: format!("`{}` nodes", other.name()),
                hint: String::new(),
            }),
        }
    }
}

impl Lowering<'_> {
    /// An aggregate over grouping sets: DataFusion's `GroupingSet`, grouping by columns so that
    /// `grouping(k)` finds its key among them (its analyzer matches them by equality). A key that
    /// is an expression (or a second key over one column) is first computed into a column of its
    /// own. The aggregate's internal grouping id is projected away.
    fn grouping_sets(&self, a: &xorq_core::plan::Aggregate, context: &str) -> Result<LogicalPlan> {
        use datafusion::logical_expr::GroupingSet;
        let s = &self.scalar;
        let sets = a.grouping_sets.as_ref();
        let input = self.input(&a.input)?;
        let mut pre: Vec<DfExpr> = input.schema().columns().into_iter().map(DfExpr::Column).collect();
        let mut group: Vec<DfExpr> = Vec::with_capacity(a.keys.len());
        for (i, k) in a.keys.iter().enumerate() {
            let lowered = s.lower(&k.expr, &mut Nested::Inline)?;
            let column = match &lowered {
                DfExpr::Column(_) if !group.contains(&lowered) => lowered,
                _ => {
                    let name = format!("__xorq_key_{i}");
                    pre.push(lowered.alias(name.clone()));
                    DfExpr::Column(Column::from_name(name))
                }
            };
            group.push(column);
        }
        let grouping = match sets {
            Some(sets) => vec![DfExpr::GroupingSet(GroupingSet::GroupingSets(
                sets.iter().map(|set| set.iter().map(|i| group[*i].clone()).collect()).collect(),
            ))],
            None => group.clone(),
        };
        let mut aggregates = Vec::new();
        let mut outputs: Vec<DfExpr> = Vec::with_capacity(a.keys.len() + a.measures.len());
        for (k, g) in a.keys.iter().zip(&group) {
            let DfExpr::Column(c) = g else { return Err(EngineError::Internal("grouping key not a column".into())) };
            outputs.push(DfExpr::Column(Column::from_name(c.name.clone())).alias(k.name.clone()));
        }
        for m in &a.measures {
            outputs.push(s.lower(&m.expr, &mut Nested::Collect(&mut aggregates))?.alias(m.name.clone()));
        }
        // DataFusion's output: the keys, its grouping id (with grouping sets), the aggregates.
        let skip = a.keys.len() + usize::from(sets.is_some());
        let aggregated = LogicalPlanBuilder::from(input)
            .project(pre)
            .and_then(|b| b.aggregate(grouping, aggregates))
            .and_then(|b| b.build())
            .map_err(df(context))?;
        let outputs = resolve_nested(outputs, &aggregated, skip)?;
        LogicalPlanBuilder::from(aggregated).project(outputs).and_then(|b| b.build()).map_err(df(context))
    }

    /// `INTERSECT`/`EXCEPT` (distinct) for SQL: a semi/anti join on every column with
    /// `IS NOT DISTINCT FROM`, then `DISTINCT`. DataFusion plans them as joins that treat nulls
    /// as equal, but its unparser writes those join keys with `=`, which drops null rows.
    fn null_safe_set_op(&self, kind: SetOpKind, inputs: &[Arc<Node>], context: &str) -> Result<LogicalPlan> {
        let mut it = inputs.iter();
        let first = it.next().ok_or_else(|| EngineError::Internal("set operation without inputs".into()))?;
        let mut plan = self.input(first)?;
        let join_type = if kind == SetOpKind::Intersect { JoinType::LeftSemi } else { JoinType::LeftAnti };
        for next in it {
            let right = self.input(next)?;
            let on: Vec<DfExpr> = plan
                .schema()
                .fields()
                .iter()
                .zip(right.schema().fields().iter())
                .map(|(l, r)| {
                    DfExpr::BinaryExpr(BinaryExpr::new(
                        Box::new(DfExpr::Column(Column::new(Some(LEFT), l.name().clone()))),
                        Operator::IsNotDistinctFrom,
                        Box::new(DfExpr::Column(Column::new(Some(RIGHT), r.name().clone()))),
                    ))
                })
                .collect();
            let right = LogicalPlanBuilder::from(right).alias(RIGHT).and_then(|b| b.build()).map_err(df(context))?;
            plan = LogicalPlanBuilder::from(plan)
                .alias(LEFT)
                .and_then(|b| b.join_on(right, join_type, on))
                .and_then(|b| b.distinct())
                .and_then(|b| b.build())
                .map_err(df(context))?;
        }
        Ok(plan)
    }
}

/// `outputs` with each `__xorq_nested_{i}` read as the `i`-th aggregate column of `aggregated`
/// (after `skip` columns of keys), which DataFusion names after the aggregate itself.
fn resolve_nested(outputs: Vec<DfExpr>, aggregated: &LogicalPlan, skip: usize) -> Result<Vec<DfExpr>> {
    use datafusion::common::tree_node::{Transformed, TreeNode};
    let columns = aggregated.schema().columns();
    outputs
        .into_iter()
        .map(|o| {
            o.transform_up(|e| {
                if let DfExpr::Column(c) = &e
                    && c.relation.is_none()
                    && let Some(i) = c.name.strip_prefix("__xorq_nested_").and_then(|i| i.parse::<usize>().ok())
                    && let Some(column) = columns.get(skip + i)
                {
                    return Ok(Transformed::yes(DfExpr::Column(column.clone())));
                }
                Ok(Transformed::no(e))
            })
            .map(|t| t.data)
            .map_err(|e| EngineError::datafusion("lowering an aggregate", e))
        })
        .collect()
}

/// Whether a measure of `a` calls `grouping(…)`.
fn uses_grouping(a: &xorq_core::plan::Aggregate) -> bool {
    a.measures.iter().any(|m| {
        m.expr.any(|e| matches!(&e.kind, xorq_core::expr::ExprKind::Aggregate(call) if call.func.name() == "grouping"))
    })
}

/// Evaluates `windows` over `input` and names their results `__xorq_nested_{i}`. DataFusion's
/// window plans take unaliased expressions and name outputs after the (column-qualified)
/// expression, so the expressions are qualified first and renamed in a projection that the
/// optimizer folds away.
fn window_plan(input: LogicalPlan, windows: Vec<DfExpr>) -> Result<LogicalPlan> {
    let err = df("lowering window functions");
    let normalized = windows.into_iter().map(|w| normalize_col(w, &input)).collect::<std::result::Result<Vec<_>, _>>();
    let normalized = normalized.map_err(df("lowering window functions"))?;
    let mut outputs: Vec<DfExpr> = input.schema().columns().into_iter().map(DfExpr::Column).collect();
    for (i, w) in normalized.iter().enumerate() {
        outputs.push(DfExpr::Column(Column::from_name(w.schema_name().to_string())).alias(nested_name(i)));
    }
    let windowed = LogicalPlanBuilder::window_plan(input, normalized).map_err(df("lowering window functions"))?;
    LogicalPlanBuilder::from(windowed).project(outputs).and_then(|b| b.build()).map_err(err)
}

/// A join input for SQL: a bare scan as it is, anything else under a projection of its columns.
/// DataFusion's unparser writes `Alias(Filter(Scan))` as `scan AS alias … WHERE scan.x …`: the
/// filter lands in the join's `WHERE` (wrong for an outer join's inner side) and names a table
/// the alias hides. Under a projection the input becomes a derived table with its own `WHERE`.
fn derived_table(plan: LogicalPlan) -> Result<LogicalPlan> {
    if matches!(plan, LogicalPlan::TableScan(_) | LogicalPlan::Projection(_)) {
        return Ok(plan);
    }
    let columns: Vec<DfExpr> = plan.schema().columns().into_iter().map(DfExpr::Column).collect();
    LogicalPlanBuilder::from(plan).project(columns).and_then(|b| b.build()).map_err(df("lowering a join input"))
}

pub(crate) fn join_type(kind: JoinKind) -> Result<JoinType> {
    Ok(match kind {
        JoinKind::Inner => JoinType::Inner,
        JoinKind::Left => JoinType::Left,
        JoinKind::Right => JoinType::Right,
        JoinKind::Outer => JoinType::Full,
        JoinKind::Semi => JoinType::LeftSemi,
        JoinKind::Anti => JoinType::LeftAnti,
        other => return Err(EngineError::Internal(format!("join kind {other:?} lowered as keyed join"))),
    })
}

pub(crate) fn common_key_type(l: &DataType, r: &DataType) -> Result<DataType> {
    if l == r {
        return Ok(l.clone());
    }
    xorq_core::expr::comparison_type(l, r)
        .ok_or_else(|| EngineError::Internal(format!("join keys of types `{l}` and `{r}` passed the checks")))
}

pub(crate) fn cast_to(e: DfExpr, from: &DataType, to: &DataType) -> DfExpr {
    if from == to { e } else { DfExpr::Cast(Cast::new(Box::new(e), to.to_arrow())) }
}

/// The table name a source node is scanned under in DataFusion plans (and their SQL): its label
/// made an identifier, and its short address so that two sources never share a name.
pub fn scan_name(node: &Node) -> String {
    let label = match node.op() {
        RelOp::Source(source) => sanitize(&source.name),
        other => other.name().to_ascii_lowercase(),
    };
    format!("{label}_{}", node.address().short())
}

/// A backend table's qualified name (`[catalog.][schema.]table`) as a DataFusion reference.
fn qualified_reference(parts: &[String]) -> TableReference {
    match parts {
        [catalog, schema, table] => TableReference::full(catalog.as_str(), schema.as_str(), table.as_str()),
        [schema, table] => TableReference::partial(schema.as_str(), table.as_str()),
        _ => TableReference::bare(parts.join(".")),
    }
}

fn sanitize(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    if s.is_empty() { "source".into() } else { s }
}

/// Whether a column of the IR's logical type, laid out as `physical`, must still be cast to the
/// IR's own layout: DataFusion does not compare or combine a `Time32(s)` with the IR's
/// `Time64(ns)`, for instance. String and binary layouts (views, large, dictionaries), decimal
/// widths, timestamps and `Date64` (whose values are whole days) mix freely with the IR's and are
/// left alone, so scans keep their layouts.
fn needs_physical_cast(physical: &arrow::datatypes::DataType, ours: &DataType) -> bool {
    use arrow::datatypes::DataType as A;
    let ir = ours.to_arrow();
    if *physical == ir {
        return false;
    }
    !matches!(
        physical,
        A::Utf8
            | A::LargeUtf8
            | A::Utf8View
            | A::Binary
            | A::LargeBinary
            | A::BinaryView
            | A::Dictionary(..)
            | A::Decimal32(..)
            | A::Decimal64(..)
            | A::Decimal128(..)
            | A::Timestamp(..)
            | A::Date64
    )
}

/// Makes `plan`'s output match `schema`: same names in order; columns whose logical type differs
/// (DataFusion typed a function differently) are cast to the IR's type.
fn conform(plan: LogicalPlan, schema: &Schema, op: &str, conformed: &mut Vec<String>) -> Result<LogicalPlan> {
    let fields = plan.schema().fields().clone();
    if fields.len() != schema.len() {
        return Err(EngineError::Internal(format!(
            "{op} lowered to {} columns, the IR has {} ({schema})",
            fields.len(),
            schema.len()
        )));
    }
    let mut needs_projection = false;
    let mut exprs = Vec::with_capacity(fields.len());
    for ((qualifier, df_field), ours) in plan.schema().iter().zip(schema.fields()) {
        let column = DfExpr::Column(Column::new(qualifier.cloned(), df_field.name().clone()));
        let logical = DataType::from_arrow(df_field.name(), df_field.data_type()).ok();
        let same_logical = logical.as_ref() == Some(&ours.dtype);
        let expr = if same_logical && !needs_physical_cast(df_field.data_type(), &ours.dtype) {
            column
        } else {
            needs_projection = true;
            // A layout change (`Time32(s)` to `Time64(ns)`) is not a typing difference.
            if !same_logical {
                conformed.push(format!("{op}.{}: {} -> {}", ours.name, df_field.data_type(), ours.dtype));
            }
            DfExpr::Cast(Cast::new(Box::new(column), ours.dtype.to_arrow()))
        };
        needs_projection |= df_field.name() != &ours.name;
        exprs.push(expr.alias(ours.name.clone()));
    }
    if !needs_projection {
        return Ok(plan);
    }
    LogicalPlanBuilder::from(plan).project(exprs).and_then(|b| b.build()).map_err(df(op))
}
