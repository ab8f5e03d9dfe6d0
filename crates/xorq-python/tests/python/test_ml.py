"""ML from scikit-learn objects: `Pipeline.from_instance`, `fit`, `predict`, deterministic
splits, and the seeds' example; answers compared with scikit-learn itself."""

import numpy as np
import pyarrow as pa
import pytest

sklearn = pytest.importorskip("sklearn")  # CI installs it (.ci/run); a plain dev venv may not
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import xorq_rs.api as xo  # noqa: E402


def data(n=400, seed=7):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(40, 5, n)
    x2 = rng.normal(17, 2, n)
    y = 3.0 * x1 - 2.0 * x2 + rng.normal(0, 1, n)
    species = np.where(x1 + 2 * x2 + rng.normal(0, 2, n) > 74, "Gentoo", "Adelie")
    return pa.table({"id": np.arange(n), "x1": x1, "x2": x2, "y": y, "species": species})


def test_linear_regression_matches_scikit_learn():
    t = data()
    fitted = xo.Pipeline.from_instance(LinearRegression()).fit(xo.memtable(t), features=["x1", "x2"], target="y")
    ours = fitted.predict(xo.memtable(t)).order_by("id").execute()
    X = np.column_stack([t["x1"].to_numpy(), t["x2"].to_numpy()])
    theirs = LinearRegression().fit(X, t["y"].to_numpy()).predict(X)
    np.testing.assert_allclose(ours["predicted"].to_numpy(), theirs, rtol=1e-6, atol=1e-6)
    assert fitted.features == ["x1", "x2"] and fitted.target == "y"


def test_scaled_logistic_regression_pipeline_matches_scikit_learn():
    t = data()
    sk = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    fitted = xo.Pipeline.from_instance(sk).fit(xo.memtable(t), features=["x1", "x2"], target="species")
    ours = fitted.predict(xo.memtable(t)).order_by("id").execute()["predicted"].to_pylist()
    X = np.column_stack([t["x1"].to_numpy(), t["x2"].to_numpy()])
    theirs = sk.fit(X, t["species"].to_numpy()).predict(X).tolist()
    agree = sum(a == b for a, b in zip(ours, theirs)) / len(ours)
    assert agree > 0.99, f"only {agree:.3f} of the predictions agree with scikit-learn"
    proba = fitted.predict_proba(xo.memtable(t), "Gentoo").execute()
    assert proba.num_rows == t.num_rows


def test_the_seeds_random_forest_example(tmp_path):
    import pyarrow.parquet as pq

    pq.write_table(data(), tmp_path / "penguins.parquet")
    data_ = xo.read_parquet(tmp_path / "penguins.parquet")
    train, test = xo.test_train_splits(data_, test_size=0.2, unique_key="id")
    model = xo.Pipeline.from_instance(RandomForestClassifier(n_estimators=20, random_state=0))
    fitted = model.fit(train, features=["x1", "x2"], target="species")
    predictions = fitted.predict(test).cache(storage=xo.ParquetStorage())  # deferred
    result = predictions.execute()  # do work
    n_train, n_test = train.execute().num_rows, result.num_rows
    assert n_train + n_test == 400 and 40 < n_test < 120
    accuracy = np.mean(np.array(result["predicted"].to_pylist()) == np.array(result["species"].to_pylist()))
    assert accuracy > 0.8, accuracy
    # Deterministic: the same split and the same model address every time.
    again = xo.test_train_splits(data_, test_size=0.2, unique_key="id")[1]
    assert again.address == test.address
    assert predictions.address == fitted.predict(test).cache(storage=xo.ParquetStorage()).address


def test_splits_by_fractions_cover_every_row_once():
    t = xo.memtable(data(200))
    parts = xo.train_test_splits(t, [0.5, 0.3, 0.2], unique_key="id", random_seed=3)
    ids = [set(p.execute()["id"].to_pylist()) for p in parts]
    assert sum(len(i) for i in ids) == 200 and len(set.union(*ids)) == 200
    with pytest.raises(xo.XorqError, match="sum to 1"):
        xo.train_test_splits(t, [0.5, 0.4], unique_key="id")


def test_unsupported_estimators_and_values_are_named():
    from sklearn.svm import SVC

    with pytest.raises(xo.XorqError, match="SVC") as e:
        xo.Pipeline.from_instance(SVC())
    assert "LogisticRegression" in str(e.value), "the error lists what is supported"
    with pytest.raises(xo.XorqError, match="penalty"):
        xo.Pipeline.from_instance(LogisticRegression(penalty="l1", solver="liblinear"))
    with pytest.raises(ValueError, match="class_weight"):
        xo.Pipeline.from_instance(LogisticRegression(class_weight={"a": float("inf")}))
