//! Running a backend segment, and plugging backend segments into a local plan.

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use futures::future::BoxFuture;
use xorq_core::plan::{Node, RelOp, rewrite, walk};
use xorq_core::{Source, Table};
use xorq_engines::backend::{StreamFactory, stream_provider};
use xorq_engines::datafusion::{Lowering, ParamValues};
use xorq_engines::{EngineError, dialect};

use super::placement::{Place, Placement, id};
use crate::error::{ExecError, Result};
use crate::session::Session;

/// `lowering` with every backend segment that feeds a local node scanned as a stream (started
/// when the plan runs, once per execution).
pub(crate) fn substitute_remote_inputs<'a>(
    session: &Session,
    root: &Arc<Node>,
    placement: &Placement,
    values: &ParamValues,
    mut lowering: Lowering<'a>,
) -> Result<Lowering<'a>> {
    if !placement.any_remote() {
        return Ok(lowering);
    }
    let remote = |n: &Arc<Node>| matches!(placement.place(n), Place::Remote(_));
    let mut done = BTreeSet::new();
    for node in walk::topological_until(root, remote) {
        if remote(node) {
            continue;
        }
        for input in node.op().inputs() {
            if !remote(input) || !done.insert(Arc::as_ptr(input)) {
                continue;
            }
            let (session, input_node, values) = (session.clone(), Arc::clone(input), values.clone());
            let factory: StreamFactory = Arc::new(move || {
                let (session, node, values) = (session.clone(), Arc::clone(&input_node), values.clone());
                Box::pin(async move {
                    remote_stream(&session, node, &values).await.map_err(|e| DataFusionError::External(Box::new(e)))
                })
            });
            let provider = stream_provider(Arc::new(input.schema().to_arrow()), factory)?;
            lowering = lowering.with_substitute(input, provider);
        }
    }
    Ok(lowering)
}

/// Runs the segment rooted at `node` (placed on a backend) on its backend: rows moved into it
/// by `.into_backend` are computed (wherever they live) and loaded into temporary tables of one
/// connection, then the segment's SQL runs on that connection and its rows stream back.
pub(crate) fn remote_stream<'a>(
    session: &'a Session,
    node: Arc<Node>,
    values: &'a ParamValues,
) -> BoxFuture<'a, Result<SendableRecordBatchStream>> {
    Box::pin(async move {
        let placement = session.placement(&node)?;
        let Place::Remote(profile) = placement.place(&node).clone() else {
            return Err(ExecError::Runtime("internal error: a local node was run as a backend segment".into()));
        };
        let backend = session.backend(&profile)?;
        let mut connection = backend.open().await?;
        let here = Place::Remote(profile.clone());
        let is_move_in = |n: &Arc<Node>| matches!(n.op(), RelOp::IntoBackend(i) if placement.place(&i.input) != &here);
        let mut moved = std::collections::HashMap::new();
        for n in walk::topological_until(&node, is_move_in) {
            let RelOp::IntoBackend(into) = n.op() else { continue };
            if !is_move_in(n) {
                continue;
            }
            let name = format!("xorq_moved_{}", n.address().short());
            let rows = session.stream_node(Arc::clone(&into.input), values, &BTreeSet::new(), false).await?;
            let count = connection.load(&name, n.schema(), rows).await?;
            tracing::debug!(profile = %profile, table = %name, rows = count, "moved rows into the backend");
            let table = Node::try_new(RelOp::Source(Source::table(&profile, vec![name], n.schema().clone())))?;
            moved.insert(id(n), table);
        }
        let segment = Table::from_node(rewrite::map_nodes::<ExecError>(&node, |n| Ok(moved.get(&id(n)).cloned()))?);
        // Every parameter is written as its value: the bound one, else its default.
        let mut bound = values.clone();
        for p in segment.params()? {
            if !bound.contains_key(&p.name) {
                let value = p.default.clone().ok_or(EngineError::MissingParam { name: p.name.clone() })?;
                bound.insert(p.name.clone(), value);
            }
        }
        let sql = dialect::to_sql_with(&segment, backend.dialect(), &bound)?;
        tracing::debug!(profile = %profile, %sql, "running a segment");
        Ok(connection.query(sql, Arc::new(node.schema().to_arrow())).await?)
    })
}
