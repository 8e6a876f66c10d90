"""Resources one learner (or one attacker) can take: threads, runs kept, model size, steps.

Each test here failed on the server before these limits existed: paused runs held a
thread each, runs were kept without bound, an MNIST layer list could ask for
gigabytes and was built before any limit was checked, and a step racing a delete
waited two minutes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from server.app import create_app, shutdown
from server.config import Config
from server.problems.mnist import job as mnist_job
from server.problems.mnist.choices import MAX_PARAMETERS
from server.runs import run as run_module
from server.runs.run import Progress, RunRegistry


def _run_threads(app: Flask) -> list[str]:
    ids = {run.id[:6] for run in app.extensions["runs"].all()}
    return [t.name for t in threading.enumerate() if t.name[4:] in ids]


def _until(condition: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"{what} did not happen in {timeout:g} s"
        time.sleep(0.02)
    return value


@pytest.fixture
def kept_three(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(Config(data_dir=tmp_path, warm_up=False, max_runs=3))
    yield app
    shutdown(app)


def test_a_paused_run_holds_no_thread_and_a_resumed_one_gets_one_back(app: Flask) -> None:
    client = app.test_client()
    runs = [client.post("/api/runs?state=paused", json={"seed": str(i)}).get_json()
            for i in range(12)]
    # Each published its untrained network, then its thread ended.
    _until(lambda: not _run_threads(app), "every paused run's thread to end")
    assert all(client.get(f"/api/runs/{r['id']}").get_json()["metrics"]["trainLoss"]
               is not None for r in runs)
    first = runs[0]["id"]
    client.patch(f"/api/runs/{first}", json={"state": "running"})
    _until(lambda: client.get(f"/api/runs/{first}").get_json()["epoch"] > 20, "training")
    assert len(_run_threads(app)) == 1
    paused = client.patch(f"/api/runs/{first}", json={"state": "paused"}).get_json()
    _until(lambda: not _run_threads(app), "the paused run's thread to end")
    stepped = client.post(f"/api/runs/{first}/step").get_json()
    assert stepped["epoch"] == paused["epoch"] + 1  # the same network carries on
    _until(lambda: not _run_threads(app), "the stepped run's thread to end")


def test_past_the_runs_kept_the_oldest_stopped_run_waits_in_the_store(
        kept_three: Flask) -> None:
    client = kept_three.test_client()
    oldest, middle, newest = (client.post("/api/runs?state=paused", json={"seed": s}).get_json()
                              for s in ("a", "b", "c"))
    kept_three.extensions["runs"].get(middle["id"]).stop()
    fourth = client.post("/api/runs?state=paused", json={"seed": "d"})
    assert fourth.status_code == 201
    in_memory = {run.id for run in kept_three.extensions["runs"].all()}
    assert in_memory == {oldest["id"], newest["id"], fourth.get_json()["id"]}
    # Evicted, not lost: listed, and brought back by the first request that names it.
    listed = {r["id"]: r for r in client.get("/api/runs").get_json()["runs"]}
    assert listed[middle["id"]]["state"] == "stopped" and len(listed) == 4
    again = client.get(f"/api/runs/{middle['id']}").get_json()
    assert again["state"] == "stopped" and again["setup"]["train"] == middle["setup"]["train"]
    assert client.get(f"/api/runs/{middle['id']}/export.zip").status_code == 200


def test_when_every_kept_run_trains_a_new_run_gets_429(kept_three: Flask) -> None:
    client = kept_three.test_client()
    for seed in ("a", "b", "c"):
        assert client.post("/api/runs", json={"seed": seed}).status_code == 201
    refused = client.post("/api/runs?state=paused", json={"seed": "d"})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert "runs are kept" in refused.get_json()["error"]
    assert len(kept_three.extensions["runs"].all()) == 3


HUGE = [{"type": "conv", "filters": 128, "kernel": 9, "stride": 1},
        {"type": "dense", "units": 1024}]


def test_a_model_too_big_is_refused_naming_layers_before_anything_is_built(
        client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[Any] = []
    monkeypatch.setattr(mnist_job, "build_model", lambda *a, **k: built.append(a))
    response = client.post("/api/runs?state=paused", json={"problem": "mnist", "layers": HUGE})
    body = response.get_json()
    assert response.status_code == 400 and body["field"] == "layers"
    assert "102,782,218 weights" in body["error"] and f"{MAX_PARAMETERS:,}" in body["error"]
    wide = client.post("/api/runs?state=paused", json={
        "problem": "mnist", "batchSize": 1000,
        "layers": [{"type": "conv", "filters": 128, "kernel": 3, "stride": 1}]})
    assert wide.status_code == 400 and "activations" in wide.get_json()["error"]
    assert built == []


def test_the_runs_kept_limit_is_checked_before_the_model_is_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(Config(data_dir=tmp_path, warm_up=False, max_runs=1))
    try:
        client = app.test_client()
        assert client.post("/api/runs", json={}).status_code == 201
        called: list[Any] = []
        monkeypatch.setattr(mnist_job, "build_model", lambda *a, **k: called.append(a))
        refused = client.post("/api/runs", json={"problem": "mnist", "preset": "conv"})
        assert refused.status_code == 429 and called == []
    finally:
        shutdown(app)


def test_steps_racing_a_delete_all_answer_at_once(app: Flask) -> None:
    client = app.test_client()
    run = client.post("/api/runs?state=paused", json={}).get_json()
    _until(lambda: not _run_threads(app), "the paused run to settle")
    statuses: list[int] = []
    started = time.monotonic()

    def step() -> None:
        statuses.append(app.test_client().post(f"/api/runs/{run['id']}/step").status_code)

    steppers = [threading.Thread(target=step) for _ in range(30)]
    for thread in steppers[:15]:
        thread.start()
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204
    for thread in steppers[15:]:
        thread.start()
    for thread in steppers:
        thread.join(timeout=30)
    elapsed = time.monotonic() - started
    assert len(statuses) == 30 and set(statuses) <= {200, 404, 409}, statuses
    assert 404 in statuses  # the ones after the delete find no run
    assert elapsed < 5, f"steps waited {elapsed:.1f} s"
    # Deleted means gone: no racing step brought it back from the store.
    assert client.get(f"/api/runs/{run['id']}").status_code == 404
    assert run["id"] not in {r["id"] for r in client.get("/api/runs").get_json()["runs"]}


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 1e6


LARGE = [{"type": "conv", "filters": 64, "kernel": 5, "stride": 1}, {"type": "maxpool", "size": 2},
         {"type": "dense", "units": 256}]  # 3.2 million weights: two thirds of the limit


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads RSS from /proc")
def test_deleting_large_runs_gives_their_memory_back(app: Flask, mnist_npz: Path) -> None:
    """20 create/step/export/delete cycles of a large allowed model. Before, each cycle of
    a large model kept its whole footprint (1.6 GB for the largest the API then took);
    now what is left is TensorFlow's own caches, a few MB a cycle on average."""
    client = app.test_client()

    def cycle() -> None:
        run = client.post("/api/runs?state=paused", json={
            "problem": "mnist", "layers": LARGE, "trainImages": 1000}).get_json()
        assert client.post(f"/api/runs/{run['id']}/step").status_code == 200
        assert client.get(f"/api/runs/{run['id']}/model.json").status_code == 200
        assert client.delete(f"/api/runs/{run['id']}").status_code == 204

    for _ in range(3):  # the first cycles trace functions and load the data once
        cycle()
    before = _rss_mb()
    for _ in range(20):
        cycle()
    grown = _rss_mb() - before
    assert grown < 20 * 25, f"{grown:.0f} MB kept after 20 cycles"


class _HeavyJob:
    """A stand-in for a heavy job (MNIST): the queue and the run know it only as `heavy`."""

    heavy = True

    def __init__(self) -> None:
        self.trained = 0

    def describe(self) -> dict[str, Any]:
        return {}

    def start(self, events: Any) -> Progress:
        return Progress(0)

    def rest(self) -> None:
        pass

    def apply(self, changes: dict[str, Any]) -> None:
        pass

    def train(self, *, single_step: bool) -> Progress:
        time.sleep(0.01)
        self.trained += 1
        return Progress(self.trained)

    def publish(self) -> None:
        pass

    def latest_weights(self) -> tuple[int, list[Any]]:
        return self.trained, []

    def metrics(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass

    def history(self) -> Any:
        return None

    def restore(self, *args: Any) -> None:
        pass

    def build_export_model(self) -> Any:
        raise NotImplementedError

    def export_metadata(self) -> dict[str, Any]:
        return {}


def test_heavy_runs_queue_in_order_and_start_when_a_core_frees() -> None:
    registry = RunRegistry(idle_timeout_s=600, heavy_runs=1)
    try:
        first, second, third = (registry.create("heavy", {}, _HeavyJob()) for _ in range(3))
        _until(lambda: first.epoch > 3, "the first heavy run to train")
        _until(lambda: third.summary().get("queuePosition") == 2, "the third to queue")
        assert second.summary()["state"] == "queued" and second.summary()["queuePosition"] == 1
        assert second.epoch == third.epoch == 0  # they wait: nothing trains
        statuses = [e.data for e in third.events.since(0) if e.kind == "status"]
        assert {"state": "queued", "epoch": 0, "position": 2} in statuses
        first.update({}, "paused")  # frees the core: the next in line starts
        _until(lambda: second.state == "running" and second.epoch > 0, "the second to start")
        _until(lambda: third.summary().get("queuePosition") == 1, "the third to move up")
        third.update({}, "paused")  # a queued run can be paused: it leaves the queue
        assert third.state == "paused" and registry.cores.positions() == (1, 0)
    finally:
        registry.close()


def test_a_run_nobody_watches_rests_until_someone_does(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "UNWATCHED_S", 0.3)
    client = app.test_client()
    created = client.post("/api/runs", json={"seed": "rest"}).get_json()
    run = app.extensions["runs"].get(created["id"])  # the registry does not touch it
    _until(lambda: run.resting, "the unwatched run to rest")
    resting_at = run.epoch
    assert run.state == "running" and run.resting and run.epoch == resting_at
    client.get(f"/api/runs/{created['id']}")  # a learner looks again: it trains on
    _until(lambda: run.epoch > resting_at, "the run to train again")


def test_stopping_a_paused_run_gives_its_seat_back(app: Flask) -> None:
    """A paused run has no thread to close its job: stopping it (the idle reaper) must."""
    scheduler = app.extensions["scheduler"]

    def seats() -> int:
        return sum(count for _, count in scheduler.stacks())

    created = app.test_client().post("/api/runs?state=paused", json={"seed": "s"}).get_json()
    _until(lambda: not _run_threads(app), "the paused run's thread to end")
    held = seats()
    app.extensions["runs"].get(created["id"]).stop()
    assert seats() == held - 1
