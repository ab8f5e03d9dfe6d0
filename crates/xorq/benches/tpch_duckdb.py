"""One TPC-H query on DuckDB, timed as `benches/tpch.rs` times xorq and DataFusion.

Run by `cargo bench -p xorq --bench tpch` once per query, in a fresh process (so the peak
memory it reports is this query's): one warm-up run, then `--runs` timed runs. A run is what a
DuckDB user does with the query file: a new in-memory connection, a view per table over its
Parquet files, the file's statements (Q15 creates and drops a view), the SELECT's result
fetched as an Arrow table. Prints one line:
`median_ms=<m> peak_kb=<VmHWM> rows=<n> runs_ms=<a,b,…>`, and writes the last result as an
Arrow IPC file to `--out` for the answer check.

usage: tpch_duckdb.py --sql q5.sql --runs 3 --out result.arrow lineitem=/data/lineitem …
"""

import argparse
import statistics
import sys
import time

import duckdb
import pyarrow.ipc


def statements(path):
    # The TPC-H texts have no `;` inside strings or comments.
    with open(path, encoding="utf-8") as f:
        return [s.strip() for s in f.read().split(";") if s.strip()]


def run(tables, stmts):
    con = duckdb.connect()
    for name, directory in tables.items():
        con.execute(f"create view {name} as select * from read_parquet('{directory}/*.parquet')")
    result = None
    for s in stmts:
        head = s.split(None, 1)[0].lower()
        if head in ("select", "with"):
            result = con.execute(s).to_arrow_table()
        else:
            con.execute(s)
    con.close()
    return result


def peak_kb():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sql", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", required=True)
    parser.add_argument("tables", nargs="+", help="name=directory of Parquet files")
    args = parser.parse_args()
    tables = dict(t.split("=", 1) for t in args.tables)
    stmts = statements(args.sql)

    result = run(tables, stmts)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = run(tables, stmts)
        times.append((time.perf_counter() - start) * 1000.0)
    with pyarrow.ipc.new_file(args.out, result.schema) as writer:
        writer.write_table(result)
    runs = ",".join(f"{t:.3f}" for t in times)
    print(f"median_ms={statistics.median(times):.3f} peak_kb={peak_kb()} rows={result.num_rows} runs_ms={runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
