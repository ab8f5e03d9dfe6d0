//! How catalog listings and reports look: aligned text for people, `--json` for programs.

use std::fmt::Write as _;

use serde::Serialize;
use xorq_build::metadata::ColumnMeta;
use xorq_catalog::{
    Added, AliasSummary, CheckReport, DriftStatus, EntryDetails, EntryDrift, EntrySummary, LogRecord, PullOutcome,
    PullReport,
};

use crate::error::{CliError, Result};
use crate::output::{Target, write_text};

pub(super) fn short(address: &str) -> &str {
    address.get(..12).unwrap_or(address)
}

pub(super) fn json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let text =
        serde_json::to_string_pretty(value).map_err(|e| CliError::Output { format: "json", message: e.to_string() })?;
    emit(&format!("{text}\n"))
}

/// Writes to stdout; a reader that went away (`| head`) is not a failure.
pub(super) fn emit(text: &str) -> Result<()> {
    write_text(text, &Target::Stdout)
}

/// Rows as columns separated by two spaces, the last one unpadded.
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..rows.first().map_or(0, Vec::len))
        .map(|i| rows.iter().map(|r| r.get(i).map_or(0, |c| c.chars().count())).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                let _ = write!(line, "{cell:<width$}  ", width = widths[i]);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Bytes for people, as every command writes them (`812 B`, `3.4 KB`, powers of 1000).
fn size(bytes: u64) -> String {
    xorq_exec::cache::event::bytes_text(bytes)
}

/// `add`: the entry's address on stdout, what happened on stderr.
pub fn added(added: &Added, as_json: bool) -> Result<()> {
    if as_json {
        return json(added);
    }
    let s = short(&added.address);
    let moved: Vec<String> =
        added.aliases.iter().filter(|a| a.changed).map(|a| format!("{} r{}", a.alias, a.revision)).collect();
    if added.new_entry {
        let also = if moved.is_empty() { String::new() } else { format!(" as {}", moved.join(", ")) };
        eprintln!("added {s}{also}");
    } else {
        let known = if added.existing_aliases.is_empty() {
            format!("this computation already exists as entry {s}")
        } else {
            format!("this computation already exists as {}", added.existing_aliases.join(", "))
        };
        // An alias at r1 is new; a later revision moved an existing alias here.
        let then = if moved.is_empty() {
            "; nothing was added".to_string()
        } else {
            let verb =
                if added.aliases.iter().filter(|a| a.changed).all(|a| a.revision == 1) { "added" } else { "pointed" };
            format!("; {verb} {}", moved.join(", "))
        };
        eprintln!("{known}{then}");
    }
    for (file, bytes) in &added.large_files {
        eprintln!(
            "warning: {file} is {}; git hosts often refuse files over 100 MB (build with --no-relocate-reads to reference such data instead)",
            size(*bytes)
        );
    }
    emit(&format!("{s}\n"))
}

/// `list`.
/// With `kinds` (one per entry, `--kind`), each entry's kind too.
pub fn entries(entries: &[EntrySummary], kinds: Option<&[&str]>, as_json: bool) -> Result<()> {
    if as_json {
        return match kinds {
            None => json(entries),
            Some(kinds) => {
                #[derive(Serialize)]
                struct WithKind<'a> {
                    #[serde(flatten)]
                    entry: &'a EntrySummary,
                    kind: &'a str,
                }
                let rows: Vec<WithKind> =
                    entries.iter().zip(kinds).map(|(entry, kind)| WithKind { entry, kind }).collect();
                json(&rows)
            }
        };
    }
    if entries.is_empty() {
        eprintln!("No entries.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut row = vec![short(&e.address).to_string()];
            row.extend(kinds.and_then(|k| k.get(i)).map(|k| k.to_string()));
            row.push(e.aliases.join(", "));
            row
        })
        .collect();
    emit(&table(&rows))
}

/// `list-aliases`.
pub fn aliases(aliases: &[AliasSummary], as_json: bool) -> Result<()> {
    if as_json {
        return json(aliases);
    }
    if aliases.is_empty() {
        eprintln!("No aliases.");
        return Ok(());
    }
    let mut rows = vec![vec!["ALIAS".to_string(), "ENTRY".into(), "REVISION".into(), "SINCE".into()]];
    for a in aliases {
        let mut since = a.at.clone();
        if a.conflicts > 0 {
            let _ = write!(
                since,
                "  ({} conflicting revision{} from a pull)",
                a.conflicts,
                if a.conflicts == 1 { "" } else { "s" }
            );
        }
        rows.push(vec![a.alias.clone(), short(&a.address).to_string(), format!("r{}", a.revision), since]);
    }
    emit(&table(&rows))
}

/// `show`.
pub fn details(d: &EntryDetails, as_json: bool) -> Result<()> {
    if as_json {
        return json(d);
    }
    emit(&details_text(d))
}

/// `show`'s text (also the browser's details pane).
pub fn details_text(d: &EntryDetails) -> String {
    let m = &d.metadata;
    let mut out = String::new();
    let _ = writeln!(out, "entry        {}", m.address);
    if let Some((alias, revision)) = &d.resolved.alias {
        let _ = writeln!(out, "reached as   {alias}@r{revision}");
    }
    let aliases: Vec<String> = d
        .aliases
        .iter()
        .map(|p| format!("{} r{}{}", p.alias, p.revision, if p.latest { "" } else { " (old)" }))
        .collect();
    let _ = writeln!(out, "aliases      {}", if aliases.is_empty() { "-".to_string() } else { aliases.join(", ") });
    let _ = writeln!(out, "computation  {}", m.computation_address);
    let _ = writeln!(out, "built        {} by {}", m.built_at, m.tool);
    let _ = writeln!(out, "root         {}", m.root);
    let _ = writeln!(out, "size         {} in {} files", size(d.size), d.files);
    let _ = writeln!(out, "schema");
    out.push_str(&indent(&schema_rows(&m.schema)));
    let _ = writeln!(out, "sources");
    let rows: Vec<Vec<String>> = m
        .sources
        .iter()
        .map(|s| {
            let mut what = vec![s.kind.clone()];
            what.extend(s.format.clone());
            if let Some(origin) = &s.origin {
                what.push(format!("bundled from {origin}"));
            } else if let Some(location) = &s.location {
                what.push(location.clone());
            }
            if let Some(bytes) = s.size {
                what.push(size(bytes));
            }
            if let Some(rows) = s.rows {
                what.push(xorq_exec::cache::event::rows_text(rows));
            }
            vec![s.name.clone(), what.join(", ")]
        })
        .collect();
    out.push_str(&indent(&table(&rows)));
    if !m.params.is_empty() {
        let _ = writeln!(out, "parameters");
        let rows: Vec<Vec<String>> = m
            .params
            .iter()
            .map(|p| {
                vec![
                    p.name.clone(),
                    p.dtype.clone(),
                    p.default.as_ref().map(|d| format!("default {d}")).unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&indent(&table(&rows)));
    }
    if let Some(file) = &d.revisions {
        let _ = writeln!(out, "revisions of {}", file.alias);
        let mut rows: Vec<Vec<String>> = file
            .revisions
            .iter()
            .map(|r| {
                let here = if r.address == m.address { "  <- this entry" } else { "" };
                vec![format!("r{}", r.revision), short(&r.address).to_string(), format!("{}{here}", r.at)]
            })
            .collect();
        rows.extend(file.conflicts.iter().map(|r| {
            vec![
                format!("r{}?", r.revision),
                short(&r.address).to_string(),
                format!("{}  (conflict from a pull)", r.at),
            ]
        }));
        out.push_str(&indent(&table(&rows)));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The columns as `schema` prints them (also the browser's schema pane).
pub fn schema_rows(columns: &[ColumnMeta]) -> String {
    let rows: Vec<Vec<String>> = columns
        .iter()
        .map(|c| vec![c.name.clone(), c.dtype.clone(), if c.nullable { "" } else { "not null" }.to_string()])
        .collect();
    table(&rows)
}

/// `schema`.
pub fn schema(columns: &[ColumnMeta], as_json: bool) -> Result<()> {
    if as_json {
        return json(columns);
    }
    emit(&schema_rows(columns))
}

/// `log`.
pub fn log(records: &[LogRecord], as_json: bool) -> Result<()> {
    if as_json {
        return json(records);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| vec![r.commit.get(..10).unwrap_or(&r.commit).to_string(), r.time.clone(), r.summary.clone()])
        .collect();
    emit(&table(&rows))
}

/// `check`.
pub fn check(report: &CheckReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    let mut out = String::new();
    for f in &report.problems {
        let _ = writeln!(out, "problem: {}: {}", f.path, f.message);
    }
    for f in &report.warnings {
        let _ = writeln!(out, "warning: {}: {}", f.path, f.message);
    }
    if report.is_ok() {
        let _ = writeln!(
            out,
            "OK: {} entr{} and {} alias{} check out",
            report.entries,
            if report.entries == 1 { "y" } else { "ies" },
            report.aliases,
            if report.aliases == 1 { "" } else { "es" }
        );
    }
    emit(&out)
}

/// `check-sources`.
pub fn drift(entries: &[EntryDrift], as_json: bool) -> Result<()> {
    if as_json {
        return json(entries);
    }
    let mut out = String::new();
    for e in entries {
        let named = if e.reference.len() == 64 { String::new() } else { format!("{} ", e.reference) };
        let _ = writeln!(out, "{named}{}", short(&e.address));
        let rows: Vec<Vec<String>> = e
            .sources
            .iter()
            .map(|s| {
                let columns: Vec<String> = s
                    .columns
                    .iter()
                    .map(|c| match c.change {
                        "missing" => format!("`{}` ({}) is missing", c.column, c.recorded.as_deref().unwrap_or("?")),
                        "retyped" => format!(
                            "`{}` was {}, is {}",
                            c.column,
                            c.recorded.as_deref().unwrap_or("?"),
                            c.current.as_deref().unwrap_or("?")
                        ),
                        _ => format!("`{}` ({}) is new", c.column, c.current.as_deref().unwrap_or("?")),
                    })
                    .collect();
                let verdict = match s.status {
                    DriftStatus::Unchanged => "unchanged".to_string(),
                    DriftStatus::AddedColumns => format!("new columns: {}", columns.join("; ")),
                    DriftStatus::Changed => format!("CHANGED: {}", columns.join("; ")),
                    DriftStatus::Unreachable => format!("UNREADABLE: {}", s.message.as_deref().unwrap_or_default()),
                    DriftStatus::Bundled if columns.is_empty() => match &s.message {
                        Some(m) => format!("bundled (cannot drift; {m})"),
                        None => "bundled (cannot drift; its original file is unchanged)".to_string(),
                    },
                    DriftStatus::Bundled => format!(
                        "bundled (cannot drift), but its original file changed since: {}; rebuild to use it",
                        columns.join("; ")
                    ),
                    DriftStatus::Memtable => "in-memory data stored in the entry (cannot drift)".to_string(),
                    DriftStatus::NotProbed => {
                        format!("not checked: {}", s.message.as_deref().unwrap_or("not probed by this version"))
                    }
                };
                vec![s.source.clone(), verdict]
            })
            .collect();
        out.push_str(&indent(&table(&rows)));
    }
    emit(&out)
}

/// `pull`.
pub fn pull(report: &PullReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    let what = match report.outcome {
        PullOutcome::UpToDate => "already up to date",
        PullOutcome::RemoteEmpty => "nothing to pull",
        PullOutcome::FastForward => "pulled",
        PullOutcome::Merged => "pulled and merged",
    };
    let mut parts = Vec::new();
    let list = |v: &[String]| v.iter().map(|a| short(a).to_string()).collect::<Vec<_>>().join(", ");
    if !report.entries_added.is_empty() {
        parts.push(format!("new entries {}", list(&report.entries_added)));
    }
    if !report.entries_removed.is_empty() {
        parts.push(format!("removed entries {}", list(&report.entries_removed)));
    }
    if !report.aliases_changed.is_empty() {
        parts.push(format!("aliases {}", report.aliases_changed.join(", ")));
    }
    if !report.aliases_removed.is_empty() {
        parts.push(format!("removed aliases {}", report.aliases_removed.join(", ")));
    }
    eprintln!("{what}{}", if parts.is_empty() { String::new() } else { format!(": {}", parts.join("; ")) });
    for address in &report.kept_entries {
        eprintln!("kept entry {}: it was removed on one side, but an alias points to it", short(address));
    }
    for c in &report.conflicts {
        let fmt = |revs: &[xorq_catalog::Revision]| {
            revs.iter().map(|r| format!("r{} -> {}", r.revision, short(&r.address))).collect::<Vec<_>>().join(", ")
        };
        eprintln!(
            "warning: alias `{}` moved on both sides: kept this clone's {}; the remote's {} is recorded as a conflict\n  settle it with `xorq catalog add-alias <entry> {}` (the entry is in the catalog either way)",
            c.alias,
            fmt(&c.kept),
            fmt(&c.theirs),
            c.alias
        );
    }
    Ok(())
}

/// `gc`: the orphans on stdout (one path per line, as `git clean -n` lists them), the sizes on
/// stderr.
pub fn gc(report: &xorq_catalog::GcReport, as_json: bool) -> Result<()> {
    if as_json {
        return json(report);
    }
    let verb = if report.dry_run { "would remove" } else { "removed" };
    let rows: Vec<Vec<String>> =
        report.orphans.iter().map(|o| vec![verb.to_string(), o.path.clone(), size(o.bytes)]).collect();
    emit(&table(&rows))?;
    let orphans = report.orphans.len();
    let bytes: u64 = report.orphans.iter().map(|o| o.bytes).sum();
    let objects = report.unreachable_objects;
    let found = format!(
        "{orphans} orphan{} ({}) and {objects} unreachable git object{}",
        if orphans == 1 { "" } else { "s" },
        size(bytes),
        if objects == 1 { "" } else { "s" },
    );
    if report.dry_run {
        eprintln!("{found}; `xorq catalog gc` removes them");
    } else {
        eprintln!(
            "removed {found}; the repository went from {} to {}",
            size(report.git_bytes_before),
            size(report.git_bytes_after)
        );
    }
    Ok(())
}
