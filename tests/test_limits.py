"""Limits are configuration; past one the answer is 429 or 413, and running runs go on."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from server.app import create_app, shutdown
from server.config import Config


@pytest.fixture
def small_app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(Config(data_dir=tmp_path, warm_up=False, max_streams=2))
    yield app
    shutdown(app)


def test_light_runs_are_never_refused_for_training(small_app: Flask) -> None:
    """The playground and the fitting lessons share the cores through the scheduler: a
    room of learners all train, however many (up to the runs kept)."""
    client = small_app.test_client()
    runs = [client.post("/api/runs", json={"seed": str(i)}) for i in range(12)]
    assert [r.status_code for r in runs] == [201] * 12
    fitting = client.post("/api/runs", json={"problem": "fitting"})
    assert fitting.status_code == 201
    ids = [r.get_json()["id"] for r in [*runs, fitting]]
    deadline = time.monotonic() + 60
    while not all(client.get(f"/api/runs/{i}").get_json()["epoch"] > 0 for i in ids):
        assert time.monotonic() < deadline, "every run to train"
        time.sleep(0.05)
    assert all(client.get(f"/api/runs/{i}").get_json()["state"] == "running" for i in ids)


def test_past_the_stream_limit_the_next_stream_gets_429_until_one_closes(
        small_app: Flask) -> None:
    client = small_app.test_client()
    run = client.post("/api/runs", json={}).get_json()
    url = f"/api/runs/{run['id']}/events"
    open_streams = [client.get(url, buffered=False) for _ in range(2)]
    assert [r.status_code for r in open_streams] == [200, 200]
    refused = client.get(url)
    assert refused.status_code == 429 and "streams" in refused.get_json()["error"]
    open_streams[0].close()  # closed before a byte was read: the slot still comes back
    again = client.get(url, buffered=False)
    assert again.status_code == 200
    again.close()
    open_streams[1].close()
    assert small_app.extensions["stream_slots"].open == 0


def test_request_bodies_over_1_mb_get_413(small_app: Flask) -> None:
    response = small_app.test_client().post(
        "/api/runs", data=b"[" + b"0," * 600_000 + b"0]", content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"]
