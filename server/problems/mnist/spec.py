"""Validating an MNIST run spec: a preset, the learner's overrides, and the epoch budget."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.classifier.spec import parse_training, training_json
from server.problems.mnist.choices import SHIFT, TRAIN_IMAGES
from server.problems.mnist.models import PRESETS
from server.values import SpecError, choice

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
        return {"problem": "mnist", "preset": self.preset, **training_json(self),
                "shift": self.shift, "trainImages": self.train_images}


def parse_mnist_spec(raw: dict[str, Any]) -> MnistSpec:
    """A full MNIST spec: the preset's values with the request's overrides on top."""
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; an MNIST run takes {', '.join(FIELDS)}")
    preset_name = choice("preset", raw.get("preset", "softmax"), tuple(PRESETS))
    preset = copy.deepcopy(PRESETS[preset_name])
    training = parse_training(raw, preset)
    train_images = TRAIN_IMAGES.check("trainImages",
                                      raw.get("trainImages", TRAIN_IMAGES.default))
    if training["batch_size"] > train_images:
        raise SpecError("batchSize", "must not exceed the number of training images")
    return MnistSpec(
        preset=preset_name,
        shift=SHIFT.check("shift", raw.get("shift", preset["shift"])),
        train_images=train_images,
        **training,
    )
