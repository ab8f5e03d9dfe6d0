//! The catalog's subcommands and their flags, as clap reads them; `mod.rs` runs them.

use std::path::PathBuf;

use clap::Subcommand;

use super::super::compose::{JoinSpec, UnionSpec};
use super::super::diff::DiffArgs;
use super::super::lineage::LineageArgs;
use super::super::pin::PinHow;
use super::register::Register;
use super::sync::SyncFlag;
use super::{chain, run_entries};

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
    /// Find entries by logic: the same computation, the same over other data, or a shared part.
    ///
    /// Matched by node address against every entry (through an index of node addresses kept
    /// in the catalog's `.git`), best first, each shared part with its columns and whether a
    /// result of it is in the cache: search before computing anything new.
    #[command(after_help = super::find::AFTER_HELP)]
    Find(super::find::FindArgs),
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
    /// Show the catalog's history, or an alias's revisions and what changed in each.
    ///
    /// Newest first. With an alias: each revision with the one-line summary of what changed in
    /// its logic since the revision before (as `xorq catalog diff` classifies it).
    #[command(
        after_help = "Examples:\n  xorq catalog log\n  xorq catalog log revenue\n  xorq catalog log revenue --json"
    )]
    Log {
        /// Only this alias's revisions, each with the summary of its diff against the previous one.
        #[arg(value_name = "ALIAS")]
        alias: Option<String>,
        /// At most this many commits (or revisions).
        #[arg(short = 'n', long, value_name = "N")]
        limit: Option<usize>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare two entries by their logic (as `xorq diff`).
    ///
    /// Changed nodes, the output columns they reach, and whether the change is breaking. Exit
    /// status 0 no logical change, 1 a change, 2 an error.
    #[command(
        after_help = "Examples:\n  xorq catalog diff revenue@r1 revenue@r2\n  xorq catalog diff revenue@r1 revenue -f json"
    )]
    Diff(DiffArgs),
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
        serve: super::super::serve_unbound::ServeUnboundArgs,
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
