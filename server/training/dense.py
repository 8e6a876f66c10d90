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


_NUMPY_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "linear": lambda x: x,
}


def dense_outputs(weights: list[np.ndarray], x: np.ndarray, activation: str,
                  output_activation: str) -> np.ndarray:
    """The dense network's outputs on the rows of `x`, in NumPy: [rows]."""
    h = np.asarray(x, np.float32)
    for i in range(0, len(weights), 2):
        act = output_activation if i == len(weights) - 2 else activation
        h = _NUMPY_ACTIVATIONS[act](h @ weights[i] + weights[i + 1])
    return h[:, 0]


def dense_losses(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, activation: str,
                 output_activation: str) -> float:
    """½·mean squared error of the dense network on (x, y), in NumPy.

    For the very first snapshot of a run: instant, where the compiled trainer may still
    be compiling. 0 for an empty set, as the engine reports it.
    """
    if len(x) == 0:
        return 0.0
    outputs = dense_outputs(weights, x, activation, output_activation)
    return float(np.mean(0.5 * (outputs - np.asarray(y, np.float32)) ** 2))


def sign_accuracy(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, activation: str,
                  output_activation: str) -> float | None:
    """The share of rows whose output has the sign of their ±1 label (an output of 0
    counts as +1, as the classic's data do); None for an empty set."""
    if len(x) == 0:
        return None
    outputs = dense_outputs(weights, x, activation, output_activation)
    predicted = np.where(outputs >= 0, 1.0, -1.0)
    return float(np.mean(predicted == np.where(np.asarray(y) >= 0, 1.0, -1.0)))
