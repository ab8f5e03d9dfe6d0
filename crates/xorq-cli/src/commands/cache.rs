//! `xorq cache list|prune|clear|show`: the entries of the cache directory, and the cache a run
//! uses.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::json;
use xorq::plan::cache::{format_secs, parse_secs};
use xorq_exec::cache::event::{age_text, bytes_text, rows_text};
use xorq_exec::cache::{Cache, Entries, StoredEntry};

use crate::error::{CliError, Result};

/// What `xorq cache` was asked.
#[derive(Debug, clap::Args)]
pub struct CacheArgs {
    /// Cache directory, or a bucket prefix a team shares (`s3://bucket/cache`) [default: `$XORQ_CACHE_DIR`, else `~/.cache/xorq`].
    #[arg(long, value_name = "DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: CacheCommand,
}

/// `xorq cache` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum CacheCommand {
    /// List the entries, most recently used first (reads only their sidecars).
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Remove entries not used for a while, or the least recently used until the cache fits.
    #[command(group(clap::ArgGroup::new("rule").required(true).multiple(true)))]
    Prune {
        /// Remove entries not used (written or hit) for this long: `7d`, `12h`, `90m`, seconds.
        #[arg(long, value_name = "AGE", value_parser = parse_age, group = "rule")]
        older_than: Option<Duration>,
        /// Then remove the least recently used entries until the rest fit: `10GB`, `500MB`.
        #[arg(long, value_name = "SIZE", value_parser = parse_size, group = "rule")]
        max_size: Option<u64>,
        /// List what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Remove every entry.
    Clear,
    /// Show the entries of one cached expression, or of every cache node of a build, and check
    /// them in full (BLAKE3 of the data).
    Show {
        /// A cached expression's address or a prefix of it (at least 4 hex digits), or a build
        /// (a directory, an alias, or an address prefix of a catalog entry).
        address: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The cache of a run: in `dir` (else the default), disabled with `no_cache`, reporting every
/// event with `verbose` and warnings always, on stderr.
pub fn for_run(dir: Option<&Path>, no_cache: bool, verbose: bool) -> Result<Cache> {
    let cache = if no_cache { Cache::disabled() } else { in_dir(dir)? };
    Ok(cache.on_event(move |event| {
        if event.outcome.is_warning() {
            crate::progress::message(&format!("warning: {event}"));
        } else if verbose {
            crate::progress::message(&event.to_string());
        }
    }))
}

/// The cache in `dir`, else in `$XORQ_CACHE_DIR`, else in the project file's `cache_dir`, else
/// in the default directory.
fn in_dir(dir: Option<&Path>) -> Result<Cache> {
    Ok(match dir {
        Some(d) => Cache::in_dir(d),
        None => match crate::project::default_cache_dir()? {
            Some(d) => Cache::in_dir(d),
            None => Cache::from_env(),
        },
    })
}

fn store(dir: Option<&Path>) -> Result<Entries> {
    Ok(in_dir(dir)?.entries()?)
}

/// Runs a `xorq cache` command.
pub fn run(args: &CacheArgs) -> Result<()> {
    let store = store(args.cache_dir.as_deref())?;
    match &args.command {
        CacheCommand::List { json } => list(&store, *json),
        CacheCommand::Prune { older_than, max_size, dry_run } => prune(&store, *older_than, *max_size, *dry_run),
        CacheCommand::Clear => clear(&store),
        CacheCommand::Show { address, json } => {
            // An address prefix of stored entries shows them; a build (a directory, an alias,
            // an address prefix of a catalog entry) shows the entries of its cache nodes.
            let hex = address.len() >= 4 && address.bytes().all(|b| b.is_ascii_hexdigit());
            let lower = address.to_ascii_lowercase();
            if hex && store.list()?.iter().any(|e| e.name.starts_with(&lower)) {
                return show(&store, address, *json);
            }
            let as_build = super::target::load(Path::new(address), &super::target::CatalogOpts::default());
            match as_build {
                Ok(build) => super::cache_nodes::show_build(&store, &build, *json),
                // A hex prefix that is no build: the cache's own "no entry" error.
                Err(_) if hex => show(&store, address, *json),
                Err(e) => Err(CliError::Usage(format!(
                    "`{address}` is neither a cache address (at least 4 hex digits, as `xorq cache list` shows them) nor a build: {e}"
                ))),
            }
        }
    }
}

pub(super) fn entry_json(e: &StoredEntry) -> serde_json::Value {
    let last_used = chrono::DateTime::<chrono::Utc>::from(e.last_used).to_rfc3339();
    match &e.meta {
        Ok(m) => json!({
            "name": e.name,
            "address": m.address,
            "strategy": m.strategy,
            "ttl_secs": m.ttl_secs,
            "rows": m.rows,
            "bytes": m.bytes,
            "created": m.created,
            "last_used": last_used,
            "hits": e.hits,
            "root_op": m.root_op,
            "summary": m.summary,
            "schema": m.schema,
            "params": m.params,
            "sources": m.sources,
            "path": e.location,
        }),
        Err(why) => json!({ "name": e.name, "path": e.location, "damaged": why }),
    }
}

fn list(store: &Entries, json: bool) -> Result<()> {
    let entries = store.list()?;
    let total: u64 = entries.iter().map(StoredEntry::bytes).sum();
    if json {
        let value = json!({
            "cache_dir": store.describe(),
            "bytes": total,
            "entries": entries.iter().map(entry_json).collect::<Vec<_>>(),
        });
        println!("{value}");
        return Ok(());
    }
    if entries.is_empty() {
        println!("no cache entries in {}", store.describe());
        return Ok(());
    }
    let header = ["ADDRESS", "STRATEGY", "ROWS", "SIZE", "AGE", "USED", "HITS", "EXPRESSION"];
    let mut rows: Vec<[String; 8]> = Vec::new();
    for e in &entries {
        let short = e.name.get(..12).unwrap_or(&e.name).to_string();
        rows.push(match &e.meta {
            Ok(m) => {
                let strategy = match m.ttl_secs {
                    Some(t) => format!("{}, ttl {}", m.strategy, format_secs(t)),
                    None => m.strategy.clone(),
                };
                let age = m.created_time().map(age_text).unwrap_or_else(|| "?".into());
                [
                    short,
                    strategy,
                    m.rows.to_string(),
                    bytes_text(m.bytes),
                    age,
                    age_text(e.last_used),
                    e.hits.to_string(),
                    m.summary.clone(),
                ]
            }
            Err(why) => [
                short,
                "?".into(),
                "?".into(),
                "?".into(),
                "?".into(),
                "?".into(),
                "?".into(),
                format!("damaged: {why}"),
            ],
        });
    }
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else if (2..=6).contains(&i) {
                out.push_str(&format!("{cell:>w$}  "));
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out
    };
    println!("{}", line(&header.map(String::from)));
    for r in &rows {
        println!("{}", line(r));
    }
    println!(
        "{} entr{}, {} in {}",
        entries.len(),
        if entries.len() == 1 { "y" } else { "ies" },
        bytes_text(total),
        store.describe()
    );
    Ok(())
}

fn prune(store: &Entries, older_than: Option<Duration>, max_size: Option<u64>, dry_run: bool) -> Result<()> {
    let entries = store.list()?; // most recently used first
    let now = SystemTime::now();
    let (mut removed, mut removed_bytes, mut kept, mut kept_bytes) = (0usize, 0u64, 0usize, 0u64);
    for e in &entries {
        let unused_for = now.duration_since(e.last_used).unwrap_or_default();
        let too_old = older_than.is_some_and(|age| unused_for > age);
        let too_big = max_size.is_some_and(|max| kept_bytes + e.bytes() > max);
        if e.meta.is_err() || too_old || too_big {
            if dry_run || store.remove(&e.name)? {
                removed += 1;
                removed_bytes += e.bytes();
                let why = if e.meta.is_err() {
                    "damaged".to_string()
                } else if too_old {
                    format!("unused for {}", age_text(e.last_used))
                } else {
                    "over the size limit".to_string()
                };
                let summary = e.meta.as_ref().map(|m| m.summary.as_str()).unwrap_or("");
                println!(
                    "{} {}  {:>9}  {why}  {summary}",
                    if dry_run { "would remove" } else { "removed" },
                    e.name.get(..12).unwrap_or(&e.name),
                    bytes_text(e.bytes()),
                );
            }
        } else {
            kept += 1;
            kept_bytes += e.bytes();
        }
    }
    println!(
        "{} {removed} entr{} ({}); kept {kept} ({}) in {}",
        if dry_run { "would remove" } else { "removed" },
        if removed == 1 { "y" } else { "ies" },
        bytes_text(removed_bytes),
        bytes_text(kept_bytes),
        store.describe()
    );
    Ok(())
}

fn clear(store: &Entries) -> Result<()> {
    let entries = store.list()?;
    let mut removed = 0;
    let mut bytes = 0;
    for e in &entries {
        if store.remove(&e.name)? {
            removed += 1;
            bytes += e.bytes();
        }
    }
    store.clean_debris();
    println!(
        "removed {removed} entr{} ({}) from {}",
        if removed == 1 { "y" } else { "ies" },
        bytes_text(bytes),
        store.describe()
    );
    Ok(())
}

fn show(store: &Entries, prefix: &str, json: bool) -> Result<()> {
    let prefix = prefix.trim().to_ascii_lowercase();
    if prefix.len() < 4 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(CliError::Usage(format!(
            "`{prefix}` is not an address: give at least 4 hex digits, as `xorq cache list` shows them"
        )));
    }
    let matching: Vec<StoredEntry> = store.list()?.into_iter().filter(|e| e.name.starts_with(&prefix)).collect();
    let mut addresses: Vec<&str> = matching.iter().map(|e| &e.name[..64.min(e.name.len())]).collect();
    addresses.sort_unstable();
    addresses.dedup();
    match addresses.len() {
        0 => {
            return Err(CliError::Usage(format!(
                "no cache entry for `{prefix}` in {}; `xorq cache list` shows the entries",
                store.describe()
            )));
        }
        1 => {}
        _ => {
            let shown: Vec<&str> = addresses.iter().map(|a| &a[..12]).collect();
            return Err(CliError::Usage(format!(
                "`{prefix}` is the start of {} addresses ({}); give more digits",
                shown.len(),
                shown.join(", ")
            )));
        }
    }
    let mut out = Vec::new();
    let mut failed = 0;
    for e in &matching {
        let check = store.verify(&e.name)?;
        failed += usize::from(check.is_err());
        if json {
            out.push(checked_json(e, &check));
            continue;
        }
        print_entry(e, &check);
    }
    if json {
        println!("{}", serde_json::Value::Array(out));
    }
    if failed > 0 {
        return Err(CliError::CheckFailed(format!(
            "{failed} cache entr{} of `{prefix}` failed the check (see above); a run never serves it: the next run that uses it removes it and computes it again\nhint: to remove it now, `xorq cache clear` (every entry) or `xorq cache prune`",
            if failed == 1 { "y" } else { "ies" }
        )));
    }
    Ok(())
}

/// An entry as JSON with the result of its full check (`"ok"` or why it failed).
pub(super) fn checked_json(e: &StoredEntry, check: &std::result::Result<(), String>) -> serde_json::Value {
    let mut v = entry_json(e);
    v["check"] = match check {
        Ok(()) => json!("ok"),
        Err(why) => json!(why),
    };
    v
}

pub(super) fn print_entry(e: &StoredEntry, check: &std::result::Result<(), String>) {
    println!("entry      {}", e.name);
    match &e.meta {
        Ok(m) => {
            let strategy = match m.ttl_secs {
                Some(t) => format!("{}, ttl {}", m.strategy, format_secs(t)),
                None => m.strategy.clone(),
            };
            let created = m.created_time().map(|t| format!("{} ({} ago)", local(t), age_text(t))).unwrap_or_default();
            println!("address    {}", m.address);
            println!("strategy   {strategy}");
            println!("expression {}", m.summary);
            println!("columns    {}", m.schema.join(", "));
            println!("size       {}, {}", rows_text(m.rows), bytes_text(m.bytes));
            println!("created    {created}");
            println!(
                "last used  {} ({} ago), {} hit{}",
                local(e.last_used),
                age_text(e.last_used),
                e.hits,
                if e.hits == 1 { "" } else { "s" }
            );
            for (name, value) in &m.params {
                println!("parameter  {name}={value}");
            }
            for s in &m.sources {
                println!("source     {} ({} bytes, modified {})", s.path, s.size, s.modified);
            }
        }
        Err(why) => println!("damaged    {why}"),
    }
    println!("path       {}", e.location);
    match check {
        Ok(()) => println!("check      ok: size, footer, rows and BLAKE3 match the sidecar\n"),
        Err(why) => println!("check      FAILED: {why}\n"),
    }
}

fn local(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Local>::from(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `7d`, `12h`, `90m`, `3600`.
pub fn parse_age(text: &str) -> std::result::Result<Duration, String> {
    parse_secs(text).map(Duration::from_secs).ok_or_else(|| {
        format!(
            "`{text}` is not a duration; write seconds (`3600`) or units, largest first (`90m`, `12h`, `7d`, `1d12h`)"
        )
    })
}

/// `10GB`, `500MB`, `1.5G`, `64KiB`, `1000` (bytes). Decimal units are powers of 1000, binary
/// ones (`KiB`, `MiB`, `GiB`, `TiB`) of 1024.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let bad = || format!("`{text}` is not a size; write bytes (`1000000`) or units (`500MB`, `10GB`, `2GiB`)");
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad()),
    };
    let bytes = value * factor;
    if !bytes.is_finite() || bytes < 0.0 || bytes > u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("10GB"), Ok(10_000_000_000));
        assert_eq!(parse_size("1.5g"), Ok(1_500_000_000));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert_eq!(parse_size("123"), Ok(123));
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }

    #[test]
    fn ages_parse() {
        assert_eq!(parse_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_age("a week").is_err());
    }
}
