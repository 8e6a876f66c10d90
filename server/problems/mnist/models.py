"""The MNIST models: the talk's ladder of presets, built by the shared classifier models.

The Keras model of a layer list, and the code it shows, come from
`server/classifier/models.py`; this module holds the ladder and MNIST's shapes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from server.classifier.models import (  # noqa: F401  (the lab's names for them)
    BuiltModel,
    DecayToFloor,
    Output,
    build_optimizer,
    dense_layers,
    learning_rate_of,
    steps_per_epoch,
)
from server.classifier.models import build_model as build_classifier

if TYPE_CHECKING:
    from server.problems.mnist.spec import MnistSpec

MNIST_OUTPUT = Output(input_shape=(28, 28, 1), classes=10, model_name="mnist",
                      output_name="digits")


def build_model(model_spec: MnistSpec, *, for_export: bool = False) -> BuiltModel:
    """The Keras model of an MNIST spec (28×28×1 digits in, ten digits out) and its code."""
    return build_classifier(model_spec, MNIST_OUTPUT, for_export=for_export)


def _conv(*shapes: tuple[int, int, int], norm: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for kernel, filters, stride in shapes:
        out.append({"type": "conv", "filters": filters, "kernel": kernel, "stride": stride})
        if norm:
            out.append({"type": "batchnorm"})
    return out


_DECAY = {"to": 0.0001, "steps": 2000}
_TALK_BUDGET = 17  # 10,000 batches of 100 ≈ 17 epochs of 60,000
# Not in the talk: the convolutional presets shift their training digits by up to ±2 px.
# With the talk's recipe alone they land a little under its figures in Keras (conv-big-
# dropout 99.00–99.23% over five seeds, against 99.3%); with the shifts, at or above them
# (99.28–99.39%, mean 99.33%; README). The learner sets 0 to see the talk's recipe.
_SHIFT = 2

PRESETS: dict[str, dict[str, Any]] = {
    "softmax": {
        "title": "a. Softmax regression", "reported": "92%",
        "layers": [], "activation": "relu", "init": "zeros", "optimizer": "sgd",
        # 0.003 on the loss summed over a batch of 100 = 0.3 on Keras' mean loss.
        "learningRate": 0.3, "learningRateDecay": None,
    },
    "dense-sigmoid": {
        "title": "b. Five dense layers, sigmoid", "reported": "slow start",
        "layers": dense_layers(200, 100, 60, 30), "activation": "sigmoid",
        "init": "truncated-normal", "optimizer": "sgd", "learningRate": 0.3,
        "learningRateDecay": None,
    },
    "dense-relu": {
        "title": "c. Five dense layers, ReLU, Adam", "reported": "noisy accuracy curve",
        "layers": dense_layers(200, 100, 60, 30), "activation": "relu",
        "init": "truncated-normal", "optimizer": "adam", "learningRate": 0.003,
        "learningRateDecay": None,
    },
    "dense-relu-decay": {
        "title": "d. + learning rate decay", "reported": "98%",
        "layers": dense_layers(200, 100, 60, 30), "activation": "relu",
        "init": "truncated-normal", "optimizer": "adam", "learningRate": 0.003,
        "learningRateDecay": _DECAY,
    },
    "dense-relu-decay-dropout": {
        "title": "e. + dropout (keep 0.75)", "reported": "98%, overfitting tamed",
        "layers": dense_layers(200, 100, 60, 30, dropout=0.25), "activation": "relu",
        "init": "truncated-normal", "optimizer": "adam", "learningRate": 0.003,
        "learningRateDecay": _DECAY,
    },
    "conv": {
        "title": "f. Convolutional", "reported": "98.9%",
        "layers": [*_conv((5, 4, 1), (4, 8, 2), (4, 12, 2)), *dense_layers(200)],
        "activation": "relu", "init": "truncated-normal", "optimizer": "adam",
        "learningRate": 0.003, "learningRateDecay": _DECAY, "shift": _SHIFT,
    },
    "conv-big-dropout": {
        "title": "g. Bigger convolutional + dropout", "reported": "99.3%",
        "layers": [*_conv((6, 6, 1), (5, 12, 2), (4, 24, 2)), *dense_layers(200, dropout=0.25)],
        "activation": "relu", "init": "truncated-normal", "optimizer": "adam",
        "learningRate": 0.003, "learningRateDecay": _DECAY, "shift": _SHIFT,
    },
    "conv-big-batchnorm": {
        "title": "h. + batch normalisation", "reported": "99.5%",
        "layers": [*_conv((6, 6, 1), (5, 12, 2), (4, 24, 2), norm=True),
                   {"type": "dense", "units": 200}, {"type": "batchnorm"},
                   {"type": "dropout", "rate": 0.25}],
        "activation": "relu", "init": "truncated-normal", "optimizer": "adam",
        # Batch normalisation takes a higher rate: the talk's 0.02 → 0.0001 over 1,600 steps.
        "learningRate": 0.02, "learningRateDecay": {"to": 0.0001, "steps": 1600},
        "shift": _SHIFT,
    },
}
for _preset in PRESETS.values():
    _preset.setdefault("shift", 0)
    _preset.setdefault("batchSize", 100)
    _preset.setdefault("epochs", _TALK_BUDGET)
