"""The optimizers learners can pick, by the names the talks use, as Keras optimizers."""

from __future__ import annotations

import keras

OPTIMIZERS = (
    ("sgd", "Gradient descent"),
    ("momentum", "Gradient descent with momentum (0.9)"),
    ("adam", "Adam"),
    ("rmsprop", "RMSProp"),
    ("adagrad", "Adagrad"),
    ("adadelta", "Adadelta"),
)
OPTIMIZER_KEYS = tuple(key for key, _ in OPTIMIZERS)


LearningRate = float | keras.optimizers.schedules.LearningRateSchedule


def make_optimizer(key: str, learning_rate: LearningRate) -> keras.optimizers.Optimizer:
    """A fresh Keras optimizer; its learning rate stays assignable while training."""
    match key:
        case "sgd":
            return keras.optimizers.SGD(learning_rate=learning_rate)
        case "momentum":
            return keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
        case "adam":
            return keras.optimizers.Adam(learning_rate=learning_rate)
        case "rmsprop":
            return keras.optimizers.RMSprop(learning_rate=learning_rate)
        case "adagrad":
            return keras.optimizers.Adagrad(learning_rate=learning_rate)
        case "adadelta":
            return keras.optimizers.Adadelta(learning_rate=learning_rate)
    raise ValueError(f"unknown optimizer {key!r}; choose one of {', '.join(OPTIMIZER_KEYS)}")
