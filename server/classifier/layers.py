"""The layer list a learner edits: its limits and its checks, declared once for every
problem that trains an image classifier (the MNIST lab, "Which way is up?").

A layer is a plain mapping (`{"type": "conv", "filters": 32, "kernel": 3, "stride": 1}`),
the form the page's editor, the catalogue's presets and the stored spec all use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.classifier.size import model_size
from server.values import Limit, SpecError

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("truncated-normal", "zeros", "glorot")
MAX_LAYERS = 16
# Each layer type's settings and their ranges (the editor's fields).
LAYER_LIMITS: dict[str, dict[str, Limit]] = {
    "dense": {"units": Limit(1, 1024, whole=True)},
    "conv": {"filters": Limit(1, 128, whole=True), "kernel": Limit(1, 9, whole=True),
             "stride": Limit(1, 4, whole=True)},
    "maxpool": {"size": Limit(2, 4, whole=True)},
    "dropout": {"rate": Limit(0.0, 0.9, step=0.05)},
    "batchnorm": {},
}
# How big a learner's model may be, checked from the layer list before anything is built
# (`size.py`). MNIST's largest preset has 245,000 weights and 1.8 million activations in
# a batch of 100: these leave 20× and 28× room, and keep one run well under 1 GB.
MAX_PARAMETERS = 5_000_000
MAX_BATCH_ACTIVATIONS = 50_000_000  # floats: activations per example × batch size


def parse_layer(index: int, entry: Any) -> dict[str, Any]:
    """One entry of a request's `layers`, checked field by field."""
    field = f"layers[{index}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or (
            entry["type"] not in LAYER_LIMITS):
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


def parse_layers(raw: Any) -> list[dict[str, Any]]:
    """A request's whole `layers` list."""
    if not isinstance(raw, list) or len(raw) > MAX_LAYERS:
        raise SpecError("layers", f"must be a list of at most {MAX_LAYERS} layers")
    return [parse_layer(i, entry) for i, entry in enumerate(raw)]


def check_shapes(layers: Sequence[Mapping[str, Any]], side: int = 28) -> None:
    """Convolutions and pooling need an image: none after a dense layer, none below 1×1."""
    size, image = side, True
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


def check_size(layers: Sequence[Mapping[str, Any]], batch_size: int, *, side: int = 28,
               channels: int = 1, classes: int = 10) -> None:
    """Refuse a model too big for the server before anything is built."""
    size = model_size(layers, side=side, channels=channels, classes=classes)
    if size.parameters > MAX_PARAMETERS:
        raise SpecError("layers", f"the model would have {size.parameters:,} weights; "
                                  f"the most this server allows is {MAX_PARAMETERS:,}")
    activations = size.activations_per_example * batch_size
    if activations > MAX_BATCH_ACTIVATIONS:
        raise SpecError("layers", f"a batch of {batch_size} would need {activations:,} "
                                  f"activations; the most this server allows is "
                                  f"{MAX_BATCH_ACTIVATIONS:,} (fewer filters or a smaller "
                                  "batch)")


def layer_catalog() -> dict[str, Any]:
    """The editor's part of a problem's catalogue: layer types, their ranges, the most."""
    return {
        "activations": list(ACTIVATIONS),
        "inits": list(INITS),
        "layerTypes": {kind: {name: [limit.min, limit.max] for name, limit in fields.items()}
                       for kind, fields in LAYER_LIMITS.items()},
        "maxLayers": MAX_LAYERS,
    }
