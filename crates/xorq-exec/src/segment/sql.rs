//! Backend segments as SQL: what each sends and the rows it needs moved in first, written without running anything.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use xorq_core::plan::{Node, RelOp, rewrite, walk};
use xorq_core::{Source, Table};
use xorq_engines::backend::BackendRef;
use xorq_engines::datafusion::ParamValues;
use xorq_engines::{EngineError, dialect};

use crate::error::{ExecError, Result};
use crate::placement::{Engines, Place, Placement, id};
use crate::session::Session;

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
    let engines = Engines {
        remote: dialects.keys().map(String::as_str).collect(),
        local: local.iter().map(String::as_str).collect(),
        ..Engines::default()
    };
    let placement = Placement::of(root.node(), &engines, &BTreeSet::new())?;
    for (node, profile) in backend_segments(root.node(), &placement) {
        let (segment, _) = segment_of(node, &placement, profile)?;
        let dialect = dialects
            .get(profile)
            .copied()
            .ok_or_else(|| ExecError::Internal(format!("no dialect for the placed profile `{profile}`")))?;
        dialect::check(&segment, dialect, &ParamValues::new())?;
    }
    Ok(())
}

/// The roots of the backend segments under `root`, each once, with the profile it runs on: the
/// expression's root, or a node read by a node placed elsewhere, when it is placed on a backend.
pub(crate) fn backend_segments<'a>(root: &'a Arc<Node>, placement: &'a Placement) -> Vec<(&'a Arc<Node>, &'a str)> {
    let mut roots = vec![root];
    for parent in walk::topological(root) {
        roots.extend(parent.op().inputs().into_iter().filter(|i| placement.place(i) != placement.place(parent)));
    }
    let mut done = BTreeSet::new();
    roots
        .into_iter()
        .filter_map(|node| match placement.place(node) {
            Place::Remote(profile) if done.insert(id(node)) => Some((node, profile.as_str())),
            _ => None,
        })
        .collect()
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
