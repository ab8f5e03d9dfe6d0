"""The seeds' expression API: tables, the deferred column, running, errors."""

import pyarrow as pa
import pytest

import xorq_rs
import xorq_rs.api as xo


@pytest.fixture
def sales():
    return xo.memtable(
        {
            "region": ["north", "south", "north", "east", "south"],
            "amount": [50, 150, 250, 120, None],
            "price": [1.5, 2.0, 2.5, 3.0, 4.0],
        }
    )


def rows(expr):
    return expr.execute().to_pylist()


def test_memtable_from_dict_and_pyarrow_share_an_address_named_by_the_data(sales):
    same = xo.memtable(
        pa.table({"region": ["north", "south", "north", "east", "south"], "amount": [50, 150, 250, 120, None],
                  "price": [1.5, 2.0, 2.5, 3.0, 4.0]})
    )
    assert same.address == sales.address
    assert len(sales.address) == 64
    other = xo.memtable({"region": ["west"], "amount": [1], "price": [1.0]})
    assert other.address != sales.address
    assert sales.columns == ["region", "amount", "price"]


def test_the_deferred_column_filters_with_python_operators(sales):
    big = sales.filter(xo._.amount > 100)
    assert [r["amount"] for r in rows(big.order_by("amount"))] == [120, 150, 250]
    either = sales.filter((xo._.region == "east") | (xo._.amount < 60))
    assert sorted(r["region"] for r in rows(either)) == ["east", "north"]
    neither = sales.filter(~(xo._.region == "north") & xo._.amount.notnull())
    assert sorted(r["amount"] for r in rows(neither)) == [120, 150]
    assert len(rows(sales.filter(xo._.amount.isnull()))) == 1
    assert len(rows(sales.filter(xo._.region.isin(["east", "south"])))) == 3
    assert len(rows(sales.filter(xo._.amount.between(100, 200)))) == 2
    # Several predicates are AND-ed, as Ibis does.
    assert len(rows(sales.filter(xo._.amount > 100, xo._.region == "north"))) == 1


def test_select_mutate_drop_rename_order_limit_distinct(sales):
    out = (
        sales.mutate(revenue=xo._.amount * xo._.price, doubled=2 * xo._.amount)
        .drop("price")
        .rename(area="region")
        .filter(xo._.revenue.notnull())
        .order_by(xo._.revenue.desc())
        .limit(2)
    )
    assert out.columns == ["area", "amount", "revenue", "doubled"]
    got = rows(out)
    assert [r["revenue"] for r in got] == [625.0, 360.0]
    assert [r["doubled"] for r in got] == [500, 240]
    assert len(rows(sales.select("region").distinct())) == 3
    assert rows(sales.select(xo._.region.upper().name("r")).order_by("r").limit(1)) == [{"r": "EAST"}]
    assert len(rows(sales.limit(2, offset=4))) == 1


def test_group_by_aggregates_by_name(sales):
    out = sales.group_by("region").agg(total=xo._.amount.sum(), n=xo._.amount.count(), top=xo._.price.max())
    got = {r["region"]: r for r in rows(out)}
    assert got["north"]["total"] == 300 and got["north"]["n"] == 2 and got["north"]["top"] == 2.5
    assert got["south"]["total"] == 150 and got["south"]["n"] == 1
    counted = {r["region"]: r["count"] for r in rows(sales.group_by(xo._.region).count())}
    assert counted == {"north": 2, "south": 2, "east": 1}
    assert rows(sales.agg(total=xo._.amount.sum())) == [{"total": 570}]


def test_joins_and_unions(sales):
    names = xo.memtable({"region": ["north", "south"], "manager": ["ann", "bo"]})
    joined = sales.join(names, "region").filter(xo._.amount.notnull())
    assert sorted((r["manager"], r["amount"]) for r in rows(joined)) == [("ann", 50), ("ann", 250), ("bo", 150)]
    left = sales.join(names, ["region"], how="left")
    assert len(rows(left)) == 5
    twice = sales.select("region").union(sales.select("region"))
    assert len(rows(twice)) == 10
    assert len(rows(sales.select("region").union(sales.select("region"), distinct=True))) == 3
    with pytest.raises(ValueError, match="unknown join"):
        sales.join(names, "region", how="sideways")


def test_results_are_pyarrow_tables_and_streams(sales):
    table = sales.execute()
    assert isinstance(table, pa.Table)
    assert table.num_rows == 5
    assert sales.schema() == pa.schema([("region", pa.string()), ("amount", pa.int64()), ("price", pa.float64())])
    reader = sales.filter(xo._.amount > 0).to_pyarrow_batches()
    assert isinstance(reader, pa.RecordBatchReader)
    assert reader.schema.names == ["region", "amount", "price"]
    assert sum(batch.num_rows for batch in reader) == 4


def test_the_address_names_the_logic_not_the_spelling(sales):
    a = sales.filter((xo._.amount > 100) & (xo._.region == "north"))
    b = sales.filter(xo._.region == "north", xo._.amount > 100)
    assert a.address == b.address
    assert sales.filter(xo._.amount > 101).address != a.address


def test_errors_name_what_is_wrong(sales):
    with pytest.raises(xorq_rs.SchemaError, match="did you mean `amount`"):
        sales.filter(xo._.amuont > 1)
    with pytest.raises(xo.XorqError):
        sales.select("nope")
    with pytest.raises(TypeError, match="truth value"):
        sales.filter(xo._.amount > 1 and xo._.amount < 3)
    with pytest.raises(TypeError, match="isnull"):
        sales.filter(xo._.amount == None)  # noqa: E711
    with pytest.raises(AttributeError, match="its columns: region, amount, price"):
        sales.nope
    assert str(sales.amount.sum()) .startswith("<Value")


def test_table_columns_as_attributes_and_items(sales):
    assert rows(sales.filter(sales.amount > 200).select(sales["region"])) == [{"region": "north"}]


def test_cached_expressions_are_stored_once(sales, tmp_path):
    expr = sales.group_by("region").agg(total=xo._.amount.sum()).cache("snapshot")
    first = rows(expr.order_by("region"))
    second = rows(expr.order_by("region"))
    assert first == second
    with pytest.raises(ValueError, match="unknown cache strategy"):
        sales.cache("forever")


def test_set_operations():
    a = xo.memtable({"k": [1, 2, 2, 3]})
    b = xo.memtable({"k": [2, 3, 4]})
    assert sorted(a.intersect(b).execute()["k"].to_pylist()) == [2, 3]
    assert sorted(a.difference(b).execute()["k"].to_pylist()) == [1]


def test_the_stubs_name_every_public_method():
    """Editors read `_native.pyi`: every method of the extension's classes is in it."""
    import ast
    import pathlib

    import xorq_rs
    from xorq_rs import _native

    stub = ast.parse((pathlib.Path(xorq_rs.__file__).parent / "_native.pyi").read_text())
    stubbed = {
        node.name: {f.name for f in node.body if isinstance(f, ast.FunctionDef)}
        for node in stub.body
        if isinstance(node, ast.ClassDef)
    }
    functions = {node.name for node in stub.body if isinstance(node, ast.FunctionDef)}
    for cls in ["Table", "Value", "GroupBy", "Backend", "FittedPipeline"]:
        public = {n for n in dir(getattr(_native, cls)) if not n.startswith("__")}
        missing = public - stubbed[cls]
        assert not missing, f"{cls} methods missing from _native.pyi: {sorted(missing)}"
    public_functions = {
        n for n in dir(_native) if callable(getattr(_native, n)) and not n.startswith("_") and n[0].islower()
    }
    assert public_functions <= functions, sorted(public_functions - functions)


def test_the_arrow_stream_protocol():
    """Any consumer of `__arrow_c_stream__` (pyarrow, polars, DuckDB) reads an expression."""
    expr = xo.memtable({"a": [1, 2, 3], "s": ["x", "y", "z"]}).filter(xo._.a > 1)
    table = pa.table(expr)
    assert table.to_pylist() == [{"a": 2, "s": "y"}, {"a": 3, "s": "z"}]
    assert table.schema == expr.schema()
    reader = pa.RecordBatchReader.from_stream(expr)
    assert reader.read_all().num_rows == 2
