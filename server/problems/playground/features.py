"""The playground's seven input features, as one pure function of the points.

The network's inputs are the selected features in the fixed order of
:data:`FEATURES`, whatever order the selection arrives in, so that the weights of
the first layer always mean the same inputs: the server's training data
(:func:`feature_matrix`) and the page's 100x100 grid (``web/js/features.js``,
the JavaScript twin) must build their columns the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np

__all__ = ["FEATURES", "FEATURE_KEYS", "Feature", "feature_matrix", "selected_features"]


class Feature(NamedTuple):
    """One input feature: its URL key, the label the page shows, and its formula.

    ``expression`` is the formula in terms of ``x1`` and ``x2`` (with ``sin``),
    fit for showing or for writing code for the network; calling the feature
    evaluates it on arrays.
    """

    key: str
    label: str
    expression: str

    def __call__(self, x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
        """Evaluate the feature on arrays of x1 and x2 (float64 in, float64 out)."""
        return _FUNCTIONS[self.key](x1, x2)


_FUNCTIONS: Mapping[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x": lambda x1, x2: x1,
    "y": lambda x1, x2: x2,
    "xSquared": lambda x1, x2: x1 * x1,
    "ySquared": lambda x1, x2: x2 * x2,
    "xTimesY": lambda x1, x2: x1 * x2,
    "sinX": lambda x1, x2: np.sin(x1),
    "sinY": lambda x1, x2: np.sin(x2),
}

FEATURES: tuple[Feature, ...] = (
    Feature("x", "X\u2081", "x1"),
    Feature("y", "X\u2082", "x2"),
    Feature("xSquared", "X\u2081\u00b2", "x1 * x1"),
    Feature("ySquared", "X\u2082\u00b2", "x2 * x2"),
    Feature("xTimesY", "X\u2081X\u2082", "x1 * x2"),
    Feature("sinX", "sin(X\u2081)", "sin(x1)"),
    Feature("sinY", "sin(X\u2082)", "sin(x2)"),
)
"""The features in the network's input order: (key, label, expression) each."""

FEATURE_KEYS: tuple[str, ...] = tuple(feature.key for feature in FEATURES)
"""The feature keys in input order; also the URL keys that toggle them."""

_BY_KEY: Mapping[str, Feature] = {feature.key: feature for feature in FEATURES}


def _ordered_selection(keys: Iterable[str]) -> list[Feature]:
    if isinstance(keys, str):  # "xSquared" would otherwise be read letter by letter
        raise TypeError("keys must be a sequence of feature keys, not one string")
    chosen: set[str] = set()
    for key in keys:
        if key not in _BY_KEY:
            known = ", ".join(FEATURE_KEYS)
            raise ValueError(f"unknown feature {key!r}; expected some of {known}")
        chosen.add(key)
    if not chosen:
        raise ValueError("no features selected: the network needs at least one input")
    return [feature for feature in FEATURES if feature.key in chosen]


def feature_matrix(points: np.ndarray, keys: Sequence[str]) -> np.ndarray:
    """The network's input matrix for ``points``, one column per selected feature.

    ``points`` has shape (n, 2) or more columns (x1, x2 first; a data set's
    (n, 3) array with its label column works as is). Columns follow
    :data:`FEATURES` order restricted to ``keys``, whatever order ``keys`` came
    in, and a key given twice still makes one column. The values are computed
    in float64 and stored as float32, as the page's ``Float32Array`` does, so
    both sides feed the model the same numbers.

    Raises ValueError for an unknown key, an empty selection, or points that
    are not an (n, >=2) array.
    """
    selection = _ordered_selection(keys)
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] < 2:
        raise ValueError(f"points must have shape (n, 2) or wider, got {array.shape}")
    x1 = array[:, 0]
    x2 = array[:, 1]
    out = np.empty((array.shape[0], len(selection)), dtype=np.float32)
    for column, feature in enumerate(selection):
        out[:, column] = feature(x1, x2)
    return out


def selected_features(flags: Mapping[str, bool]) -> list[str]:
    """The keys whose flag is true, in :data:`FEATURES` order.

    ``flags`` is the playground's state (``{"x": True, "sinX": False, ...}``),
    which also carries keys that are not features here (``cosX``, ``cosY``,
    ``dataset``, ...): those are ignored, and a missing key counts as off.
    A feature's value must be a bool: a URL string such as ``"false"`` is
    truthy, so it raises TypeError instead of quietly turning the input on.
    """
    selected = []
    for key in FEATURE_KEYS:
        value = flags.get(key, False)
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"feature flag {key!r} must be a bool, got {value!r}")
        if value:
            selected.append(key)
    return selected
