//! The pinned corpus of expressions: one of each operation, source kind and function family.
//! `address_corpus.rs` pins their addresses; `manifest.rs` round-trips them through `expr.yaml`.

use super::{customers, sales, small_memtable};
use xorq_core::*;

/// Named expressions covering every operation and source kind.
pub fn corpus() -> Vec<(&'static str, Result<Table>)> {
    let s = sales();
    let c = customers();
    let m = small_memtable();
    let w = Window::new().partition_by(["region"]).order_by(["day"]);
    vec![
        ("read_parquet", Ok(s.clone())),
        (
            "read_csv",
            Source::file(FileFormat::Csv(CsvOptions::default()), "/data/sales.csv", super::sales_schema())
                .and_then(Table::from_source),
        ),
        (
            "read_csv_semicolon",
            Source::file(
                FileFormat::Csv(CsvOptions { has_header: true, delimiter: b';' }),
                "/data/sales.csv",
                super::sales_schema(),
            )
            .and_then(Table::from_source),
        ),
        (
            "read_json",
            Source::file(FileFormat::Json, "/data/sales.json", super::sales_schema()).and_then(Table::from_source),
        ),
        (
            "read_url",
            Source::file(FileFormat::Parquet, "s3://bucket/sales.parquet", super::sales_schema())
                .and_then(Table::from_source),
        ),
        ("memtable", Ok(m.clone())),
        (
            "backend_table",
            Table::from_source(Source::table(
                "warehouse",
                vec!["public".into(), "sales".into()],
                super::sales_schema(),
            )),
        ),
        ("filter_gt", s.filter(col("amount").gt(lit(100)))),
        ("filter_and", s.filter(col("amount").gt(lit(100)).and(col("region").eq(lit("EU"))))),
        ("filter_or", s.filter(col("qty").lt(lit(2)).or(col("qty").gt(lit(8))))),
        ("filter_not_null", s.filter(col("note").is_not_null())),
        ("filter_in", s.filter(col("region").is_in([lit("EU"), lit("US")]))),
        ("filter_between_dates", s.filter(col("day").between(lit_date("2024-01-01"), lit_date("2024-03-31")))),
        ("filter_like", s.filter(col("note").like("%rush%"))),
        ("filter_decimal", s.filter(col("price").gt_eq(lit(9.99)))),
        ("select", s.select(["order_id", "amount"])),
        ("select_arith", s.select([col("order_id"), (col("amount") * col("qty")).alias("revenue")])),
        (
            "mutate_case",
            s.mutate([when(col("amount").gt(lit(1000))).then(lit("large")).otherwise(lit("small")).alias("size")]),
        ),
        ("mutate_cast", s.mutate([col("qty").cast(DataType::Float64).alias("qty_f")])),
        ("mutate_fill_null", s.mutate([col("note").fill_null(lit("")).alias("note")])),
        ("mutate_coalesce", s.mutate([coalesce([col("note"), col("region"), lit("?")]).alias("label")])),
        (
            "mutate_strings",
            s.mutate([
                col("region").upper().alias("r"),
                col("note").str_len().alias("n"),
                col("note").substr(1, Some(3)).alias("p"),
            ]),
        ),
        (
            "mutate_temporal",
            s.mutate([
                col("day").year().alias("y"),
                col("ts").date_trunc("month").alias("m"),
                (col("day") + interval_days(7)).alias("next_week"),
            ]),
        ),
        (
            "mutate_math",
            s.mutate([
                col("amount").round(2).alias("r"),
                col("amount").abs().sqrt().alias("s"),
                col("qty").int_div(lit(2)).alias("half"),
            ]),
        ),
        ("drop", s.drop(["note"])),
        // Scheme 2: DataFusion's typing. A decimal meets float arithmetic as a decimal, text next
        // to a date is a date, and a constant keeps its own type in arithmetic.
        ("decimal_vs_float", s.filter(col("price").between(lit(0.06) - lit(0.01), lit(0.06) + lit(0.01)))),
        ("date_vs_text", s.filter(col("day").gt(lit("2021-06-01")))),
        ("int32_plus_constant", s.mutate([(col("qty") + lit(1)).alias("next")])),
        ("rename", s.rename([("amount", "value")])),
        ("group_agg", s.group_by(["region"]).agg([col("amount").sum().alias("total")])),
        (
            "group_many_aggs",
            s.group_by(["region", "day"]).agg([
                count_star().alias("n"),
                col("customer_id").count_distinct().alias("customers"),
                col("amount").mean().alias("avg"),
                col("amount").min().alias("lo"),
                col("amount").max().alias("hi"),
                col("amount").std().alias("sd"),
                col("amount").var().alias("v"),
                col("amount").approx_quantile(0.9).alias("p90"),
            ]),
        ),
        (
            "group_first_last",
            s.group_by(["region"]).agg([
                col("amount").first().order_by(["ts"]).alias("first"),
                col("amount").last().order_by(["ts"]).alias("last"),
            ]),
        ),
        ("global_agg", s.agg([col("price").sum().alias("revenue"), (col("amount").sum() / count_star()).alias("avg")])),
        ("group_expr_key", s.group_by([col("day").year().alias("year")]).agg([col("amount").sum().alias("total")])),
        ("join_inner", s.join(&c, JoinKind::Inner, ["customer_id"])),
        ("join_left", s.join(&c, JoinKind::Left, ["customer_id"])),
        ("join_right", s.join(&c, JoinKind::Right, ["customer_id"])),
        ("join_outer", s.join(&c, JoinKind::Outer, ["customer_id"])),
        ("join_semi", s.join(&c, JoinKind::Semi, ["customer_id"])),
        ("join_anti", s.join(&c, JoinKind::Anti, ["customer_id"])),
        ("join_cross", s.select(["order_id"]).and_then(|l| l.cross_join(&c.select(["name"])?))),
        ("join_predicate", s.join_where(&c, JoinKind::Inner, ["customer_id"], col("day").gt_eq(col("since")))),
        ("self_join", s.join(&s, JoinKind::Inner, [("customer_id", "customer_id")])),
        ("order_by", s.order_by([col("amount").desc(), "order_id".into()])),
        ("order_nulls_first", s.order_by([col("note").asc().nulls_first()])),
        ("limit", s.limit(10)),
        ("offset", s.slice(20, Some(10))),
        ("distinct", s.select(["region"]).and_then(|t| t.distinct())),
        ("union", s.select(["region"]).and_then(|a| a.union(&c.select(["region"])?))),
        ("union_distinct", s.select(["region"]).and_then(|a| a.union_distinct(&c.select(["region"])?))),
        ("intersect", s.select(["region"]).and_then(|a| a.intersect(&c.select(["region"])?))),
        ("difference", s.select(["region"]).and_then(|a| a.difference(&c.select(["region"])?))),
        ("window_row_number", s.mutate([row_number().over(w.clone()).alias("rn")])),
        ("window_rank", s.mutate([rank().over(w.clone()).alias("rk"), dense_rank().over(w.clone()).alias("drk")])),
        (
            "window_lag_lead",
            s.mutate([
                col("amount").lag(1, None).over(w.clone()).alias("prev"),
                col("amount").lead(1, Some(lit(0))).over(w.clone()).alias("next"),
            ]),
        ),
        ("window_running_sum", s.mutate([col("amount").sum().over(w.clone()).alias("running")])),
        (
            "window_moving_avg",
            s.mutate([col("amount")
                .mean()
                .over(w.clone().rows_between(FrameBound::Preceding(6), FrameBound::CurrentRow))
                .alias("ma7")]),
        ),
        ("param", s.filter(col("amount").gt(param("threshold", DataType::Float64).with_default(100.0)))),
        ("param_no_default", s.filter(col("region").eq(param("region", DataType::String)))),
        ("tag", s.tag("source_input")),
        ("tag_metadata", s.tag_with("source_input", [("owner", "sales")])),
        (
            "memtable_pipeline",
            m.filter(col("score").gt(lit(1)))
                .and_then(|t| t.group_by(["label"]).agg([col("score").sum().alias("total")])),
        ),
        (
            "sales_pipeline",
            s.filter(col("amount").gt(lit(100)))
                .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")])),
        ),
        (
            "cache_modification_time",
            s.filter(col("amount").gt(lit(100))).and_then(|t| t.cache(CacheStrategy::modification_time())),
        ),
        (
            "cache_snapshot_ttl",
            s.filter(col("amount").gt(lit(100)))
                .and_then(|t| t.cache(CacheStrategy::snapshot().with_ttl(std::time::Duration::from_secs(3600)))),
        ),
        (
            "cache_source_storage",
            s.filter(col("amount").gt(lit(100)))
                .and_then(|t| t.cache_in(CacheStrategy::snapshot(), CacheStorage::source_in("warehouse"))),
        ),
        (
            "cache_chained",
            s.filter(col("amount").gt(lit(100)))
                .and_then(|t| t.cache(CacheStrategy::modification_time()))
                .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
                .and_then(|t| t.cache(CacheStrategy::snapshot())),
        ),
    ]
}
