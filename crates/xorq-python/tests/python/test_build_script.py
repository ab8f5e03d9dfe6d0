"""`xorq build script.py [-e NAME]`: the expression a script binds to a name, built by the same
command that builds SQL files, under the interpreter the command was installed with."""

import json
import os
import subprocess
import sys
import textwrap

import pyarrow as pa
import pyarrow.parquet as pq

import xorq_rs.api as xo


def xorq(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "xorq_rs._cli", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def sales(directory):
    path = directory / "sales.parquet"
    pq.write_table(pa.table({"region": ["north", "south", "north"], "amount": [50.0, 150.0, 250.0]}), path)
    return path


PIPELINE = """
import xorq_rs.api as xo

print("the script talks")
sales = xo.deferred_read_parquet("sales.parquet")
expr = sales.filter(xo._.amount > 100).group_by("region").agg(total=xo._.amount.sum())
small = expr.filter(xo._.total < 200)
threshold = 100

if __name__ == "__main__":
    raise SystemExit("a build must not run the script's main block")
"""


def test_builds_the_expression_named_expr_and_runs_it(tmp_path):
    sales(tmp_path)
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    built = xorq(["build", "pipeline.py", "--json"], tmp_path)
    assert built.returncode == 0, built.stderr
    # Only the answer on stdout; the script's prints go to stderr.
    answer = json.loads(built.stdout)
    assert "the script talks" in built.stderr
    os.chdir(tmp_path)
    expr = xo.deferred_read_parquet("sales.parquet").filter(xo._.amount > 100).group_by("region").agg(
        total=xo._.amount.sum()
    )
    # The same build as `build_expr` in this process (a relocated read is named by its
    # content, so compare builds, not the unbuilt expression).
    from xorq_rs.ibis_yaml.compiler import build_expr

    assert os.path.basename(build_expr(expr, builds_dir="builds")) == os.path.basename(answer["path"])
    unrelocated = xorq(["build", "pipeline.py", "--json", "--no-relocate-reads"], tmp_path)
    assert json.loads(unrelocated.stdout)["address"] == expr.address
    ran = xorq(["run", answer["path"], "-o", "-", "-f", "csv"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert sorted(ran.stdout.splitlines()[1:]) == ["north,250.0", "south,150.0"] or sorted(
        ran.stdout.splitlines()[1:]
    ) == ["north,250", "south,150"]


def test_picks_another_name_with_e(tmp_path):
    sales(tmp_path)
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    built = xorq(["build", "pipeline.py", "-e", "small", "--builds-dir", "artifacts"], tmp_path)
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip().startswith("artifacts")
    ran = xorq(["run", built.stdout.strip(), "-o", "-", "-f", "csv"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert len(ran.stdout.splitlines()) == 2, ran.stdout


def test_a_missing_name_lists_the_expressions(tmp_path):
    sales(tmp_path)
    (tmp_path / "pipeline.py").write_text(PIPELINE)
    built = xorq(["build", "pipeline.py", "-e", "nope"], tmp_path)
    assert built.returncode == 2
    assert "`nope` is not defined in pipeline.py" in built.stderr
    assert "expr, sales, small" in built.stderr
    not_expr = xorq(["build", "pipeline.py", "-e", "threshold"], tmp_path)
    assert not_expr.returncode == 2
    assert "is a int, not an xorq_rs expression" in not_expr.stderr


def test_a_failing_script_shows_its_traceback(tmp_path):
    (tmp_path / "broken.py").write_text(
        textwrap.dedent(
            """
            import xorq_rs.api as xo

            def helper():
                return 1 / 0

            expr = helper()
            """
        )
    )
    built = xorq(["build", "broken.py"], tmp_path)
    assert built.returncode == 1
    assert built.stdout == ""
    assert "Traceback (most recent call last):" in built.stderr
    assert "broken.py" in built.stderr and "in helper" in built.stderr
    assert "ZeroDivisionError" in built.stderr
    assert "runpy" not in built.stderr, "the driver's own frames are not the user's business"


def test_a_schema_error_names_the_column(tmp_path):
    sales(tmp_path)
    (tmp_path / "typo.py").write_text(
        'import xorq_rs.api as xo\nexpr = xo.deferred_read_parquet("sales.parquet").filter(xo._.amont > 1)\n'
    )
    built = xorq(["build", "typo.py"], tmp_path)
    assert built.returncode == 1
    assert "amont" in built.stderr and "amount" in built.stderr


def test_a_memtable_survives_a_build_without_relocation(tmp_path):
    (tmp_path / "mem.py").write_text(
        'import xorq_rs.api as xo\nexpr = xo.memtable({"a": [1, 2, 3]}).filter(xo._.a > 1)\n'
    )
    built = xorq(["build", "mem.py", "--no-relocate-reads"], tmp_path)
    assert built.returncode == 0, built.stderr
    ran = xorq(["run", built.stdout.strip(), "-o", "-", "-f", "csv"], tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == ["a", "2", "3"]


def test_a_python_without_the_package_says_how_to_install_it(tmp_path):
    (tmp_path / "p.py").write_text("expr = 1\n")
    env = dict(os.environ, XORQ_PYTHON=sys.executable, PYTHONPATH="", PYTHONNOUSERSITE="1")
    # The command itself needs the package: run it from the cargo-style entry point with the
    # driver's interpreter pointed at a Python without it.
    env["XORQ_PYTHON"] = str(tmp_path / "no-such-python")
    built = subprocess.run(
        [sys.executable, "-m", "xorq_rs._cli", "build", "p.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(env, PYTHONPATH=os.environ.get("PYTHONPATH", "")),
        check=False,
    )
    assert built.returncode == 1
    assert "no-such-python" in built.stderr and "pip install" in built.stderr
