"""A faithful Python port of David Bau's ``seedrandom`` (ARC4 generator).

The classic playground calls ``Math.seedrandom(state.seed)`` before it makes its
data, which replaces ``Math.random`` with this generator; every random number
in data generation and shuffling then comes from it. Porting it bit for bit lets
the server rebuild exactly the points that a playground link's ``seed`` yields
in the browser, so a shared link shows the same data here as there.

The port follows seedrandom.js (3.0.5; 2.4.x, which the playground bundles, has
the same algorithm): the string seed is mixed into a key (``mixkey``), the key
drives the ARC4 key schedule, the first 256 outputs are dropped (RC4-drop[256]),
and each ``random()`` builds a double from six ARC4 bytes plus extra bytes until
52 significant bits are filled, then shifts right so it never rounds up to 1.
All arithmetic is done on Python floats, which are IEEE 754 doubles like
JavaScript numbers, so each result is the same double the JavaScript returns.
"""

from __future__ import annotations

_WIDTH = 256  # each RC4 output is 0 <= x < 256
_CHUNKS = 6  # at least six RC4 outputs for each double
_DIGITS = 52  # there are 52 significant digits in a double
_MASK = _WIDTH - 1
_START_DENOM = float(_WIDTH**_CHUNKS)  # 2 ** 48
_SIGNIFICANCE = float(2**_DIGITS)  # 2 ** 52
_OVERFLOW = _SIGNIFICANCE * 2  # 2 ** 53

__all__ = ["SeededRandom"]


def _utf16_code_units(text: str) -> list[int]:
    """Return the string's UTF-16 code units, which is what JS ``charCodeAt`` reads.

    Characters outside the Basic Multilingual Plane become surrogate pairs in
    JavaScript, so they must be split the same way for the key to match.
    """
    data = text.encode("utf-16-le", "surrogatepass")
    return [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]


def _mixkey(seed: str) -> list[int]:
    """Mix a string seed into a key array of at most 256 bytes (seedrandom's ``mixkey``).

    In JavaScript ``smear`` starts ``undefined`` and unset key slots read as
    ``undefined``; both become 0 under ``^``, which the 0 defaults here reproduce.
    """
    key: list[int] = []
    smear = 0
    for j, code in enumerate(_utf16_code_units(seed)):
        slot = _MASK & j
        current = key[slot] if slot < len(key) else 0
        smear ^= current * 19
        value = _MASK & (smear + code)
        if slot < len(key):
            key[slot] = value
        else:
            key.append(value)
    return key


class _ARC4:
    """The ARC4 stream of seedrandom: standard key schedule, then 256 outputs dropped."""

    __slots__ = ("i", "j", "s")

    def __init__(self, key: list[int]) -> None:
        if not key:  # seedrandom treats the empty key [] as [0]
            key = [0]
        keylen = len(key)
        s = list(range(_WIDTH))
        j = 0
        for i in range(_WIDTH):
            t = s[i]
            j = _MASK & (j + key[i % keylen] + t)
            s[i] = s[j]
            s[j] = t
        self.s = s
        self.i = 0
        self.j = 0
        # RC4-drop[256]: the JS constructor calls g(256) and ignores the result.
        self._skip(_WIDTH)

    def _skip(self, count: int) -> None:
        s, i, j = self.s, self.i, self.j
        for _ in range(count):
            i = _MASK & (i + 1)
            t = s[i]
            j = _MASK & (j + t)
            s[i] = s[j]
            s[j] = t
        self.i, self.j = i, j

    def g(self, count: int) -> int:
        """Return the next ``count`` outputs concatenated as one integer (big-endian)."""
        s, i, j = self.s, self.i, self.j
        r = 0
        for _ in range(count):
            i = _MASK & (i + 1)
            t = s[i]
            j = _MASK & (j + t)
            s[i] = s[j]
            s[j] = t
            r = r * _WIDTH + s[_MASK & (s[i] + t)]
        self.i, self.j = i, j
        return r


class SeededRandom:
    """``Math.random`` as installed by ``Math.seedrandom(seed)`` for a string seed.

    ``SeededRandom("0.59123").random()`` returns the same sequence of doubles in
    [0, 1) as ``require('seedrandom')("0.59123")()`` in Node or the playground's
    ``Math.random()`` after ``Math.seedrandom("0.59123")``.
    """

    __slots__ = ("_arc4", "seed")

    def __init__(self, seed: str) -> None:
        if not isinstance(seed, str):
            # seedrandom flattens non-strings differently (a number gets a trailing
            # NUL), so accepting them here would silently give other numbers.
            raise TypeError(f"seed must be a str, not {type(seed).__name__}")
        self.seed = seed
        self._arc4 = _ARC4(_mixkey(seed))

    def random(self) -> float:
        """Return the next double in [0, 1), with randomness in all 52 mantissa bits."""
        arc4 = self._arc4
        n = float(arc4.g(_CHUNKS))  # numerator n < 2 ** 48
        d = _START_DENOM  # denominator d = 2 ** 48
        x = 0  # no extra last byte yet
        while n < _SIGNIFICANCE:  # fill up all significant digits by shifting
            n = (n + x) * _WIDTH  # numerator and denominator and drawing a
            d *= _WIDTH  # new least significant byte
            x = arc4.g(1)
        while n >= _OVERFLOW:  # to avoid rounding up, shift everything right
            n /= 2  # before adding the last byte
            d /= 2
            x >>= 1
        return (n + x) / d
