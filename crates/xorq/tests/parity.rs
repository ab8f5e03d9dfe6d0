//! Results on DataFusion equal what DataFusion gives for the same query written directly with its
//! DataFrame API, for every relational operation and function family; and the IR's types agree
//! with DataFusion's (no column needed a cast to conform).

use std::sync::Arc;

use arrow::array::{
    Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::JoinType;
use datafusion::dataframe::DataFrame;
use datafusion::functions::expr_fn as dff;
use datafusion::functions_aggregate::expr_fn as dfa;
use datafusion::functions_window::expr_fn as dfw;
use datafusion::logical_expr::{
    ExprFunctionExt, WindowFrame, WindowFrameBound, WindowFrameUnits, cast, lit as dlit, when as dwhen,
};
use datafusion::prelude::{SessionContext, col as dcol};
use datafusion::scalar::ScalarValue;
use xorq::prelude::*;
use xorq::{CoreError, Params, Session, concat};
use xorq_engines::datafusion::{Lowering, ParamValues};

fn orders_batch() -> RecordBatch {
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

fn customers_batch() -> RecordBatch {
    RecordBatch::try_from_iter([
        ("customer_id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 6])) as _),
        ("name", Arc::new(StringArray::from(vec!["Ada", "Bo", "Cy", "Di", "Ed"])) as _),
        ("region", Arc::new(StringArray::from(vec![Some("EU"), Some("US"), None, Some("APAC"), Some("EU")])) as _),
        ("since", Arc::new(Date32Array::from(vec![19_690, 19_702, 19_800, 19_650, 19_700])) as _),
    ])
    .expect("valid batch")
}

struct Fixture {
    orders: Table,
    customers: Table,
    ctx: SessionContext,
}

fn fixture() -> Fixture {
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
    async fn df(&self, name: &str) -> DataFrame {
        self.ctx.table(name).await.expect("registered table")
    }
}

/// Rows rendered as text, cell by cell.
fn rows(batches: &[RecordBatch]) -> Vec<String> {
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
async fn assert_same(name: &str, ours: Result<Table, CoreError>, theirs: DataFrame, ordered: bool) {
    assert_same_with(name, ours, theirs, ordered, &Params::new()).await;
}

async fn assert_same_with(
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

#[tokio::test]
async fn filter_select_mutate_drop_rename() {
    let f = fixture();
    let o = &f.orders;
    assert_same(
        "filter",
        o.filter(col("amount").gt(lit(100)).and(col("region").eq(lit("EU")))),
        f.df("orders").await.filter(dcol("amount").gt(dlit(100.0)).and(dcol("region").eq(dlit("EU")))).expect("df"),
        false,
    )
    .await;
    assert_same(
        "filter or / not / is_null",
        o.filter(col("region").is_null().or(col("qty").gt(lit(10)).not())),
        f.df("orders").await.filter(dcol("region").is_null().or(!dcol("qty").gt(dlit(10)))).expect("df"),
        false,
    )
    .await;
    assert_same(
        "select arithmetic",
        o.select([
            col("id"),
            (col("amount") * lit(2) - col("qty")).alias("x"),
            (col("qty") / lit(4)).alias("ratio"),
            col("qty").int_div(lit(4)).alias("q4"),
            (col("qty") % lit(3)).alias("m3"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                (dcol("amount") * dlit(2.0) - cast(dcol("qty"), arrow::datatypes::DataType::Float64)).alias("x"),
                (cast(dcol("qty"), arrow::datatypes::DataType::Float64) / dlit(4.0)).alias("ratio"),
                (dcol("qty") / dlit(4i32)).alias("q4"),
                (dcol("qty") % dlit(3i32)).alias("m3"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "decimal arithmetic",
        o.select([
            col("id"),
            (col("price") * (lit(1) - col("price"))).alias("p"),
            (col("price") + col("price")).alias("s"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                (dcol("price") * (dlit(ScalarValue::Decimal128(Some(100), 10, 2)) - dcol("price"))).alias("p"),
                (dcol("price") + dcol("price")).alias("s"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "mutate replaces in place and appends",
        o.mutate([(col("qty") + lit(1)).alias("qty"), col("amount").is_not_null().alias("has_amount")]),
        f.df("orders")
            .await
            .with_column("qty", dcol("qty") + dlit(1i32))
            .expect("df")
            .with_column("has_amount", dcol("amount").is_not_null())
            .expect("df"),
        false,
    )
    .await;
    assert_same("drop", o.drop(["note", "ts"]), f.df("orders").await.drop_columns(&["note", "ts"]).expect("df"), false)
        .await;
    assert_same(
        "rename",
        o.rename([("amount", "value")]),
        f.df("orders").await.with_column_renamed("amount", "value").expect("df"),
        false,
    )
    .await;
}

#[tokio::test]
async fn aggregates() {
    let f = fixture();
    let o = &f.orders;
    assert_same(
        "group_by agg",
        o.group_by(["region"]).agg([
            col("amount").sum().alias("total"),
            col("amount").mean().alias("avg"),
            col("amount").min().alias("lo"),
            col("amount").max().alias("hi"),
            col("amount").count().alias("n"),
            count_star().alias("rows"),
            col("customer_id").count_distinct().alias("customers"),
            col("price").sum().alias("revenue"),
            col("qty").sum().alias("units"),
        ]),
        f.df("orders")
            .await
            .aggregate(
                vec![dcol("region")],
                vec![
                    dfa::sum(dcol("amount")).alias("total"),
                    dfa::avg(dcol("amount")).alias("avg"),
                    dfa::min(dcol("amount")).alias("lo"),
                    dfa::max(dcol("amount")).alias("hi"),
                    dfa::count(dcol("amount")).alias("n"),
                    dfa::count(dlit(1i64)).alias("rows"),
                    dfa::count_distinct(dcol("customer_id")).alias("customers"),
                    dfa::sum(dcol("price")).alias("revenue"),
                    dfa::sum(dcol("qty")).alias("units"),
                ],
            )
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "std/var rounded",
        o.group_by(["region"])
            .agg([col("amount").std().round(6).alias("sd"), col("amount").var_pop().round(6).alias("vp")]),
        f.df("orders")
            .await
            .aggregate(
                vec![dcol("region")],
                vec![dfa::stddev(dcol("amount")).alias("sd"), dfa::var_pop(dcol("amount")).alias("vp")],
            )
            .expect("df")
            .select(vec![
                dcol("region"),
                dff::round(vec![dcol("sd"), dlit(6i64)]).alias("sd"),
                dff::round(vec![dcol("vp"), dlit(6i64)]).alias("vp"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "global aggregate with arithmetic over aggregates",
        o.agg([(col("amount").sum() / count_star()).alias("avg_all"), col("qty").max().alias("max_qty")]),
        f.df("orders")
            .await
            .aggregate(
                vec![],
                vec![
                    dfa::sum(dcol("amount")).alias("s"),
                    dfa::count(dlit(1i64)).alias("c"),
                    dfa::max(dcol("qty")).alias("max_qty"),
                ],
            )
            .expect("df")
            .select(vec![
                (dcol("s") / cast(dcol("c"), arrow::datatypes::DataType::Float64)).alias("avg_all"),
                dcol("max_qty"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "group by an expression; first/last in order",
        o.group_by([col("day").month().alias("month")]).agg([
            col("id").first().order_by([col("ts")]).alias("first_id"),
            col("id").last().order_by([col("ts")]).alias("last_id"),
        ]),
        f.df("orders")
            .await
            .aggregate(
                vec![dff::date_part(dlit("month"), dcol("day")).alias("month")],
                vec![
                    dfa::first_value(dcol("id"), vec![dcol("ts").sort(true, false)]).alias("first_id"),
                    dfa::last_value(dcol("id"), vec![dcol("ts").sort(true, false)]).alias("last_id"),
                ],
            )
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "approx quantile",
        o.agg([col("amount").approx_quantile(0.5).alias("median")]),
        f.df("orders")
            .await
            .aggregate(
                vec![],
                vec![dfa::approx_percentile_cont(dcol("amount").sort(true, false), dlit(0.5), None).alias("median")],
            )
            .expect("df"),
        false,
    )
    .await;
}

#[tokio::test]
async fn joins() {
    let f = fixture();
    let (o, c) = (&f.orders, &f.customers);
    let cases = [
        (JoinKind::Inner, JoinType::Inner),
        (JoinKind::Left, JoinType::Left),
        (JoinKind::Right, JoinType::Right),
        (JoinKind::Outer, JoinType::Full),
    ];
    for (ours, theirs) in cases {
        let name = format!("{ours:?} join");
        let joined = o
            .join(c, ours, ["customer_id"])
            .and_then(|t| t.select(["id", "customer_id", "region", "name", "region_right"]));
        let key = if ours == JoinKind::Right { "r.customer_id" } else { "l.customer_id" };
        let df = f
            .df("orders")
            .await
            .alias("l")
            .expect("alias")
            .join(f.df("customers").await.alias("r").expect("alias"), theirs, &["customer_id"], &["customer_id"], None)
            .expect("df");
        let expected = if ours == JoinKind::Outer {
            // Outer joins keep both keys: compare with the left one.
            o.join(c, ours, ["customer_id"])
                .and_then(|t| t.select(["id", "customer_id", "region", "name", "region_right", "customer_id_right"]))
        } else {
            joined
        };
        let mut cols = vec![
            dcol("l.id").alias("id"),
            dcol(key).alias("customer_id"),
            dcol("l.region").alias("region"),
            dcol("r.name").alias("name"),
            dcol("r.region").alias("region_right"),
        ];
        if ours == JoinKind::Outer {
            cols[1] = dcol("l.customer_id").alias("customer_id");
            cols.push(dcol("r.customer_id").alias("customer_id_right"));
        }
        assert_same(&name, expected, df.select(cols).expect("df"), false).await;
    }
    for (ours, theirs) in [(JoinKind::Semi, JoinType::LeftSemi), (JoinKind::Anti, JoinType::LeftAnti)] {
        assert_same(
            &format!("{ours:?} join"),
            o.join(c, ours, ["customer_id"]),
            f.df("orders")
                .await
                .join(
                    f.df("customers")
                        .await
                        .select_columns(&["customer_id"])
                        .expect("df")
                        .with_column_renamed("customer_id", "cid")
                        .expect("df"),
                    theirs,
                    &["customer_id"],
                    &["cid"],
                    None,
                )
                .expect("df"),
            false,
        )
        .await;
    }
    assert_same(
        "join with keys and a predicate",
        o.join_where(
            c,
            JoinKind::Inner,
            ["customer_id"],
            col("day").gt_eq(col("since")).and(lcol("region").eq(rcol("region"))),
        )
        .and_then(|t| t.select(["id", "name"])),
        f.df("orders")
            .await
            .alias("l")
            .expect("alias")
            .join(
                f.df("customers").await.alias("r").expect("alias"),
                JoinType::Inner,
                &["customer_id"],
                &["customer_id"],
                Some(dcol("l.day").gt_eq(dcol("r.since")).and(dcol("l.region").eq(dcol("r.region")))),
            )
            .expect("df")
            .select(vec![dcol("l.id").alias("id"), dcol("r.name").alias("name")])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "cross join",
        o.select(["id"]).and_then(|l| l.cross_join(&c.select(["name"])?)),
        f.df("orders")
            .await
            .select_columns(&["id"])
            .expect("df")
            .join(f.df("customers").await.select_columns(&["name"]).expect("df"), JoinType::Inner, &[], &[], None)
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "self join",
        o.join(o, JoinKind::Inner, [("customer_id", "customer_id")]).and_then(|t| t.select(["id", "id_right"])),
        f.df("orders")
            .await
            .alias("l")
            .expect("alias")
            .join(
                f.df("orders").await.alias("r").expect("alias"),
                JoinType::Inner,
                &["customer_id"],
                &["customer_id"],
                None,
            )
            .expect("df")
            .select(vec![dcol("l.id").alias("id"), dcol("r.id").alias("id_right")])
            .expect("df"),
        false,
    )
    .await;
}

#[tokio::test]
async fn ordering_limits_distinct_and_set_operations() {
    let f = fixture();
    let (o, c) = (&f.orders, &f.customers);
    assert_same(
        "order_by desc nulls last, limit",
        o.order_by([col("amount").desc(), "id".into()]).and_then(|t| t.limit(5)),
        f.df("orders")
            .await
            .sort(vec![dcol("amount").sort(false, false), dcol("id").sort(true, false)])
            .expect("df")
            .limit(0, Some(5))
            .expect("df"),
        true,
    )
    .await;
    assert_same(
        "order nulls first, offset",
        o.order_by([col("region").asc().nulls_first(), "id".into()]).and_then(|t| t.slice(3, Some(4))),
        f.df("orders")
            .await
            .sort(vec![dcol("region").sort(true, true), dcol("id").sort(true, false)])
            .expect("df")
            .limit(3, Some(4))
            .expect("df"),
        true,
    )
    .await;
    assert_same(
        "distinct",
        o.select(["region"]).and_then(|t| t.distinct()),
        f.df("orders").await.select_columns(&["region"]).expect("df").distinct().expect("df"),
        false,
    )
    .await;
    let regions = |df: DataFrame| df.select_columns(&["region"]).expect("df");
    let (or, cr) = (o.select(["region"]).expect("select"), c.select(["region"]).expect("select"));
    assert_same(
        "union all",
        or.union(&cr),
        regions(f.df("orders").await).union(regions(f.df("customers").await)).expect("df"),
        false,
    )
    .await;
    assert_same(
        "union distinct",
        or.union_distinct(&cr),
        regions(f.df("orders").await).union_distinct(regions(f.df("customers").await)).expect("df"),
        false,
    )
    .await;
    assert_same(
        "intersect",
        or.intersect(&cr),
        regions(f.df("orders").await).intersect_distinct(regions(f.df("customers").await)).expect("df"),
        false,
    )
    .await;
    assert_same(
        "difference",
        or.difference(&cr),
        regions(f.df("orders").await).except_distinct(regions(f.df("customers").await)).expect("df"),
        false,
    )
    .await;
}

/// DataFusion's spelling of an aggregate evaluated over a window.
fn over(
    udaf: Arc<datafusion::logical_expr::AggregateUDF>,
    arg: datafusion::prelude::Expr,
) -> datafusion::prelude::Expr {
    use datafusion::logical_expr::WindowFunctionDefinition;
    use datafusion::logical_expr::expr::WindowFunction;
    datafusion::prelude::Expr::from(WindowFunction::new(WindowFunctionDefinition::AggregateUDF(udaf), vec![arg]))
}

#[tokio::test]
async fn window_functions() {
    use datafusion::functions_aggregate::{average::avg_udaf, min_max::max_udaf, sum::sum_udaf};
    let f = fixture();
    let o = &f.orders;
    let w = Window::new().partition_by(["region"]).order_by(["day", "id"]);
    let part = || vec![dcol("region")];
    let order = || vec![dcol("day").sort(true, false), dcol("id").sort(true, false)];
    assert_same(
        "ranking and offsets",
        o.select([
            col("id"),
            row_number().over(w.clone()).alias("rn"),
            rank().over(Window::new().partition_by(["region"]).order_by(["day"])).alias("rk"),
            dense_rank().over(Window::new().order_by(["day"])).alias("drk"),
            col("amount").lag(1, None).over(w.clone()).alias("prev"),
            col("amount").lead(2, Some(lit(0))).over(w.clone()).alias("next2"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                dfw::row_number().partition_by(part()).order_by(order()).build().expect("window").alias("rn"),
                dfw::rank()
                    .partition_by(part())
                    .order_by(vec![dcol("day").sort(true, false)])
                    .build()
                    .expect("window")
                    .alias("rk"),
                dfw::dense_rank().order_by(vec![dcol("day").sort(true, false)]).build().expect("window").alias("drk"),
                dfw::lag(dcol("amount"), Some(1), None)
                    .partition_by(part())
                    .order_by(order())
                    .build()
                    .expect("window")
                    .alias("prev"),
                dfw::lead(dcol("amount"), Some(2), Some(ScalarValue::Float64(Some(0.0))))
                    .partition_by(part())
                    .order_by(order())
                    .build()
                    .expect("window")
                    .alias("next2"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "running and moving aggregates",
        o.mutate([
            col("amount").sum().over(w.clone()).alias("running"),
            col("qty")
                .mean()
                .over(w.clone().rows_between(FrameBound::Preceding(1), FrameBound::CurrentRow))
                .alias("ma2"),
            col("qty").max().over(Window::new().partition_by(["region"])).alias("region_max"),
        ])
        .and_then(|t| t.select(["id", "running", "ma2", "region_max"])),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                over(sum_udaf(), dcol("amount"))
                    .partition_by(part())
                    .order_by(order())
                    .build()
                    .expect("window")
                    .alias("running"),
                over(avg_udaf(), dcol("qty"))
                    .partition_by(part())
                    .order_by(order())
                    .window_frame(WindowFrame::new_bounds(
                        WindowFrameUnits::Rows,
                        WindowFrameBound::Preceding(ScalarValue::UInt64(Some(1))),
                        WindowFrameBound::CurrentRow,
                    ))
                    .build()
                    .expect("window")
                    .alias("ma2"),
                over(max_udaf(), dcol("qty")).partition_by(part()).build().expect("window").alias("region_max"),
            ])
            .expect("df"),
        false,
    )
    .await;
}

#[tokio::test]
async fn scalar_function_families() {
    let f = fixture();
    let o = &f.orders;
    assert_same(
        "case, cast, null handling, in, between",
        o.select([
            col("id"),
            when(col("amount").gt(lit(200)))
                .then(lit("large"))
                .when(col("amount").gt(lit(90)))
                .then(lit("medium"))
                .otherwise(lit("small"))
                .alias("size"),
            col("qty").cast(DataType::Float64).alias("qf"),
            col("note").fill_null(lit("-")).alias("note"),
            coalesce([col("region"), col("note"), lit("?")]).alias("label"),
            col("region").is_in([lit("EU"), lit("US")]).alias("west"),
            col("qty").between(lit(3), lit(6)).alias("mid"),
            col("amount").null_if(lit(80)).alias("not80"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                dwhen(dcol("amount").gt(dlit(200.0)), dlit("large"))
                    .when(dcol("amount").gt(dlit(90.0)), dlit("medium"))
                    .otherwise(dlit("small"))
                    .expect("case")
                    .alias("size"),
                cast(dcol("qty"), arrow::datatypes::DataType::Float64).alias("qf"),
                dff::coalesce(vec![dcol("note"), dlit("-")]).alias("note"),
                dff::coalesce(vec![dcol("region"), dcol("note"), dlit("?")]).alias("label"),
                dcol("region").in_list(vec![dlit("EU"), dlit("US")], false).alias("west"),
                dcol("qty").gt_eq(dlit(3i32)).and(dcol("qty").lt_eq(dlit(6i32))).alias("mid"),
                dff::nullif(dcol("amount"), dlit(80.0)).alias("not80"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "strings",
        o.select([
            col("id"),
            col("note").upper().alias("u"),
            col("note").lower().alias("l"),
            col("note").str_len().alias("n"),
            col("note").trim().alias("t"),
            col("note").substr(2, Some(3)).alias("sub"),
            col("note").replace(lit("gift"), lit("present")).alias("r"),
            col("note").contains(lit("ift")).alias("c"),
            col("note").starts_with(lit("gi")).alias("sw"),
            col("note").like("%rush%").alias("lk"),
            col("note").ilike("%RUSH%").alias("ilk"),
            concat([col("region"), lit("-"), col("note")]).alias("cc"),
            col("note").lpad(8, "*").alias("lp"),
            col("note").reverse().alias("rev"),
            col("note").strpos(lit("i")).alias("pos"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                dff::upper(dcol("note")).alias("u"),
                dff::lower(dcol("note")).alias("l"),
                dff::character_length(dcol("note")).alias("n"),
                dff::btrim(vec![dcol("note")]).alias("t"),
                dff::substring(dcol("note"), dlit(2i64), dlit(3i64)).alias("sub"),
                dff::replace(dcol("note"), dlit("gift"), dlit("present")).alias("r"),
                dff::contains(dcol("note"), dlit("ift")).alias("c"),
                dff::starts_with(dcol("note"), dlit("gi")).alias("sw"),
                dcol("note").like(dlit("%rush%")).alias("lk"),
                dcol("note").ilike(dlit("%RUSH%")).alias("ilk"),
                dff::concat(vec![dcol("region"), dlit("-"), dcol("note")]).alias("cc"),
                dff::lpad(vec![dcol("note"), dlit(8i64), dlit("*")]).alias("lp"),
                dff::reverse(dcol("note")).alias("rev"),
                dff::strpos(dcol("note"), dlit("i")).alias("pos"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "temporal",
        o.select([
            col("id"),
            col("day").year().alias("y"),
            col("day").month().alias("m"),
            col("day").day().alias("d"),
            col("ts").hour().alias("h"),
            col("day").day_of_week().alias("dow"),
            col("day").quarter().alias("q"),
            col("ts").date_trunc("day").alias("t"),
            (col("day") + interval_days(10)).alias("later"),
            col("day").strftime("%Y/%m").alias("ym"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                dff::date_part(dlit("year"), dcol("day")).alias("y"),
                dff::date_part(dlit("month"), dcol("day")).alias("m"),
                dff::date_part(dlit("day"), dcol("day")).alias("d"),
                dff::date_part(dlit("hour"), dcol("ts")).alias("h"),
                dff::date_part(dlit("dow"), dcol("day")).alias("dow"),
                dff::date_part(dlit("quarter"), dcol("day")).alias("q"),
                dff::date_trunc(dlit("day"), dcol("ts")).alias("t"),
                (dcol("day")
                    + dlit(ScalarValue::IntervalMonthDayNano(Some(arrow::datatypes::IntervalMonthDayNano::new(
                        0, 10, 0,
                    )))))
                .alias("later"),
                dff::to_char(dcol("day"), dlit("%Y/%m")).alias("ym"),
            ])
            .expect("df"),
        false,
    )
    .await;
    assert_same(
        "math",
        o.select([
            col("id"),
            col("amount").abs().alias("a"),
            col("amount").round(1).alias("r"),
            col("amount").floor().alias("fl"),
            col("amount").ceil().alias("ce"),
            col("qty").sqrt().round(6).alias("sq"),
            col("qty").pow(lit(2)).alias("p"),
            (-col("amount")).alias("neg"),
            greatest([col("qty"), lit(5)]).alias("g"),
        ]),
        f.df("orders")
            .await
            .select(vec![
                dcol("id"),
                dff::abs(dcol("amount")).alias("a"),
                dff::round(vec![dcol("amount"), dlit(1i64)]).alias("r"),
                dff::floor(dcol("amount")).alias("fl"),
                dff::ceil(dcol("amount")).alias("ce"),
                dff::round(vec![dff::sqrt(cast(dcol("qty"), arrow::datatypes::DataType::Float64)), dlit(6i64)])
                    .alias("sq"),
                dff::power(cast(dcol("qty"), arrow::datatypes::DataType::Float64), dlit(2.0)).alias("p"),
                (-dcol("amount")).alias("neg"),
                dff::greatest(vec![dcol("qty"), dlit(5i32)]).alias("g"),
            ])
            .expect("df"),
        false,
    )
    .await;
}

#[tokio::test]
async fn parameters_bind_at_run_time() {
    let f = fixture();
    let threshold = param("threshold", DataType::Float64).with_default(100.0);
    let t = f.orders.filter(col("amount").gt(threshold)).and_then(|t| t.select(["id"]));
    assert_same(
        "param default",
        t.clone(),
        f.df("orders").await.filter(dcol("amount").gt(dlit(100.0))).expect("df").select_columns(&["id"]).expect("df"),
        false,
    )
    .await;
    assert_same_with(
        "param bound",
        t.clone(),
        f.df("orders").await.filter(dcol("amount").gt(dlit(250.0))).expect("df").select_columns(&["id"]).expect("df"),
        false,
        &Params::new().set("threshold", 250),
    )
    .await;
    let t = t.expect("builds");
    let err = Session::new().execute(&t, &Params::new().set("treshold", 1.0)).await.expect_err("unknown param");
    assert_eq!(
        err.to_string(),
        "unknown parameter `treshold`; did you mean `threshold`?\nparameters of this expression: threshold"
    );
    let err = Session::new().execute(&t, &Params::new().set_text("threshold", "abc")).await.expect_err("bad value");
    assert_eq!(err.to_string(), "parameter `threshold` is `Float64`, but the value given is `abc`");
    let region = f.orders.filter(col("region").eq(param("region", DataType::String))).expect("builds");
    let err = Session::new().execute(&region, &Params::new()).await.expect_err("missing");
    assert!(err.to_string().starts_with("parameter `region` has no value and no default"), "{err}");
}
