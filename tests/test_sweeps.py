"""Sweeps: many runs of one spec with a setting varied, their stream, their store, and the
TensorBoard event files every run writes (read back with TensorBoard's own reader)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app, shutdown
from server.config import Config
from server.runs.sweeps import MAX_SWEEP_RUNS
from tests.sse import SSEStream

RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 10]
# A regression's output is linear, so its loss has no bound: at a rate of 10 it blows up.
DIVERGING_BASE = {"problem": "regression", "regDataset": "reg-plane", "seed": "0.42"}


def _wait(condition: Callable[[], Any], timeout: float = 180.0, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError("condition not met in time")


def _create(client: FlaskClient, body: dict[str, Any], query: str = "") -> dict[str, Any]:
    response = client.post(f"/api/sweeps{query}", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _without(spec: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k not in keys}


def test_six_learning_rates_make_six_runs_that_differ_only_in_the_rate_and_the_largest_diverges(
        client: FlaskClient) -> None:
    sweep = _create(client, {"base": DIVERGING_BASE, "vary": {"learningRate": RATES}})
    runs = sweep["runs"]
    assert [run["settings"] for run in runs] == [{"learningRate": rate} for rate in RATES]
    assert [run["spec"]["learningRate"] for run in runs] == RATES
    assert len({run["id"] for run in runs}) == 6
    others = [_without(run["spec"], "learningRate") for run in runs]
    assert all(spec == others[0] for spec in others) and others[0]["seed"] == "0.42"
    # Same seed, same data: every run's points are the same.
    details = [client.get(f"/api/runs/{run['id']}").get_json() for run in runs]
    assert all(d["setup"]["train"] == details[0]["setup"]["train"] for d in details)
    assert client.get("/api/runs").get_json()["runs"][-1]["id"] in {r["id"] for r in runs}

    def progressed() -> list[dict[str, Any]] | None:
        now = client.get(f"/api/sweeps/{sweep['id']}").get_json()["runs"]  # also keeps them
        largest, rest = now[-1], now[:-1]
        trained = all(r["state"] == "running" and r["epoch"] >= 50 for r in rest)
        return now if largest["state"] == "diverged" and trained else None

    final = _wait(progressed)
    assert final[-1]["metrics"]["trainLoss"] is None  # NaN is null in JSON
    for run, first in zip(final[:-1], runs[:-1], strict=True):
        assert run["metrics"]["trainLoss"] < first["metrics"]["trainLoss"]


def test_a_sweep_over_two_settings_is_a_grid_row_by_row(client: FlaskClient) -> None:
    sweep = _create(client, {"base": {"seed": "1"}, "vary": {
        "activation": ["tanh", "relu"], "networkShape": [[2], [4], [4, 2]]}}, "?state=paused")
    assert [run["settings"] for run in sweep["runs"]] == [
        {"activation": a, "networkShape": s}
        for a in ("tanh", "relu") for s in ([2], [4], [4, 2])]
    assert all(run["state"] == "paused" for run in sweep["runs"])
    listed = client.get("/api/sweeps").get_json()["sweeps"]
    assert {"id": sweep["id"], "runs": 6} .items() <= next(
        s for s in listed if s["id"] == sweep["id"]).items()
    answer = client.patch(f"/api/sweeps/{sweep['id']}", json={"state": "running"}).get_json()
    assert all(run["state"] == "running" for run in answer["runs"])


def test_deleting_a_sweep_deletes_its_runs_and_their_event_files(
        client: FlaskClient, app: Flask) -> None:
    sweep = _create(client, {"vary": {"learningRate": [0.01, 0.1]}})
    ids = [run["id"] for run in sweep["runs"]]
    _wait(lambda: all(client.get(f"/api/runs/{i}").get_json()["epoch"] > 0 for i in ids))
    board = app.extensions["tensorboard"]
    board.flush()
    assert all(board.run_folder(i).is_dir() for i in ids)
    assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 204
    assert client.get(f"/api/sweeps/{sweep['id']}").status_code == 404
    assert [client.get(f"/api/runs/{i}").status_code for i in ids] == [404, 404]
    assert not any(board.run_folder(i).exists() for i in ids)
    assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 404


def test_a_sweep_gives_its_runs_loss_histories_when_asked_thinned(client: FlaskClient) -> None:
    from server.api.sweeps_api import MAX_HISTORY_POINTS, thinned

    sweep = _create(client, {"vary": {"learningRate": [0.03, 0.3]}})
    url = f"/api/sweeps/{sweep['id']}"
    _wait(lambda: all(len(r["history"]["losses"]) >= 3
                      for r in client.get(f"{url}?history=1").get_json()["runs"]))
    assert all("history" not in run for run in client.get(url).get_json()["runs"])
    for run in client.get(f"{url}?history=1").get_json()["runs"]:
        epochs = [row[0] for row in run["history"]["losses"]]
        assert epochs == sorted(epochs) and len(epochs) <= MAX_HISTORY_POINTS
    rows = [[i, 1.0, 2.0] for i in range(2001)]
    cut = thinned({"losses": rows, "iteration": list(range(2001)), "x": 3})
    assert len(cut["losses"]) == MAX_HISTORY_POINTS and cut["losses"][-1] == [2000, 1.0, 2.0]
    assert [row[0] for row in cut["losses"]] == cut["iteration"] and cut["x"] == 3


def test_a_run_deleted_on_its_own_shows_as_deleted_in_its_sweep(client: FlaskClient) -> None:
    sweep = _create(client, {"vary": {"learningRate": [0.01, 0.1]}}, "?state=paused")
    client.delete(f"/api/runs/{sweep['runs'][0]['id']}")
    runs = client.get(f"/api/sweeps/{sweep['id']}").get_json()["runs"]
    assert [run["state"] for run in runs] == ["deleted", "paused"]


@pytest.mark.parametrize(("body", "field", "reason"), [
    ({"vary": {"learningRat": [0.1, 1]}}, "vary.learningRat", "unknown field"),
    ({"vary": {"learningRate": [0.1, 100]}}, "vary.learningRate", "100: must be from"),
    ({"vary": {"activation": ["relu", "mish"]}}, "vary.activation", '"mish"'),
    ({"vary": {"networkShape": [[2], [4, 99]]}}, "vary.networkShape", "[4, 99]"),
    ({"vary": {"learningRate": [0.001 * i for i in range(1, MAX_SWEEP_RUNS + 2)]}},
     "vary.learningRate", f"at most {MAX_SWEEP_RUNS} runs"),
    ({"vary": {"learningRate": [0.1, 0.3, 1, 3, 10], "activation": ["relu", "tanh", "linear",
                                                                    "sigmoid"]}},
     "vary", "= 20"),
    ({"vary": {"learningRate": [0.1], "noise": [0], "batchSize": [1]}}, "vary", "at most 2"),
    ({"vary": {"learningRate": [0.1, 0.1]}}, "vary.learningRate", "listed twice"),
    ({"vary": {"learningRate": []}}, "vary.learningRate", "non-empty list"),
    ({"vary": {"learningRate": 0.1}}, "vary.learningRate", "non-empty list"),
    ({"vary": {"problem": ["mnist", "fitting"]}}, "vary.problem", "one problem"),
    ({"vary": []}, "vary", "one or two fields"),
    ({}, "vary", "one or two fields"),
    ({"base": {"noise": 99}, "vary": {"learningRate": [0.1]}}, "base.noise", "from 0 to 80"),
    ({"base": {"problem": "chess"}, "vary": {"learningRate": [0.1]}}, "base.problem", ""),
    ({"base": [], "vary": {"learningRate": [0.1]}}, "base", "spec object"),
    ({"base": {}, "vary": {"learningRate": [0.1]}, "extra": 1}, "extra", "unknown field"),
    ({"base": {"problem": "fitting"}, "vary": {"model": ["linear", "tree"]}}, "vary.model",
     '"tree"'),
])
def test_bad_sweeps_are_400_naming_the_field(client: FlaskClient, body: dict[str, Any],
                                             field: str, reason: str) -> None:
    before = len(client.get("/api/runs").get_json()["runs"])
    response = client.post("/api/sweeps", json=body)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["field"] == field and reason in answer["error"], answer
    assert len(client.get("/api/runs").get_json()["runs"]) == before  # nothing was started


def test_a_sweep_that_would_not_fit_is_429_and_starts_nothing(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path, warm_up=False, max_runs=3))
    try:
        client = app.test_client()
        response = client.post("/api/sweeps", json={"vary": {"learningRate": [0.01, 0.1, 1, 3]}})
        assert response.status_code == 429
        assert client.get("/api/runs").get_json()["runs"] == []
    finally:
        shutdown(app)


def test_the_sweep_stream_carries_every_runs_snapshots_and_status(
        live_server: str, client: FlaskClient) -> None:
    sweep = _create(client, {"vary": {"learningRate": [0.01, 0.1, 1]}})
    ids = {run["id"] for run in sweep["runs"]}
    stream = SSEStream(f"{live_server}/api/sweeps/{sweep['id']}/events")
    seen_status, epochs = set(), {}
    try:
        for event in stream:
            if event.kind == "status":
                seen_status.add(event.data["run"])
            elif event.kind == "snapshot":
                epochs[event.data["run"]] = event.data["data"]["epoch"]
                assert "weights" in event.data["data"]
            if seen_status == ids and len(epochs) == 3 and min(epochs.values()) > 20:
                break
    finally:
        stream.close()
    assert set(epochs) == ids


def test_sweeps_are_kept_in_the_store_across_a_restart(tmp_path: Path) -> None:
    first = create_app(Config(data_dir=tmp_path, warm_up=False))
    sweep = _create(first.test_client(), {"vary": {"learningRate": [0.01, 0.1]}},
                    "?state=paused")
    shutdown(first)
    second = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        again = second.test_client().get(f"/api/sweeps/{sweep['id']}").get_json()
        assert [run["id"] for run in again["runs"]] == [run["id"] for run in sweep["runs"]]
        assert [run["settings"] for run in again["runs"]] == [
            {"learningRate": 0.01}, {"learningRate": 0.1}]
        assert all(run["state"] == "paused" for run in again["runs"])
    finally:
        shutdown(second)


def test_tensorboard_reads_every_runs_scalars_and_hparams_back(
        client: FlaskClient, app: Flask) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import metadata as hparams_metadata

    sweep = _create(client, {"base": {"seed": "7"}, "vary": {"learningRate": [0.03, 0.3]}})
    ids = [run["id"] for run in sweep["runs"]]
    _wait(lambda: all(client.get(f"/api/runs/{i}").get_json()["epoch"] >= 100 for i in ids))
    board = app.extensions["tensorboard"]
    time.sleep(1.2)  # two more rounds of the writer thread, which writes on its own
    for run_id, rate in zip(ids, [0.03, 0.3], strict=True):
        folder = board.run_folder(run_id)
        assert folder.parent == Path(app.config["PLAYGROUND"].data_dir) / "tensorboard"
        events = EventAccumulator(str(folder), size_guidance={"scalars": 0})
        events.Reload()
        tags = events.Tags()["scalars"]
        assert {"loss/train", "loss/test", "learningRate"} <= set(tags)
        train = events.Scalars("loss/train")
        assert len(train) >= 2 and train[-1].step > train[0].step  # written as it trained
        assert events.Scalars("learningRate")[-1].value == pytest.approx(rate)
        assert train[-1].value < train[0].value
        content = events.PluginTagToContent("hparams")[hparams_metadata.SESSION_START_INFO_TAG]
        start = hparams_metadata.parse_session_start_info_plugin_data(content)
        assert start.hparams["learningRate"].number_value == pytest.approx(rate)
        assert start.hparams["activation"].string_value == "tanh"
        assert start.hparams["networkShape"].string_value == "[4,2]"
        assert start.hparams["plugin"].string_value == "playground"
        assert start.hparams["problem"].string_value == "classification"
        assert start.group_name == run_id


def test_the_tensorboard_writer_is_throttled(client: FlaskClient, app: Flask) -> None:
    """At most a write every WRITE_PERIOD_S per run, however fast the run trains."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from server.runs.tensorboard_log import WRITE_PERIOD_S

    run = client.post("/api/runs", json={"seed": "3"}).get_json()
    started = time.monotonic()
    _wait(lambda: client.get(f"/api/runs/{run['id']}").get_json()["epoch"] >= 300)
    time.sleep(2.0)
    client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
    elapsed = time.monotonic() - started
    events = EventAccumulator(str(app.extensions["tensorboard"].run_folder(run["id"])),
                              size_guidance={"scalars": 0})
    events.Reload()
    writes = len(events.Scalars("loss/train"))
    epochs = client.get(f"/api/runs/{run['id']}").get_json()["epoch"]
    assert 2 <= writes <= elapsed / WRITE_PERIOD_S + 2
    assert writes < epochs / 10  # far fewer writes than epochs trained


def test_fuzzed_sweeps_are_never_a_5xx_and_a_made_sweep_has_one_run_per_combination(
        client: FlaskClient, app: Flask) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_fuzz import check, json_values, specs

    varies = st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(["learningRate", "activation", "networkShape", "noise",
                                         "seed", "preset", "bogus", "problem", ""]),
                        st.one_of(json_values, st.lists(json_values, max_size=5)),
                        max_size=3))
    bodies = st.fixed_dictionaries({"base": st.one_of(specs, json_values), "vary": varies})

    @settings(max_examples=40, deadline=None, suppress_health_check=[
        HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(body=bodies, paused=st.booleans())
    def fuzz(body: dict[str, Any], paused: bool) -> None:
        response = client.post(f"/api/sweeps{'?state=paused' if paused else ''}", json=body)
        check(response)
        if response.status_code == 201:
            sweep = response.get_json()
            expected = 1
            for values in body["vary"].values():
                expected *= len(values)
            assert len(sweep["runs"]) == expected
            assert client.delete(f"/api/sweeps/{sweep['id']}").status_code == 204

    fuzz()
    for suffix, method in [("", "GET"), ("", "PATCH"), ("", "DELETE"), ("/events", "GET")]:
        check(client.open(f"/api/sweeps/nope{suffix}", method=method, json={}))


class _FakeJob:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    def metrics(self) -> dict[str, Any]:
        return dict(self.values)


class _FakeRun:
    """Any run: the log reads only its id, kind, spec, epoch, state and job's metrics."""

    def __init__(self, run_id: str) -> None:
        self.id, self.kind, self.created_at = run_id, "anything", time.time()
        self.epoch, self.state, self.job = 0, "running", _FakeJob()

    def public_spec(self) -> dict[str, Any]:
        return {"rate": 0.5, "shape": [3, 2], "name": "x", "on": True, "none": None}


def test_the_tensorboard_log_knows_no_problem_and_writes_each_epoch_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import metadata as hparams_metadata

    from server.runs import tensorboard_log
    from server.runs.tensorboard_log import TensorBoardLog

    run = _FakeRun("run-a")
    log = TensorBoardLog(tmp_path, lambda: [run])
    log.write_round()
    assert not (tmp_path / "run-a").exists()  # nothing trained: no file
    monkeypatch.setattr(tensorboard_log, "CLOSE_AFTER_S", 0.0)  # every file closes at once
    for epoch, loss in [(5, 0.9), (5, 0.9), (9, 0.4), (9, 0.4)]:
        run.epoch = epoch
        run.job.values = {"trainLoss": loss, "testAccuracy": 0.75, "W": -2, "flag": True,
                          "testLoss": float("nan"), "label": "text"}
        log.write_round()
    run.state = "diverged"
    log.write_round()
    log.write_round()
    log.close()
    events = EventAccumulator(str(tmp_path / "run-a"), size_guidance={"scalars": 0})
    events.Reload()
    assert sorted(events.Tags()["scalars"]) == ["W", "accuracy/test", "loss/train"]
    assert [(s.step, s.value) for s in events.Scalars("loss/train")] == [
        (5, pytest.approx(0.9)), (9, pytest.approx(0.4))]
    content = events.PluginTagToContent("hparams")
    start = hparams_metadata.parse_session_start_info_plugin_data(
        content[hparams_metadata.SESSION_START_INFO_TAG])
    assert dict(start.hparams)["rate"].number_value == 0.5
    assert start.hparams["shape"].string_value == "[3,2]"
    assert start.hparams["on"].bool_value is True and "none" not in start.hparams
    end = hparams_metadata.parse_session_end_info_plugin_data(
        content[hparams_metadata.SESSION_END_INFO_TAG])
    assert end.status == api_pb2.STATUS_FAILURE
    log.forget("run-a")
    assert not (tmp_path / "run-a").exists()


def test_a_fitting_lesson_sweeps_like_the_playground(client: FlaskClient) -> None:
    sweep = _create(client, {"base": {"problem": "fitting", "dataset": "mystery"},
                             "vary": {"learningRate": [0.01, 0.1, 0.5]}})
    assert sweep["problem"] == "fitting" and sweep["page"] == "/fitting.html"
    specs = [run["spec"] for run in sweep["runs"]]
    assert [spec["learningRate"] for spec in specs] == [0.01, 0.1, 0.5]
    assert all(_without(s, "learningRate") == _without(specs[0], "learningRate") for s in specs)
    url = f"/api/sweeps/{sweep['id']}"
    _wait(lambda: all(r["epoch"] > 5 for r in client.get(url).get_json()["runs"]))


@pytest.mark.usefixtures("mnist")
def test_an_mnist_configuration_sweeps_presets(client: FlaskClient) -> None:
    sweep = _create(client, {"base": {"problem": "mnist", "trainImages": 1000, "seed": 3},
                             "vary": {"preset": ["softmax", "dense-relu"]}}, "?state=paused")
    assert [run["spec"]["preset"] for run in sweep["runs"]] == ["softmax", "dense-relu"]
    assert [len(run["spec"]["layers"]) for run in sweep["runs"]] != [0, 0]
    assert sweep["runs"][0]["spec"]["layers"] != sweep["runs"][1]["spec"]["layers"]
    response = client.post("/api/sweeps", json={"base": {"problem": "mnist"},
                                                "vary": {"preset": ["softmax", "resnet"]}})
    assert response.status_code == 400 and response.get_json()["field"] == "vary.preset"
