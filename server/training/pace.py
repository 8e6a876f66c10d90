"""How fast a watched run trains: the page's pace, as a pure policy with no clock of its own.

A default network learns the circle in about 200 epochs, which the compiled engine
trains in a twentieth of a second: at full speed nobody sees the boundary form. So
a run trains at the pace its page asks for, and the server trains no more than that
(a paced run leaves its core to the rest of the room):

- `log`: each decade of epochs takes about `DECADE_S` (1 → 10 → 100 → 1,000, a second
  each), so the fast early change is slow enough to see; past `LOG_MAX_RATE` epochs a
  second the pace stays there, so long runs still get far (60,000 epochs a minute) for
  a small share of a core.
- `frame`: one epoch per animation frame of the page (`frame_rate` a second), as the
  classic playground trains.
- `max`: as fast as the scheduler trains (no pacing at all).

The policy maps (where the run is, seconds since the last chunk) to where it may be
now; the job trains the whole epochs in between. Position is a real number of
epochs, so slow paces accumulate fractions instead of rounding them away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PACES = (("log", "Log: a second per decade"), ("frame", "One epoch per frame"),
         ("max", "As fast as possible"))
DEFAULT_PACE = "log"
DECADE_S = 1.0
LOG_MAX_RATE = 1000.0  # epochs a second, the most `log` asks for
# Past this many epochs the exponential reaches LOG_MAX_RATE (its rate is E·ln10/DECADE_S).
LOG_KNEE = LOG_MAX_RATE * DECADE_S / math.log(10)
MAX_GAP_S = 0.25  # a longer gap (a pause, a busy machine) is not made up in one burst


@dataclass(frozen=True)
class Pace:
    """A run's pace: `kind` is one of `PACES`; `frame_rate` the page's frames a second."""

    kind: str = DEFAULT_PACE
    frame_rate: float = 60.0

    @property
    def paced(self) -> bool:
        return self.kind != "max"

    def advance(self, position: float, seconds: float) -> float:
        """Where a run at `position` epochs may be `seconds` later (capped at MAX_GAP_S)."""
        seconds = min(max(seconds, 0.0), MAX_GAP_S)
        if self.kind == "frame":
            return position + self.frame_rate * seconds
        if self.kind == "log":
            return _log_advance(position, seconds)
        return math.inf

    def wait_for(self, position: float, target: float) -> float:
        """Seconds until a run at `position` may reach `target` (0 if it already may)."""
        if target <= position or self.kind == "max":
            return 0.0
        if self.kind == "frame":
            return (target - position) / self.frame_rate
        return _log_time(target) - _log_time(position)


def _log_time(epochs: float) -> float:
    """Seconds the `log` pace takes from epoch 1 to `epochs` (the inverse of the curve)."""
    epochs = max(epochs, 1.0)
    if epochs <= LOG_KNEE:
        return DECADE_S * math.log10(epochs)
    return DECADE_S * math.log10(LOG_KNEE) + (epochs - LOG_KNEE) / LOG_MAX_RATE


def _log_position(seconds: float) -> float:
    knee_s = DECADE_S * math.log10(LOG_KNEE)
    if seconds <= knee_s:
        return 10 ** (seconds / DECADE_S)
    return LOG_KNEE + (seconds - knee_s) * LOG_MAX_RATE


def _log_advance(position: float, seconds: float) -> float:
    """Runs start at epoch 0; the curve starts at 1, so the first epoch is due at once."""
    return _log_position(_log_time(max(position, 1.0)) + seconds)
