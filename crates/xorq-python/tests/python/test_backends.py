"""Connections and `.into_backend`: the seeds' multi-engine example, on local engines and on
CI's PostgreSQL."""

import os
import shutil
import sqlite3
import subprocess
import sys
from urllib.parse import urlparse

import pytest

import xorq_rs.api as xo
from xorq_rs.caching import SourceCache
from xorq_rs.ibis_yaml.compiler import build_expr, load_expr


def make_users_db(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER, region TEXT, active INTEGER)")
    con.executemany(
        "INSERT INTO users VALUES (?, ?, ?)",
        [(1, "north", 1), (2, "south", 0), (3, "north", 1), (4, "east", 1)],
    )
    con.commit()
    con.close()


def test_sqlite_table_into_the_embedded_engine(tmp_path):
    db = tmp_path / "shop.db"
    make_users_db(db)
    shop = xo.sqlite.connect(db, name="shop")
    assert shop.profile == "shop" and shop.kind == "sqlite"
    users = shop.table("users")
    assert users.schema().names == ["id", "region", "active"]
    expr = (
        users.filter(xo._.active == 1)
        .into_backend(xo.connect())
        .group_by("region")
        .agg(count=xo._.id.count())
        .order_by("region")
    )
    assert expr.execute().to_pylist() == [{"region": "east", "count": 1}, {"region": "north", "count": 2}]
    # The build records the profile (kind and path), and runs from the `xorq` command.
    path = build_expr(expr, builds_dir=tmp_path / "builds")
    profiles = open(os.path.join(path, "profiles.yaml")).read()
    assert "shop" in profiles and "sqlite" in profiles
    assert load_expr(path).execute().to_pylist() == expr.execute().to_pylist()


def test_a_missing_table_names_it(tmp_path):
    db = tmp_path / "shop.db"
    make_users_db(db)
    shop = xo.sqlite.connect(db, name="shop2")
    with pytest.raises(xo.XorqError, match="nope"):
        shop.table("nope")


def test_memtable_into_sqlite_and_source_cache(tmp_path):
    lite = xo.sqlite.connect(name="scratch")
    expr = xo.memtable({"a": [3, 1, 2]}).into_backend(lite).filter(xo._.a > 1).order_by("a")
    assert expr.execute().to_pylist() == [{"a": 2}, {"a": 3}]
    cached = expr.cache(SourceCache.from_kwargs())
    assert cached.execute().to_pylist() == [{"a": 2}, {"a": 3}]
    # A cache kept inside another engine is not there yet: the error says so, and what to use.
    with pytest.raises(xo.XorqError, match="cache with parquet storage"):
        expr.cache(SourceCache.from_kwargs(source=lite)).execute()
    with pytest.raises(TypeError, match="connection"):
        xo.memtable({"a": [1]}).into_backend(42)


@pytest.mark.skipif(os.environ.get("XORQ_TEST_DUCKDB") != "1", reason="a wheel without DuckDB")
def test_duckdb_reads_a_file_pushed_into_it(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"region": ["n", "s", "n"], "amount": [50.0, 150.0, 250.0]}), tmp_path / "s.parquet")
    duck = xo.duckdb.connect()
    expr = (
        xo.deferred_read_parquet(tmp_path / "s.parquet", duck)
        .filter(xo._.amount > 100)
        .group_by("region")
        .agg(total=xo._.amount.sum())
        .order_by("region")
    )
    assert expr.execute().to_pylist() == [{"region": "n", "total": 250.0}, {"region": "s", "total": 150.0}]


@pytest.mark.skipif(os.environ.get("XORQ_TEST_DUCKDB") != "0", reason="a wheel with DuckDB")
def test_a_wheel_without_duckdb_says_how_to_get_it():
    with pytest.raises(xo.XorqError, match="--features duckdb"):
        xo.duckdb.connect()


def pg_env():
    url = os.environ.get("XORQ_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            raise AssertionError("CI must provide XORQ_TEST_PG_URL (.ci/postgres.sh)")
        pytest.skip("no PostgreSQL (XORQ_TEST_PG_URL)")
    u = urlparse(url)
    return url, {
        "PGHOST": u.hostname,
        "PGPORT": str(u.port),
        "PGUSER": u.username,
        "PGPASSWORD": u.password,
        "PGDATABASE": u.path.lstrip("/"),
    }


def test_the_seeds_postgres_to_duckdb_example(tmp_path, monkeypatch):
    url, env = pg_env()
    psql = shutil.which("psql") or os.path.join(os.environ.get("XORQ_PG_BIN", ""), "psql")
    setup = subprocess.run(
        [psql, url, "-v", "ON_ERROR_STOP=1", "-q", "-c",
         "DROP TABLE IF EXISTS py_users; CREATE TABLE py_users (id int, region text, active boolean);"
         "INSERT INTO py_users VALUES (1,'north',true),(2,'south',false),(3,'north',true),(4,'east',true);"],
        capture_output=True, text=True, check=False,
    )
    assert setup.returncode == 0, setup.stderr
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    pg = xo.postgres.connect_env()
    engine = xo.duckdb.connect() if os.environ.get("XORQ_TEST_DUCKDB") == "1" else xo.connect()
    # only this line changes between engines — none of the code below
    expr = (
        pg.table("py_users")
        .filter(xo._.active == True)  # noqa: E712 (the seeds' spelling)
        .into_backend(engine)
        .group_by("region")
        .agg(count=xo._.id.count())
        .order_by("region")
    )
    assert expr.execute().to_pylist() == [{"region": "east", "count": 1}, {"region": "north", "count": 2}]
    path = build_expr(expr, builds_dir=tmp_path / "builds")
    profiles = open(os.path.join(path, "profiles.yaml")).read()
    assert env["PGPASSWORD"] not in profiles, "a build never holds a secret"
    ran = subprocess.run(
        [sys.executable, "-m", "xorq_rs._cli", "run", path, "-o", "-", "-f", "csv"],
        capture_output=True, text=True, check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["region,count", "east,1", "north,2"]
