"""The training engine: whole epochs run inside one XLA-compiled TensorFlow function.

Python calling TensorFlow once per batch manages ~50 epochs/s on the playground's
small networks; the per-call overhead dwarfs the arithmetic. So a trainer
compiles one function that loops over epochs and batches in the graph, and the
run's thread calls it for a chunk of epochs at a time.

Shapes are fixed per trainer (data padded to a capacity, batches padded to the
largest batch size and masked), so a new data set, split or batch size never
recompiles: a trainer compiled once for an architecture serves every later run
of that architecture (see `TrainerPool`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from server.network import build_playground_model

MAX_BATCH_SIZE = 30
# Points a trainer holds per set; a larger data set gets a trainer of the next power of two.
MIN_CAPACITY = 1200


@dataclass(frozen=True)
class Architecture:
    """What a compiled trainer depends on; everything else is data or a variable."""

    num_inputs: int
    hidden_layers: tuple[int, ...]
    activation: str
    output_activation: str
    capacity: int


def capacity_for(num_points: int) -> int:
    """The padded size that holds `num_points` (few distinct sizes → few compilations)."""
    capacity = MIN_CAPACITY
    while capacity < num_points:
        capacity *= 2
    return capacity


@dataclass(frozen=True)
class Losses:
    """Data loss (½·mean squared error, no regularization term) on both sets."""

    train: float
    test: float


class EpochTrainer:
    """A Keras model, a Keras SGD optimizer and the compiled epoch loop that trains them.

    Not thread-safe: one run's training thread owns it while the run lives.
    """

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        self.model = build_playground_model(
            architecture.num_inputs,
            architecture.hidden_layers,
            architecture.activation,
            architecture.output_activation,
        )
        self.optimizer = keras.optimizers.SGD(learning_rate=0.03)
        self.optimizer.build(self.model.trainable_variables)
        # Both penalties are variables, so switching rates never recompiles.
        self._l1_rate = tf.Variable(0.0, trainable=False, name="l1_rate")
        self._l2_rate = tf.Variable(0.0, trainable=False, name="l2_rate")
        self._kernels = [layer.kernel for layer in self.model.layers]
        # The data lives in variables of fixed shape: XLA compiles once per trainer
        # (arguments' values can end up folded in as constants, recompiling per data set).
        cap, n_in = architecture.capacity, architecture.num_inputs
        self._data = tuple(
            tf.Variable(tf.zeros(shape), trainable=False, name=name)
            for name, shape in (
                ("x_batches", (cap, MAX_BATCH_SIZE, n_in)),
                ("y_batches", (cap, MAX_BATCH_SIZE, 1)),
                ("mask_batches", (cap, MAX_BATCH_SIZE, 1)),
                ("x_train", (cap, n_in)),
                ("y_train", (cap, 1)),
                ("mask_train", (cap, 1)),
                ("x_test", (cap, n_in)),
                ("y_test", (cap, 1)),
                ("mask_test", (cap, 1)),
            )
        )
        self._loaded = False
        self._run_epochs = tf.function(self._epochs, jit_compile=True)

    # -- data and hyperparameters ------------------------------------------------

    def load_data(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_test: np.ndarray,
        y_test: np.ndarray,
        batch_size: int,
    ) -> None:
        """Pad the sets to the trainer's capacity and cut the training set into batches.

        Batches keep the data's order, like the classic playground (it does not
        shuffle between epochs); the last batch may be smaller.
        """
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch size must be 1..{MAX_BATCH_SIZE}")
        cap = self.architecture.capacity
        n_in = self.architecture.num_inputs
        n = len(x_train)
        if n == 0 or n > cap or len(x_test) > cap:
            raise ValueError(f"a trainer holds 1..{cap} points per set")
        num_batches = -(-n // batch_size)
        xb = np.zeros((cap, MAX_BATCH_SIZE, n_in), np.float32)
        yb = np.zeros((cap, MAX_BATCH_SIZE, 1), np.float32)
        mb = np.zeros((cap, MAX_BATCH_SIZE, 1), np.float32)
        for b in range(num_batches):
            rows = slice(b * batch_size, min(n, (b + 1) * batch_size))
            count = rows.stop - rows.start
            xb[b, :count] = x_train[rows]
            yb[b, :count, 0] = y_train[rows]
            mb[b, :count] = 1.0

        def padded(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, ...]:
            xp = np.zeros((cap, n_in), np.float32)
            yp = np.zeros((cap, 1), np.float32)
            mp = np.zeros((cap, 1), np.float32)
            xp[: len(x)] = x
            yp[: len(y), 0] = y
            mp[: len(x)] = 1.0
            return xp, yp, mp

        arrays = (xb, yb, mb, *padded(x_train, y_train), *padded(x_test, y_test))
        for variable, array in zip(self._data, arrays, strict=True):
            variable.assign(array)
        self._loaded = True

    def set_learning_rate(self, rate: float) -> None:
        self.optimizer.learning_rate.assign(rate)

    def set_regularization(self, kind: str, rate: float) -> None:
        """`kind` is "none", "L1" or "L2"; L2 adds ½·rate·Σw², as the playground's update does."""
        self._l1_rate.assign(rate if kind == "L1" else 0.0)
        self._l2_rate.assign(rate if kind == "L2" else 0.0)

    def get_weights(self) -> list[np.ndarray]:
        return self.model.get_weights()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.model.set_weights(weights)

    def reset_optimizer(self) -> None:
        for variable in self.optimizer.variables:
            variable.assign(tf.zeros_like(variable))

    # -- training ----------------------------------------------------------------

    def train(self, epochs: int) -> Losses:
        """Train `epochs` epochs in one compiled call; return the losses after them."""
        if not self._loaded:
            raise RuntimeError("load_data first")
        train_loss, test_loss = self._run_epochs(tf.constant(epochs, tf.int32))
        return Losses(float(train_loss), float(test_loss))

    def evaluate(self) -> Losses:
        return self.train(0)

    def eager_losses(self) -> Losses:
        """The losses without the compiled function: instant even before it is compiled."""
        (_, _, _, x_train, y_train, mask_train, x_test, y_test, mask_test) = self._data
        return Losses(
            float(self._data_loss(x_train, y_train, mask_train)),
            float(self._data_loss(x_test, y_test, mask_test)),
        )

    def _epochs(self, epochs: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        (x_batches, y_batches, mask_batches, x_train, y_train, mask_train,
         x_test, y_test, mask_test) = self._data
        variables = self.model.trainable_variables
        # Counted in the graph: a scalar argument would be folded in as a constant by
        # XLA and every new data size would recompile.
        num_batches = tf.reduce_sum(tf.cast(tf.reduce_max(mask_batches, axis=[1, 2]) > 0, tf.int32))

        def step(i: tf.Tensor) -> tuple[tf.Tensor]:
            b = i % num_batches
            with tf.GradientTape() as tape:
                loss = self._data_loss(
                    tf.gather(x_batches, b), tf.gather(y_batches, b), tf.gather(mask_batches, b)
                )
                loss += self._penalty()
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return (i + 1,)

        # One flat loop with a run-time trip count: XLA would recompile for every
        # distinct count if the bounds were `tf.range` constants.
        tf.while_loop(lambda i: i < epochs * num_batches, step, (tf.constant(0),))
        return (
            self._data_loss(x_train, y_train, mask_train),
            self._data_loss(x_test, y_test, mask_test),
        )

    def _data_loss(self, x: tf.Tensor, y: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """½·mean squared error over the rows the mask keeps (padding rows weigh 0)."""
        error = 0.5 * tf.square(self.model(x, training=True) - y) * mask
        return tf.reduce_sum(error) / tf.maximum(tf.reduce_sum(mask), 1.0)

    def _penalty(self) -> tf.Tensor:
        l1 = tf.add_n([tf.reduce_sum(tf.abs(k)) for k in self._kernels])
        l2 = tf.add_n([tf.reduce_sum(tf.square(k)) for k in self._kernels])
        return self._l1_rate * l1 + 0.5 * self._l2_rate * l2


class TrainerPool:
    """Compiled trainers kept for reuse: compiling costs about a second, reuse costs nothing.

    A run checks a trainer out for its lifetime and gives it back when it ends;
    the next run of the same architecture starts at once.
    """

    def __init__(self, max_idle_per_architecture: int = 2) -> None:
        self._idle: dict[Architecture, list[EpochTrainer]] = defaultdict(list)
        self._lock = threading.Lock()
        self._max_idle = max_idle_per_architecture

    def acquire(self, architecture: Architecture) -> EpochTrainer:
        with self._lock:
            idle = self._idle[architecture]
            if idle:
                return idle.pop()
        return EpochTrainer(architecture)

    def release(self, trainer: EpochTrainer) -> None:
        with self._lock:
            idle = self._idle[trainer.architecture]
            if len(idle) < self._max_idle:
                idle.append(trainer)

    def warm(self, architecture: Architecture) -> None:
        """Compile a trainer ahead of the first request (the default network, at start-up)."""
        trainer = self.acquire(architecture)
        n = architecture.num_inputs
        points = np.zeros((4, n), np.float32)
        trainer.load_data(points, np.zeros(4), points, np.zeros(4), 2)
        trainer.train(1)
        self.release(trainer)
