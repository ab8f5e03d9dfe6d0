"""`xorq_rs.caching`: the seeds' cache spellings, keyed by the address."""

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import xorq_rs.api as xo
from xorq_rs.caching import ParquetCache, ParquetSnapshotCache, ParquetStorage, SourceCache


def entries():
    root = os.environ["XORQ_CACHE_DIR"]
    return sorted(p for _, _, files in os.walk(root) for p in files if p.endswith(".parquet"))


def test_every_spelling_of_a_parquet_cache_is_one_address(tmp_path):
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"amount": [50.0, 150.0, 250.0]}), path)
    base = xo.deferred_read_parquet(str(path)).filter(xo._.amount > 100)
    spellings = [
        base.cache(),
        base.cache(ParquetCache.from_kwargs()),
        base.cache(xo.ParquetCache.from_kwargs()),
        base.cache(storage=ParquetStorage()),
        base.cache("modification_time"),
    ]
    assert len({e.address for e in spellings}) == 1
    snapshot = base.cache(ParquetSnapshotCache.from_kwargs())
    assert snapshot.address != spellings[0].address, "the strategy is part of the logic"


def test_a_cached_result_is_written_once_and_read_back(tmp_path):
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"k": ["a", "b", "a"], "v": [1, 2, 3]}), path)
    expr = xo.deferred_read_parquet(str(path)).group_by("k").agg(total=xo._.v.sum()).cache(ParquetCache.from_kwargs())
    before = entries()
    first = expr.execute().sort_by("k").to_pylist()
    after = entries()
    assert len(after) == len(before) + 1
    assert expr.execute().sort_by("k").to_pylist() == first == [{"k": "a", "total": 4}, {"k": "b", "total": 2}]
    assert entries() == after, "a hit writes nothing"


def test_source_cache_in_the_running_engine():
    expr = xo.memtable({"a": [1, 2]}).cache(SourceCache.from_kwargs())
    assert expr.execute().to_pylist() == [{"a": 1}, {"a": 2}]


def test_refusals_name_what_to_do():
    with pytest.raises(ValueError, match="XORQ_CACHE_DIR"):
        ParquetCache.from_kwargs(base_path="/tmp/elsewhere")
    with pytest.raises(TypeError, match="xorq_rs.caching"):
        xo.memtable({"a": [1]}).cache(42)
    with pytest.raises(ValueError, match="unknown cache strategy"):
        xo.memtable({"a": [1]}).cache("forever")
    with pytest.raises(TypeError, match="connection"):
        SourceCache.from_kwargs(source="not a connection")
