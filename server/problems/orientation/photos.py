"""Photographs into training data: square crops at the model's input size, split by photo.

No data set can be downloaded while the server runs, so the built-in photographs
are the sample photos scikit-image ships with its wheel (`skimage.data`): nine
photographs with a clear up (an astronaut, a camera man, a cat, coffee, a rocket, a
motorcycle, a page, a sign, a clock) and the 100 faces of its Labeled Faces in the
Wild subset (25×25 pixels each). A learner's uploads go through the same crops.

Every crop of a photo lands on the same side of the split, so no photo is both
trained and tested on. Pure NumPy and Pillow; no TensorFlow.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

# (name, what it shows) of scikit-image's sample photographs used here, in order.
SAMPLE_PHOTOS = (
    ("astronaut", "Eileen Collins, astronaut (NASA)"),
    ("camera", "a man with a camera (grey)"),
    ("chelsea", "Chelsea the cat"),
    ("coffee", "a cup of coffee"),
    ("rocket", "a rocket on its launch pad (NASA)"),
    ("motorcycle", "a motorcycle (Middlebury stereo, left view)"),
    ("page", "a scanned page of text (grey)"),
    ("text", "a sign with text (grey)"),
    ("clock", "a clock (grey)"),
)
FACES = 100  # the faces of skimage.data.lfw_subset(); the other 100 images are not faces
CROP_RANGE = (0.35, 0.9)  # a crop's side as a share of the photo's shorter side
SMALL_PHOTO = 64  # pixels: photos this small (the faces) are cropped at 80–100%
TEST_SHARE = 0.2  # of the photos, at least one


@dataclass(frozen=True)
class Photo:
    """One photograph: an RGB uint8 array (h, w, 3) and its name."""

    name: str
    pixels: np.ndarray


@dataclass(frozen=True)
class Split:
    """Which photos are trained on and which are tested on: no photo in both."""

    train: tuple[Photo, ...]
    test: tuple[Photo, ...]


def as_rgb(pixels: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) from grey, boolean, float in [0, 1] or RGBA arrays."""
    array = np.asarray(pixels)
    if array.dtype == bool:
        array = array.astype(np.uint8) * 255
    elif array.dtype.kind == "f":
        array = np.clip(np.round(array * 255), 0, 255).astype(np.uint8)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return np.ascontiguousarray(array[..., :3].astype(np.uint8))


_samples: tuple[Photo, ...] | None = None
_samples_lock = threading.Lock()


def sample_photos() -> tuple[Photo, ...]:
    """scikit-image's photographs (nine large, then the hundred faces); loaded once."""
    global _samples
    with _samples_lock:
        if _samples is None:
            from skimage import data  # ~0.3 s, and only when photos are asked for

            photos = []
            for name, _ in SAMPLE_PHOTOS:
                pixels = data.stereo_motorcycle()[0] if name == "motorcycle" else (
                    getattr(data, name)())
                photos.append(Photo(name, as_rgb(pixels)))
            faces = data.lfw_subset()[:FACES]
            photos.extend(Photo(f"face {i + 1}", as_rgb(face)) for i, face in enumerate(faces))
            _samples = tuple(photos)
        return _samples


def split_by_photo(photos: tuple[Photo, ...] | list[Photo], seed: int,
                   test_share: float = TEST_SHARE) -> Split:
    """A seeded split of whole photos: large photos and small ones (faces) each split
    apart, so both sides get some of each; at least one photo of each kind is tested
    on when there are two or more."""
    rng = np.random.default_rng(seed)
    train: list[Photo] = []
    test: list[Photo] = []
    small = [p for p in photos if min(p.pixels.shape[:2]) < SMALL_PHOTO]
    large = [p for p in photos if min(p.pixels.shape[:2]) >= SMALL_PHOTO]
    for group in (large, small):
        if not group:
            continue
        order = rng.permutation(len(group))
        tested = 0 if len(group) < 2 else max(1, round(len(group) * test_share))
        test.extend(group[i] for i in order[:tested])
        train.extend(group[i] for i in order[tested:])
    if not test and len(train) >= 2:  # one photo of each kind: test the last one
        test.append(train.pop())
    return Split(tuple(train), tuple(test))


def crop(photo: np.ndarray, side: int, rng: np.random.Generator, *,
         centre: bool = False) -> np.ndarray:
    """One square crop of an RGB photo, resized to side×side (bilinear, anti-aliased).

    `centre`: the largest centred square (what the page does with a dropped photo).
    """
    height, width = photo.shape[:2]
    shorter = min(height, width)
    if centre:
        size = shorter
        top, left = (height - size) // 2, (width - size) // 2
    else:
        low, high = (0.8, 1.0) if shorter < SMALL_PHOTO else CROP_RANGE
        size = max(1, round(shorter * rng.uniform(low, high)))
        top = int(rng.integers(0, height - size + 1))
        left = int(rng.integers(0, width - size + 1))
    window = Image.fromarray(photo[top:top + size, left:left + size])
    if size != side:
        window = window.resize((side, side), Image.Resampling.BILINEAR,
                               reducing_gap=None if size < side else 2.0)
    return np.asarray(window, dtype=np.uint8)


def crops(photos: tuple[Photo, ...] | list[Photo], count: int, side: int, seed: int, *,
          flips: bool = True) -> np.ndarray:
    """`count` upright crops (count, side, side, 3) shared out by the photos' shorter
    sides (a 512-pixel photo gives twenty times the crops of a 25-pixel face).

    Each photo's first crop is its centred square; the rest are random squares, mirrored
    left to right half the time when `flips` (a mirror image still has its top up).
    """
    if not photos or count < 1:
        return np.zeros((0, side, side, 3), np.uint8)
    rng = np.random.default_rng(seed)
    weights = np.array([min(p.pixels.shape[:2]) for p in photos], float)
    shares = np.floor(weights / weights.sum() * count).astype(int)
    shares[np.argsort(-weights, kind="stable")[:count - shares.sum()]] += 1
    out = np.empty((count, side, side, 3), np.uint8)
    at = 0
    for photo, share in zip(photos, shares, strict=True):
        for i in range(share):
            image = crop(photo.pixels, side, rng, centre=i == 0)
            if flips and rng.random() < 0.5:
                image = image[:, ::-1]
            out[at] = image
            at += 1
    return out


def centre_crop(photo: np.ndarray, side: int) -> np.ndarray:
    """The centred square of a photo at side×side, as the page prepares a dropped photo."""
    return crop(photo, side, np.random.default_rng(0), centre=True)
