"""A 12-run sweep against the same 12 runs started one by one.

Starts `tf-playground serve` in its own process (bench/classroom.py's `Server`), waits
for its warm-up, then twice, with the same 12 specs (the default network, one seed,
12 learning rates):

1. **sweep**: one `POST /api/sweeps` and one merged stream
   (`/api/sweeps/<id>/events`), as the experiments page watches it;
2. **one by one**: 12 `POST /api/runs`, each sent when the previous one was answered,
   each run watched on its own stream, as 12 playground tabs would.

Printed for each: the POST(s) answered, each run's first trained snapshot after the
first POST (median and the slowest run), per-run epochs/s over the watching window
(min, median) and the total, and the sweep's figures as ratios to one by one.

    .venv/bin/python bench/experiments.py [--seconds 20]

Loopback only; bounded in time; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom import Server, call  # noqa: E402

RATES = [0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10]
# At full speed: a page's default `log` pace would cap every run at 1,000 epochs a second.
BASE = {"seed": "0.5", "pace": "max"}
EPOCH = re.compile(rb'"epoch": ?([0-9.]+)')
RUN = re.compile(rb'"run":"([^"]+)"')


class Watcher(threading.Thread):
    """Reads one event stream (a run's or a sweep's) until `stop`; keeps (time, epoch)
    of every data event, per run."""

    def __init__(self, port: int, path: str, stop: threading.Event,
                 run_id: str | None = None) -> None:
        super().__init__(daemon=True)
        self.port, self.path, self.stop, self.run_id = port, path, stop, run_id
        self.samples: dict[str, list[tuple[float, float]]] = {}
        self.error: str | None = None

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                sock.sendall(f"GET {self.path} HTTP/1.1\r\nHost: localhost\r\n"
                             "Accept: text/event-stream\r\n\r\n".encode())
                buffer = b""
                while not self.stop.is_set():
                    data = sock.recv(65536)
                    if not data:
                        return
                    buffer += data
                    *events, buffer = buffer.split(b"\n\n")
                    now = time.monotonic()
                    for event in events:
                        self._event(event, now)
        except OSError as error:
            if not self.stop.is_set():
                self.error = repr(error)

    def _event(self, event: bytes, now: float) -> None:
        if b"event: snapshot" not in event:
            return
        epoch = EPOCH.search(event)
        run = RUN.search(event)
        run_id = run.group(1).decode() if run else self.run_id
        if epoch and run_id:
            self.samples.setdefault(run_id, []).append((now, float(epoch.group(1))))


def figures(samples: dict[str, list[tuple[float, float]]], ids: list[str], start: float,
            window: tuple[float, float]) -> dict[str, float]:
    """First trained snapshot after `start` (median, slowest) and epochs/s in `window`."""
    firsts, rates = [], []
    for run_id in ids:
        points = samples.get(run_id, [])
        trained = [t for t, epoch in points if epoch > 0]
        firsts.append(trained[0] - start if trained else float("inf"))
        inside = [(t, e) for t, e in points if window[0] <= t <= window[1]]
        rates.append((inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
                     if len(inside) >= 2 and inside[-1][0] > inside[0][0] else 0.0)
    return {"first_median": statistics.median(firsts), "first_max": max(firsts),
            "rate_min": min(rates), "rate_median": statistics.median(rates),
            "rate_total": sum(rates)}


def sweep_round(server: Server, seconds: float) -> tuple[dict[str, float], float]:
    stop = threading.Event()
    start = time.monotonic()
    status, sweep = call(server.port, "POST", "/api/sweeps",
                         {"base": BASE, "vary": {"learningRate": RATES}})
    answered = time.monotonic() - start
    assert status == 201, sweep
    ids = [run["id"] for run in sweep["runs"]]
    watcher = Watcher(server.port, f"/api/sweeps/{sweep['id']}/events?kinds=snapshot", stop)
    watcher.start()
    time.sleep(seconds)
    end = time.monotonic()
    stop.set()
    result = figures(watcher.samples, ids, start, (end - seconds / 2, end))
    call(server.port, "DELETE", f"/api/sweeps/{sweep['id']}")
    return result, answered


def one_by_one_round(server: Server, seconds: float) -> tuple[dict[str, float], float]:
    stop = threading.Event()
    watchers: list[Watcher] = []
    ids: list[str] = []
    start = time.monotonic()
    for rate in RATES:
        status, run = call(server.port, "POST", "/api/runs", {**BASE, "learningRate": rate})
        assert status == 201, run
        ids.append(run["id"])
        watcher = Watcher(server.port, f"/api/runs/{run['id']}/events", stop, run["id"])
        watcher.start()
        watchers.append(watcher)
    answered = time.monotonic() - start
    time.sleep(seconds)
    end = time.monotonic()
    stop.set()
    samples: dict[str, list[tuple[float, float]]] = {}
    for watcher in watchers:
        samples.update(watcher.samples)
    result = figures(samples, ids, start, (end - seconds / 2, end))
    server.delete_all()
    return result, answered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long each round watches its runs (rates: its second half)")
    args = parser.parse_args()
    server = Server([])
    try:
        rounds = {}
        for name, round_ in (("one by one", one_by_one_round), ("sweep", sweep_round)):
            rounds[name] = round_(server, args.seconds)
            time.sleep(2.0)  # the deleted runs' threads wind down
    finally:
        server.stop()
    print(f"12 runs of the default network (learning rates {RATES[0]:g} … {RATES[-1]:g}), "
          f"watched {args.seconds:g} s; epochs/s over the last {args.seconds / 2:g} s")
    print(f"{'':12} {'POSTs':>8} {'first trained snapshot':>24} {'epochs/s per run':>20} "
          f"{'total':>8}")
    print(f"{'':12} {'answered':>8} {'median':>11} {'slowest':>12} {'min':>9} {'median':>10} "
          f"{'epochs/s':>8}")
    for name, (f, answered) in rounds.items():
        print(f"{name:12} {answered:7.2f}s {f['first_median']:10.2f}s {f['first_max']:11.2f}s "
              f"{f['rate_min']:9.0f} {f['rate_median']:10.0f} {f['rate_total']:8.0f}")
    sweep, alone = rounds["sweep"][0], rounds["one by one"][0]
    print(f"sweep / one by one: slowest first snapshot "
          f"{sweep['first_max'] / alone['first_max']:.2f} ×, median epochs/s per run "
          f"{sweep['rate_median'] / max(alone['rate_median'], 1e-9):.2f} ×, total "
          f"{sweep['rate_total'] / max(alone['rate_total'], 1e-9):.2f} ×")


if __name__ == "__main__":
    main()
