//! The entries `catalog union/join/pin/unpin/compose/rebase` make: built into a scratch
//! directory and added to the catalog with their aliases, in one commit.

use std::path::PathBuf;

use xorq_catalog::AliasName;
use xorq_catalog::config::Selector;

use super::super::compose;
use super::print;
use super::setup::open;
use super::sync::SyncFlag;
use crate::error::{CliError, Result};

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

/// Builds `table` (with the profiles of `parts`; bundled files verified as `verification`
/// says, as the parts were when loaded) and adds it to the selected catalog with the
/// aliases `register` names, plus, with `moved_from`, every alias now pointing to that entry
/// address: one commit.
pub(super) fn add_composed(
    selector: &Selector,
    table: &xorq::Table,
    parts: &[&xorq_build::LoadedBuild],
    register: &Register,
    moved_from: Option<&str>,
    verification: &xorq_build::Verification,
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
    let built = compose::build_into(table, parts, scratch.path(), !register.no_relocate_reads, verification)?;
    let added = catalog.add(&built, &aliases)?;
    print::added(&added, register.json)?;
    register.sync.after_change(&catalog)
}
