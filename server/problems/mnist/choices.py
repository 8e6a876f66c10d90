"""The MNIST lab's choices and limits: its part of the catalogue, declared once.

The spec checks read these and the catalogue publishes them, so the lab's editor
offers exactly what the API accepts.
"""

from __future__ import annotations

from server.values import Limit

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
INITS = ("truncated-normal", "zeros", "glorot")
MAX_LAYERS = 16
# Each layer type's settings and their ranges (the editor's fields).
LAYER_LIMITS: dict[str, dict[str, Limit]] = {
    "dense": {"units": Limit(1, 1024, whole=True)},
    "conv": {"filters": Limit(1, 128, whole=True), "kernel": Limit(1, 9, whole=True),
             "stride": Limit(1, 4, whole=True)},
    "maxpool": {"size": Limit(2, 4, whole=True)},
    "dropout": {"rate": Limit(0.0, 0.9, step=0.05)},
    "batchnorm": {},
}
TRAIN_SIZE = 55_000  # the workshop's split: 55,000 for training, 5,000 for validation
LEARNING_RATE = Limit(1e-6, 10.0)
DECAY_STEPS = Limit(1, 1_000_000, whole=True)
BATCH_SIZE = Limit(1, 1000, whole=True)
EPOCHS = Limit(1, 200, whole=True)
TRAIN_IMAGES = Limit(100, TRAIN_SIZE, whole=True, default=TRAIN_SIZE)
SHIFT = Limit(0, 4, whole=True)  # pixels: beyond that a digit's strokes leave the 28×28 field
SEED = Limit(0, 2**31 - 1, whole=True, default=0)
# How big a learner's model may be, checked from the layer list before anything is built
# (`size.py`). The largest preset has 245,000 weights and 1.8 million activations in a
# batch of 100: these leave 20× and 28× room, and keep one run well under 1 GB.
MAX_PARAMETERS = 5_000_000
MAX_BATCH_ACTIVATIONS = 50_000_000  # floats: activations per example × batch size
