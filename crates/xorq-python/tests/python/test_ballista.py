"""A Ballista cluster from Python: `xo.ballista.connect`, `.into_backend(cluster)`, and the build
that records the cluster's profile. Runs on the cluster `.ci/run` starts
(`XORQ_TEST_BALLISTA_URL`); skipped without one, except under CI."""

import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import xorq_rs.api as xo
from xorq_rs.ibis_yaml.compiler import build_expr, load_expr


@pytest.fixture
def cluster_url():
    url = os.environ.get("XORQ_TEST_BALLISTA_URL")
    if url is None:
        assert "CI" not in os.environ, "CI must start a Ballista cluster (.ci/run sets XORQ_TEST_BALLISTA_URL)"
        pytest.skip("no Ballista cluster: XORQ_TEST_BALLISTA_URL is not set (.ci/run sets it)")
    return url


def test_a_part_moved_into_a_cluster_runs_there_and_builds(tmp_path, cluster_url):
    path = tmp_path / "orders.parquet"
    pq.write_table(
        pa.table({"region": ["north", "south", "north", "east"], "amount": [10.0, 250.0, 120.0, 300.0]}), path
    )
    cluster = xo.ballista.connect(cluster_url, name="cluster")
    assert cluster.profile == "cluster" and cluster.kind == "ballista"
    orders = xo.deferred_read_parquet(str(path))
    expr = (
        orders.filter(xo._.amount > 100)
        .into_backend(cluster)
        .group_by("region")
        .agg(total=xo._.amount.sum())
        .order_by("region")
    )
    expected = [{"region": "east", "total": 300.0}, {"region": "north", "total": 120.0}, {"region": "south", "total": 250.0}]
    assert expr.execute().to_pylist() == expected
    built = build_expr(expr, builds_dir=tmp_path / "builds")
    profiles = open(os.path.join(built, "profiles.yaml")).read()
    assert "ballista" in profiles and cluster_url in profiles
    assert load_expr(built).execute().to_pylist() == expected


def test_rows_only_this_process_holds_are_refused(cluster_url):
    cluster = xo.ballista.connect(cluster_url, name="cluster2")
    mem = xo.memtable({"x": [1, 2, 3]})
    with pytest.raises(xo.XorqError, match="in-memory table lives only in this process"):
        mem.into_backend(cluster).execute()


def test_a_dead_scheduler_names_the_url():
    with pytest.raises(xo.XorqError, match="df://127.0.0.1:9"):
        xo.ballista.connect("df://127.0.0.1:9", name="dead")
