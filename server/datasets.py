"""The classic playground's six data sets, reproduced point for point.

The generators, the shuffle and the train/test split follow the playground's
``dataset.ts`` and ``generateData()`` statement by statement: every random
number comes from :class:`~server.seeded_random.SeededRandom` (the port of the
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
  of cases, so private ports of fdlibm's ``sin``, ``cos`` and ``log`` follow.
  (Recent Chrome builds use a different ``sin``/``cos``, which can move a
  coordinate by one unit in the last place; the random numbers, and so the
  data set, are the same.)

Nothing here imports Flask or TensorFlow: this module is pure data.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Literal

import numpy as np

from server.seeded_random import SeededRandom

__all__ = [
    "DATASETS",
    "DatasetInfo",
    "Split",
    "generate",
    "generate_points",
    "new_seed",
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
# fdlibm's sin, cos and log, as V8 compiles them (src/base/ieee754.cc)
# --------------------------------------------------------------------------------------


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def _from_bits(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits & 0xFFFF_FFFF_FFFF_FFFF))[0]


def _from_words(high: int, low: int) -> float:
    return _from_bits(((high & 0xFFFF_FFFF) << 32) | (low & 0xFFFF_FFFF))


def _high_word(x: float) -> int:
    """The signed 32-bit high word, as fdlibm's ``GET_HIGH_WORD`` into an int32_t."""
    high = _bits(x) >> 32
    return high - (1 << 32) if high & 0x8000_0000 else high


def _set_high_word(x: float, high: int) -> float:
    return _from_bits(((high & 0xFFFF_FFFF) << 32) | (_bits(x) & 0xFFFF_FFFF))


_PIO2_1 = _from_words(0x3FF921FB, 0x54400000)  # first 33 bits of pi/2
_PIO2_1T = _from_words(0x3DD0B461, 0x1A626331)  # pi/2 - pio2_1
_PIO2_2 = _from_words(0x3DD0B461, 0x1A600000)  # second 33 bits of pi/2
_PIO2_2T = _from_words(0x3BA3198A, 0x2E037073)  # pi/2 - (pio2_1 + pio2_2)
_PIO2_3 = _from_words(0x3BA3198A, 0x2E000000)  # third 33 bits of pi/2
_PIO2_3T = _from_words(0x397B839A, 0x252049C1)  # pi/2 - (pio2_1 + pio2_2 + pio2_3)
_INVPIO2 = _from_words(0x3FE45F30, 0x6DC9C883)  # 53 bits of 2/pi
_NPIO2_HW = (
    0x3FF921FB, 0x400921FB, 0x4012D97C, 0x401921FB, 0x401F6A7A, 0x4022D97C,
    0x4025FDBB, 0x402921FB, 0x402C463A, 0x402F6A7A, 0x4031475C, 0x4032D97C,
    0x40346B9C, 0x4035FDBB, 0x40378FDB, 0x403921FB, 0x403AB41B, 0x403C463A,
    0x403DD85A, 0x403F6A7A, 0x40407E4C, 0x4041475C, 0x4042106C, 0x4042D97C,
    0x4043A28C, 0x40446B9C, 0x404534AC, 0x4045FDBB, 0x4046C6CB, 0x40478FDB,
    0x404858EB, 0x404921FB,
)  # fmt: skip

_S1 = _from_words(0xBFC55555, 0x55555549)
_S2 = _from_words(0x3F811111, 0x1110F8A6)
_S3 = _from_words(0xBF2A01A0, 0x19C161D5)
_S4 = _from_words(0x3EC71DE3, 0x57B1FE7D)
_S5 = _from_words(0xBE5AE5E6, 0x8A2B9CEB)
_S6 = _from_words(0x3DE5D93A, 0x5ACFD57C)

_C1 = _from_words(0x3FA55555, 0x5555554C)
_C2 = _from_words(0xBF56C16C, 0x16C15177)
_C3 = _from_words(0x3EFA01A0, 0x19CB1590)
_C4 = _from_words(0xBE927E4F, 0x809C52AD)
_C5 = _from_words(0x3E21EE9E, 0xBDB4B1C4)
_C6 = _from_words(0xBDA8FAE9, 0xBE8838D4)

_LN2_HI = _from_words(0x3FE62E42, 0xFEE00000)
_LN2_LO = _from_words(0x3DEA39EF, 0x35793C76)
_TWO54 = _from_words(0x43500000, 0x00000000)
_LG1 = _from_words(0x3FE55555, 0x55555593)
_LG2 = _from_words(0x3FD99999, 0x9997FA04)
_LG3 = _from_words(0x3FD24924, 0x94229359)
_LG4 = _from_words(0x3FCC71C5, 0x1D8E78AF)
_LG5 = _from_words(0x3FC74664, 0x96CB03DE)
_LG6 = _from_words(0x3FC39A09, 0xD078C69F)
_LG7 = _from_words(0x3FC2F112, 0xDF3E5244)


def _rem_pio2(x: float) -> tuple[int, float, float] | None:
    """x - n*pi/2 as y0 + y1 with n (fdlibm ``__ieee754_rem_pio2``).

    Returns None for |x| > 2**19 * pi/2, where fdlibm switches to a multi-word
    reduction this port leaves out: the playground never reaches it.
    """
    hx = _high_word(x)
    ix = hx & 0x7FFFFFFF
    if ix <= 0x3FE921FB:  # |x| ~<= pi/4, no reduction needed
        return 0, x, 0.0
    if ix < 0x4002D97C:  # |x| < 3pi/4, special case with n = +-1
        if hx > 0:
            z = x - _PIO2_1
            if ix != 0x3FF921FB:  # 33+53 bit pi is good enough
                y0 = z - _PIO2_1T
                y1 = (z - y0) - _PIO2_1T
            else:  # near pi/2, use 33+33+53 bit pi
                z -= _PIO2_2
                y0 = z - _PIO2_2T
                y1 = (z - y0) - _PIO2_2T
            return 1, y0, y1
        z = x + _PIO2_1
        if ix != 0x3FF921FB:
            y0 = z + _PIO2_1T
            y1 = (z - y0) + _PIO2_1T
        else:
            z += _PIO2_2
            y0 = z + _PIO2_2T
            y1 = (z - y0) + _PIO2_2T
        return -1, y0, y1
    if ix <= 0x413921FB:  # |x| ~<= 2^19*(pi/2), medium size
        t = abs(x)
        n = int(t * _INVPIO2 + 0.5)
        fn = float(n)
        r = t - fn * _PIO2_1
        w = fn * _PIO2_1T  # 1st round good to 85 bits
        if n < 32 and ix != _NPIO2_HW[n - 1]:
            y0 = r - w  # quick check: no cancellation
        else:
            j = ix >> 20
            y0 = r - w
            i = j - ((_high_word(y0) >> 20) & 0x7FF)
            if i > 16:  # 2nd iteration needed, good to 118 bits
                t = r
                w = fn * _PIO2_2
                r = t - w
                w = fn * _PIO2_2T - ((t - r) - w)
                y0 = r - w
                i = j - ((_high_word(y0) >> 20) & 0x7FF)
                if i > 49:  # 3rd iteration needed, 151 bits
                    t = r
                    w = fn * _PIO2_3
                    r = t - w
                    w = fn * _PIO2_3T - ((t - r) - w)
                    y0 = r - w
        y1 = (r - y0) - w
        if hx < 0:
            return -n, -y0, -y1
        return n, y0, y1
    return None


def _kernel_sin(x: float, y: float, iy: int) -> float:
    ix = _high_word(x) & 0x7FFFFFFF
    if ix < 0x3E400000 and int(x) == 0:  # |x| < 2**-27
        return x
    z = x * x
    v = z * x
    r = _S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))
    if iy == 0:
        return x + v * (_S1 + z * r)
    return x - ((z * (0.5 * y - v * r) - y) - v * _S1)


def _kernel_cos(x: float, y: float) -> float:
    ix = _high_word(x) & 0x7FFFFFFF
    if ix < 0x3E400000 and int(x) == 0:  # |x| < 2**-27
        return 1.0
    z = x * x
    r = z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    if ix < 0x3FD33333:  # |x| < 0.3
        return 1.0 - (0.5 * z - (z * r - x * y))
    qx = 0.28125 if ix > 0x3FE90000 else _from_words(ix - 0x00200000, 0)  # x/4
    iz = 0.5 * z - qx
    a = 1.0 - qx
    return a - (iz - (z * r - x * y))


def _js_sin(x: float) -> float:
    """``Math.sin`` as V8 computes it (fdlibm)."""
    ix = _high_word(x) & 0x7FFFFFFF
    if ix <= 0x3FE921FB:
        return _kernel_sin(x, 0.0, 0)
    if ix >= 0x7FF00000:
        return x - x  # NaN
    reduced = _rem_pio2(x)
    if reduced is None:
        return math.sin(x)
    n, y0, y1 = reduced
    quadrant = n & 3
    if quadrant == 0:
        return _kernel_sin(y0, y1, 1)
    if quadrant == 1:
        return _kernel_cos(y0, y1)
    if quadrant == 2:
        return -_kernel_sin(y0, y1, 1)
    return -_kernel_cos(y0, y1)


def _js_cos(x: float) -> float:
    """``Math.cos`` as V8 computes it (fdlibm)."""
    ix = _high_word(x) & 0x7FFFFFFF
    if ix <= 0x3FE921FB:
        return _kernel_cos(x, 0.0)
    if ix >= 0x7FF00000:
        return x - x  # NaN
    reduced = _rem_pio2(x)
    if reduced is None:
        return math.cos(x)
    n, y0, y1 = reduced
    quadrant = n & 3
    if quadrant == 0:
        return _kernel_cos(y0, y1)
    if quadrant == 1:
        return -_kernel_sin(y0, y1, 1)
    if quadrant == 2:
        return -_kernel_cos(y0, y1)
    return _kernel_sin(y0, y1, 1)


def _js_log(x: float) -> float:
    """``Math.log`` as V8 computes it (fdlibm ``__ieee754_log``)."""
    bits = _bits(x)
    hx = _high_word(x)
    lx = bits & 0xFFFF_FFFF
    k = 0
    if hx < 0x00100000:  # x < 2**-1022
        if ((hx & 0x7FFFFFFF) | lx) == 0:
            return -math.inf  # log(+-0) = -inf
        if hx < 0:
            return math.nan  # log(-#) = NaN
        k -= 54
        x *= _TWO54  # subnormal number, scale up x
        hx = _high_word(x)
    if hx >= 0x7FF00000:
        return x + x
    k += (hx >> 20) - 1023
    hx &= 0x000FFFFF
    i = (hx + 0x95F64) & 0x100000
    x = _set_high_word(x, hx | (i ^ 0x3FF00000))  # normalize x or x/2
    k += i >> 20
    f = x - 1.0
    if (0x000FFFFF & (2 + hx)) < 3:  # -2**-20 <= f < 2**-20
        if f == 0.0:
            if k == 0:
                return 0.0
            dk = float(k)
            return dk * _LN2_HI + dk * _LN2_LO
        r = f * f * (0.5 - 0.33333333333333333 * f)
        if k == 0:
            return f - r
        dk = float(k)
        return dk * _LN2_HI - ((r - dk * _LN2_LO) - f)
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    i = hx - 0x6147A
    w = z * z
    j = 0x6B851 - hx
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    i |= j
    r = t2 + t1
    if i > 0:
        hfsq = 0.5 * f * f
        if k == 0:
            return f - (hfsq - s * (hfsq + r))
        return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)
    if k == 0:
        return f - s * (f - r)
    return dk * _LN2_HI - ((s * (f - r) - dk * _LN2_LO) - f)


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
        result = math.sqrt(-2 * _js_log(s) / s) * v1
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
            x = r * _js_sin(angle)
            y = r * _js_cos(angle)
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
            x = r * _js_sin(t) + _rand_uniform(rng, -1, 1) * noise
            y = r * _js_cos(t) + _rand_uniform(rng, -1, 1) * noise
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


def new_seed() -> str:
    """A fresh seed string like the playground's ``Math.random().toFixed(5)``.

    "Regenerate" draws a new seed and puts it in the URL, so the seed is the
    whole of the data's identity; the format matches the playground's so its
    links and ours look alike. ``toFixed`` rounds halves up, hence Decimal.
    """
    value = Decimal(random.random()).quantize(Decimal("0.00001"), rounding=ROUND_HALF_UP)
    return f"{value:.5f}"
