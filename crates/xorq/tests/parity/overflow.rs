//! Integer overflow through the SQL front end: where DataFusion wraps around, xorq fails naming
//! the operation (a deliberate difference, see the README); wherever the result fits, xorq's
//! answer is DataFusion's, sums and windowed sums included (their partial sums may leave the
//! range: only the total is checked).

use std::sync::Arc;

use arrow::array::{Int32Array, Int64Array, RecordBatch};
use xorq::{Params, Session, SqlOptions};

use crate::sql::Fixture;

fn extremes() -> RecordBatch {
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])) as _),
        ("big", Arc::new(Int64Array::from(vec![i64::MAX, -1, 1, i64::MIN, 2])) as _),
        ("small", Arc::new(Int32Array::from(vec![i32::MAX, 1, -1, i32::MIN, 0])) as _),
    ])
    .expect("valid batch")
}

/// Runs `sql` through xorq and returns its error message; panics if it answers.
async fn error_of(f: &Fixture, sql: &str) -> String {
    let sql = sql.replace("{t}", "read_parquet('t.parquet')");
    let table = xorq::sql_to_table_with(&sql, &xorq::NoBackends, &SqlOptions::with_base_dir(f.dir()))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    match Session::new().execute(&table, &Params::new()).await {
        Ok(b) => panic!("{sql}: answered {b:?} past the range"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn overflow_fails_naming_the_operation() {
    let f = Fixture::with_table("t", &extremes()).await;
    for (sql, operation) in [
        ("SELECT big + 1 AS x FROM {t}", "(big + 1)"),
        ("SELECT big - 1 AS x FROM {t} WHERE id = 4", "(big - 1)"),
        ("SELECT big * 3 AS x FROM {t}", "(big * 3)"),
        ("SELECT -big AS x FROM {t}", "-big"),
        ("SELECT big / -1 AS x FROM {t}", "(big DIV -1)"),
        ("SELECT small + small AS x FROM {t}", "(small + small)"),
        ("SELECT sum(big) AS s FROM {t} WHERE id IN (1, 3)", "sum(big)"),
        (
            "SELECT id, sum(big) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s FROM {t} WHERE id <> 2",
            "sum(big)",
        ),
    ] {
        let message = error_of(&f, sql).await;
        assert!(message.contains(&format!("arithmetic overflow in `{operation}`")), "{sql}: {message}");
    }
    let message = error_of(&f, "SELECT 1 / (big - big) AS x FROM {t}").await;
    assert!(message.contains("division by zero in `(1 DIV (big - big))`"), "{message}");
}

#[tokio::test]
async fn results_in_range_are_datafusions() {
    let f = Fixture::with_table("t", &extremes()).await;
    // MAX + -1 + 1 + MIN + 2: partial sums leave the range in row order, the total fits.
    f.check("SELECT sum(big) AS s, sum(small) AS ss, sum(DISTINCT big) AS sd FROM {t}", false).await;
    f.check("SELECT id < 4 AS g, sum(big) AS s FROM {t} GROUP BY id < 4", false).await;
    f.check("SELECT id, sum(big) OVER (ORDER BY id) AS running FROM {t}", true).await;
    f.check("SELECT id, sum(big) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM {t}", true)
        .await;
    f.check("SELECT id, big - 1 AS a, big + 1 AS b, -big AS c FROM {t} WHERE id IN (2, 3, 5)", false).await;
    f.check("SELECT id, small * 2 AS a, small - 1 AS b FROM {t} WHERE id IN (2, 3, 5)", false).await;
}
