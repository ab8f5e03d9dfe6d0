//! Where each node of an expression runs.
//!
//! - A backend table runs on its profile's engine; files and in-memory data on the embedded
//!   DataFusion session ("local"), or on the cluster the session runs its part on
//!   ([`Session::on_cluster`](crate::Session::on_cluster), `xorq run --on`).
//! - `.into_backend(p)` runs on `p` (local when `p` is a DataFusion profile). Into a cluster,
//!   nothing moves: the input runs there, which needs it to be readable there (below).
//! - A node that calls a registered function runs locally: only the embedded engine has it (and
//!   a cluster started by `xorq ballista`, which has every function of ours).
//! - Any other node runs where all its inputs run; inputs on different engines meet locally,
//!   each arriving as a stream.
//!
//! A cluster (Ballista) runs DataFusion plans: a node can run there when everything under it
//! can, meaning it reads only files or object-store URLs the executors can reach (not an
//! in-memory table, an unbound input, a backend's table or a cache entry of this machine), and
//! calls only functions the cluster has (a stock cluster has DataFusion's, not xorq's checked
//! arithmetic or registered functions: see `portable::calls_own_functions`).
//!
//! A maximal group of connected nodes on one backend is a *segment*: one SQL query, or one plan
//! sent to a cluster.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use xorq_core::expr::ir::ExprKind;
use xorq_core::plan::{Node, RelOp, SourceKind, walk};
use xorq_engines::EngineError;
use xorq_engines::datafusion::portable::calls_own_functions;

use crate::error::Result;

/// The engine a node runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The embedded DataFusion session.
    Local,
    /// The backend (or cluster) connected as this profile.
    Remote(String),
}

/// A connected cluster, as placement needs it.
#[derive(Clone, Debug)]
pub(crate) struct ClusterInfo {
    /// Whether it runs xorq's own functions.
    pub own_functions: bool,
    /// The scheduler's address, for errors.
    pub url: String,
}

/// The engines a session can place nodes on.
#[derive(Default)]
pub(crate) struct Engines<'a> {
    /// Profiles of connected backends, clusters included.
    pub remote: BTreeSet<&'a str>,
    /// Profiles of the embedded engine.
    pub local: BTreeSet<&'a str>,
    /// The clusters among `remote`.
    pub clusters: BTreeMap<&'a str, ClusterInfo>,
    /// The cluster that runs the embedded engine's part, if any.
    pub on: Option<&'a str>,
}

/// Placements by node identity.
pub(crate) struct Placement {
    places: BTreeMap<usize, Place>,
}

impl Placement {
    /// Places every node under `root` on `engines`; a profile none of them has is an error.
    /// `client_only` are nodes only this process can read (cache entries on this machine).
    pub(crate) fn of(root: &Arc<Node>, engines: &Engines<'_>, client_only: &BTreeSet<usize>) -> Result<Placement> {
        let mut places: BTreeMap<usize, Place> = BTreeMap::new();
        let mut blocked = Blocked::default();
        let order = walk::topological(root);
        for node in &order {
            if !engines.clusters.is_empty() {
                blocked.note(node, engines, client_only);
            }
            let on_cluster = |node: &Arc<Node>, blocked: &Blocked| {
                engines.on.filter(|c| blocked.why(node, engines, c).is_none()).map(|c| Place::Remote(c.to_string()))
            };
            let place = match node.op() {
                RelOp::Source(s) => match &s.kind {
                    SourceKind::Table(t) => profile_place(&t.profile, engines, || EngineError::NotConnected {
                        profile: t.profile.clone(),
                        table: t.table.join("."),
                    })?,
                    SourceKind::File(_) => on_cluster(node, &blocked).unwrap_or(Place::Local),
                    _ => Place::Local,
                },
                RelOp::IntoBackend(i) if engines.clusters.contains_key(i.profile.as_str()) => {
                    let cluster = i.profile.as_str();
                    if let Some(reason) = blocked.why(&i.input, engines, cluster) {
                        return Err(cannot_move_into(cluster, &engines.clusters[cluster], &reason).into());
                    }
                    // Nothing moves: the input runs on the cluster.
                    for n in walk::topological(&i.input) {
                        places.insert(id(n), Place::Remote(cluster.to_string()));
                    }
                    Place::Remote(cluster.to_string())
                }
                RelOp::IntoBackend(i) => profile_place(&i.profile, engines, || {
                    EngineError::Connect {
                    profile: i.profile.clone(),
                    kind: String::new(),
                    message: "the expression moves rows into this profile, but it is not connected".into(),
                    hint: "\nhint: connect it in the session (`Session::with_backend`), or list it in the build's profiles.yaml".into(),
                }
                })?,
                op => {
                    let mut inputs = op.inputs().into_iter().map(|i| places.get(&id(i)).cloned());
                    let first = inputs.next().flatten().unwrap_or(Place::Local);
                    let common = if inputs.all(|p| p.as_ref() == Some(&first)) { first } else { Place::Local };
                    match common {
                        Place::Remote(p) if engines.clusters.contains_key(p.as_str()) => {
                            if blocked.why(node, engines, &p).is_none() { Place::Remote(p) } else { Place::Local }
                        }
                        // An operation only the embedded engine can run (it calls a registered
                        // function, which no SQL engine has) runs there, its inputs streamed in.
                        _ if needs_embedded_engine(op) => Place::Local,
                        Place::Local => on_cluster(node, &blocked).unwrap_or(Place::Local),
                        other => other,
                    }
                }
            };
            places.insert(id(node), place);
        }
        Ok(Placement { places })
    }

    /// Where `node` runs (local for a node that was not placed).
    pub(crate) fn place(&self, node: &Arc<Node>) -> &Place {
        self.places.get(&id(node)).unwrap_or(&Place::Local)
    }

    /// Whether any node runs on a backend.
    pub(crate) fn any_remote(&self) -> bool {
        self.places.values().any(|p| matches!(p, Place::Remote(_)))
    }
}

/// Why each node cannot run on a cluster, with and without xorq's functions there (`None`: it
/// can). Filled in topological order, so a node's inputs are always known.
#[derive(Default)]
struct Blocked {
    /// By node: the reason on a stock cluster, and on one with xorq's functions.
    reasons: BTreeMap<usize, [Option<String>; 2]>,
}

impl Blocked {
    fn note(&mut self, node: &Arc<Node>, engines: &Engines<'_>, client_only: &BTreeSet<usize>) {
        let own_reason = || {
            "it calls xorq's own functions (checked arithmetic, registered functions), which this stock Ballista cluster lacks".to_string()
        };
        let mine: Option<String> = if client_only.contains(&id(node)) {
            Some("it reads a cache entry stored on this machine".into())
        } else {
            match node.op() {
                RelOp::Source(s) => match &s.kind {
                    SourceKind::File(_) => None,
                    SourceKind::Memtable(_) => Some("an in-memory table lives only in this process".into()),
                    SourceKind::Input(i) => {
                        Some(format!("the rows of unbound input `{}` arrive in this process", i.name))
                    }
                    SourceKind::Table(t) => {
                        Some(format!("it reads table `{}` of profile `{}`", t.table.join("."), t.profile))
                    }
                    _ => Some("it reads a source only this process can read".into()),
                },
                RelOp::TableFunction(_) => Some("a table function runs only in this process".into()),
                RelOp::IntoBackend(i) if !engines.clusters.contains_key(i.profile.as_str()) => {
                    Some(format!("it moves rows into profile `{}`", i.profile))
                }
                _ => None,
            }
        };
        let from_inputs =
            |own: usize| node.op().inputs().into_iter().find_map(|i| self.reasons.get(&id(i))?[own].clone());
        let stock = mine.clone().or_else(|| from_inputs(0)).or_else(|| calls_own_functions(node.op()).then(own_reason));
        let with_own = mine.or_else(|| from_inputs(1));
        self.reasons.insert(id(node), [stock, with_own]);
    }

    /// Why `node` cannot run on `cluster`, or `None` when it can.
    fn why(&self, node: &Arc<Node>, engines: &Engines<'_>, cluster: &str) -> Option<String> {
        let own = engines.clusters.get(cluster).is_some_and(|c| c.own_functions);
        self.reasons.get(&id(node)).and_then(|r| r[usize::from(own)].clone())
    }
}

fn cannot_move_into(cluster: &str, info: &ClusterInfo, reason: &str) -> EngineError {
    EngineError::Cluster {
        profile: cluster.to_string(),
        url: info.url.clone(),
        context: "placing the part moved into it (`.into_backend`)",
        message: format!(
            "it cannot run there: {reason}\nhint: a cluster reads its sources itself: write the rows where its executors can read them (Parquet on shared storage, an object-store URL) and read that, or drop the `.into_backend` to run this part here"
        ),
    }
}

/// Whether `op` calls a function only the embedded engine has: a registered one.
fn needs_embedded_engine(op: &RelOp) -> bool {
    matches!(op, RelOp::TableFunction(_))
        || op.expressions().iter().any(|e| {
            e.any(|x| match &x.kind {
                ExprKind::Function { func, .. } => !func.is_builtin(),
                ExprKind::Aggregate(call) => !call.func.is_builtin(),
                _ => false,
            })
        })
}

/// A node's identity as a plain number (raw pointers would make futures holding it `!Send`).
pub(crate) fn id(node: &Arc<Node>) -> usize {
    Arc::as_ptr(node) as usize
}

fn profile_place(profile: &str, engines: &Engines<'_>, missing: impl FnOnce() -> EngineError) -> Result<Place> {
    if engines.remote.contains(profile) {
        Ok(Place::Remote(profile.to_string()))
    } else if engines.local.contains(profile) {
        Ok(Place::Local)
    } else {
        Err(missing().into())
    }
}
