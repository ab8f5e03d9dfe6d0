"""The seeds' `xorq.api` (imported as `xo`): tables, the deferred column `_`, reading sources.

Expressions are deferred: nothing runs until `.execute()`, `.to_pyarrow_batches()` or
`.to_pandas()`, and every expression has an `.address`, the hash of its logic.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from xorq_rs import _native, ballista, duckdb, postgres, sqlite
from xorq_rs._native import Backend, SchemaError, Table, Value, XorqError, col, lit
from xorq_rs.ml import FittedPipeline, Pipeline, test_train_splits, train_test_splits
from xorq_rs.caching import (
    ParquetCache,
    ParquetSnapshotCache,
    ParquetStorage,
    SourceCache,
    SourceSnapshotCache,
    SourceStorage,
)

__all__ = [
    "Backend",
    "FittedPipeline",
    "ParquetCache",
    "ParquetSnapshotCache",
    "ParquetStorage",
    "Pipeline",
    "SchemaError",
    "SourceCache",
    "SourceSnapshotCache",
    "SourceStorage",
    "Table",
    "Value",
    "XorqError",
    "_",
    "ballista",
    "col",
    "connect",
    "deferred_read_csv",
    "deferred_read_json",
    "deferred_read_parquet",
    "dense_rank",
    "duckdb",
    "lit",
    "memtable",
    "ntile",
    "param",
    "postgres",
    "read_csv",
    "read_json",
    "rank",
    "read_parquet",
    "row_number",
    "sqlite",
    "test_train_splits",
    "train_test_splits",
    "window",
]


window = _native.window


def param(name: str, type: str, default: Any = None) -> Value:
    """A named parameter of `type` (`"float64"`, `"int64"`, `"string"`, `"bool"`, `"date"`),
    bound when the expression runs: `expr.execute(params={"threshold": 150.0})`, or
    `xorq run <build> -p threshold=150`. Its name and type are part of the address, its value is
    not, so one build serves every value; `default` is used when a run binds none."""
    return _native.param(name, type, default)


class _ZeroBased:
    """A ranking function counted from 0, as Ibis and Python xorq count (`row_number()` of the
    first row is 0); `.over(window)` places it in a window, used bare it spans the table."""

    def __init__(self, native: Value, what: str) -> None:
        self._native = native
        self._what = what

    def over(self, window: Any = None, *, group_by: Any = None, order_by: Any = None) -> Value:
        return self._native.over(window, group_by=group_by, order_by=order_by) - 1

    def _xorq_value(self) -> Value:
        return self.over()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xorq_value(), name)

    def __repr__(self) -> str:
        return f"{self._what}()"


def row_number() -> _ZeroBased:
    """The row's position in its window's order, from 0."""
    return _ZeroBased(_native.row_number(), "row_number")


def rank() -> _ZeroBased:
    """Rank with gaps, from 0 (Ibis' `rank`)."""
    return _ZeroBased(_native.rank(), "rank")


def dense_rank() -> _ZeroBased:
    """Rank without gaps, from 0."""
    return _ZeroBased(_native.dense_rank(), "dense_rank")


def ntile(buckets: int) -> _ZeroBased:
    """The bucket (0 to `buckets - 1`) of the row in its window's order."""
    return _ZeroBased(_native.ntile(buckets), "ntile")


def connect() -> Backend:
    """The embedded DataFusion engine (profile `local`): `.into_backend(xo.connect())` brings
    rows from another engine back into it."""
    return _native.connect_local()


class _Deferred:
    """The deferred column: `_.amount` is the column `amount` of whatever table it is used with."""

    def __getattr__(self, name: str) -> Value:
        if name.startswith("__"):
            raise AttributeError(name)
        return col(name)

    def __getitem__(self, name: str) -> Value:
        return col(name)

    def __repr__(self) -> str:
        return "_"


_ = _Deferred()


def _arrow_table(data: Any) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, dict):
        return pa.table(data)
    to_arrow = getattr(pa.Table, "from_pandas", None)
    if type(data).__module__.startswith("pandas") and to_arrow is not None:
        return pa.Table.from_pandas(data, preserve_index=False)
    raise TypeError(
        f"memtable takes a dict of columns, a pyarrow.Table or RecordBatch, or a pandas.DataFrame; "
        f"got a {type(data).__name__}"
    )


def memtable(data: Any) -> Table:
    """A table over in-memory rows: a dict of columns, a `pyarrow.Table`, or a `pandas.DataFrame`.

    Its address is the hash of the data, so the same rows give the same address.
    """
    table = _arrow_table(data)
    return _native.memtable(table.to_batches(), table.schema)


def _read(fmt: str, path: Any, con: Any) -> Table:
    table = _native.read_file(fmt, str(path))
    if con is None or (isinstance(con, Backend) and con.kind == "datafusion"):
        return table
    # Read where the file is (the embedded engine), then stream the rows into `con`.
    return table.into_backend(con)


def deferred_read_parquet(path: Any, con: Any = None, table_name: str | None = None) -> Table:
    """A deferred Parquet read: the schema now (from the footer), the rows when it runs.

    With `con` (a connection), the rows are streamed into that engine and what follows runs
    there.
    """
    return _read("parquet", path, con)


def deferred_read_csv(path: Any, con: Any = None, table_name: str | None = None) -> Table:
    """A deferred CSV read: the schema now (from the first rows), the rows when it runs."""
    return _read("csv", path, con)


def deferred_read_json(path: Any, con: Any = None, table_name: str | None = None) -> Table:
    """A deferred newline-delimited JSON read."""
    return _read("json", path, con)


# The seeds also spell them without `deferred_`; both are deferred here.
read_parquet = deferred_read_parquet
read_csv = deferred_read_csv
read_json = deferred_read_json
