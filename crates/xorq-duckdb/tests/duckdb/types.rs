//! Every supported DuckDB type read into the IR, and moved back in through `load`.

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{Decimal128Type, Int64Type, TimestampMicrosecondType, UInt64Type};
use xorq_core::{DataType, Field, Schema, TimeUnit};
use xorq_duckdb::DuckDbBackend;
use xorq_engines::backend::Backend;

use crate::{TestResult, collect, run};

const CREATE: &str = r#"
CREATE TABLE every_type (
    b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INTEGER, i64 BIGINT,
    u8 UTINYINT, u16 USMALLINT, u32 UINTEGER, u64 UBIGINT,
    f32 FLOAT, f64 DOUBLE, dec DECIMAL(38,10), small_dec DECIMAL(5,2), huge HUGEINT,
    s VARCHAR, bin BLOB, d DATE, t TIME, ts TIMESTAMP, tsz TIMESTAMPTZ, tns TIMESTAMP_NS, iv INTERVAL,
    "quoted ""name""" INTEGER NOT NULL
);
INSERT INTO every_type VALUES
    (true, -128, -32768, -2147483648, -9223372036854775808, 0, 0, 0, 0,
     -1.5, -2.25, -1234567890123456789012345678.0123456789, -999.99, -99999999999999999999999999999999999999,
     'héllo wörld 🦆 世界', '\xAA\x00\xBB'::BLOB, DATE '1970-01-01', TIME '00:00:00',
     TIMESTAMP '1970-01-01 00:00:00', TIMESTAMPTZ '2024-01-01 12:34:56.789012+02', TIMESTAMP_NS '2024-01-01 00:00:00.123456789',
     INTERVAL '1 month 2 days 3 seconds', 1),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2),
    (false, 127, 32767, 2147483647, 9223372036854775807, 255, 65535, 4294967295, 18446744073709551615,
     3.5, 1e300, 1234567890123456789012345678.0123456789, 999.99, 99999999999999999999999999999999999999,
     '', ''::BLOB, DATE '2024-02-29', TIME '23:59:59.999999',
     TIMESTAMP '2262-04-11 23:47:16.854775', TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', TIMESTAMP_NS '1677-09-22 00:12:43.145224193',
     INTERVAL '-5 hours', 3);
"#;

fn expected_schema() -> Schema {
    let us = |tz: Option<&str>| DataType::Timestamp { unit: TimeUnit::Microsecond, tz: tz.map(Into::into) };
    let fields = [
        ("b", DataType::Boolean),
        ("i8", DataType::Int8),
        ("i16", DataType::Int16),
        ("i32", DataType::Int32),
        ("i64", DataType::Int64),
        ("u8", DataType::UInt8),
        ("u16", DataType::UInt16),
        ("u32", DataType::UInt32),
        ("u64", DataType::UInt64),
        ("f32", DataType::Float32),
        ("f64", DataType::Float64),
        ("dec", DataType::Decimal { precision: 38, scale: 10 }),
        ("small_dec", DataType::Decimal { precision: 5, scale: 2 }),
        ("huge", DataType::Decimal { precision: 38, scale: 0 }),
        ("s", DataType::String),
        ("bin", DataType::Binary),
        ("d", DataType::Date),
        ("t", DataType::Time),
        ("ts", us(None)),
        ("tsz", us(Some("UTC"))),
        ("tns", DataType::Timestamp { unit: TimeUnit::Nanosecond, tz: None }),
        ("iv", DataType::Interval),
    ];
    let mut fields: Vec<Field> = fields.into_iter().map(|(n, t)| Field::new(n, t, true)).collect();
    fields.push(Field::new(r#"quoted "name""#, DataType::Int32, false));
    Schema::new(fields).expect("distinct names")
}

/// Reads `every_type` through an expression, checks its schema and values, then moves the rows
/// into a temporary table of the same schema and checks they come back identical.
async fn round_trip(con: &DuckDbBackend) -> TestResult {
    con.execute_sql(CREATE).await?;
    let table = con.table("every_type").await?;
    assert_eq!(table.schema(), &expected_schema());
    let ordered = table.order_by([r#"quoted "name""#])?;
    let batches = run(con, &ordered).await?;
    let batch = concat_batches(&Arc::new(table.schema().to_arrow()), &batches)?;
    assert_eq!(batch.num_rows(), 3);
    for column in batch.columns().iter().take(22) {
        assert_eq!(column.null_count(), 1, "{:?}", column.data_type());
        assert!(column.is_null(1));
    }

    let i64s = batch.column_by_name("i64").expect("i64").as_primitive::<Int64Type>();
    assert_eq!((i64s.value(0), i64s.value(2)), (i64::MIN, i64::MAX));
    let u64s = batch.column_by_name("u64").expect("u64").as_primitive::<UInt64Type>();
    assert_eq!(u64s.value(2), u64::MAX);
    let dec = batch.column_by_name("dec").expect("dec").as_primitive::<Decimal128Type>();
    assert_eq!(dec.value(2), 12_345_678_901_234_567_890_123_456_780_123_456_789);
    assert_eq!(dec.value_as_string(0), "-1234567890123456789012345678.0123456789");
    let huge = batch.column_by_name("huge").expect("huge").as_primitive::<Decimal128Type>();
    assert_eq!(huge.value(2), 10i128.pow(38) - 1);
    let s = batch.column_by_name("s").expect("s").as_string::<i32>();
    assert_eq!((s.value(0), s.value(2)), ("héllo wörld 🦆 世界", ""));
    let bin = batch.column_by_name("bin").expect("bin").as_binary::<i32>();
    assert_eq!(bin.value(0), [0xAA, 0x00, 0xBB]);
    let tsz = batch.column_by_name("tsz").expect("tsz").as_primitive::<TimestampMicrosecondType>();
    assert_eq!(tsz.value(0), 1_704_105_296_789_012, "12:34:56.789012+02 is 10:34:56.789012 UTC");
    assert_eq!(tsz.value(2), -1);
    assert_eq!(tsz.timezone(), Some("UTC"));

    // The same rows, moved in through the appender, come back equal.
    let mut session = con.open().await?;
    let rows = futures::stream::iter(batches.clone().into_iter().map(Ok));
    let schema = Arc::new(table.schema().to_arrow());
    let rows = Box::pin(datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(schema.clone(), rows));
    assert_eq!(session.load("moved in", table.schema(), rows).await?, 3);
    let back = collect(session.query(r#"SELECT * FROM "moved in" ORDER BY 23"#.into(), schema.clone()).await?).await?;
    assert_eq!(concat_batches(&schema, &back)?, batch);
    Ok(())
}

#[tokio::test]
async fn every_type_round_trips_in_memory() -> TestResult {
    round_trip(&*xorq_duckdb::connect_memory("mem")?).await
}

#[tokio::test]
async fn every_type_round_trips_in_a_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("types.duckdb");
    round_trip(&*xorq_duckdb::connect(&path, "file")?).await?;
    // The table was written to the file: a profile connects it again and reads the same schema.
    let profile =
        xorq_core::profile::Profile::new("file", xorq_duckdb::KIND)?.param("path", &path.to_string_lossy())?;
    let connectors = xorq_engines::backend::Connectors::default().with(xorq_duckdb::KIND, xorq_duckdb::connector());
    let again = connectors.connect(&profile).await?;
    assert_eq!(again.table("every_type").await?.schema(), &expected_schema());
    Ok(())
}
