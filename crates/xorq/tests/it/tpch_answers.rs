//! All 22 TPC-H queries, run as a user runs them, answer as DataFusion does.
//!
//! The tables are generated at scale factor 0.01 with `tpchgen-arrow` and written as Parquet.
//! Each query's pipeline file (the official text, its tables read with `read_parquet('…')`) is
//! built as `xorq build` builds it and the build is run as `xorq run` runs it; the answer is
//! compared with DataFusion's own SQL of the official text on the same files (same column names
//! and types, same rows, the same order where the query orders, decimals exactly; see
//! `crates/xorq/tpch/compare.rs`).
//!
//! The queries xorq refuses, fails or answers differently today are recorded with their reason
//! in `crates/xorq/tpch/answers-ledger.txt`. The test fails when any outcome is not the
//! ledger's: a query that newly fails, and a ledgered query that now passes.

use crate::tpch::{compare, engines, files, ledger, queries};
use std::path::Path;
use std::time::Instant;

use compare::{Ordering, exact_difference};
use ledger::{Ledger, Outcome};
use queries::{QUERIES, Query};

/// Small enough for CI (the 22 queries on both sides run in seconds), large enough that every
/// query returns rows and every join matches many rows.
const SF: f64 = 0.01;

const LEDGER_PATH: &str = "crates/xorq/tpch/answers-ledger.txt";
const LEDGER: &str = include_str!("../../tpch/answers-ledger.txt");

/// The outcomes a ledger line may record: `refused` (`xorq build` fails: the front end or the
/// build refuses the query), `fails` (the build runs into an error), `differs` (the answer is
/// not DataFusion's).
const OUTCOMES: [&str; 3] = ["refused", "fails", "differs"];

async fn outcome(query: &Query, data: &Path, work: &Path) -> Outcome {
    let file = match engines::write_pipeline(query, data, &work.join("pipelines")) {
        Ok(file) => file,
        Err(e) => panic!("{}: writing its pipeline file: {e}", query.name),
    };
    let build = match engines::build(&file, &work.join("builds")) {
        Ok(build) => build,
        Err(e) => return Outcome { kind: "refused", detail: e },
    };
    let actual = match engines::run(&build).await {
        Ok(batches) => batches,
        Err(e) => return Outcome { kind: "fails", detail: e },
    };
    let expected = engines::datafusion(query, data)
        .await
        .unwrap_or_else(|e| panic!("{}: DataFusion's own SQL failed: {e}", query.name));
    let keys = query.order_keys().unwrap_or_else(|e| panic!("{}: {e}", query.name));
    match exact_difference(&actual, &expected, &Ordering { keys }) {
        Ok(None) => Outcome::pass(),
        Ok(Some(why)) => Outcome { kind: "differs", detail: why },
        Err(e) => panic!("{}: comparing the answers: {e}", query.name),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_22_tpch_queries_answer_as_datafusion_does() {
    let names: Vec<&str> = QUERIES.iter().map(|q| q.name).collect();
    let ledger = Ledger::parse(LEDGER_PATH, LEDGER, &OUTCOMES, &names).unwrap_or_else(|e| panic!("{e}"));
    let work = tempfile::tempdir().expect("a temporary directory");
    let data = work.path().join("data");
    let start = Instant::now();
    files::ensure(&data, SF).unwrap_or_else(|e| panic!("generating TPC-H at SF {SF}: {e}"));
    println!("TPC-H SF {SF} generated as Parquet in {:.1} s", start.elapsed().as_secs_f64());

    let mut outcomes = Vec::new();
    for query in &QUERIES {
        let start = Instant::now();
        let outcome = outcome(query, &data, work.path()).await;
        let known = ledger.entries.get(query.name).map(|e| format!(" (ledger: {} — {})", e.outcome, e.reason));
        println!(
            "{:<4} {:<8} {:>6.2} s{}",
            query.name,
            outcome.kind,
            start.elapsed().as_secs_f64(),
            known.unwrap_or_default()
        );
        if outcome.kind != "pass" {
            println!("     {}", outcome.detail.replace('\n', "\n     "));
        }
        outcomes.push((query.name.to_string(), outcome));
    }
    let count = |kind: &str| outcomes.iter().filter(|(_, o)| o.kind == kind).count();
    println!(
        "TPC-H answers at SF {SF}: {} pass, {} refused, {} fail, {} differ (of 22)",
        count("pass"),
        count("refused"),
        count("fails"),
        count("differs")
    );
    let mismatches = ledger.mismatches(&outcomes);
    assert!(mismatches.is_empty(), "outcomes not as recorded in {LEDGER_PATH}:\n{}", mismatches.join("\n"));
}
