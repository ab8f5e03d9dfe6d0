//! Pinning (`xorq pin`, `xorq unpin`): a cache node frozen to the result it stored, so that a
//! build runs by reading that result instead of deriving it again.
//!
//! A pinned cache keeps its original input beside the read of the frozen result (see
//! [`Cache::frozen`]): lineage still reaches the original sources, and [`unpin`] gives back the
//! original graph, address included. The frozen read is a Parquet file named by the hash of its
//! bytes once bundled, so a pinned build's address names the exact rows it serves.

use std::sync::Arc;

use crate::error::{CoreError, Result};
use crate::tree::TreeNode;

use super::cache::CacheStorage;
use super::node::{Cache, Node, RelOp};
use super::rewrite::map_nodes;
use super::source::{FileFormat, Source, SourceKind};
use super::walk;

/// Checks that `frozen` can stand for the rows of `input`: a Parquet file read with the same
/// columns, of the same types, in the same order.
pub(crate) fn check_frozen(input: &Arc<Node>, frozen: &Arc<Node>) -> Result<()> {
    let invalid = |message: String| CoreError::InvalidArgument { context: "a pinned cache".into(), message };
    match frozen.op() {
        RelOp::Source(Source { kind: SourceKind::File(f), .. }) if matches!(f.format, FileFormat::Parquet) => {}
        other => {
            return Err(invalid(format!(
                "its frozen result must be a Parquet file read, not a `{}` node",
                other.name()
            )));
        }
    }
    let (want, have) = (input.schema(), frozen.schema());
    let same = want.len() == have.len()
        && want.fields().iter().zip(have.fields()).all(|(a, b)| a.name == b.name && a.dtype == b.dtype);
    if !same {
        let show =
            |s: &crate::Schema| s.fields().iter().map(|f| format!("{}: {}", f.name, f.dtype)).collect::<Vec<_>>();
        return Err(invalid(format!(
            "its frozen result has the columns [{}], the cached expression [{}]",
            show(have).join(", "),
            show(want).join(", ")
        )));
    }
    Ok(())
}

/// The cache node `cache` pinned to `stored`, a read of the result it stored (a Parquet file with
/// the cached expression's columns). Pinning a pinned cache replaces its frozen result.
///
/// ```
/// use xorq_core::{CacheStrategy, DataType, Field, FileFormat, Schema, Source, Table, plan::pin};
/// # use arrow_array::{RecordBatch, Int64Array};
/// # use std::sync::Arc;
/// # let t = Table::memtable(vec![RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1])) as _)]).unwrap()]).unwrap();
/// let cached = t.cache(CacheStrategy::snapshot())?;
/// let stored = Source::file(FileFormat::Parquet, "/cache/entry/data.parquet", t.schema().clone())?;
/// let pinned = pin::pin(cached.node(), stored)?;
/// assert_ne!(pinned.address(), cached.address());
/// assert_eq!(pin::unpin(&pinned)?.address(), cached.address());
/// # Ok::<(), xorq_core::CoreError>(())
/// ```
pub fn pin(cache: &Arc<Node>, stored: Source) -> Result<Arc<Node>> {
    let RelOp::Cache(c) = cache.op() else {
        return Err(CoreError::InvalidArgument {
            context: "pin".into(),
            message: format!("only a cache node can be pinned, not a `{}` node", cache.op().name()),
        });
    };
    if !matches!(c.storage, CacheStorage::Parquet) {
        return Err(CoreError::InvalidArgument {
            context: "pin".into(),
            message: format!("a cache kept as {} has no Parquet file to pin", c.storage),
        });
    }
    let frozen = Node::try_new(RelOp::Source(stored))?;
    Node::try_new(RelOp::Cache(Cache { frozen: Some(frozen), ..c.clone() }))
}

/// The graph under `root` with each cache node for which `stored` gives a read pinned to it
/// (see [`pin`]); everything else is shared. Cache nodes are offered inputs first, as they are in
/// `root`.
pub fn pin_where<E: From<CoreError>>(
    root: &Arc<Node>,
    mut stored: impl FnMut(&Arc<Node>) -> std::result::Result<Option<Source>, E>,
) -> std::result::Result<Arc<Node>, E> {
    map_nodes(root, |node| match node.op() {
        RelOp::Cache(_) => match stored(node)? {
            Some(source) => Ok(Some(pin(node, source)?)),
            None => Ok(None),
        },
        _ => Ok(None),
    })
}

/// The graph under `root` with every pin dropped: the expression as it was before [`pin`], with
/// the same address.
pub fn unpin(root: &Arc<Node>) -> Result<Arc<Node>> {
    Arc::clone(root).transform_up(|node| match node.op() {
        RelOp::Cache(c) if c.frozen.is_some() => Node::try_new(RelOp::Cache(Cache { frozen: None, ..c.clone() })),
        _ => Ok(node),
    })
}

/// The pinned cache nodes under `root`, inputs first.
pub fn pinned(root: &Arc<Node>) -> Vec<&Arc<Node>> {
    walk::topological(root).into_iter().filter(|n| matches!(n.op(), RelOp::Cache(c) if c.frozen.is_some())).collect()
}

/// What runs: the graph under `root` with each pinned cache replaced by the read of its frozen
/// result, so nothing under it is computed, looked up or connected to.
pub fn frozen_reads(root: &Arc<Node>) -> Result<Arc<Node>> {
    map_nodes(root, |node| match node.op() {
        RelOp::Cache(Cache { frozen: Some(frozen), .. }) => Ok(Some(Arc::clone(frozen))),
        _ => Ok(None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CacheStrategy, FileFormat, Table, col, lit};
    use arrow_array::{Int64Array, RecordBatch};

    fn table() -> Table {
        let batch = RecordBatch::try_from_iter([("a", Arc::new(Int64Array::from(vec![1, 2])) as _)]).unwrap();
        Table::memtable(vec![batch]).unwrap()
    }

    fn stored(t: &Table) -> Source {
        Source::file(FileFormat::Parquet, "/cache/x/data.parquet", t.schema().clone()).unwrap()
    }

    #[test]
    fn a_pinned_graph_runs_the_frozen_read_and_unpins_to_the_original() {
        let inner = table().filter(col("a").gt(lit(1))).unwrap();
        let cached = inner.cache(CacheStrategy::snapshot()).unwrap().limit(1).unwrap();
        let pinned = pin_where::<CoreError>(cached.node(), |_| Ok(Some(stored(&inner)))).unwrap();
        assert_ne!(pinned.address(), cached.address());
        assert_eq!(super::pinned(&pinned).len(), 1);
        assert_eq!(unpin(&pinned).unwrap().address(), cached.address());
        let runs = frozen_reads(&pinned).unwrap();
        assert!(walk::topological(&runs).iter().all(|n| !matches!(n.op(), RelOp::Cache(_) | RelOp::Filter(_))));
    }

    #[test]
    fn a_frozen_result_must_have_the_cached_columns_and_be_parquet() {
        let t = table();
        let cached = t.cache(CacheStrategy::snapshot()).unwrap();
        let other = t.mutate([col("a").alias("b")]).unwrap();
        let err = pin(cached.node(), stored(&other)).unwrap_err().to_string();
        assert!(err.contains("[a: Int64, b: Int64]"), "{err}");
        let csv = Source::file(FileFormat::Csv(Default::default()), "/x.csv", t.schema().clone()).unwrap();
        assert!(pin(cached.node(), csv).unwrap_err().to_string().contains("Parquet"));
        assert!(pin(t.node(), stored(&t)).unwrap_err().to_string().contains("only a cache node"));
    }
}
