//! [`Table`]: the relational builder. Every method resolves its expressions against the input
//! schema and returns a new, checked, immutable table; nothing runs until it is executed.

use std::sync::Arc;

use arrow_array::RecordBatch;

use crate::address::Address;
use crate::canonical;
use crate::error::{CoreError, Result};
use crate::expr::dsl::{Expr, SortExpr};
use crate::expr::func::table::TableFunc;
use crate::expr::ir::{ColumnRef, ExprKind, Param, ScalarExpr};
use crate::expr::resolve::{Resolver, Scope};
use crate::literal::Literal;
use crate::plan::cache::{CacheStorage, CacheStrategy};
use crate::plan::join;
use crate::plan::node::{
    Aggregate, Cache, Distinct, Filter, Join, JoinKind, Limit, NamedExpr, Node, Project, RelOp, SetOp, SetOpKind, Sort,
    Tag,
};
use crate::plan::source::Source;
use crate::plan::walk::topological;
use crate::schema::Schema;
use crate::tree::{Recursion, TreeNode};

/// A deferred relational expression: a typed DAG with its schema known and its address
/// computable, before any data is read.
///
/// ```
/// use xorq_core::{col, lit, Table};
/// use arrow_array::{RecordBatch, StringArray, Float64Array};
/// use std::sync::Arc;
///
/// let batch = RecordBatch::try_from_iter([
///     ("region", Arc::new(StringArray::from(vec!["EU", "US", "EU"])) as _),
///     ("amount", Arc::new(Float64Array::from(vec![120.0, 80.0, 300.0])) as _),
/// ]).unwrap();
/// let sales = Table::memtable(vec![batch]).unwrap();
/// let totals = sales
///     .filter(col("amount").gt(lit(100)))?
///     .group_by(["region"])
///     .agg([col("amount").sum().alias("total")])?;
/// assert_eq!(totals.schema().to_string(), "region: String not null, total: Float64");
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    node: Arc<Node>,
}

/// Column names or `(left, right)` pairs a join matches on.
pub trait IntoJoinKeys {
    /// The `(left column, right column)` pairs.
    fn into_join_keys(self) -> Vec<(String, String)>;
}

impl<const N: usize> IntoJoinKeys for [&str; N] {
    fn into_join_keys(self) -> Vec<(String, String)> {
        self.iter().map(|k| (k.to_string(), k.to_string())).collect()
    }
}

impl IntoJoinKeys for &[&str] {
    fn into_join_keys(self) -> Vec<(String, String)> {
        self.iter().map(|k| (k.to_string(), k.to_string())).collect()
    }
}

impl IntoJoinKeys for Vec<String> {
    fn into_join_keys(self) -> Vec<(String, String)> {
        self.into_iter().map(|k| (k.clone(), k)).collect()
    }
}

impl<const N: usize> IntoJoinKeys for [(&str, &str); N] {
    fn into_join_keys(self) -> Vec<(String, String)> {
        self.iter().map(|(l, r)| (l.to_string(), r.to_string())).collect()
    }
}

impl IntoJoinKeys for Vec<(String, String)> {
    fn into_join_keys(self) -> Vec<(String, String)> {
        self
    }
}

impl IntoJoinKeys for () {
    fn into_join_keys(self) -> Vec<(String, String)> {
        Vec::new()
    }
}

/// A table with grouping keys, waiting for its aggregates.
#[derive(Clone, Debug)]
pub struct GroupBy {
    table: Table,
    keys: Vec<Expr>,
    sets: Option<Vec<Vec<usize>>>,
}

impl GroupBy {
    /// One row per group: the keys, then the measures (each must aggregate its columns).
    pub fn agg<E: Into<Expr>>(self, measures: impl IntoIterator<Item = E>) -> Result<Table> {
        self.table.aggregate(self.keys, self.sets, measures.into_iter().map(Into::into).collect())
    }

    /// Groups by each of these sets of keys (positions in the keys), as SQL's `GROUPING SETS`:
    /// the rows of every grouping, a key outside a set being null in that set's rows. Use
    /// `grouping(key)` in a measure to tell those nulls from null keys.
    ///
    /// ```
    /// # use xorq_core::{col, Table};
    /// # use arrow_array::{RecordBatch, Int64Array, StringArray};
    /// # use std::sync::Arc;
    /// # let t = Table::memtable(vec![RecordBatch::try_from_iter([
    /// #     ("region", Arc::new(StringArray::from(vec!["EU"])) as _),
    /// #     ("day", Arc::new(Int64Array::from(vec![1])) as _),
    /// #     ("amount", Arc::new(Int64Array::from(vec![5])) as _),
    /// # ]).unwrap()]).unwrap();
    /// // Per region and day, per region, and the grand total.
    /// let totals = t.group_by(["region", "day"]).grouping_sets([vec![0, 1], vec![0], vec![]])
    ///     .agg([col("amount").sum().alias("total")]).unwrap();
    /// assert!(totals.schema().field("day").unwrap().nullable);
    /// ```
    pub fn grouping_sets<S: IntoIterator<Item = usize>>(mut self, sets: impl IntoIterator<Item = S>) -> Self {
        self.sets = Some(sets.into_iter().map(|s| s.into_iter().collect()).collect());
        self
    }

    /// `ROLLUP`: the keys, then all but the last, …, then none.
    pub fn rollup(self) -> Self {
        let n = self.keys.len();
        self.grouping_sets((0..=n).rev().map(|k| (0..k).collect::<Vec<_>>()))
    }

    /// `CUBE`: every subset of the keys.
    pub fn cube(self) -> Self {
        let n = self.keys.len().min(16);
        self.grouping_sets((0..1usize << n).map(|mask| (0..n).filter(|i| mask & (1 << i) != 0).collect::<Vec<_>>()))
    }
}

fn column_expr(schema: &Schema, name: &str) -> Option<ScalarExpr> {
    schema.field(name).map(|f| {
        ScalarExpr::new(ExprKind::Column(ColumnRef { name: name.to_string(), side: None }), f.dtype.clone(), f.nullable)
    })
}

impl Table {
    /// Wraps an existing node.
    pub fn from_node(node: Arc<Node>) -> Self {
        Table { node }
    }

    /// The root node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The output schema.
    pub fn schema(&self) -> &Schema {
        self.node.schema()
    }

    /// Output column names.
    pub fn columns(&self) -> Vec<&str> {
        self.schema().names().collect()
    }

    /// The input address: the name of this computation (SPEC §2).
    pub fn address(&self) -> Address {
        self.node.address()
    }

    /// The computation address: the same logic with every source taken as its reference.
    pub fn computation_address(&self) -> Address {
        self.node.computation_address()
    }

    fn with(&self, op: RelOp) -> Result<Table> {
        Ok(Table { node: Node::try_new(op)? })
    }

    /// A table reading from `source`.
    pub fn from_source(source: Source) -> Result<Table> {
        Ok(Table { node: Node::try_new(RelOp::Source(source))? })
    }

    /// A table over in-memory Arrow batches (at least one; all with the same schema). Its identity
    /// in the address is the hash of the values.
    pub fn memtable(batches: Vec<RecordBatch>) -> Result<Table> {
        let first = batches.first().ok_or_else(|| CoreError::InvalidMemtable {
            message: "no batches; use `Table::memtable_with_schema` for an empty table".into(),
        })?;
        let schema = Schema::from_arrow(&first.schema())?;
        Self::from_source(Source::memtable("memtable", batches, schema)?)
    }

    /// A table over in-memory batches with an explicit schema (batches may be empty).
    pub fn memtable_with_schema(schema: Schema, batches: Vec<RecordBatch>) -> Result<Table> {
        Self::from_source(Source::memtable("memtable", batches, schema)?)
    }

    fn scope(&self) -> Scope<'_> {
        Scope::Single(self.schema())
    }

    /// Rows where `predicate` holds. Consecutive filters merge into one conjunction.
    ///
    /// ```
    /// # use xorq_core::{col, lit, Table};
    /// # use arrow_array::{RecordBatch, Float64Array};
    /// # use std::sync::Arc;
    /// # let t = Table::memtable(vec![RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap()]).unwrap();
    /// let err = t.filter(col("amuont").gt(lit(100))).unwrap_err();
    /// assert!(err.to_string().starts_with("no column `amuont` in Filter input; did you mean `amount`?"));
    /// ```
    pub fn filter(&self, predicate: impl Into<Expr>) -> Result<Table> {
        let predicate = Resolver::new(self.scope(), "Filter input").resolve_predicate(&predicate.into())?;
        if let RelOp::Filter(existing) = self.node.op() {
            let merged = canonical::and_all(vec![existing.predicate.clone(), predicate]);
            return self.with(RelOp::Filter(Filter { input: existing.input.clone(), predicate: merged }));
        }
        let predicate = canonical::and_all(vec![predicate]);
        self.with(RelOp::Filter(Filter { input: self.node.clone(), predicate }))
    }

    fn project(&self, exprs: Vec<NamedExpr>) -> Result<Table> {
        if exprs.is_empty() {
            return Err(CoreError::InvalidArgument {
                context: "select".into(),
                message: "select at least one column".into(),
            });
        }
        self.with(RelOp::Project(Project { input: self.node.clone(), exprs }))
    }

    fn resolve_all(&self, exprs: Vec<Expr>, context: &str) -> Result<Vec<NamedExpr>> {
        let resolver = Resolver::new(self.scope(), context).allow_windows();
        exprs.iter().map(|e| resolver.resolve_named(e).map(|(name, expr)| NamedExpr { name, expr })).collect()
    }

    /// Exactly these columns or expressions, in this order. Window functions are allowed.
    pub fn select<E: Into<Expr>>(&self, exprs: impl IntoIterator<Item = E>) -> Result<Table> {
        let exprs = self.resolve_all(exprs.into_iter().map(Into::into).collect(), "Select input")?;
        self.project(exprs)
    }

    /// All columns plus these: an expression named like an existing column replaces it in place,
    /// others are appended. Expressions see the input columns, not each other.
    pub fn mutate<E: Into<Expr>>(&self, exprs: impl IntoIterator<Item = E>) -> Result<Table> {
        let new = self.resolve_all(exprs.into_iter().map(Into::into).collect(), "Mutate input")?;
        let mut out: Vec<NamedExpr> = self
            .schema()
            .names()
            .filter_map(|n| column_expr(self.schema(), n).map(|expr| NamedExpr { name: n.to_string(), expr }))
            .collect();
        for n in new {
            match out.iter_mut().find(|o| o.name == n.name) {
                Some(slot) => *slot = n,
                None => out.push(n),
            }
        }
        self.project(out)
    }

    /// Alias of [`Table::mutate`], as in Polars.
    pub fn with_columns<E: Into<Expr>>(&self, exprs: impl IntoIterator<Item = E>) -> Result<Table> {
        self.mutate(exprs)
    }

    /// All columns except these.
    pub fn drop<S: AsRef<str>>(&self, columns: impl IntoIterator<Item = S>) -> Result<Table> {
        let drop: Vec<String> = columns.into_iter().map(|c| c.as_ref().to_string()).collect();
        for c in &drop {
            self.schema().field_or_err(c, "Drop input")?;
        }
        let keep = self
            .schema()
            .names()
            .filter(|n| !drop.iter().any(|d| d == n))
            .filter_map(|n| column_expr(self.schema(), n).map(|expr| NamedExpr { name: n.to_string(), expr }))
            .collect();
        self.project(keep)
    }

    /// Renames columns (`[("old", "new")]`), keeping their order.
    pub fn rename<A: AsRef<str>, B: AsRef<str>>(&self, pairs: impl IntoIterator<Item = (A, B)>) -> Result<Table> {
        let pairs: Vec<(String, String)> =
            pairs.into_iter().map(|(a, b)| (a.as_ref().to_string(), b.as_ref().to_string())).collect();
        for (old, _) in &pairs {
            self.schema().field_or_err(old, "Rename input")?;
        }
        let exprs = self
            .schema()
            .names()
            .filter_map(|n| {
                let name = pairs.iter().find(|(o, _)| o == n).map_or(n.to_string(), |(_, new)| new.clone());
                column_expr(self.schema(), n).map(|expr| NamedExpr { name, expr })
            })
            .collect();
        self.project(exprs)
    }

    /// Groups by these keys (column names or named expressions); finish with [`GroupBy::agg`].
    pub fn group_by<E: Into<Expr>>(&self, keys: impl IntoIterator<Item = E>) -> GroupBy {
        GroupBy { table: self.clone(), keys: keys.into_iter().map(Into::into).collect(), sets: None }
    }

    /// One row of aggregates over all rows.
    pub fn agg<E: Into<Expr>>(&self, measures: impl IntoIterator<Item = E>) -> Result<Table> {
        self.aggregate(Vec::new(), None, measures.into_iter().map(Into::into).collect())
    }

    fn aggregate(&self, keys: Vec<Expr>, sets: Option<Vec<Vec<usize>>>, measures: Vec<Expr>) -> Result<Table> {
        if measures.is_empty() && keys.is_empty() {
            return Err(CoreError::InvalidArgument {
                context: "agg".into(),
                message: "give at least one aggregate".into(),
            });
        }
        let key_resolver = Resolver::new(self.scope(), "Group by input");
        let keys = keys
            .iter()
            .map(|k| key_resolver.resolve_named(k).map(|(name, expr)| NamedExpr { name, expr }))
            .collect::<Result<Vec<_>>>()?;
        let resolver = Resolver::new(self.scope(), "Aggregate input").allow_aggregates();
        let measures = measures
            .iter()
            .map(|m| {
                let (name, expr) = resolver.resolve_named(m)?;
                check_aggregated(&name, &expr)?;
                Ok(NamedExpr { name, expr })
            })
            .collect::<Result<Vec<_>>>()?;
        let grouping_sets = match sets {
            Some(sets) => canonical_grouping_sets(sets, keys.len())?,
            None => None,
        };
        check_grouping_calls(&keys, &measures)?;
        self.with(RelOp::Aggregate(Aggregate { input: self.node.clone(), keys, grouping_sets, measures }))
    }

    /// Joins on equal keys: `["id"]` for same-named keys, `[("a_id", "b_id")]` for pairs.
    /// Inner, left and right joins keep one copy of a same-named key; other clashing right
    /// columns get the suffix `_right`.
    pub fn join(&self, right: &Table, kind: JoinKind, on: impl IntoJoinKeys) -> Result<Table> {
        self.join_impl(right, kind, on.into_join_keys(), None)
    }

    /// Joins on equal keys (possibly none) and a predicate over both sides; refer to a column
    /// that exists on both sides with `lcol`/`rcol`.
    pub fn join_where(
        &self,
        right: &Table,
        kind: JoinKind,
        on: impl IntoJoinKeys,
        predicate: impl Into<Expr>,
    ) -> Result<Table> {
        let scope = Scope::Join { left: self.schema(), right: right.schema() };
        let predicate = Resolver::new(scope, "Join predicate").resolve_predicate(&predicate.into())?;
        self.join_impl(right, kind, on.into_join_keys(), Some(canonical::and_all(vec![predicate])))
    }

    /// Every pair of rows.
    pub fn cross_join(&self, right: &Table) -> Result<Table> {
        self.join_impl(right, JoinKind::Cross, Vec::new(), None)
    }

    fn join_impl(
        &self,
        right: &Table,
        kind: JoinKind,
        on: Vec<(String, String)>,
        filter: Option<crate::ScalarExpr>,
    ) -> Result<Table> {
        let on = join::check_keys(self.schema(), right.schema(), on)?;
        let needs_condition = !matches!(kind, JoinKind::Cross);
        if needs_condition && on.is_empty() && filter.is_none() {
            return Err(CoreError::InvalidArgument {
                context: format!("{} join", kind.name()),
                message: "give join keys or a predicate; use `cross_join` for every pair of rows".into(),
            });
        }
        if kind == JoinKind::Cross && (!on.is_empty() || filter.is_some()) {
            return Err(CoreError::InvalidArgument {
                context: "cross join".into(),
                message: "a cross join takes no keys or predicate; use an inner join".into(),
            });
        }
        let outputs = join::outputs(kind, &on, self.schema(), right.schema())?;
        self.with(RelOp::Join(Join { left: self.node.clone(), right: right.node.clone(), kind, on, filter, outputs }))
    }

    /// Rows ordered by these keys (ascending, nulls last unless said otherwise).
    pub fn order_by<S: Into<SortExpr>>(&self, keys: impl IntoIterator<Item = S>) -> Result<Table> {
        let resolver = Resolver::new(self.scope(), "Order by input");
        let keys = keys.into_iter().map(|k| resolver.resolve_sort(&k.into())).collect::<Result<Vec<_>>>()?;
        if keys.is_empty() {
            return Err(CoreError::InvalidArgument {
                context: "order_by".into(),
                message: "give at least one key".into(),
            });
        }
        self.with(RelOp::Sort(Sort { input: self.node.clone(), keys }))
    }

    /// The first `n` rows.
    pub fn limit(&self, n: u64) -> Result<Table> {
        self.slice(0, Some(n))
    }

    /// All rows after the first `n`.
    pub fn offset(&self, n: u64) -> Result<Table> {
        self.slice(n, None)
    }

    /// `length` rows (all if `None`) after skipping `offset`.
    pub fn slice(&self, offset: u64, length: Option<u64>) -> Result<Table> {
        self.with(RelOp::Limit(Limit { input: self.node.clone(), offset, fetch: length }))
    }

    /// Unique rows.
    pub fn distinct(&self) -> Result<Table> {
        self.with(RelOp::Distinct(Distinct { input: self.node.clone() }))
    }

    fn set_op(&self, kind: SetOpKind, distinct: bool, other: &Table) -> Result<Table> {
        let a = self.schema();
        let b = other.schema();
        let op = kind.name();
        if a.len() != b.len() {
            return Err(CoreError::SchemaMismatch {
                operation: op.into(),
                detail: format!("{} columns ({a}) against {} columns ({b})", a.len(), b.len()),
            });
        }
        for (i, (f, g)) in a.fields().iter().zip(b.fields()).enumerate() {
            if f.name != g.name || f.dtype != g.dtype {
                return Err(CoreError::SchemaMismatch {
                    operation: op.into(),
                    detail: format!(
                        "column {} is `{}: {}` in the first input and `{}: {}` in the second\nhint: rename or cast so both inputs have the same columns",
                        i + 1,
                        f.name,
                        f.dtype,
                        g.name,
                        g.dtype
                    ),
                });
            }
        }
        self.with(RelOp::SetOp(SetOp { kind, distinct, inputs: vec![self.node.clone(), other.node.clone()] }))
    }

    /// Rows of both tables, duplicates kept (`UNION ALL`).
    pub fn union(&self, other: &Table) -> Result<Table> {
        self.set_op(SetOpKind::Union, false, other)
    }

    /// Distinct rows of both tables (`UNION`).
    pub fn union_distinct(&self, other: &Table) -> Result<Table> {
        self.set_op(SetOpKind::Union, true, other)
    }

    /// Distinct rows present in both (`INTERSECT`).
    pub fn intersect(&self, other: &Table) -> Result<Table> {
        self.set_op(SetOpKind::Intersect, true, other)
    }

    /// Distinct rows of this table not in `other` (`EXCEPT`).
    pub fn difference(&self, other: &Table) -> Result<Table> {
        self.set_op(SetOpKind::Difference, true, other)
    }

    /// Names this node so it can be found later (unbinding, serving).
    pub fn tag(&self, name: &str) -> Result<Table> {
        self.tag_with(name, Vec::<(String, String)>::new())
    }

    /// Names this node with metadata.
    pub fn tag_with<K: Into<String>, V: Into<String>>(
        &self,
        name: &str,
        metadata: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Table> {
        if name.is_empty() {
            return Err(CoreError::InvalidArgument { context: "tag".into(), message: "a tag needs a name".into() });
        }
        let mut metadata: Vec<(String, String)> = metadata.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        metadata.sort();
        if let Some(w) = metadata.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(CoreError::InvalidArgument {
                context: format!("tag `{name}`"),
                message: format!("metadata key `{}` is given twice", w[0].0),
            });
        }
        self.with(RelOp::Tag(Tag { input: self.node.clone(), name: name.to_string(), metadata }))
    }

    /// Marks this expression's result to be stored and reused (SPEC §4), kept as Parquet in the
    /// cache directory. When the expression runs, the result is looked up by this expression's
    /// input address and the strategy's freshness token: a hit reads the stored rows instead of
    /// computing anything under this node; a miss computes them and stores them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use xorq_core::{col, lit, CacheStrategy, Table};
    /// # use arrow_array::{RecordBatch, Float64Array};
    /// # use std::sync::Arc;
    /// # let sales = Table::memtable(vec![RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![120.0])) as _)]).unwrap()]).unwrap();
    /// let large = sales.filter(col("amount").gt(lit(100)))?;
    /// // recomputed when a source file under it changes
    /// let fresh = large.cache(CacheStrategy::modification_time())?;
    /// // kept whatever the sources do, for at most an hour
    /// let hourly = large.cache(CacheStrategy::snapshot().with_ttl(Duration::from_secs(3600)))?;
    /// assert_eq!(fresh.schema(), large.schema());
    /// assert_ne!(fresh.address(), hourly.address()); // the strategy is part of the graph
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn cache(&self, strategy: CacheStrategy) -> Result<Table> {
        self.cache_in(strategy, CacheStorage::Parquet)
    }

    /// Like [`Table::cache`], with the result kept in `storage`.
    ///
    /// ```
    /// # use xorq_core::{CacheStorage, CacheStrategy, Table};
    /// # use arrow_array::{RecordBatch, Float64Array};
    /// # use std::sync::Arc;
    /// # let t = Table::memtable(vec![RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap()]).unwrap();
    /// // a table of the engine that runs it (the embedded DataFusion session)
    /// let in_session = t.cache_in(CacheStrategy::snapshot(), CacheStorage::source())?;
    /// assert!(t.cache_in(CacheStrategy::snapshot(), CacheStorage::source_in("no/such")).is_err());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn cache_in(&self, strategy: CacheStrategy, storage: CacheStorage) -> Result<Table> {
        storage.check()?;
        self.with(RelOp::Cache(Cache { input: self.node.clone(), strategy, storage, frozen: None }))
    }

    /// Moves this expression's result into the engine of `profile`: the rows are computed where
    /// their data lives and streamed as Arrow batches into that engine, where the operations
    /// built on the result run. The address names the profile, never its connection.
    ///
    /// ```
    /// # use xorq_core::Table;
    /// # use arrow_array::{RecordBatch, Int64Array};
    /// # use std::sync::Arc;
    /// # let t = Table::memtable(vec![RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap()]).unwrap();
    /// let moved = t.into_backend("analytics")?;
    /// assert_eq!(moved.schema(), t.schema());
    /// assert_ne!(moved.address(), t.into_backend("warehouse")?.address());
    /// assert!(t.into_backend("../etc").is_err());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn into_backend(&self, profile: &str) -> Result<Table> {
        crate::profile::check_name(profile)?;
        self.with(RelOp::IntoBackend(crate::plan::IntoBackend {
            input: self.node.clone(),
            profile: profile.to_string(),
        }))
    }

    /// Runs the registered table function `func` over every batch of this expression, with the
    /// constant `args`: batch in, batch out (Polars' `map_batches`). The output schema comes from
    /// the function and is checked now; the node runs on the embedded engine, its input rows
    /// streamed there from wherever they live.
    ///
    /// ```
    /// use xorq_core::expr::func::table::{TableFunctionDef, register};
    /// use xorq_core::{Literal, Table};
    /// # use arrow_array::{RecordBatch, Int64Array};
    /// # use std::sync::Arc;
    /// # let t = Table::memtable(vec![RecordBatch::try_from_iter([("n", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap()]).unwrap();
    /// static SAME: TableFunctionDef = TableFunctionDef::new("doc_same", |input, _| Ok(input.clone()), "its input");
    /// let same = register(&SAME)?;
    /// let out = t.table_function(same, vec![Literal::Int64(3)])?;
    /// assert_eq!(out.schema(), t.schema());
    /// assert_ne!(out.address(), t.table_function(same, vec![Literal::Int64(4)])?.address());
    /// # Ok::<(), xorq_core::CoreError>(())
    /// ```
    pub fn table_function(&self, func: TableFunc, args: Vec<Literal>) -> Result<Table> {
        self.with(RelOp::TableFunction(crate::plan::TableFunction { input: self.node.clone(), func, args }))
    }

    /// The nodes tagged `name`.
    pub fn find_tagged(&self, name: &str) -> Vec<Table> {
        topological(&self.node)
            .into_iter()
            .filter(|n| matches!(n.op(), RelOp::Tag(t) if t.name == name))
            .map(|n| Table { node: n.clone() })
            .collect()
    }

    /// The named parameters used anywhere in the expression, sorted by name; an error if one
    /// name has two definitions.
    pub fn params(&self) -> Result<Vec<Param>> {
        let mut found: Vec<Param> = Vec::new();
        for node in topological(&self.node) {
            for e in node.op().expressions() {
                let mut err = None;
                e.walk(&mut |x| {
                    if let ExprKind::Param(p) = &x.kind {
                        match found.iter().find(|f| f.name == p.name) {
                            Some(f) if f != p => {
                                err.get_or_insert(CoreError::ParamConflict {
                                    name: p.name.clone(),
                                    first: describe(f),
                                    second: describe(p),
                                });
                            }
                            Some(_) => {}
                            None => found.push(p.clone()),
                        }
                    }
                });
                if let Some(e) = err {
                    return Err(e);
                }
            }
        }
        found.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(found)
    }
}

/// The plan as an indented tree, one node per line with its address; shared nodes once.
///
/// ```
/// # use xorq_core::{col, lit, Table};
/// # use arrow_array::{RecordBatch, Float64Array};
/// # use std::sync::Arc;
/// # let t = Table::memtable(vec![RecordBatch::try_from_iter([("amount", Arc::new(Float64Array::from(vec![1.0])) as _)]).unwrap()]).unwrap();
/// let shown = t.filter(col("amount").gt(lit(100)))?.to_string();
/// assert!(shown.starts_with("Filter ["));
/// assert!(shown.contains("(amount > 100.0)"));
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::plan::display::render(&self.node, f)
    }
}

fn describe(p: &Param) -> String {
    match &p.default {
        Some(d) => format!("`{}` with default {d}", p.dtype),
        None => format!("`{}` without default", p.dtype),
    }
}

/// A measure may use columns only inside aggregate calls.
fn check_aggregated(name: &str, expr: &ScalarExpr) -> Result<()> {
    let mut saw_aggregate = false;
    expr.apply(|e| match &e.kind {
        ExprKind::Aggregate(_) => {
            saw_aggregate = true;
            Ok(Recursion::Jump)
        }
        ExprKind::Column(c) => Err(CoreError::InvalidAggregation {
            message: format!(
                "column `{}` in aggregate `{name}` is not aggregated\nhint: wrap it in an aggregate such as `.sum()` or `.first()`, or add it to `group_by`",
                c.name
            ),
        }),
        _ => Ok(Recursion::Continue),
    })?;
    if !saw_aggregate && !expr.is_constant() {
        return Err(CoreError::InvalidAggregation {
            message: format!("`{name}` in agg() has no aggregate; use `.sum()`, `.count()`, …"),
        });
    }
    Ok(())
}

/// Grouping sets in canonical form: positions checked, each set sorted without repeats, the sets
/// sorted (their rows are one multiset in any order; a repeated set repeats its rows, as in SQL).
/// The single set of all keys is a plain grouping (`None`).
fn canonical_grouping_sets(sets: Vec<Vec<usize>>, keys: usize) -> Result<Option<Vec<Vec<usize>>>> {
    if sets.is_empty() {
        return Err(CoreError::InvalidArgument {
            context: "grouping sets".into(),
            message: "give at least one grouping set (an empty set is the grand total)".into(),
        });
    }
    let mut canonical = Vec::with_capacity(sets.len());
    for mut set in sets {
        if let Some(bad) = set.iter().find(|i| **i >= keys) {
            return Err(CoreError::InvalidArgument {
                context: "grouping sets".into(),
                message: format!("key position {bad} is out of range: there are {keys} keys"),
            });
        }
        set.sort_unstable();
        set.dedup();
        canonical.push(set);
    }
    canonical.sort();
    if canonical.len() == 1 && canonical[0].len() == keys {
        return Ok(None);
    }
    Ok(Some(canonical))
}

/// `grouping(k)` takes keys of the grouping, as columns (SQL's rule).
fn check_grouping_calls(keys: &[NamedExpr], measures: &[NamedExpr]) -> Result<()> {
    for m in measures {
        let mut bad = None;
        m.expr.walk(&mut |e| {
            if let ExprKind::Aggregate(call) = &e.kind
                && call.func.name() == "grouping"
            {
                for a in &call.args {
                    let is_key = matches!(a.kind, ExprKind::Column(_)) && keys.iter().any(|k| k.expr == *a);
                    if !is_key && bad.is_none() {
                        bad = Some(a.to_string());
                    }
                }
            }
        });
        if let Some(arg) = bad {
            return Err(CoreError::InvalidArgument {
                context: format!("aggregate `{}`", m.name),
                message: format!("`grouping({arg})` takes grouping keys that are columns; `{arg}` is not one"),
            });
        }
    }
    Ok(())
}
