//! Running a backend segment, and plugging backend segments into a local plan.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use futures::future::BoxFuture;
use xorq_core::plan::{Node, RelOp, rewrite, walk};
use xorq_core::{Source, Table};
use xorq_engines::backend::{BackendRef, StreamFactory, stream_provider};
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

/// A move into a backend segment: the temporary table's name and the node whose rows fill it
/// (the `IntoBackend`'s input, which has its schema).
pub(crate) type MoveIn = (String, Arc<Node>);

/// The segment rooted at `node` (on `profile`) as the SQL will read it: each move into the
/// segment from elsewhere replaced by the temporary table it is loaded into, with those moves.
pub(crate) fn segment_of(node: &Arc<Node>, placement: &Placement, profile: &str) -> Result<(Table, Vec<MoveIn>)> {
    let here = Place::Remote(profile.to_string());
    let is_move_in = |n: &Arc<Node>| matches!(n.op(), RelOp::IntoBackend(i) if placement.place(&i.input) != &here);
    let mut moves = Vec::new();
    let mut moved = HashMap::new();
    for n in walk::topological_until(node, is_move_in) {
        let RelOp::IntoBackend(into) = n.op() else { continue };
        if !is_move_in(n) {
            continue;
        }
        let name = format!("xorq_moved_{}", n.address().short());
        let table = Node::try_new(RelOp::Source(Source::table(profile, vec![name.clone()], n.schema().clone())))?;
        moved.insert(id(n), table);
        moves.push((name, Arc::clone(&into.input)));
    }
    let segment = Table::from_node(rewrite::map_nodes::<ExecError>(node, |n| Ok(moved.get(&id(n)).cloned()))?);
    Ok((segment, moves))
}

/// Fails, naming the operation, when a backend segment under `root` holds something its
/// engine's SQL cannot express; `dialects` gives each backend profile's dialect, `local` the
/// profiles of the embedded engine. A build calls it, so that this is found before anything runs.
///
/// ```
/// use std::collections::{BTreeMap, BTreeSet};
/// use xorq_core::{DataType, Field, Schema, Source, Table, col};
/// use xorq_engines::dialect::SqlDialect;
///
/// let schema = Schema::new(vec![Field::new("x", DataType::Float64, true)])?;
/// let t = Table::from_source(Source::table("shop", vec!["t".into()], schema))?;
/// let spread = t.agg([col("x").std().alias("spread")])?;
/// let dialects = BTreeMap::from([("shop".to_string(), SqlDialect::Sqlite)]);
/// let err = xorq_exec::check_segments(&spread, &dialects, &BTreeSet::new()).unwrap_err();
/// assert!(err.to_string().contains("aggregate `std`"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_segments(
    root: &Table,
    dialects: &BTreeMap<String, dialect::SqlDialect>,
    local: &BTreeSet<String>,
) -> Result<()> {
    let remote: BTreeSet<&str> = dialects.keys().map(String::as_str).collect();
    let local: BTreeSet<&str> = local.iter().map(String::as_str).collect();
    let placement = Placement::of(root.node(), &remote, &local)?;
    // A segment's root: the expression's root, or a node read by a node placed elsewhere.
    let mut roots = vec![root.node()];
    for parent in walk::topological(root.node()) {
        roots.extend(parent.op().inputs().into_iter().filter(|i| placement.place(i) != placement.place(parent)));
    }
    let mut done = BTreeSet::new();
    for node in roots {
        let Place::Remote(profile) = placement.place(node) else { continue };
        if !done.insert(id(node)) {
            continue;
        }
        let (segment, _) = segment_of(node, &placement, profile)?;
        let dialect = dialects
            .get(profile)
            .copied()
            .ok_or_else(|| ExecError::Internal(format!("no dialect for the placed profile `{profile}`")))?;
        dialect::check(&segment, dialect, &ParamValues::new())?;
    }
    Ok(())
}

/// A backend segment as it will run: where, the SQL it sends, and the rows moved into it first.
pub(crate) struct SegmentSql {
    /// The backend profile it runs on.
    pub profile: String,
    /// That backend.
    pub backend: BackendRef,
    /// The SQL, every parameter written as its value (the bound one, else its default).
    pub sql: String,
    /// The moves into it: temporary table and the node whose rows fill it.
    pub moves: Vec<MoveIn>,
}

/// The segment rooted at `node` (placed on a backend) as SQL, without running anything.
pub(crate) fn segment_sql(
    session: &Session,
    node: &Arc<Node>,
    placement: &Placement,
    values: &ParamValues,
) -> Result<SegmentSql> {
    let Place::Remote(profile) = placement.place(node).clone() else {
        return Err(ExecError::Internal("a local node was run as a backend segment".into()));
    };
    let backend = session.backend(&profile)?;
    let (segment, moves) = segment_of(node, placement, &profile)?;
    let mut bound = values.clone();
    for p in segment.params()? {
        if !bound.contains_key(&p.name) {
            let value = p.default.clone().ok_or(EngineError::MissingParam { name: p.name.clone() })?;
            bound.insert(p.name.clone(), value);
        }
    }
    let sql = dialect::to_sql_with(&segment, backend.dialect(), &bound)?;
    Ok(SegmentSql { profile, backend, sql, moves })
}

/// Runs the segment rooted at `node` (placed on a backend) on its backend: rows moved into it
/// by `.into_backend` are computed (wherever they live) and loaded into temporary tables of one
/// connection, then the segment's SQL runs on that connection and its rows stream back. What
/// the engine's SQL cannot express is refused before any row moves.
pub(crate) fn remote_stream<'a>(
    session: &'a Session,
    node: Arc<Node>,
    values: &'a ParamValues,
) -> BoxFuture<'a, Result<SendableRecordBatchStream>> {
    Box::pin(async move {
        let placement = session.placement(&node)?;
        let SegmentSql { profile, backend, sql, moves } = segment_sql(session, &node, &placement, values)?;
        let mut connection = backend.open().await?;
        for (name, input) in moves {
            let schema = input.schema().clone();
            let rows = session.stream_node(input, values, &BTreeSet::new(), false).await?;
            let count = connection.load(&name, &schema, rows).await?;
            tracing::debug!(profile = %profile, table = %name, rows = count, "moved rows into the backend");
        }
        tracing::debug!(profile = %profile, %sql, "running a segment");
        Ok(connection.query(sql, Arc::new(node.schema().to_arrow())).await?)
    })
}
