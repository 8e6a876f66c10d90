"""The four directions and the turns that make them: labels come free by rotating.

Class c means "the image's top points c quarter turns clockwise from up": 0 up, 1
right, 2 down, 3 left. An upright image labelled c is turned c quarter turns
clockwise; a prediction c is undone by c quarter turns counter-clockwise. Pure NumPy:
the training graph does the same with `tf.image.rot90` (`job.py`), and the tests hold
the two to each other.
"""

from __future__ import annotations

import numpy as np

DIRECTIONS = ("up", "right", "down", "left")
ARROWS = ("↑", "→", "↓", "←")


def turn(image: np.ndarray, direction: int) -> np.ndarray:
    """The upright `image` (h, w[, c]) turned so its top points to `direction`."""
    return np.rot90(image, k=-direction, axes=(0, 1))


def upright(image: np.ndarray, direction: int) -> np.ndarray:
    """Undo `turn`: an image whose top points to `direction`, turned upright."""
    return np.rot90(image, k=direction, axes=(0, 1))


def four_turns(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every square image in its four turns: (images, directions, source index).

    Example 4·i + c is image i turned to direction c, so the labels are
    `arange(4n) % 4` and the source `arange(4n) // 4`, as the training graph makes them.
    """
    if images.shape[1] != images.shape[2]:
        raise ValueError("only square images turn into the same shape")
    turned = np.stack([np.rot90(images, k=-c, axes=(1, 2)) for c in range(4)], axis=1)
    count = len(images) * 4
    shape = (count, *images.shape[1:])
    return (np.ascontiguousarray(turned.reshape(shape)), np.arange(count) % 4,
            np.arange(count) // 4)
