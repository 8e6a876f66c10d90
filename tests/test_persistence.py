"""Runs outlive the server: restarts, kill -9, and a data directory that cannot be written."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from server.app import create_app, shutdown
from server.config import Config
from tests.conftest import REPO_ROOT


def _wait(condition: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_runs_come_back_after_a_restart_paused_and_exportable(tmp_path: Path) -> None:
    first = create_app(Config(data_dir=tmp_path, warm_up=False))
    client = first.test_client()
    training = client.post("/api/runs", json={"seed": "0.7"}).get_json()
    stopped = client.post("/api/runs", json={"dataset": "xor", "xTimesY": True}).get_json()
    _wait(lambda: client.get(f"/api/runs/{training['id']}").get_json()["epoch"] > 100)
    _wait(lambda: client.get(f"/api/runs/{stopped['id']}").get_json()["epoch"] > 100)
    registry = first.extensions["runs"]
    registry.get(stopped["id"]).stop()
    shutdown(first)  # the server shuts down while `training` trains
    last = registry.get(training["id"]).job.latest_weights()

    second = create_app(Config(data_dir=tmp_path, warm_up=False))
    client = second.test_client()
    try:
        runs = {r["id"]: r for r in client.get("/api/runs").get_json()["runs"]}
        assert set(runs) == {training["id"], stopped["id"]}
        assert runs[training["id"]]["state"] == "paused"
        assert runs[stopped["id"]]["state"] == "stopped"
        restored = second.extensions["runs"].get(training["id"])
        assert restored.epoch == last[0]
        for saved, now in zip(last[1], restored.job.latest_weights()[1], strict=True):
            assert (saved == now).all()
        details = client.get(f"/api/runs/{training['id']}").get_json()
        # The seed regenerates the same points.
        assert details["setup"]["train"] == training["setup"]["train"]
        assert client.get(f"/api/runs/{stopped['id']}/export.zip").status_code == 200
        assert client.patch(f"/api/runs/{stopped['id']}",
                            json={"state": "running"}).status_code == 409
        client.patch(f"/api/runs/{training['id']}", json={"state": "running"})
        _wait(lambda: client.get(f"/api/runs/{training['id']}").get_json()["epoch"]
              > last[0] + 50)
        assert client.delete(f"/api/runs/{stopped['id']}").status_code == 204
    finally:
        shutdown(second)
    third = create_app(Config(data_dir=tmp_path, warm_up=False))
    try:
        assert [s["id"] for s in third.extensions["runs"].summaries()] == [training["id"]]
    finally:
        shutdown(third)


def test_a_restored_mnist_run_carries_on_down_its_learning_rate_decay(tmp_path: Path,
                                                                      mnist_npz: Path) -> None:
    config = Config(data_dir=tmp_path, warm_up=False, mnist_path=mnist_npz)
    first = create_app(config)
    client = first.test_client()
    run = client.post("/api/runs", json={
        "problem": "mnist", "preset": "dense-relu-decay", "trainImages": 1000, "epochs": 200,
        "learningRateDecay": {"to": 0.0001, "steps": 50}}).get_json()
    _wait(lambda: client.get(f"/api/runs/{run['id']}").get_json()["metrics"].get("batch", 0) > 100)
    shutdown(first)
    saved = first.extensions["runs"].get(run["id"]).job.metrics()

    second = create_app(config)
    client = second.test_client()
    try:
        restored = client.get(f"/api/runs/{run['id']}").get_json()
        assert restored["state"] == "paused" and restored["metrics"]["batch"] == saved["batch"]
        stepped = client.post(f"/api/runs/{run['id']}/step").get_json()
        assert stepped["metrics"]["batch"] == saved["batch"] + 1
        # Far down the decay (0.0001 + 0.0029·e^(−step/50)), not back at 0.003.
        job = second.extensions["runs"].get(run["id"]).job
        iterations = int(job._require_trainer().optimizer.iterations.numpy())
        assert iterations == stepped["metrics"]["batch"]
        assert stepped["metrics"]["learningRate"] < 0.0001 + 0.0029 * np.exp(-2)
    finally:
        shutdown(second)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(data_dir: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
         "--data-dir", str(data_dir)],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    _wait(lambda: _get(port, "/api/health") is not None, timeout=120)
    return process


def _get(port: int, path: str) -> Any:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _post(port: int, path: str, body: dict) -> Any:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_kill_9_mid_training_loses_at_most_ten_seconds_and_corrupts_nothing(
        tmp_path: Path) -> None:
    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        run = _post(port, "/api/runs", {"seed": "0.5", "networkShape": [6, 6, 4]})
        # Past compilation first, so the run has trained well before the last ten seconds.
        _wait(lambda: _get(port, f"/api/runs/{run['id']}")["epoch"] > 0)
        samples: list[tuple[float, int]] = []
        started = time.monotonic()
        while time.monotonic() - started < 13:
            samples.append((time.monotonic(), _get(port, f"/api/runs/{run['id']}")["epoch"]))
            time.sleep(0.25)
        server.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    assert samples[-1][1] > 0
    with sqlite3.connect(tmp_path / "runs.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    port = _free_port()
    server = _serve(tmp_path, port)
    try:
        restored = _get(port, f"/api/runs/{run['id']}")
        assert restored["state"] == "paused"
        ten_seconds_before = max(e for t, e in samples if t <= killed_at - 10)
        assert ten_seconds_before > 0  # else the next line would hold for any saved epoch
        assert restored["epoch"] >= ten_seconds_before
        assert restored["setup"]["train"] == run["setup"]["train"]
        with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/runs/{run['id']}/export.zip", timeout=30) as r:
            assert r.status == 200 and len(r.read()) > 1000
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_an_unusable_data_directory_is_reported_and_the_server_keeps_serving(
        tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("in the way")
    app = create_app(Config(data_dir=not_a_directory, warm_up=False))
    client = app.test_client()
    try:
        health = client.get("/api/health").get_json()
        assert health["status"] == "degraded" and "--data-dir" in health["store"]["error"]
        run = client.post("/api/runs", json={}).get_json()
        _wait(lambda: client.get(f"/api/runs/{run['id']}").get_json()["epoch"] > 10)
    finally:
        shutdown(app)


def test_a_failing_disk_mid_run_is_reported_and_training_goes_on(tmp_path: Path) -> None:
    app = create_app(Config(data_dir=tmp_path, warm_up=False))
    client = app.test_client()
    store = app.extensions["store"]
    try:
        run = client.post("/api/runs", json={}).get_json()
        store._connection.close()  # the next write fails, as on a full or vanished disk
        client.patch(f"/api/runs/{run['id']}", json={"state": "paused"})
        health = client.get("/api/health").get_json()
        assert health["status"] == "degraded" and "cannot write" in health["store"]["error"]
        client.patch(f"/api/runs/{run['id']}", json={"state": "running"})
        epoch = client.get(f"/api/runs/{run['id']}").get_json()["epoch"]
        _wait(lambda: client.get(f"/api/runs/{run['id']}").get_json()["epoch"] > epoch + 50)
    finally:
        store._connection = None
        shutdown(app)


@pytest.mark.parametrize("bad", ["../../etc/passwd", "..%2F..%2Fetc", "a" * 300])
def test_ids_never_become_paths(client: Any, bad: str) -> None:
    response = client.get(f"/api/runs/{bad}/export.zip")
    assert response.status_code == 404


def test_exports_are_kept_under_the_data_directory(client: Any, app: Any) -> None:
    run = client.post("/api/runs", json={}).get_json()
    data = client.get(f"/api/runs/{run['id']}/export.zip").data
    kept = app.config["PLAYGROUND"].data_dir / "exports" / f"{run['id']}.zip"
    assert kept.read_bytes() == data
    assert not [p for p in kept.parent.iterdir() if p.name.endswith(".tmp")]
