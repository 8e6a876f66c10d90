"""The training fields every image classifier's spec shares, checked once.

A problem's spec is its preset's values with the request's overrides on top; the
layer list, activation, initial weights, optimizer, learning rate and its decay,
batch size, epoch budget and seed mean the same in every such problem, so they are
parsed here. The problem adds its own fields (MNIST's shift, the orientation's data
set and image size) and its checks against its data.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from server.classifier.layers import (
    ACTIVATIONS,
    INITS,
    check_shapes,
    check_size,
    parse_layers,
)
from server.training.optimizers import OPTIMIZER_KEYS
from server.values import Limit, SpecError, choice, number

LEARNING_RATE = Limit(1e-6, 10.0)
DECAY_STEPS = Limit(1, 1_000_000, whole=True)
BATCH_SIZE = Limit(1, 1000, whole=True)
EPOCHS = Limit(1, 200, whole=True)
SEED = Limit(0, 2**31 - 1, whole=True, default=0)


def parse_training(raw: Mapping[str, Any], preset: Mapping[str, Any], *, side: int = 28,
                   channels: int = 1, classes: int = 10) -> dict[str, Any]:
    """The shared fields as a spec dataclass takes them (snake_case keyword arguments).

    Layers become read-only mappings; a model too big for the server, or whose image
    would shrink below a pixel, is refused before anything is built.
    """
    layers = parse_layers(raw["layers"]) if "layers" in raw else list(preset["layers"])
    check_shapes(layers, side)
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
    check_size(layers, batch_size, side=side, channels=channels, classes=classes)
    return {
        "layers": tuple(MappingProxyType(dict(layer)) for layer in layers),
        "activation": choice("activation", raw.get("activation", preset["activation"]),
                             ACTIVATIONS),
        "init": choice("init", raw.get("init", preset["init"]), INITS),
        "optimizer": choice("optimizer", raw.get("optimizer", preset["optimizer"]),
                            OPTIMIZER_KEYS),
        "learning_rate": learning_rate,
        "learning_rate_decay": MappingProxyType(dict(decay)) if decay is not None else None,
        "batch_size": batch_size,
        "epochs": EPOCHS.check("epochs", raw.get("epochs", preset["epochs"])),
        "seed": SEED.check("seed", raw.get("seed", SEED.default)),
    }


def training_json(spec: Any) -> dict[str, Any]:
    """The shared fields of a spec as its `to_json` gives them."""
    decay = spec.learning_rate_decay
    return {
        "layers": [dict(layer) for layer in spec.layers],
        "activation": spec.activation, "init": spec.init, "optimizer": spec.optimizer,
        "learningRate": spec.learning_rate,
        "learningRateDecay": dict(decay) if decay is not None else None,
        "batchSize": spec.batch_size, "epochs": spec.epochs, "seed": spec.seed,
    }


def training_limits() -> dict[str, Any]:
    """The shared limits as the catalogue publishes them."""
    return {"batchSize": BATCH_SIZE.to_json(), "epochs": EPOCHS.to_json(),
            "learningRate": LEARNING_RATE.to_json(), "decaySteps": DECAY_STEPS.to_json(),
            "seed": SEED.to_json()}
