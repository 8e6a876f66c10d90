"""The playground's job: a small fully connected network on one of the 2-D data sets."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from exporter.guide import ModelGuide, spread
from server.problems.playground.choices import BATCH_SIZE, INPUT_RANGE
from server.problems.playground.datasets import DATASETS, Split, generate
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
        """What metadata.json says besides the guide's input and output: the run's settings
        and losses."""
        metrics = self.metrics()
        return {
            "spec": self.spec.to_json(),
            "features": self.features,
            "inputRange": list(INPUT_RANGE),
            "loss": "0.5 * mean squared error",
            "trainLoss": metrics["trainLoss"],
            "testLoss": metrics["testLoss"],
        }

    def export_guide(self) -> ModelGuide:
        """How to feed the exported model: features of (x1, x2) in the fixed order, unscaled.

        The examples are the run's test points (its training points when it has none).
        """
        features = [feature for feature in FEATURES if feature.key in self.features]
        keys = [feature.key for feature in features]
        expressions = [feature.expression for feature in features]
        pool = self.split.test if len(self.split.test) else self.split.train
        points = pool[spread(len(pool)), :2]
        low, high = INPUT_RANGE
        python_row = ", ".join(e.replace("sin(", "np.sin(") for e in expressions)
        js_row = ", ".join(e.replace("sin(", "Math.sin(") for e in expressions)
        classification = self.spec.problem == "classification"
        output = (
            "shape [n, 1], one number per point in [-1, 1] (tanh): > 0 is class +1 (blue), "
            "< 0 class -1 (orange); the further from 0, the surer the model"
            if classification else
            "shape [n, 1], one number per point: the predicted value (the data's labels lie in "
            "[-1, 1])")
        arch = self.architecture
        shape = "-".join(str(n) for n in arch.hidden_layers) or "no hidden layer"
        return ModelGuide(
            title=(f"Playground: {DATASETS[self.spec.dataset_key].label} "
                   f"({self.spec.problem}), features {', '.join(expressions)}, "
                   f"network {shape} {arch.activation}"),
            view="export-playground.js",
            raw_input=f"a point (x1, x2), each in [{low:g}, {high:g}]",
            input_shape=(len(keys),),
            preparation=(
                f"Compute these {len(keys)} features of each point, in this order: "
                f"{', '.join(expressions)}"
                + (" (sin in radians)." if any("sin" in e for e in expressions) else "."),
                "Leave them unscaled: the network was trained on these values as they are.",
                f"Stack them into an array of {len(keys)} columns, one row per point, float32.",
            ),
            output=output,
            examples=points.tolist(),
            model_inputs=feature_matrix(points, keys),
            python=(f"x = np.array([[{python_row}] for x1, x2 in inputs], "
                    f"dtype=\"float32\")  # shape [n, {len(keys)}]"),
            javascript=(f"const features = ([x1, x2]) => [{js_row}];\n"
                        f"const x = tf.tensor2d(inputs.map(features), [inputs.length, "
                        f"{len(keys)}], \"float32\");"),
            page={"problemType": self.spec.problem, "features": keys,
                  "inputRange": list(INPUT_RANGE), "train": self.split.train.tolist(),
                  "test": self.split.test.tolist()},
        )

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
