//! One stored row joined to every row of another input, as constants.
//!
//! A fitted model scoring rows is a cross join of the rows with the one-row table holding the
//! model (`FittedPipeline::predict`, or `FROM test CROSS JOIN model` in SQL). A join copies the
//! one row's values into every output row: for a model of megabytes and a million rows, that is
//! terabytes of copying. When the one-row side is a stored cache entry (so its value is known
//! before the query runs, and checked like every entry), the join is replaced by the other side
//! with the row's values as literal columns: functions then receive each value once, as a
//! scalar, whatever the number of rows.
//!
//! A pinned build's frozen one-row result (a bundled Parquet file of one row) is broadcast the
//! same way. `xorq run --explain` lists each join that will run so.
//!
//! The replacement has the join's columns, names and types; a value whose type has no literal
//! (an interval) keeps the join. It is a rewrite of what runs, never of what is addressed,
//! built or cached.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::common::ScalarValue;
use futures::StreamExt;
use xorq_core::plan::walk;
use xorq_core::plan::{FileSource, Node, SourceIdentity, SourceKind};
use xorq_core::tree::TreeNode;
use xorq_core::{Expr, FileFormat, JoinKind, Literal, RelOp, Table, col, lit};
use xorq_engines::datafusion::ParamValues;
use xorq_engines::datafusion::literal::literal_of;

use super::Resolved;
use crate::cache::plan::id;
use crate::error::{ExecError, Result};
use crate::session::Session;

/// Which input of a join is the one-row entry.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The left input.
    Left,
    /// The right input.
    Right,
}

/// The cross joins (without a filter) under `root` with a side `one_row` says holds one row:
/// each join and that side.
pub(crate) fn one_row_joins(root: &Arc<Node>, one_row: impl Fn(&Arc<Node>) -> bool) -> Vec<(Arc<Node>, Side)> {
    let mut out = Vec::new();
    for node in walk::topological(root) {
        let RelOp::Join(join) = node.op() else { continue };
        if join.kind != JoinKind::Cross || join.filter.is_some() {
            continue;
        }
        if one_row(&join.right) {
            out.push((Arc::clone(node), Side::Right));
        } else if one_row(&join.left) {
            out.push((Arc::clone(node), Side::Left));
        }
    }
    out
}

/// The one-row input of a join found by [`one_row_joins`], and the other input.
pub(crate) fn sides(join: &Arc<Node>, side: Side) -> Option<(&Arc<Node>, &Arc<Node>)> {
    let RelOp::Join(j) = join.op() else { return None };
    Some(match side {
        Side::Right => (&j.right, &j.left),
        Side::Left => (&j.left, &j.right),
    })
}

/// Whether `node` reads a bundled (content-addressed) Parquet file of exactly one row, as the
/// frozen result of a pinned cache is. Only the file's footer is read here; the row itself is
/// read, and its content checked, as any read is.
pub(crate) fn frozen_single_row(node: &Node) -> bool {
    let RelOp::Source(source) = node.op() else { return false };
    let SourceKind::File(FileSource {
        format: FileFormat::Parquet,
        location,
        identity: SourceIdentity::Content { .. },
    }) = &source.kind
    else {
        return false;
    };
    let Ok(file) = std::fs::File::open(location) else { return false };
    parquet::file::reader::SerializedFileReader::new(file)
        .is_ok_and(|r| parquet::file::reader::FileReader::metadata(&r).file_metadata().num_rows() == 1)
}

/// Replaces in `resolved` every cross join with a one-row side (a stored cache entry of one
/// row, or the one-row frozen result of a pinned build) by the other side with that row as
/// literal columns.
pub(crate) async fn broadcast(session: &Session, resolved: &mut Resolved, values: &ParamValues) -> Result<()> {
    let root = Arc::clone(resolved.table.node());
    let joins = one_row_joins(&root, |n| resolved.single_rows.contains(&id(n)) || frozen_single_row(n));
    let mut replaced: BTreeMap<usize, Arc<Node>> = BTreeMap::new();
    for (node, side) in joins {
        let Some((one, other)) = sides(&node, side) else { continue };
        let Some(row) = read_row(session, one, values, resolved).await? else { continue };
        if let Some(projected) = as_literals(&node, other, &row, side)? {
            replaced.insert(id(&node), projected);
        }
    }
    if replaced.is_empty() {
        return Ok(());
    }
    // Rebuilt bottom-up; nodes without a replaced input stay the same node.
    let mut rebuilt: BTreeMap<usize, Arc<Node>> = BTreeMap::new();
    for node in walk::topological(&root) {
        let new = match replaced.remove(&id(node)) {
            Some(r) => r,
            None if node.inputs().iter().any(|i| rebuilt.get(&id(i)).is_some_and(|r| !Arc::ptr_eq(r, i))) => {
                Arc::clone(node).map_children(|i| Ok::<_, ExecError>(rebuilt.get(&id(&i)).cloned().unwrap_or(i)))?
            }
            None => Arc::clone(node),
        };
        rebuilt.insert(id(node), new);
    }
    if let Some(new_root) = rebuilt.remove(&id(&root)) {
        resolved.table = Table::from_node(new_root);
    }
    Ok(())
}

/// The values of the one row `node` reads, or `None` if it does not hold exactly one row.
async fn read_row(
    session: &Session,
    node: &Arc<Node>,
    values: &ParamValues,
    resolved: &Resolved,
) -> Result<Option<Vec<ScalarValue>>> {
    let mut stream = session.stream_node(Arc::clone(node), values, &resolved.entries, false).await?;
    let mut row = None;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| ExecError::datafusion("reading a one-row cache entry", e))?;
        for i in 0..batch.num_rows() {
            if row.is_some() {
                return Ok(None); // the sidecar said one row; the file disagrees: keep the join
            }
            let values = batch
                .columns()
                .iter()
                .map(|c| ScalarValue::try_from_array(c, i))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| ExecError::datafusion("reading a one-row cache entry", e))?;
            row = Some(values);
        }
    }
    Ok(row)
}

/// The join `join` as `other` with `row` as literal columns, in the join's column order and
/// names; `None` if a value has no literal or the columns would differ.
fn as_literals(join: &Arc<Node>, other: &Arc<Node>, row: &[ScalarValue], side: Side) -> Result<Option<Arc<Node>>> {
    let out = join.schema();
    let other_schema = other.schema();
    let n_other = other_schema.len();
    if out.len() != n_other + row.len() {
        return Ok(None);
    }
    let (first_other, first_literal) = match side {
        Side::Right => (0, n_other),
        Side::Left => (row.len(), 0),
    };
    let mut exprs: Vec<Expr> = Vec::with_capacity(out.len());
    let mut literals: Vec<Literal> = Vec::with_capacity(row.len());
    for (k, value) in row.iter().enumerate() {
        let Some(l) = literal_of(value, &out.fields()[first_literal + k].dtype) else { return Ok(None) };
        literals.push(l);
    }
    for (i, field) in out.fields().iter().enumerate() {
        let expr = if (first_other..first_other + n_other).contains(&i) {
            col(other_schema.fields()[i - first_other].name.as_str())
        } else {
            lit(literals[i - first_literal].clone())
        };
        exprs.push(expr.alias(field.name.as_str()));
    }
    let projected = Table::from_node(Arc::clone(other)).select(exprs)?;
    let same = projected.schema().len() == out.len()
        && projected.schema().fields().iter().zip(out.fields()).all(|(a, b)| a.name == b.name && a.dtype == b.dtype);
    Ok(same.then(|| Arc::clone(projected.node())))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch, StringArray};
    use arrow::util::pretty::pretty_format_batches;
    use xorq_core::{CacheStrategy, Table, col};

    use crate::cache::Cache;
    use crate::{Params, Session};

    fn rows() -> Table {
        let batch = RecordBatch::try_from_iter([
            ("id", Arc::new(Int64Array::from((0..500).collect::<Vec<i64>>())) as _),
            ("label", Arc::new(StringArray::from((0..500).map(|i| format!("r{i}")).collect::<Vec<_>>())) as _),
        ])
        .expect("batch");
        Table::memtable(vec![batch]).expect("table")
    }

    /// `rows` joined to its cached one-row summary, on either side.
    fn joined(one_row_left: bool) -> Table {
        let t = rows();
        let summary = t
            .agg([col("id").max().alias("top"), col("label").min().alias("first")])
            .and_then(|s| s.cache(CacheStrategy::snapshot()))
            .expect("summary");
        let j = if one_row_left { summary.cross_join(&t) } else { t.cross_join(&summary) };
        j.and_then(|j| j.mutate([(col("top") - col("id")).alias("gap")])).expect("join")
    }

    #[tokio::test]
    async fn a_cross_join_with_a_stored_row_runs_as_literals_and_gives_the_same_rows() {
        let dir = tempfile::tempdir().expect("tempdir");
        for left in [false, true] {
            let expr = joined(left);
            let plain = Session::new().with_cache(Cache::disabled());
            let expected = plain.execute(&expr, &Params::new()).await.expect("runs");
            let cached = Session::new().with_cache(Cache::in_dir(dir.path()));
            let first = cached.execute(&expr, &Params::new()).await.expect("stores");
            let second = cached.execute(&expr, &Params::new()).await.expect("reads");
            let show = |b: &[RecordBatch]| pretty_format_batches(b).expect("prints").to_string();
            assert_eq!(show(&first), show(&expected));
            assert_eq!(show(&second), show(&expected));

            // What runs the second time has no join left: the stored row is a set of literals.
            let values = Params::new().resolve(&expr).expect("params");
            let mut resolved = super::super::resolve(&cached, &expr, &values).await.expect("resolves");
            assert!(!resolved.single_rows.is_empty());
            super::broadcast(&cached, &mut resolved, &values).await.expect("broadcasts");
            let joins = xorq_core::plan::walk::topological(resolved.table.node())
                .into_iter()
                .filter(|n| matches!(n.op(), xorq_core::RelOp::Join(_)))
                .count();
            assert_eq!(joins, 0, "{}", resolved.table);
            assert_eq!(resolved.table.schema(), expr.schema());
        }
    }
}
