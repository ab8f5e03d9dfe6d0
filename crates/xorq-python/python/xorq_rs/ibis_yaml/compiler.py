"""`build_expr` and `load_expr`: an expression written to a build directory and read back.

A build is named by the expression's address (`builds/<12 hex>`); loading checks it as the
`xorq` command does, and gives back an expression with the same address.
"""

from __future__ import annotations

import os

from xorq_rs import _native
from xorq_rs._native import Table

__all__ = ["build_expr", "load_expr"]


def build_expr(
    expr: Table,
    builds_dir: str | os.PathLike = "builds",
    *,
    relocate_reads: bool = True,
    debug: bool = False,
) -> str:
    """Writes a build of `expr` under `builds_dir` and returns its directory.

    `relocate_reads=False` keeps local file reads as references to their paths instead of
    bundling copies (as `xorq build --no-relocate-reads`); `debug=True` also writes the SQL each
    engine runs.
    """
    return _native.build_expr(expr, os.fspath(builds_dir), relocate_reads, debug)


def load_expr(path: str | os.PathLike) -> Table:
    """The expression of the build at `path`."""
    return _native.load_expr(os.fspath(path))
