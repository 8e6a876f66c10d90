"""Data with three to five classes, and a learner's own points, beside the classic's six sets.

The classic's data sets (`datasets.py`) stay exactly as they are: two classes labelled ±1.
Here the label column holds a class number 0…K-1 (the network gets one softmax output per
class). The random numbers come from the same seeded generator as the classic's, so a
seed gives the same points here as on every other visit, and the split is the classic's
shuffle and cut.

Drawn points (`points` in a spec) are class numbers too; two classes become the
classic's labels (class 0 → -1, orange; class 1 → +1, blue) and train exactly as a
classic data set does.

Nothing here imports Flask or TensorFlow: this module is pure data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from server.problems.playground.datasets import (
    DATASETS,
    Split,
    _as_array,
    _d3_linear,
    _normal_random,
    _Point,
    _rand_uniform,
    _shuffle,
    generate,
)
from server.problems.playground.js_math import js_cos, js_sin
from server.problems.playground.seeded_random import SeededRandom

NUM_SAMPLES = 600


@dataclass(frozen=True)
class ManyClassInfo:
    key: str
    label: str
    classes: int
    num_points: int = NUM_SAMPLES


def _spiral(classes: int) -> Callable[[int, float, SeededRandom], list[_Point]]:
    """Arms like the classic spiral's, one per class, turned 2π/K apart."""

    def generate_arms(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
        points: list[_Point] = []
        n = math.ceil(num_samples / classes)
        for label in range(classes):
            delta_t = 2 * math.pi * label / classes
            for i in range(n):
                r = i / n * 5
                t = 1.75 * i / n * 2 * math.pi + delta_t
                x = r * js_sin(t) + _rand_uniform(rng, -1, 1) * noise
                y = r * js_cos(t) + _rand_uniform(rng, -1, 1) * noise
                points.append((x, y, float(label)))
        return points

    return generate_arms


def _blobs(classes: int) -> Callable[[int, float, SeededRandom], list[_Point]]:
    """Gaussian blobs on a circle of radius 3.5, with the classic Gaussian's variance."""

    def generate_blobs(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
        points: list[_Point] = []
        variance = _d3_linear(0, 0.5, 0.5, 4)(noise)
        n = math.ceil(num_samples / classes)
        for label in range(classes):
            angle = math.pi / 2 + 2 * math.pi * label / classes
            cx, cy = 3.5 * math.cos(angle), 3.5 * math.sin(angle)
            for _ in range(n):
                points.append((_normal_random(rng, cx, variance),
                               _normal_random(rng, cy, variance), float(label)))
        return points

    return generate_blobs


def _pie(classes: int) -> Callable[[int, float, SeededRandom], list[_Point]]:
    """Points in a disc of radius 5; the class is the sector (of K equal ones) they lie
    in, measured after the classic circle's noise moves them."""

    def generate_pie(num_samples: int, noise: float, rng: SeededRandom) -> list[_Point]:
        points: list[_Point] = []
        radius = 5
        for _ in range(num_samples):
            r = radius * math.sqrt(rng.random())
            angle = _rand_uniform(rng, 0, 2 * math.pi)
            x, y = r * js_cos(angle), r * js_sin(angle)
            noise_x = _rand_uniform(rng, -radius, radius) * noise
            noise_y = _rand_uniform(rng, -radius, radius) * noise
            seen = math.atan2(y + noise_y, x + noise_x) % (2 * math.pi)
            points.append((x, y, float(min(classes - 1, int(seen / (2 * math.pi) * classes)))))
        return points

    return generate_pie


MANY_CLASS_DATASETS: Mapping[str, ManyClassInfo] = MappingProxyType({
    info.key: info for info in (
        ManyClassInfo("spiral3", "Spiral, three arms", 3),
        ManyClassInfo("blobs3", "Three blobs", 3),
        ManyClassInfo("blobs4", "Four blobs", 4),
        ManyClassInfo("blobs5", "Five blobs", 5),
        ManyClassInfo("pie3", "Pie of three", 3),
        ManyClassInfo("pie4", "Pie of four", 4),
        ManyClassInfo("pie5", "Pie of five", 5),
    )
})

_GENERATORS = {
    "spiral3": _spiral(3),
    "blobs3": _blobs(3), "blobs4": _blobs(4), "blobs5": _blobs(5),
    "pie3": _pie(3), "pie4": _pie(4), "pie5": _pie(5),
}


def classes_of(dataset: str) -> int:
    """How many classes a classification data set has (2 for the classic's)."""
    info = MANY_CLASS_DATASETS.get(dataset)
    return info.classes if info is not None else 2


def many_class_points(dataset: str, noise: float, seed: str,
                      num_samples: int | None = None) -> np.ndarray:
    """A many-class data set's points before the shuffle (for previews): (n, 3)."""
    info = MANY_CLASS_DATASETS[dataset]
    count = info.num_points if num_samples is None else num_samples
    return _as_array(_GENERATORS[dataset](count, noise / 100, SeededRandom(seed)))


def generate_any(dataset: str, noise: float, perc_train: float, seed: str) -> Split:
    """The classic's data sets exactly as `datasets.generate`; the many-class ones made,
    shuffled and split the same way."""
    if dataset in DATASETS:
        return generate(dataset, noise, perc_train, seed)
    info = MANY_CLASS_DATASETS[dataset]
    rng = SeededRandom(seed)
    points = _GENERATORS[dataset](info.num_points, noise / 100, rng)
    _shuffle(points, rng)
    cut = math.floor(len(points) * perc_train / 100)
    return Split(train=_as_array(points[:cut]), test=_as_array(points[cut:]))


def classes_in(points: Sequence[Sequence[float]]) -> int:
    """Classes of drawn points: the highest class number + 1, at least 2."""
    return max(2, *(int(label) + 1 for _, _, label in points)) if points else 2


def split_points(points: Sequence[Sequence[float]], perc_train: float, seed: str) -> Split:
    """A learner's points, shuffled by the seed and cut at the ratio (at least one
    training point). Two classes get the classic's ±1 labels; more keep class numbers."""
    classes = classes_in(points)
    rows: list[_Point] = [
        (float(x1), float(x2),
         (1.0 if label == 1 else -1.0) if classes == 2 else float(label))
        for x1, x2, label in points
    ]
    _shuffle(rows, SeededRandom(seed))
    cut = max(1, math.floor(len(rows) * perc_train / 100))
    return Split(train=_as_array(rows[:cut]), test=_as_array(rows[cut:]))
