"""Beyond the classic playground (issue 16): optimizers, activations, dropout, many classes,
drawn points and the Keras script, through the API."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from server.problems.playground.many_classes import MANY_CLASS_DATASETS, generate_any
from server.training.dense import build_dense_model
from tests.conftest import REPO_ROOT


def _wait_epoch(client: FlaskClient, run_id: str, epoch: int, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        run = client.get(f"/api/runs/{run_id}").get_json()
        if run["epoch"] >= epoch:
            return run
        assert time.monotonic() < deadline, f"the run reached only epoch {run['epoch']}"
        time.sleep(0.05)


def test_the_catalogue_publishes_the_new_choices(client: FlaskClient) -> None:
    catalog = client.get("/api/catalog").get_json()["playground"]
    assert [o["key"] for o in catalog["optimizers"]] == ["sgd", "momentum", "adam", "rmsprop"]
    activations = {a["key"]: a["keras"] for a in catalog["activations"]}
    assert activations["leakyRelu"] == "leaky_relu" and activations["swish"] == "silu"
    assert {"elu", "softplus", "relu", "tanh", "sigmoid", "linear"} <= set(activations)
    datasets = catalog["datasets"]["classification"]
    assert all("classes" in d for d in datasets)
    by_key = {d["key"]: d["classes"] for d in datasets}
    assert by_key["circle"] == 2 and by_key["spiral3"] == 3 and by_key["blobs5"] == 5
    assert {d["classes"] for d in datasets} == {2, 3, 4, 5}
    limits = catalog["limits"]
    assert limits["points"]["max"] >= 400 and limits["dropout"]["max"] < 1
    assert catalog["defaults"]["optimizer"] == "sgd" and catalog["defaults"]["dropout"] == 0


@pytest.mark.parametrize(("spec", "field"), [
    ({"optimizer": "adagrad"}, "optimizer"),
    ({"dropout": 1}, "dropout"),
    ({"dropout": "0.2"}, "dropout"),
    ({"activation": "leaky_relu"}, "activation"),
    ({"points": "1,2,0"}, "points"),
    ({"points": [[0, 0, 0]]}, "points"),
    ({"points": [[0, 0, 0], [1, 1]]}, "points"),
    ({"points": [[0, 0, 0], [7, 1, 1]]}, "points"),
    ({"points": [[0, 0, 0], [1, 1, 5]]}, "points"),
    ({"points": [[0, 0, 0], [1, 1, 0.5]]}, "points"),
    ({"points": [[0, 0, 0], [float("nan"), 1, 1]]}, "points"),
    ({"points": [[0, 0, 0]] * 1001}, "points"),
    ({"points": [[0, 0, 0], [1, 1, 1]], "problem": "regression"}, "points"),
])
def test_bad_new_fields_get_a_400_naming_them(client: FlaskClient, spec: dict, field: str) -> None:
    response = client.post("/api/runs", data=json.dumps(spec, allow_nan=True),
                           content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_many_class_data_sets_are_seeded_and_balanced() -> None:
    for key, info in MANY_CLASS_DATASETS.items():
        split = generate_any(key, 0, 50, "7")
        again = generate_any(key, 0, 50, "7")
        assert np.array_equal(split.train, again.train)
        labels = np.concatenate([split.train[:, 2], split.test[:, 2]])
        assert set(labels) == set(range(info.classes)), key
        assert np.all(np.abs(np.concatenate([split.train, split.test])[:, :2]) <= 6)


def test_a_three_class_spiral_is_learned(client: FlaskClient) -> None:
    """A network the page allows (x1, x2, sin x1, sin x2; 8×8 tanh; Adam at 0.01) gets ≥ 90%
    of the test points of the three-armed spiral right within a few hundred epochs (well
    under a second of training at the engine's rate), whatever its random start."""
    spec = {"dataset": "spiral3", "optimizer": "adam", "learningRate": 0.01,
            "networkShape": [8, 8], "activation": "tanh", "sinX": True, "sinY": True,
            "pace": "max", "seed": "0.1"}
    run = client.post("/api/runs", json=spec).get_json()
    assert run["setup"]["classes"] == 3
    run = _wait_epoch(client, run["id"], 400)
    deadline = time.monotonic() + 60
    while (run["metrics"]["testAccuracy"] or 0) < 0.9:
        assert run["epoch"] <= 2000, f"not learned by epoch {run['epoch']}: {run['metrics']}"
        assert time.monotonic() < deadline
        time.sleep(0.05)
        run = client.get(f"/api/runs/{run['id']}").get_json()
    assert run["metrics"]["trainAccuracy"] >= 0.85
    print(f"spiral3: test accuracy {run['metrics']['testAccuracy']:.3f} at epoch {run['epoch']}")


def test_a_run_from_drawn_points_trains_on_exactly_those(client: FlaskClient) -> None:
    points = [[-3.5, 2.25, 0], [-3.25, 2.5, 0], [3.0, 3.0, 1], [3.25, 2.75, 1],
              [0.0, -4.0, 2], [0.5, -3.5, 2], [-1.0, -1.0, 0], [2.0, 2.0, 1]]
    run = client.post("/api/runs", json={"points": points, "percTrainData": 50,
                                         "seed": "s", "pace": "max"}).get_json()
    setup = run["setup"]
    assert setup["classes"] == 3
    assert len(setup["train"]) == 4 and len(setup["test"]) == 4
    assert sorted(map(tuple, setup["train"] + setup["test"])) == sorted(
        tuple(float(v) for v in p) for p in points)
    assert run["spec"]["points"] == points
    _wait_epoch(client, run["id"], 5)
    # The job trains on those rows: its data are the features of exactly these points.
    live = client.application.extensions["runs"].get(run["id"])
    data = live.job._slot_data()
    assert np.array_equal(np.sort(data.x_train[:, 0]),
                          np.sort(np.array([p[0] for p in setup["train"]], np.float32)))
    two = client.post("/api/runs", json={"points": [[1, 1, 1], [-1, -1, 0]], "seed": "t",
                                         "percTrainData": 90}).get_json()
    assert two["setup"]["classes"] == 2
    assert sorted(p[2] for p in two["setup"]["train"] + two["setup"]["test"]) == [-1.0, 1.0]


def test_switching_the_optimizer_live_keeps_the_weights(client: FlaskClient) -> None:
    run = client.post("/api/runs", json={"pace": "max", "seed": "1"}).get_json()
    _wait_epoch(client, run["id"], 20)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    live = client.application.extensions["runs"].get(run["id"])
    epoch, before = live.job.latest_weights()
    summary = client.patch(f"/api/runs/{run['id']}", json={"optimizer": "adam"}).get_json()
    assert summary["spec"]["optimizer"] == "adam"
    _, after = live.job.latest_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    client.patch(f"/api/runs/{run['id']}", json={"state": "running"})
    _wait_epoch(client, run["id"], epoch + 20)
    assert live.job.architecture.optimizer == "adam"
    assert client.patch(f"/api/runs/{run['id']}",
                        json={"optimizer": "nesterov"}).status_code == 400


def _param_count(sizes: list[int]) -> int:
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


@pytest.mark.parametrize("spec", [
    {"networkShape": [4, 2], "activation": "leakyRelu", "regularization": "L2",
     "regularizationRate": 0.001},
    {"dataset": "blobs4", "networkShape": [6], "activation": "swish", "optimizer": "rmsprop",
     "dropout": 0.2},
])
def test_the_keras_script_runs_and_builds_the_same_model(client: FlaskClient, tmp_path: Path,
                                                         spec: dict[str, Any]) -> None:
    run = client.post("/api/runs", json={**spec, "pace": "max", "seed": "3"}).get_json()
    _wait_epoch(client, run["id"], 3)
    response = client.get(f"/api/runs/{run['id']}/code.py")
    assert response.status_code == 200
    script = tmp_path / "code.py"
    script.write_bytes(response.data)
    export = tmp_path / "run.zip"
    export.write_bytes(client.get(f"/api/runs/{run['id']}/export.zip").data)
    out = subprocess.run([sys.executable, str(script), "--epochs", "2", "--summary-json",
                          "--zip", str(export)],
                         capture_output=True, text=True, timeout=300, check=True)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    live = client.application.extensions["runs"].get(run["id"])
    arch = live.job.architecture
    sizes = [*arch.hidden_layers, arch.outputs]
    assert summary["layers"] == sizes
    model = build_dense_model(arch.num_inputs, arch.hidden_layers, arch.activation,
                              arch.output_activation, arch.outputs, arch.dropout)
    assert summary["params"] == model.count_params() == _param_count([arch.num_inputs, *sizes])
    assert np.isfinite(summary["loss"])
    assert client.get("/api/runs/nope/code.py").status_code == 404


def _node(script: str) -> Any:
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def test_drawn_points_round_trip_through_the_link_and_csv_errors_name_the_line() -> None:
    result = _node(
        "import {encodePoints, decodePoints} from './web/js/points-code.js';"
        "import {parsePointsCsv} from './web/js/draw-points.js';"
        "const pts = [[-6, 6, 0], [5.99, -0.01, 4], [0.5, 1.25, 2], [-0.07, 3.33, 1]];"
        "const text = encodePoints(pts, [-6, 6]);"
        "const opts = {range: [-6, 6], maxClasses: 5, maxPoints: 1000};"
        "console.log(JSON.stringify({text, back: decodePoints(text, [-6, 6], 5, 400),"
        " bad: decodePoints(text.slice(1), [-6, 6], 5, 400),"
        " ok: parsePointsCsv('x1,x2,class\\n1.234,2,0\\n# note\\n\\n3,-4,3\\n', opts),"
        " word: parsePointsCsv('x1,x2,class\\n1,2,0\\n3,abc,1\\n', opts),"
        " range: parsePointsCsv('1,2,0\\n1,7,1\\n', opts),"
        " cls: parsePointsCsv('1,2,0\\n1,1,5\\n', opts),"
        " count: parsePointsCsv('1,2\\n', opts)}));")
    assert len(result["text"]) == 5 * 4
    assert result["back"] == [[-6, 6, 0], [5.99, -0.01, 4], [0.5, 1.25, 2], [-0.07, 3.33, 1]]
    assert result["bad"] is None
    assert result["ok"] == {"points": [[1.23, 2, 0], [3, -4, 3]]}
    assert result["word"]["error"].startswith("line 3:")
    assert result["range"]["error"].startswith("line 2:")
    assert result["cls"]["error"].startswith("line 2:")
    assert result["count"]["error"].startswith("line 1:")


def test_own_trainers_are_private_reused_and_a_seat_moves_to_another_optimizer() -> None:
    from server.training.engine import Architecture
    from server.training.scheduler import Scheduler
    from server.training.stack import SlotData

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (8, 2)).astype(np.float32)
    y = np.where(x[:, 0] > 0, 1.0, -1.0)
    data = SlotData(x, y, x, y, 4)
    adam = Architecture(2, (3,), "tanh", "tanh", optimizer="adam")
    weights = [rng.uniform(-0.5, 0.5, (2, 3)).astype(np.float32), np.zeros(3, np.float32),
               rng.uniform(-0.5, 0.5, (3, 1)).astype(np.float32), np.zeros(1, np.float32)]
    scheduler = Scheduler(workers=1)
    try:
        first = scheduler.seat(adam, data, weights, 0.03)
        plain = scheduler.seat(Architecture(2, (3,), "tanh", "tanh"), data, weights, 0.03)
        assert first.stack is not plain.stack  # nobody joins a run's own trainer
        first.train(3)
        plain.train(3)
        trainer = first.own
        first.leave()
        second = scheduler.seat(adam, data, weights, 0.03)
        assert second.own is trainer  # kept for the next run of that shape: no compiling
        trained = second.train(2).weights
        scheduler.reseat(second, Architecture(2, (3,), "tanh", "tanh", optimizer="sgd"))
        assert second.own is None and second.stack is not None
        assert all(np.array_equal(a, b) for a, b in zip(second.weights, trained, strict=True))
        assert second.train(1).epochs == 1
    finally:
        scheduler.close()
