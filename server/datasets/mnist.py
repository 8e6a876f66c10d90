"""Loading MNIST: a path, the `TF_PLAYGROUND_MNIST` environment variable, or Keras' download.

The workshop splits the 60,000 training images into 55,000 for training and
5,000 for validation; the 10,000 test images stay apart. Pixels stay uint8 in
memory (a quarter of float32) and are scaled to [0, 1] when a batch is taken.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENV_VAR = "TF_PLAYGROUND_MNIST"
TRAIN_SIZE = 55_000  # the workshop's split: 55,000 for training, 5,000 for validation
VALIDATION_SIZE = 5_000
HOW_TO_GET_IT = (
    "MNIST is not available: start the server with `tf-playground serve --mnist PATH` "
    f"(or set {ENV_VAR}=PATH) where PATH is an mnist.npz with x_train, y_train, x_test, "
    "y_test, or run it once with internet access so Keras can download it "
    "(keras.datasets.mnist.load_data())."
)


class MnistUnavailableError(RuntimeError):
    """No MNIST data could be found; the message says how to get it."""


@dataclass(frozen=True)
class Mnist:
    """uint8 images (n, 28, 28) and uint8 labels, split as the workshop splits them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_validation: np.ndarray
    y_validation: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def _from_arrays(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                 y_test: np.ndarray, source: str) -> Mnist:
    if x_train.shape[1:] != (28, 28) or x_test.shape[1:] != (28, 28):
        raise MnistUnavailableError(f"{source}: images must be 28×28, got {x_train.shape[1:]}")
    if len(x_train) != len(y_train) or len(x_test) != len(y_test):
        raise MnistUnavailableError(f"{source}: images and labels differ in number")
    split = min(TRAIN_SIZE, len(x_train) - min(VALIDATION_SIZE, len(x_train) // 12))
    return Mnist(
        x_train[:split].astype(np.uint8), y_train[:split].astype(np.uint8),
        x_train[split:].astype(np.uint8), y_train[split:].astype(np.uint8),
        x_test.astype(np.uint8), y_test.astype(np.uint8), source,
    )


def load_npz(path: str | os.PathLike[str]) -> Mnist:
    """An `mnist.npz` as Keras ships it (or a rebuild with the same arrays)."""
    try:
        with np.load(path) as archive:
            arrays = [archive[k] for k in ("x_train", "y_train", "x_test", "y_test")]
    except (OSError, KeyError, ValueError) as error:
        raise MnistUnavailableError(f"cannot read MNIST from {path}: {error}. "
                                    + HOW_TO_GET_IT) from error
    return _from_arrays(*arrays, source=str(path))


def load_mnist(path: str | os.PathLike[str] | None = None) -> Mnist:
    """From `path`, else `$TF_PLAYGROUND_MNIST`, else Keras' cached or downloaded copy."""
    chosen = path or os.environ.get(ENV_VAR)
    if chosen:
        return load_npz(chosen)
    try:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    except Exception as error:  # offline, hash mismatch, unwritable cache: all the same here
        raise MnistUnavailableError(HOW_TO_GET_IT) from error
    return _from_arrays(x_train, y_train, x_test, y_test, source="keras.datasets.mnist")


class MnistSource:
    """Loads MNIST once, on first use, and remembers a failure's message for the API."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._data: Mnist | None = None

    def get(self) -> Mnist:
        with self._lock:
            if self._data is None:
                self._data = load_mnist(self._path)
            return self._data
