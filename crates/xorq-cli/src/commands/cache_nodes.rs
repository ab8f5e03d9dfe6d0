//! `xorq cache show <build>`: the cache nodes of a build (and its whole result, as `run-cached`
//! stores it) with the entries stored for each, checked in full.

use serde_json::json;
use xorq::RelOp;
use xorq::plan::walk::topological;
use xorq_build::LoadedBuild;
use xorq_exec::cache::Entries;

use super::cache::{checked_json, print_entry};
use crate::error::{CliError, Result};

/// Lists each cache node of `build` with its stored entries (every one checked).
pub(super) fn show_build(store: &Entries, build: &LoadedBuild, json: bool) -> Result<()> {
    let stored = store.list()?;
    let mut nodes: Vec<(String, String)> = Vec::new();
    for node in topological(build.table.node()) {
        if let RelOp::Cache(c) = node.op() {
            let what = format!("{} cache over {}", c.strategy, c.input.op().name());
            nodes.push((what, c.input.address().hex()));
        }
    }
    nodes.push(("the whole result (`xorq run-cached`)".into(), build.table.address().hex()));
    let (mut failed, mut out) = (0usize, Vec::new());
    for (i, (what, address)) in nodes.iter().enumerate() {
        let entries: Vec<_> = stored.iter().filter(|e| e.name.starts_with(address.as_str())).collect();
        if !json {
            let count = match entries.len() {
                0 => "not stored; `xorq run` stores it".to_string(),
                1 => "1 entry".to_string(),
                n => format!("{n} entries"),
            };
            println!("{}{}  {what}: {count}", if i > 0 { "\n" } else { "" }, &address[..12]);
        }
        let mut listed = Vec::new();
        for e in entries {
            let check = store.verify(&e.name)?;
            failed += usize::from(check.is_err());
            if json {
                listed.push(checked_json(e, &check));
            } else {
                print_entry(e, &check);
            }
        }
        out.push(json!({ "node": what, "address": address, "entries": listed }));
    }
    if json {
        println!("{}", json!({ "build": build.path, "address": build.metadata.address, "caches": out }));
    }
    if failed > 0 {
        return Err(CliError::CheckFailed(format!(
            "{failed} cache entr{} of this build failed the check (see above); a run never serves it, and computes it again",
            if failed == 1 { "y" } else { "ies" }
        )));
    }
    Ok(())
}
