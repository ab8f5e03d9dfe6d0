//! Rows moved into DuckDB: a temporary table of the session, filled batch by batch.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType as ArrowType, Field as ArrowField, Float64Type, Int64Type, Schema as ArrowSchema};
use datafusion::error::DataFusionError;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use xorq_core::{DataType, Field, Schema, Source, Table, col};
use xorq_engines::EngineError;
use xorq_engines::backend::Backend;
use xorq_engines::dialect::{SqlDialect, to_sql};

use crate::{TestResult, collect};

fn schema() -> Schema {
    Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::String, true),
        Field::new("x", DataType::Float64, true),
    ])
    .expect("distinct names")
}

/// `batches` batches of `rows` rows each: id counts from 0, name is `n<id>`, x is id / 2.
fn rows(batches: usize, rows: usize) -> impl Iterator<Item = Result<RecordBatch, DataFusionError>> {
    let arrow = Arc::new(schema().to_arrow());
    (0..batches).map(move |b| {
        let ids: Vec<i64> = (b * rows..(b + 1) * rows).map(|i| i as i64).collect();
        let names: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
        let xs: Vec<f64> = ids.iter().map(|&i| i as f64 / 2.0).collect();
        let columns: Vec<ArrayRef> =
            vec![Arc::new(Int64Array::from(ids)), Arc::new(StringArray::from(names)), Arc::new(Float64Array::from(xs))];
        Ok(RecordBatch::try_new(arrow.clone(), columns)?)
    })
}

fn stream(
    items: impl Iterator<Item = Result<RecordBatch, DataFusionError>> + Send + 'static,
) -> SendableRecordBatchStream {
    Box::pin(RecordBatchStreamAdapter::new(Arc::new(schema().to_arrow()), futures::stream::iter(items)))
}

#[tokio::test]
async fn a_hundred_thousand_rows_in_ten_batches() -> TestResult {
    let con = xorq_duckdb::connect_memory("mem")?;
    let mut session = con.open().await?;
    assert_eq!(session.load("moved", &schema(), stream(rows(10, 10_000))).await?, 100_000);

    // The segment that reads it, as the runner would write it: an expression over the table.
    let moved = Table::from_source(Source::table("mem", vec!["moved".into()], schema()))?;
    let summary = moved.filter(col("id").gt_eq(xorq_core::lit(0)))?.agg([
        xorq_core::count_star().alias("n"),
        col("id").sum().alias("ids"),
        col("name").count_distinct().alias("names"),
        col("x").max().alias("top"),
    ])?;
    let sql = to_sql(&summary, SqlDialect::DuckDb)?;
    let batches = collect(session.query(sql, Arc::new(summary.schema().to_arrow())).await?).await?;
    let batch = &batches[0];
    assert_eq!(batch.column(0).as_primitive::<Int64Type>().value(0), 100_000);
    assert_eq!(batch.column(1).as_primitive::<Int64Type>().value(0), 4_999_950_000);
    assert_eq!(batch.column(2).as_primitive::<Int64Type>().value(0), 100_000);
    assert_eq!(batch.column(3).as_primitive::<Float64Type>().value(0), 49_999.5);

    // Temporary tables belong to the session's connection: the backend's others do not see it.
    match con.table("moved").await {
        Err(EngineError::TableNotFound { profile, table }) => {
            assert_eq!((profile.as_str(), table.as_str()), ("mem", "moved"))
        }
        other => panic!("expected TableNotFound, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn rows_stream_out_in_many_batches() -> TestResult {
    let con = xorq_duckdb::connect_memory("mem")?;
    let schema = Arc::new(ArrowSchema::new(vec![ArrowField::new("i", ArrowType::Int64, true)]));
    let rows = con.open().await?.query("SELECT range AS i FROM range(100000)".into(), schema).await?;
    let batches = collect(rows).await?;
    assert!(batches.len() > 10, "one DuckDB chunk per batch, got {} batches", batches.len());
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(total, 100_000);
    Ok(())
}

#[tokio::test]
async fn a_failing_stream_fails_the_load_and_names_the_table() -> TestResult {
    let con = xorq_duckdb::connect_memory("mem")?;
    let mut session = con.open().await?;
    let failing = rows(2, 10).chain(std::iter::once(Err(DataFusionError::Execution("the source broke".into()))));
    let err = session.load("half", &schema(), stream(failing)).await.expect_err("the stream failed").to_string();
    assert!(err.contains("`mem`") && err.contains("half") && err.contains("the source broke"), "{err}");
    // No half-filled table is left behind, and the session goes on.
    let err = session.query(r#"SELECT id FROM "half""#.into(), Arc::new(schema().to_arrow())).await.err();
    assert!(matches!(err, Some(EngineError::TableNotFound { .. })), "{err:?}");

    let failing = rows(2, 10).chain(std::iter::once(Err(DataFusionError::Execution("broke again".into()))));
    con.create_table("lasting", &schema(), stream(failing)).await.expect_err("the stream failed");
    assert!(matches!(con.table("lasting").await, Err(EngineError::TableNotFound { .. })));
    Ok(())
}

#[tokio::test]
async fn batches_of_another_type_are_cast_or_refused() -> TestResult {
    let con = xorq_duckdb::connect_memory("mem")?;
    let mut session = con.open().await?;
    let narrow = Schema::new(vec![Field::new("small", DataType::Int8, true)])?;
    let wide = Arc::new(ArrowSchema::new(vec![ArrowField::new("small", ArrowType::Int64, true)]));
    let batch = RecordBatch::try_new(wide.clone(), vec![Arc::new(Int64Array::from(vec![1, 1000]))])?;
    let rows = Box::pin(RecordBatchStreamAdapter::new(wide, futures::stream::iter([Ok(batch)])));
    let err = session.load("narrow", &narrow, rows).await.expect_err("1000 is not an Int8").to_string();
    assert!(err.contains("mem") && err.contains("narrow") && err.contains("small"), "{err}");
    Ok(())
}

#[tokio::test]
async fn create_table_writes_a_lasting_table() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("lasting.duckdb");
    {
        let con = xorq_duckdb::connect(&path, "file")?;
        assert_eq!(con.create_table("moved", &schema(), stream(rows(3, 1000))).await?, 3000);
        // Every connection sees it, not only the one that wrote it.
        assert_eq!(con.table("moved").await?.schema(), &schema());
        let again = con.create_table("moved", &schema(), stream(rows(1, 1))).await.expect_err("it exists");
        assert!(again.to_string().contains("`file`") && again.to_string().contains("moved"), "{again}");
    }
    let con = xorq_duckdb::connect(&path, "file")?;
    let count = con.query_arrow_direct(r#"SELECT count(*) AS n, max(name) AS top FROM "moved""#).await?;
    assert_eq!(
        crate::pretty(&count)?,
        "+------+------+\n| n    | top  |\n+------+------+\n| 3000 | n999 |\n+------+------+"
    );
    Ok(())
}

#[tokio::test]
async fn string_views_and_large_strings_move_in_as_they_are() -> TestResult {
    use arrow::array::{LargeStringArray, StringViewArray};
    let con = xorq_duckdb::connect_memory("mem")?;
    let schema = Schema::new(vec![Field::new("v", DataType::String, true), Field::new("l", DataType::String, true)])?;
    let batch = RecordBatch::try_from_iter([
        ("v", Arc::new(StringViewArray::from(vec![Some("a view longer than twelve bytes"), None])) as ArrayRef),
        ("l", Arc::new(LargeStringArray::from(vec![None, Some("large")])) as ArrayRef),
    ])?;
    let rows = Box::pin(RecordBatchStreamAdapter::new(batch.schema(), futures::stream::iter([Ok(batch)])));
    let mut session = con.open().await?;
    assert_eq!(session.load("strings", &schema, rows).await?, 2);
    let back = collect(session.query(r#"SELECT * FROM "strings""#.into(), Arc::new(schema.to_arrow())).await?).await?;
    let expected = "\
+---------------------------------+-------+
| v                               | l     |
+---------------------------------+-------+
| a view longer than twelve bytes |       |
|                                 | large |
+---------------------------------+-------+";
    assert_eq!(crate::pretty(&back)?, expected);
    Ok(())
}
