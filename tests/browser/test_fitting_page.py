"""The fitting page (issue 5) in headless Chromium, against the real server and real training."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.page_driver import http_bytes, http_json
from tests.browser.playground_page import Playground

# Chromium logs every 4xx response as a console error; a rejected CSV is meant to get one.
EXPECTED_400 = "Failed to load resource: the server responded with a status of 400"


class FittingPage(Playground):
    """The shared page helper (console errors, requests, polling, the server's view),
    pointed at /fitting.html."""

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.base_url}/fitting.html{hash_}")
        self.page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        assert not self.page.locator("#status").text_content().startswith("Could not")

    def probe(self, key: str) -> Any:
        return self.page.evaluate(f"window.__fitting.{key}")

    def number(self, selector: str) -> float:
        return float(self.page.locator(selector).text_content().replace(",", ""))

    def curve_pixels(self) -> str:
        return self.page.evaluate("document.getElementById('curve').toDataURL()")

    def lesson(self, key: str) -> str:
        """Open a lesson; returns its new run's id once the page shows it."""
        before = self.run_id
        self.page.click(f".lesson[data-key={key}]")
        return self.wait_until(lambda: (rid := self.run_id) != before and rid,
                               timeout=60, message=f"the {key} lesson's run")

    def play(self) -> None:
        self.page.click("#play-pause")
        self.wait_until(lambda: self.server_run()["state"] == "running", message="running")


@pytest.fixture
def fitting(page: Page, live_server: str) -> Iterator[FittingPage]:
    """The page, checked for console errors when the test ends."""
    rp = FittingPage(page, live_server)
    yield rp
    errors = [e for e in rp.errors if EXPECTED_400 not in e]
    assert errors == [], "the page logged errors:\n" + "\n".join(errors)


def test_the_mystery_equation_lands_at_w_01_b_03_and_the_curve_moves(
        fitting: FittingPage, output_dir: Path) -> None:
    rp = fitting
    rp.open()
    page = rp.page
    expect(page.locator("nav a[href='/']")).to_be_visible()
    expect(page.locator("nav a[href='/mnist.html']")).to_be_visible()
    for other in ("/", "/mnist.html"):  # and they link here
        assert b'href="/fitting.html"' in http_bytes(f"{rp.base_url}{other}"), other
    expect(page.locator(".lesson.selected")).to_have_attribute("data-key", "mystery")
    run = rp.server_run()
    assert run["problem"] == "fitting" and run["spec"]["dataset"] == "mystery"
    assert run["state"] == "paused"  # the page never trains by itself

    curve_before = rp.probe("curve")
    pixels_before = rp.curve_pixels()
    w_before = rp.number("#w")
    rp.play()
    rp.wait_until(lambda: rp.probe("curve") != curve_before, message="the curve to move")
    rp.wait_until(lambda: abs(rp.number("#w") - 0.1) < 0.01 and abs(rp.number("#b") - 0.3) < 0.01,
                  timeout=60, message="W ≈ 0.1 and b ≈ 0.3")
    assert rp.curve_pixels() != pixels_before
    assert rp.number("#w") != w_before
    assert rp.probe("path") > 20  # the walk down the loss surface, from epoch 0
    page.click("#play-pause")
    rp.wait_until(lambda: rp.server_run()["state"] == "paused", message="paused")
    server = rp.wait_until(lambda: (s := rp.server_run())["epoch"] == rp.probe("epoch") and s,
                           message="the page to show the final epoch")
    # The final snapshot is drawn on the next frame after the status that ends the run.
    rp.wait_until(lambda: abs(rp.number("#w") - server["metrics"]["W"]) <= 6e-5
                  and abs(rp.number("#b") - server["metrics"]["b"]) <= 6e-5,
                  message="the page to show the final W and b")
    assert "The line: y = " in page.locator("#equation").text_content()
    page.screenshot(path=str(output_dir / "fitting-mystery.png"), full_page=True)


def test_a_bad_csv_row_is_named_and_the_current_run_goes_on(fitting: FittingPage) -> None:
    rp = fitting
    rp.open()
    page = rp.page
    page.click(".dataset-choice[data-key=custom]")
    custom = rp.wait_until(lambda: (r := rp.server_run())["spec"]["dataset"] == "custom" and r,
                           timeout=60, message="the example CSV's run")
    assert len(custom["setup"]["train"]) + len(custom["setup"]["test"]) == 21  # y = x², 21 points
    rp.play()
    page.fill("#csv", "x,y\n1,2\n\n2,4\n3,six\n4,8\n")
    posts_before = len(rp.api_requests("POST", r"/api/runs(\?.*)?"))
    page.click("#use-csv")
    expect(page.locator("#csv-error")).to_have_text('line 5: "six" is not a number')
    assert len(rp.api_requests("POST", r"/api/runs(\?.*)?")) == posts_before + 1
    assert rp.run_id == custom["id"]
    epoch = rp.server_run()["epoch"]
    rp.wait_until(lambda: rp.server_run()["epoch"] > epoch, message="the run to keep training")
    assert "previous run goes on" in page.locator("#status").text_content()
    runs = http_json(f"{rp.base_url}/api/runs")["runs"]
    assert [r["id"] for r in runs] == [custom["id"]]

    page.fill("#csv", "temp;chirps\n88,6;20\n71,6;16\n93,3;19,8\n")
    page.click("#use-csv")
    fixed = rp.wait_until(lambda: rp.run_id != custom["id"] and rp.server_run(),
                          message="the corrected CSV's run")
    setup = fixed["setup"]
    assert setup["xLabel"] == "temp" and len(setup["train"]) + len(setup["test"]) == 3
    expect(page.locator("#csv-error")).to_have_text("")


def test_normalising_the_crickets_suggests_a_larger_rate_and_maps_x(
        fitting: FittingPage) -> None:
    rp = fitting
    rp.open()
    page = rp.page
    rp.lesson("crickets-raw")
    assert page.locator("#learningRate").input_value() == "0.0002"
    raw_id = rp.run_id
    page.click("label.switch")
    rp.wait_until(lambda: rp.run_id != raw_id, timeout=60, message="a normalised run")
    run = rp.server_run()
    assert run["spec"]["normalize"] is True and run["spec"]["learningRate"] == 0.1
    assert page.locator("#learningRate").input_value() == "0.1"
    assert "x′ = (x − 79.35) / 6.78" in page.locator("#raw-line").text_content()
    rp.play()
    rp.wait_until(lambda: rp.server_run()["epoch"] > 300, timeout=60, message="300 epochs")
    text = page.locator("#equation").text_content()
    assert "y = 0.2030·x + 0.459" in text, text  # NumPy's least squares: 0.20300, 0.45931


def test_the_network_on_the_crickets_overfits_where_you_can_see_it(
        fitting: FittingPage, output_dir: Path) -> None:
    rp = fitting
    rp.open()
    page = rp.page
    rp.lesson("crickets-overfit")
    expect(page.locator(".network-panel")).to_be_visible()
    expect(page.locator("#surface")).to_be_hidden()
    assert page.locator("#w").text_content() == "–"
    rp.play()
    rp.wait_until(lambda: rp.probe("epoch") > 40_000, timeout=120, message="40,000 epochs")
    points = [p for p in rp.probe("losses()") if p["test"] is not None and p["epoch"] > 0]
    best = min(range(len(points)), key=lambda i: points[i]["test"])
    last = points[-1]
    assert last["test"] > 1.5 * points[best]["test"], points
    assert last["train"] < 0.5 * points[best]["train"], points
    page.screenshot(path=str(output_dir / "fitting-overfit.png"), full_page=True)
