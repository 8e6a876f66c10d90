"""Which way is up?'s choices and limits: its part of the catalogue, declared once.

The shared training fields (learning rate, batch size, epochs, seed, the layer
editor) are the image classifiers' (`server/classifier/`); these are the data sets,
the input sizes and how many images a run may keep.
"""

from __future__ import annotations

from typing import Any

from server.problems.orientation import uploads
from server.problems.orientation.photos import FACES, SAMPLE_PHOTOS
from server.problems.orientation.rotations import ARROWS, DIRECTIONS
from server.values import Limit

DIGITS_SIDE = 28
PHOTO_SIDES = (32, 48, 64, 96)  # the talk's five 2×2 pools need 32 pixels to reach 1×1
# Upright training images (digits, or crops of photos) before the four turns, per set.
TRAIN_IMAGES = {
    "digits": Limit(100, 55_000, whole=True, default=30_000),
    "photos": Limit(100, 20_000, whole=True, default=4_000),
    "uploaded": Limit(100, 10_000, whole=True, default=2_000),
}
# A run's upright training images may take at most this many bytes (a copy is trained
# on): 20,000 crops of 96×96×3 would be 553 MB; this allows 5,700 of them, 20,000 at 48.
MAX_TRAIN_BYTES = 160_000_000
TEST_CROPS = 100  # per large test photo (faces and uploads: fewer, see data.py)

DATASETS: dict[str, dict[str, Any]] = {
    "digits": {
        "label": "Rotated digits",
        "description": ("MNIST's handwritten digits, each in its four turns: 55,000 training "
                        "digits and the 10,000 test digits. Which digits are hardest to "
                        "orient? The per-digit accuracy shows."),
        "sides": [DIGITS_SIDE], "channels": 1,
        "defaults": {"imageSize": DIGITS_SIDE, "epochs": 2},
    },
    "photos": {
        "label": "Sample photos",
        "description": (f"scikit-image's {len(SAMPLE_PHOTOS)} sample photographs "
                        f"({', '.join(text for _, text in SAMPLE_PHOTOS)}) and the {FACES} "
                        "faces of its Labeled Faces in the Wild subset (25×25 pixels), cut "
                        "into square crops and turned; split by photo, so the test photos "
                        "are ones the network never saw. A small set: expect overfitting."),
        "sides": list(PHOTO_SIDES), "channels": 3,
        "defaults": {"imageSize": 48, "epochs": 10},
    },
    "uploaded": {
        "label": "Your photos",
        "description": ("Drop JPEG or PNG photos here (a folder, or many files). The server "
                        "keeps them until you delete them or the run trained on them, cuts "
                        "them into crops, turns them and splits them by photo."),
        "sides": list(PHOTO_SIDES), "channels": 3,
        "defaults": {"imageSize": 48, "epochs": 10},
    },
}
for _key, _dataset in DATASETS.items():
    _dataset["defaults"]["trainImages"] = TRAIN_IMAGES[_key].default
    _dataset["trainImages"] = TRAIN_IMAGES[_key].to_json()


def upload_limits() -> dict[str, Any]:
    """What the upload endpoint takes, for the catalogue."""
    return {"maxFileBytes": uploads.MAX_FILE_BYTES, "maxPixels": uploads.MAX_PIXELS,
            "maxSide": uploads.MAX_SIDE, "maxPhotos": uploads.MAX_PHOTOS,
            "minPhotos": uploads.MIN_PHOTOS, "storedSide": uploads.STORED_SIDE,
            "contentTypes": list(uploads.CONTENT_TYPES), "formats": list(uploads.FORMATS),
            "unusedHours": uploads.UNUSED_TTL_S / 3600}


def classes() -> list[dict[str, str]]:
    return [{"key": key, "arrow": arrow} for key, arrow in zip(DIRECTIONS, ARROWS, strict=True)]
