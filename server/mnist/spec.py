"""Validating an MNIST run spec: a preset, the learner's overrides, and the epoch budget."""

from __future__ import annotations

import copy
from typing import Any

from server.mnist.models import PRESETS
from server.optimizers import OPTIMIZER_KEYS
from server.spec import SpecError, number, whole_number

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("truncated-normal", "zeros", "glorot")
MAX_LAYERS = 16
LAYER_LIMITS = {
    "dense": {"units": (1, 1024)},
    "conv": {"filters": (1, 128), "kernel": (1, 9), "stride": (1, 4)},
    "maxpool": {"size": (2, 4)},
    "dropout": {},
    "batchnorm": {},
}
FIELDS = ("problem", "preset", "layers", "activation", "init", "optimizer", "learningRate",
          "learningRateDecay", "shift", "batchSize", "epochs", "trainImages", "seed")
MAX_TRAIN_IMAGES = 55_000
MAX_SHIFT = 4  # pixels: beyond that a digit's strokes leave the 28×28 field


def _layer(index: int, entry: Any) -> dict[str, Any]:
    field = f"layers[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or (
            entry["type"] not in LAYER_LIMITS):
        raise SpecError(field, f"must be an object with type one of {', '.join(LAYER_LIMITS)}")
    kind = entry["type"]
    allowed = {"type", "activation", *LAYER_LIMITS[kind]}
    if kind == "dropout":
        allowed.add("rate")
    for key in entry:
        if key not in allowed:
            raise SpecError(f"{field}.{key}", f"unknown field for a {kind} layer")
    out: dict[str, Any] = {"type": kind}
    for key, (low, high) in LAYER_LIMITS[kind].items():
        out[key] = whole_number(f"{field}.{key}", entry.get(key), low, high)
    if kind == "dropout":
        out["rate"] = number(f"{field}.rate", entry.get("rate"), 0.0, 0.9)
    if "activation" in entry:
        if kind not in ("dense", "conv") or entry["activation"] not in ACTIVATIONS:
            raise SpecError(f"{field}.activation",
                            f"dense and conv layers take one of {', '.join(ACTIVATIONS)}")
        out["activation"] = entry["activation"]
    return out


def _check_shapes(layers: list[dict[str, Any]]) -> None:
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


def parse_mnist_spec(raw: dict[str, Any]) -> dict[str, Any]:
    """A full MNIST spec: the preset's values with the request's overrides on top."""
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; an MNIST run takes {', '.join(FIELDS)}")
    preset_name = raw.get("preset", "softmax")
    if not isinstance(preset_name, str) or preset_name not in PRESETS:
        raise SpecError("preset", f"must be one of {', '.join(PRESETS)}")
    spec = copy.deepcopy(PRESETS[preset_name])
    spec.pop("title")
    spec.pop("reported")
    spec["problem"] = "mnist"
    spec["preset"] = preset_name
    if "layers" in raw:
        if not isinstance(raw["layers"], list) or len(raw["layers"]) > MAX_LAYERS:
            raise SpecError("layers", f"must be a list of at most {MAX_LAYERS} layers")
        spec["layers"] = [_layer(i, entry) for i, entry in enumerate(raw["layers"])]
    _check_shapes(spec["layers"])
    for key, choices in (("activation", ACTIVATIONS), ("init", INITS),
                         ("optimizer", OPTIMIZER_KEYS)):
        if key in raw:
            if raw[key] not in choices:
                raise SpecError(key, f"must be one of {', '.join(choices)}")
            spec[key] = raw[key]
    if "learningRate" in raw:
        spec["learningRate"] = number("learningRate", raw["learningRate"], 1e-6, 10.0)
    if "learningRateDecay" in raw:
        decay = raw["learningRateDecay"]
        if decay is not None:
            if not isinstance(decay, dict) or set(decay) != {"to", "steps"}:
                raise SpecError("learningRateDecay", 'must be null or {"to": rate, "steps": n}')
            decay = {
                "to": number("learningRateDecay.to", decay["to"], 0.0, spec["learningRate"]),
                "steps": whole_number("learningRateDecay.steps", decay["steps"], 1, 1_000_000),
            }
        spec["learningRateDecay"] = decay
    spec["shift"] = whole_number("shift", raw.get("shift", spec["shift"]), 0, MAX_SHIFT)
    spec["batchSize"] = whole_number("batchSize", raw.get("batchSize", spec["batchSize"]), 1, 1000)
    spec["epochs"] = whole_number("epochs", raw.get("epochs", spec["epochs"]), 1, 200)
    spec["trainImages"] = whole_number("trainImages", raw.get("trainImages", MAX_TRAIN_IMAGES),
                                 100, MAX_TRAIN_IMAGES)
    if spec["batchSize"] > spec["trainImages"]:
        raise SpecError("batchSize", "must not exceed the number of training images")
    spec["seed"] = whole_number("seed", raw.get("seed", 0), 0, 2**31 - 1)
    return spec
