"""The playground you can watch (issue 13): its pace, the progress chart, time travel and
forks, Regenerate, initZero and the raw-text seed — in the page, against the live server."""

from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest

from tests.browser.playground_page import Playground


def _play_for(playground: Playground, seconds: float) -> int:
    """Play; the epoch shown `seconds` after the first (its network compiled) was."""
    playground.play()
    playground.wait_until(lambda: playground.epoch() >= 1, message="the first epoch")
    time.sleep(seconds)
    return playground.epoch()


def _shown_rate(playground: Playground, seconds: float) -> float:
    """Epochs a second the page shows, measured over `seconds`."""
    first, started = playground.epoch(), time.monotonic()
    time.sleep(seconds)
    return (playground.epoch() - first) / (time.monotonic() - started)


def test_the_log_pace_shows_each_decade_in_about_a_second(playground: Playground) -> None:
    playground.open()
    assert playground.page.locator("#pace").input_value() == "log"
    after_1_5 = _play_for(playground, 1.5)
    time.sleep(4.5)
    after_6 = playground.epoch()
    # ~32 epochs after 1.5 s and ~3,800 after 6 s on an idle machine (a second per decade
    # to epoch ~430, then 1,000 a second); the classic shows ~90 and ~360, `max` 20,000+.
    assert 5 <= after_1_5 <= 150, after_1_5
    assert 300 <= after_6 <= 8000, after_6
    assert playground.probe("chartIsLog()") is True  # epochs span more than two decades
    assert playground.server_run()["spec"]["pace"] == "log"


def test_frame_pace_shows_one_epoch_per_frame(playground: Playground) -> None:
    playground.open("#pace=frame")
    _play_for(playground, 2.0)
    rate = _shown_rate(playground, 3.0)
    frames = playground.probe("frameRate")
    assert frames > 0
    assert abs(rate - frames) <= 0.1 * frames, (rate, frames)


def test_changing_the_pace_keeps_the_run(playground: Playground) -> None:
    playground.open("#pace=frame")
    _play_for(playground, 1.0)
    run_id = playground.run_id
    slow = _shown_rate(playground, 1.5)
    playground.page.select_option("#pace", "max")
    playground.wait_until(lambda: playground.server_run()["spec"]["pace"] == "max",
                          message="the pace to reach the run")
    fast = _shown_rate(playground, 1.5)
    assert playground.run_id == run_id
    assert fast > 5 * slow, (slow, fast)
    assert "pace=max" in playground.page.evaluate("location.hash")


def test_classification_shows_the_share_classified_right(playground: Playground) -> None:
    playground.open("#pace=max&seed=0.3&xSquared=true&ySquared=true")
    _play_for(playground, 2.0)
    playground.pause()
    run = playground.server_run()
    shown = playground.page.locator("#accuracy-test").text_content()
    assert shown == f"{100 * run['metrics']['testAccuracy']:.1f}%"
    assert playground.page.locator("#accuracy-test").is_visible()
    playground.page.select_option("#problem", "regression")
    playground.wait_until(lambda: playground.server_run()["spec"]["problem"] == "regression",
                          message="a regression run")
    assert not playground.page.locator("#accuracy-test").is_visible()


def _scrub_to(playground: Playground, epoch: int) -> None:
    """Move the time-travel slider (log-scaled, 0–1000) to `epoch` of the run."""
    last = playground.server_run()["epoch"]
    position = round(1000 * math.log(epoch + 1) / math.log(last + 1))
    playground.page.locator("#scrub").fill(str(position))
    playground.wait_until(
        lambda: playground.page.locator("#scrub-epoch").text_content().startswith(
            f"epoch {epoch:,} "), message=f"the slider at epoch {epoch}")


def test_scrubbing_back_shows_the_past_and_training_on_from_there_forks(
        playground: Playground) -> None:
    playground.open("#pace=max&seed=0.6")
    _play_for(playground, 2.0)
    end_map = playground.heat_pixels()
    _scrub_to(playground, 1)  # grabbing the slider pauses the run
    assert playground.run_state() == "paused"
    assert playground.epoch() == 1
    playground.wait_until(lambda: not np.array_equal(playground.heat_pixels(), end_map),
                          message="the output map of epoch 1")
    parent = playground.run_id
    playground.page.click("#fork")
    playground.wait_until(lambda: playground.run_id != parent, message="the fork")
    fork = playground.server_run()
    assert fork["epoch"] == 1 and fork["forkedFrom"] == {"run": parent, "epoch": 1}
    assert f"forkedFrom={parent}@1" in playground.page.evaluate("location.hash")
    assert playground.page.locator("#scrub-epoch").text_content() == "now"
    assert playground.run_exists(parent)  # kept: the fork's link names it
    # The link opens the same fork again (a new run from the same state).
    link = playground.page.evaluate("location.hash")
    playground.page.goto("about:blank")
    playground.open(link)
    again = playground.server_run()
    assert again["id"] != fork["id"] and again["forkedFrom"] == fork["forkedFrom"]


def test_init_zero_starts_from_an_all_zero_network(playground: Playground) -> None:
    posted: list[dict] = []
    playground.page.on("request", lambda r: posted.append(json.loads(r.post_data))
                       if r.method == "POST" and "/api/runs" in r.url and r.post_data else None)
    playground.open("#initZero=true")
    assert posted and posted[-1]["initZero"] is True
    weights = playground.probe("weights()")
    flat = [v for kernel, bias in weights for v in [*np.ravel(kernel), *bias]]
    assert flat and all(v == 0 for v in flat)


def test_a_seed_is_the_raw_text_of_the_link(playground: Playground) -> None:
    posted: list[dict] = []
    playground.page.on("request", lambda r: posted.append(json.loads(r.post_data))
                       if r.method == "POST" and "/api/runs" in r.url and r.post_data else None)
    playground.open("#seed=hello%20world&tutorial=intro&collectStats=false")
    assert posted[-1]["seed"] == "hello%20world"
    assert playground.server_run()["spec"]["seed"] == "hello%20world"
    assert "seed=hello%20world" in playground.page.evaluate("location.hash")


def test_regenerate_keeps_the_network_and_its_epoch(playground: Playground) -> None:
    playground.open("#pace=max&seed=0.25")
    _play_for(playground, 1.0)
    epoch = playground.pause()
    run_id = playground.run_id
    before = playground.server_run()["setup"]["train"]
    playground.page.click("#regenerate")
    playground.wait_until(lambda: "seed=0.25&" not in playground.page.evaluate("location.hash"),
                          message="a new seed in the link")
    run = playground.server_run()
    assert run["id"] == run_id and run["epoch"] == epoch
    assert run["setup"]["train"] != before
    assert f"seed={run['spec']['seed']}" in playground.page.evaluate("location.hash")


@pytest.mark.parametrize("control", ["dataset", "noise"])
def test_new_data_settings_draw_a_new_seed_and_a_new_network(playground: Playground,
                                                            control: str) -> None:
    playground.open("#seed=0.25")
    first = playground.run_id
    if control == "dataset":
        playground.page.click("#datasets .dataset[data-dataset=xor]")
    else:
        playground.page.locator("#noise").fill("25")
        playground.page.locator("#noise").dispatch_event("change")
    playground.wait_until(lambda: playground.run_id != first, message="a new run")
    playground.wait_until(lambda: playground.server_run()["spec"]["seed"] != "0.25",
                          message="a new seed")
