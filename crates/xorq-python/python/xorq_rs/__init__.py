"""xorq-rs: deferred data pipelines named by the hash of their logic, in Rust, from Python.

The seeds' imports work with only the package name changed::

    import xorq_rs.api as xo
    from xorq_rs.ibis_yaml.compiler import build_expr, load_expr

    t = xo.memtable({"amount": [50, 150, 250]})
    expr = t.filter(xo._.amount > 100).agg(total=xo._.amount.sum())
    expr.execute()          # a pyarrow.Table
    expr.address            # the hash of the logic
"""

from xorq_rs._native import (
    Backend,
    ExecutionError,
    InternalError,
    SchemaError,
    Table,
    UsageError,
    Value,
    XorqError,
    __version__,
)

__all__ = [
    "Backend",
    "ExecutionError",
    "InternalError",
    "SchemaError",
    "Table",
    "UsageError",
    "Value",
    "XorqError",
    "__version__",
]
