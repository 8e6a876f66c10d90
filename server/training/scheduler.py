"""The classroom scheduler: every dense run trains through it, on one worker per core.

A run does not own a compiled trainer any more; it holds a `Seat`. Its training
thread asks the seat for a chunk of epochs and waits; a scheduler worker picks the
next stack with work (round-robin), trains every waiting seat of that stack in one
compiled call, hands each seat its losses and weights, and moves on. So thirty
learners on the default network cost one compiled call per round, not thirty, and
the cores are shared by turns instead of fought over by thirty threads.

- Runs with the same `StackKey` (architecture, capacity, batch window) and plain
  gradient descent share stacks. A stack trains its waiting seats on a compiled
  trainer of the smallest size that holds them (1: the single-run engine, XLA; 4,
  16, 64: `StackedTrainer`), kept per process, so a new run compiles nothing that an
  earlier run of its shape already compiled. Seats move between trainers freely:
  a seat's data, weights and rates live here, in Python, between rounds.
- Runs with a stateful optimizer (momentum, Adam, …), several output classes or
  dropout keep a single-run trainer of their own, in a stack no other run joins
  (moving them would lose the optimizer's state; the stacked trainer computes only
  the classic's one-output ½·MSE with plain gradient descent). Switching a run's
  optimizer (`Scheduler.reseat`) moves it to a fresh trainer: weights kept, optimizer
  state new.
- A stack holds at most `MAX_STACK` seats; a key gets a second stack (a second core)
  once its first has a few seats, up to one stack per worker, then they fill.

Invariant: a seat's weights after N epochs are what the single-run engine gives
for the same data, weights and rates (tests/test_scheduler.py), whichever stack,
slot or trainer size trained it and whatever its neighbours did.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from server.runs.run import lower_priority
from server.training.engine import Architecture, EpochTrainer, Losses
from server.training.stack import SlotData, StackedTrainer, StackKey

log = logging.getLogger(__name__)

SIZES = (1, 4, 16, 64)  # trainer sizes: a round uses the smallest that holds its seats
MAX_STACK = SIZES[-1]
SPLIT_AT = 4  # seats in a key's every stack before it opens another (one per worker)
SNAPSHOT_RATE = 30.0  # rounds a second a stack aims at (each waiting seat gets a snapshot)
# A round waits this long at most for the seats of the last round to ask again (their runs
# are publishing the last result): a stack trains its runs together, not one by one.
GATHER_S = 0.01
ACTIVE_S = 2.0  # a seat that asked this recently keeps its slot
SHRINK_AFTER_S = 2.0  # a stack's trainer moves to a smaller size only after this long
MAX_IDLE_OWN = 2  # own trainers kept per architecture after their runs left
COMPILING = ("compiling the network for this shape: the first run of it since the server "
             "started waits a second or two, later ones start at once")


def needs_own_trainer(architecture: Architecture) -> bool:
    """What the stacked trainer cannot compute: a stateful optimizer, several classes,
    dropout."""
    return (architecture.optimizer != "sgd" or architecture.classes
            or architecture.dropout > 0)


def stack_key(architecture: Architecture) -> StackKey:
    return StackKey(architecture.num_inputs, architecture.hidden_layers,
                    architecture.activation, architecture.output_activation,
                    architecture.capacity, architecture.batch_window)


class SoloTrainer:
    """The single-run engine (`EpochTrainer`, XLA) behind the stacked trainer's interface."""

    slots = 1

    def __init__(self, architecture: Architecture) -> None:
        self.trainer = EpochTrainer(architecture)
        self.trainer.set_regularization("none", 0.0)

    def load(self, slot: int, data: SlotData) -> None:
        self.trainer.load_data(data.x_train, data.y_train, data.x_test, data.y_test,
                               data.batch_size)

    def set_weights(self, slot: int, weights: list[np.ndarray]) -> None:
        self.trainer.set_weights(weights)

    def set_learning_rate(self, slot: int, rate: float) -> None:
        self.trainer.set_learning_rate(rate)

    def set_regularization(self, slot: int, kind: str, rate: float) -> None:
        self.trainer.set_regularization(kind, rate)

    def reset_optimizer(self) -> None:
        self.trainer.reset_optimizer()

    def write(self, slots: list[int], data: list[SlotData], weights: list[list[np.ndarray]],
              rates: list[float], regularizations: list[tuple[str, float]]) -> None:
        self.load(0, data[0])
        self.set_weights(0, weights[0])
        self.set_learning_rate(0, rates[0])
        self.set_regularization(0, *regularizations[0])

    def all_weights(self) -> list[np.ndarray]:
        return [w[None] for w in self.trainer.get_weights()]

    def train(self, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        losses = self.trainer.train(int(epochs[0]))
        return np.array([losses.train]), np.array([losses.test])


Trainer = SoloTrainer | StackedTrainer


@dataclass(frozen=True)
class Trained:
    """What a request got: the losses and weights after it, and how many epochs it trained."""

    losses: Losses
    weights: list[np.ndarray]
    epochs: int


@dataclass
class _Request:
    epochs: int | None  # None: a chunk, sized by the stack
    at: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    result: Trained | None = None
    error: BaseException | None = None


class Seat:
    """One run's place in the scheduler: its data, weights and rates, and its requests.

    Only the run's training thread calls it (one request at a time).
    """

    def __init__(self, scheduler: Scheduler, architecture: Architecture, data: SlotData,
                 weights: list[np.ndarray], learning_rate: float) -> None:
        self._scheduler = scheduler
        self.architecture = architecture
        self.data = data
        self.weights = [np.asarray(w, np.float32) for w in weights]
        self.learning_rate = learning_rate
        self.regularization = ("none", 0.0)
        self.version = 0  # bumped by every change a trainer must be told of
        self.request: _Request | None = None
        self.asked_at = 0.0  # when it last asked to train
        self.stack: _Stack | None = None
        self.home: tuple[int, int] | None = None  # (id(trainer), slot) of its newest weights
        self.own: SoloTrainer | None = None  # a stateful optimizer's trainer, for life
        self.own_uncompiled = False  # its own trainer is new: the first round compiles it
        self.on_wait: Callable[[str], None] | None = None  # told why a request waits

    # -- the run's thread ------------------------------------------------------------

    def train(self, epochs: int | None = None) -> Trained:
        """Train `epochs` epochs (None: a chunk the stack sizes; 0: only the losses);
        wait for the round that does it."""
        request = _Request(epochs)
        self._scheduler.submit(self, request)
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def set_weights(self, weights: list[np.ndarray]) -> None:
        with self._scheduler.lock:
            self.weights = [np.asarray(w, np.float32) for w in weights]
            self.version += 1

    def set_learning_rate(self, rate: float) -> None:
        with self._scheduler.lock:
            self.learning_rate = rate
            self.version += 1

    def set_data(self, data: SlotData) -> None:
        """New points of the same sizes (the playground's Regenerate): weights are kept."""
        with self._scheduler.lock:
            self.data = data
            self.version += 1

    def set_regularization(self, kind: str, rate: float) -> None:
        with self._scheduler.lock:
            self.regularization = (kind, rate)
            self.version += 1

    def leave(self) -> None:
        self._scheduler.leave(self)


class _Stack:
    """Seats of one key that train together; one worker at a time runs its rounds."""

    def __init__(self, key: StackKey) -> None:
        self.key = key
        self.seats: list[Seat] = []
        self.busy = False
        self.epochs = 1  # a chunk, in epochs: sized so a round takes 1/SNAPSHOT_RATE s
        self.last_round: list[Seat] = []  # the seats the last round trained
        self.private = False  # a seat with a trainer of its own: no other seat joins
        # The compiled trainer this stack holds between rounds, and each seat's slot in it
        # with the seat's version when it was written there: a seat that keeps its slot
        # costs nothing to place, so partial rounds (a straggler) never reload anyone.
        self.trainer: Trainer | None = None
        self.size = 0
        self.slots: dict[Seat, tuple[int, int]] = {}
        self.oversized_since: float | None = None

    def active(self, now: float) -> list[Seat]:
        """Seats that asked within `ACTIVE_S`: the ones a trainer needs room for."""
        return [seat for seat in self.seats
                if seat.request is not None or now - seat.asked_at < ACTIVE_S]

    def ready(self, now: float) -> float | None:
        """0 when a round should start now; else how long to wait for stragglers; None: no
        seat waits. Ready when every seat of the last round asks again, or the first request
        has waited `GATHER_S`."""
        waiting = self.waiting()
        if not waiting:
            return None
        if all(seat.request is not None for seat in self.last_round if seat.stack is self):
            return 0.0
        oldest = min(seat.request.at for seat in waiting if seat.request is not None)
        return max(0.0, oldest + GATHER_S - now)

    def waiting(self) -> list[Seat]:
        return [seat for seat in self.seats if seat.request is not None]

    def resize(self, epochs: int, elapsed: float) -> None:
        wanted = epochs / (SNAPSHOT_RATE * max(elapsed, 1e-4))
        self.epochs = max(1, min(int(wanted), epochs * 8))


class Scheduler:
    """Stacks of seats and the workers that train them, one worker per core by default."""

    def __init__(self, workers: int | None = None) -> None:
        self.lock = threading.Condition()
        self._stacks: dict[StackKey, list[_Stack]] = {}
        self._order: list[_Stack] = []  # round-robin order of every stack
        self._next = 0
        # Compiled trainers by (key, size) that no stack holds.
        self._idle: dict[tuple[StackKey, int], list[Trainer]] = {}
        self._made: dict[tuple[StackKey, int], int] = {}  # instances made (idle or in use)
        # Own trainers (stateful optimizers, many classes, dropout) whose runs have left, by
        # architecture: the next run of that architecture reuses one instead of compiling.
        self._own_idle: dict[Architecture, list[SoloTrainer]] = {}
        self._closed = False
        self._workers = [
            threading.Thread(target=self._work, name=f"scheduler-{i}", daemon=True)
            for i in range(workers or os.cpu_count() or 1)
        ]
        for worker in self._workers:
            worker.start()

    # -- seats -------------------------------------------------------------------------

    def seat(self, architecture: Architecture, data: SlotData, weights: list[np.ndarray],
             learning_rate: float) -> Seat:
        """A place for a run; a run the stacks cannot train gets a trainer of its own."""
        seat = Seat(self, architecture, data, weights, learning_rate)
        self._place_seat(seat)
        return seat

    def reseat(self, seat: Seat, architecture: Architecture) -> None:
        """The run's thread, between requests: train `seat` as `architecture` from now on
        (another optimizer). Its data, weights and rates stay; a new own trainer starts
        with a fresh optimizer state; plain SGD on a network the stacks train joins them."""
        with self.lock:
            if seat.request is not None:
                raise RuntimeError("a seat moves only between requests")
        self.leave(seat)
        with self.lock:
            seat.architecture = architecture
            seat.home = None
            seat.own = None
            seat.own_uncompiled = False
            seat.version += 1
        self._place_seat(seat)

    def _place_seat(self, seat: Seat) -> None:
        architecture = seat.architecture
        key = stack_key(architecture)
        if needs_own_trainer(architecture):
            with self.lock:
                idle = self._own_idle.get(architecture)
                seat.own = idle.pop() if idle else None
            if seat.own is None:
                seat.own = SoloTrainer(architecture)
                seat.own_uncompiled = True
            seat.own.reset_optimizer()
        with self.lock:
            stacks = self._stacks.setdefault(key, [])
            open_stacks = [s for s in stacks if len(s.seats) < MAX_STACK and not s.private]
            if seat.own is not None or not open_stacks or (
                    len(stacks) < len(self._workers)
                    and all(len(s.seats) >= SPLIT_AT for s in stacks)):
                stack = _Stack(key)
                stack.private = seat.own is not None
                stacks.append(stack)
                self._order.append(stack)
            else:
                stack = min(open_stacks, key=lambda s: len(s.seats))
            stack.seats.append(seat)
            seat.stack = stack

    def submit(self, seat: Seat, request: _Request) -> None:
        with self.lock:
            if self._closed or seat.stack is None:
                request.error = RuntimeError("the scheduler has stopped")
                request.done.set()
                return
            seat.request = request
            seat.asked_at = request.at
            self.lock.notify_all()

    def leave(self, seat: Seat) -> None:
        with self.lock:
            stack = seat.stack
            if stack is None:
                return
            stack.seats.remove(seat)
            stack.slots.pop(seat, None)
            seat.stack = None
            if seat.request is not None:
                seat.request.error = RuntimeError("the run left the scheduler")
                seat.request.done.set()
                seat.request = None
            if seat.own is not None:
                idle = self._own_idle.setdefault(seat.architecture, [])
                if len(idle) < MAX_IDLE_OWN:
                    idle.append(seat.own)
            if not stack.seats:
                self._stacks[stack.key].remove(stack)
                self._order.remove(stack)
                if stack.trainer is not None and seat.own is None:
                    self._idle.setdefault((stack.key, stack.size), []).append(stack.trainer)
                    self.lock.notify_all()
                stack.trainer = None

    def close(self) -> None:
        """Stop the workers; requests still waiting are answered with an error."""
        with self.lock:
            self._closed = True
            for stack in self._order:
                for seat in stack.seats:
                    if seat.request is not None and not stack.busy:
                        seat.request.error = RuntimeError("the scheduler has stopped")
                        seat.request.done.set()
                        seat.request = None
            self.lock.notify_all()
        for worker in self._workers:
            worker.join(timeout=30)

    def stacks(self) -> list[tuple[StackKey, int]]:
        """(key, seats) of every stack: for health and tests."""
        with self.lock:
            return [(stack.key, len(stack.seats)) for stack in self._order]

    # -- workers -----------------------------------------------------------------------

    def _take_stack(self) -> tuple[_Stack | None, float | None]:
        """Caller holds the lock: the next stack (round-robin) ready for a round, or how
        long until one may be (None: nothing waits)."""
        count = len(self._order)
        now = time.monotonic()
        soonest: float | None = None
        for offset in range(count):
            stack = self._order[(self._next + offset) % count]
            if stack.busy:
                continue
            wait = stack.ready(now)
            if wait == 0.0:
                self._next = (self._next + offset + 1) % max(count, 1)
                return stack, None
            if wait is not None:
                soonest = wait if soonest is None else min(soonest, wait)
        return None, soonest

    def _work(self) -> None:
        lower_priority()  # serving first, as for the runs' own threads
        while True:
            with self.lock:
                while not self._closed:
                    stack, wait = self._take_stack()
                    if stack is not None:
                        break
                    self.lock.wait(timeout=wait)
                if self._closed:
                    return
                stack.busy = True
                seats = stack.waiting()
                stack.last_round = seats
            try:
                self._round(stack, seats)
            except Exception as error:  # a TensorFlow failure reaches the runs, not here
                log.exception("a training round failed")
                with self.lock:
                    stack.slots.clear()  # what the trainer holds is no longer known
                    for seat in seats:
                        seat.home = None
                        if seat.request is not None:
                            seat.request.error = error
                            seat.request.done.set()
                            seat.request = None
            finally:
                with self.lock:
                    stack.busy = False
                    self.lock.notify_all()

    def _round(self, stack: _Stack, seats: list[Seat]) -> None:
        """Train the waiting seats of one stack in one compiled call; answer each."""
        trainer = self._trainer_for(stack, seats)
        with self.lock:
            requests = [seat.request for seat in seats]
            slots, stale = self._place(stack, trainer, seats)
            epochs = np.zeros(trainer.slots, np.int32)
            for slot, request in zip(slots, requests, strict=True):
                assert request is not None
                epochs[slot] = stack.epochs if request.epochs is None else request.epochs
            writes = ([slot for slot, _ in stale], [seat.data for _, seat in stale],
                      [seat.weights for _, seat in stale],
                      [seat.learning_rate for _, seat in stale],
                      [seat.regularization for _, seat in stale])
        if stale:  # outside the lock (TensorFlow ops): seats keep joining and asking
            trainer.write(*writes)
        started = time.perf_counter()
        train_losses, test_losses = trainer.train(epochs)
        elapsed = time.perf_counter() - started
        weights = trainer.all_weights()
        if any(r is not None and r.epochs is None for r in requests):
            stack.resize(int(epochs.max()), elapsed)
        with self.lock:
            for seat, slot, request in zip(seats, slots, requests, strict=True):
                seat.weights = [w[slot].copy() for w in weights]
                assert request is not None
                request.result = Trained(
                    Losses(float(train_losses[slot]), float(test_losses[slot])),
                    [w.copy() for w in seat.weights], int(epochs[slot]))
                if seat.request is request:
                    seat.request = None
                request.done.set()

    def _trainer_for(self, stack: _Stack, seats: list[Seat]) -> Trainer:
        """The stack's trainer, of the smallest size that holds its active seats: kept
        between rounds, grown at once, shrunk only after `SHRINK_AFTER_S` oversized."""
        if seats[0].own is not None:
            seat = seats[0]
            if seat.own_uncompiled:
                seat.own_uncompiled = False
                if seat.on_wait is not None:
                    seat.on_wait(COMPILING)
            stack.trainer, stack.size = seat.own, 1
            return seat.own
        now = time.monotonic()
        with self.lock:
            need = max(len(stack.active(now)), len(seats))
        size = next(s for s in SIZES if s >= need)
        if stack.trainer is not None and size < stack.size:
            if stack.oversized_since is None:
                stack.oversized_since = now
            if now - stack.oversized_since < SHRINK_AFTER_S:
                size = stack.size
        else:
            stack.oversized_since = None
        if stack.trainer is None or size != stack.size:
            if stack.trainer is not None:
                self._checkin(stack.key, stack.size, stack.trainer)
            stack.trainer = None
            stack.trainer = self._checkout(stack.key, size, seats[0].architecture, seats)
            # A chunk sized for the last trainer would take far longer on a larger one.
            stack.size, stack.slots, stack.epochs = size, {}, 1
        return stack.trainer

    def _place(self, stack: _Stack, trainer: Trainer,
               seats: list[Seat]) -> tuple[list[int], list[tuple[int, Seat]]]:
        """Caller holds the lock: each waiting seat's slot, and the (slot, seat) pairs to
        write in: those new there or changed (data, weights or rates) since."""
        now = time.monotonic()
        active = set(stack.active(now))
        for seat in [s for s in stack.slots if s not in active and s not in seats]:
            del stack.slots[seat]  # inactive: its slot may go to another
        used = {slot for slot, _ in stack.slots.values()}
        # Seats not in this round give up their slots first if the round needs them.
        holders = [seat for seat in stack.slots if seat not in seats]
        free = iter([*(i for i in range(trainer.slots) if i not in used),
                     *(stack.slots[seat][0] for seat in holders)])
        tid = id(trainer)
        slots: list[int] = []
        stale: list[tuple[int, Seat]] = []
        for seat in seats:
            slot, version = stack.slots.get(seat, (None, -1))
            if slot is None:
                slot = next(free)
                for holder in holders:
                    if stack.slots.get(holder, (None,))[0] == slot:
                        del stack.slots[holder]
            if version != seat.version or seat.home != (tid, slot):
                stale.append((slot, seat))
            stack.slots[seat] = (slot, seat.version)
            seat.home = (tid, slot)
            slots.append(slot)
        return slots, stale

    def _checkout(self, key: StackKey, size: int, architecture: Architecture,
                  seats: list[Seat] = ()) -> Trainer:  # type: ignore[assignment]
        """An idle compiled trainer of this key and size; else a new one, while fewer than
        one per worker exist (compiling takes about a second, so each is made once and
        kept); else wait for one to come back. Seats that wait for a compilation are told."""
        with self.lock:
            while True:
                if self._closed:
                    raise RuntimeError("the scheduler has stopped")
                idle = self._idle.setdefault((key, size), [])
                if idle:
                    return idle.pop()
                room = max(len(self._workers), len(self._stacks.get(key, [])))
                if self._made.get((key, size), 0) < room:
                    self._made[(key, size)] = self._made.get((key, size), 0) + 1
                    break
                self.lock.wait()
        for seat in seats:
            if seat.on_wait is not None:
                seat.on_wait(COMPILING)
        try:
            return self._make(key, size, architecture)
        except BaseException:
            with self.lock:  # not made after all: another may try
                self._made[(key, size)] -= 1
                self.lock.notify_all()
            raise

    @staticmethod
    def _make(key: StackKey, size: int, architecture: Architecture) -> Trainer:
        if size == 1:
            return SoloTrainer(architecture)
        return StackedTrainer(key, size, jit_compile=True)

    def _checkin(self, key: StackKey, size: int, trainer: Trainer) -> None:
        with self.lock:
            self._idle.setdefault((key, size), []).append(trainer)
            self.lock.notify_all()

    def warm(self, architecture: Architecture) -> None:
        """Compile the trainers a classroom on this architecture uses before the first
        learner asks (the default network, at start-up): one of each size, and one per
        worker of the sizes rooms fill."""
        key = stack_key(architecture)
        points = np.random.default_rng(0).uniform(
            -1, 1, (4, architecture.num_inputs)).astype(np.float32)
        for size in (*SIZES, *(s for s in SIZES[2:] for _ in self._workers[1:])):
            with self.lock:
                if self._made.get((key, size), 0) >= len(self._workers):
                    continue
                self._made[(key, size)] = self._made.get((key, size), 0) + 1
            trainer = self._make(key, size, architecture)
            for slot in range(trainer.slots):
                trainer.load(slot, SlotData(points, np.zeros(4), points, np.zeros(4), 2))
            trainer.train(np.ones(trainer.slots, np.int32))
            self._checkin(key, size, trainer)

