"""Throw ≥ 10,000 malformed and extreme requests at every route; print counts by status.

A response ≥ 500, or a 400 that does not name its field, is a failure (exit 1).

    .venv/bin/python bench/fuzz.py [--requests 10000] [--seed 1]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitress.server import create_server

from server.app import create_app, shutdown
from server.config import Config
from server.problems.playground.choices import DEFAULTS

KEYS = [*DEFAULTS, "seed", "problem", "preset", "layers", "epochs", "trainImages",
        "optimizer", "model", "state", "weights", "biases", "", "__proto__"]
WORDS = ["circle", "mnist", "curve", "relu", "L1", "running", "paused", "0.59", "conv",
         "softmax", "regression", "crickets", "linear", "x" * 1000, "\u0000", "💥"]
ROUTES = ["", "/events", "/step", "/model.json", "/group1-shard1of1.bin", "/export.zip",
          "/nope"]


def value(rng: random.Random, depth: int = 0) -> Any:
    makers = [
        lambda: None, lambda: rng.random() < 0.5, lambda: rng.randint(-(2**64), 2**64),
        lambda: rng.choice([0, -1, 1e308, -1e-308, 0.5, 10, 31, 1e9]),
        lambda: rng.choice(WORDS), lambda: rng.random() * 100,
        lambda: [value(rng, depth + 1) for _ in range(rng.randrange(4))],
        lambda: {rng.choice(KEYS): value(rng, depth + 1) for _ in range(rng.randrange(4))},
        lambda: {"type": rng.choice(["dense", "conv", "maxpool", "dropout", "batchnorm", "x"]),
                 "units": value(rng, 3), "layer": value(rng, 3), "value": value(rng, 3)},
    ]
    return makers[rng.randrange(len(makers) if depth < 3 else 6)]()


def body(rng: random.Random) -> bytes:
    roll = rng.random()
    if roll < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if roll < 0.2:
        return rng.choice([b"", b"{", b"null", b"[]", b"NaN", b'{"learningRate": NaN}',
                           b'{"noise": Infinity}', b'{"networkShape": [1e400]}'])
    spec = {rng.choice(KEYS): value(rng) for _ in range(rng.randrange(5))}
    if rng.random() < 0.5:
        spec["problem"] = rng.choice(["classification", "regression", "mnist", "curve", 7])
    return json.dumps(spec).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mnist", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/mnist.npz")
    args = parser.parse_args()
    app = create_app(Config(data_dir=Path(tempfile.mkdtemp()), warm_up=False,
                            mnist_path=args.mnist, max_training_runs=2))
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=120)
    rng = random.Random(args.seed)
    counts: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    live_id = None
    started = time.perf_counter()
    for i in range(args.requests):
        if live_id is None or i % 500 == 0:
            connection.request("POST", "/api/runs", body=b"{}",
                               headers={"Content-Type": "application/json"})
            reply = connection.getresponse()
            created = json.loads(reply.read())
            live_id = created.get("id", live_id)
        target = rng.choice([live_id, live_id, rng.choice(WORDS), "..", "%2e%2e%2f", "a" * 300])
        suffix = rng.choice(ROUTES)
        path = rng.choice(["/api/runs", "/api/runs", f"/api/runs/{target}{suffix}",
                           f"/api/runs/{target}{suffix}", "/api/catalog", f"/vendor/{target}"])
        method = rng.choice(["GET", "POST", "PATCH", "DELETE", "PUT"])
        if rng.random() < 0.85:  # mostly a method the route takes, so bodies get read
            method = ("POST" if path == "/api/runs" else "POST" if path.endswith("/step")
                      else "PATCH" if path.startswith("/api/runs/") and not suffix else "GET")
        if path.endswith("/events") and method == "GET":
            method = "PATCH"  # a stream would hold the connection open
        if method == "DELETE" and target == live_id:
            method = "PATCH"
        payload = body(rng)
        connection.request(method, urllib.parse.quote(path, safe="/%"),
                           body=payload, headers={"Content-Type": "application/json"})
        reply = connection.getresponse()
        data = reply.read()
        counts[reply.status] += 1
        if reply.status >= 500:
            failures.append(f"{method} {path} {payload[:80]!r} → {reply.status}")
        elif reply.status == 400:
            answer = json.loads(data)
            if not answer.get("field"):
                failures.append(f"{method} {path} {payload[:80]!r} → 400 without a field")
        if reply.status == 201:
            for run in app.extensions["runs"].all():
                if run.id != live_id:
                    app.extensions["runs"].delete(run.id)
    elapsed = time.perf_counter() - started
    print(f"{args.requests} requests in {elapsed:.1f} s ({args.requests / elapsed:.0f}/s)")
    for status, count in sorted(counts.items()):
        print(f"  {status}: {count}")
    print(f"failures: {len(failures)}")
    for failure in failures[:20]:
        print("  " + failure)
    shutdown(app)
    server.close()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
