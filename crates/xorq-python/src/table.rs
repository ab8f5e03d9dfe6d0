//! `Table`: a deferred table expression, named by the hash of its logic (`.address`), run on
//! the embedded engine with the user's cache (`$XORQ_CACHE_DIR`, else `~/.cache/xorq`, as the
//! `xorq` command).

use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::pyarrow::{PyArrowType, ToPyArrow};
use futures::StreamExt;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use xorq::{CacheStorage, CacheStrategy, Expr, JoinKind, Params, Table};

use crate::backends::{PyBackend, session};
use crate::errors::to_py;
use crate::value::{PyValue, to_column, to_expr, to_sort};

/// The runtime every query runs on: the one the blocking Rust API shares.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    xorq::exec::blocking::runtime().map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// A deferred table expression.
#[pyclass(name = "Table", module = "xorq_rs", frozen)]
pub(crate) struct PyTable {
    pub(crate) table: Table,
}

/// A table grouped by keys, waiting for its aggregates (`.agg(total=xo._.amount.sum())`).
#[pyclass(name = "GroupBy", module = "xorq_rs", frozen)]
pub(crate) struct PyGroupBy {
    table: Table,
    keys: Vec<Expr>,
}

fn wrap<E: Into<xorq::Error>>(table: std::result::Result<Table, E>) -> PyResult<PyTable> {
    Ok(PyTable { table: table.map_err(to_py)? })
}

/// Keyword arguments as named expressions, in the order given.
fn named(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<Expr>> {
    let Some(kwargs) = kwargs else { return Ok(Vec::new()) };
    kwargs
        .iter()
        .map(|(name, value)| {
            let name: String = name.extract()?;
            Ok(to_expr(&value)?.alias(name))
        })
        .collect()
}

/// Refuses the multiset form of a set operation the core does not have.
fn distinct_only(method: &str, sql: &str, distinct: bool) -> PyResult<()> {
    if distinct {
        return Ok(());
    }
    Err(PyValueError::new_err(format!("{method}(distinct=False) ({sql}) is not supported; use distinct=True")))
}

/// Parameter values by name, as `bool`, `int`, `float` or `str`.
fn to_params(params: Option<&Bound<'_, PyDict>>) -> PyResult<Params> {
    let mut out = Params::new();
    let Some(params) = params else { return Ok(out) };
    for (name, v) in params.iter() {
        let name: String = name.extract()?;
        out = if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
            out.set(&name, b.is_true())
        } else if v.is_instance_of::<pyo3::types::PyInt>() {
            out.set(&name, v.extract::<i64>()?)
        } else if v.is_instance_of::<pyo3::types::PyFloat>() {
            out.set(&name, v.extract::<f64>()?)
        } else if let Ok(text) = v.cast::<PyString>() {
            out.set_text(&name, text.to_str()?)
        } else {
            return Err(PyTypeError::new_err(format!(
                "parameter `{name}`: give a bool, int, float or str, not a {}",
                v.get_type().name()?
            )));
        };
    }
    Ok(out)
}

/// The join kind of Ibis' `how`.
fn join_kind(how: &str) -> PyResult<JoinKind> {
    Ok(match how {
        "inner" => JoinKind::Inner,
        "left" => JoinKind::Left,
        "right" => JoinKind::Right,
        "outer" => JoinKind::Outer,
        "semi" => JoinKind::Semi,
        "anti" => JoinKind::Anti,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown join `how={other:?}`: use inner, left, right, outer, semi or anti"
            )));
        }
    })
}

impl PyTable {
    /// The expression running, as a reader of its batches in its declared schema.
    fn reader(
        &self,
        py: Python<'_>,
        params: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Box<dyn RecordBatchReader + Send>> {
        let table = self.table.clone();
        let params = to_params(params)?;
        let stream = py.detach(|| {
            runtime().and_then(|rt| rt.block_on(session().execute_stream(&table, &params)).map_err(to_py))
        })?;
        let schema = Arc::new(self.table.schema().to_arrow());
        Ok(Box::new(Batches { schema, stream }))
    }
}

/// Batches pulled one at a time from a running query, blocking on the runtime: what
/// `to_pyarrow_batches` hands to pyarrow through the Arrow C stream interface.
struct Batches {
    schema: SchemaRef,
    stream: xorq::datafusion::execution::SendableRecordBatchStream,
}

impl Iterator for Batches {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => return Some(Err(ArrowError::ExternalError(Box::new(e)))),
        };
        let batch = rt.block_on(self.stream.next())?;
        Some(batch.map_err(|e| ArrowError::ExternalError(Box::new(e))).and_then(|b| conform(b, &self.schema)))
    }
}

/// `batch` with the expression's declared schema: the engine may hand over another
/// representation of a type (`Utf8View` for `String`); Python sees the types `.schema()` says.
fn conform(batch: RecordBatch, schema: &SchemaRef) -> std::result::Result<RecordBatch, ArrowError> {
    if batch.schema().fields().iter().zip(schema.fields()).all(|(a, b)| a.data_type() == b.data_type()) {
        // Same types: only names or metadata may differ.
        return RecordBatch::try_new(Arc::clone(schema), batch.columns().to_vec());
    }
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    RecordBatch::try_new(Arc::clone(schema), columns)
}

impl RecordBatchReader for Batches {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

#[pymethods]
impl PyTable {
    /// The hash of the expression's logic (hex): the name of its builds and cache entries.
    #[getter]
    fn address(&self) -> String {
        self.table.address().hex()
    }

    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.table.columns().into_iter().map(str::to_string).collect()
    }

    /// The schema, as a `pyarrow.Schema`.
    fn schema(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.table.schema().to_arrow().to_pyarrow(py)?.unbind())
    }

    /// The rows satisfying every predicate.
    #[pyo3(signature = (*predicates))]
    fn filter(&self, predicates: &Bound<'_, PyTuple>) -> PyResult<PyTable> {
        let mut all: Option<Expr> = None;
        for p in predicates.iter() {
            let e = to_expr(&p)?;
            all = Some(match all {
                Some(a) => a.and(e),
                None => e,
            });
        }
        let Some(all) = all else { return Err(PyTypeError::new_err("filter needs at least one predicate")) };
        wrap(self.table.filter(all))
    }

    /// These columns (names or expressions), then the named expressions.
    #[pyo3(signature = (*columns, **named_exprs))]
    fn select(&self, columns: &Bound<'_, PyTuple>, named_exprs: Option<&Bound<'_, PyDict>>) -> PyResult<PyTable> {
        let mut exprs = Vec::new();
        for c in columns.iter() {
            if let Ok(list) = c.cast::<PyList>() {
                for item in list.iter() {
                    exprs.push(to_column(&item)?);
                }
            } else {
                exprs.push(to_column(&c)?);
            }
        }
        exprs.extend(named(named_exprs)?);
        // Every column in order, unrenamed, is the table itself, as the SQL front end reads
        // `SELECT a, b FROM t`: so the same logic has one address from Python and from SQL.
        // (The Rust API keeps such a projection; eliding it there changes canonical forms, which
        // waits for the next hash scheme so that existing builds keep their addresses.)
        let names = self.table.columns();
        if exprs.len() == names.len() && exprs.iter().zip(&names).all(|(e, n)| *e == xorq::col(*n)) {
            return Ok(PyTable { table: self.table.clone() });
        }
        wrap(self.table.select(exprs))
    }

    /// Every column, with the named expressions added (or replacing columns of that name).
    #[pyo3(signature = (**named_exprs))]
    fn mutate(&self, named_exprs: Option<&Bound<'_, PyDict>>) -> PyResult<PyTable> {
        wrap(self.table.mutate(named(named_exprs)?))
    }

    /// Every column but these.
    #[pyo3(signature = (*names))]
    fn drop(&self, names: Vec<String>) -> PyResult<PyTable> {
        wrap(self.table.drop(names))
    }

    /// Columns renamed, Ibis' way: `rename(new_name="old_name")`.
    #[pyo3(signature = (**mapping))]
    fn rename(&self, mapping: Option<&Bound<'_, PyDict>>) -> PyResult<PyTable> {
        let mut pairs = Vec::new();
        if let Some(m) = mapping {
            for (new, old) in m.iter() {
                pairs.push((old.extract::<String>()?, new.extract::<String>()?));
            }
        }
        wrap(self.table.rename(pairs))
    }

    /// The rows in this order (names, values, or `value.desc()`).
    #[pyo3(signature = (*keys))]
    fn order_by(&self, keys: &Bound<'_, PyTuple>) -> PyResult<PyTable> {
        let keys = keys.iter().map(|k| to_sort(&k)).collect::<PyResult<Vec<_>>>()?;
        wrap(self.table.order_by(keys))
    }

    /// At most `n` rows, after skipping `offset`.
    #[pyo3(signature = (n, offset = 0))]
    fn limit(&self, n: Option<u64>, offset: u64) -> PyResult<PyTable> {
        wrap(self.table.slice(offset, n))
    }

    /// The distinct rows.
    fn distinct(&self) -> PyResult<PyTable> {
        wrap(self.table.distinct())
    }

    /// The rows of both (`distinct=True`: once each).
    #[pyo3(signature = (other, distinct = false))]
    fn union(&self, other: &PyTable, distinct: bool) -> PyResult<PyTable> {
        wrap(if distinct { self.table.union_distinct(&other.table) } else { self.table.union(&other.table) })
    }

    /// The rows of both (distinct rows, as Ibis' default `distinct=True`).
    #[pyo3(signature = (other, distinct = true))]
    fn intersect(&self, other: &PyTable, distinct: bool) -> PyResult<PyTable> {
        distinct_only("intersect", "INTERSECT ALL", distinct)?;
        wrap(self.table.intersect(&other.table))
    }

    /// The rows of this table not in `other` (distinct rows, as Ibis' default).
    #[pyo3(signature = (other, distinct = true))]
    fn difference(&self, other: &PyTable, distinct: bool) -> PyResult<PyTable> {
        distinct_only("difference", "EXCEPT ALL", distinct)?;
        wrap(self.table.difference(&other.table))
    }

    /// Joined with `other` on equal columns (`on`: a name or a list of names present in both).
    #[pyo3(signature = (other, on, how = "inner"))]
    fn join(&self, other: &PyTable, on: &Bound<'_, PyAny>, how: &str) -> PyResult<PyTable> {
        let keys: Vec<String> =
            if let Ok(s) = on.cast::<PyString>() { vec![s.to_str()?.to_string()] } else { on.extract()? };
        wrap(self.table.join(&other.table, join_kind(how)?, keys))
    }

    /// Grouped by these keys (names or values); `.agg(...)` gives one row per group.
    #[pyo3(signature = (*keys))]
    fn group_by(&self, keys: &Bound<'_, PyTuple>) -> PyResult<PyGroupBy> {
        let keys = keys.iter().map(|k| to_column(&k)).collect::<PyResult<Vec<_>>>()?;
        Ok(PyGroupBy { table: self.table.clone(), keys })
    }

    /// One row of aggregates over every row: `agg(total=xo._.amount.sum())`.
    #[pyo3(signature = (**named_exprs))]
    fn agg(&self, named_exprs: Option<&Bound<'_, PyDict>>) -> PyResult<PyTable> {
        wrap(self.table.agg(named(named_exprs)?))
    }

    /// This expression cached under its address. `cache` is a cache of `xorq_rs.caching`
    /// (`ParquetCache.from_kwargs()`, `SourceCache.from_kwargs(source=con)`, the snapshot
    /// variants) or a strategy's name (`"modification_time"`, the default, or `"snapshot"`);
    /// `storage=ParquetStorage()` / `SourceStorage(con)` picks the storage alone.
    #[pyo3(signature = (cache = None, *, storage = None))]
    fn cache(&self, cache: Option<&Bound<'_, PyAny>>, storage: Option<&Bound<'_, PyAny>>) -> PyResult<PyTable> {
        let (strategy, mut kept) = match cache {
            None => ("modification_time".to_string(), None),
            Some(c) if c.is_instance_of::<PyString>() => (c.extract::<String>()?, None),
            Some(c) if c.hasattr("strategy")? && c.hasattr("storage")? => {
                (c.getattr("strategy")?.getattr("name")?.extract()?, Some(c.getattr("storage")?))
            }
            Some(c) => {
                return Err(PyTypeError::new_err(format!(
                    "cache() takes a cache from xorq_rs.caching (ParquetCache.from_kwargs(), SourceCache.from_kwargs(...)) \
                     or \"modification_time\" / \"snapshot\"; got a {}",
                    c.get_type().name()?
                )));
            }
        };
        if let Some(s) = storage {
            if kept.is_some() {
                return Err(PyTypeError::new_err("give the storage once: in the cache or as storage=, not both"));
            }
            kept = Some(s.clone());
        }
        let strategy = match strategy.as_str() {
            "modification_time" => CacheStrategy::modification_time(),
            "snapshot" => CacheStrategy::snapshot(),
            other => {
                return Err(PyValueError::new_err(format!(
                    "unknown cache strategy {other:?}: use \"modification_time\" or \"snapshot\""
                )));
            }
        };
        let storage = match kept {
            None => CacheStorage::Parquet,
            Some(s) => {
                let kind: String = s.getattr("kind").and_then(|k| k.extract()).map_err(|_| {
                    PyTypeError::new_err("storage must be ParquetStorage(...) or SourceStorage(...) of xorq_rs.caching")
                })?;
                let profile: Option<String> = s.getattr("profile")?.extract()?;
                match (kind.as_str(), profile) {
                    ("parquet", _) => CacheStorage::Parquet,
                    ("source", None) => CacheStorage::source(),
                    ("source", Some(p)) => CacheStorage::source_in(&p),
                    (other, _) => return Err(PyValueError::new_err(format!("unknown cache storage {other:?}"))),
                }
            }
        };
        wrap(self.table.cache_in(strategy, storage))
    }

    /// This expression's rows moved into another engine (a connection, or a profile name):
    /// computed where their data lives, streamed into `backend` as Arrow, and what follows runs
    /// there. `xo.connect()` is the embedded engine.
    #[pyo3(name = "into_backend")]
    fn moved_into(&self, backend: &Bound<'_, PyAny>) -> PyResult<PyTable> {
        let profile: String = match backend.cast::<PyBackend>() {
            Ok(b) => b.get().profile.clone(),
            Err(_) => backend.extract().map_err(|_| {
                PyTypeError::new_err(format!(
                    "into_backend takes a connection (xo.connect(), xo.duckdb.connect(), ...) or a profile name; got a {}",
                    backend.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?,
        };
        wrap(self.table.into_backend(&profile))
    }

    /// A name for this subexpression, for lineage and `serve-unbound --to-unbind-tag`.
    fn tag(&self, name: &str) -> PyResult<PyTable> {
        wrap(self.table.tag(name))
    }

    /// Runs the expression and returns its rows as a `pyarrow.Table`. `params` binds
    /// parameters (`xo.param`) by name: `expr.execute(params={"threshold": 150})`.
    #[pyo3(signature = (params = None))]
    fn execute(&self, py: Python<'_>, params: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        let table = self.table.clone();
        let params = to_params(params)?;
        let batches =
            py.detach(|| runtime().and_then(|rt| rt.block_on(session().execute(&table, &params)).map_err(to_py)))?;
        let schema: SchemaRef = Arc::new(self.table.schema().to_arrow());
        let batches =
            batches.into_iter().map(|b| conform(b, &schema)).collect::<std::result::Result<Vec<_>, _>>().map_err(
                |e| crate::errors::ExecutionError::new_err(format!("the result does not fit its schema: {e}")),
            )?;
        let reader = RecordBatchIterator::new(batches.into_iter().map(Ok), schema);
        let reader: Box<dyn RecordBatchReader + Send> = Box::new(reader);
        let reader = PyArrowType(reader).into_pyobject(py)?;
        Ok(reader.call_method0("read_all")?.unbind())
    }

    /// Runs the expression and returns its rows as a `pyarrow.RecordBatchReader`, streamed
    /// (through the Arrow C stream interface: no copy through Python objects).
    #[pyo3(signature = (params = None))]
    fn to_pyarrow_batches(&self, py: Python<'_>, params: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyAny>> {
        let reader = self.reader(py, params)?;
        Ok(PyArrowType(reader).into_pyobject(py)?.unbind())
    }

    /// The Arrow PyCapsule stream protocol: `pyarrow.table(expr)`, `polars.from_arrow(expr)`,
    /// DuckDB and any other consumer of `__arrow_c_stream__` run the expression and read its
    /// batches as they come, without copies. `requested_schema` is not honoured (the schema is
    /// the expression's).
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, pyo3::types::PyCapsule>> {
        let _ = requested_schema;
        let stream = arrow::ffi_stream::FFI_ArrowArrayStream::new(self.reader(py, None)?);
        pyo3::types::PyCapsule::new_with_value(py, stream, c"arrow_array_stream")
    }

    /// Runs the expression and returns a `pandas.DataFrame` (pandas must be installed).
    fn to_pandas(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self.execute(py, None)?.bind(py).call_method0("to_pandas")?.unbind())
    }

    /// Where `column`'s values come from, as the tree `xorq lineage` prints (`control=True`
    /// also shows the filter, join, sort and grouping keys that decide which rows it has).
    #[pyo3(signature = (column, *, control = false))]
    fn lineage(&self, column: &str, control: bool) -> PyResult<String> {
        let graph = xorq::lineage::column_lineage(&self.table, column).map_err(to_py)?;
        let options = xorq::lineage::TreeOptions { control, ..Default::default() };
        Ok(graph.render(&options))
    }

    /// The plan as a tree, one operation per line.
    fn plan(&self) -> String {
        self.table.to_string()
    }

    /// A notebook's view: the address, the schema and the plan (nothing runs).
    fn _repr_html_(&self) -> String {
        let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
        let rows: String = self
            .table
            .schema()
            .fields()
            .iter()
            .map(|f| format!("<tr><td>{}</td><td>{}</td></tr>", esc(&f.name), esc(&f.dtype.to_string())))
            .collect();
        format!(
            "<div class=\"xorq-table\"><p><b>xorq_rs.Table</b> <code>{}</code> (deferred: <code>.execute()</code> runs it)</p>\
             <table><thead><tr><th>column</th><th>type</th></tr></thead><tbody>{rows}</tbody></table>\
             <details><summary>plan</summary><pre>{}</pre></details></div>",
            self.table.address().short(),
            esc(&self.table.to_string())
        )
    }

    /// The column `name` as a value: `t.amount`.
    fn __getattr__(&self, name: &str) -> PyResult<PyValue> {
        if self.table.schema().field(name).is_none() {
            return Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "the table has no column or method `{name}`; its columns: {}",
                self.table.columns().join(", ")
            )));
        }
        Ok(PyValue { expr: xorq::col(name) })
    }

    /// The column `name` as a value: `t["amount"]`.
    fn __getitem__(&self, name: &str) -> PyResult<PyValue> {
        if self.table.schema().field(name).is_none() {
            return Err(pyo3::exceptions::PyKeyError::new_err(format!(
                "no column `{name}`; the columns: {}",
                self.table.columns().join(", ")
            )));
        }
        Ok(PyValue { expr: xorq::col(name) })
    }

    /// The address, the schema (one column per line) and the plan.
    fn __repr__(&self) -> String {
        let columns: String =
            self.table.schema().fields().iter().map(|f| format!("\n  {}: {}", f.name, f.dtype)).collect();
        format!("xorq_rs.Table {} (deferred){columns}\nplan:\n{}", self.table.address().short(), self.table)
    }
}

#[pymethods]
impl PyGroupBy {
    /// One row per group: the keys, then the named aggregates.
    #[pyo3(signature = (**named_exprs))]
    fn agg(&self, named_exprs: Option<&Bound<'_, PyDict>>) -> PyResult<PyTable> {
        wrap(self.table.group_by(self.keys.clone()).agg(named(named_exprs)?))
    }

    /// The number of rows of each group, as column `name`.
    #[pyo3(signature = (name = "count"))]
    fn count(&self, name: &str) -> PyResult<PyTable> {
        wrap(self.table.group_by(self.keys.clone()).agg([xorq::count_star().alias(name)]))
    }
}
