"""Export trained Keras models for the browser (TensorFlow.js layers format) and for download.

Written in-house because the ``tensorflowjs`` converter pins an old TensorFlow and its output
for Keras 3 models does not load in tfjs-layers 4.22; see :mod:`exporter.tfjs`. The download
(:mod:`exporter.bundle`) is a working page, made from a problem's :class:`ModelGuide`.
"""

from exporter.bundle import PageSources, export_zip, write_export_zip
from exporter.guide import ModelGuide
from exporter.tfjs import DEFAULT_WEIGHTS_PATH, to_tfjs, write_tfjs

__all__ = ["DEFAULT_WEIGHTS_PATH", "ModelGuide", "PageSources", "export_zip", "to_tfjs",
           "write_export_zip", "write_tfjs"]
