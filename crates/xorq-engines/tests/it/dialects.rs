//! SQL for every engine dialect, golden-tested over the whole expression corpus (the one in
//! `xorq-core/tests/common`, shared by path), and every golden parsed back with the matching
//! `sqlparser` dialect. Then one focused golden per dialect fix.

#[path = "../../../xorq-core/tests/common/mod.rs"]
mod common;

use datafusion::sql::sqlparser::dialect::{
    BigQueryDialect, Dialect, DuckDbDialect, GenericDialect, PostgreSqlDialect, SQLiteDialect, SnowflakeDialect,
    SparkSqlDialect,
};
use datafusion::sql::sqlparser::parser::Parser;
use xorq_core::*;
use xorq_engines::datafusion::ParamValues;
use xorq_engines::dialect::{SqlDialect, to_sql, to_sql_with};

fn parser_dialect(d: SqlDialect) -> Box<dyn Dialect> {
    match d {
        SqlDialect::Postgres => Box::new(PostgreSqlDialect {}),
        SqlDialect::DuckDb => Box::new(DuckDbDialect {}),
        SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
        SqlDialect::Snowflake => Box::new(SnowflakeDialect {}),
        SqlDialect::BigQuery => Box::new(BigQueryDialect {}),
        SqlDialect::Spark => Box::new(SparkSqlDialect {}),
        // sqlparser has no Trino dialect; its generic one reads ANSI SQL.
        _ => Box::new(GenericDialect {}),
    }
}

/// Parses `sql` with the dialect's own parser, failing the test with the SQL on error.
fn parses(sql: &str, d: SqlDialect, what: &str) {
    if let Err(e) = Parser::parse_sql(parser_dialect(d).as_ref(), sql) {
        panic!("{what}: {d} SQL does not parse back: {e}\n{sql}");
    }
}

/// Every corpus entry in `d`: its SQL, or the error refusing it.
fn corpus_sql(d: SqlDialect) -> String {
    let mut out = String::new();
    for (name, table) in common::corpus::corpus() {
        let table = table.unwrap_or_else(|e| panic!("corpus entry `{name}` does not build: {e}"));
        match to_sql(&table, d) {
            Ok(sql) => {
                parses(&sql, d, name);
                out.push_str(&format!("-- {name}\n{sql};\n\n"));
            }
            Err(e) => out.push_str(&format!("-- {name}: refused\n-- {}\n\n", e.to_string().replace('\n', "\n-- "))),
        }
    }
    out
}

macro_rules! golden {
    ($test:ident, $dialect:expr) => {
        #[test]
        fn $test() {
            insta::assert_snapshot!(stringify!($test), corpus_sql($dialect));
        }
    };
}

golden!(corpus_postgres, SqlDialect::Postgres);
golden!(corpus_duckdb, SqlDialect::DuckDb);
golden!(corpus_sqlite, SqlDialect::Sqlite);
golden!(corpus_snowflake, SqlDialect::Snowflake);
golden!(corpus_bigquery, SqlDialect::BigQuery);
golden!(corpus_trino, SqlDialect::Trino);
golden!(corpus_spark, SqlDialect::Spark);
golden!(corpus_datafusion, SqlDialect::DataFusion);

/// `table` in every dialect, one block each, parsed back.
fn all_dialects(table: &Table) -> String {
    let mut out = String::new();
    for &d in SqlDialect::ALL {
        match to_sql(table, d) {
            Ok(sql) => {
                parses(&sql, d, "focused case");
                out.push_str(&format!("-- {d}\n{sql};\n\n"));
            }
            Err(e) => out.push_str(&format!("-- {d}: refused\n-- {}\n\n", e.to_string().replace('\n', "\n-- "))),
        }
    }
    out
}

fn sales() -> Table {
    common::sales()
}

/// Integer division truncates toward zero in the IR: `/` where integers divide that way, `//`,
/// `DIV`, `TRUNC(a / b)` elsewhere; true division stays `/` (DuckDB's built-in dialect writes `//`
/// for every division).
#[test]
fn fix_integer_division() -> Result<()> {
    let t = sales().select([col("qty").int_div(lit(2)).alias("half"), (col("amount") / lit(4)).alias("quarter")])?;
    insta::assert_snapshot!("fix_integer_division", all_dialects(&t));
    Ok(())
}

/// Date parts: `EXTRACT` where `date_part` is not the engine's, the IR's Sunday-based day of week,
/// and integers (not text) from SQLite's `strftime`.
#[test]
fn fix_date_parts() -> Result<()> {
    let t = sales().select([
        col("day").year().alias("y"),
        col("day").quarter().alias("q"),
        col("day").day_of_week().alias("dow"),
        col("day").day_of_year().alias("doy"),
        col("ts").hour().alias("h"),
    ])?;
    insta::assert_snapshot!("fix_date_parts", all_dialects(&t));
    Ok(())
}

/// `date_trunc` is `TIMESTAMP_TRUNC(ts, MONTH)` in BigQuery; string length is `length` where
/// `character_length` does not exist; string casts are `STRING` in Spark and BigQuery.
#[test]
fn fix_functions_and_casts() -> Result<()> {
    let t = sales().select([
        col("ts").date_trunc("month").alias("m"),
        col("note").str_len().alias("n"),
        col("order_id").cast(DataType::String).alias("id"),
    ])?;
    insta::assert_snapshot!("fix_functions_and_casts", all_dialects(&t));
    Ok(())
}

/// SQLite has no DATE type (`CAST('2024-01-31' AS DATE)` is the number 2024): dates are ISO
/// text there, so a cast to a date is its `date()` function.
#[test]
fn fix_dates_without_a_date_type() -> Result<()> {
    let t = sales()
        .filter(col("day").between(lit_date("2024-01-01"), lit_date("2024-03-31")))?
        .select([col("ts").cast(DataType::Date).alias("d")])?;
    insta::assert_snapshot!("fix_dates_without_a_date_type", all_dialects(&t));
    Ok(())
}

/// BigQuery needs `UNION DISTINCT`; `INTERSECT`/`EXCEPT` compare nulls as equal
/// (`IS NOT DISTINCT FROM`), which DataFusion's unparser writes as `=`.
#[test]
fn fix_set_operations() -> Result<()> {
    let r = sales().select(["region"])?;
    let c = common::customers().select(["region"])?;
    let t = r.union_distinct(&c)?.intersect(&r)?;
    insta::assert_snapshot!("fix_set_operations", all_dialects(&t));
    Ok(())
}

/// Trino writes `OFFSET n ROWS FETCH FIRST m ROWS ONLY`; the others `LIMIT m OFFSET n`.
#[test]
fn fix_limit_offset() -> Result<()> {
    let t = sales().order_by(["order_id"])?.slice(20, Some(10))?;
    insta::assert_snapshot!("fix_limit_offset", all_dialects(&t));
    Ok(())
}

/// Placeholders in each dialect's style (PostgreSQL numbers them in the order of
/// `Table::params`); Trino refuses unbound parameters, and takes bound ones as literals.
#[test]
fn fix_placeholders() -> Result<()> {
    let t = sales().filter(
        col("amount")
            .gt(param("threshold", DataType::Float64))
            .and(col("region").eq(param("region", DataType::String))),
    )?;
    insta::assert_snapshot!("fix_placeholders", all_dialects(&t));
    let mut values = ParamValues::new();
    values.insert("threshold".into(), Literal::Float64(5.0));
    values.insert("region".into(), Literal::String("EU".into()));
    let bound = to_sql_with(&t, SqlDialect::Trino, &values).map_err(|e| CoreError::Internal(e.to_string()))?;
    parses(&bound, SqlDialect::Trino, "bound parameters");
    assert!(bound.contains("5.0") && bound.contains("'EU'"), "{bound}");
    Ok(())
}

/// Aggregates: DuckDB's `first`/`last`; approximate quantiles by each engine's name (PostgreSQL's
/// exact `percentile_cont`); the engines without an exact form refuse by name.
#[test]
fn fix_aggregates() -> Result<()> {
    let t = sales().group_by(["region"]).agg([
        col("amount").approx_quantile(0.5).alias("median"),
        col("amount").first().order_by(["ts"]).alias("first"),
    ])?;
    insta::assert_snapshot!("fix_aggregates", all_dialects(&t));
    let q = sales().group_by(["region"]).agg([col("amount").approx_quantile(0.5).alias("median")])?;
    insta::assert_snapshot!("fix_aggregates_quantile", all_dialects(&q));
    Ok(())
}

#[test]
fn dialect_names_round_trip_and_unknown_names_list_the_known_ones() {
    for &d in SqlDialect::ALL {
        assert_eq!(d.name().parse::<SqlDialect>(), Ok(d));
        assert_eq!(d.name().to_uppercase().parse::<SqlDialect>(), Ok(d));
    }
    assert_eq!("databricks".parse::<SqlDialect>(), Ok(SqlDialect::Spark));
    assert_eq!("postgresql".parse::<SqlDialect>(), Ok(SqlDialect::Postgres));
    let err = "oracle".parse::<SqlDialect>().err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        err,
        "unknown SQL dialect `oracle`; known dialects: postgres, duckdb, sqlite, snowflake, bigquery, trino, spark, datafusion"
    );
}

/// Filters under both sides of nested joins stay inside each side: the unparser used to lift
/// them into one `WHERE` that named the base tables, which the join aliases hide.
#[test]
fn fix_filters_under_nested_joins() -> Result<()> {
    let c = common::customers().filter(col("region").eq(lit("EU")))?;
    let s = sales().filter(col("amount").gt(lit(10)))?;
    let t = c.join(&s, JoinKind::Inner, ["customer_id"])?;
    let again = common::customers().filter(col("name").is_not_null())?.select(["customer_id", "since"])?;
    let t = t.join(&again, JoinKind::Inner, ["customer_id"])?.select(["name", "amount", "since"])?;
    insta::assert_snapshot!("fix_filters_under_nested_joins", all_dialects(&t));
    Ok(())
}

/// Columns whose names differ only in case: PostgreSQL, Snowflake and DataFusion tell quoted
/// names apart; the engines that match names ignoring case refuse, naming both columns, since
/// SQLite would silently read `REGION` for `region` and the others fail far from the cause.
#[test]
fn fix_names_that_differ_only_in_case() -> Result<()> {
    let t = sales().mutate([col("region").upper().alias("REGION")])?.filter(col("region").eq(lit("eu")))?;
    insta::assert_snapshot!("fix_names_that_differ_only_in_case", all_dialects(&t));
    // Renamed apart, every engine writes it.
    let renamed = sales().mutate([col("region").upper().alias("REGION_UPPER")])?;
    for &d in SqlDialect::ALL {
        if let Err(e) = to_sql(&renamed, d) {
            panic!("{d} refused distinct names: {e}");
        }
    }
    Ok(())
}

/// Functions and aggregate options beyond the portable set are refused outside DataFusion,
/// naming the function and the dialect, before any SQL is written.
#[test]
fn fix_functions_outside_the_portable_set() -> Result<()> {
    let t = sales().select([col("note").initcap().alias("i"), col("note").md5().alias("h")])?;
    insta::assert_snapshot!("fix_functions_outside_the_portable_set", all_dialects(&t));
    let a = sales().group_by(["region"]).agg([
        col("amount").sum().filter(col("qty").gt(lit(1))).alias("big"),
        col("qty").sum().distinct().alias("kinds"),
    ])?;
    insta::assert_snapshot!("fix_aggregate_options", all_dialects(&a));
    let m = sales().group_by(["region"]).agg([col("amount").median().alias("m")])?;
    let err = to_sql(&m, SqlDialect::Postgres).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("aggregate `median`") && err.contains("PostgreSQL"), "{err}");
    Ok(())
}
