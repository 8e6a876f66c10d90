"""The playground's job: a small fully connected network on one of the 2-D data sets."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from server.problems.playground.choices import BATCH_SIZE, INPUT_RANGE
from server.problems.playground.datasets import Split, generate
from server.problems.playground.features import FEATURES, feature_matrix
from server.problems.playground.spec import PlaygroundSpec
from server.training.dense import initial_weights, sign_accuracy
from server.training.engine import Architecture, capacity_for
from server.training.job import DenseNetworkJob
from server.training.pace import Pace
from server.training.scheduler import Scheduler, Seat
from server.training.stack import SlotData


def architecture_of(spec: PlaygroundSpec, split: Split) -> Architecture:
    """What the compiled trainer depends on: capacity holds the larger set."""
    return Architecture(
        num_inputs=len(spec.features),
        hidden_layers=spec.network_shape,
        activation=spec.activation,
        output_activation=spec.output_activation,
        capacity=capacity_for(max(len(split.train), len(split.test))),
        batch_capacity=int(BATCH_SIZE.max),
    )


class PlaygroundJob(DenseNetworkJob):
    """Trains a playground network with a pooled, compiled `EpochTrainer`."""

    def __init__(self, spec: PlaygroundSpec, scheduler: Scheduler, *,
                 max_snapshot_rate: float) -> None:
        self.spec = spec
        self.split: Split = generate(spec.dataset_key, spec.noise, spec.perc_train_data,
                                     spec.seed)
        self.features = list(spec.features)
        architecture = architecture_of(spec, self.split)
        weights = initial_weights(architecture.num_inputs, architecture.hidden_layers,
                                  np.random.default_rng())
        if spec.init_zero:
            weights = [np.zeros_like(w) for w in weights]
        super().__init__(
            architecture, scheduler, weights=weights,
            learning_rate=spec.learning_rate, has_test_set=len(self.split.test) > 0,
            max_snapshot_rate=max_snapshot_rate,
        )
        self._regularization_rate = spec.regularization_rate
        self.pace = Pace(spec.pace, spec.frame_rate)
        self._data = self._make_slot_data()

    # -- read from request threads -----------------------------------------------------

    def describe(self) -> dict[str, Any]:
        with self._lock:
            split = self.split
        return {
            "features": self.features,
            "train": split.train.tolist(),
            "test": split.test.tolist(),
        }

    def export_metadata(self) -> dict[str, Any]:
        """What a downloaded model needs to be used correctly, away from this server."""
        output = (
            "one tanh output in [-1, 1]: > 0 is class +1 (blue), < 0 class -1 (orange)"
            if self.spec.problem == "classification"
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

    def apply(self, changes: dict[str, Any]) -> None:
        seat = self._require_trainer()
        if "learningRate" in changes:
            self.set_learning_rate(changes["learningRate"])
        if "regularizationRate" in changes:
            seat.set_regularization(self.spec.regularization, changes["regularizationRate"])
            with self._lock:
                self._regularization_rate = changes["regularizationRate"]
        if "pace" in changes or "frameRate" in changes:
            self.set_pace(Pace(changes.get("pace", self.pace.kind),
                               changes.get("frameRate", self.pace.frame_rate)))
        if "seed" in changes:
            self._regenerate(changes["seed"])
        edits = changes.get("weights", []), changes.get("biases", [])
        if any(edits):
            weights = [w.copy() for w in seat.weights]
            for edit in edits[0]:
                weights[2 * edit["layer"]][edit["input"], edit["unit"]] = edit["value"]
            for edit in edits[1]:
                weights[2 * edit["layer"] + 1][edit["unit"]] = edit["value"]
            seat.set_weights(weights)

    def _regenerate(self, seed: str) -> None:
        """New points from a new seed (the classic's Regenerate): the same data set, noise
        and ratio, so the same sizes; the network, its weights and its epoch stay."""
        spec = dataclasses.replace(self.spec, seed=seed)
        split = generate(spec.dataset_key, spec.noise, spec.perc_train_data, seed)
        with self._lock:
            self.spec, self.split = spec, split
            self._data = self._make_slot_data()
        self._require_trainer().set_data(self._data)

    def _make_slot_data(self) -> SlotData:
        train, test = self.split.train, self.split.test
        return SlotData(feature_matrix(train, self.features), train[:, 2],
                        feature_matrix(test, self.features), test[:, 2], self.spec.batch_size)

    def _slot_data(self) -> SlotData:
        return self._data

    def _measure_quality(self, weights: list[np.ndarray]) -> dict[str, float | None]:
        """Classification: the share of training and test points on the right side."""
        if self.spec.problem != "classification":
            return {}
        data, arch = self._data, self.architecture
        return {
            "trainAccuracy": sign_accuracy(weights, data.x_train, data.y_train,
                                           arch.activation, arch.output_activation),
            "testAccuracy": sign_accuracy(weights, data.x_test, data.y_test,
                                          arch.activation, arch.output_activation),
        }

    def _configure(self, seat: Seat) -> None:
        seat.set_regularization(self.spec.regularization, self._regularization_rate)

    def _extra_metrics(self) -> dict[str, Any]:
        return {"regularizationRate": self._regularization_rate}

    _extra_snapshot = _extra_metrics

    def _restore_extra(self, metrics: dict[str, Any], history: dict[str, Any]) -> None:
        self._regularization_rate = metrics.get("regularizationRate", self._regularization_rate)
