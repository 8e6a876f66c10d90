"""Validating an MNIST run spec: a preset, the learner's overrides, and the epoch budget."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from server.problems.mnist.choices import (
    ACTIVATIONS,
    BATCH_SIZE,
    DECAY_STEPS,
    EPOCHS,
    INITS,
    LAYER_LIMITS,
    LEARNING_RATE,
    MAX_BATCH_ACTIVATIONS,
    MAX_LAYERS,
    MAX_PARAMETERS,
    SEED,
    SHIFT,
    TRAIN_IMAGES,
)
from server.problems.mnist.models import PRESETS
from server.problems.mnist.size import model_size
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


def _layer(index: int, entry: Any) -> dict[str, Any]:
    field = f"layers[{index}]"
    if not isinstance(entry, dict) or entry.get("type") not in LAYER_LIMITS:
        raise SpecError(field, f"must be an object with type one of {', '.join(LAYER_LIMITS)}")
    kind = entry["type"]
    allowed = {"type", "activation", *LAYER_LIMITS[kind]}
    for key in entry:
        if key not in allowed:
            raise SpecError(f"{field}.{key}", f"unknown field for a {kind} layer")
    out: dict[str, Any] = {"type": kind}
    for key, limit in LAYER_LIMITS[kind].items():
        out[key] = limit.check(f"{field}.{key}", entry.get(key))
    if "activation" in entry:
        if kind not in ("dense", "conv") or entry["activation"] not in ACTIVATIONS:
            raise SpecError(f"{field}.activation",
                            f"dense and conv layers take one of {', '.join(ACTIVATIONS)}")
        out["activation"] = entry["activation"]
    return out


def _check_shapes(layers: list[Mapping[str, Any]]) -> None:
    """Convolutions and pooling need an image: none after a dense layer, none below 1×1."""
    size, image = 28, True
    for i, layer in enumerate(layers):
        if layer["type"] == "dense":
            image = False
        elif layer["type"] in ("conv", "maxpool"):
            if not image:
                raise SpecError(f"layers[{i}]",
                                f"a {layer['type']} layer cannot follow a dense one")
            size = -(-size // layer["stride"]) if layer["type"] == "conv" else size // layer["size"]
            if size < 1:
                raise SpecError(f"layers[{i}]", "the image has shrunk below 1×1 pixel")
        elif layer["type"] == "batchnorm" and (i == 0 or layers[i - 1]["type"] == "batchnorm"):
            raise SpecError(f"layers[{i}]", "batch normalisation follows a dense or conv layer")


def _check_size(layers: list[Mapping[str, Any]], batch_size: int) -> None:
    """Refuse a model too big for the server before anything is built."""
    size = model_size(layers)
    if size.parameters > MAX_PARAMETERS:
        raise SpecError("layers", f"the model would have {size.parameters:,} weights; "
                                  f"the most this server allows is {MAX_PARAMETERS:,}")
    activations = size.activations_per_example * batch_size
    if activations > MAX_BATCH_ACTIVATIONS:
        raise SpecError("layers", f"a batch of {batch_size} would need {activations:,} "
                                  f"activations; the most this server allows is "
                                  f"{MAX_BATCH_ACTIVATIONS:,} (fewer filters or a smaller "
                                  "batch)")


def parse_mnist_spec(raw: dict[str, Any]) -> MnistSpec:
    """A full MNIST spec: the preset's values with the request's overrides on top."""
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; an MNIST run takes {', '.join(FIELDS)}")
    preset_name = choice("preset", raw.get("preset", "softmax"), tuple(PRESETS))
    preset = copy.deepcopy(PRESETS[preset_name])
    layers = preset["layers"]
    if "layers" in raw:
        if not isinstance(raw["layers"], list) or len(raw["layers"]) > MAX_LAYERS:
            raise SpecError("layers", f"must be a list of at most {MAX_LAYERS} layers")
        layers = [_layer(i, entry) for i, entry in enumerate(raw["layers"])]
    _check_shapes(layers)
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
    _check_size(layers, batch_size)
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
