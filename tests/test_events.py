"""The event stream over the real WSGI server: framing, resume with Last-Event-ID, heartbeats."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest

from tests.sse import SSEStream, call


@pytest.fixture
def run(live_server: str) -> dict[str, Any]:
    # At full speed: these tests check that streams keep up with (and never slow) training.
    return call(live_server, "POST", "/api/runs", {"seed": "0.4", "networkShape": [4, 2],
                                                   "pace": "max"})


def events_url(base: str, run: dict[str, Any]) -> str:
    return f"{base}/api/runs/{run['id']}/events"


def test_framing_and_payloads(live_server: str, run: dict[str, Any]) -> None:
    stream = SSEStream(events_url(live_server, run))
    assert stream.response.status == 200
    assert stream.response.getheader("Content-Type").startswith("text/event-stream")
    assert stream.response.getheader("Cache-Control") == "no-cache"
    events = stream.take(6)
    stream.close()
    assert stream.retry == 1000
    assert events[0].kind == "status" and events[0].data == {"state": "running", "epoch": 0}
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    snapshots = [e.data for e in events if e.kind == "snapshot"]
    assert snapshots, "no snapshot arrived"
    epochs = [s["epoch"] for s in snapshots]
    assert epochs == sorted(epochs)
    shapes = [(len(k), len(k[0]), len(b)) for k, b in snapshots[-1]["weights"]]
    assert shapes == [(2, 4, 4), (4, 2, 2), (2, 1, 1)]
    assert isinstance(snapshots[-1]["trainLoss"], float)
    assert isinstance(snapshots[-1]["testLoss"], float)


def test_snapshots_are_rate_limited_and_carry_the_latest_epoch(live_server: str,
                                                               run: dict[str, Any]) -> None:
    stream = SSEStream(events_url(live_server, run))
    stream.take(3)  # past compilation and the first chunks
    started = time.monotonic()
    snapshots = []
    for event in stream:
        if event.kind == "snapshot":
            snapshots.append(event.data)
        if time.monotonic() - started > 2:
            break
    stream.close()
    assert 10 <= len(snapshots) <= 2 * 36
    assert snapshots[-1]["epoch"] - snapshots[0]["epoch"] > 100  # training outruns the stream


def test_resume_with_last_event_id_gets_every_missed_status(live_server: str,
                                                            run: dict[str, Any]) -> None:
    stream = SSEStream(events_url(live_server, run))
    seen = stream.take(2)
    stream.close()
    last_id = seen[-1].id
    path = f"/api/runs/{run['id']}"
    call(live_server, "PATCH", path, {"state": "paused"})
    call(live_server, "PATCH", path, {"state": "running"})
    paused = call(live_server, "PATCH", path, {"state": "paused"})
    stepped = call(live_server, "POST", path + "/step")

    resumed = SSEStream(events_url(live_server, run), last_event_id=last_id)
    missed = resumed.take(4)
    resumed.close()
    assert all(e.id > last_id for e in missed)
    statuses = [e.data["state"] for e in missed if e.kind == "status"]
    assert statuses == ["paused", "running", "paused"]
    assert missed[2].data["epoch"] == paused["epoch"]
    snapshot = missed[-1]
    assert snapshot.kind == "snapshot" and snapshot.data["epoch"] == stepped["epoch"]


def test_a_fresh_connection_gets_the_history_of_statuses_and_the_latest_snapshot(
        live_server: str, run: dict[str, Any]) -> None:
    paused = call(live_server, "PATCH", f"/api/runs/{run['id']}", {"state": "paused"})
    stream = SSEStream(events_url(live_server, run))
    events = stream.take(3)
    stream.close()
    assert [e.kind for e in events] == ["status", "snapshot", "status"]
    assert events[1].data["epoch"] == paused["epoch"] and events[2].data["state"] == "paused"


def test_heartbeat_comments_keep_an_idle_stream_open(live_server: str,
                                                     run: dict[str, Any]) -> None:
    call(live_server, "PATCH", f"/api/runs/{run['id']}", {"state": "paused"})
    stream = SSEStream(events_url(live_server, run))
    stream.take(3)
    comments = stream.take(2, kinds=("comment",), timeout=10)  # the test app beats every 1 s
    stream.close()
    assert [c.comment for c in comments] == ["heartbeat", "heartbeat"]


def test_a_stalled_client_slows_neither_training_nor_other_clients(
        live_server: str, run: dict[str, Any]) -> None:
    host, port = live_server.removeprefix("http://").split(":")
    stalled = socket.create_connection((host, int(port)))
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.sendall(f"GET /api/runs/{run['id']}/events HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    try:
        # The server is streaming to it (peeking leaves the bytes unread): from here on the
        # stalled client reads nothing and falls behind.
        stalled.settimeout(30)
        assert stalled.recv(15, socket.MSG_PEEK | socket.MSG_WAITALL) == b"HTTP/1.1 200 OK"
        stream = SSEStream(events_url(live_server, run))
        stream.take(2)
        start = call(live_server, "GET", f"/api/runs/{run['id']}")["epoch"]
        snapshots = [e.data for e in stream.take(15, kinds=("snapshot",), timeout=5)]
        stream.close()
        assert snapshots[-1]["epoch"] > start
        assert call(live_server, "GET", f"/api/runs/{run['id']}")["epoch"] > start + 100
    finally:
        stalled.close()


def test_the_stream_ends_when_the_run_is_deleted(live_server: str, run: dict[str, Any]) -> None:
    stream = SSEStream(events_url(live_server, run))
    stream.take(2)
    call(live_server, "DELETE", f"/api/runs/{run['id']}")
    deadline = time.monotonic() + 5
    for _ in stream:
        assert time.monotonic() < deadline
    stream.close()


@pytest.mark.parametrize("header", [
    "abc", "-1", "1.5",
    "\xb2",  # superscript two: str.isdigit() says yes, int() says no (was a 500)
    "1" * 5000,  # digits past int()'s 4,300 (was a 500)
])
def test_a_last_event_id_that_is_not_an_id_is_ignored_and_the_stream_starts_over(
        live_server: str, run: dict[str, Any], header: str) -> None:
    stream = SSEStream(events_url(live_server, run), last_event_id=header)
    assert stream.response.status == 200
    first = stream.take(1, kinds=("status",))[0]
    stream.close()
    assert first.id == 1 and first.data == {"state": "running", "epoch": 0}
