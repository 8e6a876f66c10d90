"""The pace policy (server/training/pace.py): pure, checked without a clock."""

from __future__ import annotations

import math

import pytest

from server.training.pace import LOG_KNEE, LOG_MAX_RATE, MAX_GAP_S, Pace


def _walk(pace: Pace, seconds: float, tick: float = 1 / 30) -> float:
    """Where a run starting at epoch 0 is after `seconds`, advanced in chunks of `tick`."""
    position = pace.advance(0.0, 0.0)
    for _ in range(round(seconds / tick)):
        position = pace.advance(position, tick)
    return position


def test_log_pace_takes_about_a_second_per_decade() -> None:
    log = Pace("log")
    assert log.advance(0.0, 0.0) == 1.0  # the first epoch is due at once
    for decade in (1, 2):
        assert _walk(log, decade) == pytest.approx(10.0**decade, rel=1e-6)
    # Each decade up to the knee takes the same time.
    assert log.wait_for(1, 10) == pytest.approx(log.wait_for(10, 100))


def test_log_pace_holds_its_top_rate_so_long_runs_get_far_cheaply() -> None:
    log = Pace("log")
    after_knee = math.log10(LOG_KNEE) + 10
    a, b = _walk(log, after_knee), _walk(log, after_knee + 5)
    assert (b - a) / 5 == pytest.approx(LOG_MAX_RATE, rel=1e-6)
    assert _walk(log, 60) > 50_000


def test_frame_pace_is_one_epoch_per_frame() -> None:
    frame = Pace("frame", frame_rate=50)
    assert _walk(frame, 2.0, tick=1 / 50) - frame.advance(0.0, 0.0) == pytest.approx(100)
    assert frame.wait_for(10.5, 11) == pytest.approx(0.01)


def test_a_long_gap_is_not_made_up_in_one_burst() -> None:
    for pace in (Pace("log"), Pace("frame")):
        assert pace.advance(5000.0, 30.0) == pace.advance(5000.0, MAX_GAP_S)


def test_max_is_not_paced() -> None:
    assert not Pace("max").paced and Pace("log").paced
    assert Pace("max").advance(3.0, 0.01) == math.inf
    assert Pace("max").wait_for(3.0, 1e9) == 0.0


def test_the_inverse_and_the_curve_agree() -> None:
    log = Pace("log")
    for start in (1.0, 7.0, 300.0, 5000.0):
        for target in (start + 1, start * 3):
            assert log.advance(start, log.wait_for(start, target)) == pytest.approx(target) \
                or log.wait_for(start, target) > MAX_GAP_S
