//! `xorq sql`: a build's SQL for other engines, by path and by catalog alias, and its errors.

use crate::common::{build, project, xorq_in};

#[test]
fn sql_for_other_engines_by_path_and_by_alias() {
    let (_tmp, dir) = project("sales");
    let b = build(&dir, &[]);

    let r = xorq_in(&dir, &["sql", &b, "--dialect", "snowflake"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("-- xorq-rs build "), "{}", r.stdout);
    assert!(r.stdout.contains("Snowflake SQL"), "{}", r.stdout);
    assert!(r.stdout.contains(r#"sum("#) && r.stdout.contains(r#"AS "total""#), "{}", r.stdout);
    assert!(r.stdout.trim_end().ends_with(';'), "{}", r.stdout);

    // The default dialect is DataFusion's; BigQuery quotes with backticks.
    let df = xorq_in(&dir, &["sql", &b]);
    assert_eq!(df.code, 0, "{}", df.stderr);
    assert!(df.stdout.contains("DataFusion SQL"), "{}", df.stdout);

    let team = dir.join("team");
    let team = team.to_str().expect("utf-8 temp path");
    assert_eq!(xorq_in(&dir, &["catalog", "--path", team, "init"]).code, 0);
    let added = xorq_in(&dir, &["catalog", "--path", team, "add", &b, "--alias", "revenue"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    let by_alias = xorq_in(&dir, &["sql", "revenue", "--catalog-path", team, "-d", "bigquery"]);
    assert_eq!(by_alias.code, 0, "{}", by_alias.stderr);
    assert!(by_alias.stdout.contains("`total`"), "{}", by_alias.stdout);
}

#[test]
fn unknown_dialects_and_bad_parameters_are_usage_errors() {
    let (_tmp, dir) = project("sales");
    let b = build(&dir, &[]);
    let r = xorq_in(&dir, &["sql", &b, "--dialect", "oracle"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown SQL dialect `oracle`; known dialects: postgres, duckdb"), "{}", r.stderr);
    let p = xorq_in(&dir, &["sql", &b, "-p", "nothing=1"]);
    assert_eq!(p.code, 2, "{}", p.stderr);
    assert!(p.stderr.contains("unknown parameter `nothing`"), "{}", p.stderr);
}
