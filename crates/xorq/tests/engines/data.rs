//! The rows every engine runs the corpus over: nulls in every nullable column, unicode and
//! empty strings, an integer above 2^53 (lost by any engine that goes through doubles),
//! decimals, dates, and instants with a time zone. Per region, days and instants are unique,
//! so windows and first/last have one right answer.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use xorq::plan::SourceKind;
use xorq::{RelOp, Source, Table};

use super::common;

const REGIONS: [Option<&str>; 6] = [Some("EU"), Some("US"), Some("APAC"), Some("Zürich"), Some("東京"), None];
const NOTES: [&str; 5] = ["rush order", "", "gift — wrap it", "RUSH", "naïve café"];

pub fn sales_batch() -> RecordBatch {
    let n = 48usize;
    let ids: Vec<i64> = (0..n as i64).map(|i| if i == 7 { 9_007_199_254_740_993 } else { 1000 + i }).collect();
    let region: Vec<Option<&str>> = (0..n).map(|i| REGIONS[i % REGIONS.len()]).collect();
    let amount: Vec<Option<f64>> = (0..n)
        .map(|i| if i % 11 == 5 { None } else { Some(((i * 37) % 2000) as f64 + 0.25 * (i % 4) as f64) })
        .collect();
    let qty: Vec<Option<i32>> = (0..n).map(|i| if i % 13 == 12 { None } else { Some((i % 10) as i32) }).collect();
    let price: Vec<Option<i128>> =
        (0..n).map(|i| if i == 3 { None } else { Some(((i * 731) % 5000) as i128 + 99) }).collect();
    // 2024-01-01 is day 19723 since the epoch; one day per row keeps days unique per region.
    let day: Vec<Option<i32>> = (0..n).map(|i| if i == 9 { None } else { Some(19723 + i as i32 * 5) }).collect();
    let ts: Vec<Option<i64>> =
        (0..n).map(|i| if i == 10 { None } else { Some(1_704_067_200_000_000 + i as i64 * 36_000_123_456) }).collect();
    let customer: Vec<Option<i64>> = (0..n).map(|i| if i % 9 == 8 { None } else { Some((i % 12) as i64) }).collect();
    let note: Vec<Option<&str>> = (0..n).map(|i| if i == 2 { None } else { Some(NOTES[i % NOTES.len()]) }).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(region)),
        Arc::new(Float64Array::from(amount)),
        Arc::new(Int32Array::from(qty)),
        Arc::new(Decimal128Array::from(price).with_precision_and_scale(15, 2).expect("valid decimal")),
        Arc::new(Date32Array::from(day)),
        Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        Arc::new(Int64Array::from(customer)),
        Arc::new(StringArray::from(note)),
    ];
    RecordBatch::try_new(Arc::new(common::sales_schema().to_arrow()), columns).expect("sales rows")
}

pub fn customers_batch(schema: &xorq::Schema) -> RecordBatch {
    let ids: Vec<i64> = (3..15).collect();
    let names: Vec<Option<&str>> = ids
        .iter()
        .map(|i| if *i == 5 { None } else { Some(["Ada", "Bó", "Chen", "Dana"][(*i as usize) % 4]) })
        .collect();
    let region: Vec<Option<&str>> = ids.iter().map(|i| REGIONS[(*i as usize + 1) % REGIONS.len()]).collect();
    let since: Vec<Option<i32>> = ids.iter().map(|i| Some(19700 + *i as i32 * 13)).collect();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(names)),
        Arc::new(StringArray::from(region)),
        Arc::new(Date32Array::from(since)),
    ];
    RecordBatch::try_new(Arc::new(schema.to_arrow()), columns).expect("customer rows")
}

/// The corpus with its file and backend sources replaced by these rows.
pub fn corpus() -> Vec<(&'static str, Table)> {
    let sales = Table::memtable_with_schema(common::sales_schema(), vec![sales_batch()]).expect("sales");
    let customers_schema = common::customers().schema().clone();
    let customers = Table::memtable_with_schema(customers_schema.clone(), vec![customers_batch(&customers_schema)])
        .expect("customers");
    corpus_over(&sales, &customers)
}

/// The corpus with its file and backend sources replaced by `sales` and `customers` (tables of
/// one source each, with these rows: in memory, or files a cluster reads).
pub fn corpus_over(sales: &Table, customers: &Table) -> Vec<(&'static str, Table)> {
    let source_of = |t: &Table| match t.node().op() {
        RelOp::Source(s) => s.clone(),
        _ => unreachable!("a memtable is a source"),
    };
    let (sales_source, customers_source) = (source_of(sales), source_of(customers));
    let mut out: Vec<(&'static str, Table)> = common::corpus::corpus()
        .into_iter()
        .map(|(name, table)| {
            let table = table.unwrap_or_else(|e| panic!("corpus entry `{name}` does not build: {e}"));
            let node = xorq::plan::rewrite::map_sources::<xorq::CoreError>(table.node(), |s: &Source| {
                Ok(match &s.kind {
                    SourceKind::Memtable(_) => None,
                    _ if s.schema == sales_source.schema => Some(sales_source.clone()),
                    _ if s.schema == customers_source.schema => Some(customers_source.clone()),
                    _ => panic!("corpus entry `{name}` reads a source of an unknown shape"),
                })
            })
            .expect("same schemas");
            (name, Table::from_node(node))
        })
        .collect();
    // Filters under both sides of nested and outer joins: each stays inside its side in SQL.
    let filtered_join = || -> xorq::Result<Table, xorq::CoreError> {
        let c = customers.filter(xorq::col("region").is_not_null())?;
        let s = sales.filter(xorq::col("amount").gt(xorq::lit(500)))?;
        let joined = c.join(&s, xorq::JoinKind::Left, ["customer_id"])?;
        let again = customers.filter(xorq::col("name").is_not_null())?.select(["customer_id", "since"])?;
        joined.join(&again, xorq::JoinKind::Inner, ["customer_id"])?.select(["name", "amount", "since_right"])
    };
    out.push(("join_filtered_sides", filtered_join().expect("valid")));
    out
}
