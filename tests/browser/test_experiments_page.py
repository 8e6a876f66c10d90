"""The experiments page (issue 17) in headless Chromium: a 2 × 3 sweep compared live."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Page

from tests.browser.page_driver import PageDriver, http_json
from tests.browser.playground_page import Playground

SWEEP = {"base": {"seed": "0.25", "dataset": "xor", "xTimesY": True},
         "vary": {"activation": ["tanh", "relu"], "learningRate": [0.01, 0.1, 1]}}


class ExperimentsPage(PageDriver):
    wait_timeout = 60.0

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.base_url}/experiments.html{hash_}")
        self.page.wait_for_selector("body[data-ready=true]", timeout=60_000)

    def map_hashes(self) -> dict[str, str]:
        """Each run's drawn map, as a digest of its heat canvas's pixels."""
        pixels = self.page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('.map-cell')].map((cell) => {
                const c = cell.querySelector('canvas.heat');
                const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                return [cell.dataset.run, Array.from(data).join(',')];
            }))""")
        return {run: hashlib.sha1(data.encode()).hexdigest() for run, data in pixels.items()}

    def column(self, key: str) -> list[str]:
        return self.page.eval_on_selector_all(
            f"#runs-table tbody td.col-{key}",
            "cells => cells.map(c => c.dataset.value ?? c.textContent)")


@pytest.fixture
def experiments(page: Page, live_server: str) -> Iterator[ExperimentsPage]:
    driver = ExperimentsPage(page, live_server)
    yield driver
    assert driver.errors == [], "the page logged errors:\n" + "\n".join(driver.errors)


def test_a_two_by_three_sweep_trains_live_sorts_and_opens_a_run(
        experiments: ExperimentsPage, live_server: str, page: Page) -> None:
    # Paused: the maps first show the untrained networks, then "Resume all" trains them.
    sweep = http_json(f"{live_server}/api/sweeps?state=paused", "POST", SWEEP)
    ids = [run["id"] for run in sweep["runs"]]
    try:
        experiments.open(f"#sweep={sweep['id']}")
        grid = page.locator("#maps")
        assert (grid.get_attribute("data-rows"), grid.get_attribute("data-columns")) == ("2", "3")
        cells = page.locator(".map-cell")
        assert cells.evaluate_all("cells => cells.map(c => c.dataset.run)") == ids
        assert page.locator(".row-header").all_text_contents() == [
            "activation = tanh", "activation = relu"]
        assert page.locator(".column-header").all_text_contents() == [
            "learningRate = 0.01", "learningRate = 0.1", "learningRate = 1"]

        # Six maps, each drawn from its own run's model, change as the runs train.
        def drawn() -> dict[str, str] | None:
            draws = page.evaluate("window.__experiments.draws")
            return experiments.map_hashes() if all(draws.get(i, 0) > 0 for i in ids) else None

        first = experiments.wait_until(drawn, message="six untrained maps drawn")
        assert {r["state"] for r in http_json(f"{live_server}/api/sweeps/{sweep['id']}")[
            "runs"]} == {"paused"}
        page.click("#resume-all")
        changed: set[str] = set()

        def all_changed() -> bool:
            now = experiments.map_hashes()
            changed.update(run for run in ids if now[run] != first[run])
            return len(changed) == 6

        experiments.wait_until(all_changed, message="every map changing as its run trains")
        assert len(set(experiments.map_hashes().values())) == 6  # six different maps

        # The table, sorted by test loss, then by accuracy (best first).
        experiments.wait_until(lambda: all(v not in ("–", "") for v in experiments.column(
            "testLoss")), message="every run's test loss in the table")
        assert page.locator("th[aria-sort=ascending] button").get_attribute(
            "data-sort") == "testLoss"  # the best run first, at first
        losses = [float(v) for v in experiments.column("testLoss")]
        assert losses == sorted(losses)
        page.click("button.sort[data-sort=testLoss]")  # again: the worst first
        losses = [float(v) for v in experiments.column("testLoss")]
        assert losses == sorted(losses, reverse=True)
        assert page.locator("th[aria-sort=descending] button").get_attribute(
            "data-sort") == "testLoss"
        experiments.wait_until(lambda: all(v != "–" for v in experiments.column("accuracy")),
                               message="accuracies")
        page.click("button.sort[data-sort=accuracy]")  # a new column: the best first
        accuracies = [float(v) for v in experiments.column("accuracy")]
        assert accuracies == sorted(accuracies, reverse=True)
        page.click("button.sort[data-sort=epoch]")
        epochs = [float(v) for v in experiments.column("epoch")]
        assert epochs == sorted(epochs)

        # The overlaid loss chart has one colour per run.
        colours = page.locator("#runs-table .swatch").evaluate_all(
            "s => s.map(e => getComputedStyle(e).backgroundColor)")
        assert len(set(colours)) == 6

        # Opened again later, the page draws every curve from the first epochs on.
        page.reload()
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        curves = page.evaluate("window.__experiments.curves()")
        assert set(curves) == set(ids)
        # (The runs train at the page's default `log` pace: ten epochs in their first second.)
        assert all(first <= 1 and last >= 5 and count > 3
                   for first, last, count in curves.values()), curves

        # A click on a run opens it in the playground: the same run, not a new one.
        target = experiments.column("label")[0]
        row = page.locator("#runs-table tbody tr").first
        run_id = row.get_attribute("data-run")
        assert target == _labels(sweep)[run_id]
        row.locator("a").click()
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        playground = Playground(page, live_server)
        assert playground.run_id == run_id
        settings = next(r["settings"] for r in sweep["runs"] if r["id"] == run_id)
        assert page.locator("#activation").input_value() == settings["activation"]
        assert float(page.locator("#learningRate").input_value()) == settings["learningRate"]
        epoch = playground.epoch()
        playground.wait_until(lambda: playground.epoch() > epoch, message="the run training on")
        # Leaving the run's page does not delete it: it is the sweep's.
        page.goto(f"{live_server}/experiments.html")
        assert http_json(f"{live_server}/api/runs/{run_id}")["id"] == run_id
    finally:
        http_json(f"{live_server}/api/sweeps/{sweep['id']}", "DELETE")


def _labels(sweep: dict[str, Any]) -> dict[str, str]:
    return {run["id"]: " · ".join(f"{k} = {v}" for k, v in run["settings"].items())
            for run in sweep["runs"]}


def test_the_playground_link_carries_its_configuration_to_a_new_sweep(
        experiments: ExperimentsPage, live_server: str, page: Page) -> None:
    playground = Playground(page, live_server)
    playground.open("#dataset=spiral&activation=relu&networkShape=5,3&seed=0.7")
    page.click("#experiments-link")
    page.wait_for_selector("body[data-ready=true]", timeout=60_000)
    base = json.loads(page.locator("#base").input_value())
    assert (base["dataset"], base["activation"], base["networkShape"], base["seed"]) == (
        "spiral", "relu", [5, 3], "0.7")
    assert page.locator("#vary-field-1").input_value() == "learningRate"
    page.fill("#vary-values-1", "0.01, 0.1, 100")
    page.click("#create-sweep")
    error = page.locator("#form-error")
    experiments.wait_until(lambda: "learningRate" in (error.text_content() or ""),
                           message="the field named")
    assert "100" in error.text_content()
    experiments.errors.clear()  # Chromium logs the 400 response as a console error
    page.fill("#vary-values-1", "0.01, 0.1")
    page.click("#create-sweep")
    experiments.wait_until(lambda: page.evaluate("window.__experiments.sweepId"),
                           message="the sweep shown")
    sweep_id = page.evaluate("window.__experiments.sweepId")
    try:
        sweep = http_json(f"{live_server}/api/sweeps/{quote(sweep_id)}")
        assert [r["spec"]["learningRate"] for r in sweep["runs"]] == [0.01, 0.1]
        assert all(r["spec"]["dataset"] == "spiral" and r["spec"]["seed"] == "0.7"
                   for r in sweep["runs"])
        assert page.locator(".map-cell").count() == 2
    finally:
        http_json(f"{live_server}/api/sweeps/{quote(sweep_id)}", "DELETE")


def test_a_fitting_sweeps_run_opens_in_the_fitting_page(
        experiments: ExperimentsPage, live_server: str, page: Page) -> None:
    sweep = http_json(f"{live_server}/api/sweeps", "POST", {
        "base": {"problem": "fitting", "dataset": "mystery", "model": "network"},
        "vary": {"learningRate": [0.01, 0.1]}})
    try:
        experiments.open(f"#sweep={sweep['id']}")
        run = sweep["runs"][1]
        link = page.locator(f".map-cell[data-run='{run['id']}'] a.map-link")
        assert link.get_attribute("href") == f"/fitting.html?run={run['id']}"
        link.click()
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        assert page.evaluate("window.__fitting.runId") == run["id"]
        assert float(page.locator("#learningRate").input_value()) == 0.1
        assert page.locator("#model").input_value() == "network"
        page.goto(f"{live_server}/experiments.html")  # leaving it does not delete it
        assert http_json(f"{live_server}/api/runs/{run['id']}")["id"] == run["id"]
    finally:
        http_json(f"{live_server}/api/sweeps/{sweep['id']}", "DELETE")
