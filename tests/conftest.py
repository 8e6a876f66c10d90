"""Shared fixtures: one app (one TensorFlow import) per test process, a real server on a port."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: quiet C++ logs

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from waitress.server import create_server

from server.app import create_app, shutdown
from server.cli import waitress_options
from server.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
# Tests, benchmarks and CI use the shared copy (Keras' hash check rejects it: np.load only).
MNIST_PATH = REPO_ROOT.parent / "shared" / "data" / "mnist.npz"


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
    options = {**waitress_options(app.config["PLAYGROUND"]), "threads": 32}
    server = create_server(app, host="127.0.0.1", port=0, **options)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
