"""A classroom on one machine: N learners press play within a second and watch for 30 s.

Starts `tf-playground serve` with its default settings in its own process (so its
CPU and memory can be read), waits for its start-up warm-up, then:

1. the single-run baseline: the engine alone in this process (the default network,
   `EpochTrainer`), and one learner alone through the server;
2. for each room size: N learners each create the default run at a random moment in
   one second, fetch its model as the page does, and read its event stream. Printed:
   refused, POST → first trained snapshot (median, max), per-learner epochs/s (min,
   median) and snapshots/s (min) over the watching window, total epochs/s, server
   CPU (cores) and memory;
3. a mixed room: 25 playground learners and 5 MNIST `conv` runs (heavy: they queue
   beyond `--heavy-runs`, and the bench prints the positions they were told).

    .venv/bin/python bench/classroom.py [--learners 30 100] [--seconds 30] [--no-mixed]

Loopback only; every loop is bounded in count and time, and the server is stopped
at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MNIST = ROOT.parent / "shared" / "data" / "mnist.npz"
EPOCH = re.compile(rb'"epoch": ?([0-9.]+)')


def call(port: int, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data,
                                     method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return response.status, json.loads(text) if text else {}
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class Learner(threading.Thread):
    """Creates one run at `start_at`, then reads its stream until `stop` (as the page)."""

    def __init__(self, port: int, spec: dict, start_at: float, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.spec, self.start_at, self.stop = port, spec, start_at, stop
        self.status = 0
        self.posted = 0.0
        self.created = 0.0  # when the POST was answered
        self.first_trained: float | None = None
        self.samples: list[tuple[float, float]] = []  # (time, epoch) of each snapshot
        self.positions: list[int] = []  # queue positions it was told
        self.run_id: str | None = None
        self.error: str | None = None

    def run(self) -> None:
        time.sleep(max(0.0, self.start_at - time.monotonic()))
        self.posted = time.monotonic()
        self.status, body = call(self.port, "POST", "/api/runs", self.spec)
        self.created = time.monotonic()
        if self.status != 201:
            return
        self.run_id = body["id"]
        call(self.port, "GET", f"/api/runs/{self.run_id}/model.json")
        try:
            self._watch()
        except OSError as error:
            if not self.stop.is_set():
                self.error = repr(error)

    def _watch(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            sock.sendall(f"GET /api/runs/{self.run_id}/events HTTP/1.1\r\nHost: localhost\r\n"
                         "Accept: text/event-stream\r\n\r\n".encode())
            buffer = b""
            while not self.stop.is_set():
                data = sock.recv(65536)
                if not data:
                    self.error = "closed by the server"
                    return
                buffer += data
                *events, buffer = buffer.split(b"\n\n")
                now = time.monotonic()
                for event in events:
                    self._event(event, now)

    def _event(self, event: bytes, now: float) -> None:
        if b"event: snapshot" in event or b"event: metrics" in event:
            match = EPOCH.search(event)
            if match:
                epoch = float(match.group(1))
                self.samples.append((now, epoch))
                if epoch > 0 and self.first_trained is None:
                    self.first_trained = now
        elif b"event: status" in event and b'"queued"' in event:
            position = re.search(rb'"position": ?(\d+)', event)
            if position:
                self.positions.append(int(position.group(1)))

    def rates(self, start: float, end: float) -> tuple[float, float]:
        """(epochs/s, snapshots/s) within [start, end]."""
        inside = [(t, e) for t, e in self.samples if start <= t <= end]
        if len(inside) < 2:
            return 0.0, len(inside) / (end - start)
        return ((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]),
                len(inside) / (end - start))


class Server:
    def __init__(self, extra: list[str]) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.data_dir = tempfile.mkdtemp(prefix="classroom-")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
             "--data-dir", self.data_dir, *extra],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        deadline = time.monotonic() + 180
        while True:
            assert time.monotonic() < deadline, "the server did not warm up in 3 minutes"
            try:
                status, health = call(self.port, "GET", "/api/health")
                if status == 200 and health["scheduler"]["warm"]:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def delete_all(self) -> None:
        _, runs = call(self.port, "GET", "/api/runs")
        for run in runs.get("runs", []):
            call(self.port, "DELETE", f"/api/runs/{run['id']}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


# Capacity is measured at full speed: a page's default `log` pace asks for at most
# 1,000 epochs a second, which a room of default networks never runs out of.
FULL_SPEED = {"pace": "max"}


def room(server: Server, specs: list[dict], seconds: float) -> list[Learner]:
    """Every learner starts within one second; all watch until `seconds` have passed."""
    stop = threading.Event()
    begin = time.monotonic() + 0.2
    learners = [Learner(server.port, spec, begin + random.random(), stop) for spec in specs]
    for learner in learners:
        learner.start()
    cpu_before, rss_before = server.cpu_seconds(), server.rss_mb()
    time.sleep(begin + seconds - time.monotonic())
    cpu = (server.cpu_seconds() - cpu_before) / seconds
    rss = server.rss_mb()
    stop.set()
    for learner in learners:
        learner.join(timeout=10)
    window = (begin + 5, begin + seconds)
    light = [learner for learner in learners if learner.spec.get("problem") != "mnist"]
    refused = sum(learner.status != 201 for learner in learners)
    waits = sorted(learner.first_trained - learner.posted for learner in light
                   if learner.first_trained is not None)
    rates = [learner.rates(*window) for learner in light if learner.status == 201]
    epochs = sorted(r[0] for r in rates)
    snapshots = sorted(r[1] for r in rates)
    never = sum(learner.first_trained is None for learner in light)
    answered = sorted(learner.created - learner.posted for learner in light if learner.created)
    print(f"  learners {len(light)}: refused {refused}; POST → first trained snapshot: median "
          f"{statistics.median(waits):.2f} s, max {waits[-1]:.2f} s"
          + (f" ({never} never trained)" if never else "")
          + f" (POST answered: median {statistics.median(answered):.2f} s, "
            f"max {answered[-1]:.2f} s)")
    print(f"  epochs/s per learner: min {epochs[0]:,.0f}, median {statistics.median(epochs):,.0f};"
          f" snapshots/s per learner: min {snapshots[0]:.1f}, median "
          f"{statistics.median(snapshots):.1f}; total {sum(epochs):,.0f} epochs/s")
    print(f"  server: {cpu:.2f} cores, memory {rss_before:,.0f} → {rss:,.0f} MB")
    errors = [learner.error for learner in learners if learner.error]
    if errors:
        print(f"  stream errors: {len(errors)} (first: {errors[0]})")
    return learners


def engine_alone(seconds: float) -> float:
    """Epochs/s of the default network on the single-run engine in this process."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np

    from server.problems.playground.datasets import generate
    from server.problems.playground.features import feature_matrix
    from server.training.dense import initial_weights
    from server.training.engine import Architecture, EpochTrainer, capacity_for

    split = generate("circle", 0, 50, "0.5")
    trainer = EpochTrainer(Architecture(2, (4, 2), "tanh", "tanh", capacity_for(0),
                                        batch_capacity=30))
    features = ["x", "y"]
    trainer.load_data(feature_matrix(split.train, features), split.train[:, 2],
                      feature_matrix(split.test, features), split.test[:, 2], 10)
    trainer.set_weights(initial_weights(2, (4, 2), np.random.default_rng(0)))
    trainer.set_learning_rate(0.03)
    trainer.train(1)
    epochs, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        trainer.train(200)
        epochs += 200
    return epochs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, nargs="+", default=[30, 100])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--no-mixed", action="store_true")
    args = parser.parse_args()
    random.seed(1)
    baseline = engine_alone(5)
    extra = ["--mnist", str(MNIST)] if MNIST.exists() else []
    server = Server(extra)
    try:
        print(f"server on port {server.port}, {os.cpu_count()} cores")
        print(f"single-run engine in this process: {baseline:,.0f} epochs/s")
        print("one learner alone:")
        alone = room(server, [dict(FULL_SPEED)], 15)
        rate = alone[0].rates(alone[0].posted + 5, alone[0].posted + 15)[0]
        print(f"  = {rate / baseline:.2f} × the single-run engine")
        server.delete_all()
        for count in args.learners:
            print(f"{count} learners on the default network:")
            room(server, [dict(FULL_SPEED) for _ in range(count)], args.seconds)
            server.delete_all()
        if not args.no_mixed and MNIST.exists():
            print("mixed room: 25 playground learners + 5 MNIST conv runs:")
            mnist = [{"problem": "mnist", "preset": "conv"} for _ in range(5)]
            learners = room(server, [dict(FULL_SPEED) for _ in range(25)] + mnist, args.seconds)
            heavy = [learner for learner in learners if learner.spec.get("problem") == "mnist"]
            print("  MNIST runs: "
                  + "; ".join(f"{'trained' if learner.first_trained else 'queued'}"
                              f" (positions told: {sorted(set(learner.positions)) or '–'})"
                              for learner in heavy))
            server.delete_all()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
