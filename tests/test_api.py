"""Every route of the HTTP API, and every way a request can be rejected."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from server.problems.playground.datasets import generate


def _wait(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _create(client: FlaskClient, **spec: Any) -> dict[str, Any]:
    response = client.post("/api/runs", json=spec)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _get(client: FlaskClient, run_id: str) -> dict[str, Any]:
    return client.get(f"/api/runs/{run_id}").get_json()


def test_catalog_publishes_choices_limits_and_the_playground_defaults(client: FlaskClient) -> None:
    document = client.get("/api/catalog").get_json()
    assert [(p["key"], p["page"]) for p in document["problems"]] == [
        ("playground", "/"), ("fitting", "/fitting.html"), ("mnist", "/mnist.html"),
        ("orientation", "/orientation.html")]
    catalog = document["playground"]
    assert [p["key"] for p in catalog["problemTypes"]] == ["classification", "regression"]
    assert [d["key"] for d in catalog["datasets"]["classification"]] == [
        "circle", "xor", "gauss", "spiral",  # the classic's, then many classes (issue 16)
        "spiral3", "blobs3", "blobs4", "blobs5", "pie3", "pie4", "pie5"]
    assert [d["key"] for d in catalog["datasets"]["regression"]] == ["reg-plane", "reg-gauss"]
    assert [f["key"] for f in catalog["features"]] == [
        "x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY"]
    assert [a["key"] for a in catalog["activations"]] == [
        "relu", "tanh", "sigmoid", "linear", "leakyRelu", "elu", "swish", "softplus"]
    assert [r["key"] for r in catalog["regularizations"]] == ["none", "L1", "L2"]
    assert catalog["learningRates"] == [
        0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
    assert catalog["regularizationRates"] == [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
    assert catalog["limits"]["hiddenLayers"] == {"min": 0, "max": 6}
    assert catalog["limits"]["neurons"] == {"min": 1, "max": 8}
    assert catalog["limits"]["batchSize"] == {"min": 1, "max": 30}
    assert catalog["limits"]["noise"] == {"min": 0, "max": 80, "step": 5, "sliderMax": 50}
    assert catalog["limits"]["percTrainData"] == {"min": 10, "max": 90, "step": 10}
    defaults = catalog["defaults"]
    assert defaults["networkShape"] == [4, 2] and defaults["activation"] == "tanh"
    assert defaults["learningRate"] == 0.03 and defaults["batchSize"] == 10
    assert defaults["percTrainData"] == 50 and defaults["x"] and defaults["y"]


def test_create_returns_the_points_of_the_seeded_data_set(client: FlaskClient) -> None:
    run = _create(client, dataset="spiral", noise=20, percTrainData=30, seed="0.59")
    split = generate("spiral", 20, 30, "0.59")
    assert np.array_equal(np.array(run["setup"]["train"]), split.train)
    assert np.array_equal(np.array(run["setup"]["test"]), split.test)
    assert run["spec"]["seed"] == "0.59" and run["spec"]["networkShape"] == [4, 2]
    assert run["setup"]["features"] == ["x", "y"] and run["state"] == "running"
    assert run["modelUrl"] == f"/api/runs/{run['id']}/model.json"
    assert len(run["id"]) >= 22  # ≥ 128 random bits, url-safe


@pytest.mark.parametrize(("noise", "perc"), [(12, 33), (70, 50), (12.5, 33.3), (80, 90)])
def test_a_links_noise_and_ratio_are_used_as_they_are(client: FlaskClient, noise: float,
                                                     perc: float) -> None:
    # The classic takes `noise=12&percTrainData=33` from a link as they are (its sliders
    # step by 5 and 10, its links to noise 80): the same data, not the nearest step's.
    run = _create(client, dataset="circle", noise=noise, percTrainData=perc, seed="0.4")
    split = generate("circle", noise, perc, "0.4")
    assert np.array_equal(np.array(run["setup"]["train"]), split.train)
    assert np.array_equal(np.array(run["setup"]["test"]), split.test)
    assert run["spec"]["noise"] == noise and run["spec"]["percTrainData"] == perc
    assert type(run["spec"]["noise"]) is type(noise)  # 12 reads back as 12, not 12.0
    assert not np.array_equal(split.train, generate("circle", 10, 30, "0.4").train)


def test_a_seed_is_chosen_when_left_out_and_regression_uses_regdataset(client: FlaskClient) -> None:
    run = _create(client, problem="regression", regDataset="reg-gauss", percTrainData=90)
    seed = run["spec"]["seed"]
    assert isinstance(seed, str) and seed
    assert len(run["setup"]["train"]) == 1080 and len(run["setup"]["test"]) == 120
    assert np.array_equal(np.array(run["setup"]["train"]), generate("reg-gauss", 0, 90, seed).train)


def test_the_run_trains_and_its_loss_falls(client: FlaskClient) -> None:
    # With x² and y² the circle is separable by the first layer, so no random start gets stuck
    # (the default x, y network lands in a poor minimum about once in 60 starts).
    run = _create(client, seed="0.3", xSquared=True, ySquared=True)
    state = _wait(lambda: (s := _get(client, run["id"]))["epoch"] >= 300 and s)
    assert state["metrics"]["testLoss"] < 0.05
    assert client.get("/api/runs").get_json()["runs"][0]["id"] == run["id"]


def test_pause_then_step_trains_exactly_one_epoch(client: FlaskClient, app: Any) -> None:
    run = _create(client)
    paused = client.patch(f"/api/runs/{run['id']}", json={"state": "paused"}).get_json()
    assert paused["state"] == "paused"
    events = app.extensions["runs"].get(run["id"]).events
    status = events.since(0)[-1]  # the pause is the last event: nothing trained after it
    assert status.kind == "status" and status.data == {"state": "paused", "epoch": paused["epoch"]}
    assert _get(client, run["id"])["epoch"] == paused["epoch"]
    stepped = client.post(f"/api/runs/{run['id']}/step").get_json()
    assert stepped["epoch"] == paused["epoch"] + 1
    # Every chunk of training publishes a snapshot: the step's is the only event since the pause.
    [snapshot] = events.since(status.id)
    assert snapshot.id == status.id + 1 and snapshot.kind == "snapshot"
    assert snapshot.data["epoch"] == paused["epoch"] + 1
    assert client.post(f"/api/runs/{run['id']}/step").get_json()["epoch"] == paused["epoch"] + 2
    assert [(e.id, e.data["epoch"]) for e in events.since(status.id)] == [
        (status.id + 2, paused["epoch"] + 2)]
    resumed = client.patch(f"/api/runs/{run['id']}", json={"state": "running"}).get_json()
    assert resumed["state"] == "running"
    _wait(lambda: _get(client, run["id"])["epoch"] > paused["epoch"] + 2)


def test_step_while_running_is_a_conflict(client: FlaskClient) -> None:
    run = _create(client)
    response = client.post(f"/api/runs/{run['id']}/step")
    assert response.status_code == 409 and response.get_json()["field"] == "state"


def test_learning_rate_change_keeps_the_trained_weights(client: FlaskClient, app: Any) -> None:
    run = _create(client)
    paused = client.patch(f"/api/runs/{run['id']}", json={"state": "paused"}).get_json()
    registry = app.extensions["runs"]
    before = registry.get(run["id"]).job.latest_weights()[1]
    changed = client.patch(f"/api/runs/{run['id']}",
                           json={"learningRate": 0.3, "regularizationRate": 0.01}).get_json()
    assert changed["metrics"]["learningRate"] == 0.3
    assert changed["metrics"]["regularizationRate"] == 0.01
    assert changed["epoch"] == paused["epoch"]
    after = registry.get(run["id"]).job.latest_weights()[1]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_an_edited_weight_and_bias_reach_the_run(client: FlaskClient, app: Any) -> None:
    run = _create(client)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    response = client.patch(f"/api/runs/{run['id']}", json={
        "weights": [{"layer": 1, "input": 3, "unit": 0, "value": 2.5}],
        "biases": [{"layer": 2, "unit": 0, "value": -0.75}],
    })
    assert response.status_code == 200
    live = app.extensions["runs"].get(run["id"])
    _, weights = _wait(lambda: (w := live.job.latest_weights())[1][2][3, 0] == 2.5 and w)
    assert weights[5][0] == -0.75
    stepped = client.post(f"/api/runs/{run['id']}/step").get_json()
    assert stepped["state"] == "paused"
    assert live.job.latest_weights()[1][2][3, 0] != 2.5  # trained on from the edited value


def test_delete_stops_and_removes(client: FlaskClient) -> None:
    run = _create(client)
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204
    for method in (client.get, client.delete, client.patch):
        response = method(f"/api/runs/{run['id']}")
        assert response.status_code == 404 and response.get_json()["field"] == "id"


def test_model_json_is_the_tfjs_layers_format_with_its_weights(client: FlaskClient) -> None:
    run = _create(client, networkShape=[3], xSquared=True)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    model = client.get(f"/api/runs/{run['id']}/model.json").get_json()
    assert model["format"] == "layers-model"
    manifest = model["weightsManifest"][0]
    assert manifest["paths"] == ["group1-shard1of1.bin"]
    assert [w["shape"] for w in manifest["weights"]] == [[3, 3], [3], [3, 1], [1]]
    weights = client.get(f"/api/runs/{run['id']}/group1-shard1of1.bin").data
    assert len(weights) == 4 * (9 + 3 + 3 + 1)
    assert client.get(f"/api/runs/{run['id']}/other.bin").status_code == 404


def test_export_zip_holds_model_keras_and_metadata(client: FlaskClient, tmp_path: Path) -> None:
    import keras

    run = _create(client, seed="0.2")
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    response = client.get(f"/api/runs/{run['id']}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"model.json", "group1-shard1of1.bin", "model.keras", "metadata.json"} <= names
    metadata = json.loads(archive.read("metadata.json"))
    summary = _get(client, run["id"])
    assert metadata["spec"]["seed"] == "0.2" and metadata["features"] == ["x", "y"]
    assert metadata["inputRange"] == [-6.0, 6.0] and metadata["epoch"] == summary["epoch"]
    assert metadata["testLoss"] == pytest.approx(summary["metrics"]["testLoss"])
    path = tmp_path / "model.keras"
    path.write_bytes(archive.read("model.keras"))
    model = keras.models.load_model(path)
    test = np.array(run["setup"]["test"])
    prediction = model.predict(test[:, :2].astype(np.float32), verbose=0)[:, 0]
    assert np.mean(0.5 * (prediction - test[:, 2]) ** 2) == pytest.approx(
        summary["metrics"]["testLoss"], rel=1e-4)


BAD_SPECS = [
    ({"bogus": 1}, "bogus"),
    ({"problem": "clustering"}, "problem"),
    ({"dataset": "moons"}, "dataset"),
    ({"dataset": "reg-plane"}, "dataset"),
    ({"regDataset": "circle"}, "regDataset"),
    ({"noise": 81}, "noise"),
    ({"noise": -5}, "noise"),
    ({"noise": "10"}, "noise"),
    ({"noise": True}, "noise"),
    ({"percTrainData": 95}, "percTrainData"),
    ({"percTrainData": 9.99}, "percTrainData"),
    ({"percTrainData": True}, "percTrainData"),
    ({"seed": 0.59}, "seed"),
    ({"seed": ""}, "seed"),
    ({"seed": "x" * 65}, "seed"),
    ({"batchSize": 0}, "batchSize"),
    ({"batchSize": 31}, "batchSize"),
    ({"x": "true"}, "x"),
    ({"sinY": 1}, "sinY"),
    ({"x": False, "y": False}, "x"),
    ({"networkShape": "4,2"}, "networkShape"),
    ({"networkShape": [4, 0]}, "networkShape"),
    ({"networkShape": [4, 9]}, "networkShape"),
    ({"networkShape": [1] * 7}, "networkShape"),
    ({"networkShape": [2.5]}, "networkShape"),
    ({"activation": "softmax"}, "activation"),
    ({"regularization": "L3"}, "regularization"),
    ({"regularization": None}, "regularization"),
    ({"regularizationRate": -1}, "regularizationRate"),
    ({"regularizationRate": 11}, "regularizationRate"),
    ({"learningRate": 0}, "learningRate"),
    ({"learningRate": 100}, "learningRate"),
    ({"learningRate": "fast"}, "learningRate"),
    ({"cosX": False}, "cosX"),
]


@pytest.mark.parametrize(("spec", "field"), BAD_SPECS)
def test_bad_specs_are_400_naming_the_field(client: FlaskClient, spec: dict, field: str) -> None:
    response = client.post("/api/runs", json=spec)
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["error"]


@pytest.mark.parametrize(("body", "field"), [
    ("[1, 2]", "spec"), ("{", "body"), ("null", "spec"), ('"circle"', "spec")])
def test_bodies_that_are_not_objects_are_400(client: FlaskClient, body: str, field: str) -> None:
    response = client.post("/api/runs", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == field


BAD_PATCHES = [
    ({"learningRate": 0}, "learningRate"),
    ({"learningRate": None}, "learningRate"),
    ({"regularizationRate": -0.1}, "regularizationRate"),
    ({"state": "stopped"}, "state"),
    ({"state": 1}, "state"),
    ({"networkShape": [3]}, "networkShape"),
    ({"weights": {"layer": 0}}, "weights"),
    ({"weights": [{"layer": 3, "input": 0, "unit": 0, "value": 1}]}, "weights.layer"),
    ({"weights": [{"layer": 0, "input": 2, "unit": 0, "value": 1}]}, "weights.input"),
    ({"weights": [{"layer": 0, "input": 0, "unit": 4, "value": 1}]}, "weights.unit"),
    ({"weights": [{"layer": 0, "input": 0, "unit": 0, "value": "1"}]}, "weights.value"),
    ({"weights": [{"layer": 0, "input": 0, "unit": 0, "value": 1e9}]}, "weights.value"),
    ({"biases": [{"layer": 2, "unit": 1, "value": 0}]}, "biases.unit"),
    ({"biases": [{"layer": -1, "unit": 0, "value": 0}]}, "biases.layer"),
]


@pytest.mark.parametrize(("patch", "field"), BAD_PATCHES)
def test_bad_patches_are_400_and_change_nothing(client: FlaskClient, patch: dict,
                                                field: str) -> None:
    run = _create(client)
    response = client.patch(f"/api/runs/{run['id']}", json=patch)
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert _get(client, run["id"])["metrics"]["learningRate"] == 0.03


def test_unknown_run_ids_are_404_on_every_route(client: FlaskClient) -> None:
    for method, path in [
        (client.get, "/api/runs/nope"), (client.patch, "/api/runs/nope"),
        (client.delete, "/api/runs/nope"), (client.post, "/api/runs/nope/step"),
        (client.get, "/api/runs/nope/events"), (client.get, "/api/runs/nope/model.json"),
        (client.get, "/api/runs/nope/group1-shard1of1.bin"),
        (client.get, "/api/runs/nope/export.zip"),
    ]:
        response = method(path)
        assert response.status_code == 404, path
        assert response.get_json()["field"] == "id"


def test_unknown_api_routes_and_methods_answer_json(client: FlaskClient) -> None:
    assert client.get("/api/nothing").get_json()["error"]
    response = client.put("/api/runs")
    assert response.status_code == 405 and response.get_json()["error"]


def test_oversized_bodies_are_413(client: FlaskClient) -> None:
    response = client.post("/api/runs", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                           content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]


def test_a_nan_loss_marks_the_run_diverged_and_the_server_stays_healthy(
        client: FlaskClient) -> None:
    run = _create(client, problem="regression", learningRate=10, activation="relu")
    final = _wait(lambda: (s := _get(client, run["id"]))["state"] == "diverged" and s)
    # The blown-up loss (NaN or ±inf) is null: JSON has no NaN, and browsers refuse it.
    assert final["metrics"]["trainLoss"] is None
    assert "NaN" not in client.get(f"/api/runs/{run['id']}").get_data(as_text=True)
    patch = client.patch(f"/api/runs/{run['id']}", json={"state": "running"})
    assert patch.status_code == 409
    assert client.get(f"/api/runs/{run['id']}/model.json").status_code == 200
    # Its last healthy weights stay downloadable; the loss it blew up with is null.
    export = client.get(f"/api/runs/{run['id']}/export.zip")
    assert export.status_code == 200
    metadata = json.loads(zipfile.ZipFile(io.BytesIO(export.data)).read("metadata.json"))
    assert metadata["trainLoss"] is None and metadata["problem"] == "playground"
    assert _create(client)["state"] == "running"


def test_spiral_at_learning_rate_10_with_l2_diverges(client: FlaskClient) -> None:
    run = _create(client, dataset="spiral", learningRate=10, regularization="L2",
                  regularizationRate=1)
    _wait(lambda: _get(client, run["id"])["state"] == "diverged")


def test_idle_runs_are_stopped(client: FlaskClient, app: Any) -> None:
    registry = app.extensions["runs"]
    run = _create(client)
    live = registry.get(run["id"])
    live._last_touched -= 601  # as if nobody had looked for ten minutes
    assert registry.reap_idle() == [run["id"]]
    assert _get(client, run["id"])["state"] == "stopped"
    assert client.get(f"/api/runs/{run['id']}/export.zip").status_code == 200


def test_pages_are_served_with_a_content_security_policy(client: FlaskClient) -> None:
    response = client.get("/api/catalog")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/vendor/@tensorflow/tfjs/dist/tf.min.js").status_code == 200
    assert client.get("/vendor/seedrandom/seedrandom.js").status_code == 404
    assert client.get("/vendor/@tensorflow/tfjs/../../seedrandom/seedrandom.js").status_code == 404


def test_a_failure_in_training_stops_the_run_with_the_reason(client: FlaskClient,
                                                            app: Any) -> None:
    run = _create(client)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    live = app.extensions["runs"].get(run["id"])

    def broken(*, single_step: bool) -> Any:
        raise RuntimeError("out of memory")

    paused = _get(client, run["id"])
    live.job.train = broken
    # The step is taken by the paused training thread, fails there, and is released by it:
    # the answer comes once the run has stopped.
    response = client.post(f"/api/runs/{run['id']}/step")
    assert response.status_code == 200
    assert response.get_json()["state"] == "stopped"
    final = _get(client, run["id"])
    assert final["state"] == "stopped" and final["epoch"] == paused["epoch"]  # nothing trained
    statuses = [e.data for e in live.events.since(0) if e.kind == "status"]
    assert statuses[-1] == {"state": "stopped", "epoch": paused["epoch"],
                            "error": "training failed: out of memory"}
    assert client.get(f"/api/runs/{run['id']}/export.zip").status_code == 200
    assert client.post(f"/api/runs/{run['id']}/step").status_code == 409  # it has ended


def test_a_run_can_be_created_paused_with_its_untrained_network(client: FlaskClient,
                                                               app: Any) -> None:
    response = client.post("/api/runs?state=paused", json={"seed": "0.3"})
    assert response.status_code == 201 and response.get_json()["state"] == "paused"
    run_id = response.get_json()["id"]
    live = app.extensions["runs"].get(run_id)
    first = _wait(lambda: live.events.latest("snapshot"))
    # The log: the paused status, then the untrained network's snapshot, and nothing else.
    assert [(e.kind, e.data["epoch"]) for e in live.events.since(0)] == [
        ("status", 0), ("snapshot", 0)]
    assert live.events.since(0)[0].data["state"] == "paused"
    assert _get(client, run_id)["epoch"] == 0
    assert client.post(f"/api/runs/{run_id}/step").get_json()["epoch"] == 1
    # The step's snapshot is the very next event: no training happened before it.
    assert [(e.id, e.data["epoch"]) for e in live.events.since(first.id)] == [(first.id + 1, 1)]
    bad = client.post("/api/runs?state=stopped", json={})
    assert bad.status_code == 400 and bad.get_json()["field"] == "state"


def test_runs_of_one_network_share_the_export_topology_and_keep_their_own_weights(
        client: FlaskClient, app: Any) -> None:
    """The second run's model.json and weights come from the shared topology and its own
    weights, without a Keras model: byte for byte what converting a model of that network,
    loaded with its weights, gives."""
    from exporter.tfjs import to_tfjs

    first, second = (client.post("/api/runs?state=paused", json={
        "seed": seed, "networkShape": [3], "activation": "relu"}).get_json()
        for seed in ("a", "b"))  # paused: their weights hold still
    assert client.get(f"/api/runs/{first['id']}/model.json").status_code == 200
    served = json.loads(client.get(f"/api/runs/{second['id']}/model.json").data)
    data = client.get(f"/api/runs/{second['id']}/group1-shard1of1.bin").data
    job = app.extensions["runs"].get(second["id"]).job
    model = job.build_export_model()
    model.set_weights(job.latest_weights()[1])
    topology, expected = to_tfjs(model)
    assert served == json.loads(json.dumps(topology)) and data == expected
    first_data = client.get(f"/api/runs/{first['id']}/group1-shard1of1.bin").data
    assert first_data != data  # each run's own weights
