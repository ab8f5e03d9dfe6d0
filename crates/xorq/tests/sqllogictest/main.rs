//! DataFusion's own sqllogictest files (vendored under `files/`, see `README.md`) run through
//! xorq's SQL front end: statements set up tables in DataFusion, each query is lifted into the
//! IR over those tables, run by xorq and compared with DataFusion's recorded answer.
//!
//! Prints, per file and in total, how many records passed, were refused by name, differ
//! deliberately (`deliberate.tsv`), differ, are not reproduced by DataFusion itself here, need
//! test data that is not present, or are not queries. Fails when any record's outcome is not the
//! one `ledger.tsv` records for it (a record without a line there must pass).
//!
//! Environment: `XORQ_SLT_BLESS=1` rewrites the ledger from this run; `XORQ_SLT_FILES=a,b` runs
//! only the files whose path contains `a` or `b`; `XORQ_SLT_VERBOSE=1` prints every record that
//! does not pass; `XORQ_SLT_DATA=<dir>` names DataFusion's test data (default
//! `test-data/` here: the five files the ledger was blessed with). Arguments after `--` filter files
//! the same way.

mod compare;
mod engine;
mod format;
mod layout;
mod ledger;
mod resolver;
mod run;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ledger::{Counts, Deliberate, Entry, Ledger, Outcome};

fn main() -> ExitCode {
    match main_inner() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sqllogictest: {e}");
            ExitCode::FAILURE
        }
    }
}

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn main_inner() -> Result<bool, String> {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("sqllogictest");
    let vendored = here.join("files");
    let top = vendored.join("test_files");
    let ledger_path = here.join("ledger.tsv");
    let deliberate = Deliberate::read(&here.join("deliberate.tsv"))?;
    let bless = flag("XORQ_SLT_BLESS");
    let verbose = flag("XORQ_SLT_VERBOSE");

    let filters: Vec<String> = std::env::var("XORQ_SLT_FILES")
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    // `cargo test -- <filter>` hands every test binary the filter: run the files it names, or
    // none when it names none (it was meant for another test).
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let files: Vec<PathBuf> = slt_files(&top)?
        .into_iter()
        .filter(|f| filters.is_empty() || filters.iter().any(|p| relative(f, &top).contains(p.as_str())))
        .filter(|f| args.is_empty() || args.iter().any(|a| relative(f, &top).contains(a.as_str())))
        .collect();
    if files.is_empty() {
        if !args.is_empty() {
            println!("sqllogictest: no file matches {args:?}; nothing run");
            return Ok(true);
        }
        return Err(format!("no file matches XORQ_SLT_FILES={filters:?}"));
    }

    // The few data files the vendored records read are vendored too (`test-data/`);
    // `XORQ_SLT_DATA` names a fuller copy of DataFusion's test data instead.
    let data = Some(
        std::env::var_os("XORQ_SLT_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sqllogictest/test-data")),
    );
    let tpch = files
        .iter()
        .any(|f| relative(f, &top).starts_with("tpch/"))
        .then(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("sqllogictest-tpch-sf0.1"));
    if let Some(dir) = &tpch {
        let start = Instant::now();
        layout::tpch_tables(dir)?;
        println!("sqllogictest: TPC-H SF 0.1 tables in {} ({:.1}s)", dir.display(), start.elapsed().as_secs_f64());
    }
    let layout = layout::Layout::new(&vendored, data.as_deref(), tpch.as_deref())?;
    let root = layout.root.display().to_string();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;

    println!(
        "sqllogictest: DataFusion 55.2.0's files through xorq's SQL front end; test data: {}",
        data.as_ref().map_or_else(String::new, |d| d.display().to_string())
    );
    let width = files.iter().map(|f| relative(f, &top).len()).max().unwrap_or(4).max(5);
    let header: String = Counts::HEADER.iter().map(|h| format!(" {h:>w$}", w = h.len().max(5))).collect();
    println!("{:width$}{header}    time", "file");

    let mut total = Counts::default();
    let mut all = Vec::new();
    let started = Instant::now();
    for file in &files {
        let name = relative(file, &top);
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        layout.scratch(stem)?;
        let start = Instant::now();
        let checked = run::run_file(file, &top, &root, &deliberate, &rt)?;
        let mut counts = Counts::default();
        for c in &checked {
            counts.add(&c.outcome);
            if verbose && !matches!(c.outcome, Outcome::Passed | Outcome::NotAQuery) {
                println!("  {} {:?}\n    {}", c.location, c.outcome, c.sql.replace('\n', "\n    "));
            }
        }
        println!("{name:width$}{counts} {:>6.1}s", start.elapsed().as_secs_f64());
        total.merge(&counts);
        all.extend(checked);
    }
    println!("{:width$}{total} {:>6.1}s", "total", started.elapsed().as_secs_f64());

    let ledger = Ledger::read(&ledger_path)?;
    let ran_files: BTreeSet<String> = files.iter().map(|f| relative(f, &top)).collect();
    if bless {
        let blessed = blessed(&ledger, &all, &ran_files);
        let order: Vec<String> = all.iter().map(|c| c.location.clone()).collect();
        blessed.write(&ledger_path, &order)?;
        println!("sqllogictest: wrote {} ({} records)", ledger_path.display(), blessed.entries.len());
        return Ok(true);
    }
    let problems = check(&ledger, &all, &ran_files);
    if problems.is_empty() {
        println!("sqllogictest: every outcome is the ledger's ({} ledgered records)", ledger.entries.len());
        return Ok(true);
    }
    println!("sqllogictest: {} records changed outcome against {}:", problems.len(), ledger_path.display());
    for p in &problems {
        println!("  {p}");
    }
    println!(
        "hint: a newly differing or refused record is a regression to fix; when a change is intended (a record now passes), rewrite the ledger with XORQ_SLT_BLESS=1 and commit it"
    );
    Ok(false)
}

/// The `.slt` files under `dir` (included `.slt.part` files are not run on their own).
fn slt_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("cannot list `{}`: {e}", d.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "slt") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn relative(path: &Path, top: &Path) -> String {
    path.strip_prefix(top).unwrap_or(path).display().to_string()
}

/// The file a location belongs to (its outermost part).
fn file_of(location: &str) -> &str {
    location.split(" > ").next().unwrap_or(location).rsplit_once(':').map_or(location, |(f, _)| f)
}

/// Outcomes of this run that differ from the ledger, described.
fn check(ledger: &Ledger, all: &[run::Checked], ran: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for c in all {
        seen.insert(c.location.as_str());
        let entry = ledger.entries.get(&c.location);
        match (c.outcome.ledger_kind(), entry) {
            (_, _) if matches!(c.outcome, Outcome::NoData(_)) => {}
            (Some(kind), Some(e)) if e.kind == kind => {}
            (Some(kind), _) => problems.push(format!(
                "{}: now {kind}{}: {}\n    {}",
                c.location,
                entry.map_or(String::new(), |e| format!(" (ledger: {})", e.kind)),
                c.outcome.message().replace('\n', "\n    "),
                c.sql.replace('\n', "\n    ")
            )),
            (None, Some(e)) => problems.push(format!(
                "{}: now {} (ledger: {}); update the ledger with XORQ_SLT_BLESS=1",
                c.location,
                match &c.outcome {
                    Outcome::Deliberate(_) => "a deliberate difference",
                    Outcome::NotAQuery => "not a query",
                    _ => "passes",
                },
                e.kind
            )),
            (None, None) => {}
        }
    }
    for location in ledger.entries.keys() {
        if ran.contains(file_of(location)) && !seen.contains(location.as_str()) {
            problems.push(format!(
                "{location}: in the ledger but no such record ran; update the ledger with XORQ_SLT_BLESS=1"
            ));
        }
    }
    problems
}

/// The ledger after this run: this run's outcomes for the records it judged, the old lines for
/// records it could not judge (test data missing) or files it did not run.
fn blessed(old: &Ledger, all: &[run::Checked], ran: &BTreeSet<String>) -> Ledger {
    let mut new = Ledger::default();
    for (location, entry) in &old.entries {
        if !ran.contains(file_of(location)) {
            new.entries.insert(location.clone(), entry.clone());
        }
    }
    for c in all {
        if let Outcome::NoData(_) = c.outcome {
            if let Some(e) = old.entries.get(&c.location) {
                new.entries.insert(c.location.clone(), e.clone());
            }
            continue;
        }
        if let Some(kind) = c.outcome.ledger_kind() {
            new.entries.insert(
                c.location.clone(),
                Entry { kind: kind.to_string(), sql: c.sql.clone(), message: c.outcome.message().to_string() },
            );
        }
    }
    new
}
