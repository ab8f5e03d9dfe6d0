//! `xorq catalog …`: the git-backed catalog. Each subcommand opens the chosen catalog, calls
//! `xorq-catalog`, and prints: data on stdout (`--json` for every listing), messages on stderr.

mod archive;
mod chain;
mod export;
mod print;
mod rebase;
mod run_entries;
mod sync;
mod tui;

pub use sync::SyncFlag;
use sync::with_progress;

use std::path::PathBuf;

use clap::Subcommand;
use xorq_catalog::config::{Config, Location, Selector, default_location};
use xorq_catalog::{AliasName, Catalog, CatalogError, Cloned, PullOutcome, PushOutcome};

use super::compose::{self, JoinSpec, UnionSpec};
use super::lineage::LineageArgs;
use super::pin::PinHow;
use super::target::CatalogOpts;
use crate::error::{CliError, Result};

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

/// The catalog's subcommands.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Create a catalog: a new git repository (`--path`, `--name`, or the default catalog).
    #[command(after_help = "Examples:\n  xorq catalog --path team-catalog init\n  xorq catalog --name analytics init")]
    Init,
    /// Clone a catalog from a git URL (a bare repository path works too).
    ///
    /// Into `--path`, the catalog `--name`, or the default catalog.
    #[command(
        after_help = "Examples:\n  xorq catalog clone git@github.com:acme/catalog.git\n  xorq catalog --path ./acme clone /srv/git/catalog.git"
    )]
    Clone {
        /// The git URL of the catalog.
        url: String,
        /// `--path`, after the subcommand (the Python tool's `clone -p`).
        #[arg(short = 'p', id = "clone_path", value_name = "DIR", conflicts_with = "catalog_dir")]
        path: Option<PathBuf>,
        /// `--name`, after the subcommand (the Python tool's `clone -n`).
        #[arg(short = 'n', id = "clone_name", value_name = "NAME", conflicts_with = "catalog_name")]
        name: Option<String>,
    },
    /// Add builds as entries (one commit each); `--alias` points aliases at each.
    #[command(
        after_help = "Examples:\n  xorq catalog add builds/28ecab08754e --alias revenue\n  xorq catalog add builds/28ecab08754e builds/c5a981ab43cd --no-sync"
    )]
    Add {
        /// Build directories written by `xorq build`, or build archives (`.zip`, as `xorq catalog
        /// get` writes them).
        #[arg(required = true, value_name = "BUILD")]
        builds: Vec<PathBuf>,
        /// Point this alias at the entry (repeatable); an alias that exists gains a revision.
        #[arg(short = 'a', long = "alias", value_name = "ALIAS")]
        aliases: Vec<String>,
        /// Print a JSON summary.
        #[arg(long)]
        json: bool,
        /// Push afterwards, or not.
        #[command(flatten)]
        sync: SyncFlag,
    },
    /// Point an alias at an entry, adding a revision (one commit).
    #[command(
        after_help = "Examples:\n  xorq catalog add-alias 28ecab08754e revenue\n  xorq catalog add-alias staging prod"
    )]
    AddAlias {
        /// The entry: an address prefix, an alias, or `alias@rN`.
        entry: String,
        /// The alias.
        alias: String,
        /// Push afterwards, or not.
        #[command(flatten)]
        sync: SyncFlag,
    },
    /// Remove entries (one commit); entries an alias currently points to are refused.
    Remove {
        /// Address prefixes of the entries.
        #[arg(required = true)]
        entries: Vec<String>,
        /// Push afterwards, or not.
        #[command(flatten)]
        sync: SyncFlag,
    },
    /// Remove aliases (one commit); their entries stay.
    RemoveAlias {
        /// The aliases.
        #[arg(required = true)]
        aliases: Vec<String>,
        /// Push afterwards, or not.
        #[command(flatten)]
        sync: SyncFlag,
    },
    /// List entries, with the aliases pointing to them.
    List {
        /// Also show each entry's kind: `source` (a read of a source), `expr`, or
        /// `unbound_expr` (a transform with an unbound input).
        #[arg(long, overrides_with = "no_kind")]
        kind: bool,
        /// Leave the kind out (the default).
        #[arg(long, overrides_with = "kind")]
        no_kind: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List aliases: the entry and revision each points to.
    ListAliases {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show an entry: address, aliases, schema, sources, parameters, revisions, size.
    #[command(after_help = "Examples:\n  xorq catalog show revenue\n  xorq catalog show revenue@r1 --json")]
    Show {
        /// An alias, `alias@rN`, or an address prefix.
        name: String,
        /// Print JSON.
        #[arg(long, conflicts_with = "raw")]
        json: bool,
        /// Print the entry's metadata file (`metadata.json`) as it is stored.
        #[arg(long)]
        raw: bool,
    },
    /// Show an entry's output columns.
    Schema {
        /// An alias, `alias@rN`, or an address prefix.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show where each output column of an entry comes from (as `xorq lineage`).
    #[command(
        after_help = "Examples:\n  xorq catalog lineage revenue\n  xorq catalog lineage revenue -c total -f mermaid\n\nLineage here is column-level for builds and entries alike; the Python tool's node-level\n`--level`, `--node` and `--expand` of stored sidecars have no counterpart."
    )]
    Lineage(LineageArgs),
    /// Show the catalog's history, newest first.
    Log {
        /// At most this many commits.
        #[arg(short = 'n', long, value_name = "N")]
        limit: Option<usize>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check the catalog: every entry's address recomputed from its expr.yaml, every alias.
    Check {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare each source's schema now with the one recorded, column by column.
    #[command(
        after_help = "Exit codes (the worst source wins, as in the Python tool):\n  0  every source unchanged (or only new columns)\n  2  a source could not be read\n  3  a source changed, or its table is missing\nA sweep that never started (a name that does not resolve, a catalog that cannot be opened) exits 1."
    )]
    CheckSources {
        /// Aliases or address prefixes [default: every entry].
        names: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run an entry (as `xorq run`), or several composed.
    ///
    /// Several entries, or `-c`, are composed first (as `xorq catalog compose`, keeping
    /// nothing); `-i` streams rows into an entry's unbound input.
    #[command(
        after_help = "Examples:\n  xorq catalog run revenue -o - -f csv\n  xorq catalog run revenue@r1 -o out.parquet\n  xorq catalog run orders clean-orders -c \"SELECT * FROM source WHERE amount > 100\" -o - -f csv\n  xorq catalog run orders -o - -f arrow | xorq catalog run score -i - -o - -f csv\n\nEntries are always fused into one expression (the Python tool's `--fuse`, the only mode\nhere); to stream one entry's rows into the next instead, pipe `-f arrow` into `-i -` as above."
    )]
    Run(run_entries::CatalogRunArgs),
    /// Serve an entry over Arrow Flight (as `xorq serve-unbound`).
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Examples:\n  xorq catalog serve-unbound fraud-model --port 8001\n  xorq catalog serve-unbound scorer --to-unbind-tag features -p threshold=0.5"
    )]
    ServeUnbound {
        /// The entry and how it is served (`xorq serve-unbound`'s flags).
        #[command(flatten)]
        serve: super::serve_unbound::ServeUnboundArgs,
        /// What is applied to the entry first.
        #[command(flatten)]
        composed: run_entries::ServeComposed,
    },
    /// Union two or more entries with identical schemas into a new entry (as `xorq union`).
    #[command(
        after_help = "Examples:\n  xorq catalog union orders-jan orders-feb --alias orders-q1\n  xorq catalog union orders-jan orders-feb orders-mar --distinct\n\nParts that name the same backend profile share one connection to it (the Python tool's\n`--rebind-backends`, the only mode here)."
    )]
    Union {
        /// What is unioned.
        #[command(flatten)]
        spec: UnionSpec,
        /// How the new entry is registered.
        #[command(flatten)]
        register: Register,
    },
    /// Join two entries into a new entry (as `xorq join`).
    #[command(
        after_help = "Examples:\n  xorq catalog join orders customers --on customer_id --alias enriched-orders\n  xorq catalog join orders users --left-on user_id --right-on id --how left\n\nParts that name the same backend profile share one connection to it (the Python tool's\n`--rebind-backends`, the only mode here)."
    )]
    Join {
        /// What is joined.
        #[command(flatten)]
        spec: JoinSpec,
        /// How the new entry is registered.
        #[command(flatten)]
        register: Register,
    },
    /// Compose entries into a new entry, as a chain of source and transforms.
    ///
    /// The first entry gives the rows, each next one is applied to the rows so far (its unbound input, or else its one source, bound to them), then
    /// `--code`; the result is built and cataloged. The same entries composed the same way give
    /// the same entry.
    #[command(
        after_help = "Examples:\n  xorq catalog compose orders-source clean-orders --alias orders-clean\n  xorq catalog compose orders-source -c \"SELECT * FROM source WHERE amount > 100\" --alias high-value\n  xorq catalog compose orders-source clean-orders score --dry-run"
    )]
    Compose {
        /// The entries (aliases, `alias@rN`, address prefixes): the source first, then the
        /// transforms in order.
        #[arg(required = true, value_name = "ENTRY")]
        entries: Vec<String>,
        /// A SQL query applied last, reading the composed rows as `source` (the Python tool's
        /// `--code` takes Ibis code; here it is SQL).
        #[arg(short = 'c', long, value_name = "SQL")]
        code: Option<String>,
        /// Rename a parameter of one entry: `ENTRY,OLD,NEW` (repeatable), so two entries'
        /// parameters of one name are bound apart, or become one.
        #[arg(long = "rename-params", value_name = "ENTRY,OLD,NEW")]
        rename_params: Vec<chain::Rename>,
        /// Show the composition (each step with its address, the result's columns) without
        /// building or cataloging anything.
        #[arg(long)]
        dry_run: bool,
        /// How the new entry is registered.
        #[command(flatten)]
        register: Register,
    },
    /// Re-derive an entry over its sources as they are now, as a new entry.
    ///
    /// The old entry stays; its aliases move to the new entry. Run it when `check-sources` reports a
    /// changed source. Prints the resulting entry's address; with no change, the entry's own.
    #[command(
        after_help = "Exit codes:\n  0  rebased, or nothing changed\n  1  refused or failed (the name does not resolve, --only-alias names an alias the entry lacks, a write failed)\n  2  a source could not be read; nothing written\n  4  conflict: an operation no longer fits the sources as they are now (a column gone or retyped); nothing written\n\nExamples:\n  xorq catalog rebase prod-matches\n  xorq catalog rebase prod-matches --only-alias prod -a matches-v2"
    )]
    Rebase {
        /// The entry: an alias, `alias@rN`, or an address prefix.
        entry: String,
        /// Move only this alias to the new entry (repeatable) [default: every alias whose
        /// latest revision is the entry].
        #[arg(long = "only-alias", value_name = "ALIAS")]
        only_alias: Vec<String>,
        /// How the new entry is registered (reads stay references unless `--relocate-reads`).
        #[command(flatten)]
        register: Register,
    },
    /// Freeze an entry's caches to the results they stored, as a new entry (as `xorq pin`).
    #[command(
        after_help = "Examples:\n  xorq catalog pin penguins-prod --alias penguins-pinned\n  xorq catalog pin penguins-prod --move-aliases -e"
    )]
    Pin {
        /// The entry: an alias, `alias@rN`, or an address prefix.
        entry: PathBuf,
        /// How to pin.
        #[command(flatten)]
        how: PinHow,
        /// How the new entry is registered.
        #[command(flatten)]
        register: Register,
        /// Point every alias of the entry at the pinned entry instead (a new revision of each).
        #[arg(long)]
        move_aliases: bool,
    },
    /// Give back the entry a pinned entry was made from, as an entry (as `xorq unpin`).
    #[command(after_help = "Example:\n  xorq catalog unpin penguins-pinned --move-aliases")]
    Unpin {
        /// The pinned entry: an alias, `alias@rN`, or an address prefix.
        entry: PathBuf,
        /// How the new entry is registered.
        #[command(flatten)]
        register: Register,
        /// Point every alias of the entry at the unpinned entry instead (a new revision of each).
        #[arg(long)]
        move_aliases: bool,
    },
    /// Set the git remote that push and pull use.
    SetRemote {
        /// A git URL, or the path of a bare repository.
        url: String,
        /// Replace a remote that is already set.
        #[arg(long)]
        force: bool,
    },
    /// Push the catalog's commits to its remote.
    Push,
    /// Pull, then push: `xorq catalog pull` followed by `xorq catalog push`.
    Sync,
    /// Show the catalog: where it is and how it was chosen, its commit, remote, entries and
    /// aliases.
    #[command(after_help = "Examples:\n  xorq catalog info\n  xorq catalog --name analytics info --json")]
    Info {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export an entry as a `.zip` or a build directory, to ship it where there is no catalog.
    ///
    /// Writes `<output>/<name>.zip` (re-added
    /// with `xorq catalog add <file>.zip`), or with `--dir` a build directory
    /// `<output>/<address>` that `xorq run` reads.
    #[command(
        after_help = "Examples:\n  xorq catalog get revenue -o shipped\n  xorq catalog get revenue@r2 --dir -o builds"
    )]
    Get {
        /// The entry: an alias, `alias@rN`, or an address prefix.
        name: String,
        /// Directory the export is written into [default: the current directory].
        #[arg(short = 'o', long, value_name = "DIR")]
        output: Option<PathBuf>,
        /// Write a build directory instead of a `.zip`.
        #[arg(long)]
        dir: bool,
    },
    /// Run an entry with its whole result cached (as `xorq run-cached`), or several composed.
    #[command(
        after_help = "Examples:\n  xorq catalog run-cached revenue -o out.parquet\n  xorq catalog run-cached revenue --cache-type snapshot --ttl 1h\n\nA cache entry is named by the address of what computed it; rows streamed in have none, so\nthere is no `--instream` here (`xorq catalog run ENTRY -i FILE` runs on them, uncached)."
    )]
    RunCached(run_entries::CatalogRunCachedArgs),
    /// Fetch the remote's commits and merge them (entries are merged; alias conflicts reported).
    Pull {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove what the catalog keeps that no commit names.
    ///
    /// That is: untracked files and directories under
    /// `entries/` and `aliases/` (a killed writer's staging copy, a directory copied in by hand)
    /// and git objects no commit reaches; then compact the repository. Committed entries and
    /// aliases are never touched (`remove` and `remove-alias` do that).
    #[command(after_help = "Examples:\n  xorq catalog gc --dry-run\n  xorq catalog gc")]
    Gc {
        /// List the orphans without removing anything.
        #[arg(long, overrides_with = "no_dry_run")]
        dry_run: bool,
        /// Remove them (the default).
        #[arg(long, overrides_with = "dry_run")]
        no_dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Browse the catalog in the terminal: entries, aliases, revisions, schema and lineage.
    ///
    /// The catalog is re-read on an interval (`--refresh`). Keys: ↑↓ (or j/k) select, Tab or
    /// 1-4 switch pane, PgUp/PgDn scroll, / filter by a part of an alias or address (Esc clears
    /// it), r re-read now, q, Esc or Ctrl+C quit.
    #[command(after_help = "Examples:\n  xorq catalog tui\n  xorq catalog --name analytics tui --refresh 2")]
    Tui {
        /// Re-read the catalog every this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
        refresh: f64,
    },
    /// Show or set the default catalog's name.
    Default {
        /// Make this the default catalog.
        #[arg(long, value_name = "NAME", conflicts_with = "unset")]
        set: Option<String>,
        /// Forget the configured default.
        #[arg(long)]
        unset: bool,
    },
}

impl CatalogCommand {
    /// Whether this subcommand serves until it is stopped.
    pub fn serves(&self) -> bool {
        #[cfg(feature = "serve")]
        if matches!(self, CatalogCommand::ServeUnbound { .. }) {
            return true;
        }
        false
    }
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
            add_composed(&selector, &table, &parts.iter().collect::<Vec<_>>(), register, None)
        }
        CatalogCommand::Join { spec, register } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let (table, parts) = compose::join_table(spec, &CatalogOpts::default().within(&selector)?, &verification)?;
            add_composed(&selector, &table, &parts.iter().collect::<Vec<_>>(), register, None)
        }
        CatalogCommand::Compose { entries, code, rename_params, dry_run, register } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let catalog = CatalogOpts::default().within(&selector)?;
            let composed = chain::compose(entries, code.as_deref(), rename_params, &catalog, &verification)?;
            if *dry_run {
                let plan = chain::plan_text(&composed.table, &composed.steps);
                return crate::output::write_text(&plan, &crate::output::Target::Stdout);
            }
            add_composed(&selector, &composed.table, &composed.parts.iter().collect::<Vec<_>>(), register, None)
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
            add_composed(&selector, &table, &[&build], &register, None)
        }
        CatalogCommand::Pin { entry, how, register, move_aliases } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let build = super::target::load_verified(entry, &CatalogOpts::default().within(&selector)?, &verification)?;
            let table =
                super::pin::pinned(&build, entry, how, register.cache_dir.as_deref(), verbose, "xorq catalog run")?;
            let moved = move_aliases.then_some(build.metadata.address.as_str());
            add_composed(&selector, &table, &[&build], register, moved)
        }
        CatalogCommand::Unpin { entry, register, move_aliases } => {
            let verification = compose::verification(register.cache_dir.as_deref())?;
            let build = super::target::load_verified(entry, &CatalogOpts::default().within(&selector)?, &verification)?;
            let table = super::pin::unpinned(&build, entry)?;
            let moved = move_aliases.then_some(build.metadata.address.as_str());
            add_composed(&selector, &table, &[&build], register, moved)
        }
        command => {
            let location = crate::project::locate_catalog(&selector)?;
            let catalog = open(&location)?;
            on_catalog(&catalog, command)
        }
    }
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
        CatalogCommand::Show { name, raw: true, .. } => {
            let path = catalog.resolve(name)?.dir.join(xorq_build::layout::METADATA_FILE);
            let text = std::fs::read_to_string(&path).map_err(CliError::io("read", &path))?;
            crate::output::write_text(&text, &crate::output::Target::Stdout)
        }
        CatalogCommand::Show { name, json, .. } => print::details(&catalog.details(name)?, *json),
        CatalogCommand::Schema { name, json } => print::schema(&catalog.details(name)?.metadata.schema, *json),
        CatalogCommand::Log { limit, json } => print::log(&catalog.log(*limit)?, *json),
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

/// How `xorq catalog union/join/pin/unpin` register the entry they make.
#[derive(Clone, Debug, clap::Args)]
pub struct Register {
    /// Point this alias at the new entry (repeatable); an alias that exists gains a revision.
    #[arg(short = 'a', long = "alias", value_name = "ALIAS")]
    pub aliases: Vec<String>,
    /// Bundle local file reads into the build, named by their content (the default; the
    /// Python tool's spelling, for scripts that pass it).
    #[arg(long, overrides_with = "no_relocate_reads")]
    pub relocate_reads: bool,
    /// Keep local file reads as references to their paths instead of bundling copies (reads the
    /// parts bundled stay bundled).
    #[arg(long, overrides_with = "relocate_reads")]
    pub no_relocate_reads: bool,
    /// Cache directory: where bundled files are remembered as verified (and, for `pin`, whose
    /// stored results are pinned) [default: `$XORQ_CACHE_DIR`, else the project file's
    /// `cache_dir`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print a JSON summary.
    #[arg(long)]
    pub json: bool,
    /// Push afterwards, or not.
    #[command(flatten)]
    pub sync: SyncFlag,
}

/// Builds `table` (with the profiles of `parts`) and adds it to the selected catalog with the
/// aliases `register` names, plus, with `moved_from`, every alias now pointing to that entry
/// address: one commit.
fn add_composed(
    selector: &Selector,
    table: &xorq::Table,
    parts: &[&xorq_build::LoadedBuild],
    register: &Register,
    moved_from: Option<&str>,
) -> Result<()> {
    let catalog = open(&crate::project::locate_catalog(selector)?)?;
    let mut aliases = register.aliases.iter().map(|a| AliasName::new(a)).collect::<Result<Vec<_>, _>>()?;
    if let Some(address) = moved_from {
        let moving: Vec<_> = catalog.aliases()?.into_iter().filter(|a| a.address == address).collect();
        if moving.is_empty() {
            eprintln!("the entry {} has no aliases to move", &address[..12.min(address.len())]);
        }
        for a in moving {
            let name = AliasName::new(&a.alias)?;
            if !aliases.contains(&name) {
                aliases.push(name);
            }
        }
    }
    // The build is written beside nothing the user owns: the catalog keeps its own copy.
    let scratch = tempfile::Builder::new()
        .prefix(".xorq-compose-")
        .tempdir()
        .map_err(|e| CliError::Internal(format!("cannot create a temporary directory for the new build: {e}")))?;
    let verification = compose::verification(register.cache_dir.as_deref())?;
    let built = compose::build_into(table, parts, scratch.path(), !register.no_relocate_reads, &verification)?;
    let added = catalog.add(&built, &aliases)?;
    print::added(&added, register.json)?;
    register.sync.after_change(&catalog)
}

/// The one value of a selector that can be written in several places (`--path`, `-p` before
/// the subcommand, `clone -p`); giving it twice is a usage error.
fn given_once<T: Clone>(what: &str, given: [Option<&T>; 3]) -> Result<Option<T>> {
    let mut given = given.into_iter().flatten();
    let first = given.next().cloned();
    match given.next() {
        Some(_) => Err(CliError::Usage(format!("the catalog {what} is given twice; give it once"))),
        None => Ok(first),
    }
}

/// Opens the chosen catalog, saying how to create one when there is none.
fn open(location: &Location) -> Result<Catalog> {
    Catalog::open(&location.path).map_err(|e| match e {
        CatalogError::NotACatalog { path, reason } if location.path.exists() => {
            CliError::Catalog(CatalogError::NotACatalog { path, reason })
        }
        CatalogError::NotACatalog { path, .. } => CliError::Catalog(CatalogError::NotACatalog {
            path,
            reason: format!(
                "there is no catalog there ({} is used); create it with `xorq catalog{} init`, clone one with `xorq catalog{} clone <url>`, or choose another with `--path`/`--name`",
                location.chosen_by,
                location.name.as_deref().map(|n| format!(" --name {n}")).unwrap_or_default(),
                location.name.as_deref().map(|n| format!(" --name {n}")).unwrap_or_default(),
            ),
        }),
        other => other.into(),
    })
}

/// `init` and `clone` into `path`; with `register`, the name is recorded for that path.
fn create(command: &CatalogCommand, path: &std::path::Path, register: Option<&String>) -> Result<()> {
    if let Some(name) = register {
        let config = Config::load()?;
        config.path_of(name)?;
        if config.catalogs.get(name).is_some_and(|p| p != path) {
            return Err(CliError::Usage(format!(
                "the name `{name}` is already registered for `{}`; choose another name",
                config.catalogs[name].display()
            )));
        }
    }
    let catalog = match command {
        CatalogCommand::Clone { url, .. } => {
            let shown = xorq_catalog::git::redact(url);
            let (catalog, how) = with_progress(&format!("cloning {shown}"), || Catalog::clone_from(url, path))?;
            match how {
                Cloned::Catalog => eprintln!("cloned the catalog at `{url}` into {}", catalog.path().display()),
                Cloned::Initialized => eprintln!(
                    "`{url}` is empty: started a new catalog in {}; `xorq catalog push` publishes it",
                    catalog.path().display()
                ),
            }
            catalog
        }
        _ => {
            let catalog = Catalog::init(path)?;
            eprintln!("created a catalog in {}", catalog.path().display());
            catalog
        }
    };
    if let Some(name) = register {
        let mut config = Config::load()?;
        config.catalogs.insert(name.clone(), catalog.path().to_path_buf());
        let file = config.save()?;
        eprintln!("registered the name `{name}` in {}", file.display());
    }
    Ok(())
}

/// `xorq catalog default`.
fn default(set: Option<&str>, unset: bool) -> Result<()> {
    let mut config = Config::load()?;
    if let Some(name) = set {
        config.path_of(name)?;
        config.default = Some(name.to_string());
        let file = config.save()?;
        eprintln!("the default catalog is `{name}` (saved in {})", file.display());
    } else if unset {
        config.default = None;
        let file = config.save()?;
        eprintln!("forgot the default catalog (in {})", file.display());
    } else {
        let (name, source) = config.default_name();
        let path = config.path_of(&name).ok().or_else(|| default_location(&name)).unwrap_or_default();
        crate::output::write_text(
            &format!("{name}\t{}\t({source})\n", path.display()),
            &crate::output::Target::Stdout,
        )?;
    }
    Ok(())
}
