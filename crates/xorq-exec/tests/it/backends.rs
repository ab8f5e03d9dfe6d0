//! Expressions over a real embedded backend (SQLite): segments pushed down as SQL, rows moved
//! with `.into_backend` in both directions, and the faults a user meets.

use std::sync::Arc;

use arrow::array::{Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::util::pretty::pretty_format_batches;
use xorq_core::{Table, col, lit};
use xorq_engines::backend::{Backend, sqlite};
use xorq_exec::{Params, Session};

async fn shop() -> Arc<sqlite::SqliteBackend> {
    let con = sqlite::connect_memory("shop").expect("in-memory SQLite");
    con.execute(
        "CREATE TABLE orders (id INTEGER, region TEXT, amount REAL);
         INSERT INTO orders VALUES (1, 'EU', 10.5), (2, 'US', 20.0), (3, 'EU', 4.5), (4, 'APAC', NULL), (5, 'US', 1.0);",
    )
    .await
    .expect("seed rows");
    con
}

fn text(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).expect("printable").to_string()
}

fn regions() -> Table {
    let batch = RecordBatch::try_from_iter([
        ("code", Arc::new(StringArray::from(vec!["EU", "US"])) as _),
        ("name", Arc::new(StringArray::from(vec!["Europe", "United States"])) as _),
    ])
    .expect("batch");
    Table::memtable(vec![batch]).expect("memtable")
}

#[tokio::test]
async fn a_segment_runs_in_the_backend_and_streams_back() {
    let con = shop().await;
    let orders = con.table("orders").await.expect("schema from SQLite");
    assert_eq!(orders.columns(), ["id", "region", "amount"]);
    let totals = orders
        .filter(col("amount").gt(lit(2.0)))
        .and_then(|t| t.group_by([col("region")]).agg([col("amount").sum().alias("total")]))
        .and_then(|t| t.order_by([col("region").asc()]))
        .expect("valid expression");
    let session = Session::new().with_backend(con.clone());
    let batches = session.execute(&totals, &Params::new()).await.expect("runs on SQLite");
    insta::assert_snapshot!(text(&batches), @r"
    +--------+-------+
    | region | total |
    +--------+-------+
    | EU     | 15.0  |
    | US     | 20.0  |
    +--------+-------+
    ");
}

#[tokio::test]
async fn rows_move_into_the_backend_and_out_of_it() {
    let con = shop().await;
    let orders = con.table("orders").await.expect("schema");
    let session = Session::new().with_backend(con.clone());

    // A memtable moved into SQLite and joined there.
    let named = orders
        .join(&regions().into_backend("shop").expect("move"), xorq_core::JoinKind::Inner, [("region", "code")])
        .and_then(|t| t.group_by([col("name")]).agg([col("id").count().alias("orders")]))
        .and_then(|t| t.order_by([col("name").asc()]))
        .expect("valid");
    let batches = session.execute(&named, &Params::new()).await.expect("join in SQLite");
    insta::assert_snapshot!(text(&batches), @r"
    +---------------+--------+
    | name          | orders |
    +---------------+--------+
    | Europe        | 2      |
    | United States | 2      |
    +---------------+--------+
    ");

    // SQLite rows moved into the embedded engine, aggregated there with a function SQLite lacks.
    let spread = orders.into_backend("local").and_then(|t| t.agg([col("amount").std().alias("sd")])).expect("valid");
    let batches = session.execute(&spread, &Params::new()).await.expect("aggregate in DataFusion");
    let sd = batches[0].column(0).as_any().downcast_ref::<Float64Array>().expect("Float64");
    assert!((sd.value(0) - 8.316_65).abs() < 1e-4, "{}", sd.value(0));

    // Without a move, a backend table and local data meet in the embedded engine.
    let mixed = orders
        .join(&regions(), xorq_core::JoinKind::Inner, [("region", "code")])
        .and_then(|t| t.agg([col("id").count().alias("n")]))
        .expect("valid");
    let batches = session.execute(&mixed, &Params::new()).await.expect("local join");
    let n = batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("Int64");
    assert_eq!(n.value(0), 4);
}

#[tokio::test]
async fn faults_name_the_profile_and_the_table() {
    let con = shop().await;
    let orders = con.table("orders").await.expect("schema");

    let unconnected = Session::new().execute(&orders, &Params::new()).await.expect_err("not connected");
    assert!(unconnected.to_string().contains("profile `shop`"), "{unconnected}");

    let missing = con.table("nope").await.expect_err("no such table").to_string();
    assert!(missing.contains("`nope`") && missing.contains("`shop`"), "{missing}");

    con.execute("DROP TABLE orders").await.expect("drop");
    let session = Session::new().with_backend(con.clone());
    let gone = session.execute(&orders, &Params::new()).await.expect_err("dropped since").to_string();
    assert!(gone.contains("table `orders` does not exist in backend profile `shop`"), "{gone}");

    let empty = session.execute(&orders.limit(0).expect("valid"), &Params::new()).await;
    assert!(empty.is_err());
}

/// SQLite matches column names ignoring case: moved in next to `name`, a column `NAME` would be
/// read for it (silently, in a subquery) or clash in the temporary table. The segment is refused
/// instead, naming both columns; locally, where names are case-sensitive, the same rows run.
#[tokio::test]
async fn names_that_differ_only_in_case_are_refused_not_confused() {
    let con = shop().await;
    let shouted = regions().mutate([col("name").upper().alias("NAME")]).expect("valid expression");
    let moved = shouted
        .into_backend("shop")
        .and_then(|t| t.filter(col("name").eq(lit("Europe"))))
        .and_then(|t| t.select(["NAME"]))
        .expect("valid expression");
    let session = Session::new().with_backend(con.clone());
    let err = session.execute(&moved, &Params::new()).await.expect_err("refused").to_string();
    assert!(err.contains("columns `name` and `NAME`") && err.contains("SQLite"), "{err}");

    let local = shouted.filter(col("name").eq(lit("Europe"))).and_then(|t| t.select(["NAME"])).expect("valid");
    let batches = session.execute(&local, &Params::new()).await.expect("runs locally");
    insta::assert_snapshot!(text(&batches), @r"
    +--------+
    | NAME   |
    +--------+
    | EUROPE |
    +--------+
    ");
}

#[tokio::test]
async fn a_dropped_stream_stops_the_backend_query() {
    let con = sqlite::connect_memory("big").expect("SQLite");
    con.execute(
        "CREATE TABLE n (x INTEGER);
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) INSERT INTO n SELECT x FROM c;",
    )
    .await
    .expect("seed");
    let n = con.table("n").await.expect("schema");
    let session = Session::new().with_backend(con.clone());
    let mut stream = session.execute_stream(&n, &Params::new()).await.expect("stream");
    use futures::StreamExt;
    let first = stream.next().await.expect("a batch").expect("ok");
    assert!(first.num_rows() > 0 && first.num_rows() <= 8192);
    drop(stream);
    let count = n.agg([col("x").count().alias("c")]).expect("valid");
    let batches = session.execute(&count, &Params::new()).await.expect("still usable");
    assert_eq!(batches[0].column(0).as_any().downcast_ref::<Int64Array>().expect("Int64").value(0), 200_000);
    assert!(!batches[0].column(0).is_null(0));
}

#[tokio::test]
async fn explain_shows_each_stage_its_engine_and_sql_without_running() {
    use xorq_exec::explain::Stage;
    let con = shop().await;
    let orders = con.table("orders").await.expect("schema");
    // A memtable moved into SQLite and joined there; the result aggregated locally with a
    // function SQLite lacks.
    let named = orders
        .join(&regions().into_backend("shop").expect("move"), xorq_core::JoinKind::Inner, [("region", "code")])
        .and_then(|t| t.into_backend("local"))
        .and_then(|t| t.group_by([col("name")]).agg([col("amount").std().alias("sd")]))
        .expect("valid");
    let session = Session::new().with_backend(con.clone());
    let plan = session.explain(&named, &Params::new()).await.expect("explains");
    let kinds: Vec<(&str, &str)> = plan.stages.iter().map(|s| (s.kind(), s.engine())).collect();
    assert_eq!(kinds, [("move", "shop"), ("backend", "shop"), ("local", "datafusion")], "{plan}");
    let Stage::Backend { sql, dialect, .. } = &plan.stages[1] else { unreachable!("checked above") };
    assert_eq!(dialect, "sqlite");
    assert!(sql.contains("JOIN") && sql.contains("xorq_moved_"), "{sql}");
    let Stage::Local { plan: local } = &plan.stages[2] else { unreachable!("checked above") };
    assert!(local.contains("stddev"), "{local}");
}
