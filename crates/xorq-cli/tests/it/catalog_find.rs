//! `xorq catalog find` with the real binary, real git and real builds: an entry that shares a
//! filtered read with a new pipeline is listed with the shared node, from the pipeline's build
//! or from the pipeline file itself (nothing built); `--json` for agents; the same build is
//! "same address", with whether its result is cached; nothing in common is said, with status 0.

use serde_json::Value;

use crate::common::sandbox::Sandbox;

/// Revenue per region of the large orders.
const REVENUE: &str = "WITH large_orders AS (
    SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100
)
SELECT region, round(sum(amount), 2) AS total FROM large_orders GROUP BY region
";

/// Orders per region of the same large orders: a new pipeline sharing the filtered read.
const ORDERS: &str = "WITH large_orders AS (
    SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100
)
SELECT region, count(*) AS orders FROM large_orders GROUP BY region
";

/// The full address of a build (from its metadata).
fn address(s: &Sandbox, build: &str) -> String {
    let text = std::fs::read_to_string(s.project.join(build).join("metadata.json")).expect("metadata");
    let value: Value = serde_json::from_str(&text).expect("JSON");
    value["address"].as_str().expect("an address").to_string()
}

fn builds(s: &Sandbox) -> usize {
    std::fs::read_dir(s.project.join("builds")).map_or(0, |d| d.count())
}

#[test]
fn find_lists_the_entry_that_shares_a_subgraph_with_a_new_pipeline() {
    let s = Sandbox::new("sales", 40);
    let revenue = s.build_sql("revenue.sql", REVENUE, &[]);
    let cat = s.catalog("cat");
    s.ok(&["catalog", "--path", &cat, "add", &revenue, "--alias", "revenue"]);
    let revenue_address = address(&s, &revenue);

    // From the pipeline file: nothing is built.
    std::fs::write(s.project.join("orders.sql"), ORDERS).unwrap();
    let before = builds(&s);
    let from_file = s.ok(&["catalog", "--path", &cat, "find", "orders.sql"]);
    assert_eq!(builds(&s), before, "find builds nothing");
    let lines: Vec<&str> = from_file.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", from_file.stdout);
    assert_eq!(lines[0], "shares a subgraph:");
    let row = lines[1];
    assert!(row.starts_with(&format!("  {}  revenue r1  Project [", &revenue_address[..12])), "{row}");
    assert!(row.contains("region, amount") && row.contains("(3 nodes; columns region, amount)"), "{row}");

    // From its build: the same answer.
    let orders = s.build_sql("orders.sql", ORDERS, &[]);
    let from_build = s.ok(&["catalog", "--path", &cat, "find", &orders]);
    assert_eq!(from_build.stdout, from_file.stdout);

    // For agents.
    let r = s.ok(&["catalog", "--path", &cat, "find", &orders, "--json"]);
    let v: Value = serde_json::from_str(&r.stdout).expect("find --json prints JSON");
    assert_eq!(v["query"]["address"], address(&s, &orders).as_str());
    assert_eq!(v["searched"], 1);
    assert_eq!(v["more"], 0);
    let m = &v["matches"][0];
    assert_eq!(m["kind"], "shares_subgraph");
    assert_eq!(m["address"], revenue_address.as_str());
    assert_eq!(m["aliases"][0]["alias"], "revenue");
    assert_eq!(m["aliases"][0]["revision"], 1);
    let shared = &m["shared"][0];
    assert_eq!(shared["op"], "Project");
    assert_eq!(shared["nodes"], 3);
    let columns: Vec<&str> =
        shared["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["region", "amount"]);
    assert!(shared["description"].as_str().unwrap().starts_with("Project ["), "{shared}");
    assert_eq!(shared["whole_entry"], false);
    assert_eq!(shared["cached"], Value::Null, "a projection is not a cache point: {shared}");
    assert_eq!(v["matches"].as_array().unwrap().len(), 1);

    // The same build, by path or by alias: already catalogued.
    let same = s.ok(&["catalog", "--path", &cat, "find", &revenue]);
    assert_eq!(same.stdout, format!("same address:\n  {}  revenue r1\n", &revenue_address[..12]));
    assert_eq!(s.ok(&["catalog", "--path", &cat, "find", "revenue"]).stdout, same.stdout);
    let v: Value =
        serde_json::from_str(&s.ok(&["catalog", "--path", &cat, "find", "revenue", "--json"]).stdout).unwrap();
    assert_eq!(v["matches"][0]["kind"], "same");
    assert_eq!(v["matches"][0]["shared"][0]["cached"], false, "the whole result is a cache point, not stored yet");
    // Once its whole result is cached, find says so.
    let out = s.path("out.parquet");
    s.ok(&["catalog", "--path", &cat, "run-cached", "revenue", "-o", &out]);
    let cached = s.ok(&["catalog", "--path", &cat, "find", &revenue]);
    assert_eq!(cached.stdout, format!("same address:\n  {}  revenue r1  (result cached)\n", &revenue_address[..12]));

    // The index is derived: the catalog's work tree is untouched, and it checks out.
    let status = crate::common::sandbox::git(std::path::Path::new(&cat), &["status", "--porcelain", "--ignored"]);
    assert_eq!(status, "");
    assert!(std::path::Path::new(&cat).join(".git/xorq-node-index.json").is_file());
    assert_eq!(s.ok(&["catalog", "--path", &cat, "check"]).stdout, "OK: 1 entry and 1 alias check out\n");
}

#[test]
fn find_says_when_nothing_matches_and_names_what_it_cannot_read() {
    let s = Sandbox::new("sales", 10);
    let cat = s.catalog("cat");
    let revenue = s.build_sql("revenue.sql", REVENUE, &[]);
    s.ok(&["catalog", "--path", &cat, "add", &revenue]);
    std::fs::write(s.project.join("other.csv"), "id,name\n1,a\n2,b\n").unwrap();
    std::fs::write(s.project.join("other.sql"), "SELECT id FROM read_csv('other.csv') WHERE id > 1\n").unwrap();
    let r = s.ok(&["catalog", "--path", &cat, "find", "other.sql"]);
    assert_eq!(r.stdout, "nothing in common with any of the 1 entry of the catalog\n");
    let v: Value =
        serde_json::from_str(&s.ok(&["catalog", "--path", &cat, "find", "other.sql", "--json"]).stdout).unwrap();
    assert_eq!(v["matches"], serde_json::json!([]));

    let e = s.fails(1, &["catalog", "--path", &cat, "find", "nope"]);
    assert!(e.contains("`nope` is neither a pipeline file, a build directory nor a catalog entry"), "{e}");
    let e = s.fails(2, &["catalog", "--path", &cat, "find", "README.md"]);
    assert!(e.contains("is not a pipeline file"), "{e}");
    // A damaged index is rebuilt, not an error.
    std::fs::write(std::path::Path::new(&cat).join(".git/xorq-node-index.json"), "{").unwrap();
    let r = s.ok(&["catalog", "--path", &cat, "find", &revenue, "-n", "1"]);
    assert!(r.stdout.starts_with("same address:"), "{}", r.stdout);
}

#[test]
fn catalog_find_help() {
    let s = Sandbox::new("sales", 10);
    let r = s.ok(&["catalog", "find", "-h"]);
    // Global options of other commands (`-v`) are theirs to describe.
    let ours: String = r.stdout.lines().filter(|l| !l.contains("--verbose")).map(|l| format!("{l}\n")).collect();
    insta::assert_snapshot!("catalog_find_help", ours);
}
