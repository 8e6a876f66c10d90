"""The MNIST job: the shared classifier job on the digits, with the lab's export notes.

Events (see `server/classifier/job.py`): `metrics`, `panels` with the training
batch and the softmax weight maps, and `evaluation` after each full pass over the
10,000 test images, with the confusion matrix and the test digits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from exporter.guide import EXAMPLES, ModelGuide
from server.classifier.job import ClassifierJob
from server.classifier.models import BuiltModel
from server.classifier.panels import digit_strip
from server.classifier.trainer import Evaluation
from server.datasets.mnist import Mnist
from server.problems.mnist.models import PRESETS, build_model
from server.problems.mnist.spec import MnistSpec


class MnistJob(ClassifierJob):
    """Trains an MNIST model for an epoch budget; one instance per run."""

    def __init__(self, spec: MnistSpec, data: Mnist) -> None:
        count = spec.train_images
        self.data = data
        super().__init__(spec, data.x_train[:count], data.y_train[:count], data.x_test,
                         data.y_test)

    def _build_model(self, *, for_export: bool = False) -> BuiltModel:
        return build_model(self.spec, for_export=for_export)

    def _evaluation_extra(self, result: Evaluation) -> dict[str, Any]:
        """The test digits, mistakes first (panel 6)."""
        return {"digits": digit_strip(self.x_test, self.y_test, result.predictions)}

    def _batch_panel(self) -> dict[str, Any] | None:
        """The last training batch as the model saw it, mistakes first (panel 1)."""
        if self._last_batch is None:
            return None
        return digit_strip(*self._last_batch)

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
