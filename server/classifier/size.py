"""How big an image classifier is, from its layer list alone: checked before anything is built.

A learner's layer list can ask for a model of gigabytes (128 filters of 9×9 at stride
1, then a dense layer of 1,024 on 28·28·128 inputs: 103 million weights). The spec
is refused with a 400 naming `layers` before Keras allocates anything, so one request
can never take the server's memory. Pure arithmetic: no TensorFlow here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelSize:
    """Weights (parameters) and the floats one training example's activations take."""

    parameters: int
    activations_per_example: int


def model_size(layers: Sequence[Mapping[str, Any]], *, side: int = 28, channels: int = 1,
               classes: int = 10) -> ModelSize:
    """Count what the model `models.build_model` makes from these layers will hold, for
    square `side`×`side`×`channels` inputs and a softmax of `classes`.

    Convolutions use "same" padding (the size shrinks only by the stride); batch
    normalisation keeps four numbers per channel; the softmax layer closes it.
    """
    size, image = side, True
    features = size * size * channels
    parameters = 0
    activations = features  # the input itself
    for i, layer in enumerate(layers):
        kind = layer["type"]
        followed_by_norm = i + 1 < len(layers) and layers[i + 1]["type"] == "batchnorm"
        bias = 0 if followed_by_norm else 1
        if kind == "conv":
            size = -(-size // layer["stride"])
            parameters += (layer["kernel"] ** 2 * channels + bias) * layer["filters"]
            channels = layer["filters"]
            features = size * size * channels
        elif kind == "maxpool":
            size //= layer["size"]
            features = size * size * channels
        elif kind == "dense":
            image = False
            parameters += (features + bias) * layer["units"]
            features = channels = layer["units"]
        elif kind == "batchnorm":
            parameters += 4 * (channels if image else features)
        activations += features  # dropout, batch normalisation: a tensor of the same size
    parameters += (features + 1) * classes
    return ModelSize(parameters, activations + classes)
