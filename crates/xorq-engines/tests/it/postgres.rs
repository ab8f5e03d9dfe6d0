//! The PostgreSQL backend against a real server (no mocks).
//!
//! The server is `XORQ_TEST_PG_URL` (`postgresql://xorq:<password>@127.0.0.1:<port>/xorq`, with
//! password authentication on TCP); `.ci/postgres.sh` starts a throw-away one:
//!
//! ```text
//! .ci/postgres.sh cargo test -p xorq-engines --features postgres --test it postgres::
//! ```
//!
//! Without it the tests that need a server print a skip message, except under `CI=true`, where
//! they fail. The fault tests that need no server (refused, silent) always run.
#![cfg(feature = "postgres")]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{
    DataType as ArrowType, Field as ArrowField, Schema as ArrowSchema, SchemaRef as ArrowSchemaRef,
};
use arrow::util::pretty::pretty_format_batches;
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures::StreamExt;
use xorq_core::profile::Profile;
use xorq_core::{DataType, Field, Schema, TimeUnit, col, lit};
use xorq_engines::EngineError;
use xorq_engines::backend::postgres::{PostgresBackend, connect};
use xorq_engines::backend::{Backend, Connectors};
use xorq_engines::dialect::{SqlDialect, to_sql};

// ---------------------------------------------------------------- helpers

/// The test server's URL; `None` (with a message) when there is none outside CI.
fn pg_url() -> Option<String> {
    match std::env::var("XORQ_TEST_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "XORQ_TEST_PG_URL is not set, and under CI the PostgreSQL tests must run: start a server with `source .ci/postgres.sh; pg_start` (or run the tests through `.ci/postgres.sh cargo test ...`)"
            )
        }
        _ => {
            eprintln!(
                "skipping: XORQ_TEST_PG_URL is not set (run `.ci/postgres.sh cargo test -p xorq-engines --features postgres --test it postgres::`)"
            );
            None
        }
    }
}

/// The parts of a `postgresql://user:password@host:port/db` URL.
struct UrlParts {
    user: String,
    password: String,
    host: String,
    port: String,
    dbname: String,
}

fn parts(url: &str) -> UrlParts {
    let rest = url.split_once("://").expect("a URL").1;
    let (userinfo, rest) = rest.rsplit_once('@').expect("user@host");
    let (user, password) = userinfo.split_once(':').expect("user:password");
    let (hostport, dbname) = rest.split_once('/').expect("host/db");
    let (host, port) = hostport.rsplit_once(':').expect("host:port");
    UrlParts {
        user: user.into(),
        password: password.into(),
        host: host.into(),
        port: port.into(),
        dbname: dbname.split('?').next().unwrap_or_default().into(),
    }
}

fn with_param(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={value}")
}

/// A plain tokio-postgres client for fixtures.
async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("fixture connection");
    tokio::spawn(connection);
    client
}

async fn backend(url: &str, profile: &str) -> Arc<PostgresBackend> {
    connect(url, profile).await.unwrap_or_else(|e| panic!("connecting {profile}: {e}"))
}

async fn run(pg: &PostgresBackend, sql: &str, schema: ArrowSchemaRef) -> Vec<RecordBatch> {
    let stream = pg.open().await.expect("open").query(sql.to_string(), schema).await.expect("query");
    collect(stream).await
}

async fn collect(mut stream: SendableRecordBatchStream) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    while let Some(batch) = stream.next().await {
        out.push(batch.expect("a batch"));
    }
    out
}

fn pretty(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).expect("printable").to_string()
}

fn schema(fields: &[(&str, DataType)]) -> Schema {
    Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), true)).collect()).expect("valid schema")
}

fn ts_us(tz: Option<&str>) -> DataType {
    DataType::Timestamp { unit: TimeUnit::Microsecond, tz: tz.map(Into::into) }
}

fn stream_of(schema: ArrowSchemaRef, batches: Vec<RecordBatch>) -> SendableRecordBatchStream {
    Box::pin(RecordBatchStreamAdapter::new(schema, futures::stream::iter(batches.into_iter().map(Ok))))
}

// ---------------------------------------------------------------- types

const TYPES_TABLE: &str = r#"
DROP TABLE IF EXISTS types_rt;
CREATE TABLE types_rt (
    id int4 NOT NULL, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
    n numeric(38, 9), nu numeric, t text, vc varchar(10), c char(3), nm name, by bytea,
    d date, tm time, ts timestamp, tz timestamptz, iv interval, u uuid, j json, jb jsonb);
INSERT INTO types_rt VALUES
 (1, true, -32768, 2147483647, 9223372036854775807, 1.5, -2.25,
  '-12345678901234567890123456789.123456789', '1.23456789016', 'héllo 🌍 日本', 'varchar', 'ab', 'nm',
  '\x00ff10', '2024-02-29', '23:59:59.999999', '1999-12-31 23:59:59.123456',
  '2024-03-10 12:34:56.789012+05:30', '1 year 2 mons 3 days 04:05:06.000007',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": [1, 2]}', '{"b": null}'),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL),
 (3, false, 0, -2147483648, -9223372036854775808, -0.5, 1e300,
  '99999999999999999999999999999.999999999', '-0.00000000005', '', '', '', '', '',
  '1900-01-01', '00:00', '1970-01-01 00:00', '1969-12-31 23:59:59.999999+00', '-1 days -00:00:00.000001',
  '00000000-0000-0000-0000-000000000000', '[]', '{"z": 1, "a": 2}');
"#;

#[tokio::test]
async fn types_round_trip() {
    let Some(url) = pg_url() else { return };
    admin(&url).await.batch_execute(TYPES_TABLE).await.expect("fixture");
    let pg = backend(&url, "types").await;

    let found = pg.table_schema(&["types_rt".to_string()]).await.expect("schema");
    let mut expected = schema(&[
        ("id", DataType::Int32),
        ("b", DataType::Boolean),
        ("i2", DataType::Int16),
        ("i4", DataType::Int32),
        ("i8", DataType::Int64),
        ("f4", DataType::Float32),
        ("f8", DataType::Float64),
        ("n", DataType::Decimal { precision: 38, scale: 9 }),
        ("nu", DataType::Decimal { precision: 38, scale: 10 }),
        ("t", DataType::String),
        ("vc", DataType::String),
        ("c", DataType::String),
        ("nm", DataType::String),
        ("by", DataType::Binary),
        ("d", DataType::Date),
        ("tm", DataType::Time),
        ("ts", ts_us(None)),
        ("tz", ts_us(Some("UTC"))),
        ("iv", DataType::Interval),
        ("u", DataType::String),
        ("j", DataType::String),
        ("jb", DataType::String),
    ])
    .fields()
    .to_vec();
    expected[0].nullable = false;
    assert_eq!(found.fields(), expected.as_slice());
    // Qualified names read the same table.
    assert_eq!(pg.table_schema(&["public".into(), "types_rt".into()]).await.expect("qualified"), found);

    let arrow = Arc::new(found.to_arrow());
    let batches = run(&pg, "SELECT * FROM types_rt ORDER BY id", arrow.clone()).await;
    // Exact values: 64-bit extremes, 38-digit decimals, an unconstrained numeric rounded half away
    // from zero to 10 places, unicode, a timestamptz written at +05:30 read back as UTC.
    let rows: Vec<String> =
        pretty(&batches).lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(
        rows[3],
        "| 1 | true | -32768 | 2147483647 | 9223372036854775807 | 1.5 | -2.25 | -12345678901234567890123456789.123456789 \
         | 1.2345678902 | héllo 🌍 日本 | varchar | ab | nm | 00ff10 | 2024-02-29 | 23:59:59.999999 \
         | 1999-12-31T23:59:59.123456 | 2024-03-10T07:04:56.789012Z | 14 mons 3 days 4 hours 5 mins 6.000007000 secs \
         | a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 | {\"a\": [1, 2]} | {\"b\": null} |"
    );
    assert_eq!(rows[4], format!("| 2 |{}", " |".repeat(21)));
    assert_eq!(
        rows[5],
        "| 3 | false | 0 | -2147483648 | -9223372036854775808 | -0.5 | 1e300 | 99999999999999999999999999999.999999999 \
         | -0.0000000001 | | | | | | 1900-01-01 | 00:00:00 | 1970-01-01T00:00:00 | 1969-12-31T23:59:59.999999Z \
         | -1 days -0.000001000 secs | 00000000-0000-0000-0000-000000000000 | [] | {\"a\": 2, \"z\": 1} |"
    );
    let all = concat_batches(&arrow, &batches).expect("one schema");
    let padded = all.column(11).as_any().downcast_ref::<StringArray>().expect("char(3)");
    assert_eq!((padded.value(0), padded.value(2)), ("ab ", "   "), "char(n) keeps its padding");
    assert_eq!(all.num_rows(), 3);
    for column in all.columns().iter().skip(1) {
        assert!(column.is_null(1), "row 2 is NULL everywhere");
    }
    assert_eq!(all.schema(), arrow);

    // Back in: every type through binary COPY into a temporary table, and out again unchanged.
    let mut con = pg.open().await.expect("open");
    let written = con.load("types_copy", &found, stream_of(arrow.clone(), batches.clone())).await.expect("load");
    assert_eq!(written, 3);
    let again =
        collect(con.query("SELECT * FROM types_copy ORDER BY id".into(), arrow.clone()).await.expect("query")).await;
    assert_eq!(concat_batches(&arrow, &again).expect("one schema"), all);
}

#[tokio::test]
async fn unsupported_column_types_are_named() {
    let Some(url) = pg_url() else { return };
    admin(&url)
        .await
        .batch_execute("DROP TABLE IF EXISTS unsupported_t; CREATE TABLE unsupported_t (id int4, tags text[])")
        .await
        .expect("fixture");
    let pg = backend(&url, "odd").await;
    let err = pg.table("unsupported_t").await.expect_err("text[] is not readable").to_string();
    for part in ["`odd`", "`tags`", "`unsupported_t`", "`text[]`"] {
        assert!(err.contains(part), "{part} missing in: {err}");
    }
}

// ---------------------------------------------------------------- moving rows in

#[tokio::test]
async fn load_and_query_a_temporary_table() {
    let Some(url) = pg_url() else { return };
    let pg = backend(&url, "moves").await;
    let ir = schema(&[
        ("id", DataType::Int64),
        ("x", DataType::Float64),
        ("s", DataType::String),
        ("amount", DataType::Decimal { precision: 12, scale: 2 }),
        ("at", ts_us(Some("UTC"))),
        ("flag", DataType::Boolean),
    ]);
    let arrow: ArrowSchemaRef = Arc::new(ir.to_arrow());
    let batch = |start: i64, len: i64| {
        let ids: Vec<i64> = (start..start + len).collect();
        let null = |i: &i64| i % 7 == 3;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids.clone())),
            Arc::new(ids.iter().map(|i| (!null(i)).then_some(*i as f64 / 4.0)).collect::<Float64Array>()),
            Arc::new(ids.iter().map(|i| (!null(i)).then(|| format!("row {i} ✓"))).collect::<StringArray>()),
            Arc::new(
                ids.iter()
                    .map(|i| (!null(i)).then_some(i128::from(*i) * 101 - 50_000))
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(12, 2)
                    .expect("valid"),
            ),
            Arc::new(
                ids.iter()
                    .map(|i| (!null(i)).then_some(1_700_000_000_000_000 + i * 1_000_001))
                    .collect::<TimestampMicrosecondArray>()
                    .with_timezone("UTC"),
            ),
            Arc::new(ids.iter().map(|i| (!null(i)).then_some(i % 2 == 0)).collect::<BooleanArray>()),
        ];
        RecordBatch::try_new(arrow.clone(), columns).expect("valid batch")
    };
    let input: Vec<RecordBatch> = (0..4).map(|k| batch(k * 2500, 2500)).collect();

    let mut con = pg.open().await.expect("open");
    let written = con.load("moved", &ir, stream_of(arrow.clone(), input.clone())).await.expect("load");
    assert_eq!(written, 10_000);
    let out = collect(con.query("SELECT * FROM moved ORDER BY id".into(), arrow.clone()).await.expect("query")).await;
    assert_eq!(out.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(), [8192, 1808], "batches of 8192 rows");
    assert_eq!(concat_batches(&arrow, &out).expect("one schema"), concat_batches(&arrow, &input).expect("one schema"));

    // The temporary table belongs to that session only.
    let other = pg.open().await.expect("open").query("SELECT * FROM moved".into(), arrow.clone()).await.err();
    assert!(matches!(other, Some(EngineError::TableNotFound { .. })), "{other:?}");

    // Aggregates come back as PostgreSQL types them (count: int8, sum of numeric: numeric).
    let mut con = pg.open().await.expect("open");
    con.load("moved", &ir, stream_of(arrow.clone(), input.clone())).await.expect("load");
    let totals = Arc::new(ArrowSchema::new(vec![
        ArrowField::new("n", ArrowType::Int64, true),
        ArrowField::new("total", ArrowType::Decimal128(38, 2), true),
        ArrowField::new("mean", ArrowType::Float64, true),
    ]));
    let out =
        collect(con.query("SELECT count(*), sum(amount), avg(id) FROM moved".into(), totals).await.expect("query"))
            .await;
    let expected_total: i128 = (0..10_000i128).filter(|i| i % 7 != 3).map(|i| i * 101 - 50_000).sum();
    let total = out[0].column(1).as_any().downcast_ref::<Decimal128Array>().expect("decimal").value(0);
    assert_eq!(total, expected_total, "exact decimal sum");
    assert_eq!(out[0].column(0).as_any().downcast_ref::<Int64Array>().expect("int").value(0), 10_000);
    assert_eq!(out[0].column(2).as_any().downcast_ref::<Float64Array>().expect("float").value(0), 4999.5);
}

// ---------------------------------------------------------------- expressions

#[tokio::test]
async fn expression_through_the_postgres_dialect() {
    let Some(url) = pg_url() else { return };
    admin(&url)
        .await
        .batch_execute(
            "DROP TABLE IF EXISTS sales_expr;
             CREATE TABLE sales_expr (region text, amount numeric(12, 2), qty int4);
             INSERT INTO sales_expr VALUES ('east', 10.50, 2), ('east', 0.25, 1), ('west', 99.99, 3),
               ('west', 0.01, 5), ('north', 7.00, 1), (NULL, 1.00, 4);",
        )
        .await
        .expect("fixture");
    let pg = backend(&url, "warehouse").await;
    let sales = pg.table("sales_expr").await.expect("table");
    let expr = sales
        .filter(col("qty").gt(lit(1)))
        .and_then(|t| {
            t.group_by(["region"]).agg([
                col("amount").sum().alias("total"),
                col("qty").sum().alias("units"),
                col("amount").count().alias("n"),
            ])
        })
        .and_then(|t| t.order_by(["region"]))
        .expect("expression");
    let sql = to_sql(&expr, SqlDialect::Postgres).expect("sql");
    let out = run(&pg, &sql, Arc::new(expr.schema().to_arrow())).await;
    let text = pretty(&out);
    let expected = "\
+--------+--------+-------+---+
| region | total  | units | n |
+--------+--------+-------+---+
| east   | 10.50  | 2     | 1 |
| west   | 100.00 | 8     | 2 |
|        | 1.00   | 4     | 1 |
+--------+--------+-------+---+";
    assert_eq!(text, expected, "SQL:\n{sql}");
}

// ---------------------------------------------------------------- faults

#[tokio::test]
async fn refused_connection_names_the_profile() {
    let port = TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    // The listener is gone: nobody listens on `port` now.
    let start = Instant::now();
    let err = connect(&format!("postgresql://xorq@127.0.0.1:{port}/xorq"), "deadpg").await.expect_err("refused");
    assert!(start.elapsed() < Duration::from_secs(3), "refusal is fast: {:?}", start.elapsed());
    assert!(matches!(err, EngineError::Connect { ref profile, .. } if profile == "deadpg"), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("`deadpg`") && text.contains("refused") && text.contains(&port.to_string()), "{text}");
}

#[tokio::test]
async fn silent_server_times_out() {
    // Accepts TCP (the kernel completes the handshake) but never answers the startup message.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let start = Instant::now();
    let url = format!("postgresql://xorq@127.0.0.1:{port}/xorq?connect_timeout=0.5");
    let err = connect(&url, "mute").await.expect_err("no answer");
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(450) && took < Duration::from_secs(3), "{took:?}");
    match &err {
        EngineError::Timeout { profile, param, seconds, .. } => {
            assert_eq!((profile.as_str(), param.as_str(), *seconds), ("mute", "connect_timeout", 0.5));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(err.to_string().contains("connect_timeout"), "{err}");
    drop(listener);
}

#[tokio::test]
async fn wrong_or_missing_password_is_a_connect_error() {
    let Some(url) = pg_url() else { return };
    let p = parts(&url);
    let wrong = format!("postgresql://{}:not-the-password@{}:{}/{}", p.user, p.host, p.port, p.dbname);
    let err = connect(&wrong, "badpw").await.expect_err("rejected");
    assert!(matches!(err, EngineError::Connect { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("`badpw`") && text.contains("rejected the password"), "{text}");
    assert!(!text.contains("not-the-password"), "never print the password: {text}");

    let none = format!("postgresql://{}@{}:{}/{}", p.user, p.host, p.port, p.dbname);
    let text = connect(&none, "nopw").await.expect_err("a password is needed").to_string();
    assert!(text.contains("`nopw`") && text.contains("PGPASSWORD"), "{text}");
}

#[tokio::test]
async fn missing_tables() {
    let Some(url) = pg_url() else { return };
    let pg = backend(&url, "wh").await;
    for name in ["no_such_table", "public.no_such_table", "no_schema.t", "otherdb.public.types_rt"] {
        match pg.table(name).await {
            Err(EngineError::TableNotFound { profile, table }) => {
                assert_eq!((profile.as_str(), table.as_str()), ("wh", name))
            }
            other => panic!("{name}: expected TableNotFound, got {other:?}"),
        }
    }
    let one = Arc::new(ArrowSchema::new(vec![ArrowField::new("x", ArrowType::Int64, true)]));
    let err = pg.open().await.expect("open").query("SELECT x FROM no_such_table".into(), one).await.err();
    assert!(
        matches!(&err, Some(EngineError::TableNotFound { profile, table }) if profile == "wh" && table == "no_such_table"),
        "{err:?}"
    );
}

#[tokio::test]
async fn dropping_a_stream_cancels_the_query() {
    let Some(url) = pg_url() else { return };
    let pg = backend(&url, "cancel").await;
    let schema = Arc::new(ArrowSchema::new(vec![ArrowField::new("g", ArrowType::Int64, true)]));
    let sql = "SELECT generate_series(1, 50000000)::int8 AS g /* xorq-cancel-test */";
    let mut stream = pg.open().await.expect("open").query(sql.into(), schema.clone()).await.expect("query");
    let first = stream.next().await.expect("a batch").expect("rows");
    assert_eq!(first.num_rows(), 8192);
    let start = Instant::now();
    drop(stream);
    assert!(start.elapsed() < Duration::from_millis(500), "drop is prompt: {:?}", start.elapsed());

    // The server stops the statement (it would otherwise stream 50M rows into a closed socket).
    let watcher = admin(&url).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let row = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%xorq-cancel-test%' AND pid <> pg_backend_pid()",
                &[],
            )
            .await
            .expect("pg_stat_activity");
        if row.get::<_, i64>(0) == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the cancelled statement still runs after 5 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // And the backend goes on.
    let out = run(&pg, "SELECT 41::int8 + 1 AS g", schema).await;
    assert_eq!(pretty(&out), "+----+\n| g  |\n+----+\n| 42 |\n+----+");
}

#[tokio::test]
async fn statement_timeout_is_a_timeout_error() {
    let Some(url) = pg_url() else { return };
    let pg = backend(&with_param(&url, "statement_timeout", "0.2"), "slow").await;
    let schema = Arc::new(ArrowSchema::new(vec![ArrowField::new("x", ArrowType::Utf8, true)]));
    let start = Instant::now();
    let mut stream =
        pg.open().await.expect("open").query("SELECT pg_sleep(3)::text AS x".into(), schema).await.expect("sent");
    let err = loop {
        match stream.next().await {
            Some(Ok(_)) => continue,
            Some(Err(e)) => break e,
            None => panic!("pg_sleep(3) finished despite statement_timeout=0.2"),
        }
    };
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    let DataFusionError::External(inner) = &err else { panic!("expected our error inside, got {err:?}") };
    match inner.downcast_ref::<EngineError>() {
        Some(EngineError::Timeout { profile, param, .. }) => {
            assert_eq!((profile.as_str(), param.as_str()), ("slow", "statement_timeout"))
        }
        other => panic!("expected a statement timeout, got {other:?}"),
    }
}

// ---------------------------------------------------------------- profiles

#[tokio::test]
async fn profiles_hold_references_not_secrets() {
    let Some(url) = pg_url() else { return };
    let pg = backend(&url, "local").await;
    let p = parts(&url);
    let params = pg.profile().params();
    assert_eq!(params["password"], "${PGPASSWORD}");
    assert_eq!((params["host"].as_str(), params["port"].as_str()), (p.host.as_str(), p.port.as_str()));
    assert!(!format!("{pg:?}").contains(&p.password), "Debug hides the password");

    // The recorded profile connects again through the connector, with PGPASSWORD from `env`.
    let env: BTreeMap<&str, String> = [("PGPASSWORD", p.password.clone())].into();
    let again = Connectors::builtin()
        .connect_with_env(pg.profile(), |var| env.get(var).cloned())
        .await
        .expect("connects from the profile");
    assert_eq!(again.profile(), pg.profile());
    let err = Connectors::builtin().connect_with_env(pg.profile(), |_| None).await.expect_err("PGPASSWORD unset");
    assert!(err.to_string().contains("PGPASSWORD"), "{err}");

    // Unknown parameters are refused by name.
    let odd = Profile::new("odd", "postgres").expect("profile").param("hots", "x").expect("param");
    let err = Connectors::builtin().connect_with_env(&odd, |_| None).await.expect_err("unknown").to_string();
    assert!(err.contains("`hots`") && err.contains("`odd`"), "{err}");
}

/// `connect_env` reads the process environment, which tests cannot change in-process (it is
/// `unsafe`), so this test runs [`connect_env_child`] in a child process with `PG*` set.
#[tokio::test]
async fn connect_env_records_references() {
    let Some(url) = pg_url() else { return };
    let p = parts(&url);
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args(["--exact", "postgres::connect_env_child", "--nocapture", "--test-threads=1"])
        .env("XORQ_TEST_PG_CHILD", "1")
        .env("PGHOST", &p.host)
        .env("PGPORT", &p.port)
        .env("PGUSER", &p.user)
        .env("PGPASSWORD", &p.password)
        .env("PGDATABASE", &p.dbname)
        .env_remove("PGSSLMODE")
        .env_remove("PGOPTIONS")
        .env_remove("PGAPPNAME")
        .env_remove("PGCONNECT_TIMEOUT")
        .output()
        .expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success() && text.contains("1 passed"), "{text}");
}

#[tokio::test]
async fn connect_env_child() {
    if std::env::var("XORQ_TEST_PG_CHILD").as_deref() != Ok("1") {
        return; // run by connect_env_records_references only
    }
    let pg = xorq_engines::backend::postgres::connect_env("envpg").await.expect("connects from PG*");
    let params: Vec<(&str, &str)> = pg.profile().params().iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        params,
        [
            ("dbname", "${PGDATABASE}"),
            ("host", "${PGHOST}"),
            ("password", "${PGPASSWORD}"),
            ("port", "${PGPORT}"),
            ("user", "${PGUSER}"),
        ]
    );
    let schema = Arc::new(ArrowSchema::new(vec![ArrowField::new("x", ArrowType::Int32, true)]));
    assert_eq!(pretty(&run(&pg, "SELECT 7 AS x", schema).await), "+---+\n| x |\n+---+\n| 7 |\n+---+");
    // And the recorded profile connects again from the same environment.
    Connectors::builtin().connect(pg.profile()).await.expect("reconnects");
}
