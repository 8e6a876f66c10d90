"""The three data sets as the classifier job takes them: upright training images (the
graph turns them, `job.py`) and test images already in their four turns.

Digits come from MNIST (the 10,000 test digits × 4 are made once per file and
shared); photos are crops of the sample photographs or of an upload set, split by
photo (`photos.py`). Pure NumPy; no TensorFlow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np

from server.datasets.mnist import Mnist
from server.problems.orientation.choices import TEST_CROPS
from server.problems.orientation.photos import (
    SMALL_PHOTO,
    Photo,
    Split,
    crops,
    sample_photos,
    split_by_photo,
)
from server.problems.orientation.rotations import four_turns
from server.problems.orientation.spec import OrientationSpec

SMALL_TEST_CROPS = 2  # per face (or tiny upload) tested on
UPLOAD_TEST_CROPS = 24  # per uploaded photo tested on


@dataclass(frozen=True)
class OrientationData:
    """What a run trains and tests on.

    `x_train` holds each upright image once (n, side, side[, 3]); example 4·i + c is
    image i turned to direction c, so `y_train` is `arange(4n) % 4`. The test images
    are turned already: `x_test[4·i + c]`, labelled `y_test = c`, with `test_group`
    the digit (digits) or the test photo's index in `test_names` (photos) of its
    source image.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_group: np.ndarray
    train_names: tuple[str, ...]
    test_names: tuple[str, ...]
    source: str


def _turned_test(images: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, ...]:
    turned, directions, index = four_turns(images)
    return turned, directions.astype(np.uint8), groups[index]


def digits_data(mnist: Mnist, spec: OrientationSpec, test: tuple[np.ndarray, ...]
                ) -> OrientationData:
    """The first `trainImages` training digits (upright) and the turned test digits."""
    count = min(spec.train_images, len(mnist.x_train))
    x_test, y_test, group = test
    return OrientationData(mnist.x_train[:count], np.arange(count * 4) % 4, x_test, y_test,
                           group, (), tuple(str(d) for d in range(10)), mnist.source)


def turned_test_digits(mnist: Mnist) -> tuple[np.ndarray, ...]:
    """The 10,000 test digits in their four turns, with the digit of each."""
    return _turned_test(mnist.x_test, mnist.y_test.astype(np.int64))


def photos_data(split: Split, spec: OrientationSpec, source: str, *,
                large_test_crops: int = TEST_CROPS) -> OrientationData:
    """Crops of the training photos (upright) and of the test photos (turned)."""
    side = spec.image_size
    x_train = crops(split.train, spec.train_images, side, spec.seed)
    images, groups = [], []
    for index, photo in enumerate(split.test):
        small = min(photo.pixels.shape[:2]) < SMALL_PHOTO
        count = SMALL_TEST_CROPS if small else large_test_crops
        # Test crops have a seed of their own: the same test set whatever is trained.
        cut = crops((photo,), count, side, seed=10_000 + index, flips=False)
        images.append(cut)
        groups.append(np.full(len(cut), index))
    x_test, y_test, group = _turned_test(np.concatenate(images), np.concatenate(groups))
    return OrientationData(x_train, np.arange(len(x_train) * 4) % 4, x_test, y_test, group,
                           tuple(p.name for p in split.train),
                           tuple(p.name for p in split.test), source)


def sample_photos_data(spec: OrientationSpec) -> OrientationData:
    return photos_data(split_by_photo(sample_photos(), spec.seed), spec, "skimage.data")


def uploaded_data(photos: list[Photo], spec: OrientationSpec) -> OrientationData:
    return photos_data(split_by_photo(photos, spec.seed), spec, f"upload {spec.upload}",
                       large_test_crops=UPLOAD_TEST_CROPS)


T = TypeVar("T")


class DataCache(Generic[T]):
    """The newest few data sets made, by key: a learner's restarts with other layers or
    rates reuse the crops (seconds to cut) instead of cutting them again."""

    def __init__(self, size: int = 2) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value
