//! `xorq catalog run ENTRY [TRANSFORM…] [-c SQL] [-i FILE]` and `catalog run-cached` with the
//! same entries: one entry run as `xorq run` runs a build; several entries (or `--code`, or
//! `--rename-params`) composed first as `catalog compose` composes them, into a scratch build
//! that nothing keeps; an entry with an unbound input run on the Arrow IPC rows of
//! `--instream`, as `xorq run-unbound` runs it.

use std::path::PathBuf;

use xorq_catalog::config::Selector;

use super::super::compose;
use super::super::run::{self, RunArgs};
use super::super::run_cached::{self, RunCachedArgs};
use super::super::run_unbound::{self, RunUnboundArgs, UnbindOpts};
use super::chain;
use crate::error::{CliError, Result};

/// The entries applied to the first one's rows, shared by `catalog run` and `run-cached`.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct Composed {
    /// Entries applied to the first one's rows, in order (as `xorq catalog compose`; nothing is
    /// cataloged).
    #[arg(value_name = "TRANSFORM")]
    pub transforms: Vec<String>,
    /// A SQL query applied last, reading the rows so far as `source` (the Python tool's
    /// `--code` takes Ibis code; here it is SQL).
    #[arg(short = 'c', long, value_name = "SQL")]
    pub code: Option<String>,
    /// Rename a parameter of one entry: `ENTRY,OLD,NEW` (repeatable; as `catalog compose`).
    #[arg(long = "rename-params", value_name = "ENTRY,OLD,NEW")]
    pub rename_params: Vec<chain::Rename>,
}

/// What `catalog serve-unbound` applies to its one entry before serving it.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct ServeComposed {
    /// A SQL query applied to the entry, reading it as `source` (the Python tool's `--code`
    /// takes Ibis code; here it is SQL).
    #[arg(short = 'c', long, value_name = "SQL")]
    pub code: Option<String>,
    /// Rename a parameter of the entry: `ENTRY,OLD,NEW` (repeatable).
    #[arg(long = "rename-params", value_name = "ENTRY,OLD,NEW")]
    pub rename_params: Vec<chain::Rename>,
}

impl From<&ServeComposed> for Composed {
    fn from(s: &ServeComposed) -> Composed {
        Composed { transforms: Vec::new(), code: s.code.clone(), rename_params: s.rename_params.clone() }
    }
}

impl Composed {
    fn is_empty(&self) -> bool {
        self.transforms.is_empty() && self.code.is_none() && self.rename_params.is_empty()
    }
}

/// What `xorq catalog run` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct CatalogRunArgs {
    /// The entry to run (its flags are `xorq run`'s).
    #[command(flatten)]
    pub run: RunArgs,
    /// What is composed with it.
    #[command(flatten)]
    pub composed: Composed,
    /// Run an entry with an unbound input on the Arrow IPC rows in this file (`-` for stdin),
    /// as `xorq run-unbound` does.
    #[arg(short = 'i', long = "instream", value_name = "FILE")]
    pub instream: Option<PathBuf>,
}

/// What `xorq catalog run-cached` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct CatalogRunCachedArgs {
    /// The entry and how its result is cached (`xorq run-cached`'s flags).
    #[command(flatten)]
    pub cached: RunCachedArgs,
    /// What is composed with it.
    #[command(flatten)]
    pub composed: Composed,
}

/// Runs `args` against the catalog `selector` chooses.
pub fn run(args: &CatalogRunArgs, selector: &Selector, verbose: bool) -> Result<()> {
    let mut run_args = args.run.clone();
    run_args.catalog = run_args.catalog.within(selector)?;
    if let Some(instream) = &args.instream {
        if !args.composed.is_empty() {
            return Err(CliError::Usage(
                "`--instream` binds rows to one entry's unbound input; compose the entries first with `xorq catalog compose`, then run that entry with `-i`".into(),
            ));
        }
        if run_args.explain || run_args.json || run_args.no_cache {
            return Err(CliError::Usage(
                "`--explain`, `--json` and `--no-cache` are not taken with `--instream` (as `xorq run-unbound`)".into(),
            ));
        }
        let unbound = RunUnboundArgs {
            build: run_args.build,
            unbind: UnbindOpts::default(),
            instream: Some(instream.clone()),
            output: run_args.output,
            format: run_args.format,
            limit: run_args.limit,
            batch_size: None,
            params: run_args.params,
            cache_dir: run_args.cache_dir,
            catalog: run_args.catalog,
        };
        return run_unbound::run(&unbound, verbose);
    }
    let _scratch = compose_into(&mut run_args, &args.composed)?;
    run::run(&run_args, verbose)
}

/// Runs `args` (cached as `xorq run-cached` caches) against the catalog `selector` chooses.
pub fn run_cached(args: &CatalogRunCachedArgs, selector: &Selector, verbose: bool) -> Result<()> {
    let mut cached = args.cached.clone();
    cached.run.catalog = cached.run.catalog.within(selector)?;
    let _scratch = compose_into(&mut cached.run, &args.composed)?;
    run_cached::run(&cached, verbose)
}

/// With something to compose, the composition written as a scratch build and `run_args` pointed
/// at it; the scratch directory (removed when dropped, so held until the run is done).
fn compose_into(run_args: &mut RunArgs, composed: &Composed) -> Result<Option<Scratch>> {
    compose_build(&mut run_args.build, run_args.cache_dir.as_deref(), &run_args.catalog, composed)
}

/// A scratch build of a composition, and the composition (whose renamed entries' scratch builds
/// it holds): removed when dropped.
pub type Scratch = (tempfile::TempDir, chain::Composition);

/// With something to compose, `build` (the first entry) composed as `composed` says and written
/// as a scratch build, and `build` pointed at it.
pub fn compose_build(
    build: &mut PathBuf,
    cache_dir: Option<&std::path::Path>,
    catalog: &super::super::target::CatalogOpts,
    composed: &Composed,
) -> Result<Option<Scratch>> {
    if composed.is_empty() {
        return Ok(None);
    }
    let mut entries = vec![build.to_string_lossy().into_owned()];
    entries.extend(composed.transforms.iter().cloned());
    let verification = compose::verification(cache_dir)?;
    let composition =
        chain::compose(&entries, composed.code.as_deref(), &composed.rename_params, catalog, &verification)?;
    // Reads stay as the parts have them: the composition is run, not kept.
    let scratch = tempfile::Builder::new()
        .prefix(".xorq-run-")
        .tempdir()
        .map_err(|e| CliError::Internal(format!("cannot create a temporary directory for the composition: {e}")))?;
    let parts: Vec<&xorq_build::LoadedBuild> = composition.parts.iter().collect();
    *build = compose::build_into(&composition.table, &parts, scratch.path(), false, &verification)?;
    Ok(Some((scratch, composition)))
}
