"""Runs: the unit of training. A run owns its data, its model, its optimizer and its event log.

Each run has one thread that alone touches its trainer. Requests never call
TensorFlow on a run's model: they leave changes (learning rate, an edited
weight, a step) for the thread, which applies them between chunks of epochs.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from server.datasets import Split, generate
from server.engine import Architecture, EpochTrainer, Losses, TrainerPool, capacity_for
from server.events import EventLog
from server.features import feature_matrix
from server.network import initial_weights
from server.spec import PlaygroundSpec

RUNNING, PAUSED, STOPPED, DIVERGED = "running", "paused", "stopped", "diverged"
STEP_TIMEOUT_S = 60.0
PAUSE_TIMEOUT_S = 10.0


class RunStateError(RuntimeError):
    """A request that the run's state does not allow (stepping a running run, …) → 409."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass
class _Pending:
    """Changes requests left for the training thread."""

    learning_rate: float | None = None
    regularization_rate: float | None = None
    weight_edits: list[tuple[int, int, int, float]] = field(default_factory=list)
    bias_edits: list[tuple[int, int, float]] = field(default_factory=list)
    steps: list[threading.Event] = field(default_factory=list)

    def __bool__(self) -> bool:
        return (
            self.learning_rate is not None
            or self.regularization_rate is not None
            or bool(self.weight_edits or self.bias_edits or self.steps)
        )


def architecture_for(spec: PlaygroundSpec, num_points: int) -> Architecture:
    return Architecture(
        num_inputs=len(spec.features),
        hidden_layers=tuple(spec["networkShape"]),
        activation=spec["activation"],
        output_activation=spec.output_activation,
        capacity=capacity_for(num_points),
    )


class Run:
    """One training run of a playground network."""

    def __init__(
        self,
        spec: PlaygroundSpec,
        pool: TrainerPool,
        *,
        max_snapshot_rate: float,
    ) -> None:
        self.id = secrets.token_urlsafe(16)  # 128 random bits: unguessable
        self.spec = spec
        self.split: Split = generate(
            spec.dataset_key, spec["noise"], spec["percTrainData"], spec["seed"]
        )
        self.features = spec.features
        self.events = EventLog()
        self.created_at = time.time()
        self.architecture = architecture_for(spec, max(len(self.split.train), len(self.split.test)))
        self._pool = pool
        self._min_chunk_s = 1.0 / max_snapshot_rate
        self._cond = threading.Condition()
        self._state = RUNNING
        self._stop_requested = False
        self._pending = _Pending()
        self._learning_rate = float(spec["learningRate"])
        self._regularization_rate = float(spec["regularizationRate"])
        # The rates the trainer actually uses (snapshots report these, so a client can
        # see when a change took effect).
        self._applied_rates = (self._learning_rate, self._regularization_rate)
        self._epoch = 0
        self._losses: Losses | None = None
        self._weights: list[np.ndarray] = initial_weights(
            self.architecture.num_inputs,
            self.architecture.hidden_layers,
            np.random.default_rng(),
        )
        self._watchers = 0
        # True while the training thread waits (paused): a pause returns only then, so the
        # epoch it reports is final and a step after it adds exactly one.
        self._quiescent = False
        self._last_touched = time.monotonic()
        self._publish_status()
        self._thread = threading.Thread(target=self._train_loop, name=f"run-{self.id[:6]}",
                                        daemon=True)
        self._thread.start()

    # -- what requests read ----------------------------------------------------------

    @property
    def state(self) -> str:
        with self._cond:
            return self._state

    @property
    def epoch(self) -> int:
        with self._cond:
            return self._epoch

    def summary(self) -> dict[str, Any]:
        """State, epoch, losses and rates: what `GET /api/runs/<id>` shows."""
        with self._cond:
            return {
                "id": self.id,
                "state": self._state,
                "epoch": self._epoch,
                "trainLoss": self._losses.train if self._losses else None,
                "testLoss": self._losses.test if self._losses else None,
                "learningRate": self._learning_rate,
                "regularizationRate": self._regularization_rate,
                "spec": self.spec.to_json(),
                "features": self.features,
            }

    def weights(self) -> tuple[int, list[np.ndarray], Losses | None]:
        """The latest trained weights (in `model.get_weights()` order) with their epoch."""
        with self._cond:
            return self._epoch, [w.copy() for w in self._weights], self._losses

    # -- what requests change ----------------------------------------------------------

    def touch(self) -> None:
        with self._cond:
            self._last_touched = time.monotonic()

    def watch(self, delta: int) -> None:
        """A stream opened (+1) or closed (-1); watched runs are never idle."""
        with self._cond:
            self._watchers += delta
            self._last_touched = time.monotonic()

    def idle_for(self) -> float:
        with self._cond:
            return 0.0 if self._watchers else time.monotonic() - self._last_touched

    def update(
        self,
        *,
        learning_rate: float | None = None,
        regularization_rate: float | None = None,
        state: str | None = None,
        weight_edits: list[tuple[int, int, int, float]] | None = None,
        bias_edits: list[tuple[int, int, float]] | None = None,
    ) -> None:
        """Apply a PATCH: rates and edits reach the trainer between chunks; weights are kept."""
        with self._cond:
            self._last_touched = time.monotonic()
            if state is not None and self._state in (STOPPED, DIVERGED) and state != self._state:
                raise RunStateError("state", f"the run has {self._state}; start a new run")
            if learning_rate is not None:
                self._pending.learning_rate = learning_rate
                self._learning_rate = learning_rate
            if regularization_rate is not None:
                self._pending.regularization_rate = regularization_rate
                self._regularization_rate = regularization_rate
            self._pending.weight_edits += weight_edits or []
            self._pending.bias_edits += bias_edits or []
            if state is not None and state != self._state:
                self._state = state
                self._cond.notify_all()
                if state == PAUSED:
                    self._cond.wait_for(
                        lambda: self._quiescent or self._stop_requested, timeout=PAUSE_TIMEOUT_S
                    )
                self._publish_status()
            self._cond.notify_all()

    def step(self) -> dict[str, Any]:
        """Train exactly one epoch while paused; returns once it is done."""
        done = threading.Event()
        with self._cond:
            self._last_touched = time.monotonic()
            if self._state != PAUSED:
                raise RunStateError("state", f"step needs a paused run; this one is {self._state}")
            self._pending.steps.append(done)
            self._cond.notify_all()
        if not done.wait(STEP_TIMEOUT_S):
            raise RunStateError("state", "the step did not finish in time")
        return self.summary()

    def stop(self, *, final_state: str = STOPPED) -> None:
        """End training (idle, deleted, server shutting down); the weights stay exportable."""
        with self._cond:
            self._stop_requested = True
            if self._state in (RUNNING, PAUSED):
                self._state = final_state
                self._publish_status()
            self._cond.notify_all()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    # -- the training thread -------------------------------------------------------------

    def _publish_status(self) -> None:
        """Caller holds the lock."""
        self.events.publish("status", {"state": self._state, "epoch": self._epoch})

    def _publish_snapshot(self, epoch: int, losses: Losses, weights: list[np.ndarray]) -> None:
        self.events.publish(
            "snapshot",
            {
                "epoch": epoch,
                "trainLoss": losses.train,
                "testLoss": losses.test,
                "learningRate": self._applied_rates[0],
                "regularizationRate": self._applied_rates[1],
                "weights": [
                    [weights[i].tolist(), weights[i + 1].tolist()]
                    for i in range(0, len(weights), 2)
                ],
            },
            coalesce=True,
        )

    def _take_work(self) -> tuple[_Pending, str] | None:
        """Wait until there is something to do; None when the run should end."""
        with self._cond:
            while not self._stop_requested and self._state != RUNNING and not self._pending:
                self._quiescent = True
                self._cond.notify_all()
                self._cond.wait()
            self._quiescent = False
            if self._stop_requested:
                return None
            pending, self._pending = self._pending, _Pending()
            return pending, self._state

    def _train_loop(self) -> None:
        trainer = self._pool.acquire(self.architecture)
        steps_waiting: list[threading.Event] = []
        try:
            self._prepare(trainer)
            chunk = 1
            while (work := self._take_work()) is not None:
                pending, state = work
                steps_waiting = pending.steps
                if self._apply(trainer, pending) and state != RUNNING and not pending.steps:
                    self._record(trainer, trainer.evaluate(), 0)
                    continue
                epochs = chunk if state == RUNNING else (1 if pending.steps else 0)
                if epochs == 0:
                    continue
                started = time.perf_counter()
                losses = trainer.train(epochs)
                elapsed = time.perf_counter() - started
                if not self._record(trainer, losses, epochs):
                    break
                for done in pending.steps:
                    done.set()
                steps_waiting = []
                if state == RUNNING:
                    # Size chunks to the snapshot rate: training never waits for streams,
                    # and streams never fall behind training.
                    wanted = chunk * self._min_chunk_s / max(elapsed, 1e-4)
                    chunk = max(1, min(int(wanted), chunk * 8))
        finally:
            for done in steps_waiting:
                done.set()
            self._pool.release(trainer)

    def _prepare(self, trainer: EpochTrainer) -> None:
        x_train = feature_matrix(self.split.train[:, :2], self.features)
        x_test = feature_matrix(self.split.test[:, :2], self.features)
        trainer.load_data(
            x_train, self.split.train[:, 2], x_test, self.split.test[:, 2], self.spec["batchSize"]
        )
        trainer.set_weights(self._weights)
        trainer.reset_optimizer()
        trainer.set_learning_rate(self._learning_rate)
        trainer.set_regularization(self.spec["regularization"], self._regularization_rate)
        # Losses of the initial network, before the first compiled call (which may compile).
        self._record(trainer, trainer.eager_losses(), 0)

    def _apply(self, trainer: EpochTrainer, pending: _Pending) -> bool:
        """Hand pending changes to the trainer; True when weights were edited."""
        learning_rate, regularization_rate = self._applied_rates
        if pending.learning_rate is not None:
            learning_rate = pending.learning_rate
            trainer.set_learning_rate(learning_rate)
        if pending.regularization_rate is not None:
            regularization_rate = pending.regularization_rate
            trainer.set_regularization(self.spec["regularization"], regularization_rate)
        with self._cond:
            self._applied_rates = (learning_rate, regularization_rate)
        if not (pending.weight_edits or pending.bias_edits):
            return False
        weights = trainer.get_weights()
        for layer, source, unit, value in pending.weight_edits:
            weights[2 * layer][source, unit] = value
        for layer, unit, value in pending.bias_edits:
            weights[2 * layer + 1][unit] = value
        trainer.set_weights(weights)
        return True

    def _record(self, trainer: EpochTrainer, losses: Losses, epochs: int) -> bool:
        """Keep and publish the newest state; False (and `diverged`) when the loss blew up."""
        weights = trainer.get_weights()
        finite = math.isfinite(losses.train) and math.isfinite(losses.test)
        with self._cond:
            self._epoch += epochs
            self._losses = losses
            if finite:
                self._weights = weights
            epoch = self._epoch
            self._publish_snapshot(epoch, losses, weights)
            if not finite:
                self._state = DIVERGED
                self._stop_requested = True
                self._publish_status()
        return finite


class RunRegistry:
    """Every run of this server process, and the reaper that stops idle ones."""

    def __init__(self, pool: TrainerPool, *, idle_timeout_s: float,
                 max_snapshot_rate: float) -> None:
        self._pool = pool
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()
        self._idle_timeout_s = idle_timeout_s
        self._max_snapshot_rate = max_snapshot_rate
        self._closed = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="run-reaper", daemon=True)
        self._reaper.start()

    def create(self, spec: PlaygroundSpec) -> Run:
        run = Run(spec, self._pool, max_snapshot_rate=self._max_snapshot_rate)
        with self._lock:
            self._runs[run.id] = run
        return run

    def get(self, run_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(run_id)

    def all(self) -> list[Run]:
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.created_at)

    def delete(self, run_id: str) -> bool:
        with self._lock:
            run = self._runs.pop(run_id, None)
        if run is None:
            return False
        run.stop()
        run.events.close()
        return True

    def close(self) -> None:
        """Stop every run and the reaper (server shutdown, test teardown)."""
        self._closed.set()
        for run in self.all():
            run.stop()
            run.events.close()
        for run in self.all():
            run.join(timeout=10)

    def reap_idle(self) -> list[str]:
        """Stop runs nobody has watched or touched for the idle timeout; returns their ids."""
        stopped = []
        for run in self.all():
            if run.state in (RUNNING, PAUSED) and run.idle_for() > self._idle_timeout_s:
                run.stop()
                stopped.append(run.id)
        return stopped

    def _reap(self) -> None:
        interval = max(0.05, min(30.0, self._idle_timeout_s / 4))
        while not self._closed.wait(interval):
            self.reap_idle()
