//! Relational operations: filters, projections, aggregates, joins, ordering, set operations.

use arrow::datatypes::DataType as ArrowType;
use datafusion::common::JoinType;
use datafusion::dataframe::DataFrame;
use datafusion::functions::expr_fn as dff;
use datafusion::functions_aggregate::expr_fn as dfa;
use datafusion::logical_expr::{cast, lit as dlit};
use datafusion::prelude::col as dcol;
use datafusion::scalar::ScalarValue;
use xorq::prelude::*;

use crate::fixture::{assert_same, fixture};

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
                (dcol("amount") * dlit(2.0) - cast(dcol("qty"), ArrowType::Float64)).alias("x"),
                (cast(dcol("qty"), ArrowType::Float64) / dlit(4.0)).alias("ratio"),
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
            .select(vec![(dcol("s") / cast(dcol("c"), ArrowType::Float64)).alias("avg_all"), dcol("max_qty")])
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
