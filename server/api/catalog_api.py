"""`GET /api/catalog`: the one catalogue of choices, limits and defaults.

Pages build their controls from it and keep no copy of their own. It gathers
each problem's section (the playground, MNIST, one-input curves) in one place.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from server.catalog import (
    ACTIVATIONS,
    BATCH_SIZE_RANGE,
    DEFAULTS,
    INPUT_RANGE,
    LEARNING_RATE_RANGE,
    LEARNING_RATES,
    MAX_SEED_LENGTH,
    NOISE_RANGE,
    OUTPUT_ACTIVATION,
    PERC_TRAIN_RANGE,
    PROBLEMS,
    REGULARIZATION_RATE_RANGE,
    REGULARIZATION_RATES,
    REGULARIZATIONS,
)
from server.config import Config
from server.curve.choices import curve_catalog
from server.datasets import DATASETS
from server.features import FEATURES
from server.mnist.models import PRESETS
from server.mnist.spec import ACTIVATIONS as MNIST_ACTIVATIONS
from server.mnist.spec import INITS, LAYER_LIMITS, MAX_LAYERS, MAX_SHIFT, MAX_TRAIN_IMAGES
from server.optimizers import OPTIMIZERS

bp = Blueprint("catalog", __name__)


@bp.get("/api/catalog")
def catalog() -> ResponseReturnValue:
    return jsonify(build_catalog(current_app.config["PLAYGROUND"]))


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
                       "learningRate": {"min": 1e-6, "max": 10.0},
                       "shift": {"min": 0, "max": MAX_SHIFT}},
        },
        "curve": curve_catalog(),
        "fitting": curve_catalog(),
    }
