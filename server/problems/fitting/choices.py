"""The fitting lessons' choices, limits, defaults and lessons: their part of the catalogue.

Only constants and pure functions: the spec checks and the catalogue both read them.
"""

from __future__ import annotations

from typing import Any

from server.problems.fitting.data import CRICKET_TEMP_F, MAX_CSV_ROWS, MIN_CSV_ROWS
from server.training.optimizers import OPTIMIZERS
from server.values import Limit

DATASETS = (
    ("mystery", "Mystery equation"),
    ("crickets", "Cricket chirps"),
    ("custom", "Your data (CSV)"),
)
MODELS = (
    ("linear", "Linear: y = W·x + b"),
    ("network", "Network"),
)
ACTIVATIONS = (("sigmoid", "Sigmoid"), ("tanh", "Tanh"), ("relu", "ReLU"), ("linear", "Linear"))
# What the controls offer; the API takes any rate in LEARNING_RATE_RANGE.
LEARNING_RATES = (0.00001, 0.0001, 0.0002, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 1, 2)
LEARNING_RATE = Limit(0.00001, 10.0)
NUM_POINTS = Limit(10, 1000, step=10, whole=True)
NOISE = Limit(0.0, 0.2, step=0.005)  # standard deviation of the mystery equation's noise
PERC_TRAIN_DATA = Limit(10, 100, step=10, whole=True)
HIDDEN_LAYERS = Limit(1, 3, whole=True)
NEURONS = Limit(1, 32, whole=True)
MAX_SEED_LENGTH = 64
# The CSV text travels in the JSON body (at most 1 MB); this leaves room for the rest.
MAX_CSV_BYTES = 900_000

# The engine's loss is ½·mean squared error, whose gradient is half the talks' mean squared
# error's: a rate here takes the steps the talks' half-as-large rate takes. The raw-input
# suggestions are the talks' rates doubled, so the lessons behave as the talks show.
RAW_LEARNING_RATE = {"mystery": 1.0, "crickets": 0.0002, "custom": 0.01}
NORMALIZED_LEARNING_RATE = 0.1
LOSS = "0.5 * mean squared error"
LEARNING_RATE_NOTE = (
    "The loss is ½·mean squared error (as everywhere in this playground), so its gradient "
    "is half that of the mean squared error the talks use: a learning rate of 1 here takes "
    "the steps the talks' 0.5 takes."
)

DEFAULTS: dict[str, Any] = {
    "dataset": "mystery",
    "numPoints": 100,
    "noise": 0.01,
    "percTrainData": 80,
    "model": "linear",
    "hiddenLayers": [10],
    "activation": "sigmoid",
    "optimizer": "sgd",
    "normalize": False,
}

LESSONS: tuple[dict[str, Any], ...] = (
    {
        "key": "mystery",
        "title": "1 · The mystery equation",
        "text": "100 points near y = 0.1·x + 0.3. Gradient descent fits a line y = W·x + b "
                "and lands at W ≈ 0.1, b ≈ 0.3: watch its path down the loss surface.",
        "spec": {"dataset": "mystery", "numPoints": 100, "noise": 0.01, "percTrainData": 80,
                 "model": "linear", "optimizer": "sgd", "learningRate": 1.0,
                 "normalize": False, "seed": "0.59"},
    },
    {
        "key": "crickets-raw",
        "title": "2a · Crickets in raw °F",
        "text": "Inputs near 80 °F stretch the loss surface into a long, narrow valley. At "
                "the talk's learning rate the slope settles at once, but the intercept "
                "crawls along the valley for millions of epochs.",
        "spec": {"dataset": "crickets", "percTrainData": 100, "model": "linear",
                 "optimizer": "sgd", "learningRate": 0.0002, "normalize": False, "seed": "1"},
    },
    {
        "key": "crickets-normalized",
        "title": "2b · Crickets, normalised",
        "text": "The same line with x scaled to mean 0 and standard deviation 1: the valley "
                "becomes a round bowl, a 500× larger learning rate is safe, and the fit "
                "lands in about a hundred epochs.",
        "spec": {"dataset": "crickets", "percTrainData": 100, "model": "linear",
                 "optimizer": "sgd", "learningRate": 0.1, "normalize": True, "seed": "1"},
    },
    {
        "key": "crickets-overfit",
        "title": "2c · A network overfits",
        "text": "Ten sigmoid nodes bend the curve through the 7 training points. The test "
                "loss falls at first, then rises while the training loss keeps falling: "
                "a closer fit is not a better one.",
        "spec": {"dataset": "crickets", "percTrainData": 50, "model": "network",
                 "hiddenLayers": [10], "activation": "sigmoid", "optimizer": "sgd",
                 "learningRate": 0.1, "normalize": True, "seed": "2"},
    },
)


def suggested_learning_rate(dataset: str, normalize: bool) -> float:
    """A spec's rate when it names none: the talks' behaviour raw, a safe one normalised."""
    return NORMALIZED_LEARNING_RATE if normalize else RAW_LEARNING_RATE[dataset]


def fitting_catalog() -> dict[str, Any]:
    """The `fitting` section of `GET /api/catalog`: the fitting page's controls come from it."""
    return {
        "datasets": [
            {"key": "mystery", "label": "Mystery equation", "points": DEFAULTS["numPoints"],
             "xLabel": "x", "yLabel": "y", "equation": "y = 0.1·x + 0.3 + noise"},
            {"key": "crickets", "label": "Cricket chirps", "points": len(CRICKET_TEMP_F),
             "xLabel": "temperature (°F)", "yLabel": "chirps per second"},
            {"key": "custom", "label": "Your data (CSV)", "points": None,
             "xLabel": "x", "yLabel": "y"},
        ],
        "models": [{"key": k, "label": label} for k, label in MODELS],
        "activations": [{"key": k, "label": label} for k, label in ACTIVATIONS],
        "optimizers": [{"key": k, "label": label} for k, label in OPTIMIZERS],
        "learningRates": list(LEARNING_RATES),
        "suggestedLearningRates": {"normalized": NORMALIZED_LEARNING_RATE,
                                   "raw": dict(RAW_LEARNING_RATE)},
        "loss": LOSS,
        "learningRateNote": LEARNING_RATE_NOTE,
        "limits": {
            "numPoints": NUM_POINTS.to_json(),
            "noise": NOISE.to_json(),
            "percTrainData": PERC_TRAIN_DATA.to_json(),
            "learningRate": LEARNING_RATE.to_json(),
            "hiddenLayers": HIDDEN_LAYERS.to_json(),
            "neurons": NEURONS.to_json(),
            "csvRows": {"min": MIN_CSV_ROWS, "max": MAX_CSV_ROWS},
            "csvBytes": {"max": MAX_CSV_BYTES},
            "seedLength": MAX_SEED_LENGTH,
        },
        "defaults": DEFAULTS,
        "lessons": list(LESSONS),
    }
