"""Beyond the classic on the playground page (issue 16): drawn points, many classes, the code."""

from __future__ import annotations

import numpy as np

from tests.browser.page_driver import http_json, png_pixels
from tests.browser.playground_page import Playground

CLASS_COLOURS = np.array([[245, 147, 34], [8, 119, 189], [44, 160, 44], [148, 103, 189],
                          [214, 39, 40]])


def _map_point(pg: Playground, x1: float, x2: float) -> tuple[float, float]:
    """Page pixel of input (x1, x2) on the output map."""
    box = pg.page.locator("#heatmap canvas.points").bounding_box()
    assert box is not None
    return (box["x"] + (x1 + 6) / 12 * box["width"], box["y"] + (6 - x2) / 12 * box["height"])


def _click(pg: Playground, x1: float, x2: float, *, shift: bool = False) -> None:
    x, y = _map_point(pg, x1, x2)
    if shift:
        pg.page.keyboard.down("Shift")
    pg.page.mouse.click(x, y)
    if shift:
        pg.page.keyboard.up("Shift")


def test_drawn_points_train_a_network_that_reads_classes(playground: Playground) -> None:
    pg = playground
    pg.open("#networkShape=6&optimizer=adam&learningRate=0.03&pace=max&seed=drawn")
    pg.page.click("#draw-toggle")
    clusters = {0: (-4.0, 3.0), 1: (4.0, 3.0), 2: (0.0, -4.0)}
    offsets = [(0, 0), (0.5, 0), (0, 0.5), (-0.5, 0), (0, -0.5), (0.5, 0.5)]
    for cls, (cx, cy) in clusters.items():
        pg.page.click(f'#draw-classes .class-pick[data-class="{cls}"]')
        for dx, dy in offsets:
            _click(pg, cx + dx, cy + dy)
    # A stray point, removed again with a shift-click.
    _click(pg, 2.0, -2.0)
    _click(pg, 2.0, -2.0, shift=True)
    pg.wait_until(lambda: len(pg.server_run()["spec"]["points"]) == 18,
                  message="a run on the 18 drawn points")
    run = pg.server_run()
    drawn = sorted(tuple(p) for p in run["spec"]["points"])
    expected = sorted((round(cx + dx, 2), round(cy + dy, 2), cls)
                      for cls, (cx, cy) in clusters.items() for dx, dy in offsets)
    box = pg.page.locator("#heatmap canvas.points").bounding_box()
    assert box is not None
    pixel = 12 / box["width"]  # a click lands on a whole pixel; points keep 0.01
    assert np.allclose(np.array(drawn), np.array(expected), atol=pixel + 0.01)
    assert all(round(v, 2) == v for point in drawn for v in point)
    assert run["setup"]["classes"] == 3
    used = sorted(tuple(p[:2]) for p in run["setup"]["train"] + run["setup"]["test"])
    assert np.allclose(np.array(used), np.array(sorted(p[:2] for p in drawn)))
    assert "points=" in pg.page.url  # shareable: the points are in the link
    pg.page.click("#draw-toggle")  # done drawing: clicks now read the map
    pg.play()
    pg.wait_until(lambda: pg.epoch() >= 300, timeout=120, message="300 epochs")
    for cls, (cx, cy) in clusters.items():
        _click(pg, cx + 0.2, cy + 0.2)
        pg.wait_until(lambda cls=cls: f"class {cls}" in pg.page.locator(
            "#class-readout").text_content(), message=f"class {cls} at its cluster")
    # The link brings the same points back.
    url = pg.page.url
    pg.open("#" + url.split("#", 1)[1])
    again = pg.server_run()
    assert sorted(tuple(p) for p in again["spec"]["points"]) == drawn


def test_a_four_class_run_shows_its_legend_and_class_colours(playground: Playground) -> None:
    pg = playground
    pg.open("#dataset=blobs4&networkShape=6&optimizer=adam&learningRate=0.03&pace=max"
            "&seed=four")
    items = pg.page.locator("#class-legend .class-legend-item")
    assert items.count() == 4
    shot = png_pixels(pg.page.screenshot())
    for k in range(4):
        box = items.nth(k).locator(".class-swatch").bounding_box()
        assert box is not None
        colour = shot[int(box["y"] + box["height"] / 2), int(box["x"] + box["width"] / 2), :3]
        assert np.abs(colour.astype(int) - CLASS_COLOURS[k]).max() <= 2, (k, colour)
    pg.play()
    pg.wait_until(lambda: pg.epoch() >= 200, timeout=120, message="200 epochs")
    pg.wait_until(lambda: (pg.server_run()["metrics"].get("testAccuracy") or 0) >= 0.9,
                  timeout=60, message="the blobs learned")
    pg.pause()
    heat = pg.heat_pixels()
    size = heat.shape[0]
    for k in range(4):
        angle = np.pi / 2 + 2 * np.pi * k / 4
        x1, x2 = 3.5 * np.cos(angle), 3.5 * np.sin(angle)
        col, row = int((x1 + 6) / 12 * (size - 1)), int((6 - x2) / 12 * (size - 1))
        rgb = heat[row, col, :3].astype(int)
        # The map's colour is the class's, mixed with white by how sure the network is.
        hue_match = int(np.argmin([np.linalg.norm(_direction(rgb) - _direction(c))
                                   for c in CLASS_COLOURS[:4]]))
        assert hue_match == k, (k, rgb)
        assert rgb.min() < 200  # a confident class is far from white
    # The code panel shows the Keras script of this run.
    pg.page.click("#show-code")
    pg.wait_until(lambda: "model.fit" in pg.page.locator("#code-text").text_content(),
                  message="the Keras code")
    code = pg.page.locator("#code-text").text_content()
    assert "keras.optimizers.Adam(learning_rate=0.03)" in code
    assert '"sparse_categorical_crossentropy"' in code
    # Another optimizer, live: the same run, its weights kept, and the page says so.
    run_id = pg.run_id
    pg.page.select_option("#optimizer", "rmsprop")
    pg.wait_until(lambda: "fresh state" in pg.page.locator("#status").text_content(),
                  message="the page to say the optimizer starts afresh")
    assert pg.run_id == run_id and pg.server_run()["spec"]["optimizer"] == "rmsprop"
    assert "optimizer=rmsprop" in pg.page.url
    pg.wait_until(lambda: "keras.optimizers.RMSprop(" in pg.page.locator(
        "#code-text").text_content(), message="the code to follow the optimizer")
    catalog = http_json(f"{pg.base_url}/api/catalog")["playground"]
    assert [o["key"] for o in catalog["optimizers"]] == [
        o.get_attribute("value") for o in pg.page.locator("#optimizer option").all()]


def _direction(rgb: np.ndarray) -> np.ndarray:
    """A colour's direction away from white: equal for a colour and its lighter shades."""
    away = 255 - np.asarray(rgb, float)
    return away / max(np.linalg.norm(away), 1e-9)
