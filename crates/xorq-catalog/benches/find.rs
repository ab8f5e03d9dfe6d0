//! `Catalog::find` on a catalog of 1,000 entries of about 100 nodes each: with the node index
//! warm (target: milliseconds), and cold (no index: every entry loaded and indexed, as in a
//! fresh clone), and `check` rebuilding it.
//!
//! ```sh
//! cargo bench -p xorq-catalog --bench find
//! ENTRIES=200 DEPTH=20 cargo bench -p xorq-catalog --bench find
//! ```
//!
//! Entry `i` reads one of four CSV files, keeps the orders above `i % 50`, derives a column
//! `DEPTH` times, sums it per region and keeps the totals above `i`: entries with the same file
//! and threshold (ten of each) share all but their last node, and 250 read each file. The
//! builds are real (`xorq_build::build`), but the catalog is seeded in its documented layout
//! with one commit (1,000 `add`s would be 1,000 commits), then `find` builds the index itself.
//! The query is entry 0's pipeline with another last step: it shares all but that step with
//! the ten entries of its file and threshold, and only the read with 240 more. Printed: median wall times of `RUNS` (default 20) runs.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use xorq_build::BuildOptions;
use xorq_catalog::{Catalog, MatchKind};
use xorq_core::{FileFormat, Source, Table, col, lit};
use xorq_engines::probe::probe_file;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git").args(args).current_dir(dir).status().expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn read(csv: &Path) -> Table {
    let location = csv.to_str().expect("utf-8");
    let format = FileFormat::Csv(Default::default());
    let schema = probe_file(&format, location).expect("probe");
    Table::from_source(Source::file(format, location, schema).expect("source")).expect("read")
}

/// Entry `i`'s pipeline up to its last step.
fn prefix(sources: &[Table], i: usize, depth: usize) -> Table {
    let mut t = sources[i % sources.len()].filter(col("amount").gt(lit((i % 50) as i64))).expect("filter");
    for step in 0..depth {
        t = t.mutate([(col("amount") + lit(step as i64)).alias("v")]).expect("mutate");
    }
    t.group_by([col("region")]).agg([col("v").sum().alias("total")]).expect("aggregate")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let entries = env_usize("ENTRIES", 1000);
    let depth = env_usize("DEPTH", 95);
    let runs = env_usize("RUNS", 20);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let sources: Vec<Table> = (0..4)
        .map(|s| {
            let csv = dir.join(format!("sales-{s}.csv"));
            let rows: String =
                (0..20).map(|r| format!("{r},{},{}.5\n", ["EU", "US", "APAC"][r % 3], r * 7 + s)).collect();
            std::fs::write(&csv, format!("order_id,region,amount\n{rows}")).expect("csv");
            read(&csv)
        })
        .collect();
    let builds = dir.join("builds");
    let root = dir.join("catalog");

    let start = Instant::now();
    let catalog = Catalog::init(&root).expect("init");
    let options = BuildOptions::default();
    let mut prefixes: Vec<Option<Table>> = vec![None; 100];
    for i in 0..entries {
        let base = prefixes[i % 100].get_or_insert_with(|| prefix(&sources, i, depth)).clone();
        let table = base.filter(col("total").gt(lit(i as i64))).expect("filter");
        let built = xorq_build::build(&table, &builds, &options).expect("build");
        copy_dir(&built.path, &root.join("entries").join(built.address.hex()));
    }
    git(&root, &["add", "-A"]);
    git(&root, &["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-qm", "seed"]);
    let seeded = start.elapsed();

    let query_pipeline = prefix(&sources, 0, depth).filter(col("total").lt(lit(1000))).expect("query");
    let query = xorq_build::prepare(&query_pipeline, &options).expect("prepare");
    let index = root.join(".git").join(xorq_catalog::layout::NODE_INDEX_FILE);

    let cold_start = Instant::now();
    let report = catalog.find(&query).expect("find");
    let cold = cold_start.elapsed();
    assert_eq!((report.index.entries, report.index.indexed), (entries, entries));
    let index_bytes = std::fs::metadata(&index).map(|m| m.len()).unwrap_or(0);
    let count = |kind: MatchKind| report.matches.iter().filter(|m| m.kind == kind).count();
    let (subgraph, source) = (count(MatchKind::SharesSubgraph), count(MatchKind::SharesSource));
    let largest = report.matches.first().map_or(0, |m| m.largest());

    let warm = median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                let report = catalog.find(&query).expect("find");
                assert_eq!(report.index.indexed, 0, "the index is warm");
                start.elapsed()
            })
            .collect(),
    );
    // One entry new to the index (as after a pull that brought one).
    let stale = median(
        (0..runs.min(5))
            .map(|_| {
                let mut text: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&index).expect("index")).expect("JSON");
                let first = text["entries"].as_object().and_then(|e| e.keys().next().cloned()).expect("an entry");
                text["entries"].as_object_mut().expect("entries").remove(&first);
                std::fs::write(&index, serde_json::to_vec(&text).expect("JSON")).expect("write");
                let start = Instant::now();
                let report = catalog.find(&query).expect("find");
                assert_eq!(report.index.indexed, 1);
                start.elapsed()
            })
            .collect(),
    );
    let check_start = Instant::now();
    let checked = catalog.check().expect("check");
    let check = check_start.elapsed();
    assert!(checked.is_ok() && checked.warnings.is_empty(), "{checked:?}");

    println!(
        "catalog of {entries} entries of {} nodes (seeded in {:.1} s); index {:.1} MB; median of {runs} runs",
        depth + 4,
        seeded.as_secs_f64(),
        index_bytes as f64 / 1e6
    );
    println!(
        "query of {} nodes: {subgraph} entries share a subgraph (largest {largest} nodes), {source} only the read",
        report.query.nodes
    );
    println!("{:<56} {:>10}", "find, warm index", ms(warm));
    println!("{:<56} {:>10}", "find, one entry new to the index", ms(stale));
    println!("{:<56} {:>10}  (once)", "find, cold: no index, every entry loaded and indexed", ms(cold));
    println!("{:<56} {:>10}  (once)", "check (hashes every entry, rebuilds the index)", ms(check));
}
