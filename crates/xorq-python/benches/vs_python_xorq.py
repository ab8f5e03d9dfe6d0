#!/usr/bin/env python3
"""xorq_rs against Python xorq 0.4.9 on the seeds' sales pipeline, as whole processes.

What it measures
----------------
The seeds' sales pipeline, written once per tool with only the package name changed::

    import xorq.api as xo                      # xorq_rs: import xorq_rs.api as xo
    from xorq.caching import ParquetCache      # xorq_rs: from xorq_rs.caching import ParquetCache
    expr = (
        xo.deferred_read_parquet("sales.parquet")
        .filter(xo._.amount > 100)
        .group_by("region")
        .agg(total=xo._.amount.sum())
        .cache(ParquetCache.from_kwargs())
    )
    result = expr.execute()

over a generated Parquet file (given by its absolute path; 10M rows by default: order_id int64, region string with 8
values, amount float64, order_date date32; fixed seed, written once with pyarrow and reused
from ~/.cache/xorq-rs/bench/). Four phases, each measured in a FRESH process of the tool's
own Python (a small generated script run with `subprocess`), so nothing is warm in the
interpreter:

1. import     -- `import xorq.api as xo` vs `import xorq_rs.api as xo`
2. build      -- `build_expr(expr, builds_dir=<empty dir>)` from `<pkg>.ibis_yaml.compiler`
                 (defaults of both, so both copy the local Parquet file into the build:
                 Python xorq with shutil.copy2; `--no-relocate-reads` passes
                 relocate_reads=False to both, to time the build without that copy)
3. first run  -- `expr.execute()` with an empty cache directory
4. cached run -- `expr.execute()` again in a new process, the cache directory now warm

The time of a phase is taken inside the fresh process around that call only
(`time.perf_counter`), so interpreter start-up, which does not depend on the tool, is left out
(import time and pipeline construction are left out of 2-4). The wall-clock time of the
whole process is also recorded and printed in a second table. Each phase is run `--repeat`
times per tool (interleaved xorq / xorq_rs), after one untimed warm-up run per tool (which
warms the OS page cache and byte-code caches, and whose results are compared between the two
tools); the table shows the MEDIAN of the repeats and, in brackets, the best (minimum).

Each scenario gets its own empty scratch cache directory: both tools read `XORQ_CACHE_DIR`
(Python xorq 0.4.9 reads it once at import, in xorq.config.env_config, and its
`ParquetCache.from_kwargs()` then writes `<XORQ_CACHE_DIR>/parquet/<key>.parquet`; xorq_rs
keeps its session cache directory there). So the pipeline code stays exactly the seeds'.
Python xorq's log file and run logs (XORQ_LOG_PATH, XORQ_RUNS_LOGS_DIR) are pointed into the
scratch directory too, so nothing is written to ~/.cache/xorq, ~/.config/xorq or
~/.local/share/xorq.

ratio = xorq time / xorq_rs time (medians): how many times faster xorq_rs is; above 1 means
xorq_rs is faster. Goals: import >= 10x, build >= 20x, cached run >= 20x (first run: no goal,
reported only).

How to run
----------
    python3 crates/xorq-python/benches/vs_python_xorq.py --xorq-rs-python PATH [--rows N] [--repeat K]

PATH is a python that has xorq_rs installed (e.g. a venv with a release wheel:
`python3 -m venv /tmp/rs && /tmp/rs/bin/pip install target/wheels/xorq_rs-*.whl`, then
`--xorq-rs-python /tmp/rs/bin/python`). The script needs only the standard library itself.
On first use it creates a venv with Python xorq at ~/.cache/xorq-rs/bench/xorq-0.4.9
(`python3 -m venv` + `pip install "xorq[duckdb,datafusion]==0.4.9"`, about a minute) and
generates the data set; both are reused afterwards (set XORQ_RS_BENCH_DIR to move them).
`--rows 100000 --repeat 1` gives a quick functional run. `--setup-only` only installs and
generates. Dev-profile (debug) builds of xorq_rs give meaningless figures: measure a
release wheel.

If this xorq_rs has no `xorq_rs.caching.ParquetCache` yet, its side falls back to `.cache()`
with no argument, with a WARNING on stderr and a FALLBACK line above the table.

Exit status: 0 when every measurement ran and the two tools' results agree (whether the goals
are met or not), 1 otherwise; a failing xorq_rs call is shown as FAILED in the table and its
error text printed under "Problems".
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

XORQ_VERSION = "0.4.9"
XORQ_REQUIREMENT = f"xorq[duckdb,datafusion]=={XORQ_VERSION}"
BENCH_ROOT = Path(
    os.environ.get("XORQ_RS_BENCH_DIR", Path.home() / ".cache" / "xorq-rs" / "bench")
).expanduser()
DATA_SEED = 20240917
DATA_FORMAT = "v1"  # bump when the generator changes, so an old file is not reused
CHILD_TIMEOUT_S = 3600
RESULT_MARK = "__XORQ_BENCH_RESULT__"

PHASES = [
    # key, label, goal (minimum ratio) or None
    ("import", "import", 10.0),
    ("build", "build", 20.0),
    ("first", "first run", None),
    ("cached", "cached run", 20.0),
]

TOOLS = ["xorq", "xorq_rs"]
TOOL_LABEL = {"xorq": f"xorq {XORQ_VERSION}", "xorq_rs": "xorq_rs"}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def warn(msg: str) -> None:
    print(f"[bench] WARNING: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- setup


def ensure_xorq_venv() -> Path:
    """The venv with Python xorq: created and installed once, reused after (idempotent)."""
    venv = BENCH_ROOT / f"xorq-{XORQ_VERSION}"
    marker = venv / ".bench-installed"
    py = venv / "bin" / "python"
    if marker.is_file() and marker.read_text().strip() == XORQ_REQUIREMENT and py.exists():
        check = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; print(m.version('xorq'))"],
            capture_output=True,
            text=True,
        )
        if check.returncode == 0 and check.stdout.strip() == XORQ_VERSION:
            log(f"reusing the Python xorq {XORQ_VERSION} venv at {venv}")
            return py
        warn(f"the venv at {venv} is broken ({(check.stderr or check.stdout).strip()}); reinstalling")
    if venv.exists():
        shutil.rmtree(venv)  # a half-made venv from an interrupted install
    venv.parent.mkdir(parents=True, exist_ok=True)
    log(f"installing {XORQ_REQUIREMENT} into {venv} (once)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", XORQ_REQUIREMENT], check=True)
    marker.write_text(XORQ_REQUIREMENT + "\n")
    log(f"installed {XORQ_REQUIREMENT} in {time.perf_counter() - t0:.1f} s")
    return py


GENERATOR = r"""
import os, sys
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

rows, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(seed)
regions = pa.array(
    ["north", "south", "east", "west", "central", "north-east", "south-west", "overseas"],
    pa.string(),
)
schema = pa.schema(
    [
        ("order_id", pa.int64()),
        ("region", pa.string()),
        ("amount", pa.float64()),
        ("order_date", pa.date32()),
    ]
)
first_day = 19358  # 2023-01-01, in days since the epoch
chunk = 1_000_000
tmp = out + ".tmp"
with pq.ParquetWriter(tmp, schema) as writer:
    for start in range(0, rows, chunk):
        n = min(chunk, rows - start)
        order_id = pa.array(np.arange(start, start + n, dtype=np.int64))
        region = regions.take(pa.array(rng.integers(0, len(regions), n)))
        # gamma(2, 60): mean 120, so about half of the rows pass `amount > 100`
        amount = pa.array(np.round(rng.gamma(2.0, 60.0, n), 2))
        days = (rng.integers(0, 3 * 365, n) + first_day).astype(np.int32)
        order_date = pa.array(days).cast(pa.date32())
        writer.write_table(pa.Table.from_arrays([order_id, region, amount, order_date], schema=schema))
os.replace(tmp, out)
"""


def ensure_data(xorq_python: Path, rows: int) -> Path:
    """The sales Parquet file with `rows` rows: generated once (deterministically), reused."""
    data_dir = BENCH_ROOT / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"sales-{rows}-seed{DATA_SEED}-{DATA_FORMAT}.parquet"
    if path.is_file():
        log(f"reusing {path}")
        return path
    log(f"generating {rows:,} rows into {path}")
    t0 = time.perf_counter()
    # The xorq venv has pyarrow and numpy; the python running this script needs neither.
    subprocess.run(
        [str(xorq_python), "-c", GENERATOR, str(rows), str(DATA_SEED), str(path)], check=True
    )
    log(f"generated {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
    return path


# --------------------------------------------------------------------------- child scripts

CHILD_TEMPLATE = r'''
import json, os, sys, time

MODE = sys.argv[1]          # import | build | run
OUT = sys.argv[2] if len(sys.argv) > 2 else None
res = {}

t0 = time.perf_counter()
import @PKG@.api as xo
res["import"] = time.perf_counter() - t0

if MODE != "import":
    @CACHE_IMPORT@
    t0 = time.perf_counter()
    expr = (
        xo.deferred_read_parquet(@DATA@)
        .filter(xo._.amount > 100)
        .group_by("region")
        .agg(total=xo._.amount.sum())
        .cache(@CACHE_ARG@)
    )
    res["construct"] = time.perf_counter() - t0

    if MODE == "build":
        from @PKG@.ibis_yaml.compiler import build_expr
        t0 = time.perf_counter()
        path = build_expr(expr, builds_dir=OUT@BUILD_KWARGS@)
        res["build"] = time.perf_counter() - t0
        res["build_path"] = str(path)
    elif MODE == "run":
        t0 = time.perf_counter()
        result = expr.execute()
        res["execute"] = time.perf_counter() - t0
        res["result_type"] = type(result).__module__ + "." + type(result).__name__
        if hasattr(result, "to_pylist"):          # pyarrow.Table
            rows = result.to_pylist()
        else:                                      # pandas.DataFrame
            rows = result.to_dict("records")
        res["rows"] = sorted([str(r["region"]), float(r["total"])] for r in rows)
    else:
        raise SystemExit("unknown mode " + MODE)

print(@MARK@ + json.dumps(res), flush=True)
'''


def child_script(pkg: str, data: Path, fallback_plain_cache: bool, relocate_reads: bool) -> str:
    if fallback_plain_cache:
        cache_import = f"pass  # FALLBACK: no {pkg}.caching.ParquetCache; plain .cache()"
        cache_arg = ""
    else:
        cache_import = f"from {pkg}.caching import ParquetCache"
        cache_arg = "ParquetCache.from_kwargs()"
    return (
        CHILD_TEMPLATE.replace("@PKG@", pkg)
        .replace("@CACHE_IMPORT@", cache_import)
        .replace("@CACHE_ARG@", cache_arg)
        .replace("@DATA@", repr(str(data)))
        .replace("@MARK@", repr(RESULT_MARK))
        .replace("@BUILD_KWARGS@", "" if relocate_reads else ", relocate_reads=False")
    )


class ChildFailed(Exception):
    pass


def run_child(python: Path, script: Path, mode: str, out: Path | None, env: dict) -> dict:
    cmd = [str(python), str(script), mode] + ([str(out)] if out is not None else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    wall = time.perf_counter() - t0
    lines = [l for l in proc.stdout.splitlines() if l.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not lines:
        raise ChildFailed(
            f"`{' '.join(cmd)}` exited {proc.returncode}\n"
            f"--- stderr (last 40 lines) ---\n" + "\n".join(proc.stderr.splitlines()[-40:])
            + ("\n--- stdout (last 10 lines) ---\n" + "\n".join(proc.stdout.splitlines()[-10:]) if proc.stdout else "")
        )
    res = json.loads(lines[-1][len(RESULT_MARK):])
    res["wall"] = wall
    if proc.stderr.strip():
        res["stderr"] = proc.stderr.strip()
    return res


def child_env(scratch: Path) -> dict:
    """The environment of a measured process: its own empty cache directory (and log dirs)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    cache = scratch / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    env["XORQ_CACHE_DIR"] = str(cache)
    # Python xorq's log file and run logs: kept out of the home directory.
    env["XORQ_LOG_PATH"] = str(scratch / "logs" / "xorq.log")
    env["XORQ_RUNS_LOGS_DIR"] = str(scratch / "logs" / "runs")
    return env


def files_under(d: Path) -> list[str]:
    if not d.exists():
        return []
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())


def parquet_files(d: Path) -> dict[str, tuple[int, int]]:
    """The Parquet files (cache entries' data) under `d`: path -> (mtime_ns, size)."""
    if not d.exists():
        return {}
    return {str(p.relative_to(d)): (p.stat().st_mtime_ns, p.stat().st_size) for p in d.rglob("*.parquet")}


def dir_size(d: Path) -> int:
    return sum(p.stat().st_size for p in Path(d).rglob("*") if p.is_file()) if Path(d).exists() else 0


# --------------------------------------------------------------------------- probing


def probe_xorq_rs(python: Path) -> tuple[str, str, bool]:
    """(version, location, has ParquetCache). Raises when xorq_rs does not import at all."""
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import json, xorq_rs, xorq_rs.api\n"
            "try:\n"
            "    from xorq_rs.caching import ParquetCache\n"
            "    ParquetCache.from_kwargs()\n"
            "    pc = None\n"
            "except Exception as e:\n"
            "    pc = f'{type(e).__name__}: {e}'\n"
            "print(json.dumps([xorq_rs.__version__, xorq_rs.__file__, pc]))",
        ],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        raise SystemExit(
            f"`{python}` cannot import xorq_rs.api (exit {probe.returncode}):\n{probe.stderr.strip()}"
        )
    version, location, pc_error = json.loads(probe.stdout.strip().splitlines()[-1])
    if pc_error is not None:
        warn(
            "xorq_rs.caching.ParquetCache.from_kwargs() is not usable in this xorq_rs "
            f"({pc_error}).\n"
            "[bench] WARNING: FALLBACK: the xorq_rs side uses `.cache()` with no argument "
            "instead of `.cache(ParquetCache.from_kwargs())`; the xorq side is unchanged."
        )
    return version, location, pc_error is None


# --------------------------------------------------------------------------- measuring


def measure(
    pythons: dict, scripts: dict, repeat: int, scratch_root: Path
) -> tuple[dict, dict, dict, list[str]]:
    """times[tool][phase] -> list of in-process seconds; walls likewise; results; problems."""
    times = {t: {p: [] for p, _, _ in PHASES} for t in TOOLS}
    walls = {t: {p: [] for p, _, _ in PHASES} for t in TOOLS}
    results: dict = {}
    problems: list[str] = []
    failed: set = set()
    build_sizes: dict = {}

    def attempt(tool, phase, fn):
        if (tool, phase) in failed:
            return None
        try:
            return fn()
        except (ChildFailed, subprocess.TimeoutExpired) as e:
            failed.add((tool, phase))
            problems.append(f"{TOOL_LABEL[tool]} {phase} FAILED:\n{e}")
            print(f"\n[bench] {TOOL_LABEL[tool]} {phase} FAILED:\n{e}\n", file=sys.stderr, flush=True)
            return None

    # Warm-up: one untimed first run per tool (page cache, byte code) whose result is kept to
    # compare the tools.
    for tool in TOOLS:
        sc = Path(tempfile.mkdtemp(prefix=f"warmup-{tool}-", dir=scratch_root))
        log(f"warm-up run of {TOOL_LABEL[tool]}")
        r = attempt(tool, "first", lambda: run_child(pythons[tool], scripts[tool], "run", None, child_env(sc)))
        if r is not None:
            results[tool] = r["rows"]
            log(f"  {TOOL_LABEL[tool]} execute() returned a {r['result_type']}, {len(r['rows'])} rows")
            if r.get("stderr"):
                log(f"  {TOOL_LABEL[tool]} wrote to stderr:\n" + textwrap.indent(r["stderr"][-2000:], "    "))
        shutil.rmtree(sc, ignore_errors=True)

    for i in range(repeat):
        for tool in TOOLS:
            py, script = pythons[tool], scripts[tool]
            log(f"repeat {i + 1}/{repeat}: {TOOL_LABEL[tool]}")
            sc = Path(tempfile.mkdtemp(prefix=f"{tool}-{i}-", dir=scratch_root))
            try:
                # 1. import
                r = attempt(tool, "import", lambda: run_child(py, script, "import", None, child_env(sc / "import")))
                if r:
                    times[tool]["import"].append(r["import"])
                    walls[tool]["import"].append(r["wall"])

                # 2. build, into an empty builds dir
                builds = sc / "build" / "builds"
                r = attempt(tool, "build", lambda: run_child(py, script, "build", builds, child_env(sc / "build")))
                if r:
                    times[tool]["build"].append(r["build"])
                    walls[tool]["build"].append(r["wall"])
                    build_sizes[tool] = (r["build_path"], dir_size(builds), len(files_under(builds)))
                shutil.rmtree(sc / "build", ignore_errors=True)

                # 3. first run, empty cache dir; 4. cached run, same cache dir
                env = child_env(sc / "run")
                cache_dir = Path(env["XORQ_CACHE_DIR"])
                r = attempt(tool, "first", lambda: run_child(py, script, "run", None, env))
                if r:
                    times[tool]["first"].append(r["execute"])
                    walls[tool]["first"].append(r["wall"])
                after_first = parquet_files(cache_dir)
                if r and not after_first:
                    msg = (
                        f"{TOOL_LABEL[tool]}: the first run wrote no Parquet file under XORQ_CACHE_DIR={cache_dir}; "
                        "its cache is not where this benchmark points it"
                    )
                    if msg not in problems:
                        problems.append(msg)
                        warn(msg)
                if r is None and (tool, "cached") not in failed:
                    failed.add((tool, "cached"))
                    problems.append(f"{TOOL_LABEL[tool]} cached run not measured: its first run failed")
                r2 = attempt(tool, "cached", lambda: run_child(py, script, "run", None, env))
                if r2:
                    times[tool]["cached"].append(r2["execute"])
                    walls[tool]["cached"].append(r2["wall"])
                    after_cached = parquet_files(cache_dir)
                    # A hit reads the entry; a miss writes a Parquet file (new, or the same one again).
                    written = sorted(k for k, v in after_cached.items() if after_first.get(k) != v)
                    if written:
                        msg = (
                            f"{TOOL_LABEL[tool]}: the cached run wrote cache data ({', '.join(written[:3])}): "
                            "a cache MISS, so its cached-run figure is not a cache hit"
                        )
                        if msg not in problems:
                            problems.append(msg)
                            warn(msg)
                    if i == 0:
                        log(f"  {TOOL_LABEL[tool]} cache files after the cached run: {files_under(cache_dir)}")
            finally:
                shutil.rmtree(sc, ignore_errors=True)

    for tool, (path, size, nfiles) in build_sizes.items():
        log(f"{TOOL_LABEL[tool]} build: {path} ({nfiles} files, {size / 1e6:.1f} MB)")
    return times, walls, results, problems


def compare_results(results: dict) -> str | None:
    if set(results) != set(TOOLS):
        return None  # a failure is already reported
    a, b = results["xorq"], results["xorq_rs"]
    if [r for r, _ in a] != [r for r, _ in b]:
        return f"the tools' results differ in their regions: xorq {a} vs xorq_rs {b}"
    for (region, x), (_, y) in zip(a, b):
        if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6):
            return f"the tools' totals differ for region {region!r}: xorq {x!r} vs xorq_rs {y!r}"
    return None


# --------------------------------------------------------------------------- report


def fmt_s(xs: list[float]) -> str:
    if not xs:
        return "FAILED"
    med = statistics.median(xs)
    return f"{fmt_t(med)} ({fmt_t(min(xs))})"


def fmt_t(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(cell.ljust(w) if c == 0 else cell.rjust(w) for c, (cell, w) in enumerate(zip(r, widths))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def report(times: dict, with_goals: bool) -> tuple[str, bool]:
    rows = [["phase", TOOL_LABEL["xorq"], TOOL_LABEL["xorq_rs"], "ratio"] + (["goal", "met"] if with_goals else [])]
    all_met = True
    for key, label, goal in PHASES:
        xs, ys = times["xorq"][key], times["xorq_rs"][key]
        if xs and ys:
            ratio = statistics.median(xs) / statistics.median(ys)
            ratio_s = f"{ratio:.1f}x"
        else:
            ratio, ratio_s = None, "-"
        row = [label, fmt_s(xs), fmt_s(ys), ratio_s]
        if with_goals:
            if goal is None:
                row += ["-", "-"]
            else:
                met = ratio is not None and ratio >= goal
                all_met &= met
                row += [f">= {goal:.0f}x", "yes" if met else "NO"]
        rows.append(row)
    return table(rows), all_met


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        epilog="See the docstring at the top of this file for what is measured.",
    )
    ap.add_argument("--xorq-rs-python", type=Path, help="a python with xorq_rs installed (required unless --setup-only)")
    ap.add_argument("--rows", type=int, default=10_000_000, help="rows in the sales Parquet file (default 10,000,000)")
    ap.add_argument("--repeat", type=int, default=5, help="fresh processes per phase and tool (default 5)")
    ap.add_argument(
        "--no-relocate-reads",
        action="store_true",
        help="build with build_expr(..., relocate_reads=False) in both tools: the build refers to the "
        "Parquet file by path instead of copying it in (the default copies it, in both)",
    )
    ap.add_argument("--setup-only", action="store_true", help="install Python xorq and generate the data, then exit")
    args = ap.parse_args()
    if args.rows < 1 or args.repeat < 1:
        ap.error("--rows and --repeat must be at least 1")
    if not args.setup_only and args.xorq_rs_python is None:
        ap.error("--xorq-rs-python is required")

    xorq_python = ensure_xorq_venv()
    data = ensure_data(xorq_python, args.rows)
    if args.setup_only:
        return 0

    rs_python = args.xorq_rs_python.expanduser()
    if not rs_python.is_absolute() and os.sep in str(rs_python):
        rs_python = rs_python.absolute()  # keep a venv's bin/python a symlink: do not resolve()
    rs_version, rs_location, rs_has_parquet_cache = probe_xorq_rs(rs_python)

    BENCH_ROOT.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    scratch_root = Path(tempfile.mkdtemp(prefix="xorq-rs-bench-"))
    try:
        scripts = {}
        for tool, pkg, fallback in (("xorq", "xorq", False), ("xorq_rs", "xorq_rs", not rs_has_parquet_cache)):
            scripts[tool] = scratch_root / f"bench_{tool}.py"
            scripts[tool].write_text(child_script(pkg, data, fallback, not args.no_relocate_reads))
        pythons = {"xorq": xorq_python, "xorq_rs": rs_python}
        times, walls, results, problems = measure(pythons, scripts, args.repeat, scratch_root)
    finally:
        shutil.rmtree(scratch_root, ignore_errors=True)

    mismatch = compare_results(results)
    if mismatch:
        problems.append(mismatch)

    size_mb = data.stat().st_size / 1e6
    print()
    print(f"xorq_rs vs Python xorq {XORQ_VERSION}: the seeds' sales pipeline over {args.rows:,} rows "
          f"({data.name}, {size_mb:.1f} MB)")
    print(f"  xorq:    {xorq_python}")
    print(f"  xorq_rs: {rs_python} (xorq_rs {rs_version}, {Path(rs_location).parent})")
    if not rs_has_parquet_cache:
        print("  !! FALLBACK: xorq_rs has no usable xorq_rs.caching.ParquetCache; its pipeline uses "
              "`.cache()` with no argument")
    if args.no_relocate_reads:
        print("  build: build_expr(expr, builds_dir=..., relocate_reads=False) in both tools (--no-relocate-reads)")
    else:
        print("  build: build_expr(expr, builds_dir=...) with the defaults: both copy the Parquet file into the build")
    print(f"  load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, on "
          f"{os.cpu_count()} CPUs: other work on the machine makes the figures noisy")
    print(f"  each cell: median of {args.repeat} fresh processes (best in brackets); "
          "ratio = xorq median / xorq_rs median")
    print()
    print("Time of the phase inside the process:")
    text, all_met = report(times, with_goals=True)
    print(text)
    print()
    print("Wall clock of the whole process (interpreter start-up, import, the phase, exit):")
    print(report(walls, with_goals=False)[0])
    print()
    if mismatch:
        print(f"RESULTS DIFFER: {mismatch}")
    elif set(results) == set(TOOLS):
        print(f"results agree: {len(results['xorq'])} regions, totals equal (rel. tol. 1e-9)")
    print(f"goals (import >= 10x, build >= 20x, cached run >= 20x): {'all met' if all_met else 'NOT all met'}")
    if problems:
        print()
        print("Problems:")
        for p in problems:
            print("  ! " + p.replace("\n", "\n    "))
    failed = any(not times[t][p] for t in TOOLS for p, _, _ in PHASES)
    return 1 if (failed or mismatch) else 0


if __name__ == "__main__":
    sys.exit(main())
