"""The image-classifier job: trains a layer list's model on a problem's images and
publishes the lab's live views. MNIST's job and "Which way is up?"'s are this one with
their data, shapes and evaluation extras.

Events: `metrics` (several a second), `panels` (about once a second) and
`evaluation` (after each full pass over the test images). Evaluating costs at most
EVAL_BUDGET of training time (`schedule.py` decides when).
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np

from server.classifier.models import (
    BuiltModel,
    DecayToFloor,
    build_optimizer,
    learning_rate_of,
    steps_per_epoch,
)
from server.classifier.panels import (
    confusion_matrix,
    downsample,
    percentile_band,
    weight_maps,
)
from server.classifier.schedule import EvaluationSchedule
from server.classifier.trainer import BatchGather, Evaluation, ImageTrainer, gather_examples
from server.runs.events import EventLog
from server.runs.run import Progress
from server.training.job import TrainingJob

# Share of training time spent evaluating. The issue allows 10%, but the whole run must
# stay within 1.10 × model.fit, and the convolutional models train about as fast as fit:
# 5% still scores all 10,000 test images about once an epoch on those.
EVAL_BUDGET = 0.05
SAMPLE_SIZE = 1000  # test images in a quick evaluation
METRICS_PERIOD_S = 0.2
PANELS_PERIOD_S = 1.0

class ClassifierJob(TrainingJob[ImageTrainer]):
    """Trains an image classifier for an epoch budget; one instance per run.

    A problem subclasses it and gives `_build_model` (its shapes and names); its data
    come as uint8 arrays: `x_train` images with `y_train` labels, one per training
    example (a `gather` may make several examples of one image), and the test set,
    images `x_test` and labels `y_test`, one per example.
    """

    heavy = True  # minutes of a core: it queues for one
    classes = 10  # the softmax's size

    def __init__(self, spec: Any, x_train: np.ndarray, y_train: np.ndarray,
                 x_test: np.ndarray, y_test: np.ndarray, *,
                 gather: BatchGather = gather_examples) -> None:
        super().__init__()
        self.spec = spec
        self.x_test, self.y_test = x_test, y_test
        built = self._build_model()
        self.code = built.code
        # The initial weights at once: the model can be downloaded before training starts.
        initial_weights = built.model.get_weights()
        count = len(y_train)
        self._x_train, self._y_train = x_train, y_train
        self._gather = gather
        self._steps_per_epoch = steps_per_epoch(count, spec.batch_size)
        self._total_steps = spec.epochs * self._steps_per_epoch
        self._rng = np.random.default_rng(spec.seed)
        self._sample = self._rng.choice(len(x_test), min(SAMPLE_SIZE, len(x_test)),
                                        replace=False)
        self._step = 0  # batches trained
        self._weights_step = 0  # the batches `_weights` were taken after
        self._order = self._rng.permutation(count)
        self._weights: list[np.ndarray] = initial_weights
        self._metrics: dict[str, Any] = {}
        self._history: dict[str, list[float]] = {k: [] for k in (
            "iteration", "trainAccuracy", "trainLoss", "testIteration", "testAccuracy",
            "testLoss")}
        self._bands: dict[str, dict[str, list[Any]]] = {}
        # The last batch as the model saw it: (images, labels, predicted classes).
        self._last_batch: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._chunk = 1
        self._schedule = EvaluationSchedule(EVAL_BUDGET, len(x_test), len(self._sample),
                                            self._steps_per_epoch)
        self._last_panels = 0.0
        self._traced = False
        self._rate = learning_rate_of(spec)  # what the optimizer's schedule computes

    # -- read from request threads -----------------------------------------------------

    # -- what a problem gives -------------------------------------------------------------

    def _build_model(self, *, for_export: bool = False) -> BuiltModel:
        raise NotImplementedError

    def _evaluation_extra(self, result: Evaluation) -> dict[str, Any]:
        """Fields a full evaluation's event carries besides accuracy, loss and confusion."""
        return {}

    def _batch_panel(self) -> dict[str, Any] | None:
        """The last training batch (images, labels, predictions) as the panels show it
        (None: not shown)."""
        return None

    # -- read from request threads -----------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "preset": self.spec.preset,
            "trainImages": len(self._y_train),
            "testImages": len(self.y_test),
            "stepsPerEpoch": self._steps_per_epoch,
            "totalSteps": self._total_steps,
        }

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._metrics)

    def latest_weights(self) -> tuple[int, list[np.ndarray]]:
        """The newest weights and the batches trained when they were taken (a step here is
        a batch; weights are taken about once a second, so they may lag `_step`)."""
        with self._lock:
            return self._weights_step, [w.copy() for w in self._weights]

    def history(self) -> dict[str, list[float]]:
        with self._lock:
            return {key: list(values) for key, values in self._history.items()}

    def restore(self, epoch: int, weights: list[np.ndarray], metrics: dict[str, Any],
                history: Any) -> None:
        """Continue from saved weights and step (the optimizer's moments start afresh)."""
        with self._lock:
            self._step = self._weights_step = int(metrics.get("batch", 0))
            self._weights = weights
            self._metrics = dict(metrics)
            for key, values in (history or {}).items():
                if key in self._history:
                    self._history[key] = list(values)

    def build_export_model(self) -> keras.Model:
        return self._build_model(for_export=True).model

    # -- the run's training thread ---------------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        self._events = events
        built = self._build_model()
        if self._weights:
            built.model.set_weights(self._weights)
        self._trainer = ImageTrainer(built.model, build_optimizer(self.spec),
                                     self._x_train, self._y_train, self.spec.batch_size,
                                     gather=self._gather)
        # A restored run carries on down its learning-rate decay, not from its top.
        self._trainer.optimizer.iterations.assign(self._step)
        self._snapshot_weights()
        self._evaluate_sample(before_training=True)
        self._publish_metrics(None)
        self._publish_panels()
        return Progress(0)

    def apply(self, changes: dict[str, Any]) -> None:
        """These runs take no live changes yet beyond pause/resume."""

    def train(self, *, single_step: bool) -> Progress:
        trainer = self._require_trainer()
        in_epoch = self._step % self._steps_per_epoch
        if in_epoch == 0 and self._step:
            self._order = self._rng.permutation(len(self._y_train))
        batches = 1 if single_step else self._chunk
        batches = min(batches, self._steps_per_epoch - in_epoch, self._total_steps - self._step)
        started = time.perf_counter()
        result = trainer.train(self._order, in_epoch, batches)
        elapsed = time.perf_counter() - started
        if self._traced:  # the first call's time is mostly tracing, not training
            self._schedule.trained(elapsed, batches)
        self._traced = True
        if not single_step:  # aim at ~METRICS_PERIOD_S per chunk
            self._chunk = max(1, min(int(batches * METRICS_PERIOD_S / max(elapsed, 1e-4)),
                                     batches * 4))
        with self._lock:
            self._step += batches
        self._last_batch = (result.batch_images, self._y_train[result.batch_indices],
                            result.batch_predictions)
        healthy = math.isfinite(result.loss)
        finished = self._step >= self._total_steps
        left_in_epoch = -self._step % self._steps_per_epoch
        now = time.perf_counter()
        evaluation = self._schedule.next_evaluation(now, left_in_epoch, finished)
        if evaluation == "full":
            self._evaluate_full()
        elif evaluation == "sample":
            self._evaluate_sample()
        self._publish_metrics(result)
        if finished or single_step or now - self._last_panels >= PANELS_PERIOD_S:
            self._snapshot_weights()
            self._publish_panels()
        return Progress(self._step // self._steps_per_epoch, healthy=healthy, finished=finished)

    def publish(self) -> None:
        self._publish_panels()

    # -- evaluation and events ---------------------------------------------------------------

    def _evaluate_sample(self, *, before_training: bool = False) -> None:
        started = time.perf_counter()
        x, y = self.x_test[self._sample], self.y_test[self._sample]
        result = self._require_trainer().evaluate(x, y)
        finished_at = time.perf_counter()
        if not before_training:  # the first one is mostly tracing, like the first chunk
            self._schedule.evaluated(finished_at - started, full=False, at=finished_at)
        self._record_test(result.loss, result.accuracy, len(y))

    def _evaluate_full(self) -> None:
        started = time.perf_counter()
        x, y = self.x_test, self.y_test
        result = self._require_trainer().evaluate(x, y)
        finished_at = time.perf_counter()
        self._schedule.evaluated(finished_at - started, full=True, at=finished_at)
        self._record_test(result.loss, result.accuracy, len(y))
        if self._events is not None:
            self._events.publish("evaluation", {
                "iteration": self._step,
                "epoch": self._step / self._steps_per_epoch,
                "testAccuracy": result.accuracy,
                "testLoss": result.loss,
                "confusion": confusion_matrix(y, result.predictions, self.classes),
                **self._evaluation_extra(result),
            }, coalesce=True)

    def _record_test(self, loss: float, accuracy: float, images: int) -> None:
        with self._lock:
            self._metrics.update(testLoss=loss, testAccuracy=accuracy, evaluatedImages=images)
        self._history["testIteration"].append(self._step)
        self._history["testAccuracy"].append(accuracy)
        self._history["testLoss"].append(loss)

    def _learning_rate(self) -> float:
        rate = self._rate
        return rate.value_at(self._step) if isinstance(rate, DecayToFloor) else float(rate)

    def _publish_metrics(self, result: Any) -> None:
        learning_rate = self._learning_rate()
        with self._lock:
            if result is not None:
                self._metrics.update(trainLoss=result.loss, trainAccuracy=result.accuracy)
                self._history["iteration"].append(self._step)
                self._history["trainAccuracy"].append(result.accuracy)
                self._history["trainLoss"].append(result.loss)
            self._metrics.update(
                epoch=self._step / self._steps_per_epoch,
                batch=self._step,
                learningRate=learning_rate,
                evaluationShare=self._schedule.share,
            )
            payload = {key: self._metrics.get(key) for key in (
                "epoch", "batch", "trainAccuracy", "trainLoss", "testAccuracy", "testLoss",
                "evaluatedImages", "learningRate", "evaluationShare")}
        if self._events is not None:
            self._events.publish("metrics", payload, coalesce=True)

    def _snapshot_weights(self) -> None:
        model = self._require_trainer().model
        weights = model.get_weights()
        with self._lock:
            self._weights = weights
            self._weights_step = self._step
        for layer in model.layers:
            for variable in layer.trainable_weights:
                key = f"{layer.name}/{variable.name}"
                band = self._bands.setdefault(key, {"iteration": [], "percentiles": []})
                band["iteration"].append(self._step)
                band["percentiles"].append(percentile_band(np.asarray(variable.numpy())))

    def _publish_panels(self) -> None:
        self._last_panels = time.perf_counter()
        if self._events is None:
            return
        batch = self._batch_panel()
        history = self._history
        train_idx = downsample(list(range(len(history["iteration"]))))
        test_idx = downsample(list(range(len(history["testIteration"]))))
        bands = []
        for key, band in self._bands.items():
            layer, _, kind = key.rpartition("/")
            keep = downsample(list(range(len(band["iteration"]))), 200)
            bands.append({
                "layer": layer,
                "kind": "bias" if kind in ("bias", "beta") else "weights",
                "name": kind,
                "iteration": [band["iteration"][i] for i in keep],
                "percentiles": [band["percentiles"][i] for i in keep],
            })
        first_kernel = next((w for w in self._weights if w.ndim == 2), None)
        self._events.publish("panels", {
            "iteration": self._step,
            "epoch": self._step / self._steps_per_epoch,
            "batch": batch,
            "history": {
                "iteration": [history["iteration"][i] for i in train_idx],
                "trainAccuracy": [history["trainAccuracy"][i] for i in train_idx],
                "trainLoss": [history["trainLoss"][i] for i in train_idx],
                "testIteration": [history["testIteration"][i] for i in test_idx],
                "testAccuracy": [history["testAccuracy"][i] for i in test_idx],
                "testLoss": [history["testLoss"][i] for i in test_idx],
            },
            "bands": bands,
            "weightMaps": weight_maps(first_kernel) if first_kernel is not None else None,
        }, coalesce=True)
