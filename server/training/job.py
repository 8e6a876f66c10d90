"""What every job shares, and the dense-network job the playground and the fitting lessons use.

A job is the problem-specific half of a run (`server.runs.run.Job`). The run's
training thread alone calls `start`, `apply`, `train` and `publish`; request
threads read `metrics`, `latest_weights` and `history`, which is why those go
through the job's lock and hand out copies.

`TrainingJob` holds what every problem's job needs: the lock, the event log, the
trainer it holds and the newest healthy weights. `DenseNetworkJob` adds the whole
life of a small dense network trained through the classroom scheduler (a `Seat`):
set-up, chunked training, losses, snapshots, history and restore. A problem
subclasses it and says only what differs: its data, its extra metrics and snapshot
fields.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import keras
import numpy as np

from exporter.guide import ModelGuide
from server.runs.events import EventLog
from server.runs.run import Progress
from server.training.dense import build_dense_model, dense_losses
from server.training.engine import Architecture, Losses
from server.training.pace import Pace
from server.training.scheduler import Scheduler, Seat
from server.training.stack import SlotData
from server.training.timeline import Timeline

TrainerT = TypeVar("TrainerT")

HISTORY_PERIOD_S = 0.25  # a loss-history row at most this often (and on every single step)
MAX_HISTORY = 4000  # rows kept; past it every other row is dropped


class TrainingJob(Generic[TrainerT]):
    """The part of a job every problem shares: its lock, events, trainer and newest weights."""

    heavy = False  # light: the scheduler shares the cores among such runs; never queued

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

    def export_key(self) -> object:
        """Runs with equal keys can share an export model; None: this run's alone."""
        return None

    def timeline(self) -> list[dict[str, Any]]:
        """Thread-safe: the kept past states for the time-travel slider (none by default)."""
        return []

    def keras_code(self, run_id: str) -> str | None:
        """Thread-safe: a runnable Keras script that rebuilds and trains this run (None: the
        problem offers none)."""
        return None

    def state_at(self, epoch: int) -> SavedState | None:
        """Thread-safe: the state after `epoch`, to fork a run from (None: not kept)."""
        return None

    def export_guide(self) -> ModelGuide | None:
        """How to feed the exported model (see `exporter.guide`). Every problem should say;
        without it the export is the model and metadata alone, no page and no snippets."""
        return None

    def close(self) -> None:
        """Give the trainer back (to its pool, if it came from one)."""
        if self._trainer is not None:
            self._release(self._trainer)
            self._trainer = None

    def rest(self) -> None:
        """On one machine a resting job holds nothing that only training needs."""

    def _release(self, trainer: TrainerT) -> None:
        """A trainer built for this job alone is simply dropped."""

    def _require_trainer(self) -> TrainerT:
        if self._trainer is None:
            raise RuntimeError("the job has not started")
        return self._trainer


@dataclass(frozen=True)
class SavedState:
    """What `restore` takes: a run's epoch, weights, metrics and history."""

    epoch: int
    weights: list[np.ndarray]
    metrics: dict[str, Any]
    history: Any


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


class DenseNetworkJob(TrainingJob[Seat]):
    """A dense network trained through the scheduler: the playground's and fitting's job.

    Subclasses give their data (`_slot_data`) and may add metrics (`_extra_metrics`),
    snapshot fields (`_extra_snapshot`), history (`_extra_history`) and chunk pacing
    (`_chunk_epochs`, `_after_chunk`).
    """

    def __init__(self, architecture: Architecture, scheduler: Scheduler, *,
                 weights: list[np.ndarray], learning_rate: float, has_test_set: bool,
                 max_snapshot_rate: float) -> None:
        super().__init__()
        self.architecture = architecture
        self._scheduler = scheduler
        self._chunk = ChunkSizer(max_snapshot_rate)
        self._weights = weights
        self._learning_rate = learning_rate
        self._has_test_set = has_test_set
        self._losses: Losses | None = None
        # [epoch, trainLoss, testLoss] a few times a second, thinned as it grows.
        self._loss_history: list[list[float | None]] = []
        self._history_at = 0.0
        self._timeline = Timeline()  # weights at log-spaced epochs, for time travel
        self._quality: dict[str, float | None] = {}  # accuracies, where the problem has them
        self.pace = Pace("max")  # a problem that paces its runs sets its own
        self._position = 0.0  # where the pace allows the run to be, in epochs
        self._paced_at: float | None = None  # when the pace last advanced
        self._trained_at = 0.0  # when the last paced chunk was trained
        self._min_chunk_s = 1.0 / max_snapshot_rate

    # -- read from request threads -----------------------------------------------------

    def metrics(self) -> dict[str, Any]:
        """Thread-safe: the newest losses and rates, for summaries and saves."""
        with self._lock:
            return {
                "trainLoss": self._losses.train if self._losses else None,
                "testLoss": self._test_loss(self._losses),
                "learningRate": self._learning_rate,
                **self._quality,
                **self._extra_metrics(),
            }

    def history(self) -> dict[str, Any]:
        """Thread-safe: what the store saves besides weights (JSON, bounded in size)."""
        with self._lock:
            return {"losses": [list(row) for row in self._loss_history],
                    "timeline": self._timeline.to_json(),
                    **self._extra_history()}

    def timeline(self) -> list[dict[str, Any]]:
        with self._lock:
            moments = list(self._timeline.moments)
        return [moment.to_json() for moment in moments]

    def state_at(self, epoch: int) -> SavedState | None:
        """The kept state after `epoch` with the history up to it; the rates are today's."""
        with self._lock:
            moment = self._timeline.at(epoch)
            if moment is None:
                return None
            metrics = {"trainLoss": moment.metrics.get("trainLoss"),
                       "testLoss": moment.metrics.get("testLoss"),
                       "learningRate": self._learning_rate, **self._extra_metrics()}
            history = {"losses": [list(row) for row in self._loss_history if row[0] <= epoch],
                       "timeline": self._timeline.until(epoch).to_json(),
                       **self._extra_history()}
        return SavedState(epoch, [w.copy() for w in moment.weights], metrics, history)

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
            self._timeline = Timeline.from_json(saved.get("timeline"))
            self._position = float(epoch)
            self._restore_extra(metrics, saved)

    def export_key(self) -> object:
        """The same dense network, whatever its data: one export model serves them all."""
        arch = self.architecture
        return ("dense", arch.num_inputs, arch.hidden_layers, arch.activation,
                arch.output_activation, arch.outputs, arch.dropout)

    def build_export_model(self) -> keras.Model:
        """Request thread: a fresh Keras model of the same architecture, for exports."""
        arch = self.architecture
        return build_dense_model(arch.num_inputs, arch.hidden_layers, arch.activation,
                                 arch.output_activation, arch.outputs, arch.dropout)

    # -- the run's training thread ---------------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        """Take a seat in the scheduler with the data, weights and rates; publish.

        The first snapshot's losses come from NumPy: instant, even while the network's
        compiled trainer is still being compiled.
        """
        self._events = events
        data = self._slot_data()
        seat = self._trainer = self._scheduler.seat(self.architecture, data, self._weights,
                                                    self._learning_rate)
        seat.on_wait = self._notice
        self._configure(seat)
        arch = self.architecture
        losses = Losses(*(dense_losses(self._weights, x, y, arch.activation,
                                       arch.output_activation)
                          for x, y in ((data.x_train, data.y_train),
                                       (data.x_test, data.y_test))))
        return self._record(losses, 0, self._weights)

    def set_learning_rate(self, rate: float) -> None:
        self._require_trainer().set_learning_rate(rate)
        with self._lock:
            self._learning_rate = rate

    def set_pace(self, pace: Pace) -> None:
        """Training thread: the page's new pace; the run goes on from where it is."""
        self.pace = pace
        self._paced_at = None

    def train(self, *, single_step: bool) -> Progress:
        """Train one chunk (the scheduler sizes it, unless the problem or the pace paces
        it) or exactly one epoch; publish. A paced run with no epoch due yet waits a
        little and trains nothing (the run's thread then looks for changes and calls
        again)."""
        seat = self._require_trainer()
        if single_step:
            epochs: int | None = 1
        elif self.pace.paced:
            epochs = self._paced_epochs()
            if epochs == 0:
                with self._lock:
                    return Progress(self._epoch)
        else:
            epochs = self._chunk_epochs()
        started = time.perf_counter()
        trained = seat.train(epochs)
        elapsed = time.perf_counter() - started
        if not single_step and epochs is not None and not self.pace.paced:
            self._chunk.update(epochs, elapsed)
        progress = self._record(trained.losses, trained.epochs, trained.weights)
        if not single_step and not self.pace.paced:
            self._after_chunk(elapsed)
        return progress

    def _paced_epochs(self) -> int:
        """The whole epochs the pace allows now, at most `max_snapshot_rate` chunks a
        second; 0 after a short wait when none is due yet."""
        now = time.monotonic()
        if now - self._trained_at < self._min_chunk_s:
            time.sleep(self._min_chunk_s - (now - self._trained_at))
            now = time.monotonic()
        with self._lock:
            epoch = self._epoch
        position = max(self._position, float(epoch))  # steps and restores move it on
        if self._paced_at is not None:
            position = self.pace.advance(position, now - self._paced_at)
        elif epoch == 0:
            position = self.pace.advance(position, 0.0)  # a new run's first epoch: at once
        self._paced_at, self._position = now, position
        due = math.floor(position) - epoch
        if due <= 0:
            time.sleep(min(self.pace.wait_for(position, epoch + 1), 0.1))
            return 0
        self._trained_at = now
        return due

    def publish(self) -> None:
        """Publish the current state (after changes while paused)."""
        trained = self._require_trainer().train(0)
        self._record(trained.losses, 0, trained.weights)

    def _release(self, seat: Seat) -> None:
        seat.leave()

    def _notice(self, message: str) -> None:
        """Why the next snapshot is late (a compilation): a `notice` event the page shows."""
        if self._events is not None:
            self._events.publish("notice", {"message": message})

    def _test_loss(self, losses: Losses | None) -> float | None:
        """No test points (100% training): no test loss, rather than the trainer's 0."""
        return losses.test if losses and self._has_test_set else None

    def _record(self, losses: Losses, epochs: int, weights: list[np.ndarray]) -> Progress:
        """Keep and publish the newest state; unhealthy when the loss blew up."""
        healthy = math.isfinite(losses.train) and math.isfinite(losses.test)
        quality = self._measure_quality(weights) if healthy else {}
        with self._lock:
            self._epoch += epochs
            self._losses = losses
            if healthy:
                self._weights = weights
                self._quality = quality
                self._timeline.add(self._epoch, {"trainLoss": losses.train,
                                                 "testLoss": self._test_loss(losses),
                                                 **quality}, weights)
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
                **self._quality,
                **self._extra_snapshot(),
                "weights": [[weights[i].tolist(), weights[i + 1].tolist()]
                            for i in range(0, len(weights), 2)],
            }
        if self._events is not None:
            self._events.publish("snapshot", snapshot, coalesce=True)
        return Progress(snapshot["epoch"], healthy=healthy)

    # -- what a problem adds (defaults: nothing) -------------------------------------------

    def _slot_data(self) -> SlotData:
        raise NotImplementedError

    def _configure(self, seat: Seat) -> None:
        """Training thread, at start: anything besides data, weights and learning rate."""

    def _measure_quality(self, weights: list[np.ndarray]) -> dict[str, float | None]:
        """Training thread, with every healthy state: metrics besides the losses
        (classification: the share of points classified right)."""
        return {}

    def _chunk_epochs(self) -> int | None:
        """Epochs for the next chunk; None lets the scheduler size it for its stack."""
        return None

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
