//! Shared data and the comparison helper.

use std::sync::Arc;

use arrow::array::{
    Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;
use xorq::{CoreError, Params, Session, Table};
use xorq_engines::datafusion::{Lowering, ParamValues};

pub fn orders_batch() -> RecordBatch {
    let day = |d: i32| 19_700 + d;
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) as _),
        (
            "region",
            Arc::new(StringArray::from(vec![
                Some("EU"),
                Some("US"),
                Some("EU"),
                None,
                Some("APAC"),
                Some("US"),
                Some("EU"),
                Some("Zürich"),
                Some("US"),
                Some("EU"),
                Some("APAC"),
                None,
            ])) as _,
        ),
        (
            "amount",
            Arc::new(Float64Array::from(vec![
                Some(120.5),
                Some(80.0),
                Some(300.0),
                Some(55.25),
                None,
                Some(1000.0),
                Some(99.99),
                Some(150.0),
                Some(80.0),
                Some(-20.0),
                Some(300.0),
                Some(7.5),
            ])) as _,
        ),
        ("qty", Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])) as _),
        (
            "price",
            Arc::new(
                Decimal128Array::from(vec![
                    Some(1999),
                    Some(500),
                    None,
                    Some(25000),
                    Some(1),
                    Some(999),
                    Some(1234),
                    Some(4321),
                    Some(500),
                    Some(100),
                    Some(7777),
                    Some(88),
                ])
                .with_precision_and_scale(10, 2)
                .expect("valid decimal"),
            ) as _,
        ),
        (
            "day",
            Arc::new(Date32Array::from(vec![
                day(0),
                day(1),
                day(1),
                day(40),
                day(2),
                day(70),
                day(3),
                day(3),
                day(100),
                day(5),
                day(6),
                day(6),
            ])) as _,
        ),
        (
            "ts",
            Arc::new(
                TimestampMicrosecondArray::from(vec![
                    1_700_000_000_000_000i64,
                    1_700_000_360_000_000,
                    1_700_003_600_000_000,
                    1_700_090_000_000_000,
                    1_700_000_001_000_000,
                    1_701_000_000_000_000,
                    1_700_500_000_000_000,
                    1_700_000_000_500_000,
                    1_702_000_000_000_000,
                    1_700_000_060_000_000,
                    1_700_007_200_000_000,
                    1_700_000_000_000_001,
                ])
                .with_timezone("UTC"),
            ) as _,
        ),
        (
            "note",
            Arc::new(StringArray::from(vec![
                Some("  rush "),
                None,
                Some("gift"),
                Some("rush order"),
                Some(""),
                Some("résumé"),
                None,
                Some("gift wrap"),
                Some("RUSH"),
                Some("x"),
                Some("gift"),
                Some("日本"),
            ])) as _,
        ),
        (
            "customer_id",
            Arc::new(Int64Array::from(vec![
                Some(1),
                Some(2),
                Some(1),
                Some(3),
                Some(4),
                None,
                Some(2),
                Some(5),
                Some(9),
                Some(1),
                Some(3),
                Some(2),
            ])) as _,
        ),
    ])
    .expect("valid batch")
}

pub fn customers_batch() -> RecordBatch {
    RecordBatch::try_from_iter([
        ("customer_id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 6])) as _),
        ("name", Arc::new(StringArray::from(vec!["Ada", "Bo", "Cy", "Di", "Ed"])) as _),
        ("region", Arc::new(StringArray::from(vec![Some("EU"), Some("US"), None, Some("APAC"), Some("EU")])) as _),
        ("since", Arc::new(Date32Array::from(vec![19_690, 19_702, 19_800, 19_650, 19_700])) as _),
    ])
    .expect("valid batch")
}

pub struct Fixture {
    pub orders: Table,
    pub customers: Table,
    pub ctx: SessionContext,
}

pub fn fixture() -> Fixture {
    let ctx = SessionContext::new();
    ctx.register_batch("orders", orders_batch()).expect("register");
    ctx.register_batch("customers", customers_batch()).expect("register");
    Fixture {
        orders: Table::memtable(vec![orders_batch()]).expect("memtable"),
        customers: Table::memtable(vec![customers_batch()]).expect("memtable"),
        ctx,
    }
}

impl Fixture {
    pub async fn df(&self, name: &str) -> DataFrame {
        self.ctx.table(name).await.expect("registered table")
    }
}

/// Rows rendered as text, cell by cell.
pub fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for b in batches {
        let formatters: Vec<_> =
            b.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).expect("formattable")).collect();
        for r in 0..b.num_rows() {
            out.push(formatters.iter().map(|f| f.value(r).to_string()).collect::<Vec<_>>().join(" | "));
        }
    }
    out
}

/// Runs `ours` through xorq and `theirs` through DataFusion and compares the rows (as multisets
/// unless `ordered`), the column names, and checks the IR's types needed no conforming cast.
pub async fn assert_same(name: &str, ours: Result<Table, CoreError>, theirs: DataFrame, ordered: bool) {
    assert_same_with(name, ours, theirs, ordered, &Params::new()).await;
}

pub async fn assert_same_with(
    name: &str,
    ours: Result<Table, CoreError>,
    theirs: DataFrame,
    ordered: bool,
    params: &Params,
) {
    let ours = ours.unwrap_or_else(|e| panic!("{name}: expression does not build: {e}"));
    let values: ParamValues = params.resolve(&ours).expect("params");
    let mut lowering = Lowering::new(&values, 2);
    lowering.lower_table(&ours).unwrap_or_else(|e| panic!("{name}: lowering failed: {e}"));
    assert!(
        lowering.conformed_columns().is_empty(),
        "{name}: IR types differ from DataFusion's: {:?}",
        lowering.conformed_columns()
    );

    let got =
        Session::new().execute(&ours, params).await.unwrap_or_else(|e| panic!("{name}: xorq execution failed: {e}"));
    let want = theirs.collect().await.unwrap_or_else(|e| panic!("{name}: DataFusion failed: {e}"));
    let (mut got_rows, mut want_rows) = (rows(&got), rows(&want));
    if !ordered {
        got_rows.sort();
        want_rows.sort();
    }
    assert_eq!(got_rows, want_rows, "{name}: rows differ");
    if let (Some(g), Some(w)) = (got.first(), want.first()) {
        let names = |b: &RecordBatch| b.schema().fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
        assert_eq!(names(g), names(w), "{name}: column names differ");
    }
}
