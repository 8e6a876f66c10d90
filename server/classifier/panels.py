"""An image classifier's views' data: image strips, curves, bands, weight maps, confusion.

Pure NumPy; the job calls these about once a second and publishes the result.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

PERCENTILES = (0, 10, 25, 50, 75, 90, 100)
MAX_POINTS = 400
MAX_DIGITS = 100


def downsample(values: list[Any], limit: int = MAX_POINTS) -> list[Any]:
    """At most `limit` evenly spaced items, always keeping the newest."""
    if len(values) <= limit:
        return list(values)
    idx = np.linspace(0, len(values) - 1, limit).round().astype(int)
    return [values[i] for i in idx]


def digit_strip(images: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
                limit: int = MAX_DIGITS) -> dict[str, Any]:
    """Digits with their labels and predictions, mistakes first; pixels as base64 uint8."""
    wrong = predicted != labels
    order = np.concatenate([np.flatnonzero(wrong), np.flatnonzero(~wrong)])[:limit]
    return {
        "pixels": base64.b64encode(np.ascontiguousarray(images[order], np.uint8)).decode(),
        "labels": labels[order].tolist(),
        "predicted": predicted[order].tolist(),
        "mistakes": int(wrong.sum()),
        "count": len(labels),
    }


def percentile_band(values: np.ndarray) -> list[float]:
    return np.percentile(values, PERCENTILES).astype(float).round(6).tolist()


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray,
                     classes: int = 10) -> list[list[int]]:
    """Rows: the true class; columns: the predicted one."""
    matrix = np.zeros((classes, classes), np.int64)
    np.add.at(matrix, (labels.astype(int), predicted.astype(int)), 1)
    return matrix.tolist()


def weight_maps(kernel: np.ndarray) -> dict[str, Any] | None:
    """The ten 28×28 maps of a softmax regression's kernel (784 × 10), scaled to int8."""
    if kernel.shape != (784, 10):
        return None
    scale = float(np.max(np.abs(kernel))) or 1.0
    quantised = np.round(kernel.T / scale * 127).astype(np.int8)
    return {"scale": scale, "values": base64.b64encode(quantised.tobytes()).decode()}
