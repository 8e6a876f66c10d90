"""What every job shares, and the dense-network job the playground and the fitting lessons use.

A job is the problem-specific half of a run (`server.runs.run.Job`). The run's
training thread alone calls `start`, `apply`, `train` and `publish`; request
threads read `metrics`, `latest_weights` and `history`, which is why those go
through the job's lock and hand out copies.

`TrainingJob` holds what every problem's job needs: the lock, the event log, the
trainer it checked out and the newest healthy weights. `DenseNetworkJob` adds the
whole life of a small dense network on a pooled, compiled `EpochTrainer`: set-up,
chunked training, losses, snapshots, history and restore. A problem subclasses it
and says only what differs: its data, its extra metrics and snapshot fields.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Generic, TypeVar

import keras
import numpy as np

from server.runs.events import EventLog
from server.runs.run import Progress
from server.training.dense import build_dense_model
from server.training.engine import Architecture, EpochTrainer, Losses, TrainerPool

TrainerT = TypeVar("TrainerT")

HISTORY_PERIOD_S = 0.25  # a loss-history row at most this often (and on every single step)
MAX_HISTORY = 4000  # rows kept; past it every other row is dropped


class TrainingJob(Generic[TrainerT]):
    """The part of a job every problem shares: its lock, events, trainer and newest weights."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: EventLog | None = None
        self._trainer: TrainerT | None = None
        self._epoch = 0
        self._weights: list[np.ndarray] = []

    def latest_weights(self) -> tuple[int, list[np.ndarray]]:
        """Thread-safe: the newest healthy weights and their epoch (for exports and saves)."""
        with self._lock:
            return self._epoch, [w.copy() for w in self._weights]

    def close(self) -> None:
        """Give the trainer back (to its pool, if it came from one)."""
        if self._trainer is not None:
            self._release(self._trainer)
            self._trainer = None

    def _release(self, trainer: TrainerT) -> None:
        """A trainer built for this job alone is simply dropped."""

    def _require_trainer(self) -> TrainerT:
        if self._trainer is None:
            raise RuntimeError("the job has not started")
        return self._trainer


class ChunkSizer:
    """Epochs per compiled call, sized so a run publishes at most `rate` snapshots a second.

    Training never waits for streams, and streams never fall behind training.
    """

    def __init__(self, rate: float) -> None:
        self._target_s = 1.0 / rate
        self.epochs = 1

    def update(self, epochs: int, elapsed: float) -> None:
        wanted = epochs * self._target_s / max(elapsed, 1e-4)
        self.epochs = max(1, min(int(wanted), epochs * 8))


class DenseNetworkJob(TrainingJob[EpochTrainer]):
    """A dense network trained on a pooled `EpochTrainer`: the playground's and fitting's job.

    Subclasses load their data (`_load_data`) and may add metrics (`_extra_metrics`),
    snapshot fields (`_extra_snapshot`), history (`_extra_history`) and chunk pacing
    (`_chunk_epochs`, `_after_chunk`).
    """

    def __init__(self, architecture: Architecture, pool: TrainerPool, *,
                 weights: list[np.ndarray], learning_rate: float, has_test_set: bool,
                 max_snapshot_rate: float) -> None:
        super().__init__()
        self.architecture = architecture
        self._pool = pool
        self._chunk = ChunkSizer(max_snapshot_rate)
        self._weights = weights
        self._learning_rate = learning_rate
        self._has_test_set = has_test_set
        self._losses: Losses | None = None
        # [epoch, trainLoss, testLoss] a few times a second, thinned as it grows.
        self._loss_history: list[list[float | None]] = []
        self._history_at = 0.0

    # -- read from request threads -----------------------------------------------------

    def metrics(self) -> dict[str, Any]:
        """Thread-safe: the newest losses and rates, for summaries and saves."""
        with self._lock:
            return {
                "trainLoss": self._losses.train if self._losses else None,
                "testLoss": self._test_loss(self._losses),
                "learningRate": self._learning_rate,
                **self._extra_metrics(),
            }

    def history(self) -> dict[str, Any]:
        """Thread-safe: what the store saves besides weights (JSON, bounded in size)."""
        with self._lock:
            return {"losses": [list(row) for row in self._loss_history],
                    **self._extra_history()}

    def restore(self, epoch: int, weights: list[np.ndarray], metrics: dict[str, Any],
                history: Any) -> None:
        """Before `start`: continue a saved run (after a restart) from its epoch and weights.

        Runs saved before the history became a dict kept a plain list of loss rows.
        """
        saved = history if isinstance(history, dict) else {"losses": history or []}
        with self._lock:
            self._epoch = epoch
            if weights:
                self._weights = weights
            if metrics.get("trainLoss") is not None:
                test = metrics.get("testLoss")
                self._losses = Losses(metrics["trainLoss"], 0.0 if test is None else test)
            self._learning_rate = metrics.get("learningRate", self._learning_rate)
            self._loss_history = [list(row) for row in saved.get("losses", [])]
            self._restore_extra(metrics, saved)

    def build_export_model(self) -> keras.Model:
        """Request thread: a fresh Keras model of the same architecture, for exports."""
        arch = self.architecture
        return build_dense_model(arch.num_inputs, arch.hidden_layers, arch.activation,
                                 arch.output_activation)

    # -- the run's training thread ---------------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        """Check a compiled trainer out, hand it the data, weights and rates; publish."""
        self._events = events
        trainer = self._trainer = self._pool.acquire(self.architecture)
        self._load_data(trainer)
        trainer.set_weights(self._weights)
        trainer.reset_optimizer()
        trainer.set_learning_rate(self._learning_rate)
        self._configure(trainer)
        # The initial network's losses without the compiled function (which may compile).
        return self._record(trainer.eager_losses(), 0)

    def set_learning_rate(self, rate: float) -> None:
        self._require_trainer().set_learning_rate(rate)
        with self._lock:
            self._learning_rate = rate

    def train(self, *, single_step: bool) -> Progress:
        """Train one chunk (sized for the snapshot rate) or exactly one epoch; publish."""
        trainer = self._require_trainer()
        epochs = 1 if single_step else self._chunk_epochs()
        started = time.perf_counter()
        losses = trainer.train(epochs)
        elapsed = time.perf_counter() - started
        if not single_step:
            self._chunk.update(epochs, elapsed)
        progress = self._record(losses, epochs)
        if not single_step:
            self._after_chunk(elapsed)
        return progress

    def publish(self) -> None:
        """Publish the current state (after changes while paused)."""
        self._record(self._require_trainer().evaluate(), 0)

    def _release(self, trainer: EpochTrainer) -> None:
        self._pool.release(trainer)

    def _test_loss(self, losses: Losses | None) -> float | None:
        """No test points (100% training): no test loss, rather than the trainer's 0."""
        return losses.test if losses and self._has_test_set else None

    def _record(self, losses: Losses, epochs: int) -> Progress:
        """Keep and publish the newest state; unhealthy when the loss blew up."""
        weights = self._require_trainer().get_weights()
        healthy = math.isfinite(losses.train) and math.isfinite(losses.test)
        with self._lock:
            self._epoch += epochs
            self._losses = losses
            if healthy:
                self._weights = weights
                self._record_extra(self._epoch, weights)
                now = time.monotonic()
                if epochs == 1 or now - self._history_at >= HISTORY_PERIOD_S:
                    self._history_at = now
                    self._loss_history.append([self._epoch, losses.train,
                                               self._test_loss(losses)])
                    if len(self._loss_history) > MAX_HISTORY:
                        self._loss_history = [*self._loss_history[:-1:2],
                                              self._loss_history[-1]]
            snapshot: dict[str, Any] = {
                "epoch": self._epoch,
                "trainLoss": losses.train,
                "testLoss": self._test_loss(losses),
                "learningRate": self._learning_rate,
                **self._extra_snapshot(),
                "weights": [[weights[i].tolist(), weights[i + 1].tolist()]
                            for i in range(0, len(weights), 2)],
            }
        if self._events is not None:
            self._events.publish("snapshot", snapshot, coalesce=True)
        return Progress(snapshot["epoch"], healthy=healthy)

    # -- what a problem adds (defaults: nothing) -------------------------------------------

    def _load_data(self, trainer: EpochTrainer) -> None:
        raise NotImplementedError

    def _configure(self, trainer: EpochTrainer) -> None:
        """Training thread, at start: anything besides data, weights and learning rate."""

    def _chunk_epochs(self) -> int:
        return self._chunk.epochs

    def _after_chunk(self, elapsed: float) -> None:
        """Training thread, after a chunk was published (pacing)."""

    def _extra_metrics(self) -> dict[str, Any]:
        """Caller holds the lock."""
        return {}

    def _extra_snapshot(self) -> dict[str, Any]:
        """Caller holds the lock."""
        return {}

    def _extra_history(self) -> dict[str, Any]:
        """Caller holds the lock."""
        return {}

    def _record_extra(self, epoch: int, weights: list[np.ndarray]) -> None:
        """Caller holds the lock; called with every healthy state."""

    def _restore_extra(self, metrics: dict[str, Any], history: dict[str, Any]) -> None:
        """Caller holds the lock."""
