"""The curve job: a line or a small network on one input, trained by the shared `EpochTrainer`.

Full-batch training, as the talks do it: every epoch is one step on all the
training points, so the trainer's batch window holds the whole set
(`batch_capacity == capacity`). The input is normalised here, before the trainer
sees it, when the spec asks; `describe()` and the export say how, so the page and
a downloaded model map x the same way.

Epochs are cheap (a line on 15 points trains millions a second), so a run that
went as fast as it can would cross the loss surface between two frames. Chunks
therefore grow with the epochs since the run started or its rate changed (at
most 5% more each time) and at most `max_snapshot_rate` chunks run a second: the
first epochs play out one per frame, later ones ever faster, up to full speed.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import keras
import numpy as np

from server.curve import data
from server.curve.choices import LOSS
from server.curve.data import Normalization, Points, Split
from server.curve.spec import CurveSpec
from server.engine import Architecture, Losses, TrainerPool, capacity_for
from server.events import EventLog
from server.network import build_playground_model, initial_weights
from server.playground_job import ChunkSizer, PooledTrainerJob
from server.runs import Progress

SMALLEST_CAPACITY = 16  # the crickets fit; sizes double from here up to 16,384 (10,000 rows)
RAMP = 20  # a chunk is at most 1/RAMP of the epochs since the last start or rate change
MAX_PATH = 400  # (epoch, W, b) points kept for the loss-surface view
MAX_HISTORY = 2000  # [epoch, trainLoss, testLoss] rows kept for the store


def load_points(spec: CurveSpec) -> Points:
    if spec.dataset == "mystery":
        assert spec.num_points is not None and spec.noise is not None
        return data.mystery(spec.num_points, spec.noise, spec.seed)
    if spec.dataset == "crickets":
        return data.crickets()
    assert spec.csv is not None
    return spec.csv


def architecture_for(spec: CurveSpec, split: Split) -> Architecture:
    """One input, a linear output; capacity and batch window hold the larger set whole."""
    capacity = capacity_for(max(len(split.train), len(split.test)), smallest=SMALLEST_CAPACITY)
    return Architecture(
        num_inputs=1,
        hidden_layers=spec.hidden_layers,
        activation=spec.activation,
        output_activation="linear",
        capacity=capacity,
        batch_capacity=capacity,
        optimizer=spec.optimizer,
    )


def _pairs(points: Points) -> list[list[float]]:
    return np.column_stack([points.x, points.y]).tolist()


def _short(value: float) -> float:
    """Seven significant digits (float32 holds no more): keeps the path's JSON small."""
    return float(f"{value:.7g}")


class CurveJob(PooledTrainerJob):
    """Trains one curve run; the run's thread alone calls `start`, `apply`, `train`, `publish`."""

    def __init__(self, spec: CurveSpec, pool: TrainerPool, *, max_snapshot_rate: float) -> None:
        self.spec = spec
        self.split = data.split(load_points(spec), spec.perc_train, spec.seed)
        self.normalization: Normalization = data.normalization(self.split.train.x,
                                                               spec.normalize)
        self.architecture = architecture_for(spec, self.split)
        self._pool = pool
        self._min_chunk_s = 1.0 / max_snapshot_rate
        self._chunk = ChunkSizer(max_snapshot_rate)
        self._trainer = None
        self._events: EventLog | None = None
        self._lock = threading.Lock()
        self._epoch = 0
        self._ramp_from = 0  # the epoch of the last start or learning-rate change
        self._losses: Losses | None = None
        self._learning_rate = spec.learning_rate
        self._weights = initial_weights(1, spec.hidden_layers, data.rng(spec.seed, data.WEIGHTS))
        self._path: list[list[float]] = []
        # [epoch, trainLoss, testLoss] per chunk, thinned as it grows (for the store).
        self._loss_history: list[list[float | None]] = []

    @property
    def linear(self) -> bool:
        return self.spec.model == "linear"

    # -- read from request threads -----------------------------------------------------

    def describe(self) -> dict[str, Any]:
        train = self.split.train
        return {
            "dataset": self.spec.dataset,
            "model": self.spec.model,
            "train": _pairs(train),
            "test": _pairs(self.split.test),
            "xLabel": train.x_label,
            "yLabel": train.y_label,
            "normalization": self.normalization.to_json(),
            "layers": [1, *self.spec.hidden_layers, 1],
            "loss": LOSS,
        }

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = {
                "trainLoss": self._losses.train if self._losses else None,
                "testLoss": self._test_loss(self._losses),
                "learningRate": self._learning_rate,
            }
            if self.linear:
                out["W"] = float(self._weights[0][0, 0])
                out["b"] = float(self._weights[1][0])
            return out

    def latest_weights(self) -> tuple[int, list[np.ndarray]]:
        with self._lock:
            return self._epoch, [w.copy() for w in self._weights]

    def history(self) -> dict[str, Any]:
        """What the store saves besides weights: the loss history and the (W, b) path."""
        with self._lock:
            return {"losses": [list(row) for row in self._loss_history],
                    "path": [list(point) for point in self._path]}

    def restore(self, epoch: int, weights: list[np.ndarray], metrics: dict[str, Any],
                history: Any) -> None:
        """Continue a saved run (after a server restart) from its epoch and weights."""
        saved = history if isinstance(history, dict) else {}
        with self._lock:
            self._epoch = self._ramp_from = epoch
            if weights:
                self._weights = weights
            if metrics.get("trainLoss") is not None:
                test = metrics.get("testLoss")
                self._losses = Losses(metrics["trainLoss"], 0.0 if test is None else test)
            self._learning_rate = metrics.get("learningRate", self._learning_rate)
            self._loss_history = [list(row) for row in saved.get("losses", [])]
            self._path = [list(point) for point in saved.get("path", [])]

    def build_export_model(self) -> keras.Model:
        arch = self.architecture
        return build_playground_model(1, arch.hidden_layers, arch.activation, "linear")

    def export_metadata(self) -> dict[str, Any]:
        """What a downloaded model needs to be used correctly away from this server."""
        norm = self.normalization
        train = self.split.train
        if norm.enabled:
            model_input = (f"one column: x' = (x − {norm.mean:.10g}) / {norm.std:.10g}, where x "
                           f"is {train.x_label} (the training points' mean and standard "
                           "deviation)")
        else:
            model_input = f"one column: x, {train.x_label}, as measured (not normalised)"
        metadata: dict[str, Any] = {
            "spec": self.spec.to_json(),
            "input": model_input,
            "normalization": norm.to_json(),
            "output": f"one linear output: the predicted y, {train.y_label}",
            "loss": LOSS,
            "trainPoints": len(train),
            "testPoints": len(self.split.test),
            **self.metrics(),
        }
        if self.linear:
            _, weights = self.latest_weights()
            w, b = float(weights[0][0, 0]), float(weights[1][0])
            metadata["line"] = {
                "W": w, "b": b,
                "slope": w / norm.std, "intercept": b - w * norm.mean / norm.std,
                "meaning": "y = W·x' + b on the model's input; slope and intercept in raw x",
            }
        return metadata

    # -- the run's training thread ---------------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        self._events = events
        trainer = self._acquire(self.architecture)
        train, test = self.split.train, self.split.test
        norm = self.normalization
        trainer.load_data(norm.apply(train.x)[:, None], train.y,
                          norm.apply(test.x)[:, None], test.y, len(train))
        trainer.set_weights(self._weights)
        trainer.reset_optimizer()
        trainer.set_learning_rate(self._learning_rate)
        trainer.set_regularization("none", 0.0)
        return self._record(trainer.eager_losses(), 0)

    def apply(self, changes: dict[str, Any]) -> None:
        if "learningRate" in changes:
            self._require_trainer().set_learning_rate(changes["learningRate"])
            with self._lock:
                self._learning_rate = changes["learningRate"]
                self._ramp_from = self._epoch

    def train(self, *, single_step: bool) -> Progress:
        trainer = self._require_trainer()
        if single_step:
            return self._record(trainer.train(1), 1)
        epochs = max(1, min(self._chunk.epochs, (self._epoch - self._ramp_from) // RAMP))
        started = time.perf_counter()
        losses = trainer.train(epochs)
        elapsed = time.perf_counter() - started
        self._chunk.update(epochs, elapsed)
        progress = self._record(losses, epochs)
        if elapsed < self._min_chunk_s:  # small chunks: at most `max_snapshot_rate` a second
            time.sleep(self._min_chunk_s - elapsed)
        return progress

    def _test_loss(self, losses: Losses | None) -> float | None:
        """No test points (100% training): no test loss, rather than the trainer's 0."""
        return losses.test if losses and len(self.split.test) else None

    def _extend_path(self, epoch: int, weights: list[np.ndarray]) -> None:
        """Caller holds the lock. Halve the older points when the path is full."""
        point = [epoch, _short(float(weights[0][0, 0])), _short(float(weights[1][0]))]
        if self._path and self._path[-1][1:] == point[1:]:
            self._path[-1] = point  # no move (converged, or float32 has stalled)
            return
        self._path.append(point)
        if len(self._path) > MAX_PATH:
            self._path = [*self._path[:-1:2], self._path[-1]]

    def _record(self, losses: Losses, epochs: int) -> Progress:
        """Keep and publish the newest state; unhealthy when the loss blew up."""
        weights = self._require_trainer().get_weights()
        healthy = math.isfinite(losses.train) and math.isfinite(losses.test)
        with self._lock:
            self._epoch += epochs
            self._losses = losses
            if healthy:
                self._weights = weights
                if self.linear:
                    self._extend_path(self._epoch, weights)
                self._loss_history.append([self._epoch, losses.train, self._test_loss(losses)])
                if len(self._loss_history) > MAX_HISTORY:
                    self._loss_history = [*self._loss_history[:-1:2], self._loss_history[-1]]
            epoch = self._epoch
            learning_rate = self._learning_rate
            path = list(self._path) if self.linear else None
        if self._events is not None:
            snapshot: dict[str, Any] = {
                "epoch": epoch,
                "trainLoss": losses.train,
                "testLoss": self._test_loss(losses),
                "learningRate": learning_rate,
                "weights": [
                    [weights[i].tolist(), weights[i + 1].tolist()]
                    for i in range(0, len(weights), 2)
                ],
            }
            if path is not None:
                snapshot["path"] = path
            self._events.publish("snapshot", snapshot, coalesce=True)
        return Progress(epoch, healthy=healthy)
