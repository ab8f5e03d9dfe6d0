//! The catalog commands that make or clean entries from other entries: `gc`, `compose`,
//! `rebase`; and `list --kind`, `show --raw`. Real binary, real git, real files.

use std::fs;

use crate::common::sandbox::Sandbox;

const SOURCE: &str = "SELECT * FROM read_parquet('data/sales.parquet') WHERE amount > 100";
const TOTALS: &str = "SELECT region, round(sum(amount), 2) AS total FROM read_parquet('data/sales.parquet') GROUP BY region ORDER BY region";

fn csv(s: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "-", "-f", "csv"]);
    s.ok(&all).stdout
}

/// Builds each `(alias, sql)` as `<alias>.sql` and adds it to the catalog `cat` under the alias;
/// the build paths.
fn add_entries(s: &Sandbox, cat: &str, entries: &[(&str, &str)]) -> Vec<String> {
    entries
        .iter()
        .map(|(alias, sql)| {
            let build = s.build_sql(&format!("{alias}.sql"), sql, &[]);
            s.ok(&["catalog", "-p", cat, "add", &build, "-a", alias, "--no-sync"]);
            build
        })
        .collect()
}

#[test]
fn gc_lists_then_removes_what_no_commit_names_and_keeps_every_entry() {
    let s = Sandbox::new("sales", 50);
    let cat = s.catalog("cat");
    let build = s.build_sql("t.sql", TOTALS, &[]);
    s.ok(&["catalog", "-p", &cat, "add", &build, "-a", "totals", "--no-sync"]);
    let root = std::path::Path::new(&cat);
    // A killed writer's staging copy, and a directory copied in by hand.
    fs::create_dir_all(root.join("entries/.tmp-x1/data")).expect("staging");
    fs::write(root.join("entries/.tmp-x1/data/part"), vec![7u8; 5000]).expect("staging file");
    let stray = "e".repeat(64);
    fs::create_dir_all(root.join("entries").join(&stray)).expect("stray");
    fs::write(root.join("entries").join(&stray).join("expr.yaml"), "not committed").expect("stray file");

    let dry = s.ok(&["catalog", "-p", &cat, "gc", "--dry-run"]);
    assert!(dry.stdout.contains("would remove  entries/.tmp-x1"), "{}", dry.stdout);
    assert!(dry.stdout.contains(&format!("entries/{stray}")), "{}", dry.stdout);
    assert!(dry.stderr.contains("2 orphans"), "{}", dry.stderr);
    assert!(root.join("entries/.tmp-x1").exists() && root.join("entries").join(&stray).exists());

    let json = s.ok(&["catalog", "-p", &cat, "gc", "--dry-run", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(v["orphans"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["dry_run"], true);

    let done = s.ok(&["catalog", "-p", &cat, "gc"]);
    assert!(done.stdout.contains("removed  entries/.tmp-x1"), "{}", done.stdout);
    assert!(done.stderr.contains("removed 2 orphans"), "{}", done.stderr);
    assert!(!root.join("entries/.tmp-x1").exists() && !root.join("entries").join(&stray).exists());
    // Every committed entry and alias is still there, and the catalog checks clean.
    s.ok(&["catalog", "-p", &cat, "check"]);
    assert_eq!(csv(&s, &["totals", "--catalog-path", &cat]), csv(&s, &[&build]));
    let again = s.ok(&["catalog", "-p", &cat, "gc"]);
    assert!(again.stderr.contains("removed 0 orphans"), "{}", again.stderr);
}

#[test]
fn compose_binds_each_transform_to_the_rows_so_far() {
    let s = Sandbox::new("sales", 300);
    let cat = s.catalog("cat");
    let src = s.build_sql("src.sql", SOURCE, &[]);
    let totals = s.build_sql("totals.sql", TOTALS, &[]);
    s.ok(&["catalog", "-p", &cat, "add", &src, "-a", "large", "--no-sync"]);
    s.ok(&["catalog", "-p", &cat, "add", &totals, "-a", "totals", "--no-sync"]);

    // The plan first: nothing is built or cataloged.
    let plan = s.ok(&["catalog", "-p", &cat, "compose", "large", "totals", "--dry-run"]).stdout;
    assert!(plan.contains("1. large  (rows)") && plan.contains("2. totals  (bound to its input"), "{plan}");
    assert!(plan.contains("result ") && plan.contains("total  "), "{plan}");
    assert_eq!(s.ok(&["catalog", "-p", &cat, "list", "--json"]).stdout.matches("address").count(), 2);

    // The composition computes what one pipeline written by hand computes.
    let composed = s.ok(&["catalog", "-p", &cat, "compose", "large", "totals", "-a", "large-totals", "--no-sync"]);
    let address = composed.stdout.trim().to_string();
    let by_hand = s.build_sql(
        "by_hand.sql",
        "SELECT region, round(sum(amount), 2) AS total FROM read_parquet('data/sales.parquet') WHERE amount > 100 GROUP BY region ORDER BY region",
        &[],
    );
    assert_eq!(csv(&s, &["large-totals", "--catalog-path", &cat]), csv(&s, &[&by_hand]));
    // The same composition again is the same entry.
    let again = s.ok(&["catalog", "-p", &cat, "compose", "large", "totals", "--no-sync"]);
    assert_eq!(again.stdout.trim(), address);

    // SQL over `source` (the Python tool's `--code`).
    let counted = s.ok(&[
        "catalog",
        "-p",
        &cat,
        "compose",
        "large",
        "-c",
        "SELECT region, count(*) AS n FROM source GROUP BY region ORDER BY region",
        "-a",
        "counts",
        "--no-sync",
    ]);
    assert!(!counted.stdout.trim().is_empty());
    let direct = s.build_sql(
        "counts.sql",
        "SELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') WHERE amount > 100 GROUP BY region ORDER BY region",
        &[],
    );
    assert_eq!(csv(&s, &["counts", "--catalog-path", &cat]), csv(&s, &[&direct]));

    // `catalog run` composes the same way without cataloging anything, or streams rows in.
    let entries_before = s.ok(&["catalog", "-p", &cat, "list", "--json"]).stdout;
    let ran = s.ok(&["catalog", "-p", &cat, "run", "large", "totals", "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(ran, csv(&s, &[&by_hand]));
    let ran = s
        .ok(&[
            "catalog",
            "-p",
            &cat,
            "run",
            "large",
            "-c",
            "SELECT region, count(*) AS n FROM source GROUP BY region ORDER BY region",
            "-o",
            "-",
            "-f",
            "csv",
        ])
        .stdout;
    assert_eq!(ran, csv(&s, &[&direct]));
    s.ok(&["run", &src, "-o", "rows.arrow", "-f", "arrow"]);
    let streamed = s.ok(&["catalog", "-p", &cat, "run", "totals", "-i", "rows.arrow", "-o", "-", "-f", "csv"]).stdout;
    assert_eq!(streamed, csv(&s, &[&by_hand]));
    // Cached: the second run of the same composition is a hit.
    let first = s.ok(&["catalog", "-p", &cat, "run-cached", "large", "totals", "-o", "-", "-f", "csv", "-v"]);
    assert_eq!(first.stdout, csv(&s, &[&by_hand]));
    let again = s.ok(&["catalog", "-p", &cat, "run-cached", "large", "totals", "-o", "-", "-f", "csv", "-v"]);
    assert_eq!(again.stdout, first.stdout);
    assert!(again.stderr.contains("hit"), "{}", again.stderr);
    assert_eq!(s.ok(&["catalog", "-p", &cat, "list", "--json"]).stdout, entries_before);

    // A transform whose source does not have the rows' columns is refused, naming both.
    let err = s.fails(2, &["catalog", "-p", &cat, "compose", "totals", "large"]);
    assert!(err.contains("`large`") && err.contains("do not have the columns of its input"), "{err}");
    let err = s.fails(2, &["catalog", "-p", &cat, "compose", "large"]);
    assert!(err.contains("one entry composes to itself"), "{err}");
}

/// Two filtered pipelines composed are the one pipeline written by hand: the transform is
/// rebuilt over the rows by the same builder calls, so its filter merges with the source's, in
/// canonical order, and the composed entry has the hand-written build's address.
#[test]
fn a_composition_is_the_pipeline_written_by_hand_to_the_address() {
    let s = Sandbox::new("sales", 300);
    let cat = s.catalog("cat");
    add_entries(
        &s,
        &cat,
        &[
            ("src", "SELECT * FROM read_parquet('data/sales.parquet') WHERE amount > 100"),
            (
                "step",
                "SELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') WHERE amount < 400 GROUP BY region",
            ),
        ],
    );
    let composed = s.ok(&["catalog", "-p", &cat, "compose", "src", "step", "-a", "both", "--no-sync"]).stdout;
    let by_hand = s.build_sql(
        "by_hand.sql",
        "SELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') WHERE amount < 400 AND amount > 100 GROUP BY region",
        &[],
    );
    assert!(by_hand.ends_with(&composed.trim()[..12]), "composed {composed} vs by hand {by_hand}");
    let sorted = |text: String| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(csv(&s, &["both", "--catalog-path", &cat])), sorted(csv(&s, &[&by_hand])));
}

#[test]
fn rebase_rederives_over_changed_sources_and_moves_the_aliases() {
    let s = Sandbox::new("sales", 200);
    let cat = s.catalog("cat");
    let sql = "SELECT region, round(sum(amount), 2) AS total FROM read_parquet('data/live.parquet') GROUP BY region ORDER BY region";
    // The source, read by reference.
    let copy = s.build_sql("copy.sql", "SELECT region, amount FROM read_parquet('data/sales.parquet')", &[]);
    s.ok(&["run", &copy, "-o", "data/live.parquet"]);
    let build = s.build_sql("live.sql", sql, &["--no-relocate-reads"]);
    s.ok(&["catalog", "-p", &cat, "add", &build, "-a", "prod", "-a", "stable", "--no-sync"]);
    let old = s.ok(&["catalog", "-p", &cat, "show", "prod", "--json"]).stdout;
    let old: serde_json::Value = serde_json::from_str(&old).expect("JSON");
    let old = old["metadata"]["address"].as_str().expect("address").to_string();

    // Nothing changed: the entry's own address, nothing committed.
    let same = s.ok(&["catalog", "-p", &cat, "rebase", "prod", "-a", "extra"]);
    assert_eq!(same.stdout.trim(), old);
    assert!(same.stderr.contains("no source changed") && same.stderr.contains("not added"), "{}", same.stderr);

    // The source gains a column: the same logic, re-derived, is a new entry; `prod` moves.
    let wider =
        s.build_sql("wider.sql", "SELECT region, amount, 1 AS extra FROM read_parquet('data/sales.parquet')", &[]);
    s.ok(&["run", &wider, "-o", "data/live.parquet"]);
    let rebased = s.ok(&["catalog", "-p", &cat, "rebase", "prod", "--only-alias", "prod", "--no-sync"]);
    let new = rebased.stdout.trim().to_string();
    assert_ne!(new[..12], old[..12], "{}", rebased.stderr);
    assert!(rebased.stderr.contains("data/live.parquet changed"), "{}", rebased.stderr);
    let aliases = s.ok(&["catalog", "-p", &cat, "list-aliases", "--json"]).stdout;
    let aliases: serde_json::Value = serde_json::from_str(&aliases).expect("JSON");
    let points = |name: &str| {
        aliases.as_array().expect("array").iter().find(|a| a["alias"] == name).expect("alias")["address"]
            .as_str()
            .expect("address")
            .to_string()
    };
    assert!(points("prod").starts_with(&new[..12]) && points("stable") == old, "{aliases}");
    // The old entry is kept, and the new one runs.
    s.ok(&["catalog", "-p", &cat, "show", &old[..12]]);
    assert!(csv(&s, &["prod", "--catalog-path", &cat]).starts_with("region,total"));
    let err = s.fails(1, &["catalog", "-p", &cat, "rebase", "stable", "--only-alias", "nope"]);
    assert!(err.contains("no such alias") && err.contains("stable"), "{err}");

    // A column the logic needs is gone: a conflict, nothing written.
    let narrow = s.build_sql("narrow.sql", "SELECT region FROM read_parquet('data/sales.parquet')", &[]);
    s.ok(&["run", &narrow, "-o", "data/live.parquet"]);
    let before = s.ok(&["catalog", "-p", &cat, "log", "--json"]).stdout;
    let err = s.fails(4, &["catalog", "-p", &cat, "rebase", "prod"]);
    assert!(err.contains("amount") && err.contains("nothing was written"), "{err}");
    // The source is gone: unreadable, nothing written.
    fs::remove_file(s.project.join("data/live.parquet")).expect("remove");
    let err = s.fails(2, &["catalog", "-p", &cat, "rebase", "prod"]);
    assert!(err.contains("live.parquet") && err.contains("nothing was written"), "{err}");
    assert_eq!(s.ok(&["catalog", "-p", &cat, "log", "--json"]).stdout, before);
}

#[test]
fn list_shows_kinds_and_show_raw_prints_the_stored_metadata() {
    let s = Sandbox::new("sales", 20);
    let cat = s.catalog("cat");
    let plain = s.build_sql("plain.sql", "SELECT * FROM read_parquet('data/sales.parquet')", &[]);
    let totals = s.build_sql("totals.sql", TOTALS, &[]);
    s.ok(&["catalog", "-p", &cat, "add", &plain, &totals, "--no-sync"]);
    let listed = s.ok(&["catalog", "-p", &cat, "list", "--kind"]).stdout;
    let kind_of = |build: &str| {
        let short = &std::path::Path::new(build).file_name().expect("name").to_string_lossy()[..12];
        listed.lines().find(|l| l.starts_with(short)).map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
    };
    assert_eq!(kind_of(&plain).as_deref(), Some("source"), "{listed}");
    assert_eq!(kind_of(&totals).as_deref(), Some("expr"), "{listed}");
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["catalog", "-p", &cat, "list", "--kind", "--json"]).stdout).expect("JSON");
    assert!(json.as_array().expect("array").iter().all(|e| e["kind"].is_string()), "{json}");
    assert!(!s.ok(&["catalog", "-p", &cat, "list", "--kind", "--no-kind"]).stdout.contains("source"));

    let raw = s.ok(&["catalog", "-p", &cat, "show", &totals[7..19], "--raw"]).stdout;
    let stored = fs::read_to_string(s.project.join(&totals).join("metadata.json")).expect("metadata");
    assert_eq!(raw, stored);
    s.fails(2, &["catalog", "-p", &cat, "show", &totals[7..19], "--raw", "--json"]);
}

/// `--rename-params ENTRY,OLD,NEW`: two entries that both call their parameter `min` are
/// bound apart once one of them is renamed; a name that is not an entry's parameter is named.
#[test]
fn rename_params_tells_two_entries_parameters_apart() {
    let s = Sandbox::new("sales", 300);
    let cat = s.catalog("cat");
    add_entries(
        &s,
        &cat,
        &[
            (
                "src",
                "-- xorq: param min DOUBLE default 0\nSELECT * FROM read_parquet('data/sales.parquet') WHERE amount > $min",
            ),
            (
                "step",
                "-- xorq: param min DOUBLE default 0\nSELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') WHERE amount > $min GROUP BY region ORDER BY region",
            ),
        ],
    );

    let run = |extra: &[&str]| {
        let mut args = vec!["catalog", "-p", cat.as_str(), "run", "src", "step", "-o", "-", "-f", "csv"];
        args.extend_from_slice(extra);
        s.ok(&args).stdout
    };
    let expected = |low: u32, high: u32| {
        let sql = format!(
            "SELECT region, count(*) AS n FROM read_parquet('data/sales.parquet') WHERE amount > {low} AND amount > {high} GROUP BY region ORDER BY region"
        );
        let build = s.build_sql(&format!("e{low}_{high}.sql"), &sql, &[]);
        csv(&s, &[&build])
    };
    // One name for both: one value binds both filters.
    assert_eq!(run(&["-p", "min=100"]), expected(100, 100));
    // Renamed on the transform: each is bound on its own.
    let apart = run(&["--rename-params", "step,min,min_step", "-p", "min=50", "-p", "min_step=200"]);
    assert_eq!(apart, expected(50, 200));
    // Cataloged with the rename, the entry lists both parameters.
    s.ok(&[
        "catalog",
        "-p",
        &cat,
        "compose",
        "src",
        "step",
        "--rename-params",
        "step,min,min_step",
        "-a",
        "both",
        "--no-sync",
    ]);
    let shown: serde_json::Value =
        serde_json::from_str(&s.ok(&["catalog", "-p", &cat, "show", "both", "--json"]).stdout).expect("JSON");
    let names: Vec<&str> =
        shown["metadata"]["params"].as_array().expect("params").iter().filter_map(|p| p["name"].as_str()).collect();
    assert_eq!(names, ["min", "min_step"]);

    let err = s.fails(2, &["catalog", "-p", &cat, "run", "src", "step", "--rename-params", "step,mni,x", "-o", "-"]);
    assert!(err.contains("no parameter `mni`") && err.contains("`min`"), "{err}");
    let err = s.fails(2, &["catalog", "-p", &cat, "run", "src", "step", "--rename-params", "other,min,x", "-o", "-"]);
    assert!(err.contains("`other` is not one of the entries"), "{err}");
    let err = s.fails(2, &["catalog", "-p", &cat, "run", "src", "--rename-params", "src,min", "-o", "-"]);
    assert!(err.contains("ENTRY,OLD,NEW"), "{err}");
}
