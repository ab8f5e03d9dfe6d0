//! Fixtures shared by the build tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use xorq_core::{FileFormat, Source, Table, col, lit};
use xorq_engines::probe::probe_file;

/// A small, byte-deterministic CSV of sales.
pub const SALES_CSV: &str = "order_id,region,amount,day\n\
1,EU,120.5,2024-01-01\n\
2,US,80.0,2024-01-01\n\
3,EU,310.25,2024-01-02\n\
4,APAC,99.5,2024-01-02\n\
5,US,150.0,2024-01-03\n";

/// Writes the sales CSV into `dir` and returns its path.
pub fn sales_file(dir: &Path) -> PathBuf {
    let path = dir.join("sales.csv");
    std::fs::write(&path, SALES_CSV).expect("write fixture");
    path
}

/// A read of `path` as CSV.
pub fn read_csv(path: &Path) -> Table {
    let location = path.to_str().expect("utf-8 path");
    let format = FileFormat::Csv(Default::default());
    let schema = probe_file(&format, location).expect("probe");
    Table::from_source(Source::file(format, location, schema).expect("source")).expect("table")
}

/// The seeds' sales pipeline: revenue per region over orders above a threshold.
pub fn pipeline(path: &Path) -> Table {
    read_csv(path)
        .filter(col("amount").gt(lit(100)))
        .and_then(|t| t.group_by([col("region")]).agg([col("amount").sum().alias("total")]))
        .and_then(|t| t.order_by([col("total").desc()]))
        .expect("pipeline builds")
}
