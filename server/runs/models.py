"""Keras models that hold a run's latest weights, for the downloads.

The training thread owns the trainer's model; exports never touch it. A run's
export model is built once by its job (the same builder that made the trained
model, so it is the same network) and loaded with the newest weights per request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import keras
import numpy as np

from exporter.tfjs import to_tfjs
from server.runs.run import Run

T = TypeVar("T")


class ModelNotReadyError(RuntimeError):
    """The run has no weights yet (its model is still being built) → 409, retry shortly."""


class RunModels:
    """Export models behind one lock (exports take milliseconds).

    Runs whose jobs give the same `export_key` (the same network: a classroom's thirty
    default runs) share one model, loaded with each run's weights in turn: building a
    Keras model costs tens of milliseconds, and thirty learners opening the page at
    once would otherwise build thirty. Other runs get a model of their own.
    """

    def __init__(self) -> None:
        self._models: dict[Hashable, keras.Model] = {}
        self._topologies: dict[Hashable, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def tfjs(self, run: Run) -> tuple[dict[str, Any], bytes]:
        """The run's model in the TensorFlow.js format: model.json's dict and its weights.

        For a shared network the topology is made once: the weights' bytes are then the
        run's newest weights, little-endian float32 in Keras' order, which the first
        conversion checked is the manifest's order (so no Keras model is touched per
        request: a room of learners loading their models at once does not queue).
        """
        key = run.job.export_key()
        topology = self._topologies.get(key) if key is not None else None
        if topology is not None:
            _, weights = run.job.latest_weights()
            if not weights:
                raise ModelNotReadyError("the run's model is still being built; retry in a "
                                         "moment")
            return topology, _weight_bytes(weights)

        def convert(model: keras.Model, _: int) -> tuple[dict[str, Any], bytes]:
            topology, data = to_tfjs(model)
            if key is not None and data == _weight_bytes(model.get_weights()):
                self._topologies[key] = topology
            return topology, data

        return self.with_model(run, convert)

    def with_model(self, run: Run, use: Callable[[keras.Model, int], T]) -> T:
        """Call `use(model, epoch)` with a model of the run's network holding its newest
        weights."""
        key = run.job.export_key() or run.id
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = self._models[key] = run.job.build_export_model()
            epoch, weights = run.job.latest_weights()
            if not weights:
                raise ModelNotReadyError("the run's model is still being built; retry in a moment")
            model.set_weights(weights)
            return use(model, epoch)

    def forget(self, run_id: str) -> None:
        with self._lock:
            self._models.pop(run_id, None)


def _weight_bytes(weights: list[np.ndarray]) -> bytes:
    return b"".join(np.ascontiguousarray(w, dtype="<f4").tobytes() for w in weights)
