"""Many small runs, one compiled call: dense networks trained side by side in a stack.

A classroom trains thirty copies of the same network at once. One compiled call per
run per chunk wastes the machine on per-call overhead and one compilation per run;
a stack holds `slots` runs of one architecture with a leading "slot" axis on every
weight and data tensor, and trains all of them in one call:

    W[l]: [slots, inputs, units]   b[l]: [slots, units]   x: [slots, capacity, inputs]

Each slot has its own data, batch size, learning rate, regularization rates and
number of epochs for this call (0 for a slot that waits or is free), so a run in a
stack computes exactly what it would alone: its loss is its own ½·mean squared error
over its own batch, and the gradient of the sum of independent losses is each
slot's own gradient. Updates are plain gradient descent (`w -= rate · grad`, as
Keras' SGD), applied only while the slot still has steps to do this call. Shapes
never change: slots join and leave by writing their rows, never by recompiling.

Invariants (checked in tests/test_stack.py against a run trained alone):
- a slot's weights after N epochs equal the single-run engine's to float tolerance,
  whatever the other slots hold or do;
- a slot with 0 epochs, or a free slot, is left exactly as it was.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from server.training.dense import LEAKY_SLOPE

ACTIVATIONS = {
    "relu": tf.nn.relu,
    "tanh": tf.tanh,
    "sigmoid": tf.sigmoid,
    "linear": tf.identity,
    "leaky_relu": lambda x: tf.nn.leaky_relu(x, alpha=LEAKY_SLOPE),
    "elu": tf.nn.elu,
    "silu": tf.nn.silu,
    "softplus": tf.nn.softplus,
}


@dataclass(frozen=True)
class StackKey:
    """What a stack's compiled call depends on; runs with equal keys can share a stack."""

    num_inputs: int
    hidden_layers: tuple[int, ...]
    activation: str
    output_activation: str
    capacity: int  # points per set, padded
    batch_window: int  # rows a batch may take (the largest batch size)

    @property
    def layer_sizes(self) -> list[int]:
        return [self.num_inputs, *self.hidden_layers, 1]


@dataclass(frozen=True)
class SlotData:
    """One run's sets, already as feature matrices, and its batch size."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    batch_size: int


class StackedTrainer:
    """`slots` dense networks of one `StackKey`, trained together by one compiled call.

    Not thread-safe: one scheduler worker at a time calls it (the scheduler's job).
    """

    def __init__(self, key: StackKey, slots: int, *, jit_compile: bool) -> None:
        self.key = key
        self.slots = slots
        sizes = key.layer_sizes
        self._weights = [
            tf.Variable(tf.zeros(shape), name=f"w{i}")
            for i, shape in enumerate(
                shape for fan_in, units in itertools.pairwise(sizes)
                for shape in ((slots, fan_in, units), (slots, units)))
        ]
        cap, n_in = key.capacity, key.num_inputs
        self._x_train = tf.Variable(tf.zeros((slots, cap, n_in)), trainable=False)
        self._y_train = tf.Variable(tf.zeros((slots, cap, 1)), trainable=False)
        self._x_test = tf.Variable(tf.zeros((slots, cap, n_in)), trainable=False)
        self._y_test = tf.Variable(tf.zeros((slots, cap, 1)), trainable=False)
        self._n_train = tf.Variable(tf.ones((slots,), tf.int32), trainable=False)
        self._n_test = tf.Variable(tf.zeros((slots,), tf.int32), trainable=False)
        self._batch_size = tf.Variable(tf.ones((slots,), tf.int32), trainable=False)
        self._rate = tf.Variable(tf.zeros((slots,)), trainable=False)
        self._l1 = tf.Variable(tf.zeros((slots,)), trainable=False)
        self._l2 = tf.Variable(tf.zeros((slots,)), trainable=False)
        self._activation = ACTIVATIONS[key.activation]
        self._output_activation = ACTIVATIONS[key.output_activation]
        self._run = tf.function(self._epochs, jit_compile=jit_compile, reduce_retracing=True)

    # -- one slot's state ----------------------------------------------------------------

    def load(self, slot: int, data: SlotData) -> None:
        """Write a run's sets into its slot (padding rows stay zero and are masked)."""
        cap = self.key.capacity
        if not 1 <= data.batch_size <= self.key.batch_window:
            raise ValueError(f"batch size must be 1..{self.key.batch_window}")
        if not 0 < len(data.x_train) <= cap or len(data.x_test) > cap:
            raise ValueError(f"a slot holds 1..{cap} points per set")
        for x_var, y_var, n_var, x, y in (
            (self._x_train, self._y_train, self._n_train, data.x_train, data.y_train),
            (self._x_test, self._y_test, self._n_test, data.x_test, data.y_test),
        ):
            x_pad = np.zeros((cap, self.key.num_inputs), np.float32)
            y_pad = np.zeros((cap, 1), np.float32)
            x_pad[: len(x)] = x
            y_pad[: len(y), 0] = y
            x_var[slot].assign(x_pad)
            y_var[slot].assign(y_pad)
            n_var[slot].assign(len(x))
        self._batch_size[slot].assign(data.batch_size)

    def write(self, slots: list[int], data: list[SlotData], weights: list[list[np.ndarray]],
              rates: list[float], regularizations: list[tuple[str, float]]) -> None:
        """Write whole runs into `slots` at once: one update per variable, whatever their
        number (a room arriving writes dozens of runs; one small op per run and variable
        would wait for the interpreter lock each time)."""
        cap, n_in = self.key.capacity, self.key.num_inputs
        for run in data:
            if not 1 <= run.batch_size <= self.key.batch_window:
                raise ValueError(f"batch size must be 1..{self.key.batch_window}")
            if not 0 < len(run.x_train) <= cap or len(run.x_test) > cap:
                raise ValueError(f"a slot holds 1..{cap} points per set")
        index = np.asarray(slots, np.int32)[:, None]

        def padded(rows: list[np.ndarray], width: int) -> np.ndarray:
            out = np.zeros((len(rows), cap, width), np.float32)
            for k, values in enumerate(rows):
                out[k, : len(values)] = np.asarray(values, np.float32).reshape(len(values), width)
            return out

        updates = [
            (self._x_train, padded([d.x_train for d in data], n_in)),
            (self._y_train, padded([d.y_train for d in data], 1)),
            (self._x_test, padded([d.x_test for d in data], n_in)),
            (self._y_test, padded([d.y_test for d in data], 1)),
            (self._n_train, np.array([len(d.x_train) for d in data], np.int32)),
            (self._n_test, np.array([len(d.x_test) for d in data], np.int32)),
            (self._batch_size, np.array([d.batch_size for d in data], np.int32)),
            (self._rate, np.array(rates, np.float32)),
            (self._l1, np.array([r if k == "L1" else 0.0 for k, r in regularizations],
                                np.float32)),
            (self._l2, np.array([r if k == "L2" else 0.0 for k, r in regularizations],
                                np.float32)),
            *((variable, np.stack([w[i] for w in weights]).astype(np.float32))
              for i, variable in enumerate(self._weights)),
        ]
        for variable, values in updates:
            variable.scatter_nd_update(index, values)

    def set_weights(self, slot: int, weights: list[np.ndarray]) -> None:
        """`weights` in Keras' `get_weights()` order: kernel, bias, kernel, bias, …"""
        for variable, value in zip(self._weights, weights, strict=True):
            variable[slot].assign(value)

    def set_learning_rate(self, slot: int, rate: float) -> None:
        self._rate[slot].assign(rate)

    def set_regularization(self, slot: int, kind: str, rate: float) -> None:
        """`kind` is "none", "L1" or "L2"; L2 adds ½·rate·Σw², as the single engine does."""
        self._l1[slot].assign(rate if kind == "L1" else 0.0)
        self._l2[slot].assign(rate if kind == "L2" else 0.0)

    def all_weights(self) -> list[np.ndarray]:
        """Every slot's weights at once (one read per variable): index [slot] of each."""
        return [variable.numpy() for variable in self._weights]

    # -- training --------------------------------------------------------------------------

    def train(self, epochs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Train each slot its own number of epochs (0: untouched) in one call.

        Returns every slot's training and test loss after the call.
        """
        train_loss, test_loss = self._run(tf.constant(epochs, tf.int32))
        return train_loss.numpy(), test_loss.numpy()

    def _forward(self, x: tf.Tensor) -> tf.Tensor:
        """[slots, rows, inputs] → [slots, rows, 1]: each slot through its own weights."""
        weights = self._weights
        for i in range(0, len(weights), 2):
            x = tf.einsum("sri,siu->sru", x, weights[i]) + weights[i + 1][:, None, :]
            last = i == len(weights) - 2
            x = (self._output_activation if last else self._activation)(x)
        return x

    def _slot_losses(self, x: tf.Tensor, y: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """Each slot's ½·mean squared error over the rows its mask keeps: [slots]."""
        error = 0.5 * tf.square(self._forward(x) - y) * mask
        return tf.reduce_sum(error, axis=[1, 2]) / tf.maximum(tf.reduce_sum(mask, axis=[1, 2]),
                                                              1.0)

    def _penalty(self) -> tf.Tensor:
        kernels = self._weights[::2]
        l1 = tf.add_n([tf.reduce_sum(tf.abs(k), axis=[1, 2]) for k in kernels])
        l2 = tf.add_n([tf.reduce_sum(tf.square(k), axis=[1, 2]) for k in kernels])
        return tf.reduce_sum(self._l1 * l1 + 0.5 * self._l2 * l2)

    def _set_losses(self, x: tf.Variable, y: tf.Variable, n: tf.Variable) -> tf.Tensor:
        mask = tf.cast(tf.range(self.key.capacity)[None, :] < n[:, None], tf.float32)
        return self._slot_losses(x, y, mask[:, :, None])

    def _epochs(self, epochs: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        batch = self._batch_size.read_value()
        n_train = self._n_train.read_value()
        batches = (n_train + batch - 1) // batch  # per slot
        steps = epochs * batches
        window = tf.range(self.key.batch_window)
        rate = self._rate.read_value()

        def step(t: tf.Tensor) -> tuple[tf.Tensor]:
            active = tf.cast(t < steps, tf.float32)  # [slots]
            rows = ((t % batches) * batch)[:, None] + window[None, :]
            mask = (window[None, :] < batch[:, None]) & (rows < n_train[:, None])
            rows = tf.minimum(rows, self.key.capacity - 1)
            x = tf.gather(self._x_train, rows, batch_dims=1)
            y = tf.gather(self._y_train, rows, batch_dims=1)
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(self._slot_losses(x, y, tf.cast(mask, tf.float32)[..., None]))
                loss += self._penalty()
            gradients = tape.gradient(loss, self._weights)
            scale = rate * active
            for variable, gradient in zip(self._weights, gradients, strict=True):
                shape = [-1] + [1] * (len(variable.shape) - 1)
                variable.assign_sub(tf.reshape(scale, shape) * gradient)
            return (t + 1,)

        tf.while_loop(lambda t: t < tf.reduce_max(steps), step, (tf.constant(0),))
        return (self._set_losses(self._x_train, self._y_train, self._n_train),
                self._set_losses(self._x_test, self._y_test, self._n_test))
