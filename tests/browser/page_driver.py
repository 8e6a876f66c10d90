"""What the browser tests' page drivers share: the console errors and API requests a page
sends, polling for a condition, and plain HTTP calls to the server.

The pages run under the server's Content-Security-Policy, which forbids string
evaluation, so Playwright's `wait_for_function` (it evals its predicate) cannot be
used; `PageDriver.wait_until` polls with `page.evaluate` instead.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import tensorflow as tf
from playwright.sync_api import ConsoleMessage, Page, Request

T = TypeVar("T")


def http_json(url: str, method: str = "GET", body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def http_bytes(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


def png_pixels(png: bytes) -> np.ndarray:
    """A PNG (a screenshot) as an array (rows, columns, RGB)."""
    return tf.io.decode_png(png, channels=3).numpy()


def css_rgb(colour: str) -> np.ndarray:
    """A CSS colour as the browser computes it ("rgb(24, 61, 78)") or as written ("#183d4e")."""
    colour = colour.strip()
    if colour.startswith("#"):
        return np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    match = re.fullmatch(r"rgba?\((\d+), (\d+), (\d+)(, [\d.]+)?\)", colour)
    assert match, f"not a colour: {colour!r}"
    return np.array([int(v) for v in match.groups()[:3]])


def page_box(page: Page, selector: str) -> tuple[int, int, int, int]:
    """(x, y, width, height) of an element in page pixels, as a full-page screenshot has it
    (the browser snaps a box to whole pixels: each edge is rounded)."""
    left, top, right, bottom = page.evaluate(
        """(selector) => {
            const r = document.querySelector(selector).getBoundingClientRect();
            return [r.left + scrollX, r.top + scrollY, r.right + scrollX, r.bottom + scrollY];
        }""",
        selector,
    )
    x, y = round(left), round(top)
    return x, y, round(right) - x, round(bottom) - y


def screen_region(page: Page, shot: np.ndarray, selector: str) -> np.ndarray:
    """The pixels (as ints) of an element in a screenshot taken with the page as it is now."""
    x, y, width, height = page_box(page, selector)
    return shot[y:y + height, x:x + width].astype(int)


def css_value(page: Page, selector: str, expression: str) -> np.ndarray:
    """A colour of an element's computed style, e.g. `css_value(page, "#start",
    "backgroundColor")` or a custom property, `css_value(page, ":root", "--dark")`."""
    return css_rgb(page.evaluate(
        """([selector, name]) => {
            const style = getComputedStyle(document.querySelector(selector));
            return name.startsWith('--') ? style.getPropertyValue(name) : style[name];
        }""",
        [selector, expression],
    ))


def next_frames(page: Page) -> None:
    """Return after two animation frames: whatever a change scheduled is drawn."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def commonest_colour(pixels: np.ndarray) -> np.ndarray:
    """The colour most pixels of a region have (its background, whatever text lies on it)."""
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    return colours[np.argmax(counts)]


def canvas_on_screen(page: Page, shot: np.ndarray, selector: str,
                     tolerance: int = 16) -> tuple[float, float]:
    """How faithfully a screenshot `shot` (taken with the page as it is now) shows a canvas
    (a 2-D one without border or padding).

    The canvas's pixels, over its CSS background (white when it has none), are scaled to its
    box snapped to whole pixels, as the browser shows it (one to one when the sizes agree,
    else bilinear); returns the share of the screen pixels in the box, and of those where
    something is drawn, within `tolerance` of that per channel.
    """
    info = page.evaluate(
        """(selector) => {
            const c = document.querySelector(selector);
            const {data} = c.getContext('2d').getImageData(0, 0, c.width, c.height);
            return {size: [c.height, c.width], background: getComputedStyle(c).backgroundColor,
                    data: Array.from(data)};
        }""",
        selector,
    )
    height, width = info["size"]
    rgba = np.array(info["data"], float).reshape(height, width, 4)
    transparent = info["background"].replace(" ", "").endswith(",0)")
    background = np.array([255, 255, 255]) if transparent else css_rgb(info["background"])
    alpha = rgba[:, :, 3:] / 255
    opaque = rgba[:, :, :3] * alpha + background * (1 - alpha)
    x_from, y_from, box_width, box_height = page_box(page, selector)
    x_to, y_to = x_from + box_width, y_from + box_height
    ys, xs = np.arange(y_from, y_to), np.arange(x_from, x_to)

    def source(pixels: np.ndarray, origin: int, span: int, size: int) -> tuple:
        at = np.clip((pixels + 0.5 - origin) * size / span - 0.5, 0, size - 1)
        low = np.floor(at).astype(int)
        return low, np.minimum(low + 1, size - 1), at - low

    y0, y1, fy = source(ys, y_from, y_to - y_from, height)
    x0, x1, fx = source(xs, x_from, x_to - x_from, width)
    fy, fx = fy[:, None, None], fx[None, :, None]
    expected = ((opaque[np.ix_(y0, x0)] * (1 - fx) + opaque[np.ix_(y0, x1)] * fx) * (1 - fy)
                + (opaque[np.ix_(y1, x0)] * (1 - fx) + opaque[np.ix_(y1, x1)] * fx) * fy)
    drawn = rgba[np.ix_(np.rint(y0 + fy[:, 0, 0]).astype(int),
                        np.rint(x0 + fx[0, :, 0]).astype(int))][:, :, 3] > 0
    close = np.abs(shot[np.ix_(ys, xs)] - expected).max(axis=2) <= tolerance
    return float(close.mean()), float(close[drawn].mean()) if drawn.any() else 0.0


class PageDriver:
    """A page under test, with the API requests it sends and the console errors it logs."""

    #: seconds `wait_until` waits by default
    wait_timeout: float = 20.0

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        self.requests: list[tuple[str, str, Any]] = []
        page.set_default_timeout(30_000)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("request", self._on_request)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error: {message.text}")

    def _on_request(self, request: Request) -> None:
        if "/api/" not in request.url:
            return
        body = request.post_data
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = body
        self.requests.append((request.method, request.url.removeprefix(self.base_url), parsed))

    def api_requests(self, method: str, pattern: str) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == method and re.fullmatch(pattern, r[1])]

    def wait_until(self, condition: Callable[[], T], timeout: float | None = None,
                   message: str = "condition") -> T:
        """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
        timeout = self.wait_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
            self.page.wait_for_timeout(50)

    def drop(self, selector: str, files: list[tuple[str, str, bytes]]) -> None:
        """Drop files (name, type, bytes) on an element, as someone dragging them from
        their desktop does."""
        self.page.evaluate(
            """([selector, files]) => {
                const transfer = new DataTransfer();
                for (const [name, type, data] of files) {
                    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                    transfer.items.add(new File([bytes], name, { type }));
                }
                const target = document.querySelector(selector);
                for (const kind of ["dragenter", "dragover", "drop"]) {
                    target.dispatchEvent(new DragEvent(kind, {
                        dataTransfer: transfer, bubbles: true, cancelable: true }));
                }
            }""",
            [selector, [[n, t, base64.b64encode(b).decode()] for n, t, b in files]],
        )
