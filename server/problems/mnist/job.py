"""The MNIST job: trains one of the ladder's models and publishes the six panels' data.

Events: `metrics` (several a second), `panels` (about once a second) and
`evaluation` (after each full pass over the 10,000 test images). Evaluating
costs at most EVAL_BUDGET of training time (`schedule.py` decides when).
"""

from __future__ import annotations

import math
import time
from typing import Any

import keras
import numpy as np

from exporter.guide import EXAMPLES, ModelGuide
from server.problems.mnist.data import Mnist
from server.problems.mnist.models import (
    PRESETS,
    DecayToFloor,
    build_model,
    build_optimizer,
    learning_rate_of,
    steps_per_epoch,
)
from server.problems.mnist.panels import (
    confusion_matrix,
    digit_strip,
    downsample,
    percentile_band,
    weight_maps,
)
from server.problems.mnist.schedule import EvaluationSchedule
from server.problems.mnist.spec import MnistSpec
from server.problems.mnist.trainer import MnistTrainer
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


class MnistJob(TrainingJob[MnistTrainer]):
    """Trains an MNIST model for an epoch budget; one instance per run."""

    heavy = True  # minutes of a core: it queues for one

    def __init__(self, spec: MnistSpec, data: Mnist) -> None:
        super().__init__()
        self.spec = spec
        self.data = data
        built = build_model(spec)
        self.code = built.code
        # The initial weights at once: the model can be downloaded before training starts.
        initial_weights = built.model.get_weights()
        count = spec.train_images
        self._x_train, self._y_train = data.x_train[:count], data.y_train[:count]
        self._steps_per_epoch = steps_per_epoch(count, spec.batch_size)
        self._total_steps = spec.epochs * self._steps_per_epoch
        self._rng = np.random.default_rng(spec.seed)
        self._sample = self._rng.choice(len(data.x_test), SAMPLE_SIZE, replace=False)
        self._step = 0  # batches trained
        self._weights_step = 0  # the batches `_weights` were taken after
        self._order = self._rng.permutation(count)
        self._weights: list[np.ndarray] = initial_weights
        self._metrics: dict[str, Any] = {}
        self._history: dict[str, list[float]] = {k: [] for k in (
            "iteration", "trainAccuracy", "trainLoss", "testIteration", "testAccuracy",
            "testLoss")}
        self._bands: dict[str, dict[str, list[Any]]] = {}
        # The last batch as the model saw it: (digits, labels, predicted digits).
        self._last_batch: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._chunk = 1
        self._schedule = EvaluationSchedule(EVAL_BUDGET, len(data.x_test), SAMPLE_SIZE,
                                            self._steps_per_epoch)
        self._last_panels = 0.0
        self._traced = False
        self._rate = learning_rate_of(spec)  # what the optimizer's schedule computes

    # -- read from request threads -----------------------------------------------------

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "preset": self.spec.preset,
            "trainImages": len(self._x_train),
            "testImages": len(self.data.x_test),
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
        return build_model(self.spec, for_export=True).model

    def export_metadata(self) -> dict[str, Any]:
        """What metadata.json says besides the guide's input, output and progress."""
        metrics = {key: value for key, value in self.metrics().items()
                   if key not in ("epoch", "batch")}  # the export's own are the weights'
        metadata = {
            "spec": self.spec.to_json(),
            "code": self.code,
            **metrics,
        }
        if self.spec.shift:
            metadata["training"] = (
                f"Training digits were shifted at random by up to ±{self.spec.shift} px "
                "(the code's RandomTranslation layer). It acts only while training, so the "
                "exported model leaves it out: same weights, same predictions."
            )
        return metadata

    def export_guide(self) -> ModelGuide:
        """How to feed the exported model: 28×28 grey digits scaled to [0, 1].

        The examples are test digits (the quick evaluation's sample, which the run never
        trained on), as their grey levels 0 to 255.
        """
        digits = self.data.x_test[self._sample[:EXAMPLES]]
        return ModelGuide(
            title=f"MNIST: {PRESETS[self.spec.preset]['title']}"
            if self.spec.preset in PRESETS else "MNIST",
            view="export-mnist.js",
            raw_input=("a 28×28 grey image of one digit, white on black: 28 rows of 28 grey "
                       "levels, 0 (paper) to 255 (ink), top row first"),
            input_shape=(28, 28, 1),
            preparation=(
                "For a drawing or a photo, make it look like MNIST first: crop the digit, "
                "scale it to fit a 20×20 box (keeping its aspect ratio, anti-aliased) and "
                "place it in the 28×28 field so its centre of mass is at the centre "
                "(js/mnist-preprocess.js in this folder does this: prepareDigit).",
                "Divide the grey levels by 255: values in [0, 1].",
                "Shape [n, 28, 28, 1] (one channel last), float32.",
            ),
            output=("shape [n, 10]: the probabilities (softmax) of the digits 0 to 9, in "
                    "that order; the largest is the model's reading"),
            examples=digits.tolist(),
            model_inputs=digits.astype(np.float32)[..., None] / np.float32(255),
            python=("x = np.array(inputs, dtype=\"float32\").reshape(-1, 28, 28, 1) / 255"
                    "  # shape [n, 28, 28, 1]"),
            javascript=("const x = tf.tensor(inputs, undefined, \"float32\").div(255)"
                        ".reshape([-1, 28, 28, 1]);"),
            steps_per_epoch=self._steps_per_epoch,
        )

    # -- the run's training thread ---------------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        self._events = events
        built = build_model(self.spec)
        if self._weights:
            built.model.set_weights(self._weights)
        self._trainer = MnistTrainer(built.model, build_optimizer(self.spec),
                                     self._x_train, self._y_train, self.spec.batch_size)
        # A restored run carries on down its learning-rate decay, not from its top.
        self._trainer.optimizer.iterations.assign(self._step)
        self._snapshot_weights()
        self._evaluate_sample(before_training=True)
        self._publish_metrics(None)
        self._publish_panels()
        return Progress(0)

    def apply(self, changes: dict[str, Any]) -> None:
        """MNIST runs take no live changes yet beyond pause/resume."""

    def train(self, *, single_step: bool) -> Progress:
        trainer = self._require_trainer()
        in_epoch = self._step % self._steps_per_epoch
        if in_epoch == 0 and self._step:
            self._order = self._rng.permutation(len(self._x_train))
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
        x, y = self.data.x_test[self._sample], self.data.y_test[self._sample]
        result = self._require_trainer().evaluate(x, y)
        finished_at = time.perf_counter()
        if not before_training:  # the first one is mostly tracing, like the first chunk
            self._schedule.evaluated(finished_at - started, full=False, at=finished_at)
        self._record_test(result.loss, result.accuracy, len(y))

    def _evaluate_full(self) -> None:
        started = time.perf_counter()
        x, y = self.data.x_test, self.data.y_test
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
                "confusion": confusion_matrix(y, result.predictions),
                "digits": digit_strip(x, y, result.predictions),
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
        batch = None
        if self._last_batch is not None:
            batch = digit_strip(*self._last_batch)
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
