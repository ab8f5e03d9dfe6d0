//! Deferred reads: schemas are read at construction, data at execution; a referenced file's
//! address follows its normalized path, never its content.

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::util::pretty::pretty_format_batches;
use xorq::prelude::*;

use crate::common::write_parquet;

fn batch(ids: Vec<i64>, regions: Vec<&str>, amounts: Vec<f64>) -> RecordBatch {
    RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(ids)) as _),
        ("region", Arc::new(StringArray::from(regions)) as _),
        ("amount", Arc::new(Float64Array::from(amounts)) as _),
    ])
    .expect("valid batch")
}

fn pretty(t: &Table) -> String {
    pretty_format_batches(&t.execute().expect("runs")).expect("format").to_string()
}

#[test]
fn parquet_csv_and_json_read_the_same_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = batch(vec![1, 2, 3], vec!["EU", "US", "EU"], vec![10.5, 200.0, 300.25]);
    let pq = dir.path().join("sales.parquet");
    write_parquet(&pq, &b);
    let csv = dir.path().join("sales.csv");
    std::fs::write(&csv, "id,region,amount\n1,EU,10.5\n2,US,200.0\n3,EU,300.25\n").expect("write csv");
    let json = dir.path().join("sales.json");
    std::fs::write(&json, "{\"id\":1,\"region\":\"EU\",\"amount\":10.5}\n{\"id\":2,\"region\":\"US\",\"amount\":200.0}\n{\"id\":3,\"region\":\"EU\",\"amount\":300.25}\n").expect("write json");

    let pipeline = |t: Table| -> Table {
        t.filter(col("amount").gt(lit(100)))
            .and_then(|t| t.group_by(["region"]).agg([col("amount").sum().alias("total")]))
            .and_then(|t| t.order_by(["region"]))
            .expect("pipeline builds")
    };
    let from_parquet = pipeline(xorq::read_parquet(pq.to_str().expect("utf-8")).expect("probe parquet"));
    let from_csv = pipeline(xorq::read_csv(csv.to_str().expect("utf-8")).expect("probe csv"));
    let from_json = pipeline(xorq::read_json(json.to_str().expect("utf-8")).expect("probe json"));
    assert_eq!(from_parquet.schema().to_string(), "region: String not null, total: Float64");
    let expected = pretty(&from_parquet);
    assert_eq!(pretty(&from_csv), expected);
    assert_eq!(pretty(&from_json), expected);
    assert!(expected.contains("| EU     | 300.25 |"), "{expected}");
    // Different formats are different sources.
    assert_ne!(from_parquet.address(), from_csv.address());
}

#[test]
fn new_data_at_the_same_path_keeps_the_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sales.parquet");
    write_parquet(&path, &batch(vec![1], vec!["EU"], vec![1.0]));
    let p = path.to_str().expect("utf-8");
    let before = xorq::read_parquet(p).and_then(|t| Ok(t.filter(col("amount").gt(lit(0)))?)).expect("builds");
    write_parquet(&path, &batch(vec![7, 8], vec!["US", "US"], vec![5.0, 6.0]));
    let after = xorq::read_parquet(p).and_then(|t| Ok(t.filter(col("amount").gt(lit(0)))?)).expect("builds");
    assert_eq!(before.address(), after.address());
    // The deferred read sees the new data when it runs.
    assert!(pretty(&before).contains("| 8  | US     | 6.0    |"));

    let spelled = format!("{}/./x/../sales.parquet", dir.path().display());
    let other = xorq::read_parquet(&spelled).and_then(|t| Ok(t.filter(col("amount").gt(lit(0)))?)).expect("builds");
    assert_eq!(before.address(), other.address());
}

#[test]
fn a_missing_file_fails_at_construction_with_its_path() {
    let err = xorq::read_parquet("/definitely/not/here.parquet").expect_err("missing");
    let text = err.to_string();
    assert!(text.starts_with("cannot read the schema of `/definitely/not/here.parquet`"), "{text}");
    assert!(text.contains("hint: check the path"), "{text}");

    let dir = tempfile::tempdir().expect("tempdir");
    let bogus = dir.path().join("bogus.parquet");
    std::fs::write(&bogus, b"not parquet").expect("write");
    let err = xorq::read_parquet(bogus.to_str().expect("utf-8")).expect_err("not parquet").to_string();
    assert!(err.contains("not a readable Parquet file"), "{err}");
}

#[test]
fn a_file_whose_schema_changed_after_construction_fails_at_execution_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("drift.parquet");
    write_parquet(&path, &batch(vec![1], vec!["EU"], vec![1.0]));
    let t = xorq::read_parquet(path.to_str().expect("utf-8")).expect("probe");
    let renamed = RecordBatch::try_from_iter([("other", Arc::new(Int64Array::from(vec![1])) as _)]).expect("batch");
    write_parquet(&path, &renamed);
    let err = t.execute().expect_err("schema drift").to_string();
    insta::assert_snapshot!(err.replace(dir.path().to_str().expect("utf-8"), "[dir]"), @r"
    source `[dir]/drift.parquet` changed since the expression was built: column `id` is missing, column `region` is missing, column `amount` is missing (the file now has `other`)
    hint: rebuild the expression against the new file, or restore the file
    ");
}

#[test]
fn directories_of_parquet_files_read_as_one_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_parquet(&dir.path().join("part-0.parquet"), &batch(vec![1], vec!["EU"], vec![1.0]));
    write_parquet(&dir.path().join("part-1.parquet"), &batch(vec![2], vec!["US"], vec![2.0]));
    let t = xorq::read_parquet(dir.path().to_str().expect("utf-8"))
        .and_then(|t| Ok(t.agg([count_star().alias("n")])?))
        .expect("builds");
    assert!(pretty(&t).contains("| 2 |"));
}

#[test]
fn execute_stream_yields_the_same_rows_without_collecting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("many.parquet");
    let n = 50_000i64;
    let ids: Vec<i64> = (0..n).collect();
    let b = RecordBatch::try_from_iter([("id", Arc::new(Int64Array::from(ids)) as _)]).expect("batch");
    write_parquet(&path, &b);
    let t = xorq::read_parquet(path.to_str().expect("utf-8"))
        .and_then(|t| Ok(t.filter(col("id").gt_eq(lit(10)))?))
        .expect("builds");
    let stream = t.execute_stream(&Params::new()).expect("starts");
    assert_eq!(stream.schema().field(0).name(), "id");
    let mut batches = 0;
    let mut rows = 0;
    for batch in stream {
        rows += batch.expect("batch").num_rows();
        batches += 1;
    }
    assert_eq!(rows, (n - 10) as usize);
    assert!(batches > 1, "the result arrives in several batches");
}

#[tokio::test]
async fn blocking_calls_inside_async_code_explain_the_alternative() {
    let t = xorq::memtable(vec![batch(vec![1], vec!["EU"], vec![1.0])]).expect("memtable");
    let err = t.execute().expect_err("blocking inside async").to_string();
    assert!(err.contains("use `Session::new().execute(&table, &params).await`"), "{err}");
}
