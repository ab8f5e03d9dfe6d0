//! Integer overflow is never silent, on any engine (a deliberate difference from DataFusion,
//! whose operators and `sum` wrap around): `+`, `-`, `*`, unary minus and division past the
//! 64-bit (or 32-bit) range fail with an error, on the embedded engine naming the operation as
//! the expression writes it. DuckDB and PostgreSQL check overflow themselves; SQLite, whose
//! integers silently become floats, runs xorq's checked functions. A sum whose total fits is
//! exact everywhere, whatever its partial sums.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int32Array, Int64Array, RecordBatch};
use xorq::{Expr, Params, Session, Table, col, lit};

use super::{engines, moved_into};
use xorq::cache::Cache;

fn extremes() -> Table {
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3]))),
        ("big", Arc::new(Int64Array::from(vec![i64::MAX, -1, 1]))),
        ("low", Arc::new(Int64Array::from(vec![i64::MIN, 5, 7]))),
        ("small", Arc::new(Int32Array::from(vec![i32::MAX, 2, 3]))),
    ];
    xorq::memtable(vec![RecordBatch::try_from_iter(columns).expect("valid batch")]).expect("memtable")
}

/// Each overflowing computation, with the operation the embedded engine's error names.
fn overflowing(t: &Table) -> Vec<(Table, &'static str)> {
    let select = |e: Expr| t.select([e.alias("out")]).expect("valid projection");
    vec![
        (select(col("big") + lit(1i64)), "(big + 1)"),
        (select(col("low") - lit(1i64)), "(low - 1)"),
        (select(col("big") * lit(2i64)), "(big * 2)"),
        (select(-col("low")), "-low"),
        (select(col("small") + col("small")), "(small + small)"),
        (select(col("big") + col("big")), "(big + big)"),
    ]
}

/// Whether `message` is an overflow error, in any engine's words.
fn is_overflow(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("overflow") || m.contains("out of range")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overflow_fails_on_every_engine() {
    let engines = engines().await;
    let mut session = Session::new().with_cache(Cache::disabled());
    for e in &engines {
        session = session.with_backend(Arc::clone(e));
    }
    let t = extremes();
    let mut failures = Vec::new();
    for (table, operation) in overflowing(&t) {
        match session.execute(&table, &Params::new()).await {
            Ok(_) => failures.push(format!("DataFusion: `{operation}` wrapped around")),
            Err(e) => {
                let m = e.to_string();
                if !(m.contains("arithmetic overflow") && m.contains(&format!("`{operation}`"))) {
                    failures.push(format!("DataFusion: `{operation}`: not an overflow error naming it: {m}"));
                }
            }
        }
        for engine in &engines {
            let profile = engine.profile().name();
            match session.execute(&moved_into(&table, profile), &Params::new()).await {
                Ok(b) => failures.push(format!("{profile}: `{operation}` answered {b:?}")),
                Err(e) if is_overflow(&e.to_string()) => {}
                Err(e) => failures.push(format!("{profile}: `{operation}`: not an overflow error: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sums_are_exact_or_fail() {
    let engines = engines().await;
    let mut session = Session::new().with_cache(Cache::disabled());
    for e in &engines {
        session = session.with_backend(Arc::clone(e));
    }
    let t = extremes();
    // MAX + -1 + 1: the total fits.
    let fits = t.agg([col("big").sum().alias("total")]).expect("sum");
    // MAX + 1: the total does not fit.
    let past =
        t.filter(col("id").not_eq(lit(2i64))).expect("filter").agg([col("big").sum().alias("total")]).expect("sum");
    let expect_total = |b: &[RecordBatch]| -> i64 {
        let column = b[0].column(0).as_any().downcast_ref::<Int64Array>().expect("Int64 total");
        column.value(0)
    };
    let ours = session.execute(&fits, &Params::new()).await.expect("the total fits");
    assert_eq!(expect_total(&ours), i64::MAX);
    let e = session.execute(&past, &Params::new()).await.expect_err("the total does not fit");
    assert!(e.to_string().contains("arithmetic overflow in `sum(big)`"), "{e}");
    for engine in &engines {
        let profile = engine.profile().name();
        match session.execute(&moved_into(&past, profile), &Params::new()).await {
            Ok(b) => panic!("{profile}: a sum past the range answered {b:?}"),
            Err(e) => assert!(is_overflow(&e.to_string()), "{profile}: {e}"),
        }
        let got = session.execute(&moved_into(&fits, profile), &Params::new()).await;
        match (profile, got) {
            (_, Ok(b)) => assert_eq!(expect_total(&b), i64::MAX, "{profile}"),
            // SQLite's sum fails when a partial sum leaves the range, even if the total fits
            // (MAX + -1 + 1 in row order does not; MAX + 1 would): an error, never a wrong total.
            ("sqlite", Err(e)) if is_overflow(&e.to_string()) => {}
            (_, Err(e)) => panic!("{profile}: {e}"),
        }
    }
}
