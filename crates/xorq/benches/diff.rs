//! `xorq diff` of 10,000-node pairs: a change at the top, in the middle and at a source of a
//! chain, of 100 branches joined and unioned, and an identical pair; each against the target
//! (well under a second: 250 ms) and, in the same run, as a ratio to hashing both graphs from
//! scratch (the least any comparison of two graphs must do).
//!
//! `cargo bench -p xorq --bench diff` — `DIFF_NODES` (default 10000), `DIFF_RUNS` (timed runs per
//! pair, default 5).

use std::error::Error;
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use xorq::diff::{DiffPage, diff};
use xorq::plan::walk::topological;
use xorq::{Table, col, lit};

type Res<T> = Result<T, Box<dyn Error>>;

const TARGET_MS: f64 = 250.0;

fn base(seed: i64) -> Res<Table> {
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![seed, 2, 3])) as ArrayRef),
        ("b", Arc::new(Int64Array::from(vec![4, 5, 6])) as ArrayRef),
    ])?;
    Ok(Table::memtable(vec![batch])?)
}

/// Where the one edit is made.
#[derive(Clone, Copy)]
enum Edit {
    None,
    Top,
    Middle,
    Source,
}

/// `nodes` relational nodes in one chain (`a = a + b`, then `a > i`), with `edit` applied.
fn chain(nodes: usize, edit: Edit) -> Res<Table> {
    let seed = if matches!(edit, Edit::Source) { 9 } else { 1 };
    let mut t = base(seed)?;
    let half = i64::try_from(nodes / 2)?;
    for i in 0..half {
        let edited = match edit {
            Edit::Top => i == half - 1,
            Edit::Middle => i == half / 2,
            _ => false,
        };
        t = t.mutate([(col("a") + col("b")).alias("a")])?;
        t = t.filter(col("a").gt(lit(if edited { i + 7 } else { i })))?;
    }
    Ok(t)
}

/// 100 branches over their own sources, each a chain, joined pairwise by union and, every
/// tenth branch, by a join on `b`: about `nodes` relational nodes; `edit` changes branch 50.
fn branches(nodes: usize, edit: Edit) -> Res<Table> {
    let per = nodes / 100;
    let mut out: Option<Table> = None;
    for branch in 0..100i64 {
        let seed = if branch == 50 && matches!(edit, Edit::Source) { 999 } else { branch };
        let mut t = base(seed)?;
        let steps = i64::try_from(per / 2)?;
        for i in 0..steps {
            let edited = branch == 50
                && match edit {
                    Edit::Top => i == steps - 1,
                    Edit::Middle => i == steps / 2,
                    _ => false,
                };
            t = t.mutate([(col("a") * lit(if edited { 3 } else { 2 }) - col("b")).alias("a")])?;
            t = t.filter(col("b").lt(lit(i + 1000)))?;
        }
        out = Some(match out {
            None => t,
            Some(acc) if branch % 10 == 0 => {
                let right = t.rename([("a", "a_r")])?;
                acc.join(&right, xorq::JoinKind::Inner, ["b"])?
                    .mutate([(col("a") + col("a_r")).alias("a")])?
                    .select([col("a"), col("b")])?
            }
            Some(acc) => acc.union(&t)?,
        });
    }
    out.ok_or_else(|| "no branches".into())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn env_or(name: &str, default: usize) -> Res<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}={v} is not a number").into()),
        Err(_) => Ok(default),
    }
}

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
