//! `xorq_rs._native`: the extension module behind the Python package `xorq_rs`.
//!
//! The Python modules (`xorq_rs.api`, `xorq_rs.ibis_yaml.compiler`, …, in `python/`) give the
//! seeds' spellings; this module gives them the Rust types: [`table::PyTable`] (a deferred
//! table expression), [`value::PyValue`] (a column expression, what `xo._.amount` is), reading
//! sources and memtables, running on the embedded engine with the user's cache, builds, and
//! the `xorq` command itself ([`cli_main`], behind the wheel's console script).
//!
//! Errors become Python exceptions by fault (see [`errors`]), with the messages the Rust API
//! and the CLI give.

use pyo3::prelude::*;

mod backends;
mod errors;
mod io;
mod ml;
mod table;
mod value;
mod window;

/// Runs the `xorq` command with `argv` (`sys.argv`: the program name first) and returns its
/// exit code: the wheel's `xorq` console script is this, so `pip install` gives the same tool
/// as `cargo install`.
#[pyfunction]
fn cli_main(py: Python<'_>, argv: Vec<String>) -> u8 {
    // The command may run for long (a server, a long build): other Python threads go on.
    py.detach(|| xorq_cli::exit_status(argv))
}

/// The module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The ML functions must be registered before any SQL or manifest is read.
    xorq::ml::register().map_err(|e| errors::InternalError::new_err(e.to_string()))?;
    errors::add(m)?;
    m.add_class::<table::PyTable>()?;
    m.add_class::<table::PyGroupBy>()?;
    m.add_class::<value::PyValue>()?;
    m.add_class::<value::PySort>()?;
    m.add_function(wrap_pyfunction!(value::col, m)?)?;
    m.add_function(wrap_pyfunction!(value::param, m)?)?;
    m.add_function(wrap_pyfunction!(value::lit, m)?)?;
    m.add_function(wrap_pyfunction!(io::memtable, m)?)?;
    m.add_function(wrap_pyfunction!(io::read_file, m)?)?;
    m.add_function(wrap_pyfunction!(io::build_expr, m)?)?;
    m.add_function(wrap_pyfunction!(io::load_expr, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_class::<backends::PyBackend>()?;
    m.add_class::<window::PyWindow>()?;
    m.add_function(wrap_pyfunction!(window::window, m)?)?;
    m.add_function(wrap_pyfunction!(window::row_number, m)?)?;
    m.add_function(wrap_pyfunction!(window::rank, m)?)?;
    m.add_function(wrap_pyfunction!(window::dense_rank, m)?)?;
    m.add_function(wrap_pyfunction!(window::ntile, m)?)?;
    m.add_class::<ml::PyPipeline>()?;
    m.add_class::<ml::PyFittedPipeline>()?;
    m.add_function(wrap_pyfunction!(ml::ml_pipeline, m)?)?;
    m.add_function(wrap_pyfunction!(ml::train_test_splits, m)?)?;
    m.add_function(wrap_pyfunction!(backends::connect_local, m)?)?;
    m.add_function(wrap_pyfunction!(backends::sqlite_connect, m)?)?;
    m.add_function(wrap_pyfunction!(backends::ballista_connect, m)?)?;
    m.add_function(wrap_pyfunction!(backends::postgres_connect_env, m)?)?;
    m.add_function(wrap_pyfunction!(backends::postgres_connect, m)?)?;
    m.add_function(wrap_pyfunction!(backends::duckdb_connect, m)?)?;
    m.add_function(wrap_pyfunction!(backends::has_duckdb, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
