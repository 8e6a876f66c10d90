"""The playground page under test: its probe (`window.__playground`), its run, and the
server's view of that run (its weights, read from the run's TF.js export)."""

from __future__ import annotations

import struct
import urllib.error
from typing import Any

import numpy as np

from tests.browser.page_driver import PageDriver, http_bytes, http_json


class Playground(PageDriver):
    """The playground page, with the requests it sends and the console errors it logs."""

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

    # -- server ----------------------------------------------------------------------------

    def server_run(self, run_id: str | None = None) -> dict[str, Any]:
        """A run as the server has it; without `run_id`, the page's current run. The page
        may start another run (deleting this one) between reading its id and the request:
        then it is asked again for its run, which it has moved on to."""
        if run_id is not None:
            return http_json(f"{self.base_url}/api/runs/{run_id}")
        while True:
            current = self.run_id
            try:
                return http_json(f"{self.base_url}/api/runs/{current}")
            except urllib.error.HTTPError as error:
                if error.code != 404 or self.run_id == current:
                    raise

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
