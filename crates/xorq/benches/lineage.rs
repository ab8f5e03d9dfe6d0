//! Column lineage of 10,000-node expressions: extraction of one column and of every column, and
//! each output format, against the target of 100 ms; and, in the same run, hashing the same
//! graph from scratch (a pass over every node) for scale.
//!
//! `cargo bench -p xorq --bench lineage` — `LINEAGE_NODES` (default 10000), `LINEAGE_RUNS`
//! (timed runs per step, default 5).

mod graphs;

use std::hint::black_box;
use std::time::{Duration, Instant};

use graphs::{Edit, Res, env_or, median, ms};
use xorq::Table;
use xorq::lineage::openlineage::{EventContext, run_event, run_id};
use xorq::lineage::{HtmlOptions, TreeOptions, column_lineage, table_lineage};
use xorq::plan::walk::topological;

const TARGET_MS: f64 = 100.0;

/// The median time of `runs` calls of `f`.
fn time<T>(runs: usize, mut f: impl FnMut() -> Res<T>) -> Res<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        black_box(f()?);
        times.push(start.elapsed());
    }
    Ok(median(times))
}

/// `nodes` relational nodes in one chain: `a = a + b`, then `a > i`, again and again.
fn chain(nodes: usize) -> Res<Table> {
    graphs::chain(nodes, Edit::None)
}

/// 100 branches over their own sources, each a chain, joined pairwise by union and, every
/// tenth branch, by a join on `b` with a renamed measure: about `nodes` relational nodes.
fn branches(nodes: usize) -> Res<Table> {
    graphs::branches(nodes, Edit::None)
}

fn report(name: &str, d: Duration, hash: Duration) {
    let verdict = if ms(d) < TARGET_MS { "ok" } else { "OVER TARGET" };
    println!("  {name:<28} {:>8.1} ms   {:>5.2}x hashing   ({verdict})", ms(d), d.as_secs_f64() / hash.as_secs_f64());
}

fn main() -> Res<()> {
    let nodes = env_or("LINEAGE_NODES", 10_000)?;
    let runs = env_or("LINEAGE_RUNS", 5)?;
    println!("lineage of {nodes}-node expressions, median of {runs} runs (target < {TARGET_MS} ms each)");
    for (name, make) in [("chain", chain as fn(usize) -> Res<Table>), ("100 branches, unions and joins", branches)] {
        let t = make(nodes)?;
        let relational = topological(t.node()).len();
        // Hashing from scratch: rebuild the graph outside the timer, hash inside it.
        let mut hash_times = Vec::new();
        for _ in 0..runs {
            let fresh = make(nodes)?;
            let start = Instant::now();
            black_box(fresh.address());
            hash_times.push(start.elapsed());
        }
        let hash = median(hash_times);
        let graph = table_lineage(&t)?;
        println!(
            "\n{name}: {relational} relational nodes; lineage graph of every column: {} nodes, {} edges; hashing {:.1} ms",
            graph.nodes.len(),
            graph.edges.len(),
            ms(hash)
        );
        report("one column (`a`)", time(runs, || Ok(column_lineage(&t, "a")?))?, hash);
        report("every column, one graph", time(runs, || Ok(table_lineage(&t)?))?, hash);
        // The text tree indents every level, so its size grows with depth squared: a 10,000-level
        // chain would print gigabytes. It is timed on the branchy graph only.
        if name != "chain" {
            let single = column_lineage(&t, "a")?;
            report("tree text", time(runs, || Ok(single.render(&TreeOptions::default().control(true))))?, hash);
        }
        report("dot", time(runs, || Ok(graph.to_dot()))?, hash);
        report("mermaid", time(runs, || Ok(graph.to_mermaid()))?, hash);
        report("html", time(runs, || Ok(graph.to_html(&HtmlOptions::default())))?, hash);
        let ctx = EventContext {
            job_namespace: "xorq".into(),
            job_name: "bench".into(),
            run_id: run_id(b"bench"),
            event_time: "2026-11-23T00:00:00Z".into(),
            output_namespace: "xorq".into(),
            output_name: "bench".into(),
            producer: "https://github.com/xorq-labs/xorq-rs".into(),
        };
        report("openlineage event", time(runs, || Ok(run_event(&t, &graph, &ctx)))?, hash);
    }
    Ok(())
}
