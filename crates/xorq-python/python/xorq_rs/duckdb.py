"""DuckDB connections (`xo.duckdb.connect()`), when the wheel was built with DuckDB."""

from __future__ import annotations

import os

from xorq_rs import _native
from xorq_rs._native import Backend

__all__ = ["connect"]


def connect(path: str | os.PathLike | None = None, *, name: str = "duckdb") -> Backend:
    """DuckDB on the database file `path`, else in memory, registered as profile `name`.

    Builds refer to it by `name`; connect two under two names. A wheel built without DuckDB
    raises `UsageError` saying how to get it.
    """
    return _native.duckdb_connect(None if path is None else os.fspath(path), name)
