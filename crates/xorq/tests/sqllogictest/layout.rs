//! The directory the `.slt` files expect to run in. DataFusion's runner runs in
//! `datafusion/sqllogictest/` of a checkout, so the files name their data relative to it:
//! `../../testing/data/csv/…` (the arrow-testing submodule), `../../parquet-testing/…`,
//! `../core/tests/data/…`, `data/…`, `test_files/scratch/<file>/…` (written by the tests) and
//! `test_files/tpch/data/*.tbl` (TPC-H at scale factor 0.1). We build the same shape in a
//! temporary directory, so the SQL runs unmodified:
//! - `data/` is the vendored `files/data/`;
//! - `testing/`, `parquet-testing/` and `datafusion/core/` link into the test-data directory when
//!   one is given (it has the layout of a DataFusion checkout's root; see the README);
//! - the TPC-H tables are generated with `tpchgen` (the same rows as `dbgen`), once, under
//!   Cargo's target directory.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::TempDir;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator, PartSuppGenerator,
    RegionGenerator, SupplierGenerator,
};

/// The scale factor of DataFusion's TPC-H answers (`datafusion/sqllogictest/README.md`).
const TPCH_SCALE: f64 = 0.1;

/// The run directory.
pub struct Layout {
    _root: TempDir,
    /// `<root>`, the stand-in for a DataFusion checkout; shown as `WORKSPACE_ROOT` in results.
    pub root: PathBuf,
    /// `<root>/datafusion/sqllogictest`, the current directory while files run.
    pub cwd: PathBuf,
}

impl Layout {
    /// Builds the directory and makes it the current one. `vendored` is `files/`, `data` the
    /// DataFusion test data (if any), `tpch` the generated TPC-H tables (if needed).
    pub fn new(vendored: &Path, data: Option<&Path>, tpch: Option<&Path>) -> Result<Layout, String> {
        let dir = TempDir::new().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
        let root = dir.path().canonicalize().map_err(|e| e.to_string())?;
        let cwd = root.join("datafusion").join("sqllogictest");
        fs::create_dir_all(cwd.join("test_files").join("scratch")).map_err(|e| e.to_string())?;
        fs::create_dir_all(cwd.join("test_files").join("tpch")).map_err(|e| e.to_string())?;
        link(&vendored.join("data"), &cwd.join("data"))?;
        if let Some(data) = data {
            for sub in ["testing", "parquet-testing", "datafusion/core"] {
                let from = data.join(sub);
                if from.exists() {
                    link(&from, &root.join(sub))?;
                }
            }
        }
        if let Some(tpch) = tpch {
            link(tpch, &cwd.join("test_files").join("tpch").join("data"))?;
        }
        std::env::set_current_dir(&cwd).map_err(|e| format!("cannot enter `{}`: {e}", cwd.display()))?;
        Ok(Layout { _root: dir, root, cwd })
    }

    /// Empties `test_files/scratch/<stem>`, as DataFusion's runner does before each file.
    pub fn scratch(&self, stem: &str) -> Result<(), String> {
        let dir = self.cwd.join("test_files").join("scratch").join(stem);
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| format!("cannot empty `{}`: {e}", dir.display()))?;
        }
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))
    }
}

fn link(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::os::unix::fs::symlink(from, to)
        .map_err(|e| format!("cannot link `{}` to `{}`: {e}", to.display(), from.display()))
}

/// The TPC-H tables at scale factor 0.1 as `dbgen` writes them (`|`-separated, with a trailing
/// `|`), generated into `dir` unless a complete earlier generation is there.
pub fn tpch_tables(dir: &Path) -> Result<(), String> {
    let done = dir.join("complete");
    if done.exists() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create `{}`: {e}", dir.display()))?;
    let sf = TPCH_SCALE;
    write_tbl(dir, "region", RegionGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "nation", NationGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "part", PartGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "supplier", SupplierGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "partsupp", PartSuppGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "customer", CustomerGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "orders", OrderGenerator::new(sf, 1, 1).iter())?;
    write_tbl(dir, "lineitem", LineItemGenerator::new(sf, 1, 1).iter())?;
    fs::write(&done, "").map_err(|e| format!("cannot write `{}`: {e}", done.display()))
}

fn write_tbl<T: std::fmt::Display>(dir: &Path, table: &str, rows: impl Iterator<Item = T>) -> Result<(), String> {
    let path = dir.join(format!("{table}.tbl"));
    let err = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let mut out = BufWriter::new(fs::File::create(&path).map_err(err)?);
    for row in rows {
        writeln!(out, "{row}").map_err(err)?;
    }
    out.flush().map_err(err)
}
