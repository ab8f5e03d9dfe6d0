//! `xorq catalog log <alias>`: an alias's revisions, newest first, each with the one-line
//! summary of what changed in its logic since the revision before.

use std::collections::HashMap;

use serde::Serialize;
use xorq::Table;
use xorq::diff::{Classification, diff};
use xorq_build::Verification;
use xorq_catalog::{AliasName, Catalog};

use super::print;
use crate::error::{CliError, Result};

/// One revision of an alias, as `catalog log <alias>` shows it.
#[derive(Debug, Serialize)]
struct RevisionChange {
    alias: String,
    revision: u32,
    address: String,
    at: String,
    /// Against the previous revision; `None` for the first, or when either entry is gone.
    #[serde(skip_serializing_if = "Option::is_none")]
    classification: Option<Classification>,
    summary: String,
}

/// Prints the revisions of `alias` (at most `limit`, newest first).
pub(super) fn alias_log(catalog: &Catalog, alias: &str, limit: Option<usize>, as_json: bool) -> Result<()> {
    let name = AliasName::new(alias)?;
    let Some(file) = catalog.alias_file(&name)? else {
        // The catalog's own "not found" error, with its suggestions; or, for a name that is an
        // entry's address prefix, what to give instead.
        catalog.resolve(name.as_str())?;
        return Err(CliError::Usage(format!(
            "`{alias}` is an entry, not an alias: `xorq catalog log ALIAS` lists an alias's revisions \
             (`xorq catalog list-aliases` lists them)"
        )));
    };
    let verification = Verification::default();
    // Each revision is the new side of one diff and the old side of the next: loaded once.
    let mut loaded: HashMap<String, Option<Table>> = HashMap::new();
    let mut load = |address: &str| -> Result<Option<Table>> {
        if let Some(table) = loaded.get(address) {
            return Ok(table.clone());
        }
        let dir = catalog.path().join(xorq_catalog::layout::ENTRIES_DIR).join(address);
        let table = dir.is_dir().then(|| xorq_build::load_with(&dir, &verification)).transpose()?.map(|b| b.table);
        loaded.insert(address.to_string(), table.clone());
        Ok(table)
    };
    let shown = limit.unwrap_or(usize::MAX);
    let mut rows = Vec::new();
    for (k, r) in file.revisions.iter().enumerate().rev().take(shown) {
        let (classification, summary) = match k.checked_sub(1).and_then(|p| file.revisions.get(p)) {
            None => (None, "first revision".to_string()),
            Some(prev) => match (load(&prev.address)?, load(&r.address)?) {
                (Some(old), Some(new)) => {
                    let d = diff(&old, &new)?;
                    (Some(d.classification), d.summary())
                }
                _ => (None, "an entry of these revisions is no longer in the catalog".to_string()),
            },
        };
        rows.push(RevisionChange {
            alias: alias.to_string(),
            revision: r.revision,
            address: r.address.clone(),
            at: r.at.clone(),
            classification,
            summary,
        });
    }
    if as_json {
        return print::json(&rows);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                format!("{}@r{}", r.alias, r.revision),
                r.address.get(..12).unwrap_or(&r.address).to_string(),
                r.at.clone(),
                r.summary.clone(),
            ]
        })
        .collect();
    print::emit(&print::table(&table))
}
