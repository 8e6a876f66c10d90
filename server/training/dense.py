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
# Keras' own default slope for `leaky_relu`; tfjs's LeakyReLU layer is given it explicitly.
LEAKY_SLOPE = 0.2
# Probabilities are clipped to [ε, 1 - ε] before the log, as Keras' cross-entropy does.
CROSS_ENTROPY_EPSILON = 1e-7


def build_dense_model(
    num_inputs: int,
    hidden_layers: Sequence[int],
    activation: str,
    output_activation: str,
    outputs: int = 1,
    dropout: float = 0.0,
) -> keras.Sequential:
    """A fully connected network: features → hidden layers → `outputs` output neurons.

    Weights start uniform in [-0.5, 0.5] and biases at 0.1, as in the classic
    playground; the hidden layers share one activation (a Keras name). Leaky ReLU is
    a layer of its own after a linear Dense layer: TensorFlow.js has no `leaky_relu`
    activation, but loads a `LeakyReLU` layer. A `dropout` rate above 0 puts a
    Dropout layer after every hidden layer (active only in training). Only Dense
    layers hold weights, so `get_weights()` keeps its order: kernel, bias, kernel, …
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

    layers: list[keras.layers.Layer] = [keras.Input(shape=(num_inputs,), name="features")]
    for i, units in enumerate(hidden_layers):
        name = f"hidden_{i + 1}"
        if activation == "leaky_relu":
            layers += [dense(units, "linear", name),
                       keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE,
                                              name=f"{name}_leaky_relu")]
        else:
            layers.append(dense(units, activation, name))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout, name=f"{name}_dropout"))
    layers.append(dense(outputs, output_activation, "output"))
    return keras.Sequential(layers, name="playground")


def initial_weights(
    num_inputs: int, hidden_layers: Sequence[int], rng: np.random.Generator, outputs: int = 1
) -> list[np.ndarray]:
    """Fresh weights with the model's initial distribution, in `model.get_weights()` order.

    A compiled trainer is reused across runs of the same shape; drawing the
    initial values here (seeded per run) resets it without rebuilding it.
    """
    sizes = [num_inputs, *hidden_layers, outputs]
    weights: list[np.ndarray] = []
    for fan_in, units in itertools.pairwise(sizes):
        weights.append(
            rng.uniform(-WEIGHT_INIT_RANGE, WEIGHT_INIT_RANGE, (fan_in, units)).astype(np.float32)
        )
        weights.append(np.full((units,), BIAS_INIT, dtype=np.float32))
    return weights


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


_NUMPY_ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "linear": lambda x: x,
    "leaky_relu": lambda x: np.where(x > 0, x, LEAKY_SLOPE * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "silu": lambda x: x / (1.0 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "softmax": _softmax,
}


def dense_outputs(weights: list[np.ndarray], x: np.ndarray, activation: str,
                  output_activation: str) -> np.ndarray:
    """The dense network's outputs on the rows of `x`, in NumPy: [rows] for one output
    neuron, [rows, outputs] for several (class probabilities)."""
    h = np.asarray(x, np.float32)
    for i in range(0, len(weights), 2):
        act = output_activation if i == len(weights) - 2 else activation
        h = _NUMPY_ACTIVATIONS[act](h @ weights[i] + weights[i + 1])
    return h[:, 0] if h.shape[1] == 1 else h


def dense_losses(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, activation: str,
                 output_activation: str) -> float:
    """½·mean squared error of the dense network on (x, y), in NumPy; with several
    outputs the cross-entropy of the class indices `y` (as the engine computes it).

    For the very first snapshot of a run: instant, where the compiled trainer may still
    be compiling. 0 for an empty set, as the engine reports it.
    """
    if len(x) == 0:
        return 0.0
    outputs = dense_outputs(weights, x, activation, output_activation)
    if outputs.ndim == 2:
        chosen = outputs[np.arange(len(outputs)), np.asarray(y, np.int64)]
        clipped = np.clip(chosen, CROSS_ENTROPY_EPSILON, 1.0 - CROSS_ENTROPY_EPSILON)
        return float(np.mean(-np.log(clipped)))
    return float(np.mean(0.5 * (outputs - np.asarray(y, np.float32)) ** 2))


def sign_accuracy(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray, activation: str,
                  output_activation: str) -> float | None:
    """The share of rows whose output has the sign of their ±1 label (an output of 0
    counts as +1, as the classic's data do); with several outputs, the share whose most
    likely class is their class index. None for an empty set."""
    if len(x) == 0:
        return None
    outputs = dense_outputs(weights, x, activation, output_activation)
    if outputs.ndim == 2:  # several classes: the most likely one, against the class index
        return float(np.mean(np.argmax(outputs, axis=1) == np.asarray(y, np.int64)))
    predicted = np.where(outputs >= 0, 1.0, -1.0)
    return float(np.mean(predicted == np.where(np.asarray(y) >= 0, 1.0, -1.0)))
