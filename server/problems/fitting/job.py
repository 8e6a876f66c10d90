"""The fitting job: a line or a small network on one input, trained by the shared `EpochTrainer`.

Full-batch training, as the talks do it: every epoch is one step on all the
training points, so the trainer's batch window holds the whole set. The input is
normalised here, before the trainer sees it, when the spec asks; `describe()` and
the export say how, so the page and a downloaded model map x the same way.

Epochs are cheap (a line on 15 points trains millions a second), so a run that
went as fast as it can would cross the loss surface between two frames. Chunks
therefore grow with the epochs since the run started or its rate changed (at
most 5% more each time) and at most `max_snapshot_rate` chunks run a second: the
first epochs play out one per frame, later ones ever faster, up to full speed.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from exporter.guide import ModelGuide, spread
from server.problems.fitting import data
from server.problems.fitting.choices import LOSS
from server.problems.fitting.data import Normalization, Points, PointsSplit
from server.problems.fitting.spec import FittingSpec
from server.training.dense import initial_weights
from server.training.engine import Architecture, capacity_for
from server.training.job import DenseNetworkJob
from server.training.scheduler import Scheduler
from server.training.stack import SlotData

SMALLEST_CAPACITY = 16  # the crickets fit; sizes double from here up to 16,384 (10,000 rows)
RAMP = 20  # a chunk is at most 1/RAMP of the epochs since the last start or rate change
MAX_PATH = 400  # (epoch, W, b) points kept for the loss-surface view


def load_points(spec: FittingSpec) -> Points:
    if spec.dataset == "mystery":
        assert spec.num_points is not None and spec.noise is not None
        return data.mystery(spec.num_points, spec.noise, spec.seed)
    if spec.dataset == "crickets":
        return data.crickets()
    assert spec.csv is not None
    return spec.csv


def fitting_architecture(spec: FittingSpec, split: PointsSplit) -> Architecture:
    """One input, a linear output; capacity and batch window hold the larger set whole."""
    return Architecture(
        num_inputs=1,
        hidden_layers=spec.hidden_layers,
        activation=spec.activation,
        output_activation="linear",
        capacity=capacity_for(max(len(split.train), len(split.test)), smallest=SMALLEST_CAPACITY),
        optimizer=spec.optimizer,
    )


def _pairs(points: Points) -> list[list[float]]:
    return np.column_stack([points.x, points.y]).tolist()


def _short(value: float) -> float:
    """Seven significant digits (float32 holds no more): keeps the path's JSON small."""
    return float(f"{value:.7g}")


class FittingJob(DenseNetworkJob):
    """Trains one fitting run; the run's thread alone calls `start`, `apply`, `train`, `publish`."""

    def __init__(self, spec: FittingSpec, scheduler: Scheduler, *,
                 max_snapshot_rate: float) -> None:
        self.spec = spec
        self.split = data.split(load_points(spec), spec.perc_train, spec.seed)
        self.normalization: Normalization = data.normalization(self.split.train.x,
                                                               spec.normalize)
        super().__init__(
            fitting_architecture(spec, self.split), scheduler,
            weights=initial_weights(1, spec.hidden_layers, data.rng(spec.seed, data.WEIGHTS)),
            learning_rate=spec.learning_rate, has_test_set=len(self.split.test) > 0,
            max_snapshot_rate=max_snapshot_rate,
        )
        self._ramp_from = 0  # the epoch of the last start or learning-rate change
        self._path: list[list[float]] = []

    @property
    def linear(self) -> bool:
        return self.spec.model == "linear"

    # -- read from request threads -----------------------------------------------------

    def describe(self) -> dict[str, Any]:
        train = self.split.train
        return {
            "dataset": self.spec.dataset,
            "model": self.spec.model,
            "train": _pairs(train),
            "test": _pairs(self.split.test),
            "xLabel": train.x_label,
            "yLabel": train.y_label,
            "normalization": self.normalization.to_json(),
            "layers": [1, *self.spec.hidden_layers, 1],
            "loss": LOSS,
        }

    def export_metadata(self) -> dict[str, Any]:
        """What metadata.json says besides the guide's input and output."""
        norm = self.normalization
        metadata: dict[str, Any] = {
            "spec": self.spec.to_json(),
            "normalization": norm.to_json(),
            "loss": LOSS,
            "trainPoints": len(self.split.train),
            "testPoints": len(self.split.test),
            **self.metrics(),
        }
        if self.linear:
            _, weights = self.latest_weights()
            w, b = float(weights[0][0, 0]), float(weights[1][0])
            metadata["line"] = {
                "W": w, "b": b,
                "slope": w / norm.std, "intercept": b - w * norm.mean / norm.std,
                "meaning": "y = W·x' + b on the model's input; slope and intercept in raw x",
            }
        return metadata

    def export_guide(self) -> ModelGuide:
        """How to feed the exported model: one x a row, normalised as training was.

        The examples are the run's x values, test points first (a lesson may have only a
        handful of each).
        """
        norm = self.normalization
        train, test = self.split.train, self.split.test
        pool = np.concatenate([test.x, train.x]).astype(np.float64)
        xs = pool[spread(len(pool))]
        if norm.enabled:
            mean, std = repr(float(norm.mean)), repr(float(norm.std))
            steps: tuple[str, ...] = (
                f"Normalise x as training did: x' = (x - {mean}) / {std} (the training "
                "points' mean and standard deviation).",
                "Put x' in one column, one row per value, float32.",
            )
            python = ("x = ((np.array(inputs, dtype=\"float64\") - " + mean + ") / " + std
                      + ").astype(\"float32\").reshape(-1, 1)  # shape [n, 1]")
            javascript = ("const x = tf.tensor2d(inputs.map((v) => (v - " + mean + ") / " + std
                          + "), [inputs.length, 1], \"float32\");")
        else:
            steps = ("Use x as measured (this run was trained without normalisation).",
                     "Put x in one column, one row per value, float32.")
            python = "x = np.array(inputs, dtype=\"float32\").reshape(-1, 1)  # shape [n, 1]"
            javascript = "const x = tf.tensor2d(inputs, [inputs.length, 1], \"float32\");"
        model = ("a line" if self.linear else "a network "
                 + ("-".join(str(n) for n in self.spec.hidden_layers) or "without hidden layers")
                 + f" {self.spec.activation}")
        return ModelGuide(
            title=f"Fitting: {train.y_label} from {train.x_label}, {model}",
            view="export-fitting.js",
            raw_input=f"a number x, {train.x_label}",
            input_shape=(1,),
            preparation=steps,
            output=f"shape [n, 1], one linear output per x: the predicted y, {train.y_label}",
            examples=xs.tolist(),
            model_inputs=norm.apply(xs)[:, None].astype(np.float32),
            python=python,
            javascript=javascript,
            page={"normalization": norm.to_json(), "train": _pairs(train), "test": _pairs(test),
                  "xLabel": train.x_label, "yLabel": train.y_label},
        )

    # -- the run's training thread ---------------------------------------------------------

    def apply(self, changes: dict[str, Any]) -> None:
        if "learningRate" in changes:
            self.set_learning_rate(changes["learningRate"])
            with self._lock:
                self._ramp_from = self._epoch

    def _slot_data(self) -> SlotData:
        train, test = self.split.train, self.split.test
        norm = self.normalization
        return SlotData(norm.apply(train.x)[:, None], train.y, norm.apply(test.x)[:, None],
                        test.y, len(train))

    def _chunk_epochs(self) -> int:
        return max(1, min(self._chunk.epochs, (self._epoch - self._ramp_from) // RAMP))

    def _after_chunk(self, elapsed: float) -> None:
        if elapsed < self._min_chunk_s:  # small chunks: at most `max_snapshot_rate` a second
            time.sleep(self._min_chunk_s - elapsed)

    def _extra_metrics(self) -> dict[str, Any]:
        if not self.linear or not self._weights:
            return {}
        return {"W": float(self._weights[0][0, 0]), "b": float(self._weights[1][0])}

    def _extra_snapshot(self) -> dict[str, Any]:
        return {"path": [list(point) for point in self._path]} if self.linear else {}

    def _extra_history(self) -> dict[str, Any]:
        return {"path": [list(point) for point in self._path]}

    def _record_extra(self, epoch: int, weights: list[np.ndarray]) -> None:
        """Extend the (W, b) path; halve the older points when it is full."""
        if not self.linear:
            return
        point = [epoch, _short(float(weights[0][0, 0])), _short(float(weights[1][0]))]
        if self._path and self._path[-1][1:] == point[1:]:
            self._path[-1] = point  # no move (converged, or float32 has stalled)
            return
        self._path.append(point)
        if len(self._path) > MAX_PATH:
            self._path = [*self._path[:-1:2], self._path[-1]]

    def _restore_extra(self, metrics: dict[str, Any], history: dict[str, Any]) -> None:
        self._ramp_from = self._epoch
        self._path = [list(point) for point in history.get("path", [])]
