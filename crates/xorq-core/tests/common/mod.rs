//! Fixtures shared by the core integration tests: sources with fixed identities, so addresses do
//! not depend on the machine running the tests.

#![allow(dead_code)]

pub mod corpus;

use std::sync::Arc;

use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
use xorq_core::{DataType, Field, FileFormat, Schema, Source, Table, TimeUnit};

pub fn sales_schema() -> Schema {
    Schema::new(vec![
        Field::new("order_id", DataType::Int64, false),
        Field::new("region", DataType::String, true),
        Field::new("amount", DataType::Float64, true),
        Field::new("qty", DataType::Int32, true),
        Field::new("price", DataType::Decimal { precision: 15, scale: 2 }, true),
        Field::new("day", DataType::Date, true),
        Field::new("ts", DataType::Timestamp { unit: TimeUnit::Microsecond, tz: Some("UTC".into()) }, true),
        Field::new("customer_id", DataType::Int64, true),
        Field::new("note", DataType::String, true),
    ])
    .expect("fixture schema has unique names")
}

/// `/data/sales.parquet`, an absolute reference, so its identity is the same everywhere.
pub fn sales() -> Table {
    Table::from_source(Source::file(FileFormat::Parquet, "/data/sales.parquet", sales_schema()).expect("absolute path"))
        .expect("source node")
}

pub fn customers() -> Table {
    let schema = Schema::new(vec![
        Field::new("customer_id", DataType::Int64, false),
        Field::new("name", DataType::String, true),
        Field::new("region", DataType::String, true),
        Field::new("since", DataType::Date, true),
    ])
    .expect("unique names");
    Table::from_source(Source::file(FileFormat::Parquet, "/data/customers.parquet", schema).expect("absolute path"))
        .expect("source node")
}

pub fn small_memtable() -> Table {
    let batch = RecordBatch::try_from_iter([
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
        ("label", Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])) as _),
        ("score", Arc::new(Float64Array::from(vec![0.5, 1.5, 2.5])) as _),
    ])
    .expect("valid batch");
    Table::memtable(vec![batch]).expect("memtable")
}
