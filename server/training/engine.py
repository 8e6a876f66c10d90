"""The training engine: whole epochs run inside one XLA-compiled TensorFlow function.

Python calling TensorFlow once per batch manages ~50 epochs/s on the playground's
small networks; the per-call overhead dwarfs the arithmetic. So a trainer
compiles one function that loops over epochs and batches in the graph, and the
run's thread calls it for a chunk of epochs at a time.

Shapes are fixed per trainer: the data sit in variables padded to a capacity,
and each batch is a fixed-size window of rows with a mask, so a new data set,
split or batch size never recompiles. A trainer compiled once for an
architecture serves every later run of that architecture (see `scheduler.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from server.training.dense import CROSS_ENTROPY_EPSILON, build_dense_model
from server.training.optimizers import make_optimizer

# Points a trainer holds per set; a larger data set gets a trainer of the next power of two.
MIN_CAPACITY = 1200


@dataclass(frozen=True)
class Architecture:
    """What a compiled trainer depends on; everything else is data or a variable."""

    num_inputs: int
    hidden_layers: tuple[int, ...]
    activation: str
    output_activation: str
    capacity: int = MIN_CAPACITY
    # Rows in one batch window: the largest batch size the problem allows (None: the
    # whole capacity, for full-batch training).
    batch_capacity: int | None = None
    optimizer: str = "sgd"
    # Output neurons: 1 (the classic: tanh or linear, ½·MSE) or one per class (softmax,
    # cross-entropy against the class index held in the label column).
    outputs: int = 1
    dropout: float = 0.0  # rate of the Dropout layer after every hidden layer (training only)

    @property
    def classes(self) -> bool:
        """True for a softmax output over several classes (cross-entropy loss)."""
        return self.outputs > 1

    @property
    def batch_window(self) -> int:
        return self.batch_capacity or self.capacity


def capacity_for(num_points: int, smallest: int = MIN_CAPACITY) -> int:
    """The padded size that holds `num_points` (few distinct sizes → few compilations)."""
    capacity = smallest
    while capacity < num_points:
        capacity *= 2
    return capacity


@dataclass(frozen=True)
class Losses:
    """Data loss (½·mean squared error, or cross-entropy for several classes; no
    regularization term) on both sets."""

    train: float
    test: float


class EpochTrainer:
    """A Keras model, a Keras optimizer and the compiled epoch loop that trains them.

    Not thread-safe: one run's training thread owns it while the run lives.
    """

    def __init__(self, architecture: Architecture) -> None:
        self.architecture = architecture
        self.model = build_dense_model(
            architecture.num_inputs,
            architecture.hidden_layers,
            architecture.activation,
            architecture.output_activation,
            architecture.outputs,
            architecture.dropout,
        )
        self.optimizer = make_optimizer(architecture.optimizer, 0.03)
        self.optimizer.build(self.model.trainable_variables)
        # Both penalties are variables, so switching rates never recompiles.
        self._l1_rate = tf.Variable(0.0, trainable=False, name="l1_rate")
        self._l2_rate = tf.Variable(0.0, trainable=False, name="l2_rate")
        self._kernels = [layer.kernel for layer in self.model.layers
                         if isinstance(layer, keras.layers.Dense)]
        # Data and sizes live in variables: XLA compiles once per trainer (argument values
        # can be folded in as constants, which would recompile for every data set).
        cap, n_in = architecture.capacity, architecture.num_inputs
        self._x_train = tf.Variable(tf.zeros((cap, n_in)), trainable=False, name="x_train")
        self._y_train = tf.Variable(tf.zeros((cap, 1)), trainable=False, name="y_train")
        self._x_test = tf.Variable(tf.zeros((cap, n_in)), trainable=False, name="x_test")
        self._y_test = tf.Variable(tf.zeros((cap, 1)), trainable=False, name="y_test")
        self._n_train = tf.Variable(0, trainable=False, name="n_train")
        self._n_test = tf.Variable(0, trainable=False, name="n_test")
        self._batch_size = tf.Variable(1, trainable=False, name="batch_size")
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
        """Hand the trainer its sets. Batches keep the data's order, like the classic
        playground (it does not shuffle between epochs); the last batch may be smaller."""
        cap = self.architecture.capacity
        if not 1 <= batch_size <= self.architecture.batch_window:
            raise ValueError(f"batch size must be 1..{self.architecture.batch_window}")
        if not 0 < len(x_train) <= cap or len(x_test) > cap:
            raise ValueError(f"a trainer holds 1..{cap} points per set")
        for x_var, y_var, n_var, x, y in (
            (self._x_train, self._y_train, self._n_train, x_train, y_train),
            (self._x_test, self._y_test, self._n_test, x_test, y_test),
        ):
            x_pad = np.zeros(x_var.shape, np.float32)
            y_pad = np.zeros(y_var.shape, np.float32)
            x_pad[: len(x)] = x
            y_pad[: len(y), 0] = y
            x_var.assign(x_pad)
            y_var.assign(y_pad)
            n_var.assign(len(x))
        self._batch_size.assign(batch_size)
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
        """Forget momentum and step counts (a reused trainer starts like a new one)."""
        for variable in self.optimizer.variables:
            if variable is not self.optimizer.learning_rate:
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

    def _epochs(self, epochs: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        variables = self.model.trainable_variables
        batch_size = self._batch_size.read_value()
        n_train = self._n_train.read_value()
        num_batches = (n_train + batch_size - 1) // batch_size
        window = tf.range(self.architecture.batch_window)

        def step(i: tf.Tensor) -> tuple[tf.Tensor]:
            rows = (i % num_batches) * batch_size + window
            mask = tf.cast((window < batch_size) & (rows < n_train), tf.float32)[:, None]
            rows = tf.minimum(rows, self.architecture.capacity - 1)
            with tf.GradientTape() as tape:
                loss = self._data_loss(
                    tf.gather(self._x_train, rows), tf.gather(self._y_train, rows), mask
                )
                loss += self._penalty()
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return (i + 1,)

        # One flat loop with a run-time trip count: XLA would recompile for every
        # distinct count if the bounds were `tf.range` constants.
        tf.while_loop(lambda i: i < epochs * num_batches, step, (tf.constant(0),))
        return (
            self._set_loss(self._x_train, self._y_train, self._n_train),
            self._set_loss(self._x_test, self._y_test, self._n_test),
        )

    def _set_loss(self, x: tf.Variable, y: tf.Variable, n: tf.Variable) -> tf.Tensor:
        """A whole set's loss as the network predicts (dropout off)."""
        mask = tf.cast(tf.range(self.architecture.capacity) < n, tf.float32)[:, None]
        return self._data_loss(x, y, mask, training=False)

    def _data_loss(self, x: tf.Tensor, y: tf.Tensor, mask: tf.Tensor,
                   training: bool = True) -> tf.Tensor:
        """½·mean squared error over the rows the mask keeps (padding rows weigh 0); with
        several classes, the cross-entropy of the softmax output at the class index
        (probabilities clipped to [1e-7, 1 - 1e-7], as Keras' `sparse_categorical_crossentropy`)."""
        output = self.model(x, training=training)
        if self.architecture.classes:
            chosen = tf.gather(output, tf.cast(y[:, 0], tf.int32), batch_dims=1)[:, None]
            chosen = tf.clip_by_value(chosen, CROSS_ENTROPY_EPSILON, 1.0 - CROSS_ENTROPY_EPSILON)
            error = -tf.math.log(chosen) * mask
        else:
            error = 0.5 * tf.square(output - y) * mask
        return tf.reduce_sum(error) / tf.maximum(tf.reduce_sum(mask), 1.0)

    def _penalty(self) -> tf.Tensor:
        if not self._kernels:
            return tf.constant(0.0)
        l1 = tf.add_n([tf.reduce_sum(tf.abs(k)) for k in self._kernels])
        l2 = tf.add_n([tf.reduce_sum(tf.square(k)) for k in self._kernels])
        return self._l1_rate * l1 + 0.5 * self._l2_rate * l2
