"""The MNIST lab page under test: its controls, its probe (`window.__mnist`) and its run.

Like the playground page, it runs under a Content-Security-Policy that forbids string
evaluation, so Playwright's `wait_for_function` cannot be used: `wait_until` polls.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import ConsoleMessage, Page, Request

from tests.browser.playground_page import http_json

T = TypeVar("T")

PANEL_IDS = [f"#panel-{n}" for n in range(1, 7)]


class MnistLab:
    """The page, with the API requests it sends and the console errors it logs."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        # Console errors a test expects (e.g. the 400 of a rejected run), by substring.
        self.expected_errors: list[str] = []
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

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected_errors)]

    # -- the page ----------------------------------------------------------------------------

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/mnist.html")
        self.page.wait_for_selector("body[data-ready=true]")

    def probe(self, expression: str) -> Any:
        """A value of the page's probe: `probe("state")`, `probe("accuracyPoints()")`."""
        return self.page.evaluate(f"window.__mnist.{expression}")

    def wait_until(self, condition: Callable[[], T], timeout: float = 30.0,
                   message: str = "condition") -> T:
        """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {message}")
            self.page.wait_for_timeout(50)

    def visible_panels(self) -> list[int]:
        return [n for n, selector in enumerate(PANEL_IDS, 1)
                if self.page.locator(selector).is_visible()]

    def set_field(self, selector: str, value: str) -> None:
        """Type into a settings field and leave it (its change event fires)."""
        self.page.fill(selector, value)
        self.page.press(selector, "Tab")

    def start(self, preset: str = "softmax", train_images: int | None = None,
              epochs: int | None = None) -> str:
        """Pick a preset, set the training images and budget, press Start; returns the run id."""
        self.page.click(f'.preset[data-preset="{preset}"]')
        if train_images is not None:
            self.set_field("#train-images", str(train_images))
        if epochs is not None:
            self.set_field("#epochs", str(epochs))
        previous = self.probe("runId")
        self.page.click("#start")
        return self.wait_until(lambda: (rid := self.probe("runId")) != previous and rid,
                               message="the run to start")

    def state(self) -> str | None:
        return self.probe("state")

    def wait_state(self, state: str, timeout: float = 60.0) -> None:
        self.wait_until(lambda: self.state() == state, timeout, f"the page to show {state}")

    def draw_stroke(self, points: list[tuple[float, float]]) -> None:
        """Draw one stroke through `points` (pad pixels, 0..280) with the mouse."""
        self.page.evaluate(
            "document.getElementById('draw').scrollIntoView({block: 'center'})")
        box = self.page.locator("#draw").bounding_box()
        assert box is not None
        scale = box["width"] / 280

        def at(p: tuple[float, float]) -> tuple[float, float]:
            return box["x"] + p[0] * scale, box["y"] + p[1] * scale

        mouse = self.page.mouse
        mouse.move(*at(points[0]))
        mouse.down()
        for a, b in itertools.pairwise(points):
            for t in (0.25, 0.5, 0.75, 1.0):  # intermediate moves, as a hand makes them
                mouse.move(*at((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)))
        mouse.up()

    # -- the server ------------------------------------------------------------------------------

    def server_run(self, run_id: str | None = None) -> dict[str, Any]:
        return http_json(f"{self.base_url}/api/runs/{run_id or self.probe('runId')}")
