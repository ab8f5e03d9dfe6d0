//! `xorq catalog rebase <entry>`: the entry's expression re-derived over the schemas its
//! sources have now, cataloged as a new entry (the old one is never edited), with its aliases
//! moved to it. Run it when `check-sources` reports a changed source.
//!
//! Only files read by reference can change under an entry: bundled files and memtables are
//! kept inside it. Exit codes as the Python tool's: 0 nothing changed or rebased, 2 a source
//! could not be read (nothing written), 4 an operation no longer fits its sources (nothing
//! written; the error names the node and the sources that changed), 1 anything else.

use std::collections::BTreeMap;

use xorq::plan::walk::topological;
use xorq::plan::{SourceIdentity, SourceKind};
use xorq::{RelOp, Schema};
use xorq_catalog::Catalog;
use xorq_engines::probe::probe_file;

use super::register::Register;
use crate::error::{CliError, Result};

/// A referenced file source whose columns are not the recorded ones.
pub struct Changed {
    /// Where it is read from.
    pub location: String,
    /// Its columns as recorded when the entry was built.
    pub recorded: Schema,
    /// Its columns now.
    pub live: Schema,
}

/// What a rebase of `entry` finds: the re-derived expression, what changed, and the build.
pub fn rederive(
    catalog: &Catalog,
    entry: &str,
    verification: &xorq_build::Verification,
) -> Result<(xorq::Table, Vec<Changed>, xorq_build::LoadedBuild)> {
    let dir = catalog.resolve(entry)?.dir;
    let build = xorq_build::load_with(&dir, verification)?;
    let mut live = BTreeMap::new();
    let mut changed = Vec::new();
    let mut referenced = 0;
    for node in topological(build.table.node()) {
        let RelOp::Source(source) = node.op() else { continue };
        let SourceKind::File(file) = &source.kind else { continue };
        if !matches!(file.identity, SourceIdentity::Reference(_) | SourceIdentity::Project(_)) {
            continue; // bundled: the entry holds its bytes
        }
        if live.contains_key(&file.location) {
            continue;
        }
        referenced += 1;
        let now = probe_file(&file.format, &file.location).map_err(|e| CliError::Unreadable {
            what: format!("the source `{}` of `{entry}`", source.name),
            message: format!("{e}\nnothing was written; make the source readable and run the rebase again"),
        })?;
        if now != *source.schema {
            changed.push(Changed {
                location: file.location.clone(),
                recorded: (*source.schema).clone(),
                live: now.clone(),
            });
        }
        live.insert(file.location.clone(), now);
    }
    if referenced == 0 {
        eprintln!(
            "`{entry}` reads no file by reference (its data is bundled in the entry), so no source can have changed"
        );
    }
    let table = match xorq_build::rederive(&build, live)? {
        Ok(table) => table,
        Err(e) => {
            let sources: Vec<String> = changed
                .iter()
                .map(|c| format!("  {}\n    recorded: {}\n    now:      {}", c.location, c.recorded, c.live))
                .collect();
            return Err(CliError::Conflict(format!(
                "`{entry}` cannot be re-derived over its sources as they are now: {e}\nthe sources that changed:\n{}\nnothing was written; change the pipeline to fit the new columns and build it again",
                sources.join("\n")
            )));
        }
    };
    Ok((table, changed, build))
}

/// Which aliases move to the new entry: every alias whose latest revision is the old entry, or
/// only `only` (each must be one of them); `register`'s own aliases are added either way.
pub fn moving_aliases(catalog: &Catalog, address: &str, only: &[String], register: &Register) -> Result<Register> {
    let on_entry: Vec<String> =
        catalog.aliases_of(address)?.into_iter().filter(|p| p.latest).map(|p| p.alias).collect();
    let moving: Vec<String> = if only.is_empty() {
        on_entry
    } else {
        if let Some(stray) = only.iter().find(|a| !on_entry.contains(a)) {
            // Refused (exit 1), as in the Python tool: the request is well formed, the entry
            // just does not carry that alias.
            return Err(xorq_catalog::CatalogError::refused(format!(
                "--only-alias {stray}: the entry has no such alias (its aliases: {}); nothing was written",
                if on_entry.is_empty() { "none".to_string() } else { on_entry.join(", ") }
            ))
            .into());
        }
        only.to_vec()
    };
    let mut register = register.clone();
    for alias in moving {
        if !register.aliases.contains(&alias) {
            register.aliases.push(alias);
        }
    }
    Ok(register)
}

/// Says what changed, on stderr.
pub fn report(entry: &str, old: &str, new: &str, changed: &[Changed]) {
    if old == new {
        eprintln!("`{entry}`: no source changed; it is up to date ({})", &old[..12.min(old.len())]);
        return;
    }
    for c in changed {
        eprintln!("source {} changed:\n  recorded: {}\n  now:      {}", c.location, c.recorded, c.live);
    }
    eprintln!("`{entry}` ({}) re-derived over its sources as they are now", &old[..12.min(old.len())]);
}
