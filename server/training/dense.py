"""The dense network the playground and the fitting lessons train, as a short Keras model.

The server builds this model, the exporter writes it, and the page loads exactly
that file: there is no second description of the network anywhere.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import keras
import numpy as np

# Like the classic playground, so what learners know carries over.
WEIGHT_INIT_RANGE = 0.5
BIAS_INIT = 0.1


def build_dense_model(
    num_inputs: int,
    hidden_layers: Sequence[int],
    activation: str,
    output_activation: str,
) -> keras.Sequential:
    """A fully connected network: features → hidden layers → one output neuron.

    Weights start uniform in [-0.5, 0.5] and biases at 0.1, as in the classic
    playground; the hidden layers share one activation.
    """

    def dense(units: int, act: str, name: str) -> keras.layers.Dense:
        return keras.layers.Dense(
            units,
            activation=act,
            name=name,
            kernel_initializer=keras.initializers.RandomUniform(
                -WEIGHT_INIT_RANGE, WEIGHT_INIT_RANGE
            ),
            bias_initializer=keras.initializers.Constant(BIAS_INIT),
        )

    return keras.Sequential(
        [
            keras.Input(shape=(num_inputs,), name="features"),
            *(dense(units, activation, f"hidden_{i + 1}") for i, units in enumerate(hidden_layers)),
            dense(1, output_activation, "output"),
        ],
        name="playground",
    )


def initial_weights(
    num_inputs: int, hidden_layers: Sequence[int], rng: np.random.Generator
) -> list[np.ndarray]:
    """Fresh weights with the model's initial distribution, in `model.get_weights()` order.

    A compiled trainer is reused across runs of the same shape; drawing the
    initial values here (seeded per run) resets it without rebuilding it.
    """
    sizes = [num_inputs, *hidden_layers, 1]
    weights: list[np.ndarray] = []
    for fan_in, units in itertools.pairwise(sizes):
        weights.append(
            rng.uniform(-WEIGHT_INIT_RANGE, WEIGHT_INIT_RANGE, (fan_in, units)).astype(np.float32)
        )
        weights.append(np.full((units,), BIAS_INIT, dtype=np.float32))
    return weights
