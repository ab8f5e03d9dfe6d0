//! The value-changing coercions, end to end: a decimal next to float arithmetic, integers next to
//! decimals, unsigned next to signed, dates next to timestamps and text. Each query runs through
//! xorq's SQL front end and through DataFusion's SQL on the same Parquet file; rows and column
//! types must be equal (`Fixture::check`). The type rules themselves are compared pair by pair
//! with DataFusion's functions in `xorq-engines/tests/it/coercion.rs`.

use std::sync::Arc;

use arrow::array::{
    Date32Array, Decimal128Array, Float32Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray, UInt32Array, UInt64Array,
};

use crate::sql::Fixture;

fn numbers() -> RecordBatch {
    let price =
        Decimal128Array::from(vec![Some(5), Some(6), Some(7), Some(8), None, Some(-7), Some(123_456_789), Some(1)])
            .with_precision_and_scale(15, 2)
            .expect("valid decimal");
    let day = |d: i32| 19_700 + d;
    let micros = |d: i32, seconds: i64| (i64::from(day(d)) * 86_400 + seconds) * 1_000_000;
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7, 8])) as _),
        ("price", Arc::new(price) as _),
        (
            "amount",
            Arc::new(Float64Array::from(vec![0.05, 0.06, 0.07, 0.1, 1e9, -0.07, 1_234_567.89, 123_456.789])) as _,
        ),
        ("ratio", Arc::new(Float32Array::from(vec![0.5, 0.1, 1.5, -2.0, 16_777_217.0, 3.0, 0.25, 1.0])) as _),
        (
            "qty",
            Arc::new(Int32Array::from(vec![
                Some(1),
                Some(2),
                Some(i32::MAX),
                Some(-5),
                None,
                Some(0),
                Some(7),
                Some(3),
            ])) as _,
        ),
        ("big", Arc::new(Int64Array::from(vec![1, -1, i64::MAX, i64::MIN, 9_007_199_254_740_993, 0, 42, 2])) as _),
        ("ubig", Arc::new(UInt64Array::from(vec![1, 2, u64::MAX, 0, 9_223_372_036_854_775_808, 5, 42, 3])) as _),
        ("usmall", Arc::new(UInt32Array::from(vec![1, 2, u32::MAX, 0, 7, 5, 42, 3])) as _),
        ("day", Arc::new(Date32Array::from(vec![day(0), day(1), day(2), day(3), day(4), day(5), day(6), day(7)])) as _),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(vec![
                micros(0, 0),
                micros(1, 1),
                micros(1, 0),
                micros(4, 86_399),
                micros(3, 0),
                micros(6, 12),
                micros(7, 0),
                micros(7, 1),
            ])) as _,
        ),
        (
            "label",
            Arc::new(StringArray::from(vec![
                Some("2023-12-10"),
                Some("12"),
                Some("x"),
                None,
                Some("2024-01-01"),
                Some("7"),
                Some(""),
                Some("0.07"),
            ])) as _,
        ),
    ])
    .expect("valid batch")
}

#[tokio::test]
async fn decimal_meets_float_as_a_decimal() {
    let f = Fixture::with_table("numbers", &numbers()).await;
    // The reported wrong answer: float arithmetic on the bounds, compared as decimals.
    f.check("SELECT id FROM {numbers} WHERE price BETWEEN 0.06 - 0.01 AND 0.06 + 0.01", false).await;
    f.check("SELECT id FROM {numbers} WHERE price = 0.07 OR price > 1234567.88 OR price < -0.069", false).await;
    f.check("SELECT id FROM {numbers} WHERE price IN (0.05, 0.08, 1) OR price NOT IN (0.06, 0.07)", false).await;
    f.check("SELECT id, price = amount AS same, price < amount AS below FROM {numbers}", false).await;
    f.check("SELECT id, price * amount AS pa, price + 0.5 AS p5, price / 3 AS third FROM {numbers}", false).await;
    f.check("SELECT id FROM {numbers} WHERE price * 1.5 > 0.1", false).await;
}

#[tokio::test]
async fn integers_meet_decimals_and_each_other() {
    let f = Fixture::with_table("numbers", &numbers()).await;
    f.check("SELECT id, qty * price AS qp, 1 - price AS rest, price / qty AS per, big + price AS bp FROM {numbers} WHERE id <> 3 AND id <> 4", false).await;
    f.check("SELECT id FROM {numbers} WHERE qty > price OR big < price", false).await;
    f.check("SELECT id, qty + 1 AS next, qty * 2 AS twice, qty + 2147483647 AS wide FROM {numbers}", false).await;
    // Row 3 is `i64::MAX + u32::MAX`, which DataFusion wraps around and xorq refuses
    // (`overflow.rs`).
    f.check("SELECT id, ubig > big AS ub, usmall - qty AS uq, usmall + big AS ul FROM {numbers} WHERE id <> 3", false)
        .await;
    f.check("SELECT id FROM {numbers} WHERE ubig = big OR ubig > 9223372036854775807 OR usmall < qty", false).await;
    f.check("SELECT id, ratio * 2 AS r2, ratio + big AS rb, ratio > 0.1 AS gt FROM {numbers}", false).await;
    f.check("SELECT id FROM {numbers} WHERE big = 9007199254740992.0 OR amount = 1e18", false).await;
}

#[tokio::test]
async fn dates_meet_timestamps_and_text() {
    let f = Fixture::with_table("numbers", &numbers()).await;
    f.check("SELECT id FROM {numbers} WHERE day > '2023-12-11'", false).await;
    f.check("SELECT id FROM {numbers} WHERE ts >= '2023-12-11 00:00:01' AND ts < '2023-12-16'", false).await;
    f.check("SELECT id, day = ts AS same, day < ts AS before FROM {numbers}", false).await;
    f.check("SELECT id FROM {numbers} WHERE day IN ('2023-12-10', '2023-12-12') OR ts = day", false).await;
    f.check(
        "SELECT id, day - DATE '2023-12-01' AS days, ts - TIMESTAMP '2023-12-10 00:00:00' AS since FROM {numbers}",
        false,
    )
    .await;
}

#[tokio::test]
async fn unified_values_follow_datafusion() {
    let f = Fixture::with_table("numbers", &numbers()).await;
    f.check("SELECT id, CASE WHEN id < 3 THEN qty ELSE price END AS v FROM {numbers}", false).await;
    f.check(
        "SELECT id, CASE WHEN id < 3 THEN qty ELSE 0 END AS v, CASE WHEN id > 4 THEN amount END AS w FROM {numbers}",
        false,
    )
    .await;
    f.check("SELECT id, CASE WHEN id < 3 THEN 1 ELSE 'x' END AS mixed FROM {numbers}", false).await;
    f.check("SELECT id, coalesce(price, 0) AS p, coalesce(qty, big) AS q FROM {numbers}", false).await;
    f.check("SELECT qty AS v FROM {numbers} UNION ALL SELECT price FROM {numbers}", false).await;
    f.check("SELECT usmall AS v FROM {numbers} UNION SELECT qty FROM {numbers}", false).await;
}
