"""The seeds' `xorq.api` (imported as `xo`): tables, the deferred column `_`, reading sources.

Expressions are deferred: nothing runs until `.execute()`, `.to_pyarrow_batches()` or
`.to_pandas()`, and every expression has an `.address`, the hash of its logic.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from xorq_rs import _native
from xorq_rs._native import SchemaError, Table, Value, XorqError, col, lit
from xorq_rs.caching import (
    ParquetCache,
    ParquetSnapshotCache,
    ParquetStorage,
    SourceCache,
    SourceSnapshotCache,
    SourceStorage,
)

__all__ = [
    "ParquetCache",
    "ParquetSnapshotCache",
    "ParquetStorage",
    "SchemaError",
    "SourceCache",
    "SourceSnapshotCache",
    "SourceStorage",
    "Table",
    "Value",
    "XorqError",
    "_",
    "col",
    "deferred_read_csv",
    "deferred_read_json",
    "deferred_read_parquet",
    "lit",
    "memtable",
    "read_csv",
    "read_json",
    "read_parquet",
]


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


def deferred_read_parquet(path: str, con: Any = None, table_name: str | None = None) -> Table:
    """A deferred Parquet read: the schema now (from the footer), the rows when it runs."""
    _embedded_only(con)
    return _native.read_file("parquet", str(path))


def deferred_read_csv(path: str, con: Any = None, table_name: str | None = None) -> Table:
    """A deferred CSV read: the schema now (from the first rows), the rows when it runs."""
    _embedded_only(con)
    return _native.read_file("csv", str(path))


def deferred_read_json(path: str, con: Any = None, table_name: str | None = None) -> Table:
    """A deferred newline-delimited JSON read."""
    _embedded_only(con)
    return _native.read_file("json", str(path))


# The seeds also spell them without `deferred_`; both are deferred here.
read_parquet = deferred_read_parquet
read_csv = deferred_read_csv
read_json = deferred_read_json


def _embedded_only(con: Any) -> None:
    if con is not None:
        raise NotImplementedError(
            "reading into another backend's connection is not in xorq_rs yet: read on the embedded engine "
            "(leave `con` out) and move the result with .into_backend() once it lands"
        )
