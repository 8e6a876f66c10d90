"""The playground page does what links and teachers rely on in the classic playground
(issue 13): hide keys and the classroom checklist, hideText, unknown keys kept, link values
used as they are, sliders that follow the thumb, the classic's four-column layout, a weight
card that never covers what it describes, and links that flow while the run trains."""

from __future__ import annotations

import itertools
import math
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.playground_page import Playground

# Each hidable control of the classic's checklist, and an element it hides.
HIDABLE = {
    "showTestData": "#showTestData",
    "discretize": "#discretize",
    "playButton": "#play-pause",
    "stepButton": "#step",
    "resetButton": "#reset",
    "learningRate": "#learningRate",
    "activation": "#activation",
    "regularization": "#regularization",
    "regularizationRate": "#regularizationRate",
    "problem": "#problem",
    "dataset": "#datasets",
    "percTrainData": "#percTrainData",
    "noise": "#noise",
    "batchSize": "#batchSize",
    "numHiddenLayers": "#add-layer",
}


def fragment(pg: Playground) -> str:
    return urlsplit(pg.page.url).fragment


def hash_parts(pg: Playground) -> list[str]:
    return fragment(pg).split("&")


def run_specs(pg: Playground) -> list[Any]:
    return [body for _, _, body in pg.api_requests("POST", r"/api/runs(\?.*)?")]


def box(pg: Playground, selector: str) -> dict[str, float]:
    """The union of the client rectangles of every element `selector` matches."""
    return pg.page.evaluate(
        """(selector) => {
            const rects = [...document.querySelectorAll(selector)]
                .map((e) => e.getBoundingClientRect());
            return {left: Math.min(...rects.map((r) => r.left)),
                    top: Math.min(...rects.map((r) => r.top)),
                    right: Math.max(...rects.map((r) => r.right)),
                    bottom: Math.max(...rects.map((r) => r.bottom))};
        }""",
        selector,
    )


# -- hide keys, the checklist, hideText, unknown keys ---------------------------------------


def test_hide_keys_hide_their_controls_and_stay_off_the_server(playground: Playground) -> None:
    pg = playground
    pg.open("#" + "&".join(f"{key}_hide=true" for key in HIDABLE) + "&seed=0.5")
    for key, selector in HIDABLE.items():
        expect(pg.page.locator(selector), key).to_be_hidden()
    # Hiding the ratio hides the test loss too, as in the classic.
    expect(pg.page.locator("#loss-test")).to_be_hidden()
    expect(pg.page.locator("#loss-train")).to_be_visible()
    expect(pg.page.locator(".node.output")).to_be_visible()
    # Kept in the link, as the classic writes them; never sent to the server.
    for key in HIDABLE:
        assert f"{key}_hide=true" in hash_parts(pg)
    (spec,) = run_specs(pg)
    assert not any(key.endswith("_hide") for key in spec)
    assert spec["seed"] == "0.5"


def test_without_hide_keys_every_control_shows(playground: Playground) -> None:
    pg = playground
    pg.open("#batchSize_hide=false")
    for key, selector in HIDABLE.items():
        expect(pg.page.locator(selector), key).to_be_visible()
    assert "batchSize_hide=false" in hash_parts(pg)


def test_shortcuts_of_hidden_buttons_do_nothing(playground: Playground) -> None:
    pg = playground
    pg.open("#playButton_hide=true&stepButton_hide=true&resetButton_hide=true")
    run_id = pg.run_id
    pg.page.mouse.click(5, 5)  # nothing focused that takes keys
    for key in ("Space", "ArrowRight", "r"):
        pg.page.keyboard.press(key)
    pg.page.wait_for_timeout(500)
    assert not pg.api_requests("PATCH", r"/api/runs/.*")
    assert not pg.api_requests("POST", r"/api/runs/.*/step")
    assert pg.run_id == run_id and len(run_specs(pg)) == 1
    assert pg.server_run()["state"] == "paused" and pg.epoch() == 0


def test_a_link_hiding_every_input_it_turns_on_trains_a_visible_one(
        playground: Playground) -> None:
    pg = playground
    pg.open("#x_hide=true&y_hide=true")
    (spec,) = run_specs(pg)
    assert spec["x"] is False and spec["y"] is False and spec["xSquared"] is True
    assert pg.page.locator(".node.feature").count() == 5
    assert pg.page.locator(".node.feature.active").get_attribute("data-feature") == "xSquared"


def test_a_feature_hidden_by_the_link_leaves_the_network(playground: Playground) -> None:
    pg = playground
    pg.open("#xTimesY=true&sinY=true&xTimesY_hide=true&ySquared_hide=true")
    features = pg.page.locator(".node.feature")
    keys = [features.nth(i).get_attribute("data-feature") for i in range(features.count())]
    assert keys == ["x", "y", "xSquared", "sinX", "sinY"]
    (spec,) = run_specs(pg)
    assert spec["xTimesY"] is False and spec["sinY"] is True  # the link's own value stays
    assert pg.server_run()["setup"]["features"] == ["x", "y", "sinY"]
    assert "xTimesY=true" in hash_parts(pg) and "xTimesY_hide=true" in hash_parts(pg)
    # Each remaining node draws its own feature: sin(x1) varies across, not down; x2 down.
    maps = pg.page.evaluate(
        """() => Object.fromEntries(['sinX', 'y'].map((key) => {
            const c = document.querySelector(`.node.feature[data-feature=${key}] canvas`);
            const {data, width, height} = c.getContext('2d').getImageData(0, 0, c.width, c.height);
            const at = (x, y) => data[4 * (y * width + x)];  // red channel
            const rows = [...Array(height).keys()].map((y) => at(Math.floor(width / 3), y));
            const cols = [...Array(width).keys()].map((x) => at(x, Math.floor(height / 3)));
            return [key, {rows: new Set(rows).size, cols: new Set(cols).size}];
        }))"""
    )
    assert maps["sinX"]["rows"] == 1 and maps["sinX"]["cols"] > 3, maps
    assert maps["y"]["cols"] == 1 and maps["y"]["rows"] > 3, maps


def test_the_classroom_checklist_rewrites_the_link(playground: Playground) -> None:
    pg = playground
    pg.open()
    page = pg.page
    boxes = page.locator(".hide-controls input[type=checkbox]")
    assert [boxes.nth(i).get_attribute("data-hide") for i in range(boxes.count())] == list(HIDABLE)
    for i in range(boxes.count()):
        expect(boxes.nth(i)).to_be_checked()  # checked = visible
    posts = len(run_specs(pg))

    page.locator(".hide-controls input[data-hide=batchSize]").uncheck()
    assert "batchSize_hide=true" in hash_parts(pg)
    expect(page.locator("#batchSize")).to_be_hidden()
    link = page.locator("a.hide-controls-link")
    assert urlsplit(link.get_attribute("href")).fragment == fragment(pg)
    page.locator(".hide-controls input[data-hide=playButton]").uncheck()
    assert {"batchSize_hide=true", "playButton_hide=true"} <= set(hash_parts(pg))
    assert urlsplit(link.get_attribute("href")).fragment == fragment(pg)

    page.locator(".hide-controls input[data-hide=batchSize]").check()
    assert "batchSize_hide=false" in hash_parts(pg)
    expect(page.locator("#batchSize")).to_be_visible()
    assert len(run_specs(pg)) == posts  # what shows is no new run

    # The saved link opens the reduced playground.
    saved = link.get_attribute("href")
    page.goto(saved)
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#play-pause")).to_be_hidden()
    expect(page.locator("#batchSize")).to_be_visible()
    expect(page.locator(".hide-controls input[data-hide=playButton]")).not_to_be_checked()


def test_hide_text_hides_the_header_and_the_text_below(playground: Playground) -> None:
    pg = playground
    pg.open("#hideText=true")
    for selector in (".banner", ".article"):
        expect(pg.page.locator(selector)).to_be_hidden()
    hints = pg.page.locator(".hint")
    assert hints.count() >= 2  # the network's and the time-travel slider's
    for i in range(hints.count()):
        expect(hints.nth(i)).to_be_hidden()
    expect(pg.page.locator("#heatmap")).to_be_visible()
    pg.open("#hideText=false")
    for selector in (".banner", ".article"):
        expect(pg.page.locator(selector)).to_be_visible()


def test_unknown_keys_stay_in_the_link_and_off_the_server(playground: Playground) -> None:
    pg = playground
    pg.open("#tutorial=x&foo=1&collectStats=true&bare&odd=%E0%A4%A&batchSize_hide=true")
    pg.page.select_option("#learningRate", "0.3")
    pg.wait_until(lambda: "learningRate=0.3" in hash_parts(pg), message="the new hash")
    parts = hash_parts(pg)
    for kept in ("tutorial=x", "foo=1", "collectStats=true", "bare", "odd=%E0%A4%A",
                 "batchSize_hide=true"):
        assert kept in parts, (kept, parts)
    # A change that makes a new run keeps them too.
    pg.page.click("#add-layer")
    pg.wait_until(lambda: "networkShape=4,2,2" in hash_parts(pg), message="the new shape")
    assert {"tutorial=x", "foo=1", "bare"} <= set(hash_parts(pg))
    for spec in run_specs(pg):
        assert not {"tutorial", "foo", "bare", "odd", "collectStats"} & set(spec)


# -- link values ---------------------------------------------------------------------------


def test_a_links_noise_and_ratio_are_posted_as_they_are(playground: Playground) -> None:
    pg = playground
    pg.open("#noise=12&percTrainData=33&seed=0.5")
    (spec,) = run_specs(pg)
    assert spec["noise"] == 12 and spec["percTrainData"] == 33
    expect(pg.page.locator("#noise-value")).to_have_text("12")
    expect(pg.page.locator("#percTrainData-value")).to_have_text("33%")
    run = pg.server_run()
    assert len(run["setup"]["train"]) == math.floor(500 * 33 / 100)
    assert {"noise=12", "percTrainData=33"} <= set(hash_parts(pg))


@pytest.mark.parametrize(("link", "noise", "slider_max"),
                         [("70", 70, "70"), ("80", 80, "80"), ("95", 50, "50")])
def test_a_links_noise_above_the_slider_widens_it(playground: Playground, link: str,
                                                  noise: int, slider_max: str) -> None:
    pg = playground
    pg.open(f"#noise={link}")
    (spec,) = run_specs(pg)
    assert spec["noise"] == noise  # up to 80 as it is; past it the classic's 50
    expect(pg.page.locator("#noise")).to_have_attribute("max", slider_max)
    expect(pg.page.locator("#noise")).to_have_value(str(noise))
    assert pg.server_run()["spec"]["noise"] == noise


# -- sliders -------------------------------------------------------------------------------


def test_a_slider_drag_changes_the_run_before_release(playground: Playground) -> None:
    pg = playground
    pg.open()
    page = pg.page
    posts = len(run_specs(pg))
    slider = page.locator("#noise").bounding_box()
    assert slider
    y = slider["y"] + slider["height"] / 2
    page.mouse.move(slider["x"] + 8, y)
    page.mouse.down()
    started = page.evaluate("performance.now()")
    for step in range(1, 13):
        page.mouse.move(slider["x"] + 8 + step * (slider["width"] * 0.6) / 12, y)
        page.wait_for_timeout(60)
    during = run_specs(pg)[posts:]
    elapsed = page.evaluate("performance.now()") - started
    assert during, "nothing was sent while the thumb moved"
    assert all(spec["noise"] > 0 for spec in during)
    assert len(during) <= elapsed / 150 + 2, f"{len(during)} runs in {elapsed:.0f} ms: unthrottled"
    page.mouse.up()
    final = int(page.locator("#noise").input_value())
    pg.wait_until(lambda: run_specs(pg)[-1]["noise"] == final, message="the released value")
    pg.wait_until(lambda: pg.server_run()["spec"]["noise"] == final, message="the final run")
    expect(page.locator("#noise-value")).to_have_text(str(final))


# -- layout --------------------------------------------------------------------------------


def test_four_columns_side_by_side_at_1000_by_800(playground: Playground) -> None:
    pg = playground
    pg.page.set_viewport_size({"width": 1000, "height": 800})
    pg.open()
    columns = [box(pg, ".data-column"), box(pg, ".node.feature"),
               box(pg, ".node.neuron:not(.output)"), box(pg, ".output-column")]
    for left, right in itertools.pairwise(columns):
        assert left["right"] <= right["left"], columns
        # Side by side: each column overlaps the next one's height.
        assert left["top"] < right["bottom"] and right["top"] < left["bottom"], columns
    heat = box(pg, "#heatmap canvas.heat")
    assert heat["bottom"] <= 800 and heat["right"] <= 1000, heat
    assert pg.page.evaluate("document.documentElement.scrollWidth") <= 1000


def test_nothing_is_clipped_at_600_pixels(playground: Playground) -> None:
    pg = playground
    pg.page.set_viewport_size({"width": 600, "height": 800})
    pg.open("#networkShape=8,8,8,8,8,8")
    page = pg.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 600
    column = page.evaluate(
        "(() => { const c = document.querySelector('.network-column');"
        " return [c.scrollWidth, c.clientWidth]; })()")
    assert column[0] <= column[1], f"the network is cut: {column}"
    for selector in (".node", ".column-title", ".layer-count", "#heatmap", ".top-bar .control",
                     "#play-pause", ".slider"):
        shown = box(pg, selector)
        assert shown["left"] >= 0 and shown["right"] <= 600, (selector, shown)
    # No two nodes overlap.
    overlaps = page.evaluate(
        """() => {
            const r = [...document.querySelectorAll('.node')].map((n) => n.getBoundingClientRect());
            let count = 0;
            for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
                if (r[i].left < r[j].right && r[j].left < r[i].right &&
                    r[i].top < r[j].bottom && r[j].top < r[i].bottom) count++;
            }
            return count;
        }"""
    )
    assert overlaps == 0


CARD_CHECK = """([kind, index]) => {
    // What the card describes, in client coordinates: the link's points and its neurons,
    // or the bias marker and its neuron. Returns how many of them the card covers.
    const card = document.querySelector('.hovercard').getBoundingClientRect();
    const inside = (x, y) => x >= card.left && x <= card.right && y >= card.top && y <= card.bottom;
    const overlaps = (r) => r.left < card.right && card.left < r.right && r.top < card.bottom
        && card.top < r.bottom;
    const hit = document.querySelectorAll(kind === 'weight' ? '.link-hit' : '.bias-hit')[index];
    const {layer, unit, input} = hit.dataset;
    const neuronAt = (l, u) => document.querySelector(
        `.node.neuron[data-layer="${l}"][data-unit="${u}"]`);
    const neuron = neuronAt(layer, unit);
    let covered = overlaps(neuron.getBoundingClientRect()) ? 1 : 0;
    if (kind === 'weight') {
        const ctm = hit.getScreenCTM();
        const length = hit.getTotalLength();
        for (let i = 0; i <= 100; i++) {
            const p = hit.getPointAtLength(length * i / 100).matrixTransform(ctm);
            if (inside(p.x, p.y)) covered++;
        }
        const source = Number(layer) === 0
            ? document.querySelectorAll('.node.feature.active')[Number(input)]
            : neuronAt(Number(layer) - 1, input);
        if (overlaps(source.getBoundingClientRect())) covered++;
    } else {
        const marker = hit.previousElementSibling.getBoundingClientRect();
        if (overlaps(marker)) covered++;
    }
    return {covered, visible: card.width > 0};
}"""

POINT_ON = """([kind, index]) => {
    // A point of the hit area that the pointer reaches (no other link lies on top there).
    const hit = document.querySelectorAll(kind === 'weight' ? '.link-hit' : '.bias-hit')[index];
    const ctm = hit.getScreenCTM();
    const spots = kind === 'weight'
        ? [0.5, 0.35, 0.65, 0.2, 0.8].map((t) => hit.getPointAtLength(hit.getTotalLength() * t))
        : [(({x, y, width, height}) => new DOMPoint(x + width / 2, y + height / 2))(hit.getBBox())];
    for (const spot of spots) {
        const p = spot.matrixTransform(ctm);
        if (document.elementFromPoint(p.x, p.y) === hit) return [p.x, p.y];
    }
    return null;
}"""


def test_the_weight_card_never_covers_what_it_describes(playground: Playground) -> None:
    pg = playground
    pg.open("#networkShape=4,3&xSquared=true&sinY=true")
    page = pg.page
    checked = 0
    for kind, count in (("weight", page.locator(".link-hit").count()),
                        ("bias", page.locator(".bias-hit").count())):
        for index in range(count):
            point = page.evaluate(POINT_ON, [kind, index])
            if point is None:
                continue
            page.mouse.move(0, 0)
            page.mouse.move(*point)
            expect(page.locator(".hovercard")).to_be_visible()
            result = page.evaluate(CARD_CHECK, [kind, index])
            assert result["covered"] == 0, (kind, index, result)
            checked += 1
    assert checked >= 20, checked
    # Editing (the card grows an input) keeps it clear too.
    point = page.evaluate(POINT_ON, ["weight", 0])
    page.mouse.click(*point)
    expect(page.locator(".hovercard.editing")).to_be_visible()
    assert page.evaluate(CARD_CHECK, ["weight", 0])["covered"] == 0
    page.keyboard.press("Escape")


# -- moving links ----------------------------------------------------------------------------


FLOW = """() => {
    const link = document.querySelector('path.link');
    return {
        dash: getComputedStyle(link).strokeDasharray,
        offset: parseFloat(getComputedStyle(link).strokeDashoffset),
        running: document.getAnimations().filter((a) => a.animationName === 'link-flow'
            && a.playState === 'running').length,
    };
}"""


def test_links_flow_while_training_and_stop_when_paused(playground: Playground) -> None:
    pg = playground
    pg.open()
    page = pg.page
    paused = page.evaluate(FLOW)
    assert paused["running"] == 0 and paused["dash"] not in ("none", "")
    page.wait_for_timeout(200)
    assert page.evaluate(FLOW)["offset"] == paused["offset"]

    pg.play()
    links = page.locator("path.link").count()
    first = page.evaluate(FLOW)
    assert first["running"] == links, first
    page.wait_for_timeout(130)
    assert page.evaluate(FLOW)["offset"] != first["offset"]

    pg.pause()
    still = page.evaluate(FLOW)
    assert still["running"] == 0
    page.wait_for_timeout(200)
    assert page.evaluate(FLOW)["offset"] == still["offset"]
