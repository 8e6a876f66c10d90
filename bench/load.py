"""Load: 200 event-stream clients watching 10 training runs for 60 s.

Starts `tf-playground serve` in its own process (so its memory can be read),
creates the runs, opens the streams from this process, and prints: errors,
the server's memory growth over the measured window, and the snapshots per
second each run delivered to its slowest client.

    .venv/bin/python bench/load.py [--clients 200] [--runs 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def request(port: int, method: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else {}


class Client(threading.Thread):
    """Reads one stream and counts snapshot events (no parsing: the server is measured)."""

    def __init__(self, port: int, run_id: str, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.port, self.run_id, self.stop = port, run_id, stop
        self.snapshots = 0
        self.counting = False
        self.error: str | None = None

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                sock.sendall(f"GET /api/runs/{self.run_id}/events HTTP/1.1\r\n"
                             "Host: localhost\r\nAccept: text/event-stream\r\n\r\n".encode())
                tail = b""
                while not self.stop.is_set():
                    data = sock.recv(65536)
                    if not data:
                        self.error = "closed by the server"
                        return
                    if b" 200 " not in data[:20] and not self.snapshots and not tail:
                        if data.startswith(b"HTTP/") and b" 200 " not in data.split(b"\r\n")[0]:
                            self.error = data.split(b"\r\n")[0].decode()
                            return
                    chunk = tail + data
                    if self.counting:
                        self.snapshots += chunk.count(b"event: snapshot")
                    tail = chunk[-16:]
        except OSError as error:
            if not self.stop.is_set():
                self.error = repr(error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warm-up", type=float, default=10,
                        help="seconds to settle once every run trains")
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port),
         "--data-dir", tempfile.mkdtemp(),
         "--max-streams", str(args.clients + 16)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                request(port, "GET", "/api/health")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        runs = [request(port, "POST", "/api/runs", {"seed": f"0.{i + 1}", "pace": "max"})["id"]
                for i in range(args.runs)]
        stop = threading.Event()
        clients = [Client(port, runs[i % len(runs)], stop) for i in range(args.clients)]
        for client in clients:
            client.start()
        # Every run compiled and training, then a settling period, before measuring.
        while any(request(port, "GET", f"/api/runs/{r}")["epoch"] == 0 for r in runs):
            time.sleep(0.5)
        time.sleep(args.warm_up)
        for client in clients:
            client.counting = True
        rss_start = rss_mb(server.pid)
        epochs_start = {r: request(port, "GET", f"/api/runs/{r}")["epoch"] for r in runs}
        started = time.monotonic()
        time.sleep(args.seconds)
        elapsed = time.monotonic() - started
        for client in clients:
            client.counting = False
        rss_end = rss_mb(server.pid)
        epochs = {r: request(port, "GET", f"/api/runs/{r}")["epoch"] - epochs_start[r]
                  for r in runs}
        stop.set()
        errors = [c.error for c in clients if c.error]
        per_run: dict[str, list[float]] = {r: [] for r in runs}
        for client in clients:
            per_run[client.run_id].append(client.snapshots / elapsed)
        slowest = {r: min(rates) for r, rates in per_run.items()}
        print(f"{args.clients} clients on {args.runs} runs for {elapsed:.0f} s, "
              f"{os.cpu_count()} cores")
        print(f"errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        print(f"server memory: {rss_start:.0f} MB → {rss_end:.0f} MB "
              f"(growth {rss_end - rss_start:+.1f} MB)")
        print(f"snapshots/s per run, slowest client: min {min(slowest.values()):.1f}, "
              f"median {sorted(slowest.values())[len(slowest) // 2]:.1f}")
        print(f"epochs/s per run while loaded: min {min(epochs.values()) / elapsed:.0f}, "
              f"max {max(epochs.values()) / elapsed:.0f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
