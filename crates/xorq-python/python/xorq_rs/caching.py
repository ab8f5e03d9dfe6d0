"""The seeds' `xorq.caching`: where a cached result is kept and when it is computed again.

A cache is a *strategy* (when an entry is still valid) and a *storage* (where it is kept)::

    from xorq_rs.caching import ParquetCache, SourceCache

    expr.cache(ParquetCache.from_kwargs())     # Parquet files in the cache directory
    expr.cache(SourceCache.from_kwargs(source=con))   # a table in that backend
    expr.cache()                               # the same as ParquetCache.from_kwargs()

The key is the expression's address, never a name you choose. Strategies:

* `ModificationTimeStrategy` (the default): an entry is keyed by the address and the freshness
  of the sources it reads (a file's modification time and size), so a changed source is a
  miss and the result is computed again.
* `SnapshotStrategy`: keyed by the address alone; kept until removed (`xorq cache prune`).

The cache directory belongs to the session (`$XORQ_CACHE_DIR`, else `~/.cache/xorq`, the same
as the `xorq` command), so every process and the command share entries.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = [
    "Cache",
    "ModificationTimeStrategy",
    "ParquetCache",
    "ParquetSnapshotCache",
    "ParquetStorage",
    "SnapshotStrategy",
    "SourceCache",
    "SourceSnapshotCache",
    "SourceStorage",
]


class ModificationTimeStrategy:
    """Recompute when a source read below the cache changed (modification time and size)."""

    name = "modification_time"

    def __repr__(self) -> str:
        return "ModificationTimeStrategy()"


class SnapshotStrategy:
    """Keep the first result until it is removed, whatever the sources do."""

    name = "snapshot"

    def __repr__(self) -> str:
        return "SnapshotStrategy()"


def _profile_of(source: Any) -> str | None:
    if source is None:
        return None
    profile = getattr(source, "profile", None)
    if isinstance(profile, str):
        return profile
    raise TypeError(
        f"`source` must be a connection from xorq_rs (xo.connect(), xo.duckdb.connect(), ...); "
        f"got a {type(source).__name__}"
    )


def _no_paths(kind: str, relative_path: Any, base_path: Any) -> None:
    if relative_path is not None or base_path is not None:
        raise ValueError(
            f"{kind}: `relative_path`/`base_path` are not supported; xorq_rs keeps one cache directory per "
            f"session, shared with the `xorq` command: set XORQ_CACHE_DIR (now "
            f"{os.environ.get('XORQ_CACHE_DIR', '~/.cache/xorq')!r}) before the first query"
        )


class ParquetStorage:
    """Entries as Parquet files (and a small JSON sidecar) in the session's cache directory.

    `source` (a connection) is accepted for compatibility: which engine reads an entry back is
    decided where the cached expression runs.
    """

    kind = "parquet"

    def __init__(self, source: Any = None, relative_path: Any = None, base_path: Any = None) -> None:
        _no_paths("ParquetStorage", relative_path, base_path)
        _profile_of(source)
        self.profile = None

    def __repr__(self) -> str:
        return "ParquetStorage()"


class SourceStorage:
    """Entries as tables in a backend: `source` (a connection), else the engine that runs the
    expression."""

    kind = "source"

    def __init__(self, source: Any = None) -> None:
        self.profile = _profile_of(source)

    def __repr__(self) -> str:
        return f"SourceStorage(profile={self.profile!r})"


class Cache:
    """A strategy and a storage; pass it to `expr.cache(...)`."""

    def __init__(self, strategy: Any, storage: Any) -> None:
        if not isinstance(strategy, (ModificationTimeStrategy, SnapshotStrategy)):
            raise TypeError(f"strategy must be ModificationTimeStrategy() or SnapshotStrategy(), got {strategy!r}")
        if not isinstance(storage, (ParquetStorage, SourceStorage)):
            raise TypeError(f"storage must be ParquetStorage(...) or SourceStorage(...), got {storage!r}")
        self.strategy = strategy
        self.storage = storage

    def __repr__(self) -> str:
        return f"{type(self).__name__}(strategy={self.strategy!r}, storage={self.storage!r})"


class ParquetCache(Cache):
    """Parquet files in the cache directory, recomputed when a source changes."""

    @classmethod
    def from_kwargs(cls, source: Any = None, relative_path: Any = None, base_path: Any = None) -> ParquetCache:
        return cls(ModificationTimeStrategy(), ParquetStorage(source, relative_path, base_path))


class ParquetSnapshotCache(Cache):
    """Parquet files in the cache directory, kept until removed."""

    @classmethod
    def from_kwargs(
        cls, source: Any = None, relative_path: Any = None, base_path: Any = None
    ) -> ParquetSnapshotCache:
        return cls(SnapshotStrategy(), ParquetStorage(source, relative_path, base_path))


class SourceCache(Cache):
    """A table in the backend `source`, recomputed when a source changes."""

    @classmethod
    def from_kwargs(cls, source: Any = None) -> SourceCache:
        return cls(ModificationTimeStrategy(), SourceStorage(source))


class SourceSnapshotCache(Cache):
    """A table in the backend `source`, kept until removed."""

    @classmethod
    def from_kwargs(cls, source: Any = None) -> SourceSnapshotCache:
        return cls(SnapshotStrategy(), SourceStorage(source))
