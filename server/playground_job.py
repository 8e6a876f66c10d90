"""The playground's job: a small fully connected network on one of the 2-D data sets."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import keras
import numpy as np

from server.catalog import INPUT_RANGE
from server.datasets import Split, generate
from server.engine import Architecture, EpochTrainer, Losses, TrainerPool, capacity_for
from server.events import EventLog
from server.features import FEATURES, feature_matrix
from server.network import build_playground_model, initial_weights
from server.runs import Progress
from server.spec import PlaygroundSpec

HISTORY_PERIOD_S = 0.25
MAX_HISTORY = 4000


def architecture_for(spec: PlaygroundSpec, num_points: int) -> Architecture:
    return Architecture(
        num_inputs=len(spec.features),
        hidden_layers=tuple(spec["networkShape"]),
        activation=spec["activation"],
        output_activation=spec.output_activation,
        capacity=capacity_for(num_points),
    )


def _points(rows: np.ndarray) -> list[list[float]]:
    return rows.tolist()


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


class PooledTrainerJob:
    """What jobs that train on a pooled `EpochTrainer` share: checking it out and back."""

    _pool: TrainerPool
    _trainer: EpochTrainer | None = None

    def _acquire(self, architecture: Architecture) -> EpochTrainer:
        self._trainer = self._pool.acquire(architecture)
        return self._trainer

    def _require_trainer(self) -> EpochTrainer:
        if self._trainer is None:
            raise RuntimeError("the job has not started")
        return self._trainer

    def publish(self) -> None:
        self._record(self._require_trainer().evaluate(), 0)

    def close(self) -> None:
        if self._trainer is not None:
            self._pool.release(self._trainer)
            self._trainer = None

    def _record(self, losses: Losses, epochs: int) -> Progress:
        raise NotImplementedError


class PlaygroundJob(PooledTrainerJob):
    """Trains a playground network with a pooled, compiled `EpochTrainer`."""

    def __init__(self, spec: PlaygroundSpec, pool: TrainerPool, *,
                 max_snapshot_rate: float) -> None:
        self.spec = spec
        self.split: Split = generate(
            spec.dataset_key, spec["noise"], spec["percTrainData"], spec["seed"]
        )
        self.features = spec.features
        self.architecture = architecture_for(
            spec, max(len(self.split.train), len(self.split.test))
        )
        self._pool = pool
        self._chunk = ChunkSizer(max_snapshot_rate)
        self._trainer = None
        self._events: EventLog | None = None
        self._lock = threading.Lock()
        self._epoch = 0
        self._losses: Losses | None = None
        self._rates = (float(spec["learningRate"]), float(spec["regularizationRate"]))
        self._weights = initial_weights(
            self.architecture.num_inputs, self.architecture.hidden_layers,
            np.random.default_rng(),
        )
        # [epoch, trainLoss, testLoss] a few times a second, thinned as it grows.
        self._history: list[list[float]] = []
        self._history_at = 0.0

    # -- read from request threads -----------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "train": _points(self.split.train),
            "test": _points(self.split.test),
        }

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            return {
                "trainLoss": self._losses.train if self._losses else None,
                "testLoss": self._losses.test if self._losses else None,
                "learningRate": self._rates[0],
                "regularizationRate": self._rates[1],
            }

    def latest_weights(self) -> tuple[int, list[np.ndarray]]:
        with self._lock:
            return self._epoch, [w.copy() for w in self._weights]

    def history(self) -> list[list[float]]:
        with self._lock:
            return [list(row) for row in self._history]

    def restore(self, epoch: int, weights: list[np.ndarray], metrics: dict[str, Any],
                history: Any) -> None:
        with self._lock:
            self._epoch = epoch
            if weights:
                self._weights = weights
            if metrics.get("trainLoss") is not None and metrics.get("testLoss") is not None:
                self._losses = Losses(metrics["trainLoss"], metrics["testLoss"])
            self._rates = (metrics.get("learningRate", self._rates[0]),
                           metrics.get("regularizationRate", self._rates[1]))
            self._history = list(history or [])

    def build_export_model(self) -> keras.Model:
        arch = self.architecture
        return build_playground_model(
            arch.num_inputs, arch.hidden_layers, arch.activation, arch.output_activation
        )

    def export_metadata(self) -> dict[str, Any]:
        """What a downloaded model needs to be used correctly, away from this server."""
        output = (
            "one tanh output in [-1, 1]: > 0 is class +1 (blue), < 0 class -1 (orange)"
            if self.spec["problem"] == "classification"
            else "one linear output: the predicted value (labels lie near [-1, 1])"
        )
        metrics = self.metrics()
        return {
            "spec": self.spec.to_json(),
            "features": self.features,
            "featureExpressions": {
                key: expression for key, _, expression in FEATURES if key in self.features
            },
            "inputOrder": "columns are the features above, in that order, computed from (x1, x2)",
            "inputRange": list(INPUT_RANGE),
            "output": output,
            "loss": "0.5 * mean squared error",
            "trainLoss": metrics["trainLoss"],
            "testLoss": metrics["testLoss"],
        }

    # -- the run's training thread ---------------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        self._events = events
        trainer = self._acquire(self.architecture)
        trainer.load_data(
            feature_matrix(self.split.train, self.features), self.split.train[:, 2],
            feature_matrix(self.split.test, self.features), self.split.test[:, 2],
            self.spec["batchSize"],
        )
        trainer.set_weights(self._weights)
        trainer.reset_optimizer()
        trainer.set_learning_rate(self._rates[0])
        trainer.set_regularization(self.spec["regularization"], self._rates[1])
        # The initial network's losses without the compiled function (which may compile).
        return self._record(trainer.eager_losses(), 0)

    def apply(self, changes: dict[str, Any]) -> None:
        trainer = self._require_trainer()
        learning_rate, regularization_rate = self._rates
        if "learningRate" in changes:
            learning_rate = changes["learningRate"]
            trainer.set_learning_rate(learning_rate)
        if "regularizationRate" in changes:
            regularization_rate = changes["regularizationRate"]
            trainer.set_regularization(self.spec["regularization"], regularization_rate)
        with self._lock:
            self._rates = (learning_rate, regularization_rate)
        edits = changes.get("weights", []), changes.get("biases", [])
        if any(edits):
            weights = trainer.get_weights()
            for edit in edits[0]:
                weights[2 * edit["layer"]][edit["input"], edit["unit"]] = edit["value"]
            for edit in edits[1]:
                weights[2 * edit["layer"] + 1][edit["unit"]] = edit["value"]
            trainer.set_weights(weights)

    def train(self, *, single_step: bool) -> Progress:
        trainer = self._require_trainer()
        epochs = 1 if single_step else self._chunk.epochs
        started = time.perf_counter()
        losses = trainer.train(epochs)
        if not single_step:
            self._chunk.update(epochs, time.perf_counter() - started)
        return self._record(losses, epochs)

    def _record(self, losses: Losses, epochs: int) -> Progress:
        """Keep and publish the newest state; unhealthy when the loss blew up."""
        weights = self._require_trainer().get_weights()
        healthy = math.isfinite(losses.train) and math.isfinite(losses.test)
        with self._lock:
            self._epoch += epochs
            self._losses = losses
            if healthy:
                self._weights = weights
            epoch = self._epoch
            learning_rate, regularization_rate = self._rates
            now = time.monotonic()
            if healthy and (epochs == 1 or now - self._history_at >= HISTORY_PERIOD_S):
                self._history_at = now
                self._history.append([epoch, losses.train, losses.test])
                if len(self._history) > MAX_HISTORY:
                    self._history = self._history[::2]
        if self._events is not None:
            self._events.publish(
                "snapshot",
                {
                    "epoch": epoch,
                    "trainLoss": losses.train,
                    "testLoss": losses.test,
                    "learningRate": learning_rate,
                    "regularizationRate": regularization_rate,
                    "weights": [
                        [weights[i].tolist(), weights[i + 1].tolist()]
                        for i in range(0, len(weights), 2)
                    ],
                },
                coalesce=True,
            )
        return Progress(epoch, healthy=healthy)
