//! The command line, as clap sees it. Commands live in their own modules; this file only
//! declares arguments.

use clap::{Parser, Subcommand};
use clap_complete::Shell;

use crate::commands::build::BuildArgs;
use crate::commands::cache::CacheArgs;
use crate::commands::catalog::CatalogArgs;
use crate::commands::compose::{JoinArgs, UnionArgs};
use crate::commands::diff::DiffArgs;
use crate::commands::init::InitArgs;
use crate::commands::lineage::LineageArgs;
use crate::commands::pin::{PinArgs, UnpinArgs};
use crate::commands::run::RunArgs;
use crate::commands::run_cached::RunCachedArgs;
use crate::commands::run_unbound::RunUnboundArgs;
#[cfg(feature = "serve")]
use crate::commands::serve_unbound::ServeUnboundArgs;
use crate::commands::sql::SqlArgs;

/// `--version` text: the tool version and the hashing scheme its addresses use (a literal, since
/// clap needs a `&'static str`; a test keeps it equal to `xorq::HASH_SCHEME`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (hash scheme ", "xorq-rs-blake3-v3", ")");

/// Deferred data pipelines named by the hash of their logic.
///
/// Exit codes: 0 success, 1 runtime error, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "xorq", version = VERSION, about, arg_required_else_help = true)]
pub struct Cli {
    /// Show the chain of causes under an error, and what each cache node did
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a project with sample data and a pipeline.
    #[command(after_help = "Examples:\n  xorq init demo\n  xorq init -t penguins birds")]
    Init(InitArgs),
    /// Compile a pipeline file into a build directory named by its address.
    #[command(
        after_help = "Examples:\n  xorq build pipeline.sql\n  xorq build pipeline.sql --builds-dir artifacts --debug"
    )]
    Build(BuildArgs),
    /// Execute a build and write its result.
    #[command(
        after_help = "Examples:\n  xorq run builds/28ecab08754e\n  xorq run builds/28ecab08754e -o - -f csv | head\n  xorq run builds/28ecab08754e --limit 100 -p threshold=0.5 -o sample.parquet"
    )]
    Run(RunArgs),
    /// Execute a build with its whole result cached (computed once, then read back).
    #[command(
        after_help = "Examples:\n  xorq run-cached builds/28ecab08754e\n  xorq run-cached builds/28ecab08754e --cache-type snapshot --ttl 1h -v"
    )]
    RunCached(RunCachedArgs),
    /// Execute a build with one node left open, its rows read as Arrow IPC from stdin or a file.
    #[command(
        after_help = "Examples:\n  xorq run builds/source -o - -f arrow | xorq run-unbound builds/transform --to-unbind-tag src -o out.parquet\n  xorq run-unbound scorer -i batch.arrow -o - -f csv"
    )]
    RunUnbound(RunUnboundArgs),
    /// Serve a build over Arrow Flight: clients send rows for its open node and read the result.
    #[cfg(feature = "serve")]
    #[command(
        after_help = "Examples:\n  xorq serve-unbound builds/28ecab08754e --port 8001\n  xorq serve-unbound fraud-model --port 8001 f3a2c1d0\n  XORQ_TOKEN=s3cret xorq serve-unbound scorer --to-unbind-tag features --auth-token-env XORQ_TOKEN --prometheus-port 9090"
    )]
    ServeUnbound(ServeUnboundArgs),
    /// Union two or more builds with identical schemas into a new build.
    #[command(
        after_help = "Examples:\n  xorq union builds/a builds/b\n  xorq union builds/a builds/b builds/c --distinct\n\nParts that name the same backend profile share one connection to it (the Python tool's\n`--rebind-backends`, the only mode here)."
    )]
    Union(UnionArgs),
    /// Join two builds into a new build.
    #[command(
        after_help = "Examples:\n  xorq join builds/left builds/right --on id\n  xorq join builds/left builds/right --left-on user_id --right-on id --how left\n\nParts that name the same backend profile share one connection to it (the Python tool's\n`--rebind-backends`, the only mode here)."
    )]
    Join(JoinArgs),
    /// Freeze a build's caches to the results they stored, as a new build that reads them.
    #[command(
        after_help = "Examples:\n  xorq pin builds/28ecab08754e --cache-dir ./cache\n  xorq pin builds/28ecab08754e -e   # compute missing results first\n  xorq unpin builds/5b1f03c2e9aa   # back to the original, same address"
    )]
    Pin(PinArgs),
    /// Give back the build a pinned build was made from: its caches computed again.
    #[command(after_help = "Example:\n  xorq unpin builds/5b1f03c2e9aa")]
    Unpin(UnpinArgs),
    /// List, inspect and prune cached results.
    #[command(
        after_help = "Examples:\n  xorq cache list\n  xorq cache show 28ecab08754e\n  xorq cache prune --older-than 7d --max-size 10GB\n  xorq cache clear"
    )]
    Cache(CacheArgs),
    /// Show where each output column of a build comes from.
    #[command(
        after_help = "Examples:\n  xorq lineage builds/28ecab08754e --column total\n  xorq lineage builds/28ecab08754e -f html -o lineage.html\n  xorq lineage builds/28ecab08754e -f dot | dot -Tsvg > lineage.svg\n  xorq lineage builds/28ecab08754e -f openlineage"
    )]
    Lineage(LineageArgs),
    /// Compare two builds by their logic: what changed, what it reaches, whether it breaks.
    #[command(
        after_help = "Examples:\n  xorq diff builds/95c4a268e358 builds/1c9fbdee2dd7\n  xorq diff revenue@r1 revenue@r2 -f json\n  xorq diff revenue@r1 revenue -f html -o diff.html\n\nClassification: none (the same logic, or only a tag, cache or engine changed), additive (new\ncolumns only), values (values of existing columns can differ) or breaking (a column removed,\nrenamed or retyped, or the row set changed).\nExit status: 0 no logical change, 1 a change, 2 an error."
    )]
    Diff(DiffArgs),
    /// Print a build's SQL in another engine's dialect (Snowflake, BigQuery, Trino, Spark, …).
    #[command(
        after_help = "Examples:\n  xorq sql builds/28ecab08754e --dialect snowflake\n  xorq sql revenue -d bigquery -p threshold=100 -o revenue.sql"
    )]
    Sql(SqlArgs),
    /// Keep builds in a git-backed catalog: entries, aliases with revisions, push and pull.
    #[command(
        after_help = "Examples:\n  xorq catalog --path team-catalog init\n  xorq catalog add builds/28ecab08754e --alias revenue\n  xorq catalog list-aliases\n  xorq run revenue -o - -f csv\n  xorq catalog push"
    )]
    Catalog(CatalogArgs),
    /// Start the processes of an Apache DataFusion Ballista cluster (scheduler, executors).
    #[cfg(feature = "ballista")]
    Ballista(crate::commands::ballista::BallistaArgs),
    /// Print a shell-completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = "Example:\n  xorq completion bash > ~/.local/share/bash-completion/completions/xorq")]
    Completion {
        /// The shell.
        shell: Shell,
    },
    /// Show how xorq-rs names computations: the hashing scheme and its version.
    HashScheme {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Whether this command serves until it is stopped (`serve-unbound`, `ballista`), handling
    /// SIGINT and SIGTERM itself (a cluster process is stopped by its signal: it writes no files
    /// of ours).
    pub fn serves(&self) -> bool {
        #[cfg(feature = "ballista")]
        if matches!(self, Command::Ballista(_)) {
            return true;
        }
        #[cfg(feature = "serve")]
        if matches!(self, Command::ServeUnbound(_)) {
            return true;
        }
        matches!(self, Command::Catalog(c) if c.command.serves())
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn version_names_the_library_hash_scheme() {
        assert!(super::VERSION.contains(xorq::HASH_SCHEME));
    }

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
