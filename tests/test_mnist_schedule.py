"""The MNIST evaluation schedule: evaluation stays within its share of training time."""

from __future__ import annotations

import pytest

from server.classifier.job import EVAL_BUDGET as BUDGET
from server.classifier.schedule import SAMPLE_EVERY_S, EvaluationSchedule


def _schedule(budget: float = BUDGET, steps_per_epoch: int = 550) -> EvaluationSchedule:
    return EvaluationSchedule(budget=budget, full_size=10_000, sample_size=1_000,
                              steps_per_epoch=steps_per_epoch)


def _simulate(batch_s: float, full_s: float, sample_s: float, steps_per_epoch: int,
              epochs: int, chunk: int, budget: float = BUDGET) -> tuple[EvaluationSchedule, list]:
    """A run as the job drives it, on a simulated clock with fixed costs."""
    schedule = _schedule(budget, steps_per_epoch)
    now, step, done = 0.0, 0, []
    total = steps_per_epoch * epochs
    while step < total:
        batches = min(chunk, steps_per_epoch - step % steps_per_epoch, total - step)
        now += batches * batch_s
        schedule.trained(batches * batch_s, batches)
        step += batches
        kind = schedule.next_evaluation(now, -step % steps_per_epoch, step >= total)
        if kind:
            cost = full_s if kind == "full" else sample_s
            now += cost
            schedule.evaluated(cost, full=kind == "full", at=now)
            done.append((kind, step))
    return schedule, done


def test_a_full_evaluation_waits_until_training_has_earned_it() -> None:
    schedule = _schedule(budget=0.06)
    schedule.evaluated(1.2, full=True, at=0.0)
    schedule.trained(10.0, 100)
    assert not schedule.full_affordable()  # 2.4 s of evaluation for 10 s of training
    schedule.trained(30.0, 300)
    assert schedule.full_affordable()  # 2.4 s for 40 s: 6%


def test_samples_never_spend_the_reserve_of_the_epoch_end_evaluation() -> None:
    schedule = _schedule(budget=0.06)
    schedule.evaluated(1.0, full=True, at=0.0)
    schedule.trained(20.0, 500)  # budget 1.2 s, 1.0 s spent
    # 100 batches left (4 s): the epoch end will allow 1.44 s; 1.0 + 0.1 + 1.0 does not fit.
    schedule.sample_cost = 0.1
    assert not schedule.sample_affordable(now=100.0, batches_left_in_epoch=100)
    # With a whole long epoch ahead there is room for the sample and the full evaluation.
    assert schedule.sample_affordable(now=100.0, batches_left_in_epoch=1000)


def test_samples_are_at_most_one_a_second() -> None:
    schedule = _schedule(budget=1.0)
    schedule.trained(100.0, 1000)
    schedule.evaluated(0.01, full=False, at=50.0)
    assert not schedule.sample_affordable(now=50.0 + SAMPLE_EVERY_S / 2, batches_left_in_epoch=10)
    assert schedule.sample_affordable(now=50.0 + SAMPLE_EVERY_S, batches_left_in_epoch=10)


def test_the_budget_end_always_gets_a_full_evaluation() -> None:
    schedule = _schedule()
    schedule.trained(0.1, 1)
    assert schedule.next_evaluation(1.0, batches_left_in_epoch=5, finished=True) == "full"


@pytest.mark.parametrize(("batch_s", "full_s", "sample_s"), [
    (0.035, 1.2, 0.12),  # `conv` on two cores: 19 s epochs, a full evaluation 1.2 s
    (0.060, 2.5, 0.25),  # the bigger convolutional model
    (0.004, 0.15, 0.015),  # five dense layers
])
def test_a_talk_length_run_stays_in_budget_and_evaluates_most_epochs(
        batch_s: float, full_s: float, sample_s: float) -> None:
    schedule, done = _simulate(batch_s, full_s, sample_s, steps_per_epoch=550, epochs=17,
                               chunk=6)
    # The closing evaluation is outside the steady budget; everything else keeps within it.
    assert schedule.eval_s - full_s <= BUDGET * schedule.train_s
    full_at = [step for kind, step in done if kind == "full"]
    assert full_at[-1] == 550 * 17
    assert all(step % 550 == 0 for step in full_at)
    # A fresh confusion matrix at every epoch end the budget can pay for.
    affordable = min(17, BUDGET * schedule.train_s / full_s)
    assert len(full_at) >= affordable - 1
    # An epoch's budget does not cover a full evaluation here: no samples take from it
    # (the one before the first measurement aside).
    assert len([kind for kind, _ in done if kind == "sample"]) <= 1


def test_samples_move_the_test_curve_when_an_epoch_can_pay_for_more_than_its_full_one() -> None:
    # A full evaluation at 2.6% of an epoch: every epoch ends with one, and samples fill
    # the rest of the budget, at most one a second.
    schedule, done = _simulate(0.035, 0.5, 0.05, steps_per_epoch=550, epochs=17, chunk=6)
    full_at = [step for kind, step in done if kind == "full"]
    assert full_at == [550 * n for n in range(1, 18)]
    samples = [step for kind, step in done if kind == "sample"]
    spare = BUDGET * schedule.train_s - len(full_at) * 0.5
    assert len(samples) >= 0.8 * spare / 0.05
    assert all(550 * n not in samples for n in range(1, 18))
    assert schedule.eval_s - 0.5 <= BUDGET * schedule.train_s


def test_on_a_small_subset_full_evaluations_are_spaced_out_not_squeezed_in() -> None:
    # 2,000 images: an epoch (20 batches of softmax, 0.04 s) is cheaper than one evaluation.
    schedule, done = _simulate(0.002, 0.1, 0.01, steps_per_epoch=20, epochs=200, chunk=20)
    full_at = [step for kind, step in done if kind == "full"]
    assert 1 < len(full_at) < 200 * 0.1
    assert schedule.eval_s - 0.1 <= BUDGET * schedule.train_s
