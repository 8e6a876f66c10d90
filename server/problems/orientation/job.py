"""The orientation job: the shared classifier job, turning each upright training image
into its four directions inside the graph, with the lesson's views.

Events (see `server/classifier/job.py`): `metrics` (with `testAccuracy`), `panels`
(the accuracy and loss curves) and `evaluation` after each full pass over the test
images: the 4 × 4 confusion matrix, accuracy per direction, the "Pass" and "Fail"
galleries (test images as the model saw them, with what it said and how sure it
was) and accuracy per digit (digits) or per test photo (photos).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import tensorflow as tf

from exporter.guide import EXAMPLES, ModelGuide
from server.classifier.job import ClassifierJob
from server.classifier.models import BuiltModel
from server.classifier.trainer import Evaluation
from server.problems.orientation.choices import DATASETS
from server.problems.orientation.data import OrientationData
from server.problems.orientation.models import PRESETS, build_orientation_model
from server.problems.orientation.rotations import DIRECTIONS
from server.problems.orientation.spec import OrientationSpec

GALLERY = 12  # test images in each of "Pass" and "Fail"
# predictions.json holds at most this many pixel values: 32 digits or 48×48 crops, but
# 14 crops of 96×96 (a 3 MB file of grey levels otherwise).
EXAMPLE_VALUES = 400_000


def turn_gather(images: tf.Variable, labels: tf.Variable,
                indices: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Example 4·i + c: upright image i turned c quarter turns clockwise, labelled c.

    `tf.image.rot90(x, k)` turns counter-clockwise, so a clockwise turn c is k = 4 − c;
    the four turns of the batch are made and each example picks its own (square images
    keep their shape). `rotations.turn` does the same in NumPy.
    """
    direction = indices % 4
    upright = tf.gather(images, indices // 4)
    grey = len(images.shape) == 3
    x = upright[..., None] if grey else upright
    turns = tf.stack([x, tf.image.rot90(x, 3), tf.image.rot90(x, 2), tf.image.rot90(x, 1)],
                     axis=1)
    seen = tf.gather(turns, direction, batch_dims=1)
    return (seen[..., 0] if grey else seen), direction


def preprocessing(spec: OrientationSpec) -> dict[str, Any]:
    """How an image must be prepared for the model: what metadata.json and the page say."""
    side = spec.image_size
    if spec.dataset == "digits":
        how = (f"a {side}×{side} grey MNIST-style digit (white on black), pixel values / 255 "
               f"in [0, 1], shape [n, {side}, {side}, 1]")
    else:
        how = (f"the largest centred square of an RGB photo, resized to {side}×{side} "
               f"(bilinear), pixel values / 255 in [0, 1], shape [n, {side}, {side}, 3]; "
               "trained on random square crops of 35–90% of a photo's shorter side, "
               "mirrored left to right at random")
    return {"inputShape": [side, side, spec.channels], "scale": "pixel / 255",
            "crop": "centre square" if spec.dataset != "digits" else None,
            "resize": "bilinear" if spec.dataset != "digits" else None,
            "channels": "grey" if spec.channels == 1 else "RGB", "description": how}


def snippet(spec: OrientationSpec) -> str:
    """JavaScript that reads an image with the exported model and says which way is up."""
    side, channels = spec.image_size, spec.channels
    prepare = ("the centred square of the photo, drawn on a canvas at "
               f"{side}×{side}" if spec.dataset != "digits"
               else f"a {side}×{side} digit, white on black")
    return (
        'import * as tf from "@tensorflow/tfjs";\n\n'
        'const model = await tf.loadLayersModel("model.json");\n'
        f"// pixels: {prepare}, {'RGB' if channels == 3 else 'grey'}, values / 255\n"
        "const [up, right, down, left] = tf.tidy(() =>\n"
        f"  model.predict(tf.tensor4d(pixels, [1, {side}, {side}, {channels}])).dataSync());\n"
        "// The largest says where the image's top points; turn it back by that many\n"
        "// quarter turns counter-clockwise to make it upright.\n"
    )


def _gallery(x: np.ndarray, y: np.ndarray, result: Evaluation, picked: np.ndarray
             ) -> dict[str, Any]:
    return {"pixels": base64.b64encode(np.ascontiguousarray(x[picked], np.uint8)).decode(),
            "labels": y[picked].tolist(),
            "predicted": result.predictions[picked].tolist(),
            "confidence": np.round(result.confidences[picked].astype(float), 4).tolist(),
            "count": len(picked)}


class OrientationJob(ClassifierJob):
    """Trains an orientation model on one data set for an epoch budget."""

    classes = 4

    def __init__(self, spec: OrientationSpec, data: OrientationData) -> None:
        self.data = data
        super().__init__(spec, data.x_train, data.y_train.astype(np.int32), data.x_test,
                         data.y_test, gather=turn_gather)

    def _build_model(self, *, for_export: bool = False) -> BuiltModel:
        return build_orientation_model(self.spec, for_export=for_export)

    def describe(self) -> dict[str, Any]:
        data, spec = self.data, self.spec
        return {**super().describe(),
                "dataset": spec.dataset, "imageSize": spec.image_size,
                "channels": spec.channels, "classes": list(DIRECTIONS),
                "trainImages": len(data.x_train), "trainExamples": len(data.y_train),
                "testImages": len(data.x_test) // 4, "testExamples": len(data.y_test),
                "trainPhotos": list(data.train_names), "testPhotos": (
                    list(data.test_names) if spec.dataset != "digits" else []),
                "source": data.source, "preprocessing": preprocessing(spec),
                "snippet": snippet(spec)}

    def _evaluation_extra(self, result: Evaluation) -> dict[str, Any]:
        y, predicted, group = self.y_test, result.predictions, self.data.test_group
        right = predicted == y
        per_class = [float(right[y == c].mean()) if np.any(y == c) else None
                     for c in range(4)]
        rng = np.random.default_rng(self.spec.seed)  # the same images each time, if still there
        passed, failed = np.flatnonzero(right), np.flatnonzero(~right)
        pick = [np.sort(rng.permutation(ids)[:GALLERY]) for ids in (passed, failed)]
        extra: dict[str, Any] = {
            "perClass": per_class,
            "pass": _gallery(self.x_test, y, result, pick[0]),
            "fail": _gallery(self.x_test, y, result, pick[1]),
            "mistakes": len(failed), "count": len(y),
            "imageSize": self.spec.image_size, "channels": self.spec.channels,
        }
        groups = [float(right[group == g].mean()) if np.any(group == g) else None
                  for g in range(len(self.data.test_names))]
        if self.spec.dataset == "digits":
            extra["perDigit"] = groups
        else:
            extra["perPhoto"] = [{"name": name, "accuracy": accuracy} for name, accuracy in
                                 zip(self.data.test_names, groups, strict=True)]
        return extra

    def export_metadata(self) -> dict[str, Any]:
        """What metadata.json says besides the guide's input, output and progress."""
        spec = self.spec
        metrics = {key: value for key, value in self.metrics().items()
                   if key not in ("epoch", "batch")}  # the export's own are the weights'
        return {
            "spec": spec.to_json(),
            "preprocessing": preprocessing(spec),
            "classes": list(DIRECTIONS),
            "data": {"dataset": spec.dataset, "source": self.data.source,
                     "trainImages": len(self.data.x_train),
                     "testImages": len(self.data.x_test) // 4},
            "code": self.code,
            **metrics,
        }

    def export_guide(self) -> ModelGuide:
        """How to feed the exported model: a side×side image (grey for digits, RGB for
        photos) scaled to [0, 1], as the trainer scales its uint8 batches.

        The examples are test images (the quick evaluation's sample: turned test digits,
        or crops of the photos held out for testing), which the run never trained on, as
        their pixel values 0 to 255.
        """
        spec, side, channels = self.spec, self.spec.image_size, self.spec.channels
        count = max(1, min(EXAMPLES, EXAMPLE_VALUES // (side * side * channels)))
        images = self.x_test[self._sample[:count]]
        shape = f"[n, {side}, {side}, {channels}]"
        if spec.dataset == "digits":
            raw = (f"a {side}×{side} grey image of a digit, white on black, its top pointing "
                   f"any way: {side} rows of {side} grey levels, 0 (paper) to 255 (ink), top "
                   "row first")
            first = ("For a photo or a scan: take its largest centred square, resize it to "
                     f"{side}×{side} (bilinear), make it grey (0.299·R + 0.587·G + 0.114·B) and, "
                     "if it is mostly light, invert it (255 − v): MNIST's digits are white "
                     "on black (js/orientation-photo.js in this folder does this: "
                     "centreSquare and modelInput).")
        else:
            raw = (f"a {side}×{side} RGB image, its top pointing any way: {side} rows of "
                   f"{side} pixels, each [R, G, B] from 0 to 255, top row first")
            first = ("For a photo: take its largest centred square and resize it to "
                     f"{side}×{side} (bilinear, anti-aliased), RGB channels in that order "
                     "(js/orientation-photo.js in this folder does this: centreSquare). The "
                     "model was trained on square crops of 35–90% of a photo's shorter "
                     "side, mirrored at random.")
        dataset = DATASETS[spec.dataset]["label"]
        preset = PRESETS[spec.preset]["title"].lower() if spec.preset in PRESETS else "custom"
        return ModelGuide(
            title=f"Which way is up? {dataset}, {preset} network, {side}×{side}",
            view="export-orientation.js",
            raw_input=raw,
            input_shape=(side, side, channels),
            preparation=(
                first,
                "Divide the pixel values by 255: values in [0, 1].",
                f"Shape {shape} (channels last), float32.",
            ),
            output=("shape [n, 4]: the probabilities (softmax) that the image's top points "
                    "up, right, down or left, in that order; the largest is the model's "
                    "answer, and turning the image counter-clockwise by that many quarter "
                    "turns (0 to 3) makes it upright"),
            examples=images.tolist(),
            model_inputs=images.astype(np.float32).reshape(-1, side, side, channels)
            / np.float32(255),
            python=(f"x = np.array(inputs, dtype=\"float32\").reshape(-1, {side}, {side}, "
                    f"{channels}) / 255  # shape {shape}"),
            javascript=("const x = tf.tensor(inputs, undefined, \"float32\").div(255)"
                        f".reshape([-1, {side}, {side}, {channels}]);"),
            page={"imageSize": side, "channels": channels, "classes": list(DIRECTIONS)},
            steps_per_epoch=self._steps_per_epoch,
        )
