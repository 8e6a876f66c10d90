"""A run's export opened as its developer would: unzipped into a folder, served by a plain
static server, index.html in Chromium. The page checks TensorFlow.js against Keras' outputs
(#self-check) and shows the model at work; the playground's page classifies a clicked point
as the product's page colours it."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from server.problems.playground.features import feature_matrix
from tests.browser.page_driver import PageDriver
from tests.browser.playground_page import Playground
from tests.export_site import (
    SPECS,
    download_export,
    read_json,
    static_server,
    train_and_export,
)

TOLERANCE = 1e-5
CHECK = re.compile(r"^matches Keras: max \|diff\| (\S+) on (\w+) \((\d+) inputs\)$")


class ExportPage(PageDriver):
    """An unzipped export's index.html, with the console errors it logs."""

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.base_url}/index.html{query}")
        self.page.wait_for_selector("#self-check:not([data-status=pending])")

    def self_check(self) -> tuple[float, str, int]:
        """(the largest difference, the backend, how many inputs) the page reports."""
        line = self.page.locator("#self-check")
        text = line.text_content() or ""
        assert line.get_attribute("data-status") == "match", text
        match = CHECK.match(text)
        assert match, text
        return float(match[1]), match[2], int(match[3])

    def readout(self) -> dict[str, str]:
        return self.page.evaluate("({...document.querySelector('#readout').dataset})")


Exported = Callable[..., tuple[Path, str]]


@pytest.fixture
def exported(live_server: str, tmp_path: Path) -> Iterator[Exported]:
    """`exported(spec)` trains a run of `spec` and exports it; `exported(run_id=…)` exports
    that run. Returns (the unzipped folder, its URL on a static server). The folder is a
    sub-folder of what is served: the page must not assume it is at the server's root."""
    with ExitStack() as servers:
        site = tmp_path / "site"
        base = servers.enter_context(static_server(site))

        def export(spec: dict[str, Any] | None = None, *, run_id: str | None = None
                   ) -> tuple[Path, str]:
            folder = site / "my-model"
            if run_id is None:
                assert spec is not None
                train_and_export(live_server, spec, folder)
            else:
                download_export(live_server, run_id, folder)
            return folder, f"{base}/my-model"

        yield export


def _open(page: Page, url: str, query: str = "") -> ExportPage:
    driver = ExportPage(page, url)
    driver.open(query)
    return driver


@pytest.mark.parametrize("problem", ["playground", "playground-classes", "fitting", "mnist",
                                     "orientation"])
def test_the_page_says_it_matches_keras(problem: str, page: Page, exported: Exported,
                                        request: pytest.FixtureRequest) -> None:
    if problem in ("mnist", "orientation"):  # the orientation run trains on digits
        request.getfixturevalue("mnist")  # skips, saying how to get the data, without it
    folder, url = exported(SPECS[problem])
    driver = _open(page, url)
    diff, backend, count = driver.self_check()
    assert diff <= TOLERANCE
    assert backend == page.evaluate("window.__export.backend") == page.evaluate("tf.getBackend()")
    assert count == len(read_json(folder / "predictions.json")["inputs"]) >= 10
    assert page.evaluate("window.__export.ready")
    assert driver.errors == []


def test_the_self_check_fails_when_the_model_is_not_keras_one(page: Page, exported: Exported
                                                              ) -> None:
    """The check can fail: the same page with one Keras output changed says so."""
    folder, url = exported(SPECS["fitting"])
    predictions = read_json(folder / "predictions.json")
    predictions["outputs"][3][0] += 1e-3
    (folder / "predictions.json").write_text(json.dumps(predictions))
    ExportPage(page, url).open()
    line = page.locator("#self-check")
    assert line.get_attribute("data-status") == "differs"
    assert (line.text_content() or "").startswith("differs from Keras: max |diff| 1.0e-3")


def test_opened_from_the_file_manager_it_says_how_to_serve_it(page: Page, exported: Exported
                                                               ) -> None:
    folder, _ = exported(SPECS["fitting"])
    page.goto((folder / "index.html").as_uri())
    line = page.locator("#self-check")
    assert line.get_attribute("data-status") == "failed"
    assert "python3 -m http.server" in (line.text_content() or "")


def test_webgl_gives_keras_outputs_too(page: Page, exported: Exported) -> None:
    _, url = exported(SPECS["playground"])
    diff, backend, _ = _open(page, url, "?backend=webgl").self_check()
    assert backend == "webgl" and diff <= TOLERANCE


def _sign_of_colour(rgba: np.ndarray) -> int:
    """The product's colours: blue (+1) has more blue than red, orange (-1) more red."""
    return 1 if int(rgba[2]) > int(rgba[0]) else -1


def test_a_clicked_point_is_classified_as_the_product_page_shows_it(
        playground: Playground, exported: Exported) -> None:
    pg = playground
    pg.open("#dataset=xor&xTimesY=true&seed=0.7")
    pg.play()
    pg.wait_until(lambda: pg.epoch() > 100, message="training")
    pg.pause()
    # The map of the final state is drawn a frame after the epoch shows: read it once two
    # reads a moment apart agree.
    last: list[np.ndarray] = [pg.heat_pixels()]

    def settled() -> tuple[np.ndarray] | None:
        pg.page.wait_for_timeout(200)
        now = pg.heat_pixels()
        same = np.array_equal(now, last[0])
        last[0] = now
        return (now,) if same else None

    (product_map,) = pg.wait_until(settled, message="the final map")
    folder, url = exported(run_id=pg.run_id)

    page = pg.page.context.new_page()
    driver = _open(page, url)
    driver.self_check()
    export_map = np.array(page.evaluate("""() => {
        const c = document.querySelector('#heatmap canvas.heat');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
    }"""), np.uint8).reshape(product_map.shape)
    # The same model over the same grid, drawn by the same code: the same map.
    assert np.mean(np.all(export_map == product_map, axis=2)) >= 0.99

    metadata = read_json(folder / "metadata.json")
    low, high = metadata["page"]["inputRange"]
    model = keras.models.load_model(folder / "model.keras")
    blueness = product_map[:, :, 2].astype(int) - product_map[:, :, 0].astype(int)
    size = product_map.shape[0]
    box = page.locator("#heatmap canvas.points").bounding_box()
    assert box is not None
    for row, col in (np.unravel_index(np.argmax(blueness), blueness.shape),
                     np.unravel_index(np.argmin(blueness), blueness.shape)):
        page.mouse.click(box["x"] + (col + 0.5) / size * box["width"],
                         box["y"] + (row + 0.5) / size * box["height"])
        shown = driver.readout()
        assert int(shown["label"]) == _sign_of_colour(product_map[row, col])
        point = np.array([[float(shown["x1"]), float(shown["x2"])]])
        assert low <= point[0, 0] <= high and low <= point[0, 1] <= high
        keras_output = model(feature_matrix(point, metadata["features"]), training=False)
        assert abs(float(shown["output"]) - float(np.asarray(keras_output)[0, 0])) <= TOLERANCE
    assert driver.errors == []


def test_the_mnist_page_reads_a_drawn_digit(page: Page, exported: Exported,
                                            mnist: object) -> None:
    _, url = exported(SPECS["mnist"])
    driver = _open(page, url)
    box = page.locator("#pad").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.52, box["y"] + box["height"] * 0.8, steps=12)
    page.mouse.up()
    driver.wait_until(lambda: driver.readout().get("probabilities"), message="a reading")
    probabilities = json.loads(driver.readout()["probabilities"])
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) <= 1e-4
    assert int(driver.readout()["digit"]) == int(np.argmax(probabilities))
    # What the model saw is the product's preprocessing of the stroke: ink in the middle.
    seen = np.array(page.evaluate("""() => {
        const c = document.querySelector('#seen');
        return Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data);
    }""")).reshape(28, 28, 4)[:, :, 0]
    assert seen[4:24, 4:24].sum() > 0.9 * seen.sum() > 0
    assert driver.errors == []


def test_the_fitting_page_reads_the_curve_where_clicked(page: Page, exported: Exported
                                                        ) -> None:
    folder, url = exported(SPECS["fitting"])
    driver = _open(page, url)
    box = page.locator("#curve").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    shown = driver.readout()
    metadata = read_json(folder / "metadata.json")
    norm = metadata["page"]["normalization"]
    x = (np.array([[float(shown["x"])]]) - norm["mean"]) / norm["std"]
    model = keras.models.load_model(folder / "model.keras")
    expected = float(np.asarray(model(x.astype(np.float32), training=False))[0, 0])
    assert abs(float(shown["output"]) - expected) <= TOLERANCE
    assert driver.errors == []


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "PNG")
    return out.getvalue()


DIRECTIONS = ["up", "right", "down", "left"]


def test_the_orientation_page_reads_a_dropped_image(page: Page, exported: Exported,
                                                    mnist: object) -> None:
    folder, url = exported(SPECS["orientation"])
    driver = _open(page, url)
    driver.self_check()
    predictions = read_json(folder / "predictions.json")

    # A test digit from predictions.json, dropped as a PNG: the page crops, greys and
    # scales it as the orientation page does a photo, and reads what Keras read.
    digit = np.array(predictions["inputs"][0], np.uint8)
    driver.drop("#photo-drop", [("digit.png", "image/png", _png(digit))])
    direction = driver.wait_until(lambda: driver.readout().get("direction"),
                                  message="a direction for the digit")
    probabilities = json.loads(driver.readout()["probabilities"])
    assert len(probabilities) == 4 and abs(sum(probabilities) - 1) <= 1e-4
    assert direction == DIRECTIONS[int(np.argmax(probabilities))]
    assert np.max(np.abs(np.array(probabilities) - predictions["outputs"][0])) <= TOLERANCE
    assert page.locator("#direction").inner_text().endswith(direction)

    # A square photo, light paper with a dark band along its top: turned upright by the
    # answer, the band goes where the answer says the top pointed, turned back.
    photo = np.full((90, 90, 3), 235, np.uint8)
    photo[:18] = (20, 20, 20)
    driver.drop("#photo-drop", [("band.png", "image/png", _png(photo))])
    driver.wait_until(lambda: "band.png" in (page.locator("#readout").text_content() or ""),
                      message="a direction for the photo")
    direction = driver.readout()["direction"]
    edges = page.evaluate("""() => {
        const canvas = document.getElementById("photo-upright");
        const { width, height } = canvas;
        const { data } = canvas.getContext("2d").getImageData(0, 0, width, height);
        const dark = (x, y) => data[(y * width + x) * 4] < 80 && data[(y * width + x) * 4 + 3];
        const share = (points) => points.filter(([x, y]) => dark(x, y)).length / points.length;
        const span = [...Array(20).keys()].map((i) => Math.round(width * (0.3 + 0.02 * i)));
        return {
            top: share(span.map((x) => [x, 4])), bottom: share(span.map((x) => [x, height - 5])),
            left: share(span.map((y) => [4, y])), right: share(span.map((y) => [width - 5, y])),
        };
    }""")
    expected = ["top", "left", "bottom", "right"][DIRECTIONS.index(direction)]
    assert edges[expected] > 0.9, (direction, edges)
    assert all(edges[edge] < 0.1 for edge in edges if edge != expected), (direction, edges)

    # Not an image: the page says so, and reads nothing.
    driver.drop("#photo-drop", [("notes.png", "image/png", b"just some text\n")])
    driver.wait_until(lambda: "not an image" in (page.locator("#readout").text_content() or ""),
                      message="the file named as no image")
    assert "direction" not in driver.readout()
    assert driver.errors == []
