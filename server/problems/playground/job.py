"""The playground's job: a small fully connected network on one of the 2-D data sets."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from exporter.guide import ModelGuide, spread
from server.problems.playground.choices import BATCH_SIZE, INPUT_RANGE, OPTIMIZERS
from server.problems.playground.datasets import DATASETS, Split
from server.problems.playground.features import FEATURES, feature_matrix
from server.problems.playground.keras_code import keras_script
from server.problems.playground.many_classes import (
    MANY_CLASS_DATASETS,
    generate_any,
    split_points,
)
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
        activation=spec.keras_activation,
        output_activation=spec.output_activation,
        capacity=capacity_for(max(len(split.train), len(split.test))),
        batch_capacity=int(BATCH_SIZE.max),
        optimizer=spec.optimizer,
        outputs=spec.outputs,
        dropout=spec.dropout,
    )


def make_split(spec: PlaygroundSpec, seed: str) -> Split:
    """The run's points: drawn ones, or the data set's, shuffled and split by `seed`."""
    if spec.points:
        return split_points(spec.points, spec.perc_train_data, seed)
    return generate_any(spec.dataset_key, spec.noise, spec.perc_train_data, seed)


class PlaygroundJob(DenseNetworkJob):
    """Trains a playground network with a pooled, compiled `EpochTrainer`."""

    def __init__(self, spec: PlaygroundSpec, scheduler: Scheduler, *,
                 max_snapshot_rate: float) -> None:
        self.spec = spec
        self.split: Split = make_split(spec, spec.seed)
        self.features = list(spec.features)
        architecture = architecture_of(spec, self.split)
        weights = initial_weights(architecture.num_inputs, architecture.hidden_layers,
                                  np.random.default_rng(), architecture.outputs)
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
            "classes": self.spec.classes,
            "train": split.train.tolist(),
            "test": split.test.tolist(),
        }

    def export_metadata(self) -> dict[str, Any]:
        """What metadata.json says besides the guide's input and output: the run's settings
        and losses."""
        classes = self.spec.classes
        metrics = self.metrics()
        return {
            "spec": self.spec.to_json(),
            "features": self.features,
            "inputRange": list(INPUT_RANGE),
            "classes": classes,
            "loss": ("sparse categorical cross-entropy" if classes > 2
                     else "0.5 * mean squared error"),
            "optimizer": self.spec.optimizer,
            "dropout": self.spec.dropout,
            "trainLoss": metrics["trainLoss"],
            "testLoss": metrics["testLoss"],
        }

    def keras_code(self, run_id: str) -> str:
        with self._lock:
            spec, split = self.spec, self.split
            rate, reg_rate = self._learning_rate, self._regularization_rate
        return keras_script(run_id, spec, split, rate, reg_rate, spec.optimizer)

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
        classes = self.spec.classes
        output = (
            f"shape [n, {classes}], per point the probability of each class 0…{classes - 1} "
            "(softmax): the largest is the model's class, its value how sure it is"
            if classes > 2 else
            "shape [n, 1], one number per point in [-1, 1] (tanh): > 0 is class +1 (blue), "
            "< 0 class -1 (orange); the further from 0, the surer the model"
            if classification else
            "shape [n, 1], one number per point: the predicted value (the data's labels lie in "
            "[-1, 1])")
        arch = self.architecture
        shape = "-".join(str(n) for n in arch.hidden_layers) or "no hidden layer"
        return ModelGuide(
            title=(f"Playground: {self._data_label()} "
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
            page={"problemType": self.spec.problem, "features": keys, "classes": classes,
                  "inputRange": list(INPUT_RANGE), "train": self.split.train.tolist(),
                  "test": self.split.test.tolist()},
        )

    def _data_label(self) -> str:
        if self.spec.points:
            return f"your {len(self.spec.points)} points"
        key = self.spec.dataset_key
        info = DATASETS.get(key) or MANY_CLASS_DATASETS[key]
        return info.label

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
        if "optimizer" in changes and changes["optimizer"] != self.spec.optimizer:
            self._switch_optimizer(changes["optimizer"])
        edits = changes.get("weights", []), changes.get("biases", [])
        if any(edits):
            weights = [w.copy() for w in seat.weights]
            for edit in edits[0]:
                weights[2 * edit["layer"]][edit["input"], edit["unit"]] = edit["value"]
            for edit in edits[1]:
                weights[2 * edit["layer"] + 1][edit["unit"]] = edit["value"]
            seat.set_weights(weights)

    def _switch_optimizer(self, key: str) -> None:
        """Another optimizer from now on: the weights and the epoch stay, the optimizer's
        state (momentum, running averages, step count) starts fresh — the page says so."""
        architecture = dataclasses.replace(self.architecture, optimizer=key)
        seat = self._require_trainer()
        self._scheduler.reseat(seat, architecture)
        # One notice says both (a compilation notice would replace this one on the page).
        compiling = seat.own_uncompiled
        seat.own_uncompiled = False
        with self._lock:
            self.architecture = architecture
            self.spec = dataclasses.replace(self.spec, optimizer=key)
        label = next(label for k, label, _ in OPTIMIZERS if k == key)
        self._notice(f"Optimizer now {label}: the network keeps its weights; the optimizer "
                     f"starts with a fresh state (no momentum or averages yet)"
                     + ("; compiling it for this network takes a second or two"
                        if compiling else ""))

    def _regenerate(self, seed: str) -> None:
        """New points from a new seed (the classic's Regenerate): the same data set, noise
        and ratio, so the same sizes; the network, its weights and its epoch stay."""
        spec = dataclasses.replace(self.spec, seed=seed)
        split = make_split(spec, seed)
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
