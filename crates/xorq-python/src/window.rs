//! Window functions: `xo.window(group_by=..., order_by=..., rows=(-2, 0))`, `value.over(w)`,
//! `lag`/`lead`, `cumsum`, and the ranking functions (`xo.row_number()`, 0-based as in Ibis).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use xorq::{Expr, FrameBound, Window};

use crate::value::{PyValue, to_column, to_expr, to_sort};

/// A window: partition keys, ordering and an optional frame.
#[pyclass(name = "Window", module = "xorq_rs", frozen, from_py_object)]
#[derive(Clone)]
pub(crate) struct PyWindow {
    pub(crate) window: Window,
}

/// One key or a list of them.
fn many<'py>(obj: Option<&Bound<'py, PyAny>>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    match obj {
        None => Ok(Vec::new()),
        Some(o) if o.is_none() => Ok(Vec::new()),
        Some(o) if o.is_instance_of::<pyo3::types::PyList>() || o.is_instance_of::<pyo3::types::PyTuple>() => {
            o.try_iter()?.collect()
        }
        Some(o) => Ok(vec![o.clone()]),
    }
}

/// A frame bound as Ibis gives it: `None` unbounded, `0` the current row, `-n` n preceding,
/// `n` n following.
fn bound(v: Option<i64>, start: bool) -> FrameBound {
    match v {
        None if start => FrameBound::UnboundedPreceding,
        None => FrameBound::UnboundedFollowing,
        Some(0) => FrameBound::CurrentRow,
        Some(n) if n < 0 => FrameBound::Preceding(n.unsigned_abs()),
        Some(n) => FrameBound::Following(n.unsigned_abs()),
    }
}

/// Builds a window. `rows=(start, end)` or `range=(start, end)` gives a frame (`None`
/// unbounded, `0` current row, negative preceding, positive following); Ibis' `preceding=`/
/// `following=` (row counts, `None` unbounded) are a rows frame too.
#[pyfunction]
#[pyo3(signature = (group_by = None, order_by = None, rows = None, range = None, preceding = None, following = None))]
pub(crate) fn window(
    group_by: Option<&Bound<'_, PyAny>>,
    order_by: Option<&Bound<'_, PyAny>>,
    rows: Option<(Option<i64>, Option<i64>)>,
    range: Option<(Option<i64>, Option<i64>)>,
    preceding: Option<&Bound<'_, PyAny>>,
    following: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyWindow> {
    let keys = many(group_by)?.iter().map(to_column).collect::<PyResult<Vec<Expr>>>()?;
    let order = many(order_by)?.iter().map(to_sort).collect::<PyResult<Vec<_>>>()?;
    let mut w = Window::new().partition_by(keys).order_by(order);
    let ibis_frame = preceding.is_some() || following.is_some();
    if [rows.is_some(), range.is_some(), ibis_frame].iter().filter(|x| **x).count() > 1 {
        return Err(PyValueError::new_err("give one frame: rows=, range=, or preceding=/following="));
    }
    if let Some((a, b)) = rows {
        w = w.rows_between(bound(a, true), bound(b, false));
    } else if let Some((a, b)) = range {
        w = w.range_between(bound(a, true), bound(b, false));
    } else if ibis_frame {
        let count = |o: Option<&Bound<'_, PyAny>>| -> PyResult<Option<i64>> {
            match o {
                Some(v) if !v.is_none() => Ok(Some(v.extract::<i64>()?)),
                _ => Ok(None),
            }
        };
        let before = count(preceding)?.map(|n| -n.abs());
        let after = match following {
            None => Some(0),
            Some(_) => count(following)?,
        };
        w = w.rows_between(bound(before, true), bound(after, false));
    }
    Ok(PyWindow { window: w })
}

/// The window of `.over(window, group_by=..., order_by=...)`.
pub(crate) fn window_of(
    window_arg: Option<&Bound<'_, PyAny>>,
    group_by: Option<&Bound<'_, PyAny>>,
    order_by: Option<&Bound<'_, PyAny>>,
) -> PyResult<Window> {
    let mut w = match window_arg {
        Some(o) if !o.is_none() => o.cast::<PyWindow>().map_err(PyErr::from)?.get().window.clone(),
        _ => Window::new(),
    };
    let keys = many(group_by)?.iter().map(to_column).collect::<PyResult<Vec<Expr>>>()?;
    let order = many(order_by)?.iter().map(to_sort).collect::<PyResult<Vec<_>>>()?;
    w = w.partition_by(keys).order_by(order);
    Ok(w)
}

/// The row's position in its window, counting from 1 (the Python package makes it 0-based).
#[pyfunction]
pub(crate) fn row_number() -> PyValue {
    PyValue { expr: xorq::row_number() }
}

/// Rank with gaps, from 1.
#[pyfunction]
pub(crate) fn rank() -> PyValue {
    PyValue { expr: xorq::rank() }
}

/// Rank without gaps, from 1.
#[pyfunction]
pub(crate) fn dense_rank() -> PyValue {
    PyValue { expr: xorq::dense_rank() }
}

/// Bucket number in 1..=n.
#[pyfunction]
pub(crate) fn ntile(n: i64) -> PyValue {
    PyValue { expr: xorq::ntile(n) }
}

/// The lag or lead of `value`.
pub(crate) fn shifted(
    value: &PyValue,
    offset: i64,
    default: Option<&Bound<'_, PyAny>>,
    lead: bool,
) -> PyResult<PyValue> {
    let default = match default {
        Some(d) if !d.is_none() => Some(to_expr(d)?),
        _ => None,
    };
    let e = value.expr.clone();
    Ok(PyValue { expr: if lead { e.lead(offset, default) } else { e.lag(offset, default) } })
}
