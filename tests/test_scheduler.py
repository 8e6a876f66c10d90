"""The classroom scheduler: a run in a stack trains exactly as it would alone.

Reference: the single-run engine (`EpochTrainer`), itself checked against a plain
Keras loop in test_engine.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from server.problems.playground.datasets import generate
from server.problems.playground.features import feature_matrix
from server.training.dense import initial_weights
from server.training.engine import Architecture, EpochTrainer, capacity_for
from server.training.scheduler import Scheduler, Seat
from server.training.stack import SlotData

ARCH = Architecture(2, (4, 2), "tanh", "tanh", capacity_for(0), batch_capacity=30)
FEATURES = ["x", "y"]


def _data(seed: str, dataset: str = "circle", batch_size: int = 10) -> SlotData:
    split = generate(dataset, 0, 50, seed)
    return SlotData(feature_matrix(split.train, FEATURES), split.train[:, 2],
                    feature_matrix(split.test, FEATURES), split.test[:, 2], batch_size)


def _alone(data: SlotData, weights: list[np.ndarray], rate: float, epochs: int,
           regularization: tuple[str, float] = ("none", 0.0),
           arch: Architecture = ARCH) -> list[np.ndarray]:
    trainer = EpochTrainer(arch)
    trainer.load_data(data.x_train, data.y_train, data.x_test, data.y_test, data.batch_size)
    trainer.set_weights(weights)
    trainer.set_learning_rate(rate)
    trainer.set_regularization(*regularization)
    trainer.train(epochs)
    return trainer.get_weights()


@pytest.fixture
def scheduler() -> Iterator[Scheduler]:
    scheduler = Scheduler(workers=2)
    yield scheduler
    scheduler.close()


def _seat(scheduler: Scheduler, seed: int, **data: object) -> Seat:
    return scheduler.seat(ARCH, _data(str(seed), **data),  # type: ignore[arg-type]
                          initial_weights(2, (4, 2), np.random.default_rng(seed)), 0.03)


def _train_together(seats: list[Seat], rounds: int, epochs: int) -> None:
    """Every seat asks for `epochs` epochs `rounds` times, all at once (as runs do)."""
    def run(seat: Seat) -> None:
        for _ in range(rounds):
            seat.train(epochs)

    threads = [threading.Thread(target=run, args=(seat,)) for seat in seats]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)


def test_a_run_in_a_stack_of_16_ends_with_the_weights_it_gets_alone(
        scheduler: Scheduler) -> None:
    seats = [_seat(scheduler, seed, dataset="xor", batch_size=1 + seed) for seed in range(16)]
    watched = seats[5]
    watched.set_regularization("L2", 0.01)
    start = [w.copy() for w in watched.weights]
    _train_together(seats, rounds=5, epochs=8)
    reference = _alone(watched.data, start, 0.03, 40, ("L2", 0.01))
    for got, want in zip(watched.weights, reference, strict=True):
        np.testing.assert_allclose(got, want, atol=2e-5)
    assert len(scheduler.stacks()) <= 2  # one stack per worker at most for one shape


def test_joining_and_leaving_mid_training_changes_nothing_for_the_others(
        scheduler: Scheduler) -> None:
    stays = _seat(scheduler, 1)
    start = [w.copy() for w in stays.weights]
    stays.train(10)
    joiners = [_seat(scheduler, seed) for seed in range(2, 9)]
    _train_together([stays, *joiners], rounds=2, epochs=5)
    for seat in joiners[:4]:
        seat.leave()
    _train_together([stays, *joiners[4:]], rounds=2, epochs=5)
    reference = _alone(stays.data, start, 0.03, 30)
    for got, want in zip(stays.weights, reference, strict=True):
        np.testing.assert_allclose(got, want, atol=2e-5)


def test_a_changed_rate_or_edited_weight_reaches_only_that_seat(scheduler: Scheduler) -> None:
    first, second = _seat(scheduler, 1), _seat(scheduler, 2)
    starts = [[w.copy() for w in seat.weights] for seat in (first, second)]
    first.set_learning_rate(0.3)
    edited = [w.copy() for w in starts[1]]
    edited[0][0, 0] = 2.0
    second.set_weights(edited)
    _train_together([first, second], rounds=3, epochs=4)
    for seat, start, rate in ((first, starts[0], 0.3), (second, edited, 0.03)):
        for got, want in zip(seat.weights, _alone(seat.data, start, rate, 12), strict=True):
            np.testing.assert_allclose(got, want, atol=2e-5)


def test_zero_epochs_report_losses_and_leave_the_weights_alone(scheduler: Scheduler) -> None:
    seat = _seat(scheduler, 3)
    before = [w.copy() for w in seat.weights]
    trained = seat.train(0)
    assert trained.epochs == 0 and trained.losses.train > 0
    for got, want in zip(trained.weights, before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_chunk_is_sized_by_the_stack_and_reported(scheduler: Scheduler) -> None:
    seat = _seat(scheduler, 4)
    sizes = [seat.train().epochs for _ in range(6)]
    assert all(size >= 1 for size in sizes) and sizes[-1] > sizes[0]


def test_a_diverging_neighbour_does_not_touch_the_others(scheduler: Scheduler) -> None:
    linear = Architecture(2, (4, 2), "relu", "linear", capacity_for(0), batch_capacity=30)
    calm, wild = (scheduler.seat(linear, _data(str(seed)),
                                 initial_weights(2, (4, 2), np.random.default_rng(seed)), 0.03)
                  for seed in (1, 2))
    start = [w.copy() for w in calm.weights]
    wild.set_learning_rate(10.0)
    _train_together([calm, wild], rounds=4, epochs=5)
    assert not np.isfinite(wild.train(0).losses.train)  # it blew up …
    for got, want in zip(calm.weights, _alone(calm.data, start, 0.03, 20, arch=linear),
                         strict=True):
        np.testing.assert_allclose(got, want, atol=2e-5)  # … and its neighbour never knew
    wild.leave()
    assert np.isfinite(calm.train(3).losses.train)


def test_a_shape_compiled_for_the_first_time_tells_its_seats_why_they_wait(
        scheduler: Scheduler) -> None:
    notices: list[str] = []
    arch = Architecture(3, (5,), "relu", "tanh", capacity_for(0), batch_capacity=30)
    split = generate("circle", 0, 50, "n")
    x_train = np.column_stack([feature_matrix(split.train, FEATURES), split.train[:, 0] ** 2])
    x_test = np.column_stack([feature_matrix(split.test, FEATURES), split.test[:, 0] ** 2])
    seat = scheduler.seat(arch, SlotData(x_train, split.train[:, 2], x_test, split.test[:, 2],
                                         10),
                          initial_weights(3, (5,), np.random.default_rng(0)), 0.03)
    seat.on_wait = notices.append
    seat.train(2)
    seat.train(2)  # the compiled trainer is kept: no second notice
    assert len(notices) == 1 and "compiling" in notices[0]
