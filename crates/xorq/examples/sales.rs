//! The seeds' sales pipeline on generated sample data: read Parquet, filter, group, aggregate.
//! Prints the expression's address and the result table.
//!
//! Run with `cargo run --example sales`.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::util::pretty::pretty_format_batches;
use xorq::prelude::*;

/// Writes 100,000 deterministic sales rows to `path` (skipped if it exists).
fn write_sample(path: &PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    if path.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(path.parent().ok_or("sample path has no parent")?)?;
    let regions = ["north", "south", "east", "west"];
    let n = 100_000i64;
    // A small linear congruential generator keeps the data identical on every machine.
    let mut state = 42u64;
    let mut next = || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        state >> 33
    };
    let (mut ids, mut region, mut amount) = (Vec::new(), Vec::new(), Vec::new());
    for id in 0..n {
        ids.push(id);
        region.push(regions[(next() % 4) as usize]);
        amount.push((next() % 50_000) as f64 / 100.0);
    }
    let batch = RecordBatch::try_from_iter([
        ("order_id", Arc::new(Int64Array::from(ids)) as _),
        ("region", Arc::new(StringArray::from(region)) as _),
        ("amount", Arc::new(Float64Array::from(amount)) as _),
    ])?;
    let tmp = path.with_extension("parquet.tmp");
    let mut writer = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&tmp)?, batch.schema(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    std::fs::rename(tmp, path)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/sample-data/sales.parquet");
    write_sample(&data)?;
    let path = data.to_str().ok_or("sample path is not UTF-8")?;

    let expr = xorq::read_parquet(path)?
        .filter(col("amount").gt(lit(100)))?
        .group_by(["region"])
        .agg([col("amount").sum().alias("total"), count_star().alias("orders")])?
        .order_by(["region"])?;

    println!("address: {}", expr.address());
    println!("schema:  {}", expr.schema());
    println!("plan:\n{expr}");
    let batches = expr.execute()?;
    println!("{}", pretty_format_batches(&batches)?);
    Ok(())
}
