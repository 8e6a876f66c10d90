"""Idle, slow and never-reading clients, and huge bodies, against the real server (waitress).

Every socket here talks to 127.0.0.1, is bounded in count, and is closed by the test.
Servers with short timeouts (1 s instead of 10 and 30) keep the tests short; the live
server has the defaults.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from server.serving import bind_sockets, create_server
from tests.sse import call

SHORT_TIMEOUT_S = 1.0


@pytest.fixture
def impatient_server(app: Flask) -> Iterator[tuple[str, Any]]:
    """The test app behind a server that gives requests and stalled clients 1 s."""
    config = dataclasses.replace(app.config["PLAYGROUND"], request_timeout_s=SHORT_TIMEOUT_S,
                                 stalled_client_s=SHORT_TIMEOUT_S)
    server = create_server(app, config, bind_sockets("127.0.0.1", 0), threads=16)
    thread = threading.Thread(target=server.run, name="impatient-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}", server
    server.close()
    server.task_dispatcher.shutdown(timeout=5)


def _address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def _closed_by_server(sock: socket.socket, within: float) -> bool:
    """Does the server close this connection within `within` seconds (reading what it sent)?"""
    sock.settimeout(within)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


def _health_seconds(base: str) -> float:
    started = time.perf_counter()
    with socket.create_connection(_address(base), timeout=10) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200"), reply[:100]
    return time.perf_counter() - started


def test_400_idle_sockets_leave_the_api_answering_within_a_second(live_server: str) -> None:
    """More idle sockets than the connection limit (320): the idlest make room."""
    idle: list[socket.socket] = []
    try:
        for _ in range(400):
            idle.append(socket.create_connection(_address(live_server), timeout=10))
        assert _health_seconds(live_server) < 1.0
        assert _closed_by_server(idle[0], within=5), "the idlest socket was kept"
    finally:
        for sock in idle:
            sock.close()
    assert _health_seconds(live_server) < 1.0


@pytest.mark.parametrize("how", ["half-sent", "trickled"])
def test_a_request_that_does_not_arrive_whole_in_time_is_closed(
        impatient_server: tuple[str, Any], how: str) -> None:
    base, server = impatient_server
    with socket.create_connection(_address(base), timeout=10) as sock:
        if how == "half-sent":
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            assert _closed_by_server(sock, within=SHORT_TIMEOUT_S + 4)
        else:  # a byte every 0.2 s keeps the connection busy, never the request complete
            started = time.monotonic()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for byte in b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 60:
                    sock.sendall(bytes([byte]))
                    time.sleep(0.2)
            assert time.monotonic() - started < SHORT_TIMEOUT_S + 4
            assert _closed_by_server(sock, within=2)
    assert server.closed_slow_requests >= 1


def test_a_stream_client_that_does_not_read_is_cut_off_and_its_slot_freed(
        impatient_server: tuple[str, Any], app: Flask) -> None:
    base, server = impatient_server
    slots = app.extensions["stream_slots"]
    before = slots.open
    # A big network's snapshots fill the never-read buffers in seconds.
    run = call(base, "POST", "/api/runs", {"networkShape": [8] * 6, "x": True, "y": True,
                                           "xSquared": True, "ySquared": True, "xTimesY": True,
                                           "sinX": True, "sinY": True})
    stalled = []
    try:
        for _ in range(3):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(_address(base))
            sock.sendall(f"GET /api/runs/{run['id']}/events HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\n\r\n".encode())
            stalled.append(sock)  # and never read from again
        deadline = time.monotonic() + 10
        while slots.open < before + 3:
            assert time.monotonic() < deadline, "the streams did not open"
            time.sleep(0.05)
        deadline = time.monotonic() + 60
        while slots.open > before:
            assert time.monotonic() < deadline, f"{slots.open - before} slots still held"
            time.sleep(0.2)
        assert server.cut_off_stalled_clients >= 3
    finally:
        for sock in stalled:
            sock.close()
    # A reading client keeps its stream.
    with socket.create_connection(_address(base), timeout=10) as reader:
        reader.sendall(f"GET /api/runs/{run['id']}/events HTTP/1.1\r\n"
                       "Host: 127.0.0.1\r\n\r\n".encode())
        received = 0
        until = time.monotonic() + 3 * SHORT_TIMEOUT_S
        while time.monotonic() < until:
            chunk = reader.recv(65536)
            assert chunk, "a reading client was cut off"
            received += len(chunk)
        assert received > 10_000


def _response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict[str, str], Any]:
    sock.settimeout(timeout)
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, f"closed before a response: {raw!r}"
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    while len(body) < int(headers.get("content-length", 0)):
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, json.loads(body)


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_sent(
        live_server: str, app: Flask) -> None:
    with socket.create_connection(_address(live_server), timeout=10) as sock:
        sock.sendall(b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{")
        status, headers, body = _response(sock)  # not a byte more of the 1 GB is sent
    assert status == 413 and headers["content-type"] == "application/json"
    assert body["field"] == "Content-Length" and "1,048,576" in body["error"]
    assert app.extensions["runs"].all() == []


def test_a_chunked_body_is_cut_at_the_limit(live_server: str) -> None:
    with socket.create_connection(_address(live_server), timeout=10) as sock:
        sock.sendall(b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (64 * 1024, b" " * 64 * 1024)
        sent = 0
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(17):  # 1,114,112 bytes: just over the limit
                sock.sendall(chunk)
                sent += 1
        status, headers, body = _response(sock)
    assert status == 413 and headers["content-type"] == "application/json"
    assert body["field"] == "body"
