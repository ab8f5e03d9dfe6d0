//! `xorq catalog …`: the git-backed catalog. Each subcommand opens the chosen catalog, calls
//! `xorq-catalog`, and prints: data on stdout (`--json` for every listing), messages on stderr.

mod archive;
mod chain;
mod command;
mod export;
mod find;
mod history;
mod print;
mod rebase;
mod register;
mod run_entries;
mod setup;
mod sync;
mod tui;

pub use command::CatalogCommand;
use sync::with_progress;

use std::path::PathBuf;

use xorq_catalog::config::Selector;
use xorq_catalog::{AliasName, Catalog, CatalogError, PullOutcome, PushOutcome};

use super::compose;
use super::target::CatalogOpts;
use crate::error::{CliError, Result};
use register::add_composed;
use setup::{create, default, given_once, open};

/// What `xorq catalog` was asked: which catalog, and what to do.
#[derive(Debug, clap::Args)]
pub struct CatalogArgs {
    /// The catalog in this directory.
    #[arg(long = "path", id = "catalog_dir", value_name = "DIR", global = true)]
    pub path: Option<PathBuf>,
    /// The catalog with this name (registered in the configuration file, else under
    /// `~/.local/share/xorq/catalogs/`).
    #[arg(long = "name", id = "catalog_name", value_name = "NAME", global = true)]
    pub name: Option<String>,
    /// `--path`, written before the subcommand (the Python tool's `-p`).
    #[arg(short = 'p', id = "catalog_dir_short", value_name = "DIR", conflicts_with = "catalog_dir")]
    pub path_short: Option<PathBuf>,
    /// `--name`, written before the subcommand (the Python tool's `-n`).
    #[arg(short = 'n', id = "catalog_name_short", value_name = "NAME", conflicts_with = "catalog_name")]
    pub name_short: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: CatalogCommand,
}

/// Runs a catalog subcommand.
pub fn run(args: &CatalogArgs, verbose: bool) -> Result<()> {
    let (clone_path, clone_name) = match &args.command {
        CatalogCommand::Clone { path, name, .. } => (path.clone(), name.clone()),
        _ => (None, None),
    };
    let path = given_once("directory", [args.path.as_ref(), args.path_short.as_ref(), clone_path.as_ref()])?;
    let name = given_once("name", [args.name.as_ref(), args.name_short.as_ref(), clone_name.as_ref()])?;
    let selector = match (&path, &name) {
        (Some(path), None) => Selector::Path(path.clone()),
        (None, Some(name)) => Selector::Name(name.clone()),
        (None, None) => Selector::Default,
        (Some(path), Some(name)) => {
            return match &args.command {
                CatalogCommand::Init | CatalogCommand::Clone { .. } => create(&args.command, path, Some(name)),
                _ => Err(CliError::Usage(
                    "give `--path` or `--name`, not both (both only register a name when creating with `init` or `clone`)"
                        .into(),
                )),
            };
        }
    };
    match &args.command {
        CatalogCommand::Init | CatalogCommand::Clone { .. } => {
            create(&args.command, &crate::project::locate_catalog(&selector)?.path, None)
        }
        CatalogCommand::Default { set, unset } => default(set.as_deref(), *unset),
        CatalogCommand::Lineage(lineage) => {
            let mut lineage = lineage.clone();
            lineage.catalog = lineage.catalog.within(&selector)?;
            super::lineage::run(&lineage)
        }
        CatalogCommand::Diff(diff) => diff_entries(&selector, diff).map(|_| ()),
        CatalogCommand::Run(run) => run_entries::run(run, &selector, verbose),
        CatalogCommand::RunCached(cached) => run_entries::run_cached(cached, &selector, verbose),
        #[cfg(feature = "serve")]
        CatalogCommand::ServeUnbound { serve, composed } => {
            let mut serve = serve.clone();
            serve.catalog = serve.catalog.within(&selector)?;
            let entry = serve.build.to_string_lossy().into_owned();
            let scratch = run_entries::compose_build(
                &mut serve.build,
                serve.cache_dir.as_deref(),
                &serve.catalog,
                &composed.into(),
            )?;
            if scratch.is_some() {
                serve.flight_name = Some(entry);
            }
            super::serve_unbound::run(&serve, verbose)
        }
        CatalogCommand::Union { spec, register } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let (table, parts) = compose::union_table(spec, &CatalogOpts::default().within(&selector)?, &verification)?;
            add_composed(&selector, &table, &parts.iter().collect::<Vec<_>>(), register, None, &verification)
        }
        CatalogCommand::Join { spec, register } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let (table, parts) = compose::join_table(spec, &CatalogOpts::default().within(&selector)?, &verification)?;
            add_composed(&selector, &table, &parts.iter().collect::<Vec<_>>(), register, None, &verification)
        }
        CatalogCommand::Compose { entries, code, rename_params, dry_run, register } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let catalog = CatalogOpts::default().within(&selector)?;
            let composed = chain::compose(entries, code.as_deref(), rename_params, &catalog, &verification)?;
            if *dry_run {
                let plan = chain::plan_text(&composed.table, &composed.steps);
                return crate::output::write_text(&plan, &crate::output::Target::Stdout);
            }
            add_composed(
                &selector,
                &composed.table,
                &composed.parts.iter().collect::<Vec<_>>(),
                register,
                None,
                &verification,
            )
        }
        CatalogCommand::Rebase { entry, only_alias, register } => {
            let catalog = open(&crate::project::locate_catalog(&selector)?)?;
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let (table, changed, build) = rebase::rederive(&catalog, entry, &verification)?;
            let (old, new) = (build.metadata.address.clone(), table.address().hex());
            rebase::report(entry, &old, &new, &changed);
            if old == new {
                if !register.aliases.is_empty() {
                    eprintln!("--alias {} not added: nothing was rebased", register.aliases.join(", "));
                }
                return crate::output::write_text(&format!("{old}\n"), &crate::output::Target::Stdout);
            }
            let mut register = rebase::moving_aliases(&catalog, &old, only_alias, register)?;
            // The entry read its files by reference; so does the rebased one, unless asked.
            register.no_relocate_reads = !register.relocate_reads;
            add_composed(&selector, &table, &[&build], &register, None, &verification)
        }
        CatalogCommand::Pin { entry, how, register, move_aliases } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let build = super::target::load_verified(entry, &CatalogOpts::default().within(&selector)?, &verification)?;
            let table =
                super::pin::pinned(&build, entry, how, register.cache_dir.as_deref(), verbose, "xorq catalog run")?;
            let moved = move_aliases.then_some(build.metadata.address.as_str());
            add_composed(&selector, &table, &[&build], register, moved, &verification)
        }
        CatalogCommand::Unpin { entry, register, move_aliases } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let build = super::target::load_verified(entry, &CatalogOpts::default().within(&selector)?, &verification)?;
            let table = super::pin::unpinned(&build, entry)?;
            let moved = move_aliases.then_some(build.metadata.address.as_str());
            add_composed(&selector, &table, &[&build], register, moved, &verification)
        }
        command => {
            let location = crate::project::locate_catalog(&selector)?;
            let catalog = open(&location)?;
            on_catalog(&catalog, command)
        }
    }
}

/// `xorq catalog diff`: `xorq diff` with aliases looked up in the chosen catalog. Returns
/// whether the two differ (the exit status says it).
pub fn diff(args: &CatalogArgs, diff: &super::diff::DiffArgs) -> Result<bool> {
    let path = given_once("directory", [args.path.as_ref(), args.path_short.as_ref(), None])?;
    let name = given_once("name", [args.name.as_ref(), args.name_short.as_ref(), None])?;
    let selector = match (path, name) {
        (Some(path), None) => Selector::Path(path),
        (None, Some(name)) => Selector::Name(name),
        (None, None) => Selector::Default,
        (Some(_), Some(_)) => return Err(CliError::Usage("give `--path` or `--name`, not both".into())),
    };
    diff_entries(&selector, diff)
}

fn diff_entries(selector: &Selector, diff: &super::diff::DiffArgs) -> Result<bool> {
    let mut diff = diff.clone();
    diff.catalog = diff.catalog.within(selector)?;
    super::diff::run(&diff)
}

/// The subcommands that work on an existing catalog.
fn on_catalog(catalog: &Catalog, command: &CatalogCommand) -> Result<()> {
    match command {
        CatalogCommand::Add { builds, aliases, json, sync } => {
            let aliases = aliases.iter().map(|a| AliasName::new(a)).collect::<Result<Vec<_>, _>>()?;
            for build in builds {
                let is_zip = build.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) && build.is_file();
                let added = if is_zip {
                    let unpacked = tempfile::Builder::new()
                        .prefix(".xorq-archive-")
                        .tempdir()
                        .map_err(|e| CliError::Internal(format!("cannot create a temporary directory: {e}")))?;
                    let dir = archive::unpack_zip(build, unpacked.path())?;
                    catalog.add(&dir, &aliases)?
                } else {
                    catalog.add(build, &aliases)?
                };
                print::added(&added, *json)?;
            }
            sync.after_change(catalog)
        }
        CatalogCommand::AddAlias { entry, alias, sync } => {
            let change = catalog.add_alias(entry, &AliasName::new(alias)?)?;
            let address = catalog.resolve(alias)?.address;
            if change.changed {
                eprintln!("alias {alias} r{} -> {}", change.revision, &address[..12]);
            } else {
                eprintln!("alias {alias} already points to {} (r{}); nothing to do", &address[..12], change.revision);
            }
            sync.after_change(catalog)
        }
        CatalogCommand::Remove { entries, sync } => {
            let removed = catalog.remove(entries)?;
            let shorts: Vec<&str> = removed.iter().map(|a| &a[..12]).collect();
            eprintln!("removed {}", shorts.join(", "));
            sync.after_change(catalog)
        }
        CatalogCommand::RemoveAlias { aliases, sync } => {
            let names = aliases.iter().map(|a| AliasName::new(a)).collect::<Result<Vec<_>, _>>()?;
            catalog.remove_alias(&names)?;
            eprintln!("removed alias{} {}", if names.len() == 1 { "" } else { "es" }, aliases.join(", "));
            sync.after_change(catalog)
        }
        CatalogCommand::List { kind, json, .. } => {
            let entries = catalog.entries()?;
            let kinds = match kind {
                true => Some(
                    entries
                        .iter()
                        .map(|e| Ok(catalog.details(&e.address)?.metadata.kind()))
                        .collect::<Result<Vec<_>>>()?,
                ),
                false => None,
            };
            print::entries(&entries, kinds.as_deref(), *json)
        }
        CatalogCommand::ListAliases { json } => print::aliases(&catalog.aliases()?, *json),
        CatalogCommand::Find(args) => find::run(catalog, args),
        CatalogCommand::Show { name, raw: true, .. } => {
            let path = catalog.resolve(name)?.dir.join(xorq_build::layout::METADATA_FILE);
            let text = std::fs::read_to_string(&path).map_err(CliError::io("read", &path))?;
            crate::output::write_text(&text, &crate::output::Target::Stdout)
        }
        CatalogCommand::Show { name, json, .. } => print::details(&catalog.details(name)?, *json),
        CatalogCommand::Schema { name, json } => print::schema(&catalog.details(name)?.metadata.schema, *json),
        CatalogCommand::Log { alias: Some(alias), limit, json } => history::alias_log(catalog, alias, *limit, *json),
        CatalogCommand::Log { alias: None, limit, json } => print::log(&catalog.log(*limit)?, *json),
        CatalogCommand::Check { json } => {
            let report = catalog.check()?;
            print::check(&report, *json)?;
            if report.is_ok() {
                Ok(())
            } else {
                Err(CatalogError::Inconsistent {
                    catalog: catalog.path().to_path_buf(),
                    problems: report.problems.len(),
                }
                .into())
            }
        }
        CatalogCommand::CheckSources { names, json } => {
            let report = catalog.check_sources(names)?;
            print::drift(&report, *json)?;
            let count = |f: fn(xorq_catalog::DriftStatus) -> bool| {
                report.iter().flat_map(|e| &e.sources).filter(|s| f(s.status)).count()
            };
            let changed = count(|s| s == xorq_catalog::DriftStatus::Changed);
            let unreachable = count(|s| s == xorq_catalog::DriftStatus::Unreachable);
            if changed + unreachable == 0 { Ok(()) } else { Err(CatalogError::Drift { changed, unreachable }.into()) }
        }
        CatalogCommand::SetRemote { url, force } => {
            catalog.set_remote(url, *force)?;
            eprintln!("the catalog's remote is `{}`", catalog.remote_url()?.unwrap_or_default());
            Ok(())
        }
        CatalogCommand::Sync => {
            let remote = catalog.remote_url()?.unwrap_or_default();
            let report = with_progress(&format!("pulling from {remote}"), || catalog.pull())?;
            print::pull(&report, false)?;
            on_catalog(catalog, &CatalogCommand::Push)
        }
        CatalogCommand::Info { json } => export::info(catalog, *json),
        CatalogCommand::Tui { refresh } => tui::run(catalog, *refresh),
        CatalogCommand::Gc { dry_run, json, .. } => print::gc(&catalog.gc(*dry_run)?, *json),
        CatalogCommand::Get { name, output, dir } => export::get(catalog, name, output.as_deref(), *dir),
        CatalogCommand::Push => {
            let remote = catalog.remote_url()?.unwrap_or_default();
            match with_progress(&format!("pushing to {remote}"), || catalog.push())? {
                PushOutcome::Pushed => eprintln!("pushed to `{}`", catalog.remote_url()?.unwrap_or_default()),
                PushOutcome::UpToDate => eprintln!("the remote is up to date"),
            }
            Ok(())
        }
        CatalogCommand::Pull { json } => {
            let remote = catalog.remote_url()?.unwrap_or_default();
            let report = with_progress(&format!("pulling from {remote}"), || catalog.pull())?;
            print::pull(&report, *json)?;
            if report.outcome == PullOutcome::RemoteEmpty && !*json {
                eprintln!("the remote has no catalog yet; `xorq catalog push` publishes this one");
            }
            Ok(())
        }
        CatalogCommand::Init
        | CatalogCommand::Clone { .. }
        | CatalogCommand::Default { .. }
        | CatalogCommand::Lineage(_)
        | CatalogCommand::Diff(_)
        | CatalogCommand::Run(_)
        | CatalogCommand::RunCached(_)
        | CatalogCommand::Union { .. }
        | CatalogCommand::Join { .. }
        | CatalogCommand::Compose { .. }
        | CatalogCommand::Rebase { .. }
        | CatalogCommand::Pin { .. }
        | CatalogCommand::Unpin { .. } => Err(CliError::Internal("catalog command dispatched twice".into())),
        #[cfg(feature = "serve")]
        CatalogCommand::ServeUnbound { .. } => Err(CliError::Internal("catalog command dispatched twice".into())),
    }
}
