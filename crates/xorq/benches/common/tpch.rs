//! TPC-H pieces shared by the benches that run it (`crates/xorq/benches/tpch.rs` against
//! DataFusion, `crates/xorq-duckdb/benches/tpch.rs` against DuckDB), included by path: the
//! tables' generators, the queries written once with the builder API, the timing loop and the
//! result comparison. Only `xorq_core` and Arrow are used, so that the DuckDB crate, which does
//! not depend on the facade, can include it too.

// Each bench uses a part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::time::Duration;

use arrow::array::{Array, ArrayRef, Float64Array, RecordBatch, RecordBatchReader, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType as ArrowType;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{CustomerArrow, LineItemArrow, NationArrow, OrderArrow, RegionArrow, SupplierArrow};
use xorq_core::{Expr, JoinKind, Table, col, count_star, lit, lit_date};

/// The benches' error type: anything, across threads.
pub type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// Rows per generated batch: DataFusion's default batch size.
pub const BATCH_SIZE: usize = 8192;

/// The TPC-H tables the queries read, as xorq tables, engine tables or their data.
pub struct Tables<T> {
    pub lineitem: T,
    pub orders: T,
    pub customer: T,
    pub nation: T,
    pub region: T,
    pub supplier: T,
}

/// The table names, in the order [`Tables::try_from_fn`] visits them.
pub const TABLE_NAMES: [&str; 6] = ["lineitem", "orders", "customer", "nation", "region", "supplier"];

impl<T> Tables<T> {
    /// Builds each table from its name, in the order of [`TABLE_NAMES`].
    pub async fn try_from_fn(mut f: impl AsyncFnMut(&'static str) -> Res<T>) -> Res<Tables<T>> {
        Ok(Tables {
            lineitem: f("lineitem").await?,
            orders: f("orders").await?,
            customer: f("customer").await?,
            nation: f("nation").await?,
            region: f("region").await?,
            supplier: f("supplier").await?,
        })
    }

    pub fn try_map<U>(&self, f: impl Fn(&T) -> Res<U>) -> Res<Tables<U>> {
        Ok(Tables {
            lineitem: f(&self.lineitem)?,
            orders: f(&self.orders)?,
            customer: f(&self.customer)?,
            nation: f(&self.nation)?,
            region: f(&self.region)?,
            supplier: f(&self.supplier)?,
        })
    }
}

/// A generated table's batches, as a reader.
pub type Generator = Box<dyn RecordBatchReader + Send>;

/// Part `part` (1-based) of `parts` of the table `name` at scale factor `sf`.
pub fn generator(name: &str, sf: f64, part: i32, parts: i32) -> Res<Generator> {
    Ok(match name {
        "lineitem" => Box::new(LineItemArrow::new(LineItemGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "orders" => Box::new(OrderArrow::new(OrderGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "customer" => Box::new(CustomerArrow::new(CustomerGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "nation" => Box::new(NationArrow::new(NationGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "region" => Box::new(RegionArrow::new(RegionGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "supplier" => Box::new(SupplierArrow::new(SupplierGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        other => return Err(format!("no TPC-H table `{other}`; the tables are {}", TABLE_NAMES.join(", ")).into()),
    })
}

/// Collects the table `name`, split into `parts` parts generated on parallel threads.
pub fn generate(name: &str, sf: f64, parts: usize) -> Res<Vec<RecordBatch>> {
    // The small tables have a fixed size; splitting them gives nothing.
    let parts = if matches!(name, "nation" | "region") { 1 } else { i32::try_from(parts.max(1))? };
    let results: Vec<Res<Vec<RecordBatch>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=parts)
            .map(|part| s.spawn(move || Ok(generator(name, sf, part, parts)?.collect::<Result<Vec<_>, _>>()?)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a generator thread panicked".into()))).collect()
    });
    let mut batches = Vec::new();
    for r in results {
        batches.extend(r?);
    }
    Ok(batches)
}

fn revenue() -> Expr {
    col("l_extendedprice") * (lit(1) - col("l_discount"))
}

pub fn q1(t: &Tables<Table>) -> xorq_core::Result<Table> {
    t.lineitem
        .filter(col("l_shipdate").lt_eq(lit_date("1998-09-02")))?
        .group_by(["l_returnflag", "l_linestatus"])
        .agg([
            col("l_quantity").sum().alias("sum_qty"),
            col("l_extendedprice").sum().alias("sum_base_price"),
            revenue().sum().alias("sum_disc_price"),
            (revenue() * (lit(1) + col("l_tax"))).sum().alias("sum_charge"),
            col("l_quantity").mean().alias("avg_qty"),
            col("l_extendedprice").mean().alias("avg_price"),
            col("l_discount").mean().alias("avg_disc"),
            count_star().alias("count_order"),
        ])?
        .order_by(["l_returnflag", "l_linestatus"])
}

pub fn q3(t: &Tables<Table>) -> xorq_core::Result<Table> {
    let customer = t.customer.filter(col("c_mktsegment").eq(lit("BUILDING")))?;
    let orders = t.orders.filter(col("o_orderdate").lt(lit_date("1995-03-15")))?;
    let lineitem = t.lineitem.filter(col("l_shipdate").gt(lit_date("1995-03-15")))?;
    customer
        .join(&orders, JoinKind::Inner, [("c_custkey", "o_custkey")])?
        .join(&lineitem, JoinKind::Inner, [("o_orderkey", "l_orderkey")])?
        .group_by(["l_orderkey", "o_orderdate", "o_shippriority"])
        .agg([revenue().sum().alias("revenue")])?
        .select(["l_orderkey", "revenue", "o_orderdate", "o_shippriority"])?
        .order_by([col("revenue").desc(), col("o_orderdate").asc()])?
        .limit(10)
}

pub fn q5(t: &Tables<Table>) -> xorq_core::Result<Table> {
    let orders = t
        .orders
        .filter(col("o_orderdate").gt_eq(lit_date("1994-01-01")).and(col("o_orderdate").lt(lit_date("1995-01-01"))))?;
    let region = t.region.filter(col("r_name").eq(lit("ASIA")))?;
    t.customer
        .join(&orders, JoinKind::Inner, [("c_custkey", "o_custkey")])?
        .join(&t.lineitem, JoinKind::Inner, [("o_orderkey", "l_orderkey")])?
        .join(&t.supplier, JoinKind::Inner, [("l_suppkey", "s_suppkey"), ("c_nationkey", "s_nationkey")])?
        .join(&t.nation, JoinKind::Inner, [("s_nationkey", "n_nationkey")])?
        .join(&region, JoinKind::Inner, [("n_regionkey", "r_regionkey")])?
        .group_by(["n_name"])
        .agg([revenue().sum().alias("revenue")])?
        .order_by([col("revenue").desc()])
}

pub fn q6(t: &Tables<Table>) -> xorq_core::Result<Table> {
    t.lineitem
        .filter(
            col("l_shipdate")
                .gt_eq(lit_date("1994-01-01"))
                .and(col("l_shipdate").lt(lit_date("1995-01-01")))
                .and(col("l_discount").between(lit(0.05), lit(0.07)))
                .and(col("l_quantity").lt(lit(24))),
        )?
        .agg([(col("l_extendedprice") * col("l_discount")).sum().alias("revenue")])
}

pub fn q10(t: &Tables<Table>) -> xorq_core::Result<Table> {
    let orders = t
        .orders
        .filter(col("o_orderdate").gt_eq(lit_date("1993-10-01")).and(col("o_orderdate").lt(lit_date("1994-01-01"))))?;
    let lineitem = t.lineitem.filter(col("l_returnflag").eq(lit("R")))?;
    t.customer
        .join(&orders, JoinKind::Inner, [("c_custkey", "o_custkey")])?
        .join(&lineitem, JoinKind::Inner, [("o_orderkey", "l_orderkey")])?
        .join(&t.nation, JoinKind::Inner, [("c_nationkey", "n_nationkey")])?
        .group_by(["c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment"])
        .agg([revenue().sum().alias("revenue")])?
        .select(["c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment"])?
        .order_by([col("revenue").desc()])?
        .limit(20)
}

/// A query written with the builder API.
pub type Query = fn(&Tables<Table>) -> xorq_core::Result<Table>;

/// The queries the benches run, by name.
pub const QUERIES: [(&str, Query); 5] = [("Q1", q1), ("Q3", q3), ("Q5", q5), ("Q6", q6), ("Q10", q10)];

pub fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    match times.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => times[n / 2],
        n => (times[n / 2 - 1] + times[n / 2]) / 2,
    }
}

/// One run of one side: its timed part and the result.
pub type Run = Res<(Duration, Vec<RecordBatch>)>;

/// Medians of `runs` timed runs of both sides after one warm-up each, alternating which side goes
/// first so neither always runs on a warmer machine; with the last result of each side.
pub async fn time_pair(
    runs: usize,
    mut a: impl AsyncFnMut() -> Run,
    mut b: impl AsyncFnMut() -> Run,
) -> Res<[(Duration, Vec<RecordBatch>); 2]> {
    let (mut out_a, mut out_b) = (a().await?.1, b().await?.1);
    let (mut times_a, mut times_b) = (Vec::new(), Vec::new());
    for i in 0..runs {
        let ((ta, ra), (tb, rb)) = if i % 2 == 0 {
            let ra = a().await?;
            (ra, b().await?)
        } else {
            let rb = b().await?;
            (a().await?, rb)
        };
        times_a.push(ta);
        times_b.push(tb);
        (out_a, out_b) = (ra, rb);
    }
    Ok([(median(times_a), out_a), (median(times_b), out_b)])
}

/// A result value for comparison: numbers as floats (the sides may type decimals differently:
/// DuckDB's `SUM` of a decimal is a `DECIMAL(38, s)`, its `AVG` a `DOUBLE`), the rest as text.
#[derive(Debug, PartialEq)]
enum Cell {
    Num(f64),
    Text(Option<String>),
}

fn cells(batches: &[RecordBatch]) -> Res<Vec<Vec<Cell>>> {
    let mut rows = Vec::new();
    for batch in batches {
        let columns: Vec<ArrayRef> = batch
            .columns()
            .iter()
            .map(|c| cast(c, if c.data_type().is_numeric() { &ArrowType::Float64 } else { &ArrowType::Utf8 }))
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            let row = columns.iter().map(|c| {
                if let Some(f) = c.as_any().downcast_ref::<Float64Array>() {
                    Cell::Num(if f.is_null(i) { f64::NAN } else { f.value(i) })
                } else {
                    let s = c.as_any().downcast_ref::<StringArray>();
                    Cell::Text(s.filter(|s| s.is_valid(i)).map(|s| s.value(i).to_string()))
                }
            });
            rows.push(row.collect());
        }
    }
    Ok(rows)
}

/// Why the two results differ, if they do: row by row, numbers equal to `tolerance` relative
/// to the larger one.
pub fn difference(a: &[RecordBatch], b: &[RecordBatch], tolerance: f64) -> Res<Option<String>> {
    let (a, b) = (cells(a)?, cells(b)?);
    if a.len() != b.len() {
        return Ok(Some(format!("{} rows vs {} rows", a.len(), b.len())));
    }
    for (i, (ra, rb)) in a.iter().zip(&b).enumerate() {
        let same = ra.len() == rb.len()
            && ra.iter().zip(rb).all(|pair| match pair {
                (Cell::Num(x), Cell::Num(y)) => {
                    (x - y).abs() <= tolerance * x.abs().max(y.abs()).max(1.0) || (x.is_nan() && y.is_nan())
                }
                (x, y) => x == y,
            });
        if !same {
            return Ok(Some(format!("row {i}: {ra:?} vs {rb:?}")));
        }
    }
    Ok(None)
}

/// The environment variable `name` parsed, or `default` when it is unset.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Res<T> {
    match std::env::var(name) {
        Ok(v) => v.parse().map_err(|_| format!("{name}={v} is not a valid value").into()),
        Err(_) => Ok(default),
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
