//! The 10,000-node graphs the lineage and diff benchmarks share, and their timing helpers.
// Each benchmark is its own crate and uses a part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use xorq::{Table, col, lit};

pub type Res<T> = Result<T, Box<dyn Error>>;

pub fn base(seed: i64) -> Res<Table> {
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![seed, 2, 3])) as ArrayRef),
        ("b", Arc::new(Int64Array::from(vec![4, 5, 6])) as ArrayRef),
    ])?;
    Ok(Table::memtable(vec![batch])?)
}

/// Where the one edit is made.
#[derive(Clone, Copy)]
pub enum Edit {
    None,
    Top,
    Middle,
    Source,
}

/// `nodes` relational nodes in one chain (`a = a + b`, then `a > i`), with `edit` applied.
pub fn chain(nodes: usize, edit: Edit) -> Res<Table> {
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
pub fn branches(nodes: usize, edit: Edit) -> Res<Table> {
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

pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub fn env_or(name: &str, default: usize) -> Res<usize> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}={v} is not a number").into()),
        Err(_) => Ok(default),
    }
}
