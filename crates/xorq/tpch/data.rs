//! The TPC-H tables as Arrow batches, generated with `tpchgen` / `tpchgen-arrow` (the one set of
//! generators of the repository). `files.rs` writes them as Parquet for the tests and the
//! DataFusion bench; the DuckDB bench streams them into DuckDB.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::error::Error;

use arrow::array::{RecordBatch, RecordBatchReader};
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator, PartSuppGenerator,
    RegionGenerator, SupplierGenerator,
};
use tpchgen_arrow::{
    CustomerArrow, LineItemArrow, NationArrow, OrderArrow, PartArrow, PartSuppArrow, RegionArrow, SupplierArrow,
};

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The eight TPC-H tables, largest first.
pub const TABLES: [&str; 8] = ["lineitem", "orders", "partsupp", "part", "customer", "supplier", "nation", "region"];

/// Rows per generated batch: DataFusion's default batch size.
pub const BATCH_SIZE: usize = 8192;

/// A generated table's batches, as a reader.
pub type Generator = Box<dyn RecordBatchReader + Send>;

/// Part `part` (1-based) of `parts` of the TPC-H table `name` at scale factor `sf`.
pub fn generator(name: &str, sf: f64, part: i32, parts: i32) -> Res<Generator> {
    Ok(match name {
        "part" => Box::new(PartArrow::new(PartGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "supplier" => Box::new(SupplierArrow::new(SupplierGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "partsupp" => Box::new(PartSuppArrow::new(PartSuppGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "customer" => Box::new(CustomerArrow::new(CustomerGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "orders" => Box::new(OrderArrow::new(OrderGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "lineitem" => Box::new(LineItemArrow::new(LineItemGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "nation" => Box::new(NationArrow::new(NationGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        "region" => Box::new(RegionArrow::new(RegionGenerator::new(sf, part, parts)).with_batch_size(BATCH_SIZE)),
        other => return Err(format!("no TPC-H table `{other}`").into()),
    })
}

/// Whether `name` has a fixed size whatever the scale factor (`nation`, `region`): splitting
/// it into parts gives nothing.
pub fn is_fixed(name: &str) -> bool {
    matches!(name, "nation" | "region")
}

/// Collects the table `name`, split into `parts` parts generated on parallel threads, in part
/// order.
pub fn generate(name: &str, sf: f64, parts: usize) -> Res<Vec<RecordBatch>> {
    let parts = if is_fixed(name) { 1 } else { i32::try_from(parts.max(1))? };
    let results: Vec<Res<Vec<RecordBatch>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (1..=parts)
            .map(|part| s.spawn(move || Ok(generator(name, sf, part, parts)?.collect::<Result<Vec<_>, _>>()?)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a generator thread panicked".into()))).collect()
    });
    let mut batches = Vec::new();
    for r in results {
        batches.extend(r?);
    }
    Ok(batches)
}
