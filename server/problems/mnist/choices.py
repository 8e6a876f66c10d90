"""The MNIST lab's choices and limits: its part of the catalogue, declared once.

The spec checks read these and the catalogue publishes them, so the lab's editor
offers exactly what the API accepts. The layer editor's limits are shared with every
image classifier (`server/classifier/layers.py`).
"""

from __future__ import annotations

from server.classifier.layers import (  # noqa: F401  (the lab's catalogue publishes them)
    ACTIVATIONS,
    INITS,
    LAYER_LIMITS,
    MAX_BATCH_ACTIVATIONS,
    MAX_LAYERS,
    MAX_PARAMETERS,
)
from server.classifier.spec import (  # noqa: F401  (shared by every image classifier)
    BATCH_SIZE,
    DECAY_STEPS,
    EPOCHS,
    LEARNING_RATE,
    SEED,
)
from server.datasets.mnist import TRAIN_SIZE
from server.values import Limit

TRAIN_IMAGES = Limit(100, TRAIN_SIZE, whole=True, default=TRAIN_SIZE)
SHIFT = Limit(0, 4, whole=True)  # pixels: beyond that a digit's strokes leave the 28×28 field
