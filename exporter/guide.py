"""What a problem says, once, about using its exported model away from this server.

A downloaded model is only useful if the developer feeds it what it was trained on:
which features, in what order, normalised how, in what shape and dtype. That knowledge
belongs to the problem (the playground knows its features, fitting its normalisation,
MNIST its pixels), so each job hands the exporter a `ModelGuide` (`Job.export_guide()`)
and the exporter turns it, without asking which problem it is, into metadata.json's
`input`/`output`, README.txt's steps and snippets, predictions.json and the page.

The guide carries its preparation three times, and the tests hold them to each other:
`model_inputs` (Python, the training code's own functions), `python` and `javascript`
(the README snippets, run by tests against model.keras and model.json) and the page's
view module (`view`, run by a browser test's self-check): all must give Keras' outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

EXAMPLES = 32
"""How many raw examples predictions.json holds: enough to cover the input range."""


@dataclass(frozen=True)
class ModelGuide:
    """How to prepare inputs for one run's model and what its outputs mean.

    `examples` are raw inputs as a developer would have them (a point (x1, x2), an x
    value, a 28×28 grey image), JSON-ready; `model_inputs` is the same examples prepared
    as training prepared its data (float32, shape [n, *input_shape]).

    `python` is code that turns `inputs` (the raw examples, a list) into `x`, a float32
    NumPy array (`np` is imported); `javascript` turns `inputs` into `x`, a float32
    `tf.Tensor` (`tf` is the global TensorFlow.js). Both run as written in README.txt.

    `title` heads README.txt and the page ("Playground: xor, features x1, x2, …").
    `view` is the page's module for this problem in `web/js/` (it exports `prepare(inputs,
    page)` and `show(root, model, page)`); `page` is what that module needs (points,
    ranges, features), written to metadata.json's `page`.

    `steps_per_epoch` > 1 when the job counts batches (MNIST): metadata's `epoch` is then
    batches / steps_per_epoch, and `batches` is added.
    """

    title: str
    view: str
    raw_input: str
    input_shape: tuple[int, ...]
    preparation: tuple[str, ...]
    output: str
    examples: list[Any]
    model_inputs: np.ndarray
    python: str
    javascript: str
    page: dict[str, Any] = field(default_factory=dict)
    steps_per_epoch: int = 1
    input_dtype: str = "float32"

    def input_json(self) -> dict[str, Any]:
        """metadata.json's `input`: shape with the batch first (null: any n), dtype, steps."""
        return {
            "raw": self.raw_input,
            "shape": [None, *self.input_shape],
            "dtype": self.input_dtype,
            "preparation": list(self.preparation),
        }

    def progress(self, steps: int) -> dict[str, Any]:
        """metadata.json's `epoch` (in epochs, always) and, for batch-counting jobs,
        `batches`."""
        if self.steps_per_epoch <= 1:
            return {"epoch": steps}
        return {"epoch": round(steps / self.steps_per_epoch, 4), "batches": steps}


def spread(count: int, limit: int = EXAMPLES) -> np.ndarray:
    """Indices of up to `limit` items evenly spread over `count` (all when fewer)."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))
