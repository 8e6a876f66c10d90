"""The MNIST lab page under test: its controls, its probe (`window.__mnist`) and its run."""

from __future__ import annotations

import itertools
from typing import Any

from playwright.sync_api import Page

from tests.browser.page_driver import PageDriver, http_json

PANEL_IDS = [f"#panel-{n}" for n in range(1, 7)]


class MnistLab(PageDriver):
    """The lab, with the API requests it sends and the console errors it logs."""

    wait_timeout = 30.0

    def __init__(self, page: Page, base_url: str) -> None:
        super().__init__(page, base_url)
        # Console errors a test expects (e.g. the 400 of a rejected run), by substring.
        self.expected_errors: list[str] = []

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(x in e for x in self.expected_errors)]

    # -- the page ----------------------------------------------------------------------------

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/mnist.html")
        self.page.wait_for_selector("body[data-ready=true]")

    def probe(self, expression: str) -> Any:
        """A value of the page's probe: `probe("state")`, `probe("accuracyPoints()")`."""
        return self.page.evaluate(f"window.__mnist.{expression}")

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
