"""Apache DataFusion Ballista clusters (`xo.ballista.connect("df://host:50050")`)."""

from __future__ import annotations

from xorq_rs import _native
from xorq_rs._native import Backend

__all__ = ["connect"]


def connect(url: str, *, name: str = "cluster") -> Backend:
    """The cluster whose scheduler is at `url` (`df://host:port`), registered as profile `name`.

    `expr.into_backend(con)` runs that part of the expression on the cluster: its sources must be
    files or object-store URLs the executors can read. A build records the profile, so
    `xorq run` of the build runs the same part there.
    """
    return _native.ballista_connect(url, name)
