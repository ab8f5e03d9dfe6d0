//! Where each node of an expression runs.
//!
//! - A backend table runs on its profile's engine; files and in-memory data on the embedded
//!   DataFusion session ("local").
//! - `.into_backend(p)` runs on `p` (local when `p` is a DataFusion profile).
//! - A node that calls a registered function runs locally: only the embedded engine has it.
//! - Any other node runs where all its inputs run; inputs on different engines meet locally,
//!   each arriving as a stream.
//!
//! A maximal group of connected nodes on one backend is a *segment*: it becomes one SQL query.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use xorq_core::expr::ir::ExprKind;
use xorq_core::plan::{Node, RelOp, SourceKind, walk};
use xorq_engines::EngineError;

use crate::error::Result;

/// The engine a node runs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Place {
    /// The embedded DataFusion session.
    Local,
    /// The backend connected as this profile.
    Remote(String),
}

/// Placements by node identity.
pub(crate) struct Placement {
    places: BTreeMap<usize, Place>,
}

impl Placement {
    /// Places every node under `root`. `remote` is the set of connected backend profiles,
    /// `local` the profiles of the embedded engine; a profile in neither is an error.
    pub(crate) fn of(root: &Arc<Node>, remote: &BTreeSet<&str>, local: &BTreeSet<&str>) -> Result<Placement> {
        let mut places: BTreeMap<usize, Place> = BTreeMap::new();
        for node in walk::topological(root) {
            let place = match node.op() {
                RelOp::Source(s) => match &s.kind {
                    SourceKind::Table(t) => profile_place(&t.profile, remote, local, || EngineError::NotConnected {
                        profile: t.profile.clone(),
                        table: t.table.join("."),
                    })?,
                    _ => Place::Local,
                },
                RelOp::IntoBackend(i) => profile_place(&i.profile, remote, local, || {
                    EngineError::Connect {
                    profile: i.profile.clone(),
                    kind: String::new(),
                    message: "the expression moves rows into this profile, but it is not connected".into(),
                    hint: "\nhint: connect it in the session (`Session::with_backend`), or list it in the build's profiles.yaml".into(),
                }
                })?,
                // An operation only the embedded engine can run (it calls a registered function,
                // which no SQL engine has) runs there, its inputs streamed in as Arrow.
                op if needs_embedded_engine(op) => Place::Local,
                op => {
                    let mut inputs = op.inputs().into_iter().map(|i| places.get(&id(i)).cloned());
                    let first = inputs.next().flatten().unwrap_or(Place::Local);
                    if inputs.all(|p| p.as_ref() == Some(&first)) { first } else { Place::Local }
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

fn profile_place(
    profile: &str,
    remote: &BTreeSet<&str>,
    local: &BTreeSet<&str>,
    missing: impl FnOnce() -> EngineError,
) -> Result<Place> {
    if remote.contains(profile) {
        Ok(Place::Remote(profile.to_string()))
    } else if local.contains(profile) {
        Ok(Place::Local)
    } else {
        Err(missing().into())
    }
}
