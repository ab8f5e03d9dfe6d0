//! `xorq pin` and `xorq unpin`: a build whose caches read the results they stored, and back.
//!
//! Pinning writes a new build (its address names the frozen rows, so it differs from the
//! original's): each cache node with a stored entry in the cache directory reads that entry's
//! file, bundled into the build under the hash of its bytes. Such a build runs without the
//! databases and files its caches were computed from. Unpinning gives back the original
//! expression, with the original's address.

use std::path::{Path, PathBuf};

use xorq::Table;
use xorq_build::LoadedBuild;
use xorq_exec::pin::{PinOptions, PinReport};

use super::compose::ComposeOpts;
use crate::error::{CliError, Result};

/// What `xorq pin` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct PinArgs {
    /// The build (a directory, an alias or an address prefix).
    pub build: PathBuf,
    /// How to pin.
    #[command(flatten)]
    pub how: PinHow,
    /// Where the pinned build is written.
    #[command(flatten)]
    pub out: ComposeOpts,
}

/// How caches are pinned, shared by `xorq pin` and `xorq catalog pin`.
#[derive(Clone, Debug, clap::Args)]
pub struct PinHow {
    /// Compute and store each cache that has no entry yet, then pin it (by default such a cache
    /// stays as it is).
    #[arg(short = 'e', long)]
    pub ensure_materialized: bool,
    /// Parameter values the entries were stored for (repeatable) [default: each parameter's
    /// default].
    #[arg(short = 'p', long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
}

/// What `xorq unpin` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct UnpinArgs {
    /// The pinned build (a directory, an alias or an address prefix).
    pub build: PathBuf,
    /// Where the unpinned build is written.
    #[command(flatten)]
    pub out: ComposeOpts,
}

/// `xorq pin`.
pub fn pin(args: &PinArgs, verbose: bool) -> Result<()> {
    let verification = super::compose::verification(args.out.cache_dir.as_deref())?;
    let build = super::target::load_verified(&args.build, &args.out.catalog, &verification)?;
    let table = pinned(&build, &args.build, &args.how, args.out.cache_dir.as_deref(), verbose, "xorq run")?;
    super::compose::write(&table, &[&build], &args.out, &verification)
}

/// `build` with its stored caches pinned; what happened to each cache is said on stderr. An
/// error when nothing could be pinned, saying why for each cache (and that `run` stores them).
pub(crate) fn pinned(
    build: &LoadedBuild,
    arg: &Path,
    how: &PinHow,
    cache_dir: Option<&Path>,
    verbose: bool,
    run: &str,
) -> Result<Table> {
    let cache = super::cache::for_run(cache_dir, false, verbose)?;
    let params = super::run::parse_params(&how.params)?;
    // The profiles a run reaches must be connected to compute missing entries.
    let session = xorq::Session::new().with_cache(cache);
    let session = if how.ensure_materialized { super::run::connect_used(session, build)? } else { session };
    let options = PinOptions::default().materialize(how.ensure_materialized);
    let (table, reports) = xorq_exec::blocking::pin_in(&session, &build.table, &params, options)?;
    if reports.is_empty() {
        return Err(CliError::Usage(format!(
            "`{}` has no cache nodes, so there is nothing to pin\nhint: cache the part worth freezing (`.cache(...)` in Python, `xorq run-cached` for a whole build)",
            arg.display()
        )));
    }
    if !reports.iter().any(|r| matches!(r.outcome, xorq_exec::pin::PinOutcome::Pinned { .. })) {
        let lines: Vec<String> = reports.iter().map(|r| format!("  {r}")).collect();
        let already = reports.iter().all(|r| r.outcome.is_pinned());
        let hint = if already {
            "hint: its caches are pinned already; `xorq unpin` gives back the original".to_string()
        } else {
            format!("hint: run it first (`{run} {}`), or pass `-e` to compute the missing results now", arg.display())
        };
        return Err(CliError::Usage(format!(
            "nothing in `{}` was pinned:\n{}\n{hint}",
            arg.display(),
            lines.join("\n")
        )));
    }
    report(&reports);
    Ok(table)
}

fn report(reports: &[PinReport]) {
    for r in reports {
        eprintln!("{r}");
    }
}

/// `xorq unpin`.
pub fn unpin(args: &UnpinArgs) -> Result<()> {
    let verification = super::compose::verification(args.out.cache_dir.as_deref())?;
    let build = super::target::load_verified(&args.build, &args.out.catalog, &verification)?;
    let table = unpinned(&build, &args.build)?;
    super::compose::write(&table, &[&build], &args.out, &verification)
}

/// `build` with every pin dropped; an error when it has none.
pub(crate) fn unpinned(build: &LoadedBuild, arg: &Path) -> Result<Table> {
    let count = xorq::plan::pin::pinned(build.table.node()).len();
    if count == 0 {
        return Err(CliError::Usage(format!(
            "`{}` has no pinned caches, so there is nothing to unpin (`xorq pin` makes a pinned build)",
            arg.display()
        )));
    }
    eprintln!("unpinned {count} cache{}", if count == 1 { "" } else { "s" });
    Ok(Table::from_node(xorq::plan::pin::unpin(build.table.node())?))
}
