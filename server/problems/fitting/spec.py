"""Validating a fitting run's spec (POST) and its live changes (PATCH).

A spec is accepted whole or rejected with the first wrong field, so a bad
request (a CSV with a bad row, say) never starts anything and leaves the
learner's current run alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.problems.fitting import choices
from server.problems.fitting.data import CsvError, Points, parse_csv, to_csv
from server.training.optimizers import OPTIMIZER_KEYS
from server.values import SpecError, boolean, choice, new_seed, seed_text

FIELDS = ("problem", "dataset", "numPoints", "noise", "csv", "percTrainData", "seed", "model",
          "hiddenLayers", "activation", "optimizer", "learningRate", "normalize")
PATCH_FIELDS = ("learningRate",)


@dataclass(frozen=True)
class FittingSpec:
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


def _hidden_layers(value: Any) -> tuple[int, ...]:
    low, high = int(choices.HIDDEN_LAYERS.min), int(choices.HIDDEN_LAYERS.max)
    if not isinstance(value, list) or not low <= len(value) <= high:
        raise SpecError("hiddenLayers", f"must list {low} to {high} layer sizes, e.g. [10]")
    return tuple(choices.NEURONS.check("hiddenLayers", units) for units in value)


def _csv(value: Any) -> Points:
    if not isinstance(value, str):
        raise SpecError("csv", "must be the CSV text: one x, y pair per line")
    if len(value.encode()) > choices.MAX_CSV_BYTES:
        raise SpecError("csv", f"must be at most {choices.MAX_CSV_BYTES:,} bytes")
    try:
        return parse_csv(value)
    except CsvError as error:
        raise SpecError("csv", str(error)) from error


def parse_fitting_spec(raw: dict[str, Any]) -> FittingSpec:
    """Check a fitting spec; fill in the catalogue's defaults, a seed and a suggested rate."""
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; a fitting run takes {', '.join(FIELDS)}")
    merged = {**choices.DEFAULTS, **raw}
    dataset = choice("dataset", merged["dataset"], tuple(k for k, _ in choices.DATASETS))
    model = choice("model", merged["model"], tuple(k for k, _ in choices.MODELS))
    normalize = boolean("normalize", merged["normalize"])
    # Fields that do not apply are still checked (a typo is an error) but not kept.
    num_points = choices.NUM_POINTS.check("numPoints", merged["numPoints"])
    noise = choices.NOISE.check("noise", merged["noise"])
    hidden = _hidden_layers(merged["hiddenLayers"])
    activation = choice("activation", merged["activation"],
                        tuple(k for k, _ in choices.ACTIVATIONS))
    if dataset == "custom" and "csv" not in raw:
        raise SpecError("csv", "the custom data set needs its CSV text: one x, y pair per line")
    csv = _csv(raw["csv"]) if "csv" in raw else None
    rate = (choices.LEARNING_RATE.check("learningRate", raw["learningRate"])
            if "learningRate" in raw else choices.suggested_learning_rate(dataset, normalize))
    network = model == "network"
    return FittingSpec(
        dataset=dataset,
        model=model,
        optimizer=choice("optimizer", merged["optimizer"], OPTIMIZER_KEYS),
        learning_rate=rate,
        normalize=normalize,
        perc_train=choices.PERC_TRAIN_DATA.check("percTrainData", merged["percTrainData"]),
        seed=(seed_text("seed", raw["seed"], choices.MAX_SEED_LENGTH) if "seed" in raw
              else new_seed()),
        hidden_layers=hidden if network else (),
        activation=activation if network else "linear",
        num_points=num_points if dataset == "mystery" else None,
        noise=noise if dataset == "mystery" else None,
        csv=csv if dataset == "custom" else None,
    )


def parse_fitting_changes(body: dict[str, Any]) -> dict[str, Any]:
    """The live changes a fitting run takes besides `state`: its learning rate.

    Everything else (data, model, optimizer, normalisation) makes a new run.
    """
    for key in body:
        if key not in PATCH_FIELDS:
            raise SpecError(str(key), "a fitting run takes only state and learningRate; "
                                      "other changes start a new run")
    if "learningRate" not in body:
        return {}
    return {"learningRate": choices.LEARNING_RATE.check("learningRate", body["learningRate"])}
