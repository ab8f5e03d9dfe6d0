//! Cross-engine equality (SPEC §5): the whole expression corpus (`xorq-core/tests/common`) runs
//! on DataFusion, SQLite, PostgreSQL and DuckDB over the same rows, and every engine must give
//! DataFusion's result. Each source is moved into the engine under test with `.into_backend`,
//! so the whole expression runs there as one SQL segment written in its dialect.
//!
//! - Rows compare as multisets; when the expression ends in a sort, the sort keys must also come
//!   in the same order. A limit without a sort compares row counts only (any rows are right).
//! - Floats compare to 6 significant digits (engines sum in different orders).
//! - Known, documented differences are listed in [`exceptions`]; each is checked to still
//!   happen, so a fixed difference fails the test until its entry is removed.
//!
//! On a Ballista cluster (`cluster.rs`), the corpus runs over Parquet files instead, with the
//! session's embedded-engine part sent to the cluster (`Session::on_cluster`).
//!
//! PostgreSQL runs when `XORQ_TEST_PG_URL` is set (`.ci/run` starts a throw-away server; under
//! `CI` it must be set). DuckDB runs with the `duckdb` feature.

#[cfg(feature = "ballista")]
mod cluster;
#[path = "../../../xorq-core/tests/common/mod.rs"]
mod common;
mod data;
mod exceptions;
mod overflow;
mod rows;

use std::sync::Arc;

use xorq::backends::BackendRef;
use xorq::cache::Cache;
use xorq::plan::{IntoBackend, Node, RelOp, rewrite};
use xorq::{Params, Session, Table};

use exceptions::Expect;

/// The engines under test, connected, by profile name.
async fn engines() -> Vec<BackendRef> {
    let mut out: Vec<BackendRef> = vec![xorq::sqlite::connect_memory("sqlite").expect("in-memory SQLite")];
    match std::env::var("XORQ_TEST_PG_URL") {
        Ok(url) => out.push(xorq::postgres::connect(&url, "postgres").await.expect("the test PostgreSQL server")),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("XORQ_TEST_PG_URL is not set under CI: .ci/run starts PostgreSQL and sets it")
        }
        Err(_) => eprintln!("skipping PostgreSQL: XORQ_TEST_PG_URL is not set (.ci/run sets it)"),
    }
    #[cfg(feature = "duckdb")]
    out.push(xorq::duckdb::connect_memory("duckdb").expect("in-memory DuckDB"));
    #[cfg(not(feature = "duckdb"))]
    eprintln!("skipping DuckDB: build with `--features duckdb` (CI does, with --all-features)");
    out
}

/// `table` with every source moved into `profile` first.
fn moved_into(table: &Table, profile: &str) -> Table {
    let node = rewrite::map_nodes::<xorq::CoreError>(table.node(), |n| {
        Ok(match n.op() {
            RelOp::Source(_) => Some(Node::try_new(RelOp::IntoBackend(IntoBackend {
                input: Arc::clone(n),
                profile: profile.to_string(),
            }))?),
            _ => None,
        })
    })
    .expect("a move keeps the schema");
    Table::from_node(node)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_engine_gives_datafusions_result() {
    let engines = engines().await;
    let mut session = Session::new().with_cache(Cache::disabled());
    for e in &engines {
        session = session.with_backend(Arc::clone(e));
    }
    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, table) in data::corpus() {
        let declared = table.params().expect("parameters");
        let params =
            if declared.iter().any(|p| p.name == "region") { Params::new().set("region", "EU") } else { Params::new() };
        let expected = match session.execute(&table, &params).await {
            Ok(b) => rows::Rows::of(&table, &b),
            Err(e) => panic!("corpus entry `{name}` fails on DataFusion: {e}"),
        };
        for engine in &engines {
            let profile = engine.profile().name();
            let got = session.execute(&moved_into(&table, profile), &params).await;
            let verdict = match (exceptions::expect(name, profile), got) {
                (Expect::Equal, Ok(b)) => rows::Rows::of(&table, &b).differences(&expected),
                (Expect::Equal, Err(e)) => Some(format!("fails: {e}")),
                (Expect::Refused(what), Err(e)) if e.to_string().contains(what) => None,
                (Expect::Refused(what), Err(e)) => Some(format!("refused, but not for {what}: {e}")),
                (Expect::Refused(what), Ok(_)) => {
                    Some(format!("now runs (was refused for {what}): remove its entry from exceptions.rs"))
                }
                (Expect::Differs(why), Ok(b)) => match rows::Rows::of(&table, &b).differences(&expected) {
                    Some(_) => None,
                    None => Some(format!("now equal (was: {why}): remove its entry from exceptions.rs")),
                },
                (Expect::Differs(why), Err(e)) => Some(format!("fails ({e}); expected a difference: {why}")),
            };
            compared += 1;
            if let Some(problem) = verdict {
                failures.push(format!("{name} on {profile}: {problem}"));
            }
        }
    }
    eprintln!("compared {compared} results on {} engines", engines.len());
    assert!(failures.is_empty(), "{} differences:\n{}", failures.len(), failures.join("\n"));
}
