"""`build_expr` and `load_expr`: an expression written to a build directory and read back.

A build is named by the expression's address (`builds/<12 hex>`); loading checks it as the
`xorq` command does, and gives back an expression with the same address.
"""

from __future__ import annotations

import os

from xorq_rs import _native
from xorq_rs._native import Table

__all__ = ["build_expr", "load_expr"]


def build_expr(expr: Table, builds_dir: str | os.PathLike = "builds") -> str:
    """Writes a build of `expr` under `builds_dir` and returns its directory."""
    return _native.build_expr(expr, os.fspath(builds_dir))


def load_expr(path: str | os.PathLike) -> Table:
    """The expression of the build at `path`."""
    return _native.load_expr(os.fspath(path))
