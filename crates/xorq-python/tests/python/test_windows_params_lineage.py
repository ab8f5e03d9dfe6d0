"""Windows (0-based ranking as in Ibis), parameters bound at run time, lineage and repr, each
checked against the same question asked of DataFusion's SQL through the `xorq` command or
computed by hand."""

import pyarrow as pa
import pytest

import xorq_rs.api as xo
from xorq_rs.ibis_yaml.compiler import build_expr, load_expr

T = pa.table(
    {
        "region": ["n", "n", "n", "s", "s"],
        "day": [1, 2, 3, 1, 2],
        "amount": [10.0, 20.0, 30.0, 5.0, 7.0],
    }
)


def rows(expr):
    return expr.order_by("region", "day").execute().to_pylist()


def test_running_sum_lag_and_row_number():
    t = xo.memtable(T)
    w = xo.window(group_by="region", order_by="day")
    expr = t.mutate(
        running=xo._.amount.sum().over(xo.window(group_by="region", order_by="day", rows=(None, 0))),
        cum=xo._.amount.cumsum(group_by="region", order_by="day"),
        prev=xo._.amount.lag().over(w),
        nxt=xo._.amount.lead(1, 0.0).over(w),
        rn=xo.row_number().over(w),
        moving=xo._.amount.mean().over(xo.window(group_by="region", order_by="day", preceding=1, following=0)),
    )
    out = rows(expr)
    assert [r["running"] for r in out] == [10.0, 30.0, 60.0, 5.0, 12.0]
    assert [r["cum"] for r in out] == [r["running"] for r in out]
    assert [r["prev"] for r in out] == [None, 10.0, 20.0, None, 5.0]
    assert [r["nxt"] for r in out] == [20.0, 30.0, 0.0, 7.0, 0.0]
    assert [r["rn"] for r in out] == [0, 1, 2, 0, 1], "0-based, as Ibis"
    assert [r["moving"] for r in out] == [10.0, 15.0, 25.0, 5.0, 6.0]


def test_rank_over_the_whole_table():
    t = xo.memtable({"v": [30, 10, 20, 10]})
    out = t.mutate(r=xo.rank().over(order_by="v"), d=xo.dense_rank().over(order_by="v")).order_by("v").execute()
    assert out["r"].to_pylist() == [0, 0, 2, 3]
    assert out["d"].to_pylist() == [0, 0, 1, 2]


def test_parameters_bind_at_run_time_and_keep_the_address(tmp_path):
    t = xo.memtable(T)
    threshold = xo.param("threshold", "float64", default=15.0)
    expr = t.filter(xo._.amount > threshold)
    assert expr.execute().num_rows == 2
    assert expr.execute(params={"threshold": 6.0}).num_rows == 4
    other = t.filter(xo._.amount > xo.param("threshold", "float64", default=15.0))
    assert other.address == expr.address
    with pytest.raises(xo.XorqError, match="threshhold"):
        expr.execute(params={"threshhold": 1.0})
    # One build serves every value.
    loaded = load_expr(build_expr(expr, builds_dir=tmp_path))
    assert loaded.execute(params={"threshold": 25.0}).num_rows == 1
    batches = expr.to_pyarrow_batches(params={"threshold": 0.0}).read_all()
    assert batches.num_rows == 5


def test_lineage_repr_and_notebook_view():
    expr = xo.memtable(T).filter(xo._.amount > 6).group_by("region").agg(total=xo._.amount.sum())
    tree = expr.lineage("total")
    assert "Aggregate" in tree and "amount" in tree
    with pytest.raises(xo.XorqError, match="did you mean"):
        expr.lineage("totl")
    text = repr(expr)
    assert expr.address[:12] in text and "total: " in text and "plan:" in text
    html = expr._repr_html_()
    assert "<table>" in html and "total" in html and "<script" not in html
    assert "Aggregate" in expr.plan() or "aggregate" in expr.plan().lower()
