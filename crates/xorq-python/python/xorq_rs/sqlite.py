"""SQLite connections (`xo.sqlite.connect()`)."""

from __future__ import annotations

import os

from xorq_rs import _native
from xorq_rs._native import Backend

__all__ = ["connect"]


def connect(path: str | os.PathLike | None = None, *, name: str = "sqlite") -> Backend:
    """SQLite on the database file `path`, else in memory, registered as profile `name`."""
    return _native.sqlite_connect(None if path is None else os.fspath(path), name)
