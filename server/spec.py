"""Validating a run spec: the playground's URL keys, each checked with a reason a person can act on.

A spec is accepted whole or rejected with the first field that is wrong, so a
bad request never starts anything.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server import catalog
from server.config import Config
from server.datasets import DATASETS, new_seed
from server.features import FEATURES


class SpecError(ValueError):
    """A request field that cannot be accepted; the API turns it into 400 `{error, field}`."""

    def __init__(self, field: str, reason: str) -> None:
        if not field.strip():  # a JSON key can be "" or blank: still name it
            field = f"(unnamed field {field!r})"
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


FEATURE_KEYS = tuple(key for key, _, _ in FEATURES)


@dataclass(frozen=True)
class PlaygroundSpec:
    """A validated spec with every field filled in (defaults for those left out)."""

    fields: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    @property
    def dataset_key(self) -> str:
        """The data set in use: `dataset` or `regDataset`, by problem, as the playground does."""
        return self["dataset"] if self["problem"] == "classification" else self["regDataset"]

    @property
    def features(self) -> list[str]:
        """Selected feature keys in the network's input order."""
        return [key for key in FEATURE_KEYS if self[key]]

    @property
    def output_activation(self) -> str:
        return catalog.OUTPUT_ACTIVATION[self["problem"]]

    def to_json(self) -> dict[str, Any]:
        return {key: (list(v) if isinstance(v, tuple) else v) for key, v in self.fields.items()}


def _choice(field: str, value: Any, choices: list[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise SpecError(field, f"must be one of {', '.join(choices)}")
    return value


def whole_number(field: str, value: Any, low: int, high: int) -> int:
    """A JSON whole number within [low, high] (10.0 counts; 2.5, "10" and true do not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(field, f"must be a whole number from {low} to {high}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise SpecError(field, f"must be a whole number from {low} to {high}")
    if not low <= value <= high:
        raise SpecError(field, f"must be from {low} to {high}, got {value:g}")
    return int(value)


def number(field: str, value: Any, low: float, high: float) -> float:
    """A finite number within [low, high] (JSON numbers only; booleans are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(field, f"must be a number from {low:g} to {high:g}")
    if not low <= value <= high:
        raise SpecError(field, f"must be from {low:g} to {high:g}, got {value:g}")
    return float(value)


def _boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(field, "must be true or false")
    return value


def learning_rate(value: Any) -> float:
    low, high = catalog.LEARNING_RATE_RANGE
    return number("learningRate", value, low, high)


def regularization_rate(value: Any) -> float:
    low, high = catalog.REGULARIZATION_RATE_RANGE
    return number("regularizationRate", value, low, high)


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


def _seed(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= catalog.MAX_SEED_LENGTH:
        raise SpecError(
            "seed", f"must be a string of 1 to {catalog.MAX_SEED_LENGTH} characters, e.g. \"0.59\""
        )
    return value


def parse_spec(raw: Any, config: Config) -> PlaygroundSpec:
    """Check a JSON spec against the catalogue; fill in defaults and a fresh seed."""
    if not isinstance(raw, dict):
        raise SpecError("spec", "the request body must be a JSON object")
    known = set(catalog.DEFAULTS) | {"seed"}
    for key in raw:
        if key not in known:
            raise SpecError(str(key), "unknown field")
    merged = {**catalog.DEFAULTS, **raw}
    classification = [k for k, info in DATASETS.items() if info.problem == "classification"]
    regression = [k for k, info in DATASETS.items() if info.problem == "regression"]
    noise_low, noise_high, _ = catalog.NOISE_RANGE
    perc_low, perc_high, _ = catalog.PERC_TRAIN_RANGE
    batch_low, batch_high = catalog.BATCH_SIZE_RANGE
    fields: dict[str, Any] = {
        "problem": _choice("problem", merged["problem"], [k for k, _ in catalog.PROBLEMS]),
        "dataset": _choice("dataset", merged["dataset"], classification),
        "regDataset": _choice("regDataset", merged["regDataset"], regression),
        "noise": whole_number("noise", merged["noise"], noise_low, noise_high),
        "percTrainData": whole_number(
            "percTrainData", merged["percTrainData"], perc_low, perc_high
        ),
        "seed": _seed(merged["seed"]) if "seed" in raw else new_seed(),
        "batchSize": whole_number("batchSize", merged["batchSize"], batch_low, batch_high),
        **{key: _boolean(key, merged[key]) for key in FEATURE_KEYS},
        "networkShape": _network_shape(merged["networkShape"], config),
        "activation": _choice(
            "activation", merged["activation"], [k for k, _ in catalog.ACTIVATIONS]
        ),
        "regularization": _choice(
            "regularization", merged["regularization"], [k for k, _ in catalog.REGULARIZATIONS]
        ),
        "regularizationRate": regularization_rate(merged["regularizationRate"]),
        "learningRate": learning_rate(merged["learningRate"]),
    }
    if not any(fields[key] for key in FEATURE_KEYS):
        raise SpecError("x", "turn on at least one input feature (x, y, xSquared, …)")
    return PlaygroundSpec(fields)
