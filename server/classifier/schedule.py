"""When an image classifier's run may evaluate on the test set without slowing its training.

Scoring an image costs about a third of training on it, so scoring the 10,000 test
images often would soon cost as much as the training itself. The
schedule keeps all evaluation within a share of the time spent training: a full
evaluation at an epoch's end when the budget has room for it, and quick ones on a
fixed sample in between, only from what an epoch's budget has left over after
its full evaluation. Plain arithmetic on measured seconds; no clock of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SAMPLE_EVERY_S = 1.0  # at most one sample evaluation per second
FULL_COST_MARGIN = 0.2


@dataclass
class EvaluationSchedule:
    """Seconds spent training and evaluating, and what the budget allows next."""

    budget: float  # evaluation seconds allowed per training second
    full_size: int  # images in a full evaluation
    sample_size: int  # images in a sample evaluation
    steps_per_epoch: int
    train_s: float = 0.0
    eval_s: float = 0.0
    batches: int = 0
    full_cost: float | None = None  # measured seconds of a full evaluation
    sample_cost: float | None = None
    last_sample_at: float = float("-inf")

    def trained(self, seconds: float, batches: int) -> None:
        self.train_s += seconds
        self.batches += batches

    def evaluated(self, seconds: float, *, full: bool, at: float) -> None:
        self.eval_s += seconds
        if full:
            self.full_cost = seconds
        else:
            self.sample_cost = seconds
            self.last_sample_at = at

    @property
    def share(self) -> float:
        """Evaluation time as a share of training time so far."""
        return self.eval_s / self.train_s if self.train_s else 0.0

    def full_estimate(self) -> float:
        if self.full_cost is not None:
            return self.full_cost
        if self.sample_cost is not None:
            return self.sample_cost * self.full_size / self.sample_size
        return 0.0

    def full_affordable(self) -> bool:
        """At an epoch's end: does a full evaluation fit in the budget earned so far?"""
        return self.eval_s + self.full_estimate() <= self.budget * self.train_s

    def sample_affordable(self, now: float, batches_left_in_epoch: int) -> bool:
        """Between epoch ends: a sample evaluation, only from what an epoch's budget has
        left over after a full evaluation, and only if the coming one stays affordable.

        Full evaluations come first: the exact accuracy, the confusion matrix and the
        test digits all come from them.
        """
        if now - self.last_sample_at < SAMPLE_EVERY_S or not self.batches:
            return False
        seconds_per_batch = self.train_s / self.batches
        sample, full = self.sample_cost or 0.0, self.full_estimate()
        if self.budget * self.steps_per_epoch * seconds_per_batch < full + sample:
            return False  # not even one full evaluation an epoch fits: no samples
        at_epoch_end = self.budget * (self.train_s + batches_left_in_epoch * seconds_per_batch)
        # A margin: the rest of the epoch may train faster, or the full one run slower,
        # than measured so far; a sample must never cost the epoch its full evaluation.
        return self.eval_s + sample + full * (1 + FULL_COST_MARGIN) <= at_epoch_end

    def next_evaluation(self, now: float, batches_left_in_epoch: int,
                        finished: bool) -> Literal["full", "sample"] | None:
        """What to evaluate after a chunk: always a full one when the budget is spent."""
        if finished or (batches_left_in_epoch == 0 and self.full_affordable()):
            return "full"
        if self.sample_affordable(now, batches_left_in_epoch):
            return "sample"
        return None
