//! TPC-H Q1, Q3, Q5, Q6 and Q10: xorq against hand-written DataFusion, on the same in-memory
//! data and the same `SessionContext`; plus building and hashing a 10,000-node expression.
//!
//! `cargo bench -p xorq --bench tpch` — environment: `TPCH_SF` (scale factor, default 1.0),
//! `TPCH_RUNS` (timed runs per query and side, default 5), `TPCH_EXPLAIN=1` (print both
//! optimized plans of every query).

#[path = "common/tpch.rs"]
mod tpch;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use datafusion::catalog::TableProvider;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use xorq::{Params, Session, Table};

use tpch::{Res, Tables, difference, env_or, median, ms, time_pair};

/// Nodes of the deep expression, and how many times it is built and hashed.
const DEEP_NODES: usize = 10_000;
const DEEP_RUNS: usize = 5;

/// The same queries, hand-written with DataFusion's DataFrame API.
mod df_queries {
    use std::sync::Arc;

    use arrow::compute::kernels::cast_utils::Parser;
    use arrow::datatypes::Date32Type;
    use datafusion::catalog::TableProvider;
    use datafusion::common::{JoinType, ScalarValue};
    use datafusion::error::Result;
    use datafusion::functions_aggregate::count::count_all;
    use datafusion::functions_aggregate::expr_fn::{avg, sum};
    use datafusion::logical_expr::Expr;
    use datafusion::prelude::{DataFrame, SessionContext, col, lit};

    use super::Tables;

    type Providers = Tables<Arc<dyn TableProvider>>;

    fn date(text: &str) -> Expr {
        // The queries only use valid constant dates.
        lit(ScalarValue::Date32(Some(Date32Type::parse(text).expect("a valid YYYY-MM-DD date"))))
    }

    /// A `Decimal128(15, 2)` constant given in hundredths, the type of TPC-H's money columns.
    fn cents(hundredths: i128) -> Expr {
        lit(ScalarValue::Decimal128(Some(hundredths), 15, 2))
    }

    fn revenue() -> Expr {
        col("l_extendedprice") * (lit(1) - col("l_discount"))
    }

    fn read(ctx: &SessionContext, table: &Arc<dyn TableProvider>) -> Result<DataFrame> {
        ctx.read_table(Arc::clone(table))
    }

    pub fn q1(ctx: &SessionContext, t: &Providers) -> Result<DataFrame> {
        read(ctx, &t.lineitem)?
            .filter(col("l_shipdate").lt_eq(date("1998-09-02")))?
            .aggregate(
                vec![col("l_returnflag"), col("l_linestatus")],
                vec![
                    sum(col("l_quantity")).alias("sum_qty"),
                    sum(col("l_extendedprice")).alias("sum_base_price"),
                    sum(revenue()).alias("sum_disc_price"),
                    sum(revenue() * (lit(1) + col("l_tax"))).alias("sum_charge"),
                    avg(col("l_quantity")).alias("avg_qty"),
                    avg(col("l_extendedprice")).alias("avg_price"),
                    avg(col("l_discount")).alias("avg_disc"),
                    count_all().alias("count_order"),
                ],
            )?
            .sort(vec![col("l_returnflag").sort(true, false), col("l_linestatus").sort(true, false)])
    }

    pub fn q3(ctx: &SessionContext, t: &Providers) -> Result<DataFrame> {
        let customer = read(ctx, &t.customer)?.filter(col("c_mktsegment").eq(lit("BUILDING")))?;
        let orders = read(ctx, &t.orders)?.filter(col("o_orderdate").lt(date("1995-03-15")))?;
        let lineitem = read(ctx, &t.lineitem)?.filter(col("l_shipdate").gt(date("1995-03-15")))?;
        customer
            .join(orders, JoinType::Inner, &["c_custkey"], &["o_custkey"], None)?
            .join(lineitem, JoinType::Inner, &["o_orderkey"], &["l_orderkey"], None)?
            .aggregate(
                vec![col("l_orderkey"), col("o_orderdate"), col("o_shippriority")],
                vec![sum(revenue()).alias("revenue")],
            )?
            .select(vec![col("l_orderkey"), col("revenue"), col("o_orderdate"), col("o_shippriority")])?
            .sort(vec![col("revenue").sort(false, false), col("o_orderdate").sort(true, false)])?
            .limit(0, Some(10))
    }

    pub fn q5(ctx: &SessionContext, t: &Providers) -> Result<DataFrame> {
        let orders = read(ctx, &t.orders)?
            .filter(col("o_orderdate").gt_eq(date("1994-01-01")).and(col("o_orderdate").lt(date("1995-01-01"))))?;
        let region = read(ctx, &t.region)?.filter(col("r_name").eq(lit("ASIA")))?;
        read(ctx, &t.customer)?
            .join(orders, JoinType::Inner, &["c_custkey"], &["o_custkey"], None)?
            .join(read(ctx, &t.lineitem)?, JoinType::Inner, &["o_orderkey"], &["l_orderkey"], None)?
            .join(
                read(ctx, &t.supplier)?,
                JoinType::Inner,
                &["l_suppkey", "c_nationkey"],
                &["s_suppkey", "s_nationkey"],
                None,
            )?
            .join(read(ctx, &t.nation)?, JoinType::Inner, &["s_nationkey"], &["n_nationkey"], None)?
            .join(region, JoinType::Inner, &["n_regionkey"], &["r_regionkey"], None)?
            .aggregate(vec![col("n_name")], vec![sum(revenue()).alias("revenue")])?
            .sort(vec![col("revenue").sort(false, false)])
    }

    pub fn q6(ctx: &SessionContext, t: &Providers) -> Result<DataFrame> {
        read(ctx, &t.lineitem)?
            .filter(
                col("l_shipdate")
                    .gt_eq(date("1994-01-01"))
                    .and(col("l_shipdate").lt(date("1995-01-01")))
                    .and(col("l_discount").between(cents(5), cents(7)))
                    .and(col("l_quantity").lt(lit(24))),
            )?
            .aggregate(vec![], vec![sum(col("l_extendedprice") * col("l_discount")).alias("revenue")])
    }

    pub fn q10(ctx: &SessionContext, t: &Providers) -> Result<DataFrame> {
        let orders = read(ctx, &t.orders)?
            .filter(col("o_orderdate").gt_eq(date("1993-10-01")).and(col("o_orderdate").lt(date("1994-01-01"))))?;
        let lineitem = read(ctx, &t.lineitem)?.filter(col("l_returnflag").eq(lit("R")))?;
        let keys = ["c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment"];
        read(ctx, &t.customer)?
            .join(orders, JoinType::Inner, &["c_custkey"], &["o_custkey"], None)?
            .join(lineitem, JoinType::Inner, &["o_orderkey"], &["l_orderkey"], None)?
            .join(read(ctx, &t.nation)?, JoinType::Inner, &["c_nationkey"], &["n_nationkey"], None)?
            .aggregate(keys.iter().map(|k| col(*k)).collect(), vec![sum(revenue()).alias("revenue")])?
            .select(
                ["c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment"].map(col),
            )?
            .sort(vec![col("revenue").sort(false, false)])?
            .limit(0, Some(20))
    }
}

type DfQuery = fn(&SessionContext, &Tables<Arc<dyn TableProvider>>) -> datafusion::error::Result<DataFrame>;

/// The hand-written DataFusion side of each of the shared queries, in [`tpch::QUERIES`]' order.
const DF_QUERIES: [DfQuery; 5] = [df_queries::q1, df_queries::q3, df_queries::q5, df_queries::q6, df_queries::q10];

/// Prints both optimized logical plans and physical plans, and how long each side takes to plan
/// (xorq: lowering, optimizing and physical planning; DataFusion: optimizing and physical
/// planning of a built frame).
async fn explain(
    ctx: &SessionContext,
    session: &Session,
    name: &str,
    table: &Table,
    frame: impl Fn() -> Res<DataFrame>,
) -> Res<()> {
    let xorq_plan = ctx.state().optimize(&session.logical_plan(table, &Params::new())?)?;
    let xorq_physical = ctx.state().create_physical_plan(&session.logical_plan(table, &Params::new())?).await?;
    let df_physical = frame()?.create_physical_plan().await?;
    println!("--- {name} xorq\n{}\n{}", xorq_plan.display_indent(), displayable(xorq_physical.as_ref()).indent(true));
    let df_plan = frame()?.into_optimized_plan()?;
    println!("--- {name} DataFusion\n{}\n{}", df_plan.display_indent(), displayable(df_physical.as_ref()).indent(true));
    let (mut lower_times, mut xorq_times, mut df_times) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..20 {
        let start = Instant::now();
        black_box(session.logical_plan(table, &Params::new())?);
        lower_times.push(start.elapsed());
        let start = Instant::now();
        black_box(ctx.state().create_physical_plan(&session.logical_plan(table, &Params::new())?).await?);
        xorq_times.push(start.elapsed());
        let built = frame()?;
        let start = Instant::now();
        black_box(built.create_physical_plan().await?);
        df_times.push(start.elapsed());
    }
    let (lower, xorq, df) = (ms(median(lower_times)), ms(median(xorq_times)), ms(median(df_times)));
    println!("--- {name} planning: xorq {xorq:.2} ms (lowering {lower:.2} ms), DataFusion {df:.2} ms\n");
    Ok(())
}

/// Median build and address times of a chain of `nodes` alternating `mutate` and `filter` over
/// a small memtable.
fn deep_expression(nodes: usize, runs: usize) -> Res<(Duration, Duration)> {
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        ("b", Arc::new(Int64Array::from(vec![4, 5, 6])) as ArrayRef),
    ])?;
    let base = Table::memtable(vec![batch])?;
    let (mut build, mut hash) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let start = Instant::now();
        let mut t = base.clone();
        for i in 0..i64::try_from(nodes / 2)? {
            t = t.mutate([(xorq::col("a") + xorq::col("b")).alias("a")])?;
            t = t.filter(xorq::col("a").gt(xorq::lit(i)))?;
        }
        build.push(start.elapsed());
        let start = Instant::now();
        black_box(t.address());
        hash.push(start.elapsed());
    }
    Ok((median(build), median(hash)))
}

#[tokio::main]
async fn main() -> Res<()> {
    let sf: f64 = env_or("TPCH_SF", 1.0)?;
    let runs: usize = env_or("TPCH_RUNS", 5)?;
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    let start = Instant::now();
    let data = Tables::try_from_fn(async |name| tpch::generate(name, sf, cores)).await?;
    let generated = start.elapsed();
    let start = Instant::now();
    let xorq_tables = data.try_map(|b| Ok(Table::memtable(b.clone())?))?;
    let hashed = start.elapsed();
    let df_tables = data.try_map(|b| {
        let schema = b.first().ok_or("a table without batches")?.schema();
        let provider: Arc<dyn TableProvider> =
            Arc::new(xorq_engines::datafusion::partitioned_memtable(schema, b, cores)?);
        Ok(provider)
    })?;
    let lineitem_rows: usize = data.lineitem.iter().map(RecordBatch::num_rows).sum();
    println!(
        "TPC-H SF {sf}: {lineitem_rows} lineitem rows generated in {:.1} s, memtables hashed in {:.1} s; \
         {cores} partitions, median of {runs} runs after a warm-up",
        generated.as_secs_f64(),
        hashed.as_secs_f64()
    );

    let ctx = SessionContext::new_with_config(SessionConfig::new().with_target_partitions(cores));
    let session = Session::from_context(ctx.clone());
    let params = Params::new();
    let show_plans = std::env::var("TPCH_EXPLAIN").is_ok_and(|v| v == "1");

    println!("\n{:<6} {:>5} {:>10} {:>16} {:>9}", "query", "rows", "xorq ms", "DataFusion ms", "xorq/DF");
    for ((name, xorq_query), df_query) in tpch::QUERIES.into_iter().zip(DF_QUERIES) {
        let table = xorq_query(&xorq_tables)?;
        if show_plans {
            explain(&ctx, &session, name, &table, || Ok(df_query(&ctx, &df_tables)?)).await?;
        }
        let [(xorq_time, xorq_out), (df_time, df_out)] = time_pair(
            runs,
            async || {
                let start = Instant::now();
                let out = session.execute(&table, &params).await?;
                Ok((start.elapsed(), out))
            },
            async || {
                let frame = df_query(&ctx, &df_tables)?;
                let start = Instant::now();
                let out = frame.collect().await?;
                Ok((start.elapsed(), out))
            },
        )
        .await?;
        let ratio = xorq_time.as_secs_f64() / df_time.as_secs_f64();
        let flag = if ratio > 1.05 { "  (above 1.05)" } else { "" };
        let rows: usize = xorq_out.iter().map(RecordBatch::num_rows).sum();
        println!("{name:<6} {rows:>5} {:>10.1} {:>16.1} {ratio:>9.3}{flag}", ms(xorq_time), ms(df_time));
        if let Some(why) = difference(&xorq_out, &df_out, 1e-9)? {
            println!("WARNING: {name} results differ: {why}");
        }
    }

    let (build, hash) = deep_expression(DEEP_NODES, DEEP_RUNS)?;
    println!(
        "\n{DEEP_NODES}-node expression (median of {DEEP_RUNS}): build {:.1} ms, hash {:.1} ms (target < 50 ms each)",
        ms(build),
        ms(hash)
    );
    Ok(())
}
