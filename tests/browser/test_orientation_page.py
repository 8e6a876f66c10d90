"""The "Which way is up?" page (issue 15) in headless Chromium, against the real server:
photos dropped into the upload zone, and a photo dropped on the trained model's reader."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from tests.browser.page_driver import PageDriver, http_json

BAD_REQUEST = "the server responded with a status of 400"


class OrientationPage(PageDriver):
    wait_timeout = 60.0

    def __init__(self, page: Page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.expected_errors: list[str] = []

    def open(self) -> None:
        self.page.goto(f"{self.base_url}/orientation.html")
        self.page.wait_for_selector("body[data-ready=true]")

    def probe(self, expression: str) -> Any:
        return self.page.evaluate(f"window.__orientation.{expression}")

    def set_field(self, selector: str, value: str) -> None:
        self.page.fill(selector, value)
        self.page.press(selector, "Tab")


@pytest.fixture
def orientation(page: Page, live_server: str) -> Iterator[OrientationPage]:
    page.set_viewport_size({"width": 1280, "height": 900})
    driver = OrientationPage(page, live_server)
    driver.open()
    yield driver
    errors = [e for e in driver.errors
              if not any(x in e for x in driver.expected_errors)]
    assert errors == [], "the page logged errors:\n" + "\n".join(errors)


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


def _red_top(side: int = 90) -> np.ndarray:
    """Green, with a red band along the top: where the top went is plain to see."""
    pixels = np.zeros((side, side, 3), np.uint8)
    pixels[:, :] = (30, 160, 60)
    pixels[: side // 5] = (230, 20, 20)
    return pixels


def test_dropped_photos_are_uploaded_and_bad_ones_named(orientation: OrientationPage) -> None:
    orientation.expected_errors.append(BAD_REQUEST)
    page = orientation.page
    page.click('label[data-dataset="uploaded"]')
    assert page.locator("#drop-zone").is_visible()
    rng = np.random.default_rng(0)
    photos = [(f"holiday-{i}.png", "image/png",
               _png(rng.integers(0, 256, (60 + 10 * i, 80, 3), dtype=np.uint8)))
              for i in range(2)]
    jpeg = io.BytesIO()
    Image.fromarray(_red_top(120)).save(jpeg, "JPEG")
    orientation.drop("#drop-zone", [*photos, ("notes.png", "image/png", b"just some text\n"),
                                    ("cut.jpg", "image/jpeg", jpeg.getvalue()[:400])])
    orientation.wait_until(lambda: orientation.probe("kept") == 2
                           and len(orientation.probe("rejected")) == 2,
                           message="two photos kept and two skipped")
    rejected = page.locator("#upload-rejected").inner_text()
    assert "notes.png" in rejected and "not a JPEG or PNG" in rejected
    assert "cut.jpg: cannot be" in rejected
    set_id = orientation.probe("uploadId")
    listed = http_json(f"{orientation.base_url}/api/orientation/uploads/{set_id}")
    assert [p["name"] for p in listed["photos"]] == ["holiday-0.png", "holiday-1.png"]
    body = orientation.probe("body()")
    assert body["dataset"] == "uploaded" and body["upload"] == set_id
    page.click("#upload-delete")
    orientation.wait_until(lambda: orientation.probe("uploadId") is None,
                           message="the photos deleted")


def test_a_dropped_photo_is_read_by_the_runs_model_and_turned_upright(
        orientation: OrientationPage) -> None:
    page = orientation.page
    page.click('label[data-dataset="photos"]')
    page.select_option("#image-size", "32")
    page.click('.preset[data-preset="small"]')
    orientation.set_field("#train-images", "100")
    orientation.set_field("#epochs", "1")
    assert page.locator("#input-shape").inner_text() == "32×32×3 image"
    page.click("#start")
    orientation.wait_until(lambda: orientation.probe("state") == "finished",
                           timeout=180, message="the run to finish")
    orientation.wait_until(lambda: orientation.probe("modelLoads") >= 1
                           and orientation.probe("evaluations") >= 1,
                           message="the model in the page and an evaluation")
    galleries = orientation.probe("galleries()")
    assert galleries["pass"] + galleries["fail"] > 0
    assert orientation.probe("confusionTotal()") > 0

    orientation.drop("#photo-drop", [("red-top.png", "image/png", _png(_red_top()))])
    direction = orientation.wait_until(lambda: orientation.probe("prediction"),
                                       message="a direction for the photo")
    probabilities = orientation.probe("probabilities")
    assert len(probabilities) == 4 and abs(sum(probabilities) - 1) < 1e-4
    names = ["up", "right", "down", "left"]
    assert names[int(np.argmax(probabilities))] == direction
    assert page.locator("#direction").inner_text().endswith(direction)
    # The photo turned back by the answer: its red band (its top) goes where the answer
    # says the top pointed, turned counter-clockwise by as many quarter turns.
    edges = page.evaluate("""() => {
        const canvas = document.getElementById("photo-upright");
        const { width, height } = canvas;
        const { data } = canvas.getContext("2d").getImageData(0, 0, width, height);
        const red = (x, y) => {
            const i = (y * width + x) * 4;
            return data[i] > 150 && data[i + 1] < 100;
        };
        const share = (points) => points.filter(([x, y]) => red(x, y)).length / points.length;
        const span = [...Array(20).keys()].map((i) => Math.round(width * (0.3 + 0.02 * i)));
        return {
            top: share(span.map((x) => [x, 4])), bottom: share(span.map((x) => [x, height - 5])),
            left: share(span.map((y) => [4, y])), right: share(span.map((y) => [width - 5, y])),
        };
    }""")
    expected = ["top", "left", "bottom", "right"][names.index(direction)]
    assert edges[expected] > 0.9, (direction, edges)
    assert all(edges[edge] < 0.1 for edge in edges if edge != expected), (direction, edges)
    seen = page.evaluate("""() => {
        const c = document.getElementById("photo-seen");
        const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
        let red = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i] > 150 && data[i + 1] < 100) red++;
        return red / (data.length / 4);
    }""")
    assert 0.1 < seen < 0.4  # what the model saw: the photo, its red band on top
