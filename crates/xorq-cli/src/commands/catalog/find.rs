//! `xorq catalog find <build | entry | pipeline file>`: the catalog's entries that compute the
//! same thing, the same thing over another snapshot of the data, or a part of it (found by node
//! address in the catalog's node index; see `xorq_catalog::Catalog::find`), best first, with
//! whether a result of each shared part is in the cache.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use xorq::Table;
use xorq_catalog::{AliasPointer, Catalog, CatalogError, FindMatch, FindReport, MatchKind, SharedNode};
use xorq_exec::cache::EntryKey;

use super::super::build::{Reads, prepare};
use super::print::{short, table};
use crate::error::{CliError, Result};
use crate::output::{Target, write_text};
use crate::progress::Progress;

/// What `xorq catalog find` was asked.
#[derive(Clone, Debug, clap::Args)]
pub struct FindArgs {
    /// What to look for: a build directory, a catalog entry (an alias, `alias@rN`, an address
    /// prefix), or a pipeline file (`.sql`, `.py`), which is not built: its reads are named as
    /// `xorq build` would name them.
    #[arg(value_name = "BUILD|ENTRY|PIPELINE")]
    pub target: PathBuf,
    /// Name of the expression in a Python script [default: expr].
    #[arg(short = 'e', long = "expr-name", value_name = "NAME")]
    pub expr_name: Option<String>,
    /// Keep a pipeline file's local reads as references, as `xorq build --no-relocate-reads`
    /// does (to find entries built that way).
    #[arg(long)]
    pub no_relocate_reads: bool,
    /// At most this many matches, best first.
    #[arg(short = 'n', long, value_name = "N")]
    pub limit: Option<usize>,
    /// Cache directory looked in for stored results of shared nodes [default: `$XORQ_CACHE_DIR`,
    /// else the project file's `cache_dir`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Print JSON (described below).
    #[arg(long)]
    pub json: bool,
}

/// The help's epilogue: examples and the JSON's shape.
pub const AFTER_HELP: &str = "Examples:
  xorq catalog find pipeline.sql
  xorq catalog find builds/28ecab08754e --json
  xorq catalog find revenue@r1 -n 5

Matches, best first: `same` (the same address: already catalogued), `same_computation` (the same
logic over another snapshot of its data), `shares_subgraph` (a part computed alike: the top node
of each shared part is listed, largest first), `shares_source` (only reads of the same data).
The exit status is 0 whether or not anything matches.

--json prints {query: {address, computation_address, nodes, target}, searched, matches: [{kind,
address, aliases: [{alias, revision, latest}], shared: [{address, op, description, columns:
[{name, type, nullable}], nodes, whole_entry, whole_query, cache_key, cached}]}], more, index:
{entries, indexed, dropped, rebuilt, unreadable: [{path, message}]}}. `cached` is true when the
cache holds a result under the node's cache_key, false when the node is a cache point (a cache
node, or an entry's whole result as `run-cached` stores it) with none stored, null otherwise.
`more` counts the matches --limit left out.";

/// Runs `xorq catalog find` on `catalog`.
pub fn run(catalog: &Catalog, args: &FindArgs) -> Result<()> {
    let progress = Progress::start("searching the catalog");
    let query = query(catalog, args)?;
    let mut report = catalog.find(&query)?;
    progress.finish();
    for f in &report.index.unreadable {
        crate::progress::message(&format!(
            "warning: {}: not searched, it cannot be read: {}",
            f.path,
            f.message.lines().next().unwrap_or_default()
        ));
    }
    let more = args.limit.map_or(0, |n| report.matches.len().saturating_sub(n));
    if let Some(n) = args.limit {
        report.matches.truncate(n);
    }
    let stored = stored_results(args.cache_dir.as_deref());
    let cached = |node: &SharedNode| cached(node, stored.as_ref());
    if args.json {
        return json(&report, args, more, &cached);
    }
    let text = text(&report, &cached);
    write_text(&text, &Target::Stdout)?;
    if more > 0 {
        crate::progress::message(&format!(
            "{more} more match{} left out by --limit",
            if more == 1 { "" } else { "es" }
        ));
    }
    Ok(())
}

/// The expression `args.target` names: a pipeline file prepared as `xorq build` would build it,
/// a build directory, or an entry of `catalog`.
fn query(catalog: &Catalog, args: &FindArgs) -> Result<Table> {
    let target = &args.target;
    if target.is_file() {
        let reads = Reads { no_relocate: args.no_relocate_reads, bundle_remote: false };
        return prepare(target, args.expr_name.as_deref(), &reads, args.cache_dir.as_deref());
    }
    if let Some(name) = &args.expr_name {
        return Err(CliError::Usage(format!(
            "`-e {name}` picks a variable of a Python script; `{}` is not a file",
            target.display()
        )));
    }
    let verification = super::super::compose::verification(args.cache_dir.as_deref())?;
    // A name that is not UTF-8, or that looks like a path, is a path.
    let text = target.to_str().filter(|t| !t.is_empty() && !t.contains(['/', '\\']) && !t.starts_with('.'));
    let Some(reference) = text.filter(|_| !target.exists()) else {
        return Ok(xorq_build::load_with(target, &verification)?.table);
    };
    match catalog.resolve(reference) {
        Ok(entry) => Ok(xorq_build::load_with(&entry.dir, &verification)?.table),
        Err(e @ (CatalogError::NotFound { .. } | CatalogError::InvalidName { .. })) => {
            let why = e.to_string();
            Err(CatalogError::refused(format!(
                "`{reference}` is neither a pipeline file, a build directory nor a catalog entry\n\
                 as a path: no such file or directory\n\
                 as a catalog entry: {}\n\
                 hint: pass a `.sql` or `.py` pipeline, a directory `xorq build` wrote, or an alias from \
                 `xorq catalog list-aliases`",
                why.lines().next().unwrap_or_default()
            ))
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The addresses the cache holds results under, or `None` when the cache is disabled or cannot
/// be listed (said on stderr): then nothing is known about what is cached.
fn stored_results(cache_dir: Option<&Path>) -> Option<HashSet<String>> {
    let listed = super::super::cache::for_run(cache_dir, false, false).and_then(|cache| Ok(cache.entries()?.list()?));
    match listed {
        Ok(entries) => Some(
            entries.iter().filter_map(|e| EntryKey::parse_name(&e.name)).map(|(address, _)| address.hex()).collect(),
        ),
        Err(e) => {
            let why = e.to_string();
            crate::progress::message(&format!(
                "warning: the cache cannot be listed, so whether shared nodes are cached is not known: {}",
                why.lines().next().unwrap_or_default()
            ));
            None
        }
    }
}

/// Whether the cache holds a result of `node`: `Some(true)` when it does, `Some(false)` when
/// the node is a cache point with nothing stored, `None` when it is not a cache point (or the
/// cache could not be listed).
fn cached(node: &SharedNode, stored: Option<&HashSet<String>>) -> Option<bool> {
    let stored = stored?;
    if stored.contains(&node.cache_key) { Some(true) } else { node.cache_point.then_some(false) }
}

fn json(report: &FindReport, args: &FindArgs, more: usize, cached: &dyn Fn(&SharedNode) -> Option<bool>) -> Result<()> {
    let matches: Vec<Value> = report
        .matches
        .iter()
        .map(|m| {
            let shared: Vec<Value> = m
                .shared
                .iter()
                .map(|s| {
                    json!({
                        "address": s.address,
                        "op": s.op,
                        "description": s.description,
                        "columns": s.columns,
                        "nodes": s.nodes,
                        "whole_entry": s.whole_entry,
                        "whole_query": s.whole_query,
                        "cache_key": s.cache_key,
                        "cached": cached(s),
                    })
                })
                .collect();
            json!({ "kind": m.kind, "address": m.address, "aliases": m.aliases, "shared": shared })
        })
        .collect();
    let value = json!({
        "query": {
            "address": report.query.address,
            "computation_address": report.query.computation_address,
            "nodes": report.query.nodes,
            "target": args.target,
        },
        "searched": report.index.entries,
        "matches": matches,
        "more": more,
        "index": report.index,
    });
    let text = serde_json::to_string_pretty(&value)
        .map_err(|e| CliError::Output { format: "json", message: e.to_string() })?;
    write_text(&format!("{text}\n"), &Target::Stdout)
}

/// How many names a group of entries that only read the same source lists.
const NAMED: usize = 5;

fn text(report: &FindReport, cached: &dyn Fn(&SharedNode) -> Option<bool>) -> String {
    let mut out = String::new();
    if report.matches.is_empty() {
        let n = report.index.entries;
        let _ = writeln!(
            out,
            "nothing in common with any of the {n} entr{} of the catalog",
            if n == 1 { "y" } else { "ies" }
        );
        return out;
    }
    let group = |kind: MatchKind| report.matches.iter().filter(move |m| m.kind == kind);
    for (kind, heading) in
        [(MatchKind::Same, "same address:"), (MatchKind::SameComputation, "same computation, other data snapshot:")]
    {
        let rows: Vec<Vec<String>> = group(kind)
            .map(|m| {
                let whole = m.shared.iter().find(|s| s.whole_entry).and_then(cached);
                let note = match whole {
                    Some(true) => "(result cached)",
                    _ => "",
                };
                vec![format!("  {}", short(&m.address)), names(&m.aliases), note.to_string()]
            })
            .collect();
        if !rows.is_empty() {
            let _ = writeln!(out, "{heading}");
            out.push_str(&table(&rows));
        }
    }
    let shares: Vec<&FindMatch> = group(MatchKind::SharesSubgraph).collect();
    if !shares.is_empty() {
        let _ = writeln!(out, "shares a subgraph:");
        let mut rows = Vec::new();
        for m in shares {
            for (i, s) in m.shared.iter().enumerate() {
                let (address, aliases) = match i {
                    0 => (format!("  {}", short(&m.address)), names(&m.aliases)),
                    _ => (String::new(), String::new()),
                };
                rows.push(vec![address, aliases, shared_text(s, cached(s))]);
            }
        }
        out.push_str(&table(&rows));
    }
    // Entries that only read the same data, by source: "who else reads this file".
    let mut sources: Vec<(&SharedNode, Vec<&FindMatch>)> = Vec::new();
    for m in group(MatchKind::SharesSource) {
        for s in &m.shared {
            match sources.iter_mut().find(|(node, _)| node.address == s.address) {
                Some((_, readers)) => readers.push(m),
                None => sources.push((s, vec![m])),
            }
        }
    }
    if !sources.is_empty() {
        let _ = writeln!(out, "reads the same data:");
        for (node, readers) in sources {
            let mut listed: Vec<String> = readers.iter().take(NAMED).map(|m| entry_name(m)).collect();
            if readers.len() > NAMED {
                listed.push(format!("and {} more", readers.len() - NAMED));
            }
            let count = readers.len();
            let _ = writeln!(
                out,
                "  {}  ({count} entr{}: {})",
                node.description,
                if count == 1 { "y" } else { "ies" },
                listed.join(", ")
            );
        }
    }
    out
}

/// What a shared node is: its description, size, columns and whether it is cached.
fn shared_text(s: &SharedNode, cached: Option<bool>) -> String {
    let mut notes = vec![format!("{} node{}", s.nodes, if s.nodes == 1 { "" } else { "s" })];
    let columns: Vec<&str> = s.columns.iter().map(|c| c.name.as_str()).collect();
    notes.push(format!("columns {}", columns.join(", ")));
    if s.whole_entry {
        notes.push("the whole entry".into());
    }
    if s.whole_query {
        notes.push("all of yours".into());
    }
    match cached {
        Some(true) => notes.push("cached".into()),
        Some(false) => notes.push("not cached".into()),
        None => {}
    }
    format!("{}  ({})", s.description, notes.join("; "))
}

/// `prod r2, staging r1`: the aliases whose latest revision is the entry, else its older
/// revisions (`was prod r1`).
fn names(aliases: &[AliasPointer]) -> String {
    let latest: Vec<String> =
        aliases.iter().filter(|p| p.latest).map(|p| format!("{} r{}", p.alias, p.revision)).collect();
    if !latest.is_empty() {
        return latest.join(", ");
    }
    let old: Vec<String> = aliases.iter().map(|p| format!("{} r{}", p.alias, p.revision)).collect();
    if old.is_empty() { String::new() } else { format!("was {}", old.join(", ")) }
}

/// `prod r2 (7d0c1f5e2a4b)`, or the short address alone.
fn entry_name(m: &FindMatch) -> String {
    match names(&m.aliases) {
        n if n.is_empty() => short(&m.address).to_string(),
        n => format!("{n} ({})", short(&m.address)),
    }
}
