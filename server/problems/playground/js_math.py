"""V8's ``Math.sin``, ``Math.cos`` and ``Math.log``: fdlibm, ported bit for bit.

Python's ``math`` functions differ from V8's in the last bit for a few percent of
inputs; the playground's data sets must match the browser's exactly (a link's seed
gives the same points), so the data generators use these instead.
"""

from __future__ import annotations

import math
import struct

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


def js_sin(x: float) -> float:
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


def js_cos(x: float) -> float:
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


def js_log(x: float) -> float:
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


