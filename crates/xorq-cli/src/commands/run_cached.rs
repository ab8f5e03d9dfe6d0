//! `xorq run-cached <build>`: run a build with its whole expression cached.

use std::time::Duration;

use xorq::{CacheStrategy, Freshness};

use super::cache::parse_age;
use super::run::{RunArgs, run_with};
use crate::error::Result;

/// When the cached result is stale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheType {
    /// When a source file under the expression changes size or modification time.
    ModificationTime,
    /// Never because of the sources (only once older than `--ttl`).
    Snapshot,
}

/// What `xorq run-cached` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct RunCachedArgs {
    /// How the stored result is kept fresh.
    #[arg(long, value_enum, default_value = "modification-time")]
    pub cache_type: CacheType,
    /// Also recompute once the stored result is older than this: seconds or units (`90m`, `1d`).
    #[arg(long, value_name = "S", value_parser = parse_age)]
    pub ttl: Option<Duration>,
    /// The run itself.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs the build with its expression wrapped in a cache node.
pub fn run(args: &RunCachedArgs, verbose: bool) -> Result<()> {
    let freshness = match args.cache_type {
        CacheType::ModificationTime => Freshness::ModificationTime,
        CacheType::Snapshot => Freshness::Snapshot,
    };
    let mut strategy = CacheStrategy::new(freshness);
    if let Some(ttl) = args.ttl {
        strategy = strategy.with_ttl(ttl);
    }
    run_with(&args.run, verbose, Some(strategy))
}
