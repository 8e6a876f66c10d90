"""The one-input data sets as pure functions: generated, measured, or parsed from a learner's CSV.

Nothing here imports Flask or TensorFlow. Every random number comes from a NumPy
generator derived from the run's seed string and a purpose, so the same seed gives
the same points, the same split and the same initial weights, and changing one
setting (say the number of points) does not reshuffle what it does not touch.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass

import numpy as np

# The talk's 15 measurements (lessons.md §2): temperature in °F → chirps per second.
CRICKET_TEMP_F = (88.6, 71.6, 93.3, 84.3, 80.6, 75.2, 69.7, 71.6, 69.4, 83.3, 79.6, 82.6,
                  80.6, 83.5, 76.3)
CRICKET_CHIRPS = (20.0, 16.0, 19.8, 18.4, 17.1, 15.5, 14.7, 15.7, 15.4, 16.3, 15.0, 17.2,
                  16.0, 17.0, 14.4)

# The mystery equation (lessons.md §1): y = 0.1·x + 0.3 + noise, x uniform in [0, 1)
# as in TensorFlow's first example (`np.random.rand(100)`).
MYSTERY_W = 0.1
MYSTERY_B = 0.3

MAX_CSV_ROWS = 10_000
MIN_CSV_ROWS = 2
MAX_ABS_VALUE = 1e9  # squares stay far inside float32's range
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

# Purposes for `rng`: separate streams, so one setting does not move the others' numbers.
DATA, SPLIT, WEIGHTS = 0, 1, 2


@dataclass(frozen=True)
class Points:
    """x and y (float64, same length) and what the axes measure."""

    x: np.ndarray
    y: np.ndarray
    x_label: str = "x"
    y_label: str = "y"

    def __len__(self) -> int:
        return len(self.x)


@dataclass(frozen=True)
class PointsSplit:
    """Training and test points; either may be empty only for test (100% training)."""

    train: Points
    test: Points


@dataclass(frozen=True)
class Normalization:
    """x' = (x − mean) / std, from the training x; identity (0, 1) when switched off."""

    enabled: bool
    mean: float = 0.0
    std: float = 1.0

    def apply(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.std

    def to_json(self) -> dict[str, float | bool]:
        return {"enabled": self.enabled, "mean": self.mean, "std": self.std}


class CsvError(ValueError):
    """A CSV the learner pasted cannot be used; `line` is 1-based (None: the whole text)."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(f"line {line}: {reason}" if line is not None else reason)
        self.line = line
        self.reason = reason


def rng(seed: str, purpose: int) -> np.random.Generator:
    """A generator for one purpose of one seed string (any text, e.g. the playground's "0.59")."""
    digest = hashlib.sha256(seed.encode()).digest()
    return np.random.default_rng([int.from_bytes(digest[:8], "little"), purpose])


def mystery(num_points: int, noise: float, seed: str) -> Points:
    """y = 0.1·x + 0.3 + Gaussian noise of standard deviation `noise`, x uniform in [0, 1)."""
    generator = rng(seed, DATA)
    x = generator.random(num_points)
    y = MYSTERY_W * x + MYSTERY_B + generator.normal(0.0, 1.0, num_points) * noise
    return Points(x, y)


def crickets() -> Points:
    return Points(np.array(CRICKET_TEMP_F), np.array(CRICKET_CHIRPS),
                  "temperature (°F)", "chirps per second")


def split(points: Points, perc_train: int, seed: str) -> PointsSplit:
    """Shuffle (seeded) and put the first ⌊n·perc/100⌋ points (at least one) in training."""
    order = rng(seed, SPLIT).permutation(len(points))
    count = max(1, len(points) * perc_train // 100)
    train, test = order[:count], order[count:]

    def take(rows: np.ndarray) -> Points:
        return Points(points.x[rows], points.y[rows], points.x_label, points.y_label)

    return PointsSplit(take(train), take(test))


def normalization(train_x: np.ndarray, enabled: bool) -> Normalization:
    """The training x's mean and (population) standard deviation; a constant x keeps std 1."""
    if not enabled:
        return Normalization(False)
    std = float(np.std(train_x))
    return Normalization(True, float(np.mean(train_x)), std if std > 0 else 1.0)


# -- CSV ---------------------------------------------------------------------------------


def _fields(line: str) -> list[str]:
    """Split one row: ';' (then ',' may be a decimal comma), ',' or tab, else whitespace."""
    if ";" in line:
        return [field.strip().replace(",", ".") for field in line.split(";")]
    if "," in line or "\t" in line:
        return [field.strip() for field in re.split(r"[,\t]", line)]
    return line.split()


def _number(text: str, line: int) -> float:
    if not _NUMBER.fullmatch(text):
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise CsvError(line, f'"{shown}" is not a number' if text else "a value is empty")
    value = float(text)
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        raise CsvError(line, f"{text} is too large (values must lie within ±1e9)")
    return value


def parse_csv(text: str) -> Points:
    """Rows of `x, y`; blank lines and lines starting with # are skipped.

    The first row may be a header (its names become the axis labels). Every
    other row must hold exactly two numbers; the first bad row is reported with
    its line number, counting from 1 as an editor does.
    """
    xs: list[float] = []
    ys: list[float] = []
    labels = ("x", "y")
    seen_content = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _fields(line)
        if not seen_content:
            seen_content = True
            # A header has no number at all; "1,abc" is a data row with a typo, not a header.
            if not any(_NUMBER.fullmatch(field) for field in fields):
                if len(fields) != 2 or not all(fields):
                    raise CsvError(number, "a header row must name two columns, like x,y")
                labels = (fields[0][:40], fields[1][:40])
                continue
        if len(fields) != 2:
            raise CsvError(number, f"expected two values (x, y), found {len(fields)}")
        if len(xs) == MAX_CSV_ROWS:
            raise CsvError(number, f"more than {MAX_CSV_ROWS:,} rows")
        xs.append(_number(fields[0], number))
        ys.append(_number(fields[1], number))
    if len(xs) < MIN_CSV_ROWS:
        raise CsvError(None, f"at least {MIN_CSV_ROWS} rows of x, y are needed, found {len(xs)}")
    return Points(np.array(xs), np.array(ys), *labels)


def to_csv(points: Points) -> str:
    """Canonical CSV text (header, then `repr` floats): `parse_csv` gives back the same points."""
    rows = (f"{x!r},{y!r}" for x, y in zip(points.x.tolist(), points.y.tolist(), strict=True))
    return "\n".join([f"{points.x_label},{points.y_label}", *rows]) + "\n"
