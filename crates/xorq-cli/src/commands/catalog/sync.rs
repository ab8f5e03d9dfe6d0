//! After a change: the one-time warning when commits carry no git identity, then
//! `--sync/--no-sync`: the change pushed to the catalog's remote (the Python tool's default), or
//! kept local.

use xorq_catalog::{Catalog, PushOutcome};

use crate::error::Result;

/// Whether a change is pushed to the catalog's remote once it is committed.
#[derive(Clone, Copy, Debug, clap::Args)]
pub struct SyncFlag {
    /// Push the catalog to its remote after the change, when one is set (the default, as in
    /// the Python tool).
    #[arg(long, overrides_with = "no_sync")]
    sync: bool,
    /// Keep the change local; `xorq catalog push` publishes it later.
    #[arg(long, overrides_with = "sync")]
    no_sync: bool,
}

impl SyncFlag {
    /// Pushes `catalog` if asked and it has a remote. The change is committed already, so a
    /// failed push says that it is kept, and how to publish it.
    pub(super) fn after_change(&self, catalog: &Catalog) -> Result<()> {
        if let Some(warning) = catalog.identity_warning() {
            eprintln!("warning: {warning}");
        }
        if self.no_sync {
            return Ok(());
        }
        let Some(url) = catalog.remote_url()? else { return Ok(()) };
        match with_progress(&format!("pushing to {url}"), || catalog.push()) {
            Ok(PushOutcome::Pushed) => eprintln!("pushed to `{url}`"),
            Ok(PushOutcome::UpToDate) => {}
            Err(e) => {
                eprintln!(
                    "the change is committed in the catalog, but pushing it to `{url}` failed
hint: `xorq catalog push` publishes it once the remote is reachable; `--no-sync` skips the push"
                );
                return Err(e.into());
            }
        }
        Ok(())
    }
}

/// Runs `network` (a push, pull or clone) with a spinner saying `what` on a terminal, cleared
/// when it ends: a slow remote shows that something is happening and for how long.
pub(super) fn with_progress<T>(what: &str, network: impl FnOnce() -> T) -> T {
    let spinner = crate::progress::Progress::start(what);
    let out = network();
    spinner.finish();
    out
}
