"""The time-travel timeline (server/training/timeline.py): log-spaced, bounded, saved."""

from __future__ import annotations

import itertools
import math

import numpy as np

from server.training.timeline import Timeline


def _weights(epoch: int) -> list[np.ndarray]:
    return [np.full((2, 3), epoch, np.float32), np.arange(3, dtype=np.float32) + epoch]


def _fill(timeline: Timeline, epochs: range | list[int]) -> None:
    for epoch in epochs:
        timeline.add(epoch, {"trainLoss": 1 / (epoch + 1), "testLoss": None}, _weights(epoch))


def test_every_state_is_kept_until_it_fills() -> None:
    timeline = Timeline(capacity=50)
    _fill(timeline, range(40))
    assert [m.epoch for m in timeline.moments] == list(range(40))


def test_a_long_run_keeps_a_bounded_log_spaced_past_that_ends_now() -> None:
    timeline = Timeline(capacity=300)
    _fill(timeline, range(0, 200_000, 7))
    epochs = [m.epoch for m in timeline.moments]
    assert len(epochs) <= 300 and len(epochs) > 100
    assert epochs[0] == 0 and epochs[-1] == 199_997  # the start and "now"
    assert epochs == sorted(set(epochs))
    # Log-spaced: early epochs dense, late ones sparse; each decade gets a similar share.
    per_decade = [sum(10**d <= e < 10 ** (d + 1) for e in epochs) for d in (2, 3, 4)]
    assert max(per_decade) < 2.5 * min(per_decade)
    # Between kept states (the newest, "now", may be closer to the one before it).
    gaps = [math.log1p(b) - math.log1p(a) for a, b in itertools.pairwise(epochs[:-1])]
    assert min(gaps) >= timeline.spacing


def test_a_kept_state_has_its_own_weights_and_metrics() -> None:
    timeline = Timeline(capacity=20)
    _fill(timeline, range(1000))
    for moment in timeline.moments:
        np.testing.assert_array_equal(moment.weights[0], _weights(moment.epoch)[0])
        assert moment.metrics["trainLoss"] == 1 / (moment.epoch + 1)
    assert timeline.at(timeline.moments[3].epoch) is timeline.moments[3]
    assert timeline.at(-5) is None


def test_until_cuts_the_past_at_an_epoch() -> None:
    timeline = Timeline()
    _fill(timeline, range(0, 100, 10))
    assert [m.epoch for m in timeline.until(45).moments] == [0, 10, 20, 30, 40]


def test_a_saved_timeline_comes_back_exactly_and_a_damaged_one_empty() -> None:
    timeline = Timeline(capacity=30)
    _fill(timeline, range(0, 5000, 3))
    back = Timeline.from_json(timeline.to_json(), capacity=30)
    assert back.spacing == timeline.spacing
    assert [m.epoch for m in back.moments] == [m.epoch for m in timeline.moments]
    for a, b in zip(back.moments, timeline.moments, strict=True):
        for wa, wb in zip(a.weights, b.weights, strict=True):
            np.testing.assert_array_equal(wa, wb)
    saved = timeline.to_json()
    saved["moments"][0]["weights"] = "AAAA"  # too few bytes for its shapes
    assert Timeline.from_json(saved).moments == []
    assert Timeline.from_json(None).moments == []


def test_a_large_network_keeps_fewer_states_so_a_timeline_stays_small() -> None:
    timeline = Timeline()
    big = [np.zeros((8, 8), np.float32)] * 7  # 448 weights a state
    for epoch in range(5000):
        timeline.add(epoch, {}, big)
    assert len(timeline.moments) <= 60_000 // 448 + 1
    assert sum(w.size for m in timeline.moments for w in m.weights) <= 60_000 + 448
