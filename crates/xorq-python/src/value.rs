//! Column expressions: what `xo._.amount`, `xo._.amount > 100` and `xo._.amount.sum()` are.
//!
//! A `Value` wraps an expression of the Rust API. It names columns without a table (the table
//! it is used with resolves them, with "did you mean" when a name is wrong), so `xo._` can
//! build expressions before any table exists, as the seeds' deferred `_` does.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pyclass::CompareOp;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};
use xorq::{DataType, Expr, SortExpr};

use crate::errors::to_py;

/// A column expression.
#[pyclass(name = "Value", module = "xorq_rs", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct PyValue {
    pub(crate) expr: Expr,
}

/// An ordering key: a value with its direction (`xo._.amount.desc()`).
#[pyclass(name = "Sort", module = "xorq_rs", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct PySort {
    pub(crate) key: SortExpr,
}

/// The column named `name`.
#[pyfunction]
pub(crate) fn col(name: &str) -> PyValue {
    PyValue { expr: xorq::col(name) }
}

/// A named parameter of type `dtype` (`"float64"`, `"int64"`, `"string"`, ...), bound at run
/// time (`execute(params={name: value})`, `xorq run -p name=value`); `default` when unbound.
#[pyfunction]
#[pyo3(signature = (name, dtype, default = None))]
pub(crate) fn param(name: &str, dtype: &str, default: Option<&Bound<'_, PyAny>>) -> PyResult<PyValue> {
    let mut p = xorq::param(name, parse_type(dtype)?);
    if let Some(d) = default.filter(|d| !d.is_none()) {
        p = if let Ok(b) = d.cast::<PyBool>() {
            p.with_default(b.is_true())
        } else if d.is_instance_of::<PyInt>() {
            p.with_default(d.extract::<i64>()?)
        } else if d.is_instance_of::<PyFloat>() {
            p.with_default(d.extract::<f64>()?)
        } else if let Ok(s) = d.cast::<PyString>() {
            p.with_default(s.to_str()?)
        } else {
            return Err(PyTypeError::new_err(format!(
                "the default of `{name}` must be a bool, int, float or str, not a {}",
                d.get_type().name()?
            )));
        };
    }
    Ok(PyValue { expr: p.into() })
}

/// A constant: `bool`, `int`, `float` or `str`.
#[pyfunction]
pub(crate) fn lit(value: &Bound<'_, PyAny>) -> PyResult<PyValue> {
    Ok(PyValue { expr: to_expr(value)? })
}

/// A Python object as an expression: a `Value` as itself, `bool`/`int`/`float`/`str` as a
/// constant.
pub(crate) fn to_expr(obj: &Bound<'_, PyAny>) -> PyResult<Expr> {
    if let Ok(v) = obj.cast::<PyValue>() {
        return Ok(v.get().expr.clone());
    }
    // Python-side wrappers (the 0-based ranking functions) turn themselves into a value.
    if let Ok(method) = obj.getattr("_xorq_value") {
        return to_expr(&method.call0()?);
    }
    // `bool` first: Python's `bool` is an `int`.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(xorq::lit(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(xorq::lit(obj.extract::<i64>()?));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(xorq::lit(obj.extract::<f64>()?));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(xorq::lit(s.to_str()?));
    }
    if obj.is_none() {
        return Err(PyTypeError::new_err(
            "None is not a value here: test for missing values with .isnull() or .notnull()",
        ));
    }
    Err(PyTypeError::new_err(format!(
        "cannot use a {} as a value: give a column expression (xo._.name), a bool, an int, a float or a str",
        obj.get_type().name()?
    )))
}

/// A column reference given as a `str` (a name) or a `Value`.
pub(crate) fn to_column(obj: &Bound<'_, PyAny>) -> PyResult<Expr> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(xorq::col(s.to_str()?));
    }
    to_expr(obj)
}

/// An ordering key given as a name, a `Value` (ascending) or a `Sort`.
pub(crate) fn to_sort(obj: &Bound<'_, PyAny>) -> PyResult<SortExpr> {
    if let Ok(s) = obj.cast::<PySort>() {
        return Ok(s.get().key.clone());
    }
    Ok(to_column(obj)?.into())
}

fn value(expr: Expr) -> PyValue {
    PyValue { expr }
}

#[pymethods]
impl PyValue {
    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp) -> PyResult<PyValue> {
        let (a, b) = (self.expr.clone(), to_expr(other)?);
        Ok(value(match op {
            CompareOp::Lt => a.lt(b),
            CompareOp::Le => a.lt_eq(b),
            CompareOp::Eq => a.eq(b),
            CompareOp::Ne => a.not_eq(b),
            CompareOp::Gt => a.gt(b),
            CompareOp::Ge => a.gt_eq(b),
        }))
    }

    fn __and__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().and(to_expr(other)?)))
    }

    fn __rand__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(to_expr(other)?.and(self.expr.clone())))
    }

    fn __or__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().or(to_expr(other)?)))
    }

    fn __ror__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(to_expr(other)?.or(self.expr.clone())))
    }

    fn __invert__(&self) -> PyValue {
        value(!self.expr.clone())
    }

    fn __neg__(&self) -> PyValue {
        value(-self.expr.clone())
    }

    fn __add__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone() + to_expr(other)?))
    }

    fn __radd__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(to_expr(other)? + self.expr.clone()))
    }

    fn __sub__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone() - to_expr(other)?))
    }

    fn __rsub__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(to_expr(other)? - self.expr.clone()))
    }

    fn __mul__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone() * to_expr(other)?))
    }

    fn __rmul__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(to_expr(other)? * self.expr.clone()))
    }

    fn __truediv__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone() / to_expr(other)?))
    }

    fn __rtruediv__(&self, other: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(to_expr(other)? / self.expr.clone()))
    }

    fn __bool__(&self) -> PyResult<bool> {
        Err(PyTypeError::new_err(
            "a column expression has no truth value: combine conditions with &, | and ~, not and/or/not",
        ))
    }

    fn __repr__(&self) -> String {
        format!("<Value {}>", self.expr)
    }

    /// This value under another name.
    fn name(&self, name: &str) -> PyValue {
        value(self.expr.clone().alias(name))
    }

    /// Whether the value is missing.
    fn isnull(&self) -> PyValue {
        value(self.expr.clone().is_null())
    }

    /// Whether the value is present.
    fn notnull(&self) -> PyValue {
        value(self.expr.clone().is_not_null())
    }

    /// Whether the value is one of `values`.
    fn isin(&self, values: Vec<Bound<'_, PyAny>>) -> PyResult<PyValue> {
        let list = values.iter().map(to_expr).collect::<PyResult<Vec<_>>>()?;
        Ok(value(Expr::InList { expr: Box::new(self.expr.clone()), list, negated: false }))
    }

    /// Whether the value is none of `values`.
    fn notin(&self, values: Vec<Bound<'_, PyAny>>) -> PyResult<PyValue> {
        let list = values.iter().map(to_expr).collect::<PyResult<Vec<_>>>()?;
        Ok(value(Expr::InList { expr: Box::new(self.expr.clone()), list, negated: true }))
    }

    /// Whether the value lies in `[low, high]`.
    fn between(&self, low: &Bound<'_, PyAny>, high: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().between(to_expr(low)?, to_expr(high)?)))
    }

    /// The value, or `fill` where it is missing.
    fn fill_null(&self, fill: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().fill_null(to_expr(fill)?)))
    }

    /// The value as `dtype` (`"int64"`, `"float64"`, `"string"`, `"Decimal(12, 2)"`, …).
    fn cast(&self, dtype: &str) -> PyResult<PyValue> {
        let t = parse_type(dtype)?;
        Ok(value(self.expr.clone().cast(t)))
    }

    /// The absolute value.
    fn abs(&self) -> PyValue {
        value(self.expr.clone().abs())
    }

    /// Rounded to `digits` decimals.
    #[pyo3(signature = (digits = 0))]
    fn round(&self, digits: i64) -> PyValue {
        value(self.expr.clone().round(digits))
    }

    /// Lower-case text.
    fn lower(&self) -> PyValue {
        value(self.expr.clone().lower())
    }

    /// Upper-case text.
    fn upper(&self) -> PyValue {
        value(self.expr.clone().upper())
    }

    /// The length of the text, in characters.
    fn length(&self) -> PyValue {
        value(self.expr.clone().str_len())
    }

    /// Whether the text contains `needle`.
    fn contains(&self, needle: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().contains(to_expr(needle)?)))
    }

    /// Whether the text starts with `prefix`.
    fn startswith(&self, prefix: &Bound<'_, PyAny>) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().starts_with(to_expr(prefix)?)))
    }

    /// The year of a date or timestamp.
    fn year(&self) -> PyValue {
        value(self.expr.clone().year())
    }

    /// The month of a date or timestamp.
    fn month(&self) -> PyValue {
        value(self.expr.clone().month())
    }

    /// The day of the month of a date or timestamp.
    fn day(&self) -> PyValue {
        value(self.expr.clone().day())
    }

    /// The sum over the rows (of a group).
    fn sum(&self) -> PyValue {
        value(self.expr.clone().sum())
    }

    /// The mean.
    fn mean(&self) -> PyValue {
        value(self.expr.clone().mean())
    }

    /// The smallest value.
    fn min(&self) -> PyValue {
        value(self.expr.clone().min())
    }

    /// The largest value.
    fn max(&self) -> PyValue {
        value(self.expr.clone().max())
    }

    /// How many values are present.
    fn count(&self) -> PyValue {
        value(self.expr.clone().count())
    }

    /// How many distinct values are present.
    fn nunique(&self) -> PyValue {
        value(self.expr.clone().count_distinct())
    }

    /// The sample standard deviation (as pandas' and Ibis' `std`).
    fn std(&self) -> PyValue {
        value(self.expr.clone().std())
    }

    /// This aggregate or window function over a window: `xo._.amount.sum().over(w)`, or
    /// `.over(group_by="region", order_by="day")`.
    #[pyo3(signature = (window = None, *, group_by = None, order_by = None))]
    fn over(
        &self,
        window: Option<&Bound<'_, PyAny>>,
        group_by: Option<&Bound<'_, PyAny>>,
        order_by: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyValue> {
        Ok(value(self.expr.clone().over(crate::window::window_of(window, group_by, order_by)?)))
    }

    /// The value `offset` rows before in the window's order (`default` where there is none).
    #[pyo3(signature = (offset = 1, default = None))]
    fn lag(&self, offset: i64, default: Option<&Bound<'_, PyAny>>) -> PyResult<PyValue> {
        crate::window::shifted(self, offset, default, false)
    }

    /// The value `offset` rows after in the window's order (`default` where there is none).
    #[pyo3(signature = (offset = 1, default = None))]
    fn lead(&self, offset: i64, default: Option<&Bound<'_, PyAny>>) -> PyResult<PyValue> {
        crate::window::shifted(self, offset, default, true)
    }

    /// The running sum in `order_by` order (within `group_by`): rows from the first to this one.
    #[pyo3(signature = (*, group_by = None, order_by = None))]
    fn cumsum(&self, group_by: Option<&Bound<'_, PyAny>>, order_by: Option<&Bound<'_, PyAny>>) -> PyResult<PyValue> {
        let w = crate::window::window_of(None, group_by, order_by)?
            .rows_between(xorq::FrameBound::UnboundedPreceding, xorq::FrameBound::CurrentRow);
        Ok(value(self.expr.clone().sum().over(w)))
    }

    /// Ascending order by this value.
    fn asc(&self) -> PySort {
        PySort { key: self.expr.clone().asc() }
    }

    /// Descending order by this value.
    fn desc(&self) -> PySort {
        PySort { key: self.expr.clone().desc() }
    }
}

#[pymethods]
impl PySort {
    fn __repr__(&self) -> String {
        format!("<Sort {}{}>", self.key.expr, if self.key.descending { " desc" } else { "" })
    }
}

/// A type named as the seeds name them (`"int64"`, `"float64"`, `"string"`) or as manifests do.
pub(crate) fn parse_type(name: &str) -> PyResult<DataType> {
    let known = match name.trim().to_ascii_lowercase().as_str() {
        "bool" | "boolean" => Some(DataType::Boolean),
        "int8" => Some(DataType::Int8),
        "int16" => Some(DataType::Int16),
        "int32" => Some(DataType::Int32),
        "int64" | "int" => Some(DataType::Int64),
        "float32" => Some(DataType::Float32),
        "float64" | "float" | "double" => Some(DataType::Float64),
        "string" | "str" | "utf8" => Some(DataType::String),
        "date" => Some(DataType::Date),
        "binary" | "bytes" => Some(DataType::Binary),
        _ => None,
    };
    match known {
        Some(t) => Ok(t),
        None => DataType::parse(name).map_err(to_py),
    }
}
