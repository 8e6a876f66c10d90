"""The MNIST job: the shared classifier job on the digits, with the lab's export notes.

Events (see `server/classifier/job.py`): `metrics`, `panels` with the training
batch and the softmax weight maps, and `evaluation` after each full pass over the
10,000 test images, with the confusion matrix and the test digits.
"""

from __future__ import annotations

from typing import Any

from server.classifier.job import ClassifierJob
from server.classifier.models import BuiltModel
from server.classifier.panels import digit_strip
from server.classifier.trainer import Evaluation
from server.datasets.mnist import Mnist
from server.problems.mnist.models import build_model
from server.problems.mnist.spec import MnistSpec

PREPROCESSING = (
    "28×28 grey image, white digit on black, pixel values / 255 in [0, 1], shape "
    "[n, 28, 28, 1]. Digits were size-normalised to fit a 20×20 box (keeping the aspect "
    "ratio, anti-aliased) and centred by their centre of mass in the 28×28 field, as "
    "MNIST was prepared."
)


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
        metadata = {
            "spec": self.spec.to_json(),
            "input": PREPROCESSING,
            "output": "10 softmax probabilities, for the digits 0 to 9 in order",
            "code": self.code,
            **self.metrics(),
        }
        if self.spec.shift:
            metadata["training"] = (
                f"Training digits were shifted at random by up to ±{self.spec.shift} px "
                "(the code's RandomTranslation layer). It acts only while training, so the "
                "exported model leaves it out: same weights, same predictions."
            )
        return metadata
