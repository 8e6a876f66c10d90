"""Validating a playground spec: the classic playground's URL keys, each checked with a reason.

A spec is accepted whole or rejected with the first field that is wrong, so a
bad request never starts anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.config import Config
from server.problems.playground import choices
from server.problems.playground.datasets import DATASETS
from server.problems.playground.features import FEATURES
from server.problems.playground.many_classes import MANY_CLASS_DATASETS, classes_in, classes_of
from server.training.pace import PACES
from server.values import (
    Limit,
    SpecError,
    boolean,
    choice,
    new_seed,
    number,
    seed_text,
    whole_number,
)

FEATURE_KEYS = tuple(key for key, _, _ in FEATURES)
FIELDS = ("problem", *choices.DEFAULTS.keys() - {"problem"}, "seed", "frameRate")
PATCH_FIELDS = ("learningRate", "regularizationRate", "weights", "biases", "seed", "pace",
                "frameRate", "optimizer")
OPTIMIZER_KEYS = tuple(key for key, _, _ in choices.OPTIMIZERS)


@dataclass(frozen=True)
class PlaygroundSpec:
    """A validated spec with every field filled in (defaults for those left out)."""

    problem: str  # the classic's problem type: "classification" or "regression"
    dataset: str
    reg_dataset: str
    noise: float  # a whole number stays an int, so the spec reads back as it was sent
    perc_train_data: float
    seed: str
    batch_size: int
    features: tuple[str, ...]  # the selected feature keys, in the network's input order
    network_shape: tuple[int, ...]
    activation: str
    regularization: str
    regularization_rate: float
    learning_rate: float
    init_zero: bool = False
    pace: str = "log"
    frame_rate: float = 60.0
    optimizer: str = "sgd"
    dropout: float = 0.0
    points: tuple[tuple[float, float, int], ...] = ()  # drawn points; empty: the data set's

    @property
    def classes(self) -> int:
        """Classes of a classification run (2: the classic's ±1 labels); 1 for regression."""
        if self.problem != "classification":
            return 1
        return classes_in(self.points) if self.points else classes_of(self.dataset)

    @property
    def outputs(self) -> int:
        """Output neurons: one, or one per class for three classes or more (softmax)."""
        return self.classes if self.classes > 2 else 1

    @property
    def dataset_key(self) -> str:
        """The data set in use: `dataset` or `regDataset`, by problem, as the playground does."""
        return self.dataset if self.problem == "classification" else self.reg_dataset

    @property
    def output_activation(self) -> str:
        if self.outputs > 1:
            return choices.MANY_CLASS_OUTPUT_ACTIVATION
        return choices.OUTPUT_ACTIVATION[self.problem]

    @property
    def keras_activation(self) -> str:
        """The hidden layers' activation by its Keras name (`leakyRelu` → `leaky_relu`)."""
        return choices.KERAS_ACTIVATION[self.activation]

    def to_json(self) -> dict[str, Any]:
        """The spec in the playground's URL keys; parsing it again gives this spec."""
        return {
            "problem": self.problem,
            "dataset": self.dataset,
            "regDataset": self.reg_dataset,
            "noise": self.noise,
            "percTrainData": self.perc_train_data,
            "seed": self.seed,
            "batchSize": self.batch_size,
            **{key: key in self.features for key in FEATURE_KEYS},
            "networkShape": list(self.network_shape),
            "activation": self.activation,
            "regularization": self.regularization,
            "regularizationRate": self.regularization_rate,
            "learningRate": self.learning_rate,
            "initZero": self.init_zero,
            "pace": self.pace,
            "frameRate": self.frame_rate,
            "optimizer": self.optimizer,
            "dropout": self.dropout,
            "points": [list(point) for point in self.points],
        }


def _network_shape(value: Any, config: Config) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise SpecError("networkShape", "must be a list of neuron counts, e.g. [4, 2]")
    if len(value) > config.max_hidden_layers:
        raise SpecError(
            "networkShape", f"at most {config.max_hidden_layers} hidden layers, got {len(value)}"
        )
    return tuple(
        whole_number("networkShape", units, 1, config.max_neurons) for units in value
    )


def parse_points(value: Any) -> tuple[tuple[float, float, int], ...]:
    """Drawn points `[[x1, x2, class], …]`: at most `MAX_POINTS`, inside the input range,
    classes 0…MAX_CLASSES-1."""
    field = "points"
    if not isinstance(value, list):
        raise SpecError(field, "must be a list of [x1, x2, class] points")
    if len(value) > choices.MAX_POINTS:
        raise SpecError(field, f"at most {choices.MAX_POINTS} points, got {len(value)}")
    low, high = choices.INPUT_RANGE
    points = []
    for index, point in enumerate(value):
        where = f"point {index + 1}"
        if not isinstance(point, list) or len(point) != 3:
            raise SpecError(field, f"{where} must be [x1, x2, class]")
        try:
            x1 = number(field, point[0], low, high)
            x2 = number(field, point[1], low, high)
        except SpecError as error:
            raise SpecError(field, f"{where}: x1 and x2 {error.reason}") from None
        try:
            label = whole_number(field, point[2], 0, choices.MAX_CLASSES - 1)
        except SpecError:
            raise SpecError(field, f"{where}: the class must be a whole number from 0 to "
                                   f"{choices.MAX_CLASSES - 1}") from None
        points.append((x1, x2, label))
    if len(points) == 1:
        raise SpecError(field, "draw at least two points (or none, to use the data set)")
    return tuple(points)


def parse_pace(value: Any) -> str:
    return choice("pace", value, [key for key, _ in PACES])


def _link_number(limit: Limit, field: str, value: Any) -> float:
    """Any number in the limit's range, not only the slider's steps: a classic link's
    `noise=12` or `percTrainData=33` gives the classic's data. Whole numbers stay ints."""
    checked = limit.check(field, value)
    return int(checked) if float(checked).is_integer() else checked


def parse_playground_spec(raw: dict[str, Any], config: Config) -> PlaygroundSpec:
    """Check a JSON spec against the catalogue; fill in defaults and a fresh seed.

    `problem` is the classic's problem type; the plug-in's own name means the default.
    """
    if raw.get("problem") == "playground":
        raw = {key: value for key, value in raw.items() if key != "problem"}
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), "unknown field")
    merged = {**choices.DEFAULTS, **raw}
    classification = [*(k for k, info in DATASETS.items() if info.problem == "classification"),
                      *MANY_CLASS_DATASETS]
    regression = [k for k, info in DATASETS.items() if info.problem == "regression"]
    spec = PlaygroundSpec(
        problem=choice("problem", merged["problem"], [k for k, _ in choices.PROBLEM_TYPES]),
        dataset=choice("dataset", merged["dataset"], classification),
        reg_dataset=choice("regDataset", merged["regDataset"], regression),
        noise=_link_number(choices.NOISE, "noise", merged["noise"]),
        perc_train_data=_link_number(choices.PERC_TRAIN_DATA, "percTrainData",
                                     merged["percTrainData"]),
        seed=(seed_text("seed", merged["seed"], choices.MAX_SEED_LENGTH) if "seed" in raw
              else new_seed()),
        batch_size=choices.BATCH_SIZE.check("batchSize", merged["batchSize"]),
        features=tuple(key for key in FEATURE_KEYS if boolean(key, merged[key])),
        network_shape=_network_shape(merged["networkShape"], config),
        activation=choice("activation", merged["activation"],
                          [k for k, _ in choices.ACTIVATIONS]),
        regularization=choice("regularization", merged["regularization"],
                              [k for k, _ in choices.REGULARIZATIONS]),
        regularization_rate=choices.REGULARIZATION_RATE.check("regularizationRate",
                                                              merged["regularizationRate"]),
        learning_rate=choices.LEARNING_RATE.check("learningRate", merged["learningRate"]),
        init_zero=boolean("initZero", merged["initZero"]),
        pace=parse_pace(merged["pace"]),
        frame_rate=choices.FRAME_RATE.check("frameRate",
                                            merged.get("frameRate", choices.FRAME_RATE.default)),
        optimizer=choice("optimizer", merged["optimizer"], OPTIMIZER_KEYS),
        dropout=choices.DROPOUT.check("dropout", merged["dropout"]),
        points=parse_points(merged["points"]),
    )
    if spec.points and spec.problem != "classification":
        raise SpecError("points", "drawn points are classes: use them with problem "
                                  "classification")
    if not spec.features:
        raise SpecError("x", "turn on at least one input feature (x, y, xSquared, …)")
    return spec
