//! For each TPC-H query, the physical plan of xorq's lowering does what DataFusion's plan of the
//! same SQL does: the same joins in the same order on the same keys, the same filters pushed into
//! the same scans, the same aggregates.
//!
//! Both plans are optimized by the same DataFusion session over the same Parquet files (SF 0.01):
//! xorq's from the lifted pipeline file (as `xorq build` lifts it and a run lowers it),
//! DataFusion's from the official text over the registered tables. They are compared by shape
//! (`crates/xorq/tpch/plan_shape.rs`), not text, since names and projections differ by design.
//! A differing query prints both shapes side by side.
//!
//! The queries whose plans differ today are recorded with their reason in
//! `crates/xorq/tpch/plans-ledger.txt`; the test fails when any outcome is not the ledger's.

use crate::tpch::{engines, files, ledger, plan_shape, queries};
use std::path::Path;
use std::sync::Arc;

use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use ledger::{Ledger, Outcome};
use queries::{QUERIES, Query};
use xorq::{Params, Session};

const SF: f64 = 0.01;

const LEDGER_PATH: &str = "crates/xorq/tpch/plans-ledger.txt";
const LEDGER: &str = include_str!("../../tpch/plans-ledger.txt");

/// `refused`: xorq cannot lift or lower the query, so there is no plan to compare; `differs`:
/// the shapes differ.
const OUTCOMES: [&str; 2] = ["refused", "differs"];

/// xorq's optimized physical plan of the query's pipeline file, in `ctx`'s session.
async fn xorq_plan(
    ctx: &SessionContext,
    query: &Query,
    data: &Path,
    work: &Path,
) -> Result<Arc<dyn ExecutionPlan>, String> {
    let file = engines::write_pipeline(query, data, work).map_err(|e| e.to_string())?;
    let table = engines::lift_file(&file)?;
    let session = Session::from_context(ctx.clone());
    let logical = session.logical_plan(&table, &Params::new()).map_err(|e| e.to_string())?;
    ctx.state().create_physical_plan(&logical).await.map_err(|e| e.to_string())
}

async fn outcome(query: &Query, data: &Path, work: &Path) -> Outcome {
    let ctx = engines::context();
    engines::register(&ctx, query, data).await.unwrap_or_else(|e| panic!("{}: registering tables: {e}", query.name));
    let theirs = match engines::frame(&ctx, query).await {
        Ok(frame) => frame.create_physical_plan().await,
        Err(e) => panic!("{}: DataFusion's own SQL failed: {e}", query.name),
    };
    let theirs = theirs.unwrap_or_else(|e| panic!("{}: DataFusion could not plan its own SQL: {e}", query.name));
    let ours = match xorq_plan(&ctx, query, data, work).await {
        Ok(plan) => plan,
        Err(e) => return Outcome { kind: "refused", detail: e },
    };
    let (ours, theirs) = (plan_shape::shape(&ours), plan_shape::shape(&theirs));
    if ours == theirs {
        Outcome::pass()
    } else {
        Outcome { kind: "differs", detail: plan_shape::side_by_side("xorq", &ours, "DataFusion", &theirs) }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_22_tpch_plans_are_datafusions() {
    let names: Vec<&str> = QUERIES.iter().map(|q| q.name).collect();
    let ledger = Ledger::parse(LEDGER_PATH, LEDGER, &OUTCOMES, &names).unwrap_or_else(|e| panic!("{e}"));
    let work = tempfile::tempdir().expect("a temporary directory");
    let data = work.path().join("data");
    files::ensure(&data, SF).unwrap_or_else(|e| panic!("generating TPC-H at SF {SF}: {e}"));

    let mut outcomes = Vec::new();
    for query in &QUERIES {
        let outcome = outcome(query, &data, &work.path().join("pipelines")).await;
        let known = ledger.entries.get(query.name).map(|e| format!(" (ledger: {} — {})", e.outcome, e.reason));
        println!(
            "{:<4} {}{}",
            query.name,
            if outcome.kind == "pass" { "same" } else { outcome.kind },
            known.unwrap_or_default()
        );
        if outcome.kind != "pass" {
            println!("{}", outcome.detail);
        }
        outcomes.push((query.name.to_string(), outcome));
    }
    let count = |kind: &str| outcomes.iter().filter(|(_, o)| o.kind == kind).count();
    println!(
        "TPC-H plans at SF {SF}: {} same as DataFusion's, {} differ, {} refused (of 22)",
        count("pass"),
        count("differs"),
        count("refused")
    );
    let mismatches = ledger.mismatches(&outcomes);
    assert!(mismatches.is_empty(), "outcomes not as recorded in {LEDGER_PATH}:\n{}", mismatches.join("\n"));
}
