"""Which way is up? as a problem plug-in: its spec, job, catalogue and upload endpoints."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from flask import Blueprint

from server.classifier.layers import MAX_BATCH_ACTIVATIONS, MAX_PARAMETERS, layer_catalog
from server.classifier.spec import training_limits
from server.config import Config
from server.datasets.mnist import MnistSource, MnistUnavailableError
from server.problem import JobContext, Problem, only_state
from server.problems.orientation import choices
from server.problems.orientation.data import (
    DataCache,
    OrientationData,
    digits_data,
    sample_photos_data,
    turned_test_digits,
    uploaded_data,
)
from server.problems.orientation.job import OrientationJob
from server.problems.orientation.models import PRESETS, preset_values
from server.problems.orientation.spec import OrientationSpec, parse_orientation_spec
from server.problems.orientation.uploads import MIN_PHOTOS, UploadSetError, UploadStore
from server.runs.run import Job
from server.training.optimizers import OPTIMIZERS
from server.values import SpecError


class OrientationProblem(Problem):
    key = "orientation"
    label = "Which way is up?"
    page = "/orientation.html"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mnist: dict[Path | None, MnistSource] = {}
        self._turned_digits: DataCache[tuple[np.ndarray, ...]] = DataCache(size=1)
        self._photos: DataCache[OrientationData] = DataCache(size=2)
        self._uploads: dict[Path, UploadStore] = {}

    def uploads(self, config: Config) -> UploadStore:
        """The upload sets of the server with this configuration (its data directory)."""
        with self._lock:
            return self._uploads.setdefault(config.data_dir, UploadStore(config.data_dir))

    def parse_spec(self, raw: dict[str, Any], config: Config) -> OrientationSpec:
        return parse_orientation_spec(raw)

    def parse_changes(self, body: dict[str, Any], job: Job) -> dict[str, Any]:
        return only_state(self, body)

    def make_job(self, spec: OrientationSpec, context: JobContext) -> OrientationJob:
        config = context.config
        if spec.dataset == "digits":
            with self._lock:
                source = self._mnist.setdefault(config.mnist_path,
                                                MnistSource(config.mnist_path))
            try:
                mnist = source.get()
            except MnistUnavailableError as error:
                raise SpecError("dataset", str(error)) from error
            test = self._turned_digits.get(config.mnist_path,
                                           lambda: turned_test_digits(mnist))
            data = digits_data(mnist, spec, test)
        elif spec.dataset == "photos":
            key = (spec.image_size, spec.train_images, spec.seed)
            data = self._photos.get(key, lambda: sample_photos_data(spec))
        else:
            try:
                photos = self.uploads(config).photos(spec.upload or "")
            except UploadSetError as error:
                raise SpecError("upload", f"{error.reason}; drop the photos again") from error
            if len(photos) < MIN_PHOTOS:
                raise SpecError("upload", f"the upload set has {len(photos)} photo(s); "
                                          f"training needs at least {MIN_PHOTOS} (one is "
                                          "kept apart to test on)")
            data = uploaded_data(photos, spec)
        return OrientationJob(spec, data)

    def run_deleted(self, spec: dict[str, Any], config: Config,
                    other_specs: Callable[[], Iterable[dict[str, Any]]]) -> None:
        """An uploaded run's photos go with it, unless another run still names them."""
        upload = spec.get("upload")
        if not isinstance(upload, str):
            return
        if any(other.get("upload") == upload for other in other_specs()):
            return
        try:
            self.uploads(config).delete(upload)
        except UploadSetError:
            pass  # an id this server never made: nothing to delete

    def blueprint(self) -> Blueprint:
        from server.problems.orientation.upload_api import bp

        return bp

    def catalog(self, config: Config) -> dict[str, Any]:
        sides = sorted({side for d in choices.DATASETS.values() for side in d["sides"]})
        return {
            "datasets": [{"key": key, **value} for key, value in choices.DATASETS.items()],
            "presets": [
                {"key": key, "title": preset["title"], "reported": preset["reported"],
                 "note": preset["note"],
                 "spec": {k: v for k, v in preset_values(key, 28, 0).items()
                          if k not in ("layers", "epochs")},
                 "layersBySize": {str(side): preset["layersFor"](side) for side in sides}}
                for key, preset in PRESETS.items()
            ],
            "classes": choices.classes(),
            "optimizers": [{"key": k, "label": label} for k, label in OPTIMIZERS],
            **layer_catalog(),
            "limits": {**training_limits(),
                       "trainBytes": {"max": choices.MAX_TRAIN_BYTES},
                       "parameters": {"max": MAX_PARAMETERS},
                       "batchActivations": {"max": MAX_BATCH_ACTIVATIONS}},
            "uploads": choices.upload_limits(),
            "reported": {"accuracy": 0.83, "text": "83% on 40,000 new photos (the talk)"},
            "defaults": {"dataset": "digits", "preset": "talk", "seed": 0},
        }


ORIENTATION = OrientationProblem()
