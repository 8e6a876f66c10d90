"""Validating an MNIST run spec: a preset, the learner's overrides, and the epoch budget."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from server.classifier.layers import check_shapes, check_size, parse_layers
from server.problems.mnist.choices import (
    ACTIVATIONS,
    BATCH_SIZE,
    DECAY_STEPS,
    EPOCHS,
    INITS,
    LEARNING_RATE,
    SEED,
    SHIFT,
    TRAIN_IMAGES,
)
from server.problems.mnist.models import PRESETS
from server.training.optimizers import OPTIMIZER_KEYS
from server.values import SpecError, choice, number

FIELDS = ("problem", "preset", "layers", "activation", "init", "optimizer", "learningRate",
          "learningRateDecay", "shift", "batchSize", "epochs", "trainImages", "seed")


@dataclass(frozen=True)
class MnistSpec:
    """A validated MNIST spec: the preset's values with the learner's overrides on top.

    Layers are read-only mappings (`{"type": "conv", "filters": 32, …}`), the form the
    page's editor and the catalogue's presets use.
    """

    preset: str
    layers: tuple[Mapping[str, Any], ...]
    activation: str
    init: str
    optimizer: str
    learning_rate: float
    learning_rate_decay: Mapping[str, Any] | None  # {"to": rate, "steps": n}
    shift: int
    batch_size: int
    epochs: int
    train_images: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        """The spec as the API echoes and the store saves it: parsing it again gives this spec."""
        decay = self.learning_rate_decay
        return {
            "problem": "mnist", "preset": self.preset,
            "layers": [dict(layer) for layer in self.layers],
            "activation": self.activation, "init": self.init, "optimizer": self.optimizer,
            "learningRate": self.learning_rate,
            "learningRateDecay": dict(decay) if decay is not None else None,
            "shift": self.shift, "batchSize": self.batch_size, "epochs": self.epochs,
            "trainImages": self.train_images, "seed": self.seed,
        }


def parse_mnist_spec(raw: dict[str, Any]) -> MnistSpec:
    """A full MNIST spec: the preset's values with the request's overrides on top."""
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; an MNIST run takes {', '.join(FIELDS)}")
    preset_name = choice("preset", raw.get("preset", "softmax"), tuple(PRESETS))
    preset = copy.deepcopy(PRESETS[preset_name])
    layers = preset["layers"]
    if "layers" in raw:
        layers = parse_layers(raw["layers"])
    check_shapes(layers)
    learning_rate = (LEARNING_RATE.check("learningRate", raw["learningRate"])
                     if "learningRate" in raw else preset["learningRate"])
    decay = raw.get("learningRateDecay", preset["learningRateDecay"])
    if "learningRateDecay" in raw and decay is not None:
        if not isinstance(decay, dict) or set(decay) != {"to", "steps"}:
            raise SpecError("learningRateDecay", 'must be null or {"to": rate, "steps": n}')
        decay = {
            "to": number("learningRateDecay.to", decay["to"], 0.0, learning_rate),
            "steps": DECAY_STEPS.check("learningRateDecay.steps", decay["steps"]),
        }
    batch_size = BATCH_SIZE.check("batchSize", raw.get("batchSize", preset["batchSize"]))
    train_images = TRAIN_IMAGES.check("trainImages",
                                      raw.get("trainImages", TRAIN_IMAGES.default))
    if batch_size > train_images:
        raise SpecError("batchSize", "must not exceed the number of training images")
    check_size(layers, batch_size)
    return MnistSpec(
        preset=preset_name,
        layers=tuple(MappingProxyType(dict(layer)) for layer in layers),
        activation=choice("activation", raw.get("activation", preset["activation"]),
                          ACTIVATIONS),
        init=choice("init", raw.get("init", preset["init"]), INITS),
        optimizer=choice("optimizer", raw.get("optimizer", preset["optimizer"]),
                         OPTIMIZER_KEYS),
        learning_rate=learning_rate,
        learning_rate_decay=MappingProxyType(dict(decay)) if decay is not None else None,
        shift=SHIFT.check("shift", raw.get("shift", preset["shift"])),
        batch_size=batch_size,
        epochs=EPOCHS.check("epochs", raw.get("epochs", preset["epochs"])),
        train_images=train_images,
        seed=SEED.check("seed", raw.get("seed", SEED.default)),
    )
