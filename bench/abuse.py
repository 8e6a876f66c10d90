"""Abuse: idle, slow and never-reading clients and huge bodies, as an attacker would try them.

Starts `tf-playground serve` in its own process (a fresh data directory, a free loopback
port) and tries each case in turn; for each it prints what the server did, and the
server's memory (RSS) and threads before and after. Every socket talks to 127.0.0.1; each
case is bounded in count and time and cleans up after itself.

    .venv/bin/python bench/abuse.py [--repo PATH]

`--repo` measures another checkout's server instead (e.g. one from before a change:
`git archive COMMIT | tar -x -C /tmp/before`, then `--repo /tmp/before`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDLE_SOCKETS = 400
HALF_SENT = 50
TRICKLED = 10
HUGE_POSTS = 4
HUGE_POST_CAP = 64 * 1024 * 1024  # bytes sent of each 1 GB body at most: enough to tell
BIG_NETWORK = {"networkShape": [8] * 6, "x": True, "y": True, "xSquared": True,
               "ySquared": True, "xTimesY": True, "sinX": True, "sinY": True}


class Server:
    """`tf-playground serve` in a child process."""

    def __init__(self, repo: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.data_dir = Path(tempfile.mkdtemp(prefix="abuse-"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
             "--data-dir", str(self.data_dir)],
            cwd=repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        deadline = time.monotonic() + 180
        while self.health_seconds(timeout=2) is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.5)

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def memory_and_threads(self) -> tuple[float, int]:
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.split()
        return int(fields["VmRSS"][0]) / 1024, int(fields["Threads"][0])

    def status(self) -> str:
        memory, threads = self.memory_and_threads()
        return f"{memory:,.0f} MB, {threads} threads"

    def settle(self, limit_s: float = 90) -> None:
        """Train one run briefly, then wait until memory and threads stop changing: the
        start-up compilation and TensorFlow's thread pools are not what a case costs."""
        run = self.call("POST", "/api/runs", BIG_NETWORK)
        time.sleep(3)
        self.call("DELETE", f"/api/runs/{run['id']}")
        deadline = time.monotonic() + limit_s
        last = self.memory_and_threads()
        while time.monotonic() < deadline:
            time.sleep(3)
            now = self.memory_and_threads()
            if abs(now[0] - last[0]) < 2 and now[1] == last[1]:
                return
            last = now

    def spooled_bytes(self) -> int:
        """Bytes in deleted files the server holds open (waitress spools big bodies there)."""
        total = 0
        for fd in Path(f"/proc/{self.process.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd).endswith("(deleted)"):
                    total += fd.stat().st_size
        return total

    def health_seconds(self, timeout: float = 5) -> float | None:
        """Seconds /api/health takes on a new connection; None if no answer in `timeout`."""
        started = time.perf_counter()
        try:
            with socket.create_connection(self.address, timeout=timeout) as sock:
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Connection: close\r\n\r\n")
                reply = b""
                while chunk := sock.recv(65536):
                    reply += chunk
        except OSError:
            return None
        return time.perf_counter() - started if reply.startswith(b"HTTP/1.1 200") else None

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            text = response.read()
            return json.loads(text) if text else {}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=60)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def milliseconds(seconds: float | None) -> str:
    return "no answer in 5 s" if seconds is None else f"{seconds * 1000:,.0f} ms"


def closed_by_peer(sock: socket.socket) -> bool:
    """Has the server closed this connection? (Reads and drops what it sent.)"""
    try:
        while select.select([sock], [], [], 0)[0]:
            if not sock.recv(65536):
                return True
    except OSError:
        return True
    return False


def wait_until_closed(sockets: list[socket.socket], limit_s: float) -> list[float | None]:
    """Seconds until the server closed each socket (None: still open after `limit_s`)."""
    started = time.monotonic()
    closed: list[float | None] = [None] * len(sockets)
    while time.monotonic() - started < limit_s and None in closed:
        for i, sock in enumerate(sockets):
            if closed[i] is None and closed_by_peer(sock):
                closed[i] = time.monotonic() - started
        time.sleep(0.05)
    return closed


def spread(times: list[float | None], limit_s: float) -> str:
    done = [t for t in times if t is not None]
    if not done:
        return f"none closed in {limit_s:.0f} s"
    text = (f"{len(done)} of {len(times)} closed after {min(done):.1f}–{max(done):.1f} s "
            f"(median {statistics.median(done):.1f})")
    if len(done) < len(times):
        text += f"; {len(times) - len(done)} still open after {limit_s:.0f} s"
    return text


@contextlib.contextmanager
def sockets_to(server: Server, count: int, rcvbuf: int | None = None) -> Iterator[list]:
    opened: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket()
            if rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            sock.settimeout(10)
            sock.connect(server.address)
            opened.append(sock)
        yield opened
    finally:
        for sock in opened:
            sock.close()


def idle_sockets(server: Server) -> str:
    with sockets_to(server, IDLE_SOCKETS) as idle:
        time.sleep(1)
        latencies = [server.health_seconds() for _ in range(5)]
        answered = [t for t in latencies if t is not None]
        time.sleep(1)
        closed = sum(closed_by_peer(sock) for sock in idle)
    worst = max(answered) if len(answered) == len(latencies) else None
    return (f"/api/health with {IDLE_SOCKETS} idle sockets open: {len(answered)} of 5 "
            f"answered, slowest {milliseconds(worst)}; the server closed {closed} of the "
            f"idle sockets")


def half_sent_headers(server: Server) -> str:
    limit = 30.0
    with sockets_to(server, HALF_SENT) as half:
        for sock in half:
            sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        times = wait_until_closed(half, limit)
    return f"{HALF_SENT} half-sent headers: {spread(times, limit)}"


def trickled_requests(server: Server) -> str:
    limit = 30.0
    request = b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 1000
    with sockets_to(server, TRICKLED) as slow:
        started = time.monotonic()
        closed: list[float | None] = [None] * len(slow)
        for byte in request:  # one byte a second on each
            for i, sock in enumerate(slow):
                if closed[i] is None:
                    try:
                        sock.sendall(bytes([byte]))
                    except OSError:
                        closed[i] = time.monotonic() - started
                    if closed[i] is None and closed_by_peer(sock):
                        closed[i] = time.monotonic() - started
            if None not in closed or time.monotonic() - started > limit:
                break
            time.sleep(1)
    return f"{TRICKLED} requests sent a byte a second: {spread(closed, limit)}"


def stream_status(server: Server, run_id: str) -> int | None:
    try:
        with socket.create_connection(server.address, timeout=5) as sock:
            sock.sendall(f"GET /api/runs/{run_id}/events HTTP/1.1\r\n"
                         "Host: 127.0.0.1\r\n\r\n".encode())
            return int(sock.recv(64).split()[1])
    except (OSError, IndexError, ValueError):
        return None


def never_reading_streams(server: Server) -> str:
    limit = 90.0
    max_streams = 256
    run = server.call("POST", "/api/runs", BIG_NETWORK)
    try:
        with sockets_to(server, max_streams, rcvbuf=4096) as stalled:
            for sock in stalled:
                sock.sendall(f"GET /api/runs/{run['id']}/events HTTP/1.1\r\n"
                             "Host: 127.0.0.1\r\n\r\n".encode())
            time.sleep(2)
            refused = stream_status(server, run["id"])
            started = time.monotonic()
            while time.monotonic() - started < limit:
                if stream_status(server, run["id"]) == 200:
                    freed = time.monotonic() - started
                    break
                time.sleep(1)
            else:
                freed = None
            cut = sum(closed_by_peer(sock) for sock in stalled)
    finally:
        server.call("DELETE", f"/api/runs/{run['id']}")
    after = (f"a new stream opened {freed:.0f} s later; the server had cut off {cut} of them"
             if freed is not None else f"no stream could open for {limit:.0f} s")
    return (f"{max_streams} stream clients that never read, on a training run: the next "
            f"stream got {refused}; {after}")


def huge_posts(server: Server) -> str:
    header = (b"POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000000000\r\n\r\n")
    chunk = b" " * (1024 * 1024)
    results = []
    peak_spooled = 0
    for _ in range(HUGE_POSTS):
        started = time.monotonic()
        sent = 0
        answer = b""
        with socket.create_connection(server.address, timeout=10) as sock:
            sock.sendall(header)
            sock.setblocking(False)
            while sent < HUGE_POST_CAP and time.monotonic() - started < 20:
                if select.select([sock], [], [], 0)[0]:
                    with contextlib.suppress(OSError):
                        answer = sock.recv(65536)
                    break
                try:
                    sent += sock.send(chunk)
                except BlockingIOError:
                    select.select([sock], [sock], [], 0.05)
                except OSError:
                    break
                peak_spooled = max(peak_spooled, server.spooled_bytes())
            sock.setblocking(True)
            sock.settimeout(5)
            if not answer:
                with contextlib.suppress(OSError):
                    answer = sock.recv(65536)
        status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "no answer"
        kind = next((line.split(b":", 1)[1].strip().decode() for line in answer.split(b"\r\n")
                     if line.lower().startswith(b"content-type:")), "none")
        results.append((status, kind, sent, time.monotonic() - started))
    statuses = sorted({status if kind == "none" else f"{status} ({kind})"
                       for status, kind, _, _ in results})
    most_sent = max(sent for _, _, sent, _ in results)
    slowest = max(seconds for _, _, _, seconds in results)
    return (f"{HUGE_POSTS} POSTs with Content-Length: 1,000,000,000 (at most "
            f"{HUGE_POST_CAP // 2**20} MB of each sent): answered {', '.join(statuses)} "
            f"within {slowest:.1f} s, once the client had pushed at most "
            f"{most_sent / 2**20:,.1f} MB into the connection; the server's temporary files "
            f"held {peak_spooled / 2**20:,.1f} MB at the peak")


CASES: list[tuple[str, Callable[[Server], str]]] = [
    ("idle sockets", idle_sockets),
    ("half-sent headers", half_sent_headers),
    ("trickled requests", trickled_requests),
    ("never-reading stream clients", never_reading_streams),
    ("1 GB bodies", huge_posts),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=ROOT,
                        help="the checkout whose server is measured (default: this one)")
    args = parser.parse_args()
    server = Server(args.repo.resolve())
    try:
        server.settle()
        print(f"server: {args.repo.resolve()} on 127.0.0.1:{server.port}; "
              f"/api/health {milliseconds(server.health_seconds())}; {server.status()}")
        for name, case in CASES:
            before = server.status()
            started = time.monotonic()
            what = case(server)
            time.sleep(2)  # let the server settle before reading its memory
            print(f"\n{name} ({time.monotonic() - started:.0f} s)\n  {what}\n"
                  f"  server: {before} before → {server.status()} after; /api/health "
                  f"{milliseconds(server.health_seconds())}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
