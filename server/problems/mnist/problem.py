"""The MNIST lab as a problem plug-in: its spec, job and catalogue."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from server.classifier.layers import layer_catalog
from server.config import Config
from server.datasets.mnist import MnistSource, MnistUnavailableError
from server.problem import JobContext, Problem, only_state
from server.problems.mnist import choices
from server.problems.mnist.job import MnistJob
from server.problems.mnist.models import PRESETS
from server.problems.mnist.spec import MnistSpec, parse_mnist_spec
from server.runs.run import Job
from server.training.optimizers import OPTIMIZERS
from server.values import SpecError


class MnistProblem(Problem):
    key = "mnist"
    label = "MNIST"
    page = "/mnist.html"

    def __init__(self) -> None:
        # The digits are loaded once per file and shared by every run (read-only arrays).
        self._sources: dict[Path | None, MnistSource] = {}
        self._lock = threading.Lock()

    def parse_spec(self, raw: dict[str, Any], config: Config) -> MnistSpec:
        return parse_mnist_spec(raw)

    def parse_changes(self, body: dict[str, Any], job: Job) -> dict[str, Any]:
        return only_state(self, body)

    def make_job(self, spec: MnistSpec, context: JobContext) -> MnistJob:
        with self._lock:
            source = self._sources.setdefault(context.config.mnist_path,
                                              MnistSource(context.config.mnist_path))
        try:
            data = source.get()
        except MnistUnavailableError as error:
            raise SpecError("problem", str(error)) from error
        return MnistJob(spec, data)

    def catalog(self, config: Config) -> dict[str, Any]:
        return {
            "presets": [
                {"key": key, "title": preset["title"], "reported": preset["reported"],
                 "spec": {k: v for k, v in preset.items() if k not in ("title", "reported")}}
                for key, preset in PRESETS.items()
            ],
            "optimizers": [{"key": k, "label": label} for k, label in OPTIMIZERS],
            **layer_catalog(),
            "limits": {"batchSize": choices.BATCH_SIZE.to_json(),
                       "epochs": choices.EPOCHS.to_json(),
                       "trainImages": choices.TRAIN_IMAGES.to_json(),
                       "learningRate": choices.LEARNING_RATE.to_json(),
                       "decaySteps": choices.DECAY_STEPS.to_json(),
                       "shift": choices.SHIFT.to_json(),
                       "seed": choices.SEED.to_json(),
                       "parameters": {"max": choices.MAX_PARAMETERS},
                       "batchActivations": {"max": choices.MAX_BATCH_ACTIVATIONS}},
            "defaults": {"trainImages": choices.TRAIN_IMAGES.default,
                         "seed": choices.SEED.default},
        }


MNIST = MnistProblem()
