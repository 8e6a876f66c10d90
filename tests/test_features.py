"""The input features: the server's feature_matrix and the page's features.js must agree.

The JavaScript twin runs under Node (``tests/node/features_twin.mjs``) on the
same points; hypothesis checks the column-order contract of feature_matrix.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from server.problems.playground.datasets import generate
from server.problems.playground.features import (
    FEATURE_KEYS,
    FEATURES,
    feature_matrix,
    selected_features,
)

REPO = Path(__file__).resolve().parents[1]
TWIN = REPO / "tests" / "node" / "features_twin.mjs"


def run_twin(request: dict) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(TWIN)],
        cwd=REPO,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
    )


def twin(request: dict) -> dict:
    completed = run_twin(request)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.fixture(scope="module")
def random_points() -> np.ndarray:
    return np.random.default_rng(20240601).uniform(-6, 6, size=(1000, 2))


def by_formula(points: np.ndarray) -> dict[str, np.ndarray]:
    """The seven features written out independently of server.problems.playground.features."""
    x1, x2 = points[:, 0], points[:, 1]
    return {
        "x": x1,
        "y": x2,
        "xSquared": x1**2,
        "ySquared": x2**2,
        "xTimesY": x1 * x2,
        "sinX": np.sin(x1),
        "sinY": np.sin(x2),
    }


# --------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------


def test_feature_catalogue_order_and_labels() -> None:
    assert [f.key for f in FEATURES] == [
        "x",
        "y",
        "xSquared",
        "ySquared",
        "xTimesY",
        "sinX",
        "sinY",
    ]
    assert [f.label for f in FEATURES] == [
        "X₁",
        "X₂",
        "X₁²",
        "X₂²",
        "X₁X₂",
        "sin(X₁)",
        "sin(X₂)",
    ]
    assert FEATURE_KEYS == tuple(f.key for f in FEATURES)
    key, label, expression = FEATURES[4]  # each entry is a (key, label, expression) triple
    assert (key, label, expression) == ("xTimesY", "X₁X₂", "x1 * x2")


def test_expressions_describe_what_the_features_compute(random_points: np.ndarray) -> None:
    x1, x2 = random_points[:, 0], random_points[:, 1]
    expected = by_formula(random_points)
    for feature in FEATURES:
        evaluated = eval(feature.expression, {"sin": np.sin, "x1": x1, "x2": x2})
        np.testing.assert_allclose(evaluated, expected[feature.key], rtol=1e-15, atol=0)
        np.testing.assert_allclose(feature(x1, x2), expected[feature.key], rtol=1e-15, atol=0)


def test_javascript_catalogue_is_the_same() -> None:
    result = twin({"points": [[0.0, 0.0]], "keys": ["x"]})
    assert result["features"] == [
        {"key": f.key, "label": f.label, "expression": f.expression} for f in FEATURES
    ]


# --------------------------------------------------------------------------------------
# Python and JavaScript agree
# --------------------------------------------------------------------------------------


def test_python_and_javascript_agree_on_every_feature(random_points: np.ndarray) -> None:
    keys = list(FEATURE_KEYS)
    python = feature_matrix(random_points, keys)
    result = twin({"points": random_points.tolist(), "keys": keys})
    assert (result["rows"], result["cols"]) == (1000, 7)
    javascript = np.array(result["matrix"], dtype=np.float64).reshape(1000, 7)
    np.testing.assert_allclose(python, javascript, rtol=0, atol=1e-6)
    x1, x2 = random_points[:, 0], random_points[:, 1]
    for column, feature in enumerate(FEATURES):
        values = np.array(result["values"][feature.key])  # featureValue, in doubles
        np.testing.assert_allclose(feature(x1, x2), values, rtol=0, atol=1e-12)
        np.testing.assert_allclose(values, by_formula(random_points)[feature.key], atol=1e-12)
        # float32 keeps 24 bits: |value| up to 36 rounds by up to 36 * 2**-24.
        np.testing.assert_allclose(python[:, column], values, rtol=2**-24, atol=1e-12)
    # Both store float32 of the same double, so they are in fact equal.
    np.testing.assert_array_equal(python, javascript.astype(np.float32))


def test_javascript_orders_columns_like_python_and_takes_flat_arrays(
    random_points: np.ndarray,
) -> None:
    keys = ["sinY", "x", "xTimesY", "x"]  # out of order, with a duplicate
    python = feature_matrix(random_points[:50], keys)
    assert python.shape == (50, 3)
    for flat in (False, True):
        result = twin({"points": random_points[:50].tolist(), "keys": keys, "flat": flat})
        javascript = np.array(result["matrix"], dtype=np.float32).reshape(50, 3)
        np.testing.assert_array_equal(python, javascript)


@pytest.mark.parametrize("keys", [["bogus"], [], ["x", "cosX"]])
def test_javascript_rejects_unknown_or_empty_selection(keys: list[str]) -> None:
    completed = run_twin({"points": [[1.0, 2.0]], "keys": keys})
    assert completed.returncode != 0
    assert "RangeError" in completed.stderr


# --------------------------------------------------------------------------------------
# feature_matrix
# --------------------------------------------------------------------------------------


def test_feature_matrix_values_and_dtype() -> None:
    points = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -6.0]])
    m = feature_matrix(points, FEATURE_KEYS)
    assert m.dtype == np.float32
    assert m.shape == (3, 7)
    np.testing.assert_allclose(
        m[1], [-3.0, 0.5, 9.0, 0.25, -1.5, np.sin(-3.0), np.sin(0.5)], rtol=1e-7
    )
    np.testing.assert_array_equal(feature_matrix(points, ["y", "x"]), points.astype(np.float32))


def test_feature_matrix_takes_a_data_split_directly() -> None:
    split = generate("circle", 0, 50, "0.59")
    m = feature_matrix(split.train, ["x", "y", "xSquared"])
    assert m.shape == (250, 3)
    np.testing.assert_allclose(m[:, 2], split.train[:, 0] ** 2, rtol=1e-6)
    empty = feature_matrix(np.zeros((0, 3)), ["x"])
    assert empty.shape == (0, 1)


@pytest.mark.parametrize(
    ("points", "keys", "error"),
    [
        (np.zeros((2, 2)), ["x", "z"], ValueError),
        (np.zeros((2, 2)), ["cosX"], ValueError),
        (np.zeros((2, 2)), [], ValueError),
        (np.zeros((2, 2)), "x", TypeError),
        (np.zeros(4), ["x"], ValueError),
        (np.zeros((2, 1)), ["x"], ValueError),
    ],
)
def test_feature_matrix_rejects(points: np.ndarray, keys: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        feature_matrix(points, keys)  # type: ignore[arg-type]


points_strategy = arrays(
    np.float64,
    st.tuples(st.integers(min_value=0, max_value=20), st.just(2)),
    elements=st.floats(min_value=-6, max_value=6, allow_nan=False),
)
keys_strategy = st.lists(st.sampled_from(FEATURE_KEYS), min_size=1, max_size=10)


@settings(max_examples=200, deadline=None)
@given(points=points_strategy, keys=keys_strategy)
def test_columns_follow_feature_order_whatever_the_key_order(
    points: np.ndarray, keys: list[str]
) -> None:
    full = feature_matrix(points, FEATURE_KEYS)
    chosen = [i for i, key in enumerate(FEATURE_KEYS) if key in keys]
    m = feature_matrix(points, keys)
    assert m.shape == (len(points), len(set(keys)))
    np.testing.assert_array_equal(m, full[:, chosen])
    np.testing.assert_array_equal(m, feature_matrix(points, list(reversed(keys))))


@settings(max_examples=100, deadline=None)
@given(points=points_strategy, key=st.sampled_from(FEATURE_KEYS))
def test_each_column_is_its_formula(points: np.ndarray, key: str) -> None:
    column = feature_matrix(points, [key])[:, 0]
    np.testing.assert_array_equal(column, by_formula(points)[key].astype(np.float32))


# --------------------------------------------------------------------------------------
# selected_features
# --------------------------------------------------------------------------------------


def test_selected_features_in_input_order() -> None:
    flags = {"sinY": True, "x": True, "y": False, "xTimesY": True}
    assert selected_features(flags) == ["x", "xTimesY", "sinY"]
    assert selected_features({}) == []
    # The playground's state also has cosX/cosY and other keys: ignored.
    state = {"x": True, "y": True, "cosX": True, "dataset": "circle", "noise": 0}
    assert selected_features(state) == ["x", "y"]
    assert selected_features({key: True for key in reversed(FEATURE_KEYS)}) == list(FEATURE_KEYS)
    assert selected_features({"x": np.bool_(True)}) == ["x"]


def test_selected_features_rejects_non_bool_flags() -> None:
    with pytest.raises(TypeError):
        selected_features({"x": "false"})  # a URL string would be truthy
