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
from server.training.pace import PACES
from server.values import Limit, SpecError, boolean, choice, new_seed, seed_text, whole_number

FEATURE_KEYS = tuple(key for key, _, _ in FEATURES)
FIELDS = ("problem", *choices.DEFAULTS.keys() - {"problem"}, "seed", "frameRate")
PATCH_FIELDS = ("learningRate", "regularizationRate", "weights", "biases", "seed", "pace",
                "frameRate")


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

    @property
    def dataset_key(self) -> str:
        """The data set in use: `dataset` or `regDataset`, by problem, as the playground does."""
        return self.dataset if self.problem == "classification" else self.reg_dataset

    @property
    def output_activation(self) -> str:
        return choices.OUTPUT_ACTIVATION[self.problem]

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
    classification = [k for k, info in DATASETS.items() if info.problem == "classification"]
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
    )
    if not spec.features:
        raise SpecError("x", "turn on at least one input feature (x, y, xSquared, …)")
    return spec
