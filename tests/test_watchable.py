"""A run you can watch: its pace, its timeline and forks, Regenerate, initZero, accuracy."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from server.problems.playground.datasets import generate
from server.problems.playground.features import feature_matrix
from tests.polling import wait_for


def _create(client: FlaskClient, query: str = "", **spec: Any) -> dict[str, Any]:
    response = client.post(f"/api/runs{query}", json=spec)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _get(client: FlaskClient, run_id: str) -> dict[str, Any]:
    return client.get(f"/api/runs/{run_id}").get_json()


def _epoch_after(client: FlaskClient, run_id: str, seconds: float) -> int:
    """The epoch `seconds` after the first one was trained (its network compiled)."""
    wait_for(lambda: _get(client, run_id)["epoch"] >= 1)
    time.sleep(seconds)
    return _get(client, run_id)["epoch"]


def test_the_log_pace_is_the_default_and_slow_enough_to_watch(client: FlaskClient) -> None:
    run = _create(client, seed="0.5")
    assert run["spec"]["pace"] == "log"
    early = _epoch_after(client, run["id"], 1.5)
    # About 10^1.5 ≈ 32 epochs 1.5 s after the first (10^1.75 with the quarter second the
    # pace allows after a slow first epoch); a busy test machine only slows it.
    assert 3 <= early <= 100
    fast = _create(client, seed="0.5", pace="max")
    assert _epoch_after(client, fast["id"], 1.5) > 3 * early


def test_changing_the_pace_keeps_the_run_and_its_epoch(client: FlaskClient) -> None:
    run = _create(client, seed="0.5", pace="frame", frameRate=20)
    slow = _epoch_after(client, run["id"], 1.0)
    assert slow <= 40  # 20 epochs a second
    changed = client.patch(f"/api/runs/{run['id']}", json={"pace": "max"}).get_json()
    assert changed["id"] == run["id"] and changed["epoch"] >= slow
    assert changed["spec"]["pace"] == "max"
    wait_for(lambda: _get(client, run["id"])["epoch"] > slow + 2000)


@pytest.mark.parametrize(("patch", "field"), [
    ({"pace": "warp"}, "pace"), ({"frameRate": 0}, "frameRate"), ({"frameRate": "60"},
                                                                    "frameRate"),
    ({"seed": 5}, "seed"), ({"seed": "x" * 65}, "seed"),
])
def test_bad_live_changes_are_400_naming_the_field(client: FlaskClient, patch: dict,
                                                   field: str) -> None:
    run = _create(client, "?state=paused")
    response = client.patch(f"/api/runs/{run['id']}", json=patch)
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_snapshots_of_classification_carry_the_share_classified_right(client: FlaskClient,
                                                                      app: Any) -> None:
    run = _create(client, seed="0.3", pace="max", xSquared=True, ySquared=True)
    state = wait_for(lambda: (s := _get(client, run["id"]))["epoch"] >= 500 and s)
    metrics = state["metrics"]
    assert 0.9 <= metrics["trainAccuracy"] <= 1 and 0.9 <= metrics["testAccuracy"] <= 1
    # Checked against the points and weights directly.
    live = app.extensions["runs"].get(run["id"])
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    _, weights = live.job.latest_weights()
    split = generate("circle", 0, 50, "0.3")
    h = feature_matrix(split.train, ["x", "y", "xSquared", "ySquared"])
    for i in range(0, len(weights), 2):
        h = np.tanh(h @ weights[i] + weights[i + 1])
    expected = np.mean(np.where(h[:, 0] >= 0, 1, -1) == split.train[:, 2])
    assert _get(client, run["id"])["metrics"]["trainAccuracy"] == pytest.approx(expected)
    regression = _create(client, "?state=paused", problem="regression")
    assert "trainAccuracy" not in regression["metrics"]


def test_init_zero_starts_every_weight_and_bias_at_zero(client: FlaskClient, app: Any) -> None:
    run = _create(client, "?state=paused", initZero=True)
    assert run["spec"]["initZero"] is True
    events = app.extensions["runs"].get(run["id"]).events
    snapshot = wait_for(lambda: next((e for e in events.since(0) if e.kind == "snapshot"), None))
    flat = [v for kernel, bias in snapshot.data["weights"]
            for v in [*np.ravel(kernel), *bias]]
    assert flat and all(v == 0 for v in flat)


def test_regenerate_keeps_the_network_and_its_epoch_and_trains_on_new_points(
        client: FlaskClient, app: Any) -> None:
    run = _create(client, "?state=paused", seed="0.1")
    for _ in range(3):
        client.post(f"/api/runs/{run['id']}/step")
    job = app.extensions["runs"].get(run["id"]).job
    before = job.latest_weights()
    changed = client.patch(f"/api/runs/{run['id']}", json={"seed": None}).get_json()
    seed = changed["spec"]["seed"]
    assert seed != "0.1" and len(seed) == 7 and changed["epoch"] == 3
    after = job.latest_weights()
    for a, b in zip(before[1], after[1], strict=True):
        np.testing.assert_array_equal(a, b)
    details = _get(client, run["id"])
    assert details["setup"]["train"] == generate("circle", 0, 50, seed).train.tolist()
    stepped = client.post(f"/api/runs/{run['id']}/step").get_json()
    assert stepped["epoch"] == 4
    named = client.patch(f"/api/runs/{run['id']}", json={"seed": "hello%20world"}).get_json()
    assert named["spec"]["seed"] == "hello%20world"


def test_the_timeline_is_log_spaced_and_a_fork_trains_on_from_a_kept_state(
        client: FlaskClient, app: Any) -> None:
    run = _create(client, seed="0.7", pace="max")
    wait_for(lambda: _get(client, run["id"])["epoch"] >= 3000)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused", "learningRate": 0.1})
    moments = client.get(f"/api/runs/{run['id']}/timeline").get_json()["moments"]
    epochs = [m["epoch"] for m in moments]
    assert epochs == sorted(set(epochs)) and epochs[0] == 0
    assert epochs[-1] == _get(client, run["id"])["epoch"]
    assert 10 <= len(epochs) <= 300
    early = moments[3]
    response = client.post(f"/api/runs/{run['id']}/fork?state=paused",
                           json={"epoch": early["epoch"]})
    assert response.status_code == 201, response.get_json()
    fork = response.get_json()
    assert fork["id"] != run["id"] and fork["epoch"] == early["epoch"]
    assert fork["forkedFrom"] == {"run": run["id"], "epoch": early["epoch"]}
    assert fork["spec"]["seed"] == "0.7" and fork["setup"]["train"] == _get(
        client, run["id"])["setup"]["train"]
    assert fork["metrics"]["learningRate"] == 0.1  # the rates as they are now
    forked_job = app.extensions["runs"].get(fork["id"]).job
    epoch, weights = forked_job.latest_weights()
    assert epoch == early["epoch"]
    for (kernel, bias), (w, b) in zip(early["weights"], zip(weights[::2], weights[1::2],
                                                            strict=True), strict=True):
        np.testing.assert_allclose(w, kernel, rtol=0, atol=1e-7)
        np.testing.assert_allclose(b, bias, rtol=0, atol=1e-7)
    stepped = client.post(f"/api/runs/{fork['id']}/step").get_json()
    assert stepped["epoch"] == early["epoch"] + 1
    fork_epochs = [m["epoch"] for m in
                   client.get(f"/api/runs/{fork['id']}/timeline").get_json()["moments"]]
    assert fork_epochs[-1] == early["epoch"] + 1 and max(fork_epochs[:-1]) <= early["epoch"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "epoch"), ({"epoch": -1}, "epoch"), ({"epoch": 10**9}, "epoch"), ([], "body"),
])
def test_bad_forks_are_400_naming_the_field(client: FlaskClient, body: Any, field: str) -> None:
    run = _create(client, "?state=paused")
    response = client.post(f"/api/runs/{run['id']}/fork", json=body)
    assert response.status_code == 400 and response.get_json()["field"] == field


def test_a_fork_of_an_epoch_that_was_not_kept_is_400(client: FlaskClient) -> None:
    run = _create(client, seed="0.7", pace="max")
    wait_for(lambda: _get(client, run["id"])["epoch"] >= 20_000, timeout=60)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    kept = {m["epoch"] for m in client.get(f"/api/runs/{run['id']}/timeline").get_json()[
        "moments"]}
    missing = next(e for e in range(1, 20_000) if e not in kept)
    response = client.post(f"/api/runs/{run['id']}/fork", json={"epoch": missing})
    assert response.status_code == 400 and response.get_json()["field"] == "epoch"
    assert "timeline" in response.get_json()["error"]


def test_the_timeline_is_saved_with_the_run(client: FlaskClient, app: Any) -> None:
    run = _create(client, "?state=paused", seed="0.2")
    for _ in range(5):
        client.post(f"/api/runs/{run['id']}/step")
    live = app.extensions["runs"].get(run["id"])
    live.checkpoint(force=True)
    record = app.extensions["store"].load(run["id"])
    assert [m["epoch"] for m in record.history["timeline"]["moments"]] == [0, 1, 2, 3, 4, 5]
