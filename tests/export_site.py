"""A run's export as a developer gets it: a run trained a little on the server, its
export.zip downloaded and unzipped, the folder served by a plain static file server
(Python's http.server, as README.txt tells them to)."""

from __future__ import annotations

import functools
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.browser.page_driver import http_bytes, http_json

# One spec per problem; each trains a few seconds at most. The playground's uses a sine
# and a square (formulas the snippets must write out), fitting's normalises x.
SPECS: dict[str, dict[str, Any]] = {
    "playground": {"dataset": "circle", "xSquared": True, "sinY": True, "seed": "0.3",
                   "networkShape": [4, 2]},
    # Issue 16: four classes (softmax), leaky ReLU (a LeakyReLU layer) and dropout layers.
    "playground-classes": {"dataset": "blobs4", "activation": "leakyRelu", "dropout": 0.2,
                           "optimizer": "adam", "seed": "0.5", "networkShape": [5, 3]},
    "playground-regression": {"problem": "regression", "regDataset": "reg-gauss",
                              "xTimesY": True, "sinX": True, "seed": "0.4",
                              "networkShape": [3]},
    "fitting": {"problem": "fitting", "dataset": "crickets", "model": "network",
                "hiddenLayers": [4], "normalize": True},
    "fitting-raw": {"problem": "fitting", "dataset": "mystery", "model": "linear",
                    "normalize": False, "seed": "2"},
    "mnist": {"problem": "mnist", "preset": "conv", "trainImages": 500, "epochs": 1,
              "batchSize": 50, "seed": 1},
    # Digits, the small network, 100 images in their four turns: 8 batches.
    "orientation": {"problem": "orientation", "dataset": "digits", "preset": "small",
                    "trainImages": 100, "epochs": 1, "batchSize": 50, "seed": 1},
}
BUDGETED = ("mnist", "orientation")  # image classifiers: trained to the end of their budget
TRAINED_EPOCHS = 30  # light runs: enough to move far from the initial weights


def train_and_export(base_url: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Create a run, train it (light runs: some epochs, then paused; image classifiers: to
    the end of their budget), unzip its export.zip into `folder`; returns the run's summary."""
    run = http_json(f"{base_url}/api/runs", "POST", spec)
    deadline = time.monotonic() + 180
    while True:
        summary = http_json(f"{base_url}/api/runs/{run['id']}")
        if summary["state"] == "finished" or (
                summary["problem"] not in BUDGETED and summary["epoch"] >= TRAINED_EPOCHS):
            break
        assert time.monotonic() < deadline, f"the run did not train: {summary}"
        time.sleep(0.1)
    if summary["state"] == "running":
        summary = http_json(f"{base_url}/api/runs/{run['id']}", "PATCH", {"state": "paused"})
    download_export(base_url, run["id"], folder)
    return summary


def download_export(base_url: str, run_id: str, folder: Path) -> None:
    """Download a run's export.zip and unzip it into `folder`."""
    data = http_bytes(f"{base_url}/api/runs/{run_id}/export.zip")
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """Serve `root` over HTTP on loopback (http.server, threaded); yields its URL."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="static-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
