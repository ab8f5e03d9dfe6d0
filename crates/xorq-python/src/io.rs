//! Tables from files and from Python data; builds written and loaded.

use std::path::PathBuf;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema as ArrowSchema;
use arrow::pyarrow::PyArrowType;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use xorq::{Table, build::BuildOptions};

use crate::errors::{build_to_py, to_py};
use crate::table::PyTable;

/// A table over in-memory rows: a `pyarrow.Table`'s batches and schema (the Python side turns
/// dicts and pandas frames into one). Its address is the hash of the data.
#[pyfunction]
pub(crate) fn memtable(batches: Vec<PyArrowType<RecordBatch>>, schema: PyArrowType<ArrowSchema>) -> PyResult<PyTable> {
    let batches: Vec<RecordBatch> = batches.into_iter().map(|b| b.0).collect();
    let schema = xorq::Schema::from_arrow(&schema.0).map_err(to_py)?;
    let table = if batches.iter().all(|b| b.num_rows() == 0) {
        Table::memtable_with_schema(schema, Vec::new())
    } else {
        Table::memtable(batches.into_iter().filter(|b| b.num_rows() > 0).collect())
    };
    Ok(PyTable { table: table.map_err(to_py)? })
}

/// A deferred read of a local file or directory: `format` is `parquet`, `csv` or `json`. The
/// schema is read now (a Parquet footer, the first rows of a CSV); the rows when it runs.
#[pyfunction]
pub(crate) fn read_file(format: &str, path: &str) -> PyResult<PyTable> {
    let table = match format {
        "parquet" => xorq::read_parquet(path),
        "csv" => xorq::read_csv(path),
        "json" => xorq::read_json(path),
        other => return Err(PyValueError::new_err(format!("unknown format {other:?}: parquet, csv or json"))),
    };
    Ok(PyTable { table: table.map_err(to_py)? })
}

/// Writes a build of `table` under `builds_dir` and returns its directory (`builds/<address>`).
#[pyfunction]
#[pyo3(signature = (table, builds_dir = "builds", relocate_reads = true, debug = false))]
pub(crate) fn build_expr(
    py: Python<'_>,
    table: &PyTable,
    builds_dir: &str,
    relocate_reads: bool,
    debug: bool,
) -> PyResult<String> {
    let t = table.table.clone();
    let dir = PathBuf::from(builds_dir);
    let options = crate::backends::profiles()
        .into_iter()
        .fold(BuildOptions::default().relocate_reads(relocate_reads).debug(debug), BuildOptions::profile);
    let built = py.detach(|| xorq::build::build(&t, &dir, &options)).map_err(build_to_py)?;
    Ok(built.path.to_string_lossy().into_owned())
}

/// The expression of the build at `path`, checked as the `xorq` command checks it.
#[pyfunction]
pub(crate) fn load_expr(py: Python<'_>, path: &str) -> PyResult<PyTable> {
    let dir = PathBuf::from(path);
    let loaded = py.detach(|| xorq::build::load(&dir)).map_err(build_to_py)?;
    Ok(PyTable { table: loaded.table })
}
