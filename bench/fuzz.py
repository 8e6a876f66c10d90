"""Throw ≥ 10,000 malformed and extreme requests at every route; print counts by status.

Bodies are random, raw, or nested thousands deep; some requests carry what another site's
page would send (a rebound Host, a cross-site Origin, a form's Content-Type); some open a
run's stream with a junk Last-Event-ID (it must open, from the start). A response ≥ 500,
a rejection without a JSON error, or a 400/403/413/415/421 that does not name its field or
header is a failure (exit 1).

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

from server.app import create_app, shutdown
from server.config import MAX_BODY_BYTES, Config
from server.problems.playground.choices import DEFAULTS
from server.serving import bind_sockets, create_server

KEYS = [*DEFAULTS, "seed", "problem", "preset", "layers", "epochs", "trainImages",
        "optimizer", "model", "state", "weights", "biases", "", "__proto__"]
WORDS = ["circle", "mnist", "curve", "relu", "L1", "running", "paused", "0.59", "conv",
         "softmax", "regression", "crickets", "linear", "x" * 1000, "\u0000", "💥"]
# What a header value may hold (RFC 9110 field-vchar, obs-text and spaces; not DEL).
HEADER_CHARACTERS = [*range(32, 127), *range(128, 256)]
# Rejections of what a request says (not of what it asks for) must name the field or header.
FIELD_NAMED = (400, 403, 413, 415, 421)
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


def nested_body(rng: random.Random) -> bytes:
    """Deep nesting (once a RecursionError: 500), closed or not."""
    opener = rng.choice([b"[", b'{"networkShape":', b'{"weights": [{"value":'])
    depth = rng.choice([33, 900, 1_000, 5_000, 100_000])
    return opener * depth + (b"1" + b"]" * depth if rng.random() < 0.5 else b"")


def last_event_id(rng: random.Random) -> str:
    """Junk ids (\xb2 once reached int(): 500); each must open the stream from the start."""
    return rng.choice(["\xb2", "\xb9", "abc", "-1", "1" * 5000, "9" * 19, "",
                       "".join(chr(rng.choice(HEADER_CHARACTERS))
                               for _ in range(rng.randrange(20)))])


def hostile_headers(rng: random.Random, port: int) -> dict[str, str]:
    """What another site's page sends: a rebound Host, a cross-site Origin, a form's body."""
    return rng.choice([
        {"Host": f"attacker.example:{port}"}, {"Host": "a b"},
        {"Origin": "http://attacker.example"}, {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"}, {"Content-Type": "text/plain"},
        {"Content-Type": "application/x-www-form-urlencoded"},
    ])


def open_stream(port: int, run_id: str, header: str) -> tuple[int, bytes]:
    """Open the run's stream with a Last-Event-ID; (status, the first bytes) then hang up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest("GET", f"/api/runs/{run_id}/events")
        connection.putheader("Last-Event-ID", header.encode("latin-1"))
        connection.endheaders()
        reply = connection.getresponse()
        return reply.status, reply.read1(4096) if reply.status == 200 else reply.read()
    finally:
        connection.close()


def oversized(port: int, method: str, path: str, headers: dict[str, str],
              length: int) -> tuple[int, bytes]:
    """Send only the head of a request whose body is over the limit: the server must answer
    (413) without waiting for the body. (status, body) of its answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host="Host" in headers)
        for name, text in {**headers, "Content-Length": str(length)}.items():
            connection.putheader(name, text)
        connection.endheaders()
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mnist", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/mnist.npz")
    args = parser.parse_args()
    config = Config(data_dir=Path(tempfile.mkdtemp()), warm_up=False, mnist_path=args.mnist,
                    max_runs=20)
    app = create_app(config)
    server = create_server(app, config, bind_sockets("127.0.0.1", 0), threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    port = server.effective_port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
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
        roll = rng.random()
        if roll < 0.03:
            header = last_event_id(rng)
            status, data = open_stream(port, live_id, header)
            counts[status] += 1
            if status != 200 or not data.startswith(b"retry:"):
                failures.append(f"Last-Event-ID {header[:20]!r} → {status} {data[:80]!r}")
            continue
        payload = nested_body(rng) if roll < 0.08 else body(rng)
        headers = {"Content-Type": "application/json"}
        if rng.random() < 0.05:
            headers.update(hostile_headers(rng, port))
        url = urllib.parse.quote(path, safe="/%")
        what = f"{method} {path} {headers} {payload[:60]!r}"
        if len(payload) > MAX_BODY_BYTES:
            status, data = oversized(port, method, url, headers, len(payload))
            if status not in (413, 415, 421, 400, 403):
                failures.append(f"{what} ({len(payload):,} bytes) → {status}, not refused")
        else:
            try:
                connection.request(method, url, body=payload, headers=headers)
                reply = connection.getresponse()
                status, data = reply.status, reply.read()
            except OSError as error:
                failures.append(f"{what} → {error!r}")
                connection.close()
                continue
            if reply.getheader("Connection", "").lower() == "close":
                connection.close()
        counts[status] += 1
        if status >= 500:
            failures.append(f"{what} → {status}")
        elif status >= 400:
            try:
                answer = json.loads(data)
            except ValueError:
                answer = {}
            if not answer.get("error"):
                failures.append(f"{what} → {status} without a JSON error")
            elif status in FIELD_NAMED and not answer.get("field"):
                failures.append(f"{what} → {status} without a field")
        if status == 201:
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
