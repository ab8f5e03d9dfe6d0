//! The TPC-H tables as Parquet files: one directory per table (`<dir>/lineitem/part-1.parquet`,
//! …), as `tpchgen-cli --parts` lays them out. A directory is read the same way by xorq's
//! `read_parquet('…/lineitem')`, DataFusion's `register_parquet` and DuckDB's
//! `read_parquet('…/lineitem/*.parquet')`, and `xorq build` keeps a directory as a reference
//! rather than copying it into every build.
//!
//! Needs `data.rs` included beside it as `mod data`.

// Each includer uses a part of this module.
#![allow(dead_code)]

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::data;

type Res<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The file that marks a complete data set, holding its scale factor.
const COMPLETE: &str = "tpch-complete";

/// Files per table at scale factor `sf`: one per unit of scale (so one at SF 1 and below, ten
/// at SF 10), one for the fixed-size tables.
pub fn parts(name: &str, sf: f64) -> usize {
    if data::is_fixed(name) {
        1
    } else {
        // A scale factor is at most a few thousand: the cast is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = sf.ceil().max(1.0) as usize;
        n
    }
}

/// The directory of table `name` in the data set at `dir`.
pub fn table_dir(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// Writes the eight tables at scale factor `sf` under `dir`, unless a complete data set of that
/// scale factor is already there. The tables are written into `dir.partial` and renamed into
/// place, so `dir` holds either a complete data set or none.
pub fn ensure(dir: &Path, sf: f64) -> Res<()> {
    let marker = dir.join(COMPLETE);
    if fs::read_to_string(&marker).is_ok_and(|s| s.trim().parse::<f64>().ok() == Some(sf)) {
        return Ok(());
    }
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("removing the incomplete data set `{}`: {e}", dir.display()))?;
    }
    let partial = dir.with_extension("partial");
    if partial.exists() {
        fs::remove_dir_all(&partial)?;
    }
    fs::create_dir_all(&partial).map_err(|e| format!("creating `{}`: {e}", partial.display()))?;
    // The tables on parallel threads: part files of one table are written in turn.
    let results: Vec<Res<()>> = std::thread::scope(|s| {
        let handles: Vec<_> = data::TABLES.iter().map(|name| s.spawn(|| write_table(&partial, name, sf))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a writer thread panicked".into()))).collect()
    });
    for r in results {
        r?;
    }
    fs::write(partial.join(COMPLETE), format!("{sf}\n"))?;
    fs::rename(&partial, dir).map_err(|e| format!("renaming `{}` to `{}`: {e}", partial.display(), dir.display()))?;
    Ok(())
}

fn write_table(dir: &Path, name: &str, sf: f64) -> Res<()> {
    let table_dir = table_dir(dir, name);
    fs::create_dir_all(&table_dir)?;
    let parts = parts(name, sf);
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    for part in 1..=parts {
        let generator = data::generator(name, sf, i32::try_from(part)?, i32::try_from(parts)?)?;
        let path = table_dir.join(format!("part-{part}.parquet"));
        let file = fs::File::create(&path).map_err(|e| format!("creating `{}`: {e}", path.display()))?;
        let mut writer = ArrowWriter::try_new(file, generator.schema(), Some(props.clone()))?;
        for batch in generator {
            writer.write(&batch?)?;
        }
        writer.close()?;
    }
    Ok(())
}
