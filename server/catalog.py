"""The one catalogue of choices, limits and defaults; pages build their controls from it.

Keys and values follow the classic playground's URL hash, so a playground link
maps onto a run spec one to one.
"""

from __future__ import annotations

from typing import Any

from server.config import Config
from server.curve.choices import curve_catalog
from server.datasets import DATASETS
from server.features import FEATURES
from server.mnist.models import PRESETS
from server.mnist.spec import ACTIVATIONS as MNIST_ACTIVATIONS
from server.mnist.spec import INITS, LAYER_LIMITS, MAX_LAYERS, MAX_TRAIN_IMAGES
from server.optimizers import OPTIMIZERS

PROBLEMS = (("classification", "Classification"), ("regression", "Regression"))
ACTIVATIONS = (("relu", "ReLU"), ("tanh", "Tanh"), ("sigmoid", "Sigmoid"), ("linear", "Linear"))
REGULARIZATIONS = (("none", "None"), ("L1", "L1"), ("L2", "L2"))
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
OUTPUT_ACTIVATION = {"classification": "tanh", "regression": "linear"}
INPUT_RANGE = (-6.0, 6.0)

# Ranges the API accepts; the rate lists above are what the controls offer.
LEARNING_RATE_RANGE = (0.00001, 10.0)
REGULARIZATION_RATE_RANGE = (0.0, 10.0)
NOISE_RANGE = (0, 50, 5)
PERC_TRAIN_RANGE = (10, 90, 10)
BATCH_SIZE_RANGE = (1, 30)
MAX_SEED_LENGTH = 64

DEFAULTS: dict[str, Any] = {
    "problem": "classification",
    "dataset": "circle",
    "regDataset": "reg-plane",
    "noise": 0,
    "percTrainData": 50,
    "batchSize": 10,
    "x": True,
    "y": True,
    "xSquared": False,
    "ySquared": False,
    "xTimesY": False,
    "sinX": False,
    "sinY": False,
    "networkShape": [4, 2],
    "activation": "tanh",
    "regularization": "none",
    "regularizationRate": 0,
    "learningRate": 0.03,
}


def build_catalog(config: Config) -> dict[str, Any]:
    """The JSON document `GET /api/catalog` serves."""
    return {
        "problems": [{"key": k, "label": label} for k, label in PROBLEMS],
        "datasets": {
            problem: [
                {"key": info.key, "label": info.label, "points": info.num_points}
                for info in DATASETS.values()
                if info.problem == problem
            ]
            for problem, _ in PROBLEMS
        },
        "features": [
            {"key": key, "label": label, "expression": expression}
            for key, label, expression in FEATURES
        ],
        "activations": [{"key": k, "label": label} for k, label in ACTIVATIONS],
        "outputActivation": OUTPUT_ACTIVATION,
        "regularizations": [{"key": k, "label": label} for k, label in REGULARIZATIONS],
        "learningRates": list(LEARNING_RATES),
        "regularizationRates": list(REGULARIZATION_RATES),
        "limits": {
            "hiddenLayers": {"min": 0, "max": config.max_hidden_layers},
            "neurons": {"min": 1, "max": config.max_neurons},
            "batchSize": {"min": BATCH_SIZE_RANGE[0], "max": BATCH_SIZE_RANGE[1]},
            "noise": dict(zip(("min", "max", "step"), NOISE_RANGE, strict=True)),
            "percTrainData": dict(zip(("min", "max", "step"), PERC_TRAIN_RANGE, strict=True)),
            "learningRate": dict(zip(("min", "max"), LEARNING_RATE_RANGE, strict=True)),
            "regularizationRate": dict(
                zip(("min", "max"), REGULARIZATION_RATE_RANGE, strict=True)
            ),
            "seedLength": MAX_SEED_LENGTH,
        },
        "inputRange": list(INPUT_RANGE),
        "defaults": DEFAULTS,
        "mnist": {
            "presets": [
                {"key": key, "title": preset["title"], "reported": preset["reported"],
                 "spec": {k: v for k, v in preset.items() if k not in ("title", "reported")}}
                for key, preset in PRESETS.items()
            ],
            "optimizers": [{"key": k, "label": label} for k, label in OPTIMIZERS],
            "activations": list(MNIST_ACTIVATIONS),
            "inits": list(INITS),
            "layerTypes": LAYER_LIMITS,
            "maxLayers": MAX_LAYERS,
            "limits": {"batchSize": {"min": 1, "max": 1000}, "epochs": {"min": 1, "max": 200},
                       "trainImages": {"min": 100, "max": MAX_TRAIN_IMAGES},
                       "learningRate": {"min": 1e-6, "max": 10.0}},
        },
        "curve": curve_catalog(),
    }
