//! `xorq diff` of 10,000-node pairs: a change at the top, in the middle and at a source of a
//! chain, of 100 branches joined and unioned, and an identical pair; each against the target
//! (well under a second: 250 ms) and, in the same run, as a ratio to hashing both graphs from
//! scratch (the least any comparison of two graphs must do).
//!
//! `cargo bench -p xorq --bench diff` — `DIFF_NODES` (default 10000), `DIFF_RUNS` (timed runs per
//! pair, default 5).

mod graphs;

use std::hint::black_box;
use std::time::Instant;

use graphs::{Edit, Res, branches, chain, env_or, median, ms};
use xorq::Table;
use xorq::diff::{DiffPage, diff};
use xorq::plan::walk::topological;

const TARGET_MS: f64 = 250.0;

fn main() -> Res<()> {
    let nodes = env_or("DIFF_NODES", 10_000)?;
    let runs = env_or("DIFF_RUNS", 5)?;
    println!("diff of {nodes}-node pairs, median of {runs} runs; graphs built fresh for each run, so");
    println!("hashing them is part of the diff; ratio = diff / hashing both graphs from scratch");
    println!(
        "{:<34} {:>6} {:>10} {:>10} {:>7} {:>10}  verdict",
        "pair", "nodes", "diff ms", "hash ms", "ratio", "html ms"
    );
    let shapes = [("chain", chain as fn(usize, Edit) -> Res<Table>), ("100 branches", branches)];
    for (shape, make) in shapes {
        for (edit_name, edit) in [
            ("identical", Edit::None),
            ("edit at the top", Edit::Top),
            ("edit in the middle", Edit::Middle),
            ("new source data", Edit::Source),
        ] {
            let relational = topological(make(nodes, Edit::None)?.node()).len();
            let (mut diff_times, mut hash_times, mut html_times) = (Vec::new(), Vec::new(), Vec::new());
            let mut classification = String::new();
            for _ in 0..runs {
                let (old, new) = (make(nodes, Edit::None)?, make(nodes, edit)?);
                let start = Instant::now();
                let d = diff(&old, &new)?;
                diff_times.push(start.elapsed());
                classification = d.classification.to_string();
                let start = Instant::now();
                black_box(d.to_html(&DiffPage::default()));
                html_times.push(start.elapsed());
                let (old, new) = (make(nodes, Edit::None)?, make(nodes, edit)?);
                let start = Instant::now();
                black_box((old.address(), new.address()));
                hash_times.push(start.elapsed());
            }
            let (d, h, page) = (median(diff_times), median(hash_times), median(html_times));
            let verdict = if ms(d) < TARGET_MS { "ok" } else { "OVER TARGET" };
            println!(
                "{:<34} {relational:>6} {:>10.1} {:>10.1} {:>6.2}x {:>10.1}  {verdict} ({classification})",
                format!("{shape}, {edit_name}"),
                ms(d),
                ms(h),
                d.as_secs_f64() / h.as_secs_f64(),
                ms(page)
            );
        }
    }
    Ok(())
}
