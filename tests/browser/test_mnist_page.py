"""The MNIST lab page (issue 4) in headless Chromium, against the real server and real training."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
from playwright.sync_api import Page, Route, expect

from server.datasets.mnist import HOW_TO_GET_IT
from server.problems.mnist.models import PRESETS, build_model
from server.problems.mnist.spec import parse_mnist_spec
from tests.browser.mnist_page import MnistLab
from tests.browser.page_driver import (
    canvas_on_screen,
    commonest_colour,
    css_value,
    http_json,
    next_frames,
    png_pixels,
    screen_region,
)

# A vertical stroke, off-centre and shorter than the pad: preprocessing must centre and scale it.
VERTICAL_STROKE = [(90.0, 45.0), (92.0, 140.0), (94.0, 230.0)]
BAD_REQUEST = "the server responded with a status of 400"
PANEL_CANVASES = ["#train-digits", "#accuracy-chart", "#loss-chart", "#weights-chart",
                  "#biases-chart", "#test-digits"]


@pytest.fixture
def lab(page: Page, live_server: str) -> Iterator[MnistLab]:
    """The lab at 1280×800, checked for console errors when the test ends."""
    page.set_viewport_size({"width": 1280, "height": 800})
    lab = MnistLab(page, live_server)
    lab.open()
    yield lab
    errors = lab.unexpected_errors()
    assert errors == [], "the page logged errors:\n" + "\n".join(errors)


def canvas_stats(lab: MnistLab, selector: str, rgb: tuple[int, int, int] = (0, 0, 0),
                 tolerance: int = 0) -> dict[str, float]:
    """Pixel counts of a canvas, computed in the page (shipping the pixels out is slow)."""
    return lab.page.evaluate(
        """([selector, rgb, tolerance]) => {
            const canvas = document.querySelector(selector);
            const {data} = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            let painted = 0, dark = 0, reddish = 0, near = 0;
            for (let i = 0; i < data.length; i += 4) {
                const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
                if (a > 0) painted++;
                if (a > 0 && r < 100 && g < 100 && b < 100) dark++;
                if (a > 0 && r > 200 && g < 200 && b < 200) reddish++;
                const distance = Math.abs(r - rgb[0]) + Math.abs(g - rgb[1]) + Math.abs(b - rgb[2]);
                if (a > 0 && distance <= tolerance) near++;
            }
            return {painted: painted / (data.length / 4), dark, reddish, near};
        }""",
        [selector, list(rgb), tolerance],
    )


def test_six_panels_and_their_shortcuts(lab: MnistLab) -> None:
    page = lab.page
    assert lab.visible_panels() == [1, 2, 3, 4, 5, 6]
    for key in "123456":
        page.keyboard.press(key)
        assert lab.visible_panels() == [int(key)], f"key {key}"
    for key, panels in (("7", [2, 3]), ("8", [4, 5]), ("9", [1, 6])):
        page.keyboard.press(key)
        assert lab.visible_panels() == panels, f"key {key}"
    page.keyboard.press("0")
    assert lab.visible_panels() == [1, 2, 3, 4, 5, 6]
    page.keyboard.press("4")
    page.keyboard.press("Escape")
    assert lab.visible_panels() == [1, 2, 3, 4, 5, 6]

    # The toolbar does the same, and shows which view is on.
    page.click('.view-button[data-view="8"]')
    assert lab.visible_panels() == [4, 5]
    expect(page.locator('.view-button[data-view="8"]')).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("0")

    # Digits typed into a field are values, not shortcuts.
    page.fill("#epochs", "")
    page.locator("#epochs").press_sequentially("35")
    assert lab.visible_panels() == [1, 2, 3, 4, 5, 6]
    assert page.input_value("#epochs") == "35"


def test_preprocessing_centres_and_fits_a_blob(lab: MnistLab) -> None:
    """prepareDigit (a pure module) on a lopsided blob drawn off-centre in a 280×280 image."""
    result = lab.page.evaluate(
        """async () => {
            const m = await import('/js/mnist-preprocess.js');
            const grey = new Float32Array(280 * 280);
            for (let y = 0; y < 280; y++) {
                for (let x = 0; x < 280; x++) {
                    // An ellipse low on the left with a thick tail up and right of it.
                    const ellipse = ((x - 60) / 30) ** 2 + ((y - 200) / 50) ** 2 <= 1;
                    const tail = x >= 80 && x < 100 && y >= 100 && y < 160;
                    if (ellipse || tail) grey[y * 280 + x] = 1;
                }
            }
            const out = m.prepareDigit(grey, 280, 280);
            return {
                out: Array.from(out),
                blank: m.prepareDigit(new Float32Array(280 * 280), 280, 280),
                size: m.SIZE,
            };
        }"""
    )
    assert result["size"] == 28
    assert result["blank"] is None
    image = np.array(result["out"]).reshape(28, 28)
    assert image.min() >= 0 and image.max() <= 1 and image.max() > 0.99
    rows = np.flatnonzero(image.sum(axis=1) > 0)
    cols = np.flatnonzero(image.sum(axis=0) > 0)
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    # The blob is 150 px tall and 70 wide: 20 tall and about 9 wide once fitted in 20×20.
    assert height == 20
    assert 8 <= width <= 10
    ys, xs = np.mgrid[0:28, 0:28]
    mass = image.sum()
    centre = ((image * ys).sum() / mass, (image * xs).sum() / mass)
    assert abs(centre[0] - 14) <= 0.5 and abs(centre[1] - 14) <= 0.5, centre
    # Anti-aliased: the scaled edges hold grey levels, not only 0 and 1.
    assert ((image > 0.05) & (image < 0.95)).sum() >= 5


@pytest.mark.usefixtures("mnist")  # the run trains on MNIST
def test_softmax_run_fills_the_panels_and_reads_a_drawn_one(lab: MnistLab) -> None:
    page = lab.page
    run_id = lab.start("softmax", train_images=2000, epochs=10)
    posts = [r for r in lab.requests if r[0] == "POST" and re.fullmatch(r"/api/runs(\?.*)?", r[1])]
    body = posts[-1][2]
    assert body["problem"] == "mnist" and body["preset"] == "softmax"
    assert body["shift"] == 0  # the dense and softmax presets train on the digits as they are
    assert body["trainImages"] == 2000 and body["epochs"] == 10 and body["layers"] == []
    expect(page.locator("#code")).to_contain_text('layers.Dense(10, activation="softmax"')
    expect(page.locator("#export")).to_have_attribute("href", f"/api/runs/{run_id}/export.zip")

    lab.wait_state("finished")
    # The final events follow the status: wait for the full evaluation at the last iteration.
    lab.wait_until(lambda: lab.probe("confusionTotal()") == 10_000, message="the confusion matrix")
    lab.wait_until(lambda: page.text_content("#iteration") == "200 / 200", message="the end")
    expect(page.locator("#epoch")).to_have_text("10.00 / 10")
    expect(page.locator("#accuracy-note")).to_have_text("(all 10,000 images)")
    accuracy = float(page.text_content("#test-accuracy").rstrip("%"))
    assert 80 < accuracy < 100

    assert lab.probe("accuracyPoints()") >= 4 and lab.probe("lossPoints()") >= 4
    assert lab.probe("bandPoints()") >= 4
    assert lab.probe("trainDigits()") == 100 and lab.probe("testDigits()") == 100
    assert lab.probe("weightMapsShown()") is True
    # Drawn, not only received: digits on white/red, curves, ten weight maps in colour.
    train = canvas_stats(lab, "#train-digits")
    assert train["painted"] > 0.5 and train["dark"] > 1000
    assert canvas_stats(lab, "#test-digits")["reddish"] > 1000, "mistakes are drawn on red"
    orange = canvas_stats(lab, "#accuracy-chart", (245, 147, 34), 40)["near"]
    assert orange > 20, "the test accuracy curve is drawn"
    blue = canvas_stats(lab, "#weight-maps", (8, 119, 189), 120)["near"]
    assert blue > 50, "the weight maps are drawn"

    # The confusion matrix: 10×10 counts summing to the 10,000 test images, diagonal marked.
    cells = page.locator("#confusion tbody td").all_text_contents()
    counts = np.array([int(c.replace(",", "")) for c in cells]).reshape(10, 10)
    assert counts.sum() == 10_000
    assert np.trace(counts) / 10_000 == pytest.approx(accuracy / 100, abs=2e-4)
    assert page.locator("#confusion td.diagonal").count() == 10

    # A vertical stroke reads as 1, with the model trained on the 2,000-digit subset.
    lab.wait_until(lambda: lab.probe("modelLoads") >= 1, message="the model to load")
    lab.draw_stroke(VERTICAL_STROKE)
    expect(page.locator("#prediction")).to_have_text("1")
    probabilities = lab.probe("probabilities")
    assert len(probabilities) == 10 and sum(probabilities) == pytest.approx(1, abs=1e-4)
    assert max(range(10), key=probabilities.__getitem__) == 1
    page.click("#clear")
    expect(page.locator("#prediction")).to_have_text("–")

    # Space does nothing to a finished run (and never presses the focused Start button).
    page.keyboard.press("Space")
    assert lab.probe("runId") == run_id and lab.state() == "finished"


@pytest.mark.usefixtures("mnist")  # the run trains on MNIST
def test_space_pauses_and_resumes_step_trains_one_batch(lab: MnistLab) -> None:
    page = lab.page
    # All 55,000 images: the budget lasts long enough to pause in the middle.
    run_id = lab.start("softmax", epochs=50)
    lab.wait_until(lambda: lab.probe("panelsEvents") >= 2 and lab.state() == "running",
                   message="training to show")
    # The model is refreshed while it trains: a digit drawn now is read by it.
    lab.wait_until(lambda: lab.probe("modelLoads") >= 1, message="the model to load")
    lab.draw_stroke(VERTICAL_STROKE)
    lab.wait_until(lambda: lab.probe("prediction") is not None, message="a prediction")

    # The focus is on Start, which Space must not press: it pauses the run instead.
    page.focus("#start")
    with page.expect_response(lambda r: r.request.method == "PATCH") as paused:
        page.keyboard.press("Space")
    summary = paused.value.json()  # sent once the chunk under way is done: final numbers
    assert summary["state"] == "paused" and lab.probe("runId") == run_id
    before = summary["metrics"]["batch"]
    lab.wait_state("paused")
    expect(page.locator("#pause")).to_have_text("Resume")
    lab.wait_until(lambda: page.text_content("#iteration").startswith(f"{before:,} /"),
                   message=f"the page to show the paused iteration {before}")

    with page.expect_response(lambda r: r.url.endswith("/step")) as stepped:
        page.click("#step")
    assert stepped.value.json()["metrics"]["batch"] == before + 1
    lab.wait_until(lambda: page.text_content("#iteration").startswith(f"{before + 1:,} /"),
                   message=f"the page to show one more iteration than {before}")
    assert lab.server_run(run_id)["metrics"]["batch"] == before + 1
    assert lab.state() == "paused"

    page.keyboard.press("Space")
    lab.wait_state("running")
    lab.wait_until(lambda: lab.server_run(run_id)["metrics"]["batch"] > before + 1,
                   message="training again")
    expect(page.locator("#pause")).to_have_text("Pause")


@pytest.mark.usefixtures("mnist")  # the run trains on MNIST
def test_layer_editor_builds_the_run_and_shows_rejections(lab: MnistLab) -> None:
    page = lab.page
    lab.expected_errors.append(BAD_REQUEST)
    page.click('.preset[data-preset="conv"]')
    rows = page.locator("#layers > li")
    expect(rows).to_have_count(4)
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.type)") == [
        "conv", "conv", "conv", "dense"]
    expect(rows.nth(1).locator(".layer-shape")).to_have_text("→ 14×14×8")
    expect(page.locator("#param-count")).to_contain_text("121,982 trainable parameters")

    # Edit: 100 units in the dense layer, a dropout after it, one convolution fewer.
    page.fill('#layers > li >> nth=3 >> [data-param="units"]', "100")
    page.press('#layers > li >> nth=3 >> [data-param="units"]', "Tab")
    page.select_option("#add-layer-type", "dropout")
    page.click("#add-layer")
    page.click('#layers > li >> nth=2 >> button[title="Remove"]')
    expect(rows).to_have_count(4)
    expect(page.locator('.preset[data-preset="conv"]')).to_have_class(re.compile("modified"))

    # A rejected run: a convolution after a dense layer. The server's reason shows, the row too.
    page.select_option("#add-layer-type", "conv")
    page.click("#add-layer")
    expect(rows.nth(4)).to_have_class(re.compile("invalid"))
    page.click("#start")
    expect(page.locator("#error")).to_be_visible()
    expect(page.locator("#error")).to_contain_text("cannot follow a dense")
    assert lab.probe("runId") is None
    page.click('#layers > li >> nth=4 >> button[title="Remove"]')

    # The convolutional presets shift their training digits by ±2 px; more than 4 is refused.
    expect(page.locator("#shift")).to_have_value("2")
    expect(page.locator('.preset[data-preset="conv"] .preset-reported')).to_have_text(
        "the talk reports 98.9% · + digits shifted ±2 px")
    lab.set_field("#shift", "9")
    page.click("#start")
    expect(page.locator("#error")).to_contain_text("shift")
    expect(page.locator("#shift")).to_have_class(re.compile("invalid-field"))
    assert lab.probe("runId") is None
    lab.set_field("#shift", "1")

    lab.set_field("#train-images", "500")
    lab.set_field("#epochs", "1")
    previous = lab.probe("runId")  # (lab.start would click the preset and undo the edits)
    page.click("#start")
    run_id = lab.wait_until(lambda: (rid := lab.probe("runId")) != previous and rid,
                            message="the edited run")
    expect(page.locator("#error")).to_be_hidden()
    body = [r for r in lab.requests if r[0] == "POST" and r[1].startswith("/api/runs")][-1][2]
    assert body["layers"] == [
        {"type": "conv", "filters": 4, "kernel": 5, "stride": 1},
        {"type": "conv", "filters": 8, "kernel": 4, "stride": 2},
        {"type": "dense", "units": 100},
        {"type": "dropout", "rate": 0.25},
    ]
    assert body["learningRateDecay"] == {"to": 0.0001, "steps": 2000}
    assert body["shift"] == 1
    assert lab.server_run(run_id)["spec"]["layers"] == body["layers"]
    assert lab.server_run(run_id)["spec"]["shift"] == 1
    expect(page.locator("#code")).to_contain_text("layers.RandomTranslation(1 / 28, 1 / 28")
    expect(page.locator("#batch-note")).to_contain_text("shifted ±1 px, as trained",
                                                        timeout=60_000)
    expect(page.locator("#code")).to_contain_text("layers.Dropout(0.25)")
    expect(page.locator("#code")).to_contain_text("layers.Dense(100,")


def test_missing_mnist_shows_how_to_get_it(lab: MnistLab) -> None:
    """A server without MNIST answers 400 on field "problem"; the page shows its message."""
    lab.expected_errors.append(BAD_REQUEST)

    def no_mnist(route: Route) -> None:
        if route.request.method != "POST":
            route.fallback()
            return
        route.fulfill(status=400, json={"error": HOW_TO_GET_IT, "field": "problem"})

    lab.page.route(re.compile(r".*/api/runs(\?.*)?$"), no_mnist)
    lab.page.click("#start")
    error = lab.page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("MNIST is not available")
    expect(error).to_contain_text("tf-playground serve --mnist PATH")
    assert lab.probe("runId") is None


@pytest.mark.usefixtures("mnist")  # the run trains on MNIST
def test_screenshots(lab: MnistLab, output_dir: Path) -> None:
    page = lab.page
    lab.start("softmax", train_images=2000, epochs=8)
    lab.wait_state("finished")
    lab.wait_until(lambda: lab.probe("confusionTotal()") == 10_000, message="the evaluation")
    lab.wait_until(lambda: lab.probe("modelLoads") >= 1, message="the model to load")
    lab.draw_stroke(VERTICAL_STROKE)
    expect(page.locator("#prediction")).to_have_text("1")
    page.evaluate("window.scrollTo(0, 0)")
    lab.wait_until(lambda: page.evaluate("window.scrollY") == 0, message="the top of the page")
    next_frames(page)

    def shows_as_drawn(shot: np.ndarray, selectors: list[str]) -> None:
        """Each canvas is on the screenshot exactly as the page holds it."""
        for selector in selectors:
            share, drawn = canvas_on_screen(lab.page, shot, selector)
            assert share > 0.99 and drawn > 0.99, (selector, share, drawn)

    def near(pixels: np.ndarray, colour: np.ndarray, tolerance: int = 40) -> int:
        return int((np.abs(pixels - colour).sum(axis=2) <= tolerance).sum())

    # The first screen at 1280×800: the dark banner, the six panels as drawn.
    shot = png_pixels(page.screenshot(path=str(output_dir / "mnist-lab.png")))
    assert shot.shape[:2] == (800, 1280)
    dark = css_value(page, ":root", "--dark")
    assert (commonest_colour(screen_region(page, shot, "header.banner")) == dark).all()
    shows_as_drawn(shot, PANEL_CANVASES)
    # Digits (dark strokes) on white, the batch's mistakes first on red; the test digits come
    # mistakes first too, and there are far more than the hundred shown: red throughout.
    train = screen_region(page, shot, "#train-digits")
    test = screen_region(page, shot, "#test-digits")
    assert (commonest_colour(train) == 255).all() and near(train, np.zeros(3), 150) > 1000

    def reddish(pixels: np.ndarray) -> int:  # as canvas_stats counts them
        r, g, b = pixels[:, :, 0], pixels[:, :, 1], pixels[:, :, 2]
        return int(((r > 200) & (g < 200) & (b < 200)).sum())

    assert 1000 < reddish(train) < reddish(test)
    # Both accuracy curves (thin, anti-aliased lines): training in blue, test in orange.
    accuracy = screen_region(page, shot, "#accuracy-chart")
    r, g, b = (accuracy[:, :, i] for i in range(3))
    assert ((b > r + 60) & (b > 150)).sum() > 100, "the training curve (blue)"
    assert ((r > b + 60) & (g > 100)).sum() > 100, "the test curve (orange)"

    # The whole page: the drawing pad holds the drawn 1, a white stroke on black where the
    # mouse went (x 90–94 of 280, y 45–230), and the model's weight maps.
    full = png_pixels(page.screenshot(path=str(output_dir / "mnist-lab-full.png"),
                                      full_page=True))
    assert full.shape[:2] == (page.evaluate("document.documentElement.scrollHeight"), 1280)
    shows_as_drawn(full, [*PANEL_CANVASES, "#draw", "#weight-maps"])
    pad = screen_region(page, full, "#draw")
    assert (commonest_colour(pad) == 0).all()
    scale = pad.shape[1] / 280
    rows, cols = np.nonzero(pad[4:-4, 4:-4].min(axis=2) > 200)  # the rounded corners aside
    rows, cols = rows + 4, cols + 4
    assert 70 * scale < cols.min() and cols.max() < 115 * scale, (cols.min(), cols.max())
    assert rows.min() < 60 * scale and rows.max() > 215 * scale, (rows.min(), rows.max())

    # Key 7: accuracy and loss alone, side by side and wider; its button shows it is on.
    page.keyboard.press("7")
    lab.wait_until(lambda: lab.visible_panels() == [2, 3], message="view 7")
    next_frames(page)
    shot = png_pixels(page.screenshot(path=str(output_dir / "mnist-lab-accuracy-loss.png")))
    shows_as_drawn(shot, ["#accuracy-chart", "#loss-chart"])
    assert screen_region(page, shot, "#accuracy-chart").shape[1] > accuracy.shape[1] * 1.4
    button = '.view-button[data-view="7"]'
    assert (commonest_colour(screen_region(page, shot, button))
            == css_value(page, button, "backgroundColor")).all()

    # At 375 px the panels stack in one column, nothing sticks out sideways.
    page.keyboard.press("0")
    page.set_viewport_size({"width": 375, "height": 800})
    lab.wait_until(lambda: page.evaluate("window.innerWidth") == 375, message="375 px")
    next_frames(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375, "no sideways scrolling"
    narrow = png_pixels(page.screenshot(path=str(output_dir / "mnist-lab-375.png"),
                                        full_page=True))
    assert narrow.shape[:2] == (page.evaluate("document.documentElement.scrollHeight"), 375)
    shows_as_drawn(narrow, [*PANEL_CANVASES, "#draw"])
    lefts = {page.locator(f"#panel-{n}").bounding_box()["x"] for n in range(1, 7)}
    assert len(lefts) == 1, f"panels side by side at 375 px: {lefts}"


def test_the_parameter_count_shown_is_keras_count_for_every_preset(lab: MnistLab) -> None:
    """The editor counts parameters in the page; each preset's count must be the model's."""
    for preset in PRESETS:
        model = build_model(parse_mnist_spec({"preset": preset})).model
        trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        lab.page.click(f'.preset[data-preset="{preset}"]')
        expect(lab.page.locator("#param-count")).to_contain_text(
            f"{trainable:,} trainable parameters")
    # A sigmoid layer keeps its batch normalisation's scale (the count goes up by 30).
    lab.page.click('.preset[data-preset="dense-sigmoid"]')
    lab.page.select_option("#add-layer-type", "batchnorm")
    lab.page.click("#add-layer")
    spec = parse_mnist_spec({"preset": "dense-sigmoid", "layers": [
        *PRESETS["dense-sigmoid"]["layers"], {"type": "batchnorm"}]})
    model = build_model(spec).model
    assert isinstance(model.layers[-3], keras.layers.BatchNormalization)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    expect(lab.page.locator("#param-count")).to_contain_text(f"{trainable:,} trainable parameters")


@pytest.mark.usefixtures("mnist")  # the runs train on MNIST
def test_a_queued_run_shows_its_place_and_starts_when_a_core_frees(lab: MnistLab,
                                                                   app: Any) -> None:
    """Heavy runs take the server's spare cores in order: the lab's run waits, `queued`,
    saying where it is in line, and trains as soon as the runs before it pause."""
    cores = app.extensions["runs"].cores.cores
    holders = [http_json(f"{lab.base_url}/api/runs", "POST", {
        "problem": "mnist", "trainImages": 1000, "epochs": 200}) for _ in range(cores)]
    try:
        for holder in holders:  # each holds its core once it trains
            lab.wait_until(lambda h=holder: http_json(
                f"{lab.base_url}/api/runs/{h['id']}")["metrics"].get("batch", 0) > 0,
                message="the runs before it to train")
        lab.start("softmax", train_images=1000, epochs=1)
        expect(lab.page.locator("#run-state")).to_have_text("queued: 1st", timeout=30_000)
        expect(lab.page.locator("#status")).to_contain_text("1st in the queue")
        assert lab.probe("state") == "queued"
        for holder in holders:
            http_json(f"{lab.base_url}/api/runs/{holder['id']}", "PATCH", {"state": "paused"})
        expect(lab.page.locator("#run-state")).not_to_have_text(re.compile("queued"),
                                                                 timeout=30_000)
        lab.wait_state("finished")  # it trained its whole budget
    finally:
        for holder in holders:
            http_json(f"{lab.base_url}/api/runs/{holder['id']}", "DELETE")
