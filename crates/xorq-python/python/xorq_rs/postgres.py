"""PostgreSQL connections (`xo.postgres.connect_env()`, `xo.postgres.connect(url)`)."""

from __future__ import annotations

from xorq_rs import _native
from xorq_rs._native import Backend

__all__ = ["connect", "connect_env"]


def connect_env(*, name: str = "postgres") -> Backend:
    """PostgreSQL from `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD` and `PGDATABASE`, registered as
    profile `name`. Builds record the variables' names, never a password."""
    return _native.postgres_connect_env(name)


def connect(url: str, *, name: str = "postgres") -> Backend:
    """PostgreSQL at a `postgresql://user@host:port/db` URL, registered as profile `name`."""
    return _native.postgres_connect(url, name)
