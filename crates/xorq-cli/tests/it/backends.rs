//! The seeds' example from a build: a filter in PostgreSQL, `.into_backend(duckdb)`, an
//! aggregate in DuckDB, one expression; built with the library, run by the real `xorq`
//! binary, which connects the build's profiles with their `${ENV}` secrets resolved at run
//! time. Needs the `duckdb` and `postgres` features (CI: `--all-features`) and the test server
//! (`XORQ_TEST_PG_URL`, started by `.ci/run`).
#![cfg(all(feature = "duckdb", feature = "postgres"))]

use std::path::Path;

use crate::common::xorq_with_env;
use xorq::backends::Backend;
use xorq::build::{BuildOptions, build};
use xorq::prelude::*;

/// The test server's URL and its password, or `None` (skip) outside CI.
fn server() -> Option<(String, String)> {
    let Ok(url) = std::env::var("XORQ_TEST_PG_URL") else {
        assert!(std::env::var_os("CI").is_none(), "XORQ_TEST_PG_URL is not set under CI: .ci/run starts PostgreSQL");
        eprintln!("skipping: XORQ_TEST_PG_URL is not set (.ci/run sets it)");
        return None;
    };
    let password = url.split_once("://")?.1.split_once('@')?.0.split_once(':')?.1.to_string();
    Some((url, password))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_filter_into_duckdb_aggregate_runs_from_a_build() {
    let Some((url, password)) = server() else { return };
    let pg = xorq::postgres::connect(&url, "pg").await.expect("the test server");
    pg.execute(
        "DROP TABLE IF EXISTS seed_users;
         CREATE TABLE seed_users (id bigint, region text, active boolean);
         INSERT INTO seed_users SELECT g, (ARRAY['EU','US','APAC'])[1 + g % 3], g % 4 <> 0 FROM generate_series(1, 1000) g;",
    )
    .await
    .expect("seed the users table");
    let duckdb = xorq::duckdb::connect_memory("duckdb").expect("DuckDB");

    let expr = pg
        .table("seed_users")
        .await
        .expect("schema from PostgreSQL")
        .filter(col("active").eq(lit(true)))
        .and_then(|t| t.into_backend("duckdb"))
        .and_then(|t| t.group_by(["region"]).agg([col("id").count().alias("count")]))
        .and_then(|t| t.order_by(["region"]))
        .expect("a valid expression");

    let dir = tempfile::tempdir().expect("tempdir");
    let options = BuildOptions::default().profile(pg.profile().clone()).profile(duckdb.profile().clone());
    let built = build(&expr, &dir.path().join("builds"), &options).expect("build");
    let profiles = std::fs::read_to_string(built.path.join("profiles.yaml")).expect("profiles.yaml");
    assert!(profiles.contains("${PGPASSWORD}") && !profiles.contains(&password), "{profiles}");

    let target = built.path.to_string_lossy().into_owned();
    let env = [("PGPASSWORD", Path::new(&password))];
    let run = xorq_with_env(dir.path(), &["run", &target, "-o", "-", "-f", "csv"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "region,count\nAPAC,250\nEU,250\nUS,250\n");

    // The secret is read when the build runs: without it, the run says which variable to set.
    let run = xorq_with_env(dir.path(), &["run", &target, "-o", "-", "-f", "csv"], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("PGPASSWORD") && run.stderr.contains("`pg`"), "{}", run.stderr);
}
