//! `xorq union` and `xorq join`: new builds from existing ones, named by their parts, runnable,
//! traceable, and refused with the difference shown when the parts do not fit.

use crate::common::sandbox::Sandbox;

#[test]
fn union_and_join_write_builds_that_run_and_trace() {
    let s = Sandbox::new("sales", 500);
    let revenue = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let expected = s.ok(&["run", &revenue, "-o", "-", "-f", "csv"]).stdout;

    // Union-all of a build with itself: every row twice; the same parts give the same build.
    let union = s.ok(&["union", &revenue, &revenue]).stdout.trim().to_string();
    assert_eq!(s.ok(&["union", &revenue, &revenue]).stdout.trim(), union);
    let rows = s.ok(&["run", &union, "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(rows.lines().count() - 1, 2 * (expected.lines().count() - 1), "{rows}");
    let distinct = s.ok(&["union", &revenue, &revenue, "--distinct"]).stdout.trim().to_string();
    assert_ne!(distinct, union);
    assert_eq!(s.ok(&["run", &distinct, "-o", "-", "-f", "csv"]).stdout.lines().count(), expected.lines().count());

    // A catalog alias works as a part, and the join traces back to both sides.
    let catalog = s.catalog("team");
    s.ok(&["catalog", "--path", &catalog, "add", &revenue, "--alias", "revenue"]);
    let join = s
        .ok(&["join", &revenue, "revenue", "--catalog-path", &catalog, "--on", "region", "--how", "left"])
        .stdout
        .trim()
        .to_string();
    let joined = s.ok(&["run", &join, "-o", "-", "-f", "csv"]).stdout;
    assert!(joined.starts_with("region,total,orders,total_right,orders_right"), "{joined}");
    let tree = s.ok(&["lineage", &join, "--column", "total_right"]).stdout;
    assert!(tree.contains("Join:right") && tree.contains("sales.parquet"), "{tree}");
}

#[test]
fn parts_that_do_not_fit_are_refused_with_the_difference() {
    let s = Sandbox::new("sales", 100);
    let revenue = s.ok(&["build", "pipeline.sql"]).stdout.trim().to_string();
    let orders = s.build_sql("orders.sql", "SELECT region, amount FROM read_parquet('data/sales.parquet')\n", &[]);
    let e = s.fails(2, &["union", &revenue, &orders]);
    assert!(e.contains("do not have the same columns") && e.contains("≠ total: Float64"), "{e}");
    let e = s.fails(2, &["join", &revenue, &orders, "--on", "regoin"]);
    assert!(e.contains("did you mean `region`"), "{e}");
    let e = s.fails(2, &["join", &revenue, &orders]);
    assert!(e.contains("a join needs keys"), "{e}");
    let e = s.fails(2, &["join", &revenue, &orders, "--on", "region", "--rname", "_r"]);
    assert!(e.contains("has no `{name}`"), "{e}");
    let e = s.fails(2, &["join", &revenue, &revenue, "--on", "region", "--how", "outer", "--rname", "{name}"]);
    assert!(e.contains("the same name on both"), "{e}");
    let e = s.fails(2, &["union", &revenue]);
    assert!(e.contains("BUILD"), "{e}");
}
