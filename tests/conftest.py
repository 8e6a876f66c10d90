"""Shared fixtures: one app (one TensorFlow import) per test process, a real server on a port."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: quiet C++ logs

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app, shutdown
from server.config import Config
from server.serving import bind_sockets, create_server

REPO_ROOT = Path(__file__).resolve().parent.parent
# Tests, benchmarks and CI use the shared copy (Keras' hash check rejects it: np.load only).
MNIST_PATH = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"
# A second loopback address stands in for a classroom server's own address.
SECOND_LOOPBACK = "127.0.0.2"
CLASSROOM_NAME = "classroom.test"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application under test; its trainer pool stays warm across tests."""
    config = Config(data_dir=tmp_path_factory.mktemp("data"), heartbeat_s=1.0,
                    mnist_path=MNIST_PATH)
    application = create_app(config)
    yield application
    shutdown(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(autouse=True)
def _delete_runs_after_test(app: Flask) -> Iterator[None]:
    """Runs train until stopped: delete what a test created so the next one has the CPU."""
    yield
    registry = app.extensions["runs"]
    for run in registry.all():
        registry.delete(run.id)


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The app behind the production WSGI server (waitress) on a free port; yields its URL."""
    server = create_server(app, app.config["PLAYGROUND"], bind_sockets("127.0.0.1", 0),
                           threads=32)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()


def http_status_and_body(url: str, *, host: str | None = None, method: str = "GET",
                         body: bytes | None = None,
                         headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """One request with any Host header; (status, body) whatever the status."""
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={**({"Host": host} if host else {}),
                                              **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def classroom_server(tmp_path: Path) -> Iterator[int]:
    """`tf-playground serve` on a second loopback address with `--allowed-host classroom.test`
    (a separate process, as `make run HOST=...` starts it); yields its port."""
    with socket.socket() as probe:
        probe.bind((SECOND_LOOPBACK, 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--host", SECOND_LOOPBACK,
         "--port", str(port), "--data-dir", str(tmp_path / "data"),
         "--allowed-host", CLASSROOM_NAME],
        cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})

    def health() -> int | None:
        try:
            return http_status_and_body(f"http://{SECOND_LOOPBACK}:{port}/api/health")[0]
        except OSError:
            return None

    try:
        deadline = time.monotonic() + 120
        while process.poll() is None and health() != 200:
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert process.poll() is None, "the server exited"
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
