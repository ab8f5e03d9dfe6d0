#!/usr/bin/env python3
"""placeholder (being written)"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

XORQ_VERSION = "0.4.9"
XORQ_REQUIREMENT = f"xorq[duckdb,datafusion]=={XORQ_VERSION}"
BENCH_ROOT = Path(os.environ.get("XORQ_RS_BENCH_DIR", Path.home() / ".cache" / "xorq-rs" / "bench"))


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_xorq_venv() -> Path:
    """The venv with Python xorq, created and installed once, reused after (idempotent)."""
    venv = BENCH_ROOT / f"xorq-{XORQ_VERSION}"
    marker = venv / ".bench-installed"
    py = venv_python(venv)
    if marker.is_file() and marker.read_text().strip() == XORQ_REQUIREMENT and py.exists():
        check = subprocess.run(
            [str(py), "-c", "import importlib.metadata as m; print(m.version('xorq'))"],
            capture_output=True, text=True,
        )
        if check.returncode == 0 and check.stdout.strip() == XORQ_VERSION:
            log(f"reusing Python xorq {XORQ_VERSION} venv at {venv}")
            return py
        log(f"venv at {venv} is broken ({check.stderr.strip() or check.stdout.strip()}); reinstalling")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    log(f"installing {XORQ_REQUIREMENT} into {venv} (once; takes a few minutes)")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(py), "-m", "pip", "install", "--quiet", XORQ_REQUIREMENT], check=True)
    marker.write_text(XORQ_REQUIREMENT + "\n")
    log(f"installed {XORQ_REQUIREMENT} in {time.perf_counter() - t0:.1f} s")
    return py


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--setup-only", action="store_true")
    args = ap.parse_args()
    ensure_xorq_venv()


if __name__ == "__main__":
    main()
