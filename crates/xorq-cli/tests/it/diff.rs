//! `xorq diff`, `xorq catalog diff` and `xorq catalog log <alias>` with the real binary: builds
//! of edited pipelines, a real git catalog, exit statuses as `diff`'s, and the HTML page in a
//! real Chromium.

use std::path::Path;

use serde_json::{Value, json};

use crate::common::sandbox::Sandbox;
use crate::common::{artifacts, browser};

/// The demo project's pipeline (the `sales` template).
const PIPELINE: &str = include_str!("../../templates/sales/pipeline.sql");

/// The pipeline with `from` replaced by `to`, built as `name`.
fn edit(s: &Sandbox, name: &str, from: &str, to: &str) -> String {
    assert!(PIPELINE.contains(from), "{from}");
    s.build_sql(name, &PIPELINE.replace(from, to), &[])
}

/// Short addresses (12 hex) replaced, so snapshots do not change with the hash scheme.
fn redact(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for ch in text.chars().chain(std::iter::once(' ')) {
        if ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase() {
            run.push(ch);
            continue;
        }
        if run.len() == 12 && run.chars().any(|c| c.is_ascii_digit()) {
            out.push_str("[address---]");
        } else {
            out.push_str(&run);
        }
        run.clear();
        out.push(ch);
    }
    out.pop();
    out
}

#[test]
fn diff_reports_changed_nodes_affected_columns_and_the_classification() {
    let s = Sandbox::new("sales", 50);
    let base = s.build_sql("base.sql", PIPELINE, &[]);
    let threshold = edit(&s, "threshold.sql", "amount > 100", "amount > 150");
    let r = s.xorq(&["diff", &base, &threshold]);
    assert_eq!(r.code, 1, "a change exits 1 as diff does: {}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    insta::assert_snapshot!("threshold", redact(&r.stdout.replace(&s.root.to_string_lossy().into_owned(), "[tmp]")));

    // Reordered, reformatted, renamed CTE: the same logic, the same address, exit 0.
    let same = s.build_sql(
        "same.sql",
        "WITH big AS (SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE 100 < amount)\n\
         SELECT region, round(sum(amount), 2) AS total, count(*) AS orders FROM big GROUP BY region ORDER BY total DESC",
        &[],
    );
    let r = s.xorq(&["diff", &base, &same]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("no logical change: the same address"), "{}", r.stdout);

    // A changed aggregate: values of one column, the others untouched.
    let mean = edit(&s, "mean.sql", "round(sum(amount), 2)", "round(avg(amount), 2)");
    let r = s.xorq(&["diff", &base, &mean, "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j: Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["classification"], "values", "{}", r.stdout);
    let status = |name: &str| {
        j["columns"].as_array().expect("columns").iter().find(|c| c["name"] == name).map(|c| c["status"].clone())
    };
    assert_eq!(
        (status("total"), status("orders"), status("region")),
        (Some(json!("values")), Some(json!("unchanged")), Some(json!("unchanged")))
    );

    // An added column, a renamed one.
    let added = edit(&s, "added.sql", "count(*) AS orders", "count(*) AS orders, max(amount) AS largest");
    let r = s.xorq(&["diff", &base, &added]);
    assert!(r.stdout.contains("additive: new columns only: largest"), "{}", r.stdout);
    let renamed = edit(&s, "renamed.sql", "count(*) AS orders", "count(*) AS n_orders");
    let r = s.xorq(&["diff", &base, &renamed]);
    assert!(r.stdout.contains("n_orders") && r.stdout.contains("renamed from orders"), "{}", r.stdout);
    assert!(r.stdout.contains("breaking: renamed: orders → n_orders"), "{}", r.stdout);
}

#[test]
fn diff_errors_name_the_side_and_exit_2() {
    let s = Sandbox::new("sales", 20);
    let base = s.build_sql("base.sql", PIPELINE, &[]);
    let err = s.fails(2, &["diff", &base, "builds/nope"]);
    assert!(err.contains("builds/nope"), "{err}");
    let err = s.fails(2, &["diff", &base, "no-such-alias", "--catalog-path", &s.path("nowhere")]);
    assert!(err.contains("no-such-alias"), "{err}");
}

#[test]
fn catalog_log_summarises_each_revision_and_catalog_diff_compares_two() {
    let s = Sandbox::new("sales", 30);
    let catalog = s.catalog("catalog");
    let base = s.build_sql("base.sql", PIPELINE, &[]);
    let threshold = edit(&s, "threshold.sql", "amount > 100", "amount > 150");
    let mean = s.build_sql(
        "mean.sql",
        &PIPELINE.replace("amount > 100", "amount > 150").replace("round(sum(amount), 2)", "round(avg(amount), 2)"),
        &[],
    );
    for build in [&base, &threshold, &mean] {
        s.ok(&["catalog", "--path", &catalog, "add", build, "--alias", "revenue"]);
    }
    let r = s.ok(&["catalog", "--path", &catalog, "log", "revenue"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].starts_with("revenue@r3") && lines[0].contains("values: Aggregate:"), "{}", r.stdout);
    assert!(lines[1].starts_with("revenue@r2") && lines[1].contains("breaking: Filter: (amount > 100"), "{}", r.stdout);
    assert!(lines[2].starts_with("revenue@r1") && lines[2].contains("first revision"), "{}", r.stdout);
    let j: Value =
        serde_json::from_str(&s.ok(&["catalog", "--path", &catalog, "log", "revenue", "--json"]).stdout).expect("json");
    assert_eq!(j[0]["classification"], "values");
    assert_eq!(j[1]["classification"], "breaking");
    assert!(j[2].get("classification").is_none());

    let r = s.xorq(&["catalog", "--path", &catalog, "diff", "revenue@r1", "revenue@r2"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("old: revenue@r1") && r.stdout.contains("~ Filter:"), "{}", r.stdout);
    let r = s.xorq(&["catalog", "--path", &catalog, "diff", "revenue@r3", "revenue"]);
    assert_eq!(r.code, 0, "the alias is its latest revision: {}{}", r.stdout, r.stderr);

    // The whole history still lists commits; an entry is not an alias.
    assert!(s.ok(&["catalog", "--path", &catalog, "log"]).stdout.contains("as revenue r3"));
    let address = &base.rsplit('/').next().expect("builds/<address>")[..12];
    let err = s.fails(2, &["catalog", "--path", &catalog, "log", address]);
    assert!(err.contains("is an entry, not an alias"), "{err}");
}

#[test]
fn the_html_page_shows_both_graphs_in_a_real_browser() {
    let s = Sandbox::new("sales", 20);
    let base = s.build_sql("base.sql", PIPELINE, &[]);
    let mean = edit(&s, "mean.sql", "round(sum(amount), 2)", "round(avg(amount), 2)");
    let page = s.project.join("diff.html");
    let r = s.xorq(&["diff", &base, &mean, "-f", "html", "-o", page.to_str().expect("utf-8")]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let html = std::fs::read_to_string(&page).expect("page written");
    for needle in ["<script src", "<link", "@import", "url(", "https://"] {
        assert!(!html.contains(needle), "the page refers to something outside itself: {needle}");
    }
    let j: Value = serde_json::from_str(&s.xorq(&["diff", &base, &mean, "-f", "json"]).stdout).expect("json");
    let statuses = |side: &str| -> Vec<String> {
        j[side].as_array().expect("graph").iter().map(|n| n["status"].as_str().unwrap_or("").to_string()).collect()
    };
    let changed: Vec<Value> = j["new_graph"]
        .as_array()
        .expect("graph")
        .iter()
        .enumerate()
        .filter(|(_, n)| n["status"] == "changed")
        .map(|(i, n)| json!({ "index": i, "pair": n["pair"] }))
        .collect();
    assert!(!changed.is_empty(), "the aggregate changed: {j}");
    let impacted: Vec<Value> = j["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter(|c| c["status"] != "unchanged")
        .map(|c| c["name"].clone())
        .collect();
    let spec = json!({
        "html": page,
        "old": statuses("old_graph"),
        "new": statuses("new_graph"),
        "changed": changed,
        "impacted": impacted,
        "screenshot": artifacts().join("diff.png"),
    });
    check_in_browser(&s.project, &spec);
}

fn check_in_browser(dir: &Path, spec: &Value) {
    let Some(browser) = browser() else { return };
    if let Err(failed) = browser.run("diff.mjs", spec, &dir.join("diff-spec.json")) {
        panic!("browser check failed:\n{failed}");
    }
}
