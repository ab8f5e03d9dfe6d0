//! Window functions, scalar function families and parameters.

use std::sync::Arc;

use arrow::datatypes::DataType as ArrowType;
use datafusion::functions::expr_fn as dff;
use datafusion::functions_window::expr_fn as dfw;
use datafusion::logical_expr::{
    ExprFunctionExt, Operator, WindowFrame, WindowFrameBound, WindowFrameUnits, binary_expr, cast, lit as dlit,
    when as dwhen,
};
use datafusion::prelude::col as dcol;
use datafusion::scalar::ScalarValue;
use xorq::prelude::*;
use xorq::{Params, Session, concat};

use crate::fixture::{assert_same, assert_same_with, fixture};

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
                cast(dcol("qty"), ArrowType::Float64).alias("qf"),
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
                // null when any operand is null: SQL's `||`, not DataFusion's null-skipping `concat`
                binary_expr(
                    binary_expr(dcol("region"), Operator::StringConcat, dlit("-")),
                    Operator::StringConcat,
                    dcol("note"),
                )
                .alias("cc"),
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
                dff::round(vec![dff::sqrt(cast(dcol("qty"), ArrowType::Float64)), dlit(6i64)]).alias("sq"),
                dff::power(cast(dcol("qty"), ArrowType::Float64), dlit(2.0)).alias("p"),
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
