//! A session: the embedded DataFusion context, the cache and the connected backends, the
//! configuration every run plans and executes with (the executor is `run.rs`, the planning
//! `placement.rs`, `cache/plan.rs` and `segment/sql.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::prelude::{SessionConfig, SessionContext};
use xorq_core::plan::Node;
use xorq_core::profile::Profile;
use xorq_engines::EngineError;
use xorq_engines::backend::{BackendRef, Connectors, LOCAL_KIND};

use crate::cache::Cache;
use crate::error::Result;
use crate::placement::{ClusterInfo, Engines, Placement};

/// A DataFusion session that runs xorq expressions, with a [`Cache`] for their cache nodes
/// (`$XORQ_CACHE_DIR`, else `~/.cache/xorq`, unless [`Session::with_cache`] says otherwise).
///
/// ```no_run
/// # async fn demo(table: xorq_core::Table) -> xorq_exec::Result<()> {
/// use xorq_exec::{Params, Session};
/// let batches = Session::new().execute(&table, &Params::new()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Session {
    ctx: SessionContext,
    cache: Cache,
    backends: Arc<BTreeMap<String, BackendRef>>,
    local_profiles: Arc<BTreeSet<String>>,
    /// The tables bound to unbound inputs for one run (empty outside [`Session::execute_stream_with_inputs`]).
    bound: Arc<BTreeMap<String, Arc<dyn TableProvider>>>,
    /// The connected cluster that runs the embedded engine's part ([`Session::on_cluster`]).
    on: Option<String>,
}

/// The name of the embedded engine's own profile in every session, for `.into_backend("local")`.
pub const LOCAL_PROFILE: &str = "local";

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// A session using every core.
    pub fn new() -> Self {
        let partitions = std::thread::available_parallelism().map_or(1, usize::from);
        Session::from_context(xorq_engines::remote::session_context(
            SessionConfig::new().with_target_partitions(partitions),
        ))
    }

    /// A session over an existing DataFusion context (its configuration and registered objects).
    pub fn from_context(ctx: SessionContext) -> Self {
        Session {
            ctx,
            cache: Cache::from_env(),
            backends: Arc::default(),
            local_profiles: Arc::new(BTreeSet::from([LOCAL_PROFILE.to_string()])),
            bound: Arc::default(),
            on: None,
        }
    }

    /// The same session with `backend` connected under its profile's name: its tables can be
    /// read and rows can be moved into it (a profile of that name is replaced).
    pub fn with_backend(mut self, backend: BackendRef) -> Self {
        Arc::make_mut(&mut self.backends).insert(backend.profile().name().to_string(), backend);
        self
    }

    /// The same session with `profile` naming the embedded engine itself (a `datafusion` profile
    /// of a build): `.into_backend(profile)` streams rows into this session.
    pub fn with_local_profile(mut self, profile: &str) -> Self {
        Arc::make_mut(&mut self.local_profiles).insert(profile.to_string());
        self
    }

    /// The profile of the embedded engine (kind `datafusion`, named [`LOCAL_PROFILE`]).
    pub fn local_profile() -> Profile {
        // A constant name and kind that pass `Profile::new`'s checks.
        Profile::new(LOCAL_PROFILE, LOCAL_KIND).unwrap_or_else(|_| unreachable!("`local` is a valid profile name"))
    }

    /// The profiles of the connected backends and of the embedded engine, for a build's
    /// `profiles.yaml`.
    pub fn profiles(&self) -> Vec<Profile> {
        let mut out: Vec<Profile> = self.backends.values().map(|b| b.profile().clone()).collect();
        out.extend(self.local_profiles.iter().filter_map(|name| Profile::new(name, LOCAL_KIND).ok()));
        out
    }

    /// The same session with each of `profiles` connected: a `datafusion` profile names this
    /// session, any other kind is connected by `connectors`, its `${ENV}` references resolved
    /// from the environment now. This is how a build runs against whatever its profiles
    /// resolve to at run time.
    pub async fn connect(mut self, profiles: &[Profile], connectors: &Connectors) -> Result<Session> {
        for profile in profiles {
            self = if profile.kind() == LOCAL_KIND {
                self.with_local_profile(profile.name())
            } else {
                let backend = connectors.connect(profile).await?;
                self.with_backend(backend)
            };
        }
        Ok(self)
    }

    /// The backend connected as `profile`.
    pub fn backend(&self, profile: &str) -> Result<BackendRef> {
        self.backends.get(profile).cloned().ok_or_else(|| {
            EngineError::Connect {
                profile: profile.to_string(),
                kind: String::new(),
                message: "no backend is connected under this name".into(),
                hint: "\nhint: connect it with `Session::with_backend`".into(),
            }
            .into()
        })
    }

    /// The same session with the part of every run that would run on the embedded engine sent
    /// to the cluster connected as `profile` instead (a `ballista` profile): everything its
    /// executors can read and compute runs there, the rest (in-memory tables, unbound inputs,
    /// cache entries of this machine, functions a stock cluster lacks) here. Addresses and cache
    /// keys do not change: the engine is not logic.
    pub fn on_cluster(mut self, profile: &str) -> Result<Self> {
        let backend = self.backend(profile)?;
        if backend.cluster().is_none() {
            return Err(EngineError::Connect {
                profile: profile.to_string(),
                kind: backend.profile().kind().to_string(),
                message: "this profile is not a cluster, so the embedded engine's part cannot run on it".into(),
                hint: "\nhint: name a profile of kind `ballista` (its `url` is the scheduler's `df://host:port`)"
                    .into(),
            }
            .into());
        }
        self.on = Some(profile.to_string());
        Ok(self)
    }

    /// The cluster the embedded engine's part runs on, if any.
    pub fn cluster_profile(&self) -> Option<&str> {
        self.on.as_deref()
    }

    /// Where each node of the graph under `root` runs; `client_only` are nodes only this
    /// process can read (cache entries of this machine).
    pub(crate) fn placement(&self, root: &Arc<Node>, client_only: &BTreeSet<usize>) -> Result<Placement> {
        let engines = Engines {
            remote: self.backends.keys().map(String::as_str).collect(),
            local: self.local_profiles.iter().map(String::as_str).collect(),
            clusters: self
                .backends
                .iter()
                .filter_map(|(name, b)| {
                    let c = b.cluster()?;
                    Some((
                        name.as_str(),
                        ClusterInfo { own_functions: c.runs_own_functions(), url: c.url().to_string() },
                    ))
                })
                .collect(),
            on: self.on.as_deref(),
        };
        Placement::of(root, &engines, client_only)
    }

    /// The same session with these tables bound to unbound inputs (for one run or explain).
    pub(crate) fn with_bound(&self, bound: BTreeMap<String, Arc<dyn TableProvider>>) -> Session {
        let mut run = self.clone();
        run.bound = Arc::new(bound);
        run
    }

    /// The tables bound to unbound inputs for this run.
    pub(crate) fn bound(&self) -> &BTreeMap<String, Arc<dyn TableProvider>> {
        &self.bound
    }

    /// The same session with `cache` for its cache nodes ([`Cache::disabled`] computes them).
    pub fn with_cache(mut self, cache: Cache) -> Self {
        self.cache = cache;
        self
    }

    /// The DataFusion context.
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The cache.
    pub fn cache(&self) -> &Cache {
        &self.cache
    }
}
