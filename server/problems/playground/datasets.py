"""The classic playground's six data sets, reproduced point for point.

The generators, the shuffle and the train/test split follow the playground's
``dataset.ts`` and ``generateData()`` statement by statement: every random
number comes from :class:`~server.problems.playground.seeded_random.SeededRandom` (the port of the
``Math.seedrandom`` generator the playground installs) in the same order, and
the arithmetic is written in the same order so that each double rounds the same
way. A playground link's ``seed``, ``noise`` and ``percTrainData`` therefore give
the same points here as in the browser.

Two details matter for exactness and are handled here rather than left to the
platform:

* ``d3.scale.linear`` (d3 3.5.x) maps values as ``a * (1 - t) + b * t`` with
  ``t = (x - x0) / (x1 - x0)``, which is not bit-for-bit ``x / 10``; the scales
  below use d3's formula.
* ``Math.sin``, ``Math.cos`` and ``Math.log`` in V8 (Node, and Firefox likewise)
  are fdlibm ports whose last bit differs from the C library's in a few percent
  of cases, so :mod:`js_math` ports fdlibm's ``sin``, ``cos`` and ``log``.
  (Recent Chrome builds use a different ``sin``/``cos``, which can move a
  coordinate by one unit in the last place; the random numbers, and so the
  data set, are the same.)

Nothing here imports Flask or TensorFlow: this module is pure data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np

from server.problems.playground.js_math import js_cos, js_log, js_sin
from server.problems.playground.seeded_random import SeededRandom

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "Split",
    "generate",
    "generate_points",
]

ProblemKind = Literal["classification", "regression"]

NUM_SAMPLES_CLASSIFY = 500
NUM_SAMPLES_REGRESS = 1200


@dataclass(frozen=True)
class DatasetInfo:
    """What the page needs to know about a data set: its kind, label and size."""

    key: str
    problem: ProblemKind
    label: str
    num_points: int


@dataclass(frozen=True, eq=False)
class Split:
    """A data set after the playground's shuffle and split.

    ``train`` and ``test`` have shape (n, 3), float64 columns x1, x2, label.
    The arrays are read-only so that a cached split cannot be changed by one
    caller under another; copy them to modify.
    """

    train: np.ndarray
    test: np.ndarray


DATASETS: Mapping[str, DatasetInfo] = MappingProxyType(
    {
        info.key: info
        for info in (
            DatasetInfo("circle", "classification", "Circle", NUM_SAMPLES_CLASSIFY),
            DatasetInfo("xor", "classification", "Exclusive or", NUM_SAMPLES_CLASSIFY),
            DatasetInfo("gauss", "classification", "Gaussian", NUM_SAMPLES_CLASSIFY),
            DatasetInfo("spiral", "classification", "Spiral", NUM_SAMPLES_CLASSIFY),
            DatasetInfo("reg-plane", "regression", "Plane", NUM_SAMPLES_REGRESS),
            DatasetInfo("reg-gauss", "regression", "Multi Gaussian", NUM_SAMPLES_REGRESS),
        )
    }
)
"""Data set key (as in the playground's URL) → :class:`DatasetInfo`, in the picker's order."""


# --------------------------------------------------------------------------------------
# dataset.ts
# --------------------------------------------------------------------------------------

_PI = math.pi  # Math.PI is the same double
_Point = tuple[float, float, float]
_Generator = Callable[[int, float, SeededRandom], list[_Point]]


def _rand_uniform(rng: SeededRandom, a: float, b: float) -> float:
    """``randUniform(a, b)``: ``Math.random() * (b - a) + a``."""
    return rng.random() * (b - a) + a


def _normal_random(rng: SeededRandom, mean: float, variance: float) -> float:
    """``normalRandom``: the Marsaglia polar method, keeping only the first variate."""
    while True:
        v1 = 2 * rng.random() - 1
        v2 = 2 * rng.random() - 1
        s = v1 * v1 + v2 * v2
        if not s > 1:
            break
    if s == 0.0:
        # JavaScript gets NaN here (0 * Infinity); it needs two draws of exactly 0.5.
        result = math.nan
    else:
        result = math.sqrt(-2 * js_log(s) / s) * v1
    return mean + math.sqrt(variance) * result


def _dist(ax: float, ay: float, bx: float, by: float) -> float:
    dx = ax - bx
    dy = ay - by
    return math.sqrt(dx * dx + dy * dy)


def _d3_linear(
    d0: float, d1: float, r0: float, r1: float, *, clamp: bool = False
) -> Callable[[float], float]:
    """``d3.scale.linear().domain([d0, d1]).range([r0, r1])`` of d3 3.5.x, bit for bit."""
    span = d1 - d0  # d3 substitutes Infinity for an empty domain; ours are constant

    def scale(x: float) -> float:
        t = (x - d0) / span
        if clamp:
            t = max(0.0, min(1.0, t))
        return r0 * (1 - t) + r1 * t

    return scale


def _half_count(num_samples: float) -> int:
    """How many times ``for (let i = 0; i < n; i++)`` runs for a possibly fractional n."""
    return math.ceil(num_samples)


def _classify_circle(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
    points: list[_Point] = []
    radius = 5

    def label(px: float, py: float) -> float:
        return 1.0 if _dist(px, py, 0, 0) < radius * 0.5 else -1.0

    # Positive points inside the circle, then negative points in the ring outside.
    for r_low, r_high in ((0, radius * 0.5), (radius * 0.7, radius)):
        for _ in range(_half_count(num_samples / 2)):
            r = _rand_uniform(rng, r_low, r_high)
            angle = _rand_uniform(rng, 0, 2 * _PI)
            x = r * js_sin(angle)
            y = r * js_cos(angle)
            noise_x = _rand_uniform(rng, -radius, radius) * noise
            noise_y = _rand_uniform(rng, -radius, radius) * noise
            points.append((x, y, label(x + noise_x, y + noise_y)))
    return points


def _classify_xor(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
    points: list[_Point] = []
    padding = 0.3
    for _ in range(num_samples):
        x = _rand_uniform(rng, -5, 5)
        x += padding if x > 0 else -padding
        y = _rand_uniform(rng, -5, 5)
        y += padding if y > 0 else -padding
        noise_x = _rand_uniform(rng, -5, 5) * noise
        noise_y = _rand_uniform(rng, -5, 5) * noise
        label = 1.0 if (x + noise_x) * (y + noise_y) >= 0 else -1.0
        points.append((x, y, label))
    return points


def _classify_two_gauss(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
    points: list[_Point] = []
    variance = _d3_linear(0, 0.5, 0.5, 4)(noise)
    for cx, cy, label in ((2, 2, 1.0), (-2, -2, -1.0)):
        for _ in range(_half_count(num_samples / 2)):
            x = _normal_random(rng, cx, variance)
            y = _normal_random(rng, cy, variance)
            points.append((x, y, label))
    return points


def _classify_spiral(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
    points: list[_Point] = []
    n = num_samples / 2
    for delta_t, label in ((0, 1.0), (_PI, -1.0)):
        for i in range(_half_count(n)):
            r = i / n * 5
            t = 1.75 * i / n * 2 * _PI + delta_t
            x = r * js_sin(t) + _rand_uniform(rng, -1, 1) * noise
            y = r * js_cos(t) + _rand_uniform(rng, -1, 1) * noise
            points.append((x, y, label))
    return points


def _regress_plane(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
    radius = 6
    label_scale = _d3_linear(-10, 10, -1, 1)
    points: list[_Point] = []
    for _ in range(num_samples):
        x = _rand_uniform(rng, -radius, radius)
        y = _rand_uniform(rng, -radius, radius)
        noise_x = _rand_uniform(rng, -radius, radius) * noise
        noise_y = _rand_uniform(rng, -radius, radius) * noise
        points.append((x, y, label_scale((x + noise_x) + (y + noise_y))))
    return points


_GAUSSIANS = (
    (-4, 2.5, 1),
    (0, 2.5, -1),
    (4, 2.5, 1),
    (-4, -2.5, -1),
    (0, -2.5, 1),
    (4, -2.5, -1),
)


def _regress_gaussian(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
    label_scale = _d3_linear(0, 2, 1, 0, clamp=True)

    def label_at(px: float, py: float) -> float:
        # The bump with the largest magnitude wins; ties keep the earlier one.
        label = 0.0
        for cx, cy, sign in _GAUSSIANS:
            new_label = sign * label_scale(_dist(px, py, cx, cy))
            if abs(new_label) > abs(label):
                label = new_label
        return label

    radius = 6
    points: list[_Point] = []
    for _ in range(num_samples):
        x = _rand_uniform(rng, -radius, radius)
        y = _rand_uniform(rng, -radius, radius)
        noise_x = _rand_uniform(rng, -radius, radius) * noise
        noise_y = _rand_uniform(rng, -radius, radius) * noise
        points.append((x, y, label_at(x + noise_x, y + noise_y)))
    return points


_GENERATORS: Mapping[str, _Generator] = MappingProxyType(
    {
        "circle": _classify_circle,
        "xor": _classify_xor,
        "gauss": _classify_two_gauss,
        "spiral": _classify_spiral,
        "reg-plane": _regress_plane,
        "reg-gauss": _regress_gaussian,
    }
)


def _shuffle(items: list[_Point], rng: SeededRandom) -> None:
    """The playground's in-place Fisher-Yates shuffle, walking from the end."""
    counter = len(items)
    while counter > 0:
        index = math.floor(rng.random() * counter)
        counter -= 1
        items[counter], items[index] = items[index], items[counter]


def _as_array(points: list[_Point]) -> np.ndarray:
    array = np.array(points, dtype=np.float64).reshape(len(points), 3)
    array.setflags(write=False)
    return array


def _check_dataset(dataset: str) -> DatasetInfo:
    try:
        return DATASETS[dataset]
    except (KeyError, TypeError):
        known = ", ".join(DATASETS)
        raise ValueError(f"unknown data set {dataset!r}; expected one of {known}") from None


def _check_percent(name: str, value: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not 0 <= value <= 100:  # also rejects NaN
        raise ValueError(f"{name} must be within [0, 100], got {value!r}")


def generate_points(
    dataset: str, noise: float, seed: str, num_samples: int | None = None
) -> np.ndarray:
    """The generator's points in the order it makes them, before any shuffle.

    ``noise`` is the slider value (0-50), divided by 100 here as the playground
    does. ``num_samples`` defaults to the data set's size; a smaller count is
    handy for previews (the playground's thumbnails use 200 points). Returns a
    read-only (n, 3) float64 array of x1, x2, label.
    """
    info = _check_dataset(dataset)
    _check_percent("noise", noise)
    count = info.num_points if num_samples is None else num_samples
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise ValueError(f"num_samples must be a non-negative int, got {num_samples!r}")
    rng = SeededRandom(seed)
    return _as_array(_GENERATORS[dataset](count, noise / 100, rng))


def generate(dataset: str, noise: float, perc_train: float, seed: str) -> Split:
    """Make a data set exactly as the playground's ``generateData()`` does.

    Seeds the generator with ``seed``, generates the data set's points with
    ``noise / 100``, shuffles them in place with the same generator, and puts
    the first ``floor(n * perc_train / 100)`` points in the training set and the
    rest in the test set.

    Raises ValueError for an unknown data set or a noise / percentage outside
    [0, 100] (the playground's sliders are 0-50 and 10-90), TypeError for a
    seed that is not a string.
    """
    info = _check_dataset(dataset)
    _check_percent("noise", noise)
    _check_percent("perc_train", perc_train)
    rng = SeededRandom(seed)
    points = _GENERATORS[dataset](info.num_points, noise / 100, rng)
    _shuffle(points, rng)
    split_index = math.floor(len(points) * perc_train / 100)
    return Split(train=_as_array(points[:split_index]), test=_as_array(points[split_index:]))


