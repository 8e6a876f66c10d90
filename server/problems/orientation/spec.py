"""Validating an orientation run spec: a data set, an input size, a preset and overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.classifier.spec import parse_training, training_json
from server.problems.orientation.choices import DATASETS, MAX_TRAIN_BYTES, TRAIN_IMAGES
from server.problems.orientation.models import PRESETS, preset_values
from server.problems.orientation.uploads import ID_PATTERN
from server.values import SpecError, choice, whole_number

FIELDS = ("problem", "dataset", "upload", "preset", "imageSize", "layers", "activation",
          "init", "optimizer", "learningRate", "learningRateDecay", "batchSize", "epochs",
          "trainImages", "seed")
DEFAULT_PRESET = "talk"


@dataclass(frozen=True)
class OrientationSpec:
    """A validated orientation spec: the preset's values, scaled to the input, with the
    learner's overrides on top. `upload` names the upload set of an "uploaded" run."""

    dataset: str
    upload: str | None
    preset: str
    image_size: int
    layers: tuple[Mapping[str, Any], ...]
    activation: str
    init: str
    optimizer: str
    learning_rate: float
    learning_rate_decay: Mapping[str, Any] | None
    batch_size: int
    epochs: int
    train_images: int
    seed: int
    shift: int = 0  # the shared model builder's training-only shift: none here

    @property
    def channels(self) -> int:
        return int(DATASETS[self.dataset]["channels"])

    def to_json(self) -> dict[str, Any]:
        """The spec as the API echoes and the store saves it: parsing it again gives this spec."""
        return {"problem": "orientation", "dataset": self.dataset, "upload": self.upload,
                "preset": self.preset, "imageSize": self.image_size, **training_json(self),
                "trainImages": self.train_images}


def parse_orientation_spec(raw: dict[str, Any]) -> OrientationSpec:
    """A full orientation spec; `SpecError` names the first bad field."""
    for key in raw:
        if key not in FIELDS:
            raise SpecError(str(key), f"unknown field; an orientation run takes "
                                      f"{', '.join(FIELDS)}")
    dataset = choice("dataset", raw.get("dataset", "digits"), tuple(DATASETS))
    info = DATASETS[dataset]
    upload = raw.get("upload")
    if dataset == "uploaded":
        if not isinstance(upload, str) or not ID_PATTERN.fullmatch(upload):
            raise SpecError("upload", "an uploaded run names its upload set: the id "
                                      "POST /api/orientation/uploads gave")
    elif upload is not None:
        raise SpecError("upload", 'only a run of the "uploaded" data set names an upload set')
    sides = info["sides"]
    side = raw.get("imageSize", info["defaults"]["imageSize"])
    if isinstance(side, bool) or side not in sides:
        raise SpecError("imageSize", f"the {dataset} data set takes "
                                     f"{' or '.join(str(s) for s in sides)} pixels")
    side = whole_number("imageSize", side, min(sides), max(sides))
    preset_name = choice("preset", raw.get("preset", DEFAULT_PRESET), tuple(PRESETS))
    preset = preset_values(preset_name, side, info["defaults"]["epochs"])
    training = parse_training(raw, preset, side=side, channels=info["channels"], classes=4)
    limit = TRAIN_IMAGES[dataset]
    train_images = limit.check("trainImages", raw.get("trainImages", limit.default))
    image_bytes = side * side * info["channels"]
    if train_images * image_bytes > MAX_TRAIN_BYTES:
        raise SpecError("trainImages", f"{train_images:,} images of {side}×{side} would take "
                                       f"{train_images * image_bytes:,} bytes; at most "
                                       f"{MAX_TRAIN_BYTES // image_bytes:,} at this size")
    if training["batch_size"] > train_images * 4:
        raise SpecError("batchSize", "must not exceed the number of training images "
                                     "(four turns of each)")
    return OrientationSpec(dataset=dataset, upload=upload if dataset == "uploaded" else None,
                           preset=preset_name, image_size=side, train_images=train_images,
                           **training)
