"""Reading files, builds written and read back, the `xorq` command, and the same address from
Python and from SQL."""

import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import xorq_rs.api as xo
from xorq_rs.ibis_yaml.compiler import build_expr, load_expr


def write_sales(directory):
    data = pa.table({"region": ["north", "south", "north"], "amount": [50, 150, 250]})
    (directory / "data").mkdir()
    pq.write_table(data, directory / "data" / "sales.parquet")
    pacsv.write_csv(data, directory / "data" / "sales.csv")
    return data


def test_reads_parquet_and_csv(tmp_path):
    data = write_sales(tmp_path)
    parquet = xo.read_parquet(tmp_path / "data" / "sales.parquet")
    csv = xo.deferred_read_csv(str(tmp_path / "data" / "sales.csv"))
    assert parquet.execute().to_pylist() == data.to_pylist()
    assert sorted(r["amount"] for r in csv.execute().to_pylist()) == [50, 150, 250]
    missing = tmp_path / "nope.parquet"
    try:
        xo.read_parquet(missing)
    except xo.XorqError as e:
        assert "nope.parquet" in str(e)
    else:
        raise AssertionError("reading a missing file must fail")


def test_a_build_loads_back_with_the_same_address_and_rows(tmp_path):
    write_sales(tmp_path)
    expr = xo.read_parquet(tmp_path / "data" / "sales.parquet").filter(xo._.amount > 100)
    path = build_expr(expr, builds_dir=tmp_path / "builds")
    assert os.path.isdir(path)
    assert os.path.basename(path) == expr.address[:12] or len(os.path.basename(path)) == 12
    loaded = load_expr(path)
    assert loaded.execute().to_pylist() == expr.execute().to_pylist()
    # The same logic built twice is the same build.
    assert build_expr(expr, builds_dir=tmp_path / "builds") == path


def xorq(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "xorq_rs._cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_xorq_command_is_the_rust_cli(tmp_path):
    version = xorq(["--version"], tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("xorq ")
    usage = xorq(["run"], tmp_path)
    assert usage.returncode == 2, "a usage error exits with 2, as the cargo-installed binary"


def test_python_and_sql_give_one_address(tmp_path):
    write_sales(tmp_path)
    (tmp_path / "q.sql").write_text(
        "SELECT region, amount FROM read_parquet('data/sales.parquet') WHERE amount > 100\n"
    )
    built = xorq(["build", "q.sql"], tmp_path)
    assert built.returncode == 0, built.stderr
    sql_build = built.stdout.strip()
    os.chdir(tmp_path)
    expr = xo.read_parquet("data/sales.parquet").filter(xo._.amount > 100).select("region", "amount")
    python_build = build_expr(expr, builds_dir="builds")
    assert os.path.basename(python_build) == os.path.basename(sql_build)
    ran = xorq(["run", sql_build, "-o", "-", "-f", "csv"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["region,amount", "south,150", "north,250"] or sorted(
        ran.stdout.splitlines()[1:]
    ) == ["north,250", "south,150"]
