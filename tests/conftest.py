"""Shared fixtures: one app (one TensorFlow import) per test process, a real server on a port."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: quiet C++ logs

import functools
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from server.app import create_app, shutdown
from server.config import Config
from server.datasets.mnist import ENV_VAR, Mnist, MnistSource, MnistUnavailableError
from server.serving import bind_sockets, create_server

REPO_ROOT = Path(__file__).resolve().parent.parent
# Tests, benchmarks and CI use the shared copy (Keras' hash check rejects it: np.load only).
MNIST_PATH = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"
MNIST_MISSING = (f"MNIST tests need mnist.npz: put it at {MNIST_PATH} or set "
                 f"{ENV_VAR}=/path/to/mnist.npz")
# Keras' download with no network must fail in seconds (each connect and read is bounded;
# a download that is slow but moving is not).
DOWNLOAD_TIMEOUT_S = 15.0


def local_mnist() -> Path | None:
    """The mnist.npz the tests hand the server: `$TF_PLAYGROUND_MNIST`, else the shared copy
    beside the repository when it is there; None leaves it to Keras (cache or download)."""
    if chosen := os.environ.get(ENV_VAR):
        return Path(chosen)
    return MNIST_PATH if MNIST_PATH.exists() else None


@functools.cache
def find_mnist() -> Mnist | str:
    """MNIST loaded by the server's own loader (`MnistSource`: a path, else
    `$TF_PLAYGROUND_MNIST`, else Keras), or why it could not be; tried once a session."""
    path = local_mnist()
    previous = socket.getdefaulttimeout()
    if path is None:  # Keras' cache or download: the only case with sockets
        socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        return MnistSource(path).get()
    except MnistUnavailableError as error:
        cause = error.__cause__ or error
        return f"{MNIST_MISSING} ({type(cause).__name__}: {str(cause)[:200]})"
    finally:
        socket.setdefaulttimeout(previous)


@pytest.fixture(scope="session")
def mnist() -> Mnist:
    """MNIST for the tests that need it (ask for it, or mark a test
    `@pytest.mark.usefixtures("mnist")` when only the server needs the data): such tests
    are skipped, saying how to provide the file, when there is none."""
    found = find_mnist()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture(scope="session")
def mnist_npz(mnist: Mnist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An mnist.npz file of those data: the file they came from, or (when Keras downloaded
    them) the same arrays written under the session's temporary directory."""
    if Path(mnist.source).is_file():
        return Path(mnist.source)
    path = tmp_path_factory.mktemp("mnist") / "mnist.npz"
    np.savez(path, x_train=np.concatenate([mnist.x_train, mnist.x_validation]),
             y_train=np.concatenate([mnist.y_train, mnist.y_validation]),
             x_test=mnist.x_test, y_test=mnist.y_test)
    return path


def server_mnist_path() -> Path | None:
    """What the test server is configured with: the local file; else None (Keras' copy) when
    Keras has it; else the absent shared path, so an MNIST request is a 400 at once instead
    of a network attempt each time."""
    if (path := local_mnist()) is not None:
        return path
    return None if isinstance(find_mnist(), Mnist) else MNIST_PATH
# A second loopback address stands in for a classroom server's own address.
SECOND_LOOPBACK = "127.0.0.2"
CLASSROOM_NAME = "classroom.test"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The application under test; its trainer pool stays warm across tests."""
    config = Config(data_dir=tmp_path_factory.mktemp("data"), heartbeat_s=1.0,
                    mnist_path=server_mnist_path())
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
