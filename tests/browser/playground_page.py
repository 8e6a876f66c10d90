"""The playground page under test: what it sends, what it logs, and the server's view of its run.

The page runs under the server's Content-Security-Policy, which forbids string
evaluation, so Playwright's `wait_for_function` (it evals its predicate) cannot be
used; `Playground.wait_until` polls with `page.evaluate` instead.
"""

from __future__ import annotations

import json
import re
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
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


class Playground:
    """The page under test, with the requests it sends and the console errors it logs."""

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

    # -- page ----------------------------------------------------------------------------

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.base_url}/{hash_}")
        self.page.wait_for_selector("body[data-ready=true]")
        assert not self.page.locator("#status").text_content().startswith("Could not")

    def probe(self, key: str) -> Any:
        return self.page.evaluate(f"window.__playground.{key}")

    @property
    def run_id(self) -> str:
        return self.probe("runId")

    def epoch(self) -> int:
        return int(self.page.locator("#epoch").text_content().replace(",", ""))

    def train_loss(self) -> float:
        return float(self.page.locator("#loss-train").text_content())

    def run_state(self) -> str:
        return self.page.evaluate("document.body.dataset.runState")

    def wait_until(self, condition: Callable[[], T], timeout: float = 20.0,
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

    def play(self) -> None:
        assert self.run_state() == "paused"
        self.page.click("#play-pause")
        self.wait_until(lambda: self.server_run()["state"] == "running", message="running")

    def pause(self) -> int:
        """Pause; returns the final epoch (the PATCH's answer) once the page shows it."""

        def pausing(response: Any) -> bool:
            request = response.request
            return request.method == "PATCH" and '"paused"' in (request.post_data or "")

        with self.page.expect_response(pausing) as answer:
            self.page.click("#play-pause")
        final = answer.value.json()["epoch"]
        assert self.run_state() == "paused"
        self.wait_until(lambda: self.epoch() == final, message=f"the page to show epoch {final}")
        return final

    def heat_pixels(self) -> np.ndarray:
        """The large heat map's canvas as an array (rows, columns, RGBA)."""
        data = self.page.evaluate(
            """() => {
                const canvas = document.querySelector('#heatmap canvas.heat');
                const {width, height} = canvas;
                const image = canvas.getContext('2d').getImageData(0, 0, width, height);
                return {width, height, data: Array.from(image.data)};
            }"""
        )
        return np.array(data["data"], dtype=np.uint8).reshape(data["height"], data["width"], 4)

    def api_requests(self, method: str, pattern: str) -> list[tuple[str, str, Any]]:
        return [r for r in self.requests if r[0] == method and re.fullmatch(pattern, r[1])]

    # -- server ----------------------------------------------------------------------------

    def server_run(self, run_id: str | None = None) -> dict[str, Any]:
        return http_json(f"{self.base_url}/api/runs/{run_id or self.run_id}")

    def server_weights(self, run_id: str | None = None) -> list[np.ndarray]:
        """The run's current weights, read from its TF.js export (model.json + weights file)."""
        base = f"{self.base_url}/api/runs/{run_id or self.run_id}"
        model = http_json(f"{base}/model.json")
        blob = b"".join(
            http_bytes(f"{base}/{path}")
            for group in model["weightsManifest"] for path in group["paths"]
        )
        weights, offset = [], 0
        for group in model["weightsManifest"]:
            for spec in group["weights"]:
                assert spec["dtype"] == "float32"
                count = int(np.prod(spec["shape"])) if spec["shape"] else 1
                values = struct.unpack_from(f"<{count}f", blob, offset)
                offset += 4 * count
                weights.append(np.array(values, np.float32).reshape(spec["shape"]))
        return weights

    def run_exists(self, run_id: str) -> bool:
        try:
            self.server_run(run_id)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise
        return True
