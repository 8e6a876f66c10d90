"""A run's past, for the time-travel slider: weights kept at log-spaced epochs, bounded.

Learning is fast early and slow late, and the loss chart's epoch axis is
logarithmic, so the slider keeps every state early on and fewer later: a new state
is kept only if its epoch is at least a factor `1 + spacing` past the last kept one
(the newest state always stands at the end, so the slider reaches "now"). When more
than `capacity` are kept, the spacing doubles and the kept states are thinned to
it. A run of a million epochs keeps a few hundred states; the memory is bounded by
`capacity` whatever the run does, and `capacity` shrinks for large networks so a
timeline holds at most `MAX_FLOATS` weights (it is saved with the run every few
seconds: 240 kB at most).

Pure data: no clock, no TensorFlow. Weights are float32 arrays, stored as given.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

CAPACITY = 300
MIN_CAPACITY = 60
MAX_FLOATS = 60_000  # weights kept in all: the largest playground network keeps ~140 states
FIRST_SPACING = 0.01  # log-epoch gap once the timeline first fills


@dataclass(frozen=True)
class Moment:
    """One kept state: the epoch, its losses (and accuracies), the weights after it."""

    epoch: int
    metrics: dict[str, float | None]
    weights: list[np.ndarray]

    def to_json(self) -> dict[str, Any]:
        """For the page: the snapshot format (`weights` as [[kernel, bias], …])."""
        pairs = [[self.weights[i].tolist(), self.weights[i + 1].tolist()]
                 for i in range(0, len(self.weights), 2)]
        return {"epoch": self.epoch, **self.metrics, "weights": pairs}


@dataclass
class Timeline:
    """Log-spaced states of one run, oldest first."""

    capacity: int = CAPACITY
    spacing: float = 0.0  # 0: every state is kept (until the timeline first fills)
    moments: list[Moment] = field(default_factory=list)

    def add(self, epoch: int, metrics: dict[str, float | None],
            weights: list[np.ndarray]) -> None:
        """Keep the state after `epoch`; the previous newest goes if it is too close."""
        moment = Moment(epoch, dict(metrics), [np.array(w, np.float32) for w in weights])
        floats = sum(w.size for w in moment.weights)
        self.capacity = min(self.capacity, max(MIN_CAPACITY, MAX_FLOATS // max(floats, 1)))
        moments = self.moments
        if moments and moments[-1].epoch >= epoch:  # a publish without training: replace
            moments[-1] = moment
            return
        if len(moments) >= 2 and not self._apart(moments[-2].epoch, moments[-1].epoch):
            moments[-1] = moment  # the last was only kept as "now"
        else:
            moments.append(moment)
        if len(moments) > self.capacity:
            self.spacing = FIRST_SPACING if self.spacing == 0 else self.spacing * 2
            self.moments = self._thinned()

    def at(self, epoch: int) -> Moment | None:
        """The kept state of exactly `epoch`, or None."""
        for moment in self.moments:
            if moment.epoch == epoch:
                return moment
        return None

    def until(self, epoch: int) -> Timeline:
        """The timeline as it was at `epoch` (for a run forked from there)."""
        return Timeline(self.capacity, self.spacing,
                        [m for m in self.moments if m.epoch <= epoch])

    def _apart(self, earlier: int, later: int) -> bool:
        return math.log1p(later) - math.log1p(earlier) >= self.spacing

    def _thinned(self) -> list[Moment]:
        kept = [self.moments[0]]
        for moment in self.moments[1:-1]:
            if self._apart(kept[-1].epoch, moment.epoch):
                kept.append(moment)
        kept.append(self.moments[-1])
        return kept

    # -- saved with the run (weights as base64 float32: exact and compact) --------------

    def to_json(self) -> dict[str, Any]:
        return {"spacing": self.spacing, "moments": [
            {"epoch": m.epoch, "metrics": m.metrics,
             "shapes": [list(w.shape) for w in m.weights],
             "weights": base64.b64encode(
                 b"".join(np.ascontiguousarray(w, np.float32).tobytes() for w in m.weights)
             ).decode("ascii")}
            for m in self.moments]}

    @classmethod
    def from_json(cls, saved: Any, capacity: int = CAPACITY) -> Timeline:
        """A saved timeline; anything unreadable gives an empty one (the run still loads)."""
        timeline = cls(capacity)
        if not isinstance(saved, dict):
            return timeline
        try:
            timeline.spacing = float(saved.get("spacing", 0.0))
            for row in saved.get("moments", []):
                flat = np.frombuffer(base64.b64decode(row["weights"]), np.float32)
                weights, at = [], 0
                for shape in row["shapes"]:
                    size = int(np.prod(shape))
                    weights.append(flat[at:at + size].reshape(shape).copy())
                    at += size
                if at != flat.size:
                    raise ValueError("weights do not match their shapes")
                timeline.moments.append(Moment(int(row["epoch"]), dict(row["metrics"]),
                                               weights))
        except (KeyError, TypeError, ValueError):
            return cls(capacity)
        return timeline
