"""Curve runs (issue 5): the data sets, CSV parsing, the spec, and real training through the API.

The lessons' claims are checked on real training: the mystery equation lands at
W ≈ 0.1, b ≈ 0.3; the crickets' normalised line matches NumPy's least squares;
the 10-node network on the seeded crickets split overfits (test loss rising while
training loss falls).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.problems import make_job
from server.problems.fitting import choices, data
from server.problems.fitting.data import CsvError, parse_csv, to_csv
from server.problems.fitting.job import FittingJob
from server.problems.fitting.spec import parse_fitting_spec
from server.runs.events import EventLog
from server.training.scheduler import Scheduler
from server.values import SpecError
from tests.conftest import REPO_ROOT
from tests.sse import SSEStream

LESSONS = {lesson["key"]: lesson["spec"] for lesson in choices.LESSONS}



def _least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The (slope, intercept) minimising the mean squared error: where training should land."""
    (slope, intercept), *_ = np.linalg.lstsq(np.column_stack([x, np.ones_like(x)]), y,
                                             rcond=None)
    return float(slope), float(intercept)

def _wait(condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _create(client: FlaskClient, **spec: Any) -> dict[str, Any]:
    response = client.post("/api/runs", json={"problem": "curve", **spec})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _get(client: FlaskClient, run_id: str) -> dict[str, Any]:
    return client.get(f"/api/runs/{run_id}").get_json()


def _pause(client: FlaskClient, run_id: str) -> dict[str, Any]:
    response = client.patch(f"/api/runs/{run_id}", json={"state": "paused"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _raw_line(run: dict[str, Any], w: float, b: float) -> tuple[float, float]:
    """(slope, intercept) in raw x from the model's W and b on normalised x."""
    norm = run["setup"]["normalization"]
    return w / norm["std"], b - w * norm["mean"] / norm["std"]


# -- data sets ------------------------------------------------------------------------------


def test_the_mystery_equation_is_seeded_and_lies_on_its_line() -> None:
    points = data.mystery(100, 0.01, "0.59")
    again = data.mystery(100, 0.01, "0.59")
    assert np.array_equal(points.x, again.x) and np.array_equal(points.y, again.y)
    assert not np.array_equal(points.x, data.mystery(100, 0.01, "0.6").x)
    assert len(points) == 100 and points.x.min() >= 0 and points.x.max() < 1
    residual = points.y - (0.1 * points.x + 0.3)
    assert 0.006 < residual.std() < 0.014  # the noise is what was asked for
    exact = data.mystery(50, 0.0, "x")
    np.testing.assert_allclose(exact.y, 0.1 * exact.x + 0.3)
    # More points keep the first ones' x: one setting does not reshuffle the others.
    assert np.array_equal(data.mystery(200, 0.01, "0.59").x[:100], points.x)


def test_the_crickets_are_the_talks_fifteen_measurements() -> None:
    points = data.crickets()
    assert len(points) == 15
    assert points.x[0] == 88.6 and points.y[0] == 20 and points.x[-1] == 76.3
    assert points.y[-1] == 14.4
    assert points.x_label == "temperature (°F)" and points.y_label == "chirps per second"


@pytest.mark.parametrize(("n", "perc", "train"), [(15, 50, 7), (15, 100, 15), (100, 80, 80),
                                                  (15, 10, 1), (2, 10, 1)])
def test_the_split_is_seeded_disjoint_and_complete(n: int, perc: int, train: int) -> None:
    points = data.Points(np.arange(n, dtype=float), np.arange(n, dtype=float) * 2)
    split = data.split(points, perc, "seed")
    assert len(split.train) == train and len(split.test) == n - train
    assert sorted([*split.train.x, *split.test.x]) == list(points.x)
    assert np.array_equal(split.train.y, split.train.x * 2)  # pairs stay together
    assert np.array_equal(data.split(points, perc, "seed").train.x, split.train.x)


def test_normalisation_uses_the_training_x() -> None:
    x = np.array([70.0, 80.0, 90.0])
    norm = data.normalization(x, True)
    assert norm.mean == 80 and norm.std == pytest.approx(np.std(x))
    np.testing.assert_allclose(norm.apply(x), [-1.2247449, 0, 1.2247449], rtol=1e-6)
    assert data.normalization(x, False) == data.Normalization(False, 0.0, 1.0)
    assert data.normalization(np.array([5.0, 5.0]), True).std == 1.0  # constant x


# -- CSV ------------------------------------------------------------------------------------


def test_csv_takes_headers_delimiters_comments_and_blank_lines() -> None:
    text = "# crickets\ntemp,chirps\n\n88.6, 20\n71.6,16\n  \n93.3,19.8\n"
    points = parse_csv(text)
    assert points.x.tolist() == [88.6, 71.6, 93.3] and points.y.tolist() == [20, 16, 19.8]
    assert (points.x_label, points.y_label) == ("temp", "chirps")
    assert parse_csv("1\t2\n3\t4").x.tolist() == [1, 3]
    assert parse_csv("1 2\n3   4\n").y.tolist() == [2, 4]
    assert parse_csv("x;y\n1,5;2,25\n-3e2;.5\n").x.tolist() == [1.5, -300]  # decimal commas
    assert parse_csv("1,2\r\n3,4\r\n").y.tolist() == [2, 4]
    assert (parse_csv("1,2\n3,4").x_label, parse_csv("1,2\n3,4").y_label) == ("x", "y")


@pytest.mark.parametrize(("text", "line", "reason"), [
    ("x,y\n1,2\n3,4\n5,oops\n", 4, '"oops" is not a number'),
    ("1,2\n\n# note\n3,4,5\n", 4, "expected two values (x, y), found 3"),
    ("1,2\n3\n", 2, "expected two values (x, y), found 1"),
    ("1,2\n3,\n", 2, "a value is empty"),
    ("1,2\nnan,4\n", 2, '"nan" is not a number'),
    ("1,2\n3,inf\n", 2, '"inf" is not a number'),
    ("1,2\n3,1e12\n", 2, "1e12 is too large (values must lie within ±1e9)"),
    ("1,2\n1_000,3\n", 2, '"1_000" is not a number'),
    ("1,abc\n3,4\n", 1, '"abc" is not a number'),  # a number in it: a bad row, not a header
    ("a,b,c\n1,2\n", 1, "a header row must name two columns, like x,y"),
])
def test_a_bad_row_is_reported_with_its_line_number(text: str, line: int, reason: str) -> None:
    with pytest.raises(CsvError) as caught:
        parse_csv(text)
    assert caught.value.line == line and caught.value.reason == reason
    assert str(caught.value) == f"line {line}: {reason}"


def test_csv_row_limits() -> None:
    rows = "\n".join(f"{i},{i}" for i in range(data.MAX_CSV_ROWS))
    assert len(parse_csv("x,y\n" + rows)) == 10_000
    with pytest.raises(CsvError) as caught:
        parse_csv("x,y\n" + rows + "\n1,1\n")
    assert caught.value.line == 10_002 and "more than 10,000 rows" in str(caught.value)
    with pytest.raises(CsvError, match="at least 2 rows") as too_few:
        parse_csv("x,y\n1,2\n")
    assert too_few.value.line is None


def test_to_csv_round_trips_exactly() -> None:
    points = data.mystery(300, 0.05, "round")
    again = parse_csv(to_csv(points))
    assert np.array_equal(again.x, points.x) and np.array_equal(again.y, points.y)
    labelled = data.crickets()
    assert parse_csv(to_csv(labelled)).x_label == "temperature (°F)"


# -- spec -----------------------------------------------------------------------------------


def test_the_spec_fills_defaults_and_the_suggested_learning_rate() -> None:
    spec = parse_fitting_spec({"problem": "curve", "seed": "s"})
    assert (spec.dataset, spec.model, spec.optimizer, spec.normalize) == (
        "mystery", "linear", "sgd", False)
    assert spec.learning_rate == 1.0 and spec.hidden_layers == () and spec.num_points == 100
    crickets = parse_fitting_spec({"dataset": "crickets"})
    assert crickets.learning_rate == 0.0002 and crickets.noise is None and crickets.seed
    assert parse_fitting_spec({"dataset": "crickets", "normalize": True}).learning_rate == 0.1
    network = parse_fitting_spec({"model": "network", "learningRate": 0.3})
    assert network.hidden_layers == (10,) and network.activation == "sigmoid"
    assert network.learning_rate == 0.3
    echoed = network.to_json()
    assert echoed["hiddenLayers"] == [10] and "csv" not in echoed
    assert parse_fitting_spec(echoed) == network  # a saved spec gives the same run


@pytest.mark.parametrize(("body", "field"), [
    ({"bogus": 1}, "bogus"),
    ({"dataset": "moons"}, "dataset"),
    ({"model": "cnn"}, "model"),
    ({"numPoints": 5}, "numPoints"),
    ({"noise": -0.1}, "noise"),
    ({"percTrainData": 0}, "percTrainData"),
    ({"percTrainData": 101}, "percTrainData"),
    ({"hiddenLayers": []}, "hiddenLayers"),
    ({"hiddenLayers": [10, 10, 10, 10]}, "hiddenLayers"),
    ({"hiddenLayers": [33]}, "hiddenLayers"),
    ({"activation": "step"}, "activation"),
    ({"optimizer": "lbfgs"}, "optimizer"),
    ({"learningRate": 0}, "learningRate"),
    ({"learningRate": "0.1"}, "learningRate"),
    ({"normalize": "yes"}, "normalize"),
    ({"seed": ""}, "seed"),
    ({"dataset": "custom"}, "csv"),
    ({"dataset": "custom", "csv": 12}, "csv"),
])
def test_bad_specs_name_their_field(client: FlaskClient, body: dict[str, Any],
                                    field: str) -> None:
    response = client.post("/api/runs", json={"problem": "curve", **body})
    assert response.status_code == 400
    assert response.get_json()["field"] == field, response.get_json()


def test_every_lesson_is_a_valid_spec_and_the_catalogue_lists_the_choices(
        client: FlaskClient) -> None:
    catalog = client.get("/api/catalog").get_json()["fitting"]
    assert [d["key"] for d in catalog["datasets"]] == ["mystery", "crickets", "custom"]
    assert [m["key"] for m in catalog["models"]] == ["linear", "network"]
    assert catalog["limits"]["csvRows"]["max"] == 10_000
    assert catalog["limits"]["csvBytes"]["max"] < 1024 * 1024  # fits in a request body
    assert catalog["defaults"]["hiddenLayers"] == [10]
    assert catalog["defaults"]["activation"] == "sigmoid"
    assert "½·mean squared error" in catalog["learningRateNote"]
    for lesson in catalog["lessons"]:
        parse_fitting_spec({"problem": "curve", **lesson["spec"]})


# -- training through the API -------------------------------------------------------------


def test_the_mystery_equation_lands_at_w_01_and_b_03(client: FlaskClient) -> None:
    started = time.monotonic()
    run = _create(client, **LESSONS["mystery"])
    assert run["problem"] == "fitting" and run["state"] == "running"
    assert len(run["setup"]["train"]) == 80 and len(run["setup"]["test"]) == 20
    assert run["setup"]["normalization"] == {"enabled": False, "mean": 0.0, "std": 1.0}
    assert run["setup"]["layers"] == [1, 1] and run["modelUrl"].endswith("/model.json")
    summary = _wait(lambda: (s := _get(client, run["id"]))["epoch"] >= 300 and s,
                    what="300 epochs")
    assert summary["metrics"]["W"] == pytest.approx(0.1, abs=0.01)
    assert summary["metrics"]["b"] == pytest.approx(0.3, abs=0.01)
    assert summary["metrics"]["trainLoss"] < 1e-4 and summary["metrics"]["testLoss"] < 1e-4
    print(f"mystery: epoch {summary['epoch']} in {time.monotonic() - started:.1f} s, "
          f"W={summary['metrics']['W']:.4f} b={summary['metrics']['b']:.4f}")


def test_crickets_normalised_line_matches_numpy_least_squares(client: FlaskClient) -> None:
    run = _create(client, **LESSONS["crickets-normalized"])
    train = np.array(run["setup"]["train"])
    assert len(train) == 15 and run["setup"]["test"] == []
    assert run["setup"]["normalization"]["enabled"]
    assert run["setup"]["normalization"]["mean"] == pytest.approx(train[:, 0].mean())
    assert run["setup"]["normalization"]["std"] == pytest.approx(train[:, 0].std())
    slope, intercept = np.linalg.lstsq(np.column_stack([train[:, 0], np.ones(15)]),
                                       train[:, 1], rcond=None)[0]
    summary = _wait(lambda: (s := _get(client, run["id"]))["epoch"] >= 400 and s,
                    what="400 epochs")
    fitted = _raw_line(run, summary["metrics"]["W"], summary["metrics"]["b"])
    assert fitted[0] == pytest.approx(slope, rel=0.01)
    assert fitted[1] == pytest.approx(intercept, rel=0.01)
    assert summary["metrics"]["testLoss"] is None  # every point trains: there is no test loss


def test_crickets_in_raw_fahrenheit_crawl_at_the_talks_rate(client: FlaskClient) -> None:
    """The lesson: after as many epochs as normalised input needs, raw input is far off."""
    raw = _create(client, **LESSONS["crickets-raw"])
    summary = _wait(lambda: (s := _get(client, raw["id"]))["epoch"] >= 400 and s,
                    what="400 epochs")
    _, intercept = _least_squares(data.crickets().x, data.crickets().y)
    assert abs(summary["metrics"]["b"] - intercept) > 0.3  # b has barely moved from its start


def test_the_10_node_network_overfits_the_seeded_crickets_split(client: FlaskClient) -> None:
    run = _create(client, **LESSONS["crickets-overfit"])
    assert len(run["setup"]["train"]) == 7 and len(run["setup"]["test"]) == 8
    assert run["setup"]["layers"] == [1, 10, 1]
    seen: list[tuple[int, float, float]] = []

    def trained_far() -> bool:
        s = _get(client, run["id"])
        if s["metrics"]["trainLoss"] is not None:
            seen.append((s["epoch"], s["metrics"]["trainLoss"], s["metrics"]["testLoss"]))
        return s["epoch"] >= 60_000

    _wait(trained_far, timeout=120, what="60,000 epochs")
    epochs, train, test = (np.array(column) for column in zip(*seen, strict=True))
    best = int(np.argmin(test))
    # Test loss reaches its lowest, then rises well above it while training loss keeps falling.
    assert test[-1] > 1.5 * test[best], seen
    assert train[-1] < 0.5 * train[best], seen
    assert epochs[best] < epochs[-1]


def test_csv_errors_name_the_line_and_leave_the_current_run_alone(client: FlaskClient) -> None:
    current = _create(client, **LESSONS["mystery"])
    before = _get(client, current["id"])["epoch"]
    rows = "\n".join(f"{i},{2 * i}" for i in range(15)) + "\n15,x\n"
    response = client.post("/api/runs", json={"problem": "curve", "dataset": "custom",
                                               "csv": "x,y\n" + rows})
    assert response.status_code == 400
    assert response.get_json() == {"field": "csv", "error": 'line 17: "x" is not a number'}
    assert [r["id"] for r in client.get("/api/runs").get_json()["runs"]] == [current["id"]]
    _wait(lambda: _get(client, current["id"])["epoch"] > before, what="the run to go on")


def test_a_custom_csv_run_trains_on_its_rows(client: FlaskClient, app: Flask) -> None:
    rows = [(x, 3 * x - 2) for x in np.linspace(-1, 1, 40)]
    text = "size,price\n" + "\n".join(f"{x},{y}" for x, y in rows)
    run = _create(client, dataset="custom", csv=text, percTrainData=50, normalize=True,
                  seed="c")
    assert (run["setup"]["xLabel"], run["setup"]["yLabel"]) == ("size", "price")
    assert len(run["setup"]["train"]) == 20 and len(run["setup"]["test"]) == 20
    points = sorted(tuple(p) for p in run["setup"]["train"] + run["setup"]["test"])
    np.testing.assert_allclose(np.array(points), np.array(sorted(rows)))
    summary = _wait(lambda: (s := _get(client, run["id"]))["epoch"] >= 300 and s,
                    what="300 epochs")
    assert _raw_line(run, summary["metrics"]["W"],
                     summary["metrics"]["b"]) == pytest.approx((3, -2), abs=1e-3)
    # The saved spec holds the rows (summaries leave them out): a restart makes the same run.
    assert "csv" not in run["spec"]
    saved = app.extensions["runs"].get(run["id"]).spec
    _, spec, job = make_job(saved, app.extensions["job_context"])
    assert spec.to_json() == saved and "size,price" in saved["csv"]
    assert job.describe()["train"] == run["setup"]["train"]


def test_patch_takes_the_learning_rate_and_state_only(client: FlaskClient) -> None:
    run = _create(client, **LESSONS["crickets-raw"])
    response = client.patch(f"/api/runs/{run['id']}", json={"learningRate": 0.0001})
    assert response.status_code == 200 and response.get_json()["metrics"]["learningRate"] == 0.0001
    for body, field in (({"regularizationRate": 0.1}, "regularizationRate"),
                        ({"weights": []}, "weights"), ({"learningRate": 11}, "learningRate"),
                        ({"learningRate": True}, "learningRate")):
        response = client.patch(f"/api/runs/{run['id']}", json=body)
        assert response.status_code == 400 and response.get_json()["field"] == field


def test_a_step_trains_one_full_batch_epoch(client: FlaskClient) -> None:
    run = _create(client, **LESSONS["crickets-raw"])
    paused = _pause(client, run["id"])
    w0, b0 = paused["metrics"]["W"], paused["metrics"]["b"]
    stepped = client.post(f"/api/runs/{run['id']}/step").get_json()
    assert stepped["epoch"] == paused["epoch"] + 1
    # One step of gradient descent on ½·mean squared error, computed by hand.
    x, y = np.array(run["setup"]["train"]).T
    residual = w0 * x + b0 - y
    rate = run["spec"]["learningRate"]
    assert stepped["metrics"]["W"] == pytest.approx(w0 - rate * np.mean(residual * x), rel=1e-4)
    assert stepped["metrics"]["b"] == pytest.approx(b0 - rate * np.mean(residual), rel=1e-4)


def _weights_from_tfjs(model_json: dict[str, Any], blob: bytes) -> list[np.ndarray]:
    weights, offset = [], 0
    for group in model_json["weightsManifest"]:
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"]))
            weights.append(np.array(struct.unpack_from(f"<{count}f", blob, offset),
                                    np.float32).reshape(spec["shape"]))
            offset += 4 * count
    return weights


def test_the_export_is_the_model_with_its_normalisation(client: FlaskClient) -> None:
    run = _create(client, **LESSONS["crickets-normalized"])
    _wait(lambda: _get(client, run["id"])["epoch"] >= 100, what="100 epochs")
    summary = _pause(client, run["id"])
    model_json = client.get(run["modelUrl"]).get_json()
    assert model_json["format"] == "layers-model"
    blob = client.get(f"/api/runs/{run['id']}/group1-shard1of1.bin").data
    kernel, bias = _weights_from_tfjs(model_json, blob)
    assert kernel.shape == (1, 1) and bias.shape == (1,)
    assert kernel[0, 0] == pytest.approx(summary["metrics"]["W"])
    assert bias[0] == pytest.approx(summary["metrics"]["b"])

    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run['id']}/export.zip").data))
    metadata = json.loads(archive.read("metadata.json"))
    assert metadata["problem"] == "fitting" and metadata["loss"] == "0.5 * mean squared error"
    assert metadata["normalization"] == run["setup"]["normalization"]
    norm = run["setup"]["normalization"]
    assert f"(x - {norm['mean']!r}) / {norm['std']!r}" in metadata["input"]["preparation"][0]
    assert norm["mean"] == pytest.approx(79.34666667) and metadata["input"]["shape"] == [None, 1]
    assert metadata["line"]["W"] == pytest.approx(summary["metrics"]["W"])
    slope, intercept = _raw_line(run, summary["metrics"]["W"], summary["metrics"]["b"])
    assert metadata["line"]["slope"] == pytest.approx(slope)
    assert metadata["line"]["intercept"] == pytest.approx(intercept)


def test_the_exported_network_predicts_the_crickets_in_tfjs(client: FlaskClient,
                                                          tmp_path: Path) -> None:
    """The zip's TF.js model, fed x normalised as metadata.json says, gives the run's fit."""
    run = _create(client, **LESSONS["crickets-overfit"])
    _wait(lambda: _get(client, run["id"])["epoch"] >= 2000, what="2,000 epochs")
    summary = _pause(client, run["id"])
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/api/runs/{run['id']}/export.zip").data))
    archive.extractall(tmp_path)
    metadata = json.loads((tmp_path / "metadata.json").read_text())
    norm = metadata["normalization"]
    assert metadata["input"]["preparation"][0].startswith("Normalise x as training did: x' = (x - ")
    points = np.array(run["setup"]["train"] + run["setup"]["test"])
    inputs = ((points[:, 0] - norm["mean"]) / norm["std"])[:, None]
    (tmp_path / "inputs.json").write_text(json.dumps(inputs.tolist()))
    node = subprocess.run(["node", str(REPO_ROOT / "tests/node/predict_layers_model.mjs"),
                           str(tmp_path), str(tmp_path / "inputs.json"),
                           str(tmp_path / "out.json")],
                          cwd=REPO_ROOT, capture_output=True, text=True)
    assert node.returncode == 0, node.stderr
    predicted = np.array(json.loads((tmp_path / "out.json").read_text())["outputs"][0])[:, 0]
    train = len(run["setup"]["train"])

    def loss(rows: slice) -> float:
        return float(np.mean(0.5 * (predicted[rows] - points[rows, 1]) ** 2))

    assert loss(slice(0, train)) == pytest.approx(summary["metrics"]["trainLoss"], rel=1e-3,
                                                  abs=1e-6)
    assert loss(slice(train, None)) == pytest.approx(summary["metrics"]["testLoss"], rel=1e-3)


SURFACE_SCRIPT = """
import {moments, lossAt, bestFit, squareBox, surfaceValues} from './web/js/fitting-surface.js';
const [points, norm, probes] = JSON.parse(process.argv[1]);
const m = moments(points, norm);
const best = bestFit(m);
const box = squareBox([best, [best[0] + 3, best[1] - 1]]);
const values = surfaceValues(m, {w: [best[0] - 1, best[0] + 1], b: [best[1] - 1, best[1] + 1]}, 41);
process.stdout.write(JSON.stringify({
  best, box, losses: probes.map(([w, b]) => lossAt(m, w, b)),
  centre: values[20 * 41 + 20], corner: values[0], lowest: Math.max(...values),
}));
"""


@pytest.mark.parametrize("normalize", [False, True])
def test_the_pages_loss_surface_is_the_engines_loss(normalize: bool) -> None:
    """web/js/fitting-surface.js, run in Node: its loss and best fit are NumPy's."""
    points = data.crickets()
    norm = data.normalization(points.x, normalize)
    x = norm.apply(points.x)
    probes = [(0.2, 0.1), (1.5, 16.0), (-0.3, 2.0)]
    out = subprocess.run(
        ["node", "--input-type=module", "-e", SURFACE_SCRIPT,
         json.dumps([np.column_stack([points.x, points.y]).tolist(), norm.to_json(), probes])],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert result["best"] == pytest.approx(_least_squares(x, points.y), rel=1e-6)
    expected = [float(np.mean(0.5 * (w * x + b - points.y) ** 2)) for w, b in probes]
    assert result["losses"] == pytest.approx(expected, rel=1e-9)
    (w0, w1), (b0, b1) = result["box"]["w"], result["box"]["b"]
    assert w1 - w0 == pytest.approx(b1 - b0)  # one scale on both axes
    assert w0 < result["best"][0] < result["best"][0] + 3 < w1 and b0 < result["best"][1] - 1
    # Blue (+1) at the least-squares point, orange (-1) at the box's highest loss.
    assert result["centre"] == result["lowest"] == pytest.approx(1.0, abs=1e-3)
    assert result["corner"] < 0


def test_network_snapshots_carry_every_layer_and_no_path(live_server: str) -> None:
    body = json.dumps({"problem": "curve", **LESSONS["crickets-overfit"]}).encode()
    request = urllib.request.Request(f"{live_server}/api/runs", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        run = json.loads(response.read())
    stream = SSEStream(f"{live_server}/api/runs/{run['id']}/events")
    try:
        snapshot = stream.take(1, kinds=("snapshot",))[0].data
    finally:
        stream.close()
    shapes = [(np.shape(kernel), np.shape(bias)) for kernel, bias in snapshot["weights"]]
    assert shapes == [((1, 10), (10,)), ((10, 1), (1,))]
    assert "path" not in snapshot and {"epoch", "trainLoss", "testLoss"} <= set(snapshot)


# -- the job itself --------------------------------------------------------------------------


@pytest.fixture
def scheduler(app: Any) -> Scheduler:
    return app.extensions["scheduler"]


def _job(spec: dict[str, Any], scheduler: Scheduler) -> FittingJob:
    return FittingJob(parse_fitting_spec({"problem": "curve", **spec}), scheduler,
                      max_snapshot_rate=30.0)


def test_linear_snapshots_carry_w_b_and_the_path_from_epoch_0(scheduler: Scheduler) -> None:
    job = _job(LESSONS["mystery"], scheduler)
    events = EventLog()
    job.start(events)
    first = events.latest("snapshot").data
    (kernel, bias), = first["weights"]
    assert first["epoch"] == 0
    assert first["path"] == [[0, pytest.approx(kernel[0][0], rel=1e-6), pytest.approx(bias[0])]]
    for _ in range(30):
        job.train(single_step=False)
    snapshot = events.latest("snapshot").data
    path = snapshot["path"]
    epochs = [point[0] for point in path]
    # The first epochs are one a chunk (the walk is visible), later chunks grow.
    assert epochs[:21] == list(range(21)) and epochs == sorted(epochs)
    (kernel, bias), = snapshot["weights"]
    assert path[-1] == [snapshot["epoch"], pytest.approx(kernel[0][0], rel=1e-6),
                        pytest.approx(bias[0], rel=1e-6)]
    job.close()


def test_history_and_restore_continue_a_saved_run(scheduler: Scheduler) -> None:
    job = _job(LESSONS["crickets-normalized"], scheduler)
    job.start(EventLog())
    for _ in range(25):
        job.train(single_step=False)
    epoch, weights = job.latest_weights()
    saved = json.loads(json.dumps(job.history()))
    metrics = job.metrics()
    job.close()

    again = _job(LESSONS["crickets-normalized"], scheduler)
    again.restore(epoch, weights, metrics, saved)
    events = EventLog()
    assert again.start(events).epoch == epoch
    snapshot = events.latest("snapshot").data
    assert snapshot["path"] == saved["path"] and snapshot["epoch"] == epoch
    assert again.metrics()["W"] == metrics["W"] and again.metrics()["testLoss"] is None
    assert len(again.history()["losses"]) == len(saved["losses"]) + 1
    again.close()


def test_too_large_a_learning_rate_diverges_on_raw_fahrenheit(client: FlaskClient) -> None:
    run = _create(client, dataset="crickets", learningRate=0.01, seed="d")
    summary = _wait(lambda: (s := _get(client, run["id"]))["state"] == "diverged" and s,
                    what="divergence")
    # The last healthy weights.
    assert summary["metrics"]["W"] is not None and np.isfinite(summary["metrics"]["W"])


def test_spec_errors_are_spec_errors() -> None:
    with pytest.raises(SpecError) as caught:
        parse_fitting_spec({"dataset": "custom", "csv": "1,2\n3,4\n5,z\n"})
    assert (caught.value.field, caught.value.reason) == ("csv", 'line 3: "z" is not a number')
