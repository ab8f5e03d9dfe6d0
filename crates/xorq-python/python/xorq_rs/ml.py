"""ML on deferred expressions: `Pipeline.from_instance(estimator)` and deterministic splits.

    import xorq_rs.api as xo
    from sklearn.ensemble import RandomForestClassifier

    train, test = xo.test_train_splits(data, test_size=0.2)
    fitted = xo.Pipeline.from_instance(RandomForestClassifier()).fit(
        train, features=["bill_length_mm", "bill_depth_mm"], target="species")
    predictions = fitted.predict(test)      # deferred; `predicted` column

The estimator is not run by scikit-learn: its class name and `get_params()` are mapped onto
xorq-rs' own implementation (checked against scikit-learn's results), so fitting is part of the
expression, cached by the training data's address and the hyperparameters, and a build carries
the model. An estimator, step or hyperparameter value without an implementation is an error
naming it and what is supported. scikit-learn itself is only needed for `from_instance`.
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any, Iterable, Sequence

from xorq_rs import _native
from xorq_rs._native import FittedPipeline, Table

__all__ = ["FittedPipeline", "Pipeline", "test_train_splits", "train_test_splits"]


def _json_value(owner: str, name: str, value: Any) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            raise ValueError(f"{owner}: hyperparameter `{name}` is {v}, which has no JSON form")
        return v
    if isinstance(value, (list, tuple)):
        return [_json_value(owner, name, v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(owner, name, v) for k, v in value.items()}
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        return _json_value(owner, name, tolist())
    raise ValueError(
        f"{owner}: hyperparameter `{name}` is a {type(value).__name__} ({value!r}); only numbers, strings, "
        f"booleans, None and lists of them can be part of a pipeline's logic"
    )


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:  # noqa: BLE001 (arrays and other values without a plain ==)
        return False


def _spec(obj: Any) -> tuple[str, str]:
    """`(class name, JSON hyperparameters)` of a scikit-learn object: the hyperparameters set to
    something other than scikit-learn's default. Defaults are xorq-rs' defaults too, so a
    parameter left alone (`verbose`, `ccp_alpha`, ...) needs no counterpart; one that was
    changed is passed on, and refused by name when there is no implementation of it."""
    name = type(obj).__name__
    get_params = getattr(obj, "get_params", None)
    if not callable(get_params):
        raise TypeError(f"{name} is not a scikit-learn estimator (it has no get_params())")
    given = get_params(deep=False)
    try:
        defaults = type(obj)().get_params(deep=False)
    except Exception:  # noqa: BLE001 (a class with required arguments: pass everything)
        defaults = {}
    params = {
        k: _json_value(name, k, v) for k, v in given.items() if not (k in defaults and _same(v, defaults[k]))
    }
    return name, json.dumps(params, sort_keys=True)


class Pipeline:
    """Steps (scalers, imputers, encoders) then an estimator, fitted on an expression."""

    def __init__(self, native: Any, description: str) -> None:
        self._native = native
        self._description = description

    @classmethod
    def from_instance(cls, instance: Any) -> Pipeline:
        """Maps a scikit-learn estimator or `sklearn.pipeline.Pipeline` (`make_pipeline(...)`)
        onto xorq-rs' implementation, by class name and `get_params()`."""
        steps = getattr(instance, "steps", None)
        if type(instance).__name__ == "Pipeline" and isinstance(steps, list):
            if not steps:
                raise ValueError("an empty scikit-learn Pipeline has no estimator")
            objects = [obj for _, obj in steps]
        else:
            objects = [instance]
        for obj in objects:
            if obj is None or obj == "passthrough":
                raise ValueError("a `passthrough` or None step is not supported; leave the step out")
        *step_objects, estimator = objects
        native = _native.ml_pipeline(_spec(estimator), [_spec(s) for s in step_objects])
        description = " -> ".join(type(o).__name__ for o in objects)
        return cls(native, description)

    def fit(self, train: Table, features: Sequence[str], target: str | None = None) -> FittedPipeline:
        """The model fitted on `train` (deferred and cached: nothing runs until it is used)."""
        if isinstance(features, str):
            features = [features]
        return self._native.fit(train, list(features), target)

    def __repr__(self) -> str:
        return f"Pipeline({self._description})"


def _keys(table: Table, unique_key: Any) -> list[str]:
    if unique_key is None:
        return list(table.columns)
    if isinstance(unique_key, str):
        return [unique_key]
    return list(unique_key)


def train_test_splits(
    table: Table,
    test_sizes: float | Iterable[float] = 0.25,
    unique_key: str | Iterable[str] | None = None,
    num_buckets: int | None = None,
    random_seed: int | None = None,
) -> tuple[Table, ...]:
    """Deterministic splits: a row's part is decided by the hash of `random_seed` and its
    `unique_key` columns (all columns when not given), so the same rows always land in the
    same part, on any engine.

    A float `test_sizes` gives `(train, test)`; a list of fractions summing to 1 gives one part
    per fraction. `num_buckets` is accepted for compatibility (the hash is not bucketed).
    """
    if isinstance(test_sizes, numbers.Real):
        fractions = [1.0 - float(test_sizes), float(test_sizes)]
    else:
        fractions = [float(f) for f in test_sizes]
    parts = _native.train_test_splits(table, fractions, _keys(table, unique_key), int(random_seed or 0))
    return tuple(parts)


def test_train_splits(
    table: Table,
    test_size: float = 0.25,
    unique_key: str | Iterable[str] | None = None,
    random_seed: int | None = None,
) -> tuple[Table, Table]:
    """`(train, test)`, the seeds' spelling of `train_test_splits(table, test_size)`."""
    train, test = train_test_splits(table, float(test_size), unique_key, random_seed=random_seed)
    return train, test


# pytest would collect a module-level `test_*` function imported into a test module.
test_train_splits.__test__ = False  # type: ignore[attr-defined]
