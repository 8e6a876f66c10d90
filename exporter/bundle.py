"""Package a trained model as one downloadable zip: tfjs files, a .keras file and metadata.

Why both formats: the tfjs pair (model.json + weights) is what a web page can load, and the
``.keras`` file is the lossless original for going back to Python (fine-tuning, evaluation).
The metadata travels with them so a downloaded model still says what it was trained on.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import keras

from exporter.tfjs import DEFAULT_WEIGHTS_PATH, model_json_bytes, to_tfjs, write_bytes_atomic

MODEL_JSON_NAME = "model.json"
KERAS_NAME = "model.keras"
METADATA_NAME = "metadata.json"
README_NAME = "README.txt"

_README = f"""\
This archive holds one trained model in two formats, plus the settings it was trained with.

  {MODEL_JSON_NAME}, {DEFAULT_WEIGHTS_PATH}
      TensorFlow.js layers model. Serve both files from the same folder, then in a page:

          const model = await tf.loadLayersModel('{MODEL_JSON_NAME}');
          const y = model.predict(tf.tensor(inputs));

      (The path is a URL relative to the page; browsers will not load it from file://.)

  {KERAS_NAME}
      The Keras model, for Python:

          import keras
          model = keras.models.load_model("{KERAS_NAME}")
          y = model.predict(x)

  {METADATA_NAME}
      What the model was trained on and how (dataset, architecture, hyper-parameters).
"""


def export_zip(model: keras.Model, metadata: dict[str, Any]) -> bytes:
    """Build the download zip in memory and return its bytes.

    The metadata is serialised first so a non-JSON value fails before any model work, and
    the tfjs conversion runs before saving so an unsupported layer raises ``ValueError``
    without leaving temporary files behind.
    """
    metadata_bytes = (json.dumps(metadata, indent=2, allow_nan=False) + "\n").encode("utf-8")
    model_json, weight_data = to_tfjs(model, weights_path=DEFAULT_WEIGHTS_PATH)
    keras_bytes = _keras_file_bytes(model)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(MODEL_JSON_NAME, model_json_bytes(model_json))
        archive.writestr(DEFAULT_WEIGHTS_PATH, weight_data)
        # A .keras file is already a zip; deflating it again only costs time.
        archive.writestr(KERAS_NAME, keras_bytes, compress_type=zipfile.ZIP_STORED)
        archive.writestr(METADATA_NAME, metadata_bytes)
        archive.writestr(README_NAME, _README.encode("utf-8"))
    return buffer.getvalue()


def write_export_zip(
    model: keras.Model, metadata: dict[str, Any], path: str | os.PathLike[str]
) -> Path:
    """Write :func:`export_zip`'s archive to ``path`` atomically and return the path.

    Atomic so a download that starts while an export is being (re)written gets a whole zip,
    never a truncated one.
    """
    target = Path(path)
    write_bytes_atomic(target, export_zip(model, metadata))
    return target


def _keras_file_bytes(model: keras.Model) -> bytes:
    # model.save() only writes to a path whose name ends in ".keras", so go through a file.
    with tempfile.TemporaryDirectory(prefix="tfplayground-export-") as scratch:
        keras_path = Path(scratch) / KERAS_NAME
        model.save(keras_path)
        return keras_path.read_bytes()
