//! Expressions over DuckDB tables, written as DuckDB SQL and run there.

use xorq_core::{JoinKind, Window, col, count_star, lit, row_number};
use xorq_duckdb::DuckDbBackend;
use xorq_engines::backend::Backend;

use crate::{TestResult, pretty, run};

async fn shop() -> TestResult<std::sync::Arc<DuckDbBackend>> {
    let con = xorq_duckdb::connect_memory("shop")?;
    con.execute_sql(
        "CREATE TABLE sales (order_id BIGINT, region VARCHAR, amount DOUBLE, qty INTEGER, day DATE, customer_id BIGINT);
         INSERT INTO sales VALUES
            (1, 'EU', 120.0, 3, DATE '2024-01-01', 10),
            (2, 'US', 80.0, 1, DATE '2024-01-02', 11),
            (3, 'EU', 300.0, 5, DATE '2024-01-03', 12),
            (4, 'US', 50.5, 2, DATE '2024-01-03', 10),
            (5, 'APAC', 999.0, 9, DATE '2024-01-04', NULL);
         CREATE TABLE customers (customer_id BIGINT, name VARCHAR);
         INSERT INTO customers VALUES (10, 'Ada'), (11, 'Bo'), (12, 'Cy');",
    )
    .await?;
    Ok(con)
}

#[tokio::test]
async fn filter() -> TestResult {
    let con = shop().await?;
    let big = con.table("sales").await?.filter(col("amount").gt(lit(100)))?.select(["order_id", "region"])?;
    let out = pretty(&run(&*con, &big.order_by(["order_id"])?).await?)?;
    let expected = "\
+----------+--------+
| order_id | region |
+----------+--------+
| 1        | EU     |
| 3        | EU     |
| 5        | APAC   |
+----------+--------+";
    assert_eq!(out, expected);
    Ok(())
}

#[tokio::test]
async fn aggregate() -> TestResult {
    let con = shop().await?;
    let totals = con.table("sales").await?.group_by(["region"]).agg([
        col("amount").sum().alias("total"),
        col("qty").sum().alias("items"),
        count_star().alias("n"),
    ])?;
    let out = pretty(&run(&*con, &totals.order_by(["region"])?).await?)?;
    let expected = "\
+--------+-------+-------+---+
| region | total | items | n |
+--------+-------+-------+---+
| APAC   | 999.0 | 9     | 1 |
| EU     | 420.0 | 8     | 2 |
| US     | 130.5 | 3     | 2 |
+--------+-------+-------+---+";
    assert_eq!(out, expected);
    // DuckDB's SUM of an INTEGER is a HUGEINT; the stream has the IR's type.
    assert_eq!(totals.schema().field("items").map(|f| f.dtype.clone()), Some(xorq_core::DataType::Int64));
    Ok(())
}

#[tokio::test]
async fn join() -> TestResult {
    let con = shop().await?;
    let sales = con.table("sales").await?;
    let customers = con.table("customers").await?;
    let joined = sales.join(&customers, JoinKind::Inner, ["customer_id"])?.select(["order_id", "name"])?;
    let out = pretty(&run(&*con, &joined.order_by(["order_id"])?).await?)?;
    let expected = "\
+----------+------+
| order_id | name |
+----------+------+
| 1        | Ada  |
| 2        | Bo   |
| 3        | Cy   |
| 4        | Ada  |
+----------+------+";
    assert_eq!(out, expected);
    Ok(())
}

#[tokio::test]
async fn window() -> TestResult {
    let con = shop().await?;
    let w = Window::new().partition_by(["region"]).order_by([col("amount").desc()]);
    let ranked =
        con.table("sales").await?.mutate([row_number().over(w).alias("rank")])?.select(["order_id", "rank"])?;
    let out = pretty(&run(&*con, &ranked.order_by(["order_id"])?).await?)?;
    let expected = "\
+----------+------+
| order_id | rank |
+----------+------+
| 1        | 2    |
| 2        | 1    |
| 3        | 1    |
| 4        | 2    |
| 5        | 1    |
+----------+------+";
    assert_eq!(out, expected);
    Ok(())
}
