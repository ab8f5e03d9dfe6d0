//! `find` and the node index, against real git and real builds: the index written by `add`,
//! updated by `remove`, repaired by a read when stale, corrupt or from another version, rebuilt
//! by `check`; matches ranked same > same computation > shared subgraph > shared source.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use xorq_build::BuildOptions;
use xorq_catalog::{AliasName, Catalog, MatchKind};
use xorq_core::{FileFormat, Source, Table, col, lit};
use xorq_engines::probe::probe_file;

use crate::common::{SALES_CSV, dirt};

fn alias(name: &str) -> AliasName {
    AliasName::new(name).expect("a valid alias")
}

/// A read of the CSV `dir/name`, written with `content` first.
fn read(dir: &Path, name: &str, content: &str) -> Table {
    let csv = dir.join(name);
    fs::write(&csv, content).expect("write the fixture");
    let location = csv.to_str().expect("utf-8 path");
    let format = FileFormat::Csv(Default::default());
    let schema = probe_file(&format, location).expect("probe");
    Table::from_source(Source::file(format, location, schema).expect("source")).expect("a read")
}

/// Orders above `threshold`.
fn large(t: &Table, threshold: i64) -> Table {
    t.filter(col("amount").gt(lit(threshold))).expect("filter")
}

/// Total amount per region.
fn totals(t: &Table) -> Table {
    t.group_by([col("region")]).agg([col("amount").sum().alias("total")]).expect("aggregate")
}

/// Orders per region.
fn counts(t: &Table) -> Table {
    t.group_by([col("region")]).agg([col("order_id").count().alias("orders")]).expect("aggregate")
}

/// `table` as a build names it (its reads by the hash of their bytes): what `find` is asked.
fn prepared(table: &Table) -> Table {
    xorq_build::prepare(table, &BuildOptions::default()).expect("prepare")
}

/// Builds `table` under `dir/builds`; returns the build directory.
fn build(dir: &Path, table: &Table) -> PathBuf {
    xorq_build::build(table, &dir.join("builds"), &BuildOptions::default()).expect("build").path
}

fn index_file(catalog: &Catalog) -> PathBuf {
    catalog.path().join(".git").join(xorq_catalog::layout::NODE_INDEX_FILE)
}

/// The addresses of the entries the index file holds.
fn indexed(catalog: &Catalog) -> Vec<String> {
    let text = fs::read_to_string(index_file(catalog)).expect("the index file");
    let value: Value = serde_json::from_str(&text).expect("JSON");
    value["entries"].as_object().expect("entries").keys().cloned().collect()
}

const SALES_V2: &str = "order_id,region,amount\n1,EU,120.5\n2,US,180.0\n3,EU,310.25\n4,APAC,99.5\n5,US,101.0\n";

#[test]
fn the_index_is_kept_by_add_and_remove_and_stays_out_of_git() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let sales = read(tmp.path(), "sales.csv", SALES_CSV);
    let a = catalog.add(&build(tmp.path(), &totals(&large(&sales, 100))), &[]).unwrap().address;
    assert_eq!(indexed(&catalog), [a.as_str()]);
    let b = catalog.add(&build(tmp.path(), &counts(&large(&sales, 100))), &[alias("counts")]).unwrap().address;
    let mut both = vec![a.clone(), b.clone()];
    both.sort();
    assert_eq!(indexed(&catalog), both);
    // The nodes the two share are described once.
    let value: Value = serde_json::from_str(&fs::read_to_string(index_file(&catalog)).unwrap()).unwrap();
    assert_eq!(value["nodes"].as_array().unwrap().len(), 4, "read, filter and two aggregates: {value}");
    catalog.remove(&[a[..12].to_string()]).unwrap();
    assert_eq!(indexed(&catalog), [b.as_str()]);
    let value: Value = serde_json::from_str(&fs::read_to_string(index_file(&catalog)).unwrap()).unwrap();
    assert_eq!(value["nodes"].as_array().unwrap().len(), 3, "the removed entry's own node is forgotten");
    // Derived, never committed: the work tree is exactly HEAD.
    assert!(dirt(catalog.path()).is_empty(), "{}", dirt(catalog.path()));
    let report = catalog.check().unwrap();
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:?}");
}

#[test]
fn a_read_repairs_a_stale_corrupt_or_foreign_index() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let sales = read(tmp.path(), "sales.csv", SALES_CSV);
    let pipeline = totals(&large(&sales, 100));
    let query = prepared(&pipeline);
    let a = catalog.add(&build(tmp.path(), &pipeline), &[alias("prod")]).unwrap().address;
    let only_a = fs::read(index_file(&catalog)).unwrap();
    let b = catalog.add(&build(tmp.path(), &counts(&large(&sales, 100))), &[]).unwrap().address;
    let with_b = fs::read(index_file(&catalog)).unwrap();

    // Warm: nothing to repair.
    let report = catalog.find(&query).unwrap();
    assert_eq!((report.index.entries, report.index.indexed, report.index.dropped), (2, 0, 0));
    assert_eq!(report.index.rebuilt, None);
    assert_eq!(report.matches.len(), 2);

    // An index behind the catalog (as after a pull): the missing entry is indexed, and found.
    fs::write(index_file(&catalog), &only_a).unwrap();
    let report = catalog.find(&query).unwrap();
    assert_eq!((report.index.indexed, report.index.dropped, report.index.rebuilt.clone()), (1, 0, None));
    assert!(report.matches.iter().any(|m| m.address == b), "{report:?}");
    assert_eq!(indexed(&catalog).len(), 2, "the repair was written");

    // An index listing an entry that is gone: dropped, never served.
    catalog.remove(&[b[..12].to_string()]).unwrap();
    fs::write(index_file(&catalog), &with_b).unwrap();
    let report = catalog.find(&query).unwrap();
    assert_eq!((report.index.indexed, report.index.dropped), (0, 1));
    assert_eq!(report.matches.iter().map(|m| m.address.as_str()).collect::<Vec<_>>(), [a.as_str()]);
    assert_eq!(indexed(&catalog), [a.as_str()]);

    // Garbage, truncation, another writer, or no index at all: rebuilt, not an error.
    let good = fs::read_to_string(index_file(&catalog)).unwrap();
    let foreign = good.replacen(&format!("xorq-rs {}", env!("CARGO_PKG_VERSION")), "xorq-rs 0.0.1", 1);
    assert_ne!(foreign, good);
    for (what, bytes) in [
        ("garbage", b"\x00\xffnot json".to_vec()),
        ("truncated", good.as_bytes()[..good.len() / 2].to_vec()),
        ("another version", foreign.into_bytes()),
        ("a malformed node", good.replace("\"nodes\":[{", "\"nodes\":[0,{").into_bytes()),
    ] {
        fs::write(index_file(&catalog), bytes).unwrap();
        let report = catalog.find(&query).unwrap();
        assert!(report.index.rebuilt.is_some(), "{what}: {report:?}");
        assert_eq!((report.index.indexed, report.matches.len()), (1, 1), "{what}");
        assert_eq!(fs::read_to_string(index_file(&catalog)).unwrap(), good, "{what}: rewritten as it was");
    }
    fs::remove_file(index_file(&catalog)).unwrap();
    let report = catalog.find(&query).unwrap();
    assert_eq!(report.index.rebuilt.as_deref(), Some("there was none"));
    assert_eq!(fs::read_to_string(index_file(&catalog)).unwrap(), good);
}

#[test]
fn check_rebuilds_the_index_and_warns_when_it_was_damaged() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let sales = read(tmp.path(), "sales.csv", SALES_CSV);
    catalog.add(&build(tmp.path(), &totals(&large(&sales, 100))), &[alias("prod")]).unwrap();
    let good = fs::read_to_string(index_file(&catalog)).unwrap();

    // Behind (as after a pull or in a fresh clone): rebuilt without a word.
    fs::remove_file(index_file(&catalog)).unwrap();
    let report = catalog.check().unwrap();
    assert!(report.is_ok() && report.warnings.is_empty(), "{report:?}");
    assert_eq!(fs::read_to_string(index_file(&catalog)).unwrap(), good);

    // Damaged: a node described otherwise than the entry has it.
    fs::write(index_file(&catalog), good.replacen("\"op\":\"Filter\"", "\"op\":\"Sort\"", 1)).unwrap();
    let report = catalog.check().unwrap();
    assert!(report.is_ok(), "a derived file is not a problem: {report:?}");
    assert_eq!(report.warnings.len(), 1, "{report:?}");
    assert_eq!(report.warnings[0].path, ".git/xorq-node-index.json");
    assert!(report.warnings[0].message.contains("was damaged") && report.warnings[0].message.ends_with("rebuilt"));
    assert_eq!(fs::read_to_string(index_file(&catalog)).unwrap(), good);

    fs::write(index_file(&catalog), "[1, 2").unwrap();
    let report = catalog.check().unwrap();
    assert!(report.warnings[0].message.contains("not a JSON object"), "{report:?}");
    assert_eq!(fs::read_to_string(index_file(&catalog)).unwrap(), good);
}

#[test]
fn find_ranks_same_then_same_computation_then_shared_subgraphs_then_shared_sources() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    // The same pipeline over an older snapshot of the file: another input address, the same
    // computation address.
    let old = read(tmp.path(), "sales.csv", SALES_V2);
    let prod_old = build(tmp.path(), &totals(&large(&old, 100)));
    let sales = read(tmp.path(), "sales.csv", SALES_CSV);
    let pipeline = totals(&large(&sales, 100));
    let query = prepared(&pipeline);
    let same = catalog.add(&build(tmp.path(), &pipeline), &[alias("prod")]).unwrap().address;
    let snapshot = catalog.add(&prod_old, &[alias("prod-2025")]).unwrap().address;
    assert_ne!(same, snapshot);
    let shared = catalog.add(&build(tmp.path(), &counts(&large(&sales, 100))), &[alias("counts")]).unwrap().address;
    // Shares only the read.
    let source = catalog.add(&build(tmp.path(), &counts(&large(&sales, 300))), &[alias("big")]).unwrap().address;
    // Shares nothing (another file).
    catalog.add(&build(tmp.path(), &totals(&read(tmp.path(), "other.csv", SALES_V2))), &[]).unwrap();

    let report = catalog.find(&query).unwrap();
    let got: Vec<(MatchKind, &str)> = report.matches.iter().map(|m| (m.kind, m.address.as_str())).collect();
    assert_eq!(
        got,
        [
            (MatchKind::Same, same.as_str()),
            (MatchKind::SameComputation, snapshot.as_str()),
            (MatchKind::SharesSubgraph, shared.as_str()),
            (MatchKind::SharesSource, source.as_str()),
        ]
    );
    assert_eq!(report.query.address, same);
    assert_eq!(report.index.entries, 5);
    let top = &report.matches[0].shared[0];
    assert!(top.whole_entry && top.whole_query && top.cache_point, "{top:?}");
    assert_eq!(report.matches[0].aliases[0].alias, "prod");
    // The shared filtered read: its top is the filter, two nodes, its columns.
    let m = &report.matches[2];
    assert_eq!(m.shared.len(), 1, "{m:?}");
    let filter = &m.shared[0];
    assert_eq!((filter.op.as_str(), filter.nodes), ("Filter", 2));
    assert!(filter.description.starts_with("Filter [") && filter.description.contains("amount > 100"), "{filter:?}");
    let names: Vec<&str> = filter.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["order_id", "region", "amount"]);
    assert!(!filter.whole_entry && !filter.whole_query && !filter.cache_point);
    assert_eq!(filter.cache_key, filter.address);
    assert_eq!(report.matches[3].shared[0].op, "Read");

    // A part of an entry: the query is the entry's filtered read, whole.
    let part = catalog.find(&prepared(&large(&sales, 100))).unwrap();
    let m = part.matches.iter().find(|m| m.address == shared).expect("counts shares the whole query");
    assert_eq!(m.kind, MatchKind::SharesSubgraph);
    assert!(m.shared[0].whole_query && !m.shared[0].whole_entry, "{m:?}");
}

#[test]
fn an_unreadable_entry_is_reported_and_the_rest_searched() {
    let tmp = tempfile::tempdir().unwrap();
    let catalog = Catalog::init(&tmp.path().join("cat")).unwrap();
    let sales = read(tmp.path(), "sales.csv", SALES_CSV);
    let pipeline = totals(&large(&sales, 100));
    let query = prepared(&pipeline);
    let a = catalog.add(&build(tmp.path(), &pipeline), &[]).unwrap().address;
    let b = catalog.add(&build(tmp.path(), &counts(&large(&sales, 100))), &[]).unwrap().address;
    fs::remove_file(index_file(&catalog)).unwrap();
    fs::write(catalog.path().join("entries").join(&b).join("expr.yaml"), "damaged: [").unwrap();
    let report = catalog.find(&query).unwrap();
    assert_eq!(report.matches.len(), 1);
    assert_eq!(report.matches[0].address, a);
    assert_eq!(report.index.unreadable.len(), 1, "{report:?}");
    assert_eq!(report.index.unreadable[0].path, format!("entries/{b}"));
    assert_eq!(indexed(&catalog), [a]);
}
