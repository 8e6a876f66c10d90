"""Validating a curve run's spec (POST) and its live changes (PATCH).

A spec is accepted whole or rejected with the first wrong field, so a bad
request (a CSV with a bad row, say) never starts anything and leaves the
learner's current run alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.curve import choices
from server.curve.data import CsvError, Points, parse_csv, to_csv
from server.datasets import new_seed
from server.optimizers import OPTIMIZER_KEYS
from server.spec import SpecError, number, whole_number

FIELDS = ("problem", "dataset", "numPoints", "noise", "csv", "percTrainData", "seed", "model",
          "hiddenLayers", "activation", "optimizer", "learningRate", "normalize")
PATCH_FIELDS = ("state", "learningRate")


@dataclass(frozen=True)
class CurveSpec:
    """A validated spec; fields that do not apply (noise for the crickets, …) are None."""

    dataset: str
    model: str
    optimizer: str
    learning_rate: float
    normalize: bool
    perc_train: int
    seed: str
    hidden_layers: tuple[int, ...]  # () for the linear model
    activation: str  # "linear" for the linear model: it has no hidden layer
    num_points: int | None = None  # mystery only
    noise: float | None = None  # mystery only
    csv: Points | None = None  # custom only: the parsed rows

    def to_json(self) -> dict[str, Any]:
        """The spec as the API echoes and the store saves it: parsing it again gives this spec."""
        out: dict[str, Any] = {
            "problem": "fitting", "dataset": self.dataset, "model": self.model,
            "optimizer": self.optimizer, "learningRate": self.learning_rate,
            "normalize": self.normalize, "percTrainData": self.perc_train, "seed": self.seed,
        }
        if self.model == "network":
            out["hiddenLayers"] = list(self.hidden_layers)
            out["activation"] = self.activation
        if self.dataset == "mystery":
            out["numPoints"] = self.num_points
            out["noise"] = self.noise
        if self.csv is not None:
            # The rows themselves: a saved run is restored from its spec alone.
            out["csv"] = to_csv(self.csv)
        return out


def _choice(field: str, value: Any, keys: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in keys:
        raise SpecError(field, f"must be one of {', '.join(keys)}")
    return value


def _hidden_layers(value: Any) -> tuple[int, ...]:
    high = choices.MAX_HIDDEN_LAYERS
    if not isinstance(value, list) or not 1 <= len(value) <= high:
        raise SpecError("hiddenLayers", f"must list 1 to {high} layer sizes, e.g. [10]")
    return tuple(whole_number("hiddenLayers", units, 1, choices.MAX_NEURONS) for units in value)


def _seed(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= choices.MAX_SEED_LENGTH:
        raise SpecError("seed", f"must be a string of 1 to {choices.MAX_SEED_LENGTH} characters")
    return value


def _csv(value: Any) -> Points:
    if not isinstance(value, str):
        raise SpecError("csv", "must be the CSV text: one x, y pair per line")
    try:
        return parse_csv(value)
    except CsvError as error:
        raise SpecError("csv", str(error)) from error


def learning_rate(value: Any) -> float:
    low, high = choices.LEARNING_RATE_RANGE
    return number("learningRate", value, low, high)


def parse_curve_spec(raw: Any) -> CurveSpec:
    """Check a curve spec; fill in the catalogue's defaults, a seed and a suggested rate."""
    if not isinstance(raw, dict):
        raise SpecError("spec", "the request body must be a JSON object")
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; a curve run takes {', '.join(FIELDS)}")
    merged = {**choices.DEFAULTS, **raw}
    dataset = _choice("dataset", merged["dataset"], tuple(k for k, _ in choices.DATASETS))
    model = _choice("model", merged["model"], tuple(k for k, _ in choices.MODELS))
    normalize = merged["normalize"]
    if not isinstance(normalize, bool):
        raise SpecError("normalize", "must be true or false")
    # Fields that do not apply are still checked (a typo is an error) but not kept.
    num_low, num_high, _ = choices.NUM_POINTS_RANGE
    num_points = whole_number("numPoints", merged["numPoints"], num_low, num_high)
    noise_low, noise_high, _ = choices.NOISE_RANGE
    noise = number("noise", merged["noise"], noise_low, noise_high)
    hidden = _hidden_layers(merged["hiddenLayers"])
    activation = _choice("activation", merged["activation"],
                         tuple(k for k, _ in choices.ACTIVATIONS))
    perc_low, perc_high, _ = choices.PERC_TRAIN_RANGE
    if dataset == "custom" and "csv" not in raw:
        raise SpecError("csv", "the custom data set needs its CSV text: one x, y pair per line")
    csv = _csv(raw["csv"]) if "csv" in raw else None
    rate = (learning_rate(raw["learningRate"]) if "learningRate" in raw
            else choices.suggested_learning_rate(dataset, normalize))
    network = model == "network"
    return CurveSpec(
        dataset=dataset,
        model=model,
        optimizer=_choice("optimizer", merged["optimizer"], OPTIMIZER_KEYS),
        learning_rate=rate,
        normalize=normalize,
        perc_train=whole_number("percTrainData", merged["percTrainData"], perc_low, perc_high),
        seed=_seed(raw["seed"]) if "seed" in raw else new_seed(),
        hidden_layers=hidden if network else (),
        activation=activation if network else "linear",
        num_points=num_points if dataset == "mystery" else None,
        noise=noise if dataset == "mystery" else None,
        csv=csv if dataset == "custom" else None,
    )


def parse_curve_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The live changes a curve run takes besides `state`: its learning rate.

    Everything else (data, model, optimizer, normalisation) makes a new run.
    """
    for key in body:
        if key not in PATCH_FIELDS:
            raise SpecError(str(key), "a curve run takes only state and learningRate; "
                                      "other changes start a new run")
    return {"learningRate": learning_rate(body["learningRate"])} if "learningRate" in body else {}
