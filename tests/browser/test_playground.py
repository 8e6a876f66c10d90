"""The playground page (issue 3) in headless Chromium, against the real server and real training."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.browser.page_driver import (
    commonest_colour,
    css_value,
    http_json,
    png_pixels,
    screen_region,
)
from tests.browser.playground_page import Playground

# The example link of the classic playground (spec/playground.md).
EXAMPLE_HASH = (
    "#activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&learningRate=0.03"
    "&regularizationRate=0&noise=0&networkShape=4,2&seed=0.59&showTestData=false"
    "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false"
    "&ySquared=false&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false"
    "&problem=classification&initZero=false&hideText=false"
)
NON_DEFAULT_HASH = (
    "#activation=relu&batchSize=5&dataset=spiral&learningRate=0.01&regularization=L2"
    "&regularizationRate=0.001&noise=20&networkShape=6,6,3&seed=0.1234&percTrainData=70"
    "&xSquared=true&showTestData=true&discretize=true"
)
FEATURE_KEYS = ["x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"]
ORANGE, GREY, BLUE = np.array([245, 147, 34]), np.array([232, 234, 235]), np.array([8, 119, 189])


def hash_values(url: str) -> dict[str, str]:
    fragment = urlsplit(url).fragment
    return dict(part.split("=", 1) for part in fragment.split("&") if "=" in part)


def catalog(pg: Playground) -> dict[str, Any]:
    """The catalogue's playground section."""
    return http_json(f"{pg.base_url}/api/catalog")["playground"]


def run_posts(pg: Playground) -> list[tuple[str, str, Any]]:
    return pg.api_requests("POST", r"/api/runs(\?.*)?")


def measured(spec: dict[str, Any]) -> dict[str, Any]:
    """A posted spec without the screen's frame rate (the page measures it, for the `frame`
    pace; not a catalogue default): checked, then left out."""
    rest = dict(spec)
    assert 1 <= rest.pop("frameRate") <= 240
    return rest


def shade_value(rgb: np.ndarray) -> float:
    """The value a heat-map colour stands for (the scale is orange -1, grey 0, blue +1)."""
    candidates = np.linspace(-1, 1, 401)
    colours = np.array([
        GREY + (BLUE - GREY) * v if v >= 0 else GREY + (ORANGE - GREY) * -v for v in candidates
    ])
    return float(candidates[np.argmin(np.abs(colours - rgb).sum(axis=1))])


def forward(weights: list[np.ndarray], x: np.ndarray, hidden: str, output: str) -> np.ndarray:
    """The network's output computed in numpy from the server's weights."""
    act = {"tanh": np.tanh, "relu": lambda v: np.maximum(v, 0), "linear": lambda v: v}
    h = x.astype(np.float64)
    layers = len(weights) // 2
    for i in range(layers):
        h = h @ weights[2 * i].astype(np.float64) + weights[2 * i + 1].astype(np.float64)
        h = act[output if i == layers - 1 else hidden](h)
    return h[:, 0]


def test_default_configuration_matches_the_spec(playground: Playground) -> None:
    pg = playground
    cat = catalog(pg)
    pg.open()
    page = pg.page

    # One run, created from the catalogue's defaults alone (no page-only keys, no seed).
    (post,) = run_posts(pg)
    assert measured(post[2]) == cat["defaults"]
    run = pg.server_run()
    assert run["state"] == "paused"
    assert {k: run["spec"][k] for k in cat["defaults"]} == cat["defaults"]

    # The hash holds the whole configuration, with the server's seed.
    values = hash_values(page.url)
    assert values["seed"] == run["spec"]["seed"]
    expected = {
        "activation": "tanh", "regularization": "none", "batchSize": "10", "dataset": "circle",
        "regDataset": "reg-plane", "learningRate": "0.03", "regularizationRate": "0",
        "noise": "0", "networkShape": "4,2", "percTrainData": "50", "problem": "classification",
        "x": "true", "y": "true", "xSquared": "false", "ySquared": "false", "xTimesY": "false",
        "sinX": "false", "sinY": "false", "showTestData": "false", "discretize": "false",
    }
    assert {k: values[k] for k in expected} == expected

    # The controls, built from the catalogue, show the defaults.
    options = page.locator("#learningRate option").all_text_contents()
    assert [float(o) for o in options] == cat["learningRates"]
    for control, value in [("#learningRate", "0.03"), ("#activation", "tanh"),
                           ("#regularization", "none"), ("#regularizationRate", "0"),
                           ("#problem", "classification"), ("#percTrainData", "50"),
                           ("#noise", "0"), ("#batchSize", "10")]:
        expect(page.locator(control)).to_have_value(value)
    expect(page.locator("#percTrainData-value")).to_have_text("50%")
    expect(page.locator("#batchSize-value")).to_have_text("10")
    assert page.locator("#datasets .dataset").count() == len(cat["datasets"]["classification"])
    expect(page.locator("#datasets .dataset.selected")).to_have_attribute("data-dataset", "circle")
    expect(page.locator("#showTestData")).not_to_be_checked()
    expect(page.locator("#discretize")).not_to_be_checked()

    # The network: 7 features (x1, x2 on), hidden layers 4 and 2, one output, 18 links.
    assert page.locator(".node.feature").count() == len(FEATURE_KEYS)
    active = page.locator(".node.feature.active")
    assert [active.nth(i).get_attribute("data-feature") for i in range(active.count())] == [
        "x", "y"]
    assert page.locator(".node.neuron[data-layer='0']").count() == 4
    assert page.locator(".node.neuron[data-layer='1']").count() == 2
    assert page.locator(".node.output").count() == 1
    assert page.locator("path.link").count() == 2 * 4 + 4 * 2 + 2 * 1
    expect(page.locator("#layer-count")).to_have_text("2 hidden layers")

    # Numbers are the server's: epoch and both losses (three decimals). A paused run computes
    # its untrained network's losses just after it is created: on a busy machine, after the
    # page got ready.
    run = pg.wait_until(lambda: (r := pg.server_run())["metrics"]["trainLoss"] is not None and r,
                        message="the untrained network's losses")
    assert pg.epoch() == run["epoch"]
    expect(page.locator("#epoch")).to_have_text(re.compile(r"^\d{3},\d{3}$"))
    expect(page.locator("#loss-train")).to_have_text(f"{run['metrics']['trainLoss']:.3f}")
    expect(page.locator("#loss-test")).to_have_text(f"{run['metrics']['testLoss']:.3f}")
    expect(page.locator("#play-pause")).not_to_have_class(re.compile("playing"))

    # SwiftShader WebGL is software: the page must have picked WASM (the CPU is its fallback
    # for a browser without WebAssembly, which this one is not).
    assert pg.probe("backend") == "wasm"
    expect(page.locator("#backend")).to_contain_text("SwiftShader")
    expect(page.locator("#download")).to_have_attribute(
        "href", f"/api/runs/{pg.run_id}/export.zip")


def test_play_advances_the_epoch_and_the_loss_falls(playground: Playground) -> None:
    pg = playground
    # x² and y² make the circle separable, so no random start of the weights gets stuck above
    # the threshold (the default x, y network lands in a poor minimum about once in 60 starts).
    pg.open("#xSquared=true&ySquared=true")
    start = pg.epoch()
    pg.play()
    expect(pg.page.locator("#play-pause")).to_have_class(re.compile("playing"))
    # The first run of this shape compiles its trainer first (seconds on a busy machine).
    pg.wait_until(lambda: pg.epoch() > start, timeout=30, message="the epoch to advance")
    pg.wait_until(lambda: pg.train_loss() < 0.1, timeout=20, message="training loss < 0.1")
    pg.pause()


def test_heat_map_changes_while_training(playground: Playground) -> None:
    pg = playground
    pg.open("#dataset=spiral&learningRate=0.01&networkShape=6,4")
    pg.page.mouse.move(0, 0)
    pg.play()
    frames = pg.probe("frames")
    pg.wait_until(lambda: pg.probe("frames") > frames + 2 and pg.epoch() > 0, message="frames")
    before, epoch_before = pg.heat_pixels(), pg.epoch()
    frames = pg.probe("frames")
    pg.wait_until(lambda: pg.epoch() > epoch_before + 200 and pg.probe("frames") > frames + 2,
                  message="more training and frames")
    after = pg.heat_pixels()
    pg.pause()
    changed = np.any(before != after, axis=2).mean()
    assert changed > 0.01, f"only {changed:.2%} of the heat map changed"


def test_pause_stops_the_epoch_counter(playground: Playground, app: Any) -> None:
    pg = playground
    pg.open()
    start = pg.epoch()
    pg.play()
    pg.wait_until(lambda: pg.epoch() > start + 100, message="training")
    final = pg.pause()
    expect(pg.page.locator("#play-pause")).not_to_have_class(re.compile("playing"))
    assert pg.server_run()["epoch"] == final
    assert pg.server_run()["state"] == "paused"
    # Nothing moves after the pause: it is the run's last event (every chunk of training
    # publishes a snapshot), and a step is the very next one, a single epoch on, which the
    # page's counter shows.
    events = app.extensions["runs"].get(pg.run_id).events
    status = events.since(0)[-1]
    assert status.kind == "status" and status.data == {"state": "paused", "epoch": final}
    pg.page.click("#step")
    pg.wait_until(lambda: pg.epoch() == final + 1, message=f"the page to show epoch {final + 1}")
    assert [(e.id, e.kind, e.data["epoch"]) for e in events.since(status.id)] == [
        (status.id + 1, "snapshot", final + 1)]
    assert pg.server_run()["epoch"] == final + 1


def test_step_adds_exactly_one_epoch(playground: Playground) -> None:
    pg = playground
    pg.open()
    start = pg.server_run()["epoch"]
    assert pg.epoch() == start
    for n in (1, 2):
        pg.page.click("#step")
        pg.wait_until(lambda n=n: pg.epoch() == start + n, message=f"epoch {start + n}")
        assert pg.server_run()["epoch"] == start + n
    steps = pg.api_requests("POST", rf"/api/runs/{re.escape(pg.run_id)}/step")
    assert len(steps) == 2
    assert pg.server_run()["state"] == "paused"


def test_adding_a_layer_starts_a_new_run(playground: Playground) -> None:
    pg = playground
    pg.open()
    old_id = pg.run_id
    old_seed = pg.server_run()["spec"]["seed"]
    assert len(run_posts(pg)) == 1
    pg.page.click("#add-layer")
    new_id = pg.wait_until(lambda: pg.run_id != old_id and pg.run_id, message="a new run")

    posts = run_posts(pg)
    assert len(posts) == 2
    assert posts[1][2]["networkShape"] == [4, 2, 2]
    assert posts[1][2]["seed"] == old_seed  # same data, fresh network
    assert pg.server_run(new_id)["spec"]["networkShape"] == [4, 2, 2]
    expect(pg.page.locator("#layer-count")).to_have_text("3 hidden layers")
    assert pg.page.locator(".node.neuron[data-layer='2']").count() == 2
    assert hash_values(pg.page.url)["networkShape"] == "4,2,2"
    # The old run is deleted, not left training.
    pg.wait_until(lambda: pg.api_requests("DELETE", rf"/api/runs/{re.escape(old_id)}"),
                  message="the old run's DELETE")
    pg.wait_until(lambda: not pg.run_exists(old_id), message="the old run to go")

    # Back: the previous configuration comes back, as another fresh run.
    pg.page.go_back()
    pg.wait_until(lambda: pg.run_id not in (old_id, new_id), message="a run for the old shape")
    expect(pg.page.locator("#layer-count")).to_have_text("2 hidden layers")
    assert pg.server_run()["spec"]["networkShape"] == [4, 2]


def test_learning_rate_change_is_a_patch(playground: Playground) -> None:
    pg = playground
    pg.open()
    run_id = pg.run_id
    pg.play()
    pg.wait_until(lambda: pg.epoch() > 50, message="training")
    before = pg.server_run()["epoch"]
    pg.page.select_option("#learningRate", "0.3")
    patch_url = rf"/api/runs/{re.escape(run_id)}"
    pg.wait_until(lambda: any(r[2] == {"learningRate": 0.3}
                              for r in pg.api_requests("PATCH", patch_url)),
                  message="the PATCH")
    assert len(run_posts(pg)) == 1
    assert pg.run_id == run_id
    pg.wait_until(lambda: pg.server_run()["metrics"]["learningRate"] == 0.3,
                  message="the new rate")
    # The same network trains on at the new rate: the epoch carries on past where it was.
    pg.wait_until(lambda: pg.server_run()["epoch"] > before, message="training to go on")
    assert pg.server_run()["state"] == "running" and pg.run_id == run_id
    assert hash_values(pg.page.url)["learningRate"] == "0.3"
    pg.pause()


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (EXAMPLE_HASH, {}),
        (NON_DEFAULT_HASH, {
            "activation": "relu", "batchSize": 5, "dataset": "spiral", "learningRate": 0.01,
            "regularization": "L2", "regularizationRate": 0.001, "noise": 20,
            "networkShape": [6, 6, 3], "seed": "0.1234", "percTrainData": 70, "xSquared": True,
        }),
    ],
    ids=["example", "non-default"],
)
def test_a_playground_link_reproduces_its_configuration(
    playground: Playground, link: str, expected: dict[str, Any]
) -> None:
    pg = playground
    cat = catalog(pg)
    pg.open(link)
    page = pg.page
    spec = {**cat["defaults"], "seed": "0.59", **expected}

    (post,) = run_posts(pg)
    assert measured(post[2]) == spec  # page-only keys (cosX, hideText, …) are not sent
    run = pg.server_run()
    assert measured(run["spec"]) == spec
    # The hash keeps every key of the link, with the same values.
    link_values = hash_values(f"http://x/{link}")
    shown = hash_values(page.url)
    assert {k: shown[k] for k in link_values} == link_values

    for key in ("activation", "regularization", "problem"):
        expect(page.locator(f"#{key}")).to_have_value(spec[key])
    for key in ("noise", "percTrainData", "batchSize"):
        expect(page.locator(f"#{key}")).to_have_value(str(spec[key]))
    assert float(page.locator("#learningRate").input_value()) == spec["learningRate"]
    assert float(page.locator("#regularizationRate").input_value()) == spec["regularizationRate"]
    expect(page.locator("#datasets .dataset.selected")).to_have_attribute(
        "data-dataset", spec["dataset"])
    active = page.locator(".node.feature.active")
    assert [active.nth(i).get_attribute("data-feature") for i in range(active.count())] == [
        k for k in FEATURE_KEYS if spec[k]]
    for layer, units in enumerate(spec["networkShape"]):
        assert page.locator(f".node.neuron[data-layer='{layer}']").count() == units
    assert len(run["setup"]["train"]) == 500 * spec["percTrainData"] // 100

    show_test = link_values.get("showTestData") == "true"
    discretize = link_values.get("discretize") == "true"
    expect(page.locator("#showTestData")).to_be_checked(checked=show_test)
    expect(page.locator("#discretize")).to_be_checked(checked=discretize)
    if discretize:
        # Every pixel of the large map is drawn, in one of the two end colours.
        pg.wait_until(lambda: pg.probe("frames") > 0, message="a frame")
        pixels = pg.heat_pixels()
        assert (pixels[:, :, 3] == 160).all()  # the map's alpha: every pixel drawn
        colours = np.unique(pixels[:, :, :3].reshape(-1, 3), axis=0)
        assert 1 <= len(colours) <= 2
        assert all(abs(shade_value(rgb)) == 1 for rgb in colours), colours


def test_heat_map_agrees_with_the_server(playground: Playground) -> None:
    pg = playground
    pg.open("#dataset=xor&networkShape=4,4")
    pg.page.mouse.move(0, 0)  # no hovered node: the large map shows the output
    pg.play()
    pg.wait_until(lambda: pg.train_loss() < 0.15, timeout=30, message="xor to be learnt")
    pg.pause()
    pg.wait_until(lambda: pg.probe("frames") > 0, message="a frame")

    weights = pg.server_weights()
    density = 100
    low, high = catalog(pg)["inputRange"]
    axis = np.linspace(low, high, density)
    x1, x2 = np.meshgrid(axis, axis[::-1])  # row 0 is the highest x2, as the page draws it
    grid = np.stack([x1.ravel(), x2.ravel()], axis=1)
    prediction = forward(weights, grid, "tanh", "tanh").reshape(density, density)

    # Ten grid points: five of each class, away from the decision boundary.
    picks = []
    for sign in (1, -1):
        rows, cols = np.nonzero(sign * prediction > 0.3)
        assert len(rows) >= 5, "the network should have learnt both classes"
        for i in np.linspace(0, len(rows) - 1, 5).astype(int):
            picks.append((rows[i], cols[i]))
    pixels = pg.heat_pixels()
    for row, col in picks:
        rgb = pixels[row, col, :3].astype(float)
        value = prediction[row, col]
        shown_class = 1 if rgb[2] > rgb[0] else -1
        assert shown_class == np.sign(value), f"at {grid[row * density + col]}: {value:.3f}"
        # The shade matches too (30 shades: one step is 2/30).
        assert abs(shade_value(rgb) - value) < 0.12, (rgb, value)


def test_an_edited_weight_reaches_the_run(playground: Playground) -> None:
    pg = playground
    pg.open()
    page = pg.page
    run_id = pg.run_id
    card = page.locator(".hovercard")

    link = page.locator(".link-hit[data-layer='0'][data-input='0'][data-unit='0']")
    link.hover(force=True)
    expect(card).to_be_visible()
    expect(card).to_contain_text("Weight is")
    link.click(force=True)
    field = page.locator(".hovercard-input")
    expect(field).to_be_focused()
    field.fill("1.5")
    field.press("Enter")
    edit = {"weights": [{"layer": 0, "input": 0, "unit": 0, "value": 1.5}]}
    pg.wait_until(lambda: any(r[2] == edit for r in pg.api_requests(
        "PATCH", rf"/api/runs/{re.escape(run_id)}")), message="the weight PATCH")
    pg.wait_until(lambda: pg.server_weights()[0][0, 0] == 1.5, message="the server's weight")
    # The next snapshot brings it back to the page.
    page.mouse.move(0, 0)
    link.hover(force=True)
    expect(card).to_contain_text("Weight is 1.500")

    bias = page.locator(".bias-hit[data-layer='1'][data-unit='0']")
    bias.click(force=True)
    field.fill("-0.75")
    field.press("Enter")
    pg.wait_until(lambda: pg.server_weights()[3][0] == -0.75, message="the server's bias")
    page.mouse.move(0, 0)
    bias.hover(force=True)
    expect(card).to_contain_text("Bias is -0.750")
    assert pg.run_id == run_id and len(run_posts(pg)) == 1


def test_no_console_errors(playground: Playground) -> None:
    pg = playground
    pg.open()
    page = pg.page
    pg.play()
    pg.wait_until(lambda: pg.epoch() > 100, message="training")
    page.select_option("#learningRate", "0.1")
    page.hover(".node.neuron[data-layer='0'][data-unit='1']")
    page.check("#discretize")
    page.check("#showTestData")
    pg.pause()
    page.click("#step")
    old = pg.run_id
    page.click(".node.feature[data-feature='xSquared']")  # a new input: a new run
    pg.wait_until(lambda: pg.run_id != old, message="the new run")
    page.select_option("#problem", "regression")
    pg.wait_until(lambda: pg.server_run()["spec"]["problem"] == "regression", message="regression")
    page.click("#reset")
    frames = pg.probe("frames")
    pg.wait_until(lambda: pg.probe("frames") > frames, message="a frame")
    assert pg.probe("tensors") < 50, "tensors leak"
    assert pg.errors == []


def test_screenshot(playground: Playground, output_dir: Path) -> None:
    pg = playground
    pg.open("#dataset=spiral&networkShape=8,8,5&x=true&y=true&sinX=true&sinY=true"
            "&xSquared=true&ySquared=true&showTestData=false")
    pg.page.mouse.move(0, 0)
    pg.play()
    pg.wait_until(lambda: pg.epoch() > 400, timeout=30, message="training")
    pg.pause()
    page = pg.page
    shot = png_pixels(page.screenshot(path=str(output_dir / "playground.png"), full_page=True))
    assert shot.shape[:2] == (page.evaluate("document.documentElement.scrollHeight"), 1400)

    def region(selector: str) -> np.ndarray:
        return screen_region(page, shot, selector)

    def css_var(name: str) -> np.ndarray:
        return css_value(page, ":root", name)

    # The dark banner and the dark round play button (paused: it offers to play).
    assert (commonest_colour(region("header.banner")) == css_var("--dark")).all()
    button = css_value(page, "#play-pause", "backgroundColor")
    assert (commonest_colour(region("#play-pause")) == button).all()
    # The large map as the page drew it (its canvas scaled up: the screen pixel at the centre
    # of each canvas pixel; drawn at alpha 160 over the white page), wherever no data point
    # covers it.
    heat = region("#heatmap canvas.heat")
    canvas = pg.heat_pixels().astype(float)
    alpha = canvas[:, :, 3:] / 255
    drawn = np.rint(canvas[:, :, :3] * alpha + 255 * (1 - alpha))
    rows = ((np.arange(drawn.shape[0]) + 0.5) * heat.shape[0] / drawn.shape[0]).astype(int)
    cols = ((np.arange(drawn.shape[1]) + 0.5) * heat.shape[1] / drawn.shape[1]).astype(int)
    points = np.array(page.evaluate(  # the points' canvas: one pixel per screen pixel
        """() => {
            const c = document.querySelector('#heatmap canvas.points');
            const {data} = c.getContext('2d').getImageData(0, 0, c.width, c.height);
            return Array.from({length: data.length / 4}, (_, i) => data[4 * i + 3]);
        }""")).reshape(heat.shape[:2])
    uncovered = points[np.ix_(rows, cols)] == 0
    assert uncovered.mean() > 0.6
    same = np.abs(heat[np.ix_(rows, cols)] - drawn).max(axis=2) <= 2
    assert same[uncovered].mean() > 0.99, f"{same[uncovered].mean():.2%} as drawn"
    # The spiral is learnt: both classes take a good part of the map.
    orange = (heat[:, :, 0] > heat[:, :, 2] + 60).mean()
    blue = (heat[:, :, 2] > heat[:, :, 0] + 60).mean()
    assert orange > 0.15 and blue > 0.15, (orange, blue)
    # The legend runs from orange (−1) through grey (0) to blue (+1).
    legend = region(".legend-bar")
    middle = legend.shape[0] // 2
    for column, name in ((1, "--orange"), (legend.shape[1] // 2, "--grey"), (-2, "--blue")):
        assert np.abs(legend[middle, column] - css_var(name)).max() <= 12, name


def test_keyboard_space_plays_and_pauses_arrow_steps_r_resets(playground: Playground) -> None:
    pg = playground
    pg.open()
    start = pg.server_run()["epoch"]
    pg.page.keyboard.press("ArrowRight")
    pg.wait_until(lambda: pg.epoch() == start + 1, message="one step from →")
    pg.page.keyboard.press(" ")
    pg.wait_until(lambda: pg.server_run()["state"] == "running", message="Space plays")
    pg.wait_until(lambda: pg.epoch() > start + 50, message="training after Space")
    pg.page.keyboard.press(" ")
    pg.wait_until(lambda: pg.server_run()["state"] == "paused", message="Space pauses")
    old_id = pg.run_id
    pg.page.keyboard.press("r")
    pg.wait_until(lambda: pg.run_id != old_id, message="R starts a fresh network")


def test_keys_a_focused_control_uses_are_not_shortcuts(playground: Playground) -> None:
    pg = playground
    pg.open()
    page = pg.page
    run_id = pg.run_id
    # Space ticks a focused checkbox; it does not play.
    page.focus("#showTestData")
    page.keyboard.press(" ")
    expect(page.locator("#showTestData")).to_be_checked()
    # Space on a focused feature node turns the feature on (a new run); it does not play.
    page.focus(".node.feature[data-feature='xSquared']")
    page.keyboard.press(" ")
    pg.wait_until(lambda: pg.run_id != run_id, message="the run with x²")
    assert pg.server_run()["spec"]["xSquared"] is True
    page.wait_for_timeout(300)
    assert pg.run_state() == "paused"
    assert not pg.api_requests("PATCH", r"/api/runs/.*")  # nothing asked to play
    # → moves a focused slider; it does not step.
    page.focus("#noise")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#noise")).to_have_value("5")
    assert not pg.api_requests("POST", r"/api/runs/.*/step")


def test_the_page_stacks_its_columns_at_375_pixels(playground: Playground) -> None:
    pg = playground
    pg.page.set_viewport_size({"width": 375, "height": 800})
    pg.open()
    width = pg.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page is {width} px wide at 375"
    for selector in ("#play-pause", "#heatmap", "#datasets", "#network"):
        box = pg.page.locator(selector).bounding_box()
        assert box and box["x"] >= -1 and box["x"] + box["width"] <= 400, selector
