"""Training an image classifier in chunks of batches, each chunk one compiled TensorFlow call.

Like Keras' `steps_per_execution`: Python runs once per chunk, not per batch, and
in between the job publishes metrics and panels. Images stay uint8 and are
scaled to [0, 1] inside the graph as each batch is gathered. A problem may gather
its batches its own way (`BatchGather`): "Which way is up?" keeps each image once,
upright, and turns it inside the graph, so four rotations cost no memory.

A model whose first layer shifts its training digits (`RandomTranslation`) has that
layer applied here, ahead of the rest, so the chunk can hand back the last batch as
the model saw it: the training-digits panel shows the shifted digits its
predictions are about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

EVAL_BATCH = 1000

# (the images variable, the labels variable, a batch's example indices) →
# (its uint8 images as the model sees them, shaped as the stored images; its int32 labels)
BatchGather = Callable[[tf.Variable, tf.Variable, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]


def gather_examples(images: tf.Variable, labels: tf.Variable,
                    indices: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The plain gather: example i is image i with label i."""
    return tf.gather(images, indices), tf.gather(labels, indices)


@dataclass(frozen=True)
class ChunkResult:
    loss: float
    accuracy: float
    batch_indices: np.ndarray  # the last batch (indices into the training examples)
    batch_images: np.ndarray  # its images as the model saw them (uint8, shaped as stored)
    batch_predictions: np.ndarray  # and what the model said for them


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float
    predictions: np.ndarray
    confidences: np.ndarray  # the probability of each predicted class


class ImageTrainer:
    """A run's model and optimizer with compiled train and evaluate functions.

    `x_train` holds uint8 images, (n, h, w) grey or (n, h, w, c); there are
    `len(y_train)` training examples, each gathered by `gather` (by default example i
    is image i).
    """

    def __init__(self, model: keras.Model, optimizer: keras.optimizers.Optimizer,
                 x_train: np.ndarray, y_train: np.ndarray, batch_size: int,
                 jit_compile: bool = False, gather: BatchGather = gather_examples) -> None:
        self.model = model
        self.optimizer = optimizer
        self.optimizer.build(model.trainable_variables)
        self.batch_size = batch_size
        # Variables, not constants or arguments: nothing is copied per call, and under XLA
        # (off by default: on this CPU it runs convolutions 4× slower than the graph
        # executor) constants would be embedded in the program.
        self._x = tf.Variable(x_train, trainable=False, name="images")
        self._y = tf.Variable(y_train.astype(np.int32), trainable=False, name="labels")
        self._order = tf.Variable(np.arange(len(y_train), dtype=np.int32), trainable=False,
                                  name="order")
        self._gather = gather
        self._seen_shape = [int(n) for n in x_train.shape[1:]]
        self._grey = x_train.ndim == 3  # (n, h, w): the model's channel axis is added
        self._order_source: np.ndarray | None = None
        self._loss = keras.losses.SparseCategoricalCrossentropy()
        first = model.layers[0] if model.layers else None
        self._shift = first if isinstance(first, keras.layers.RandomTranslation) else None
        # The same layer objects (and weights) without the shift: the rest of the model.
        self._rest = keras.Sequential(model.layers[1:]) if self._shift else model
        self._train = tf.function(self._train_steps, jit_compile=jit_compile)
        self._predict = tf.function(self._predict_batch, jit_compile=jit_compile)

    def train(self, order: np.ndarray, first_batch: int, batches: int) -> ChunkResult:
        """Train `batches` batches taken from `order` (an epoch's shuffle) from `first_batch`."""
        if order is not self._order_source:
            self._order.assign(order.astype(np.int32))
            self._order_source = order
        loss, accuracy, indices, images, predictions = self._train(
            tf.constant(first_batch), tf.constant(batches)
        )
        return ChunkResult(float(loss), float(accuracy), indices.numpy(), images.numpy(),
                           predictions.numpy())

    def _train_steps(self, first: tf.Tensor, count: tf.Tensor) -> tuple[tf.Tensor, ...]:
        size = self.batch_size
        variables = self.model.trainable_variables
        order = self._order.read_value()

        def step(i: tf.Tensor, loss_sum: tf.Tensor, correct: tf.Tensor, _: tf.Tensor,
                 __: tf.Tensor, ___: tf.Tensor) -> tuple[tf.Tensor, ...]:
            indices = tf.slice(order, [(first + i) * size], [size])
            seen, labels = self._gather(self._x, self._y, indices)  # uint8, as panels show
            images = tf.cast(seen, tf.float32) / 255.0
            if self._grey:
                images = images[..., None]
            if self._shift is not None:
                images = self._shift(images, training=True)
                seen = tf.cast(tf.round(images * 255.0), tf.uint8)
                if self._grey:
                    seen = seen[..., 0]
            with tf.GradientTape() as tape:
                probabilities = self._rest(images, training=True)
                loss = self._loss(labels, probabilities)
            gradients = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            predicted = tf.argmax(probabilities, axis=1, output_type=tf.int32)
            hits = tf.reduce_sum(tf.cast(predicted == labels, tf.float32))
            return i + 1, loss_sum + loss, correct + hits, indices, seen, predicted

        empty = tf.zeros([size], tf.int32)
        _, loss_sum, correct, indices, seen, predicted = tf.while_loop(
            lambda i, *_: i < count, step,
            (tf.constant(0), tf.constant(0.0), tf.constant(0.0), empty,
             tf.zeros([size, *self._seen_shape], tf.uint8), empty),
            shape_invariants=(tf.TensorShape([]),) * 3 + (
                tf.TensorShape([None]), tf.TensorShape([None, *self._seen_shape]),
                tf.TensorShape([None])),
        )
        n = tf.cast(count, tf.float32)
        return loss_sum / n, correct / (n * size), indices, seen, predicted

    def _predict_batch(self, images: tf.Tensor) -> tf.Tensor:
        if len(images.shape) == 3:
            images = images[..., None]
        return self.model(tf.cast(images, tf.float32) / 255.0, training=False)

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> Evaluation:
        """Loss, accuracy, predicted classes and their probabilities on a set of uint8
        images (in batches of 1,000)."""
        predictions, confidences, losses = [], [], []
        for start in range(0, len(x), EVAL_BATCH):
            probabilities = self._predict(tf.constant(x[start:start + EVAL_BATCH]))
            labels = y[start:start + EVAL_BATCH]
            losses.append(float(self._loss(labels, probabilities)) * len(labels))
            values = probabilities.numpy()
            predictions.append(np.argmax(values, axis=1))
            confidences.append(np.max(values, axis=1))
        predicted = np.concatenate(predictions)
        return Evaluation(sum(losses) / len(x), float(np.mean(predicted == y)), predicted,
                          np.concatenate(confidences))
