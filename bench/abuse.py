"""Abuse: idle, slow and never-reading clients, huge bodies, and what one client can make
the server hold (paused runs by the thousand, a gigantic MNIST model, steps racing a
delete), as an attacker would try them.

Starts `tf-playground serve` in its own process (a fresh data directory, a free loopback
port) and tries each case in turn; for each it prints what the server did, and the
server's memory (RSS) and threads before and after. Every socket talks to 127.0.0.1; each
case is bounded in count and time and cleans up after itself. The last case restarts the
server on its data directory, so the cases after it would run on a new process.

    .venv/bin/python bench/abuse.py [--repo PATH]

`--repo` measures another checkout's server instead (e.g. one from before a change:
`git archive COMMIT | tar -x -C /tmp/before`, then `--repo /tmp/before`). A case that
needs an option that checkout's `serve` lacks (`--max-runs`, `--mnist`) says so and is
skipped. The MNIST case needs `../shared/data/mnist.npz` beside the checkout.
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
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IDLE_SOCKETS = 400
HALF_SENT = 50
TRICKLED = 10
HUGE_POSTS = 4
HUGE_POST_CAP = 64 * 1024 * 1024  # bytes sent of each 1 GB body at most: enough to tell
BIG_NETWORK = {"networkShape": [8] * 6, "x": True, "y": True, "xSquared": True,
               "ySquared": True, "xTimesY": True, "sinX": True, "sinY": True}
MNIST_NPZ = ROOT.parent / "shared/data/mnist.npz"
PAUSED_RUNS = 3000
PAUSED_RUNS_LIMIT_S = 120.0  # stop creating after this long, and say how many were made
HUGE_MNIST = {"problem": "mnist", "layers": [
    {"type": "conv", "filters": 128, "kernel": 9, "stride": 1}, {"type": "dense", "units": 1024}]}
LARGE_MNIST = {"problem": "mnist", "trainImages": 1000, "layers": [
    {"type": "conv", "filters": 64, "kernel": 5, "stride": 1}, {"type": "maxpool", "size": 2},
    {"type": "dense", "units": 256}]}
MNIST_CYCLES = 20
MNIST_REPORTED = (1, 5, 10, 20)
RACING_STEPS = 30


def serve_help(repo: Path) -> str:
    """The text of that checkout's `serve --help`: which options it has."""
    try:
        return subprocess.run([sys.executable, "-m", "server.cli", "serve", "--help"],
                              cwd=repo, capture_output=True, text=True, timeout=120).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


class Server:
    """`tf-playground serve` in a child process."""

    def __init__(self, repo: Path, mnist: Path | None = None) -> None:
        self.repo = repo
        self.help = serve_help(repo)
        # `serve` options besides port and data directory
        self.options = ["--mnist", str(mnist)] if mnist and self.supports("--mnist") else []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.data_dir = Path(tempfile.mkdtemp(prefix="abuse-"))
        self.started_in = self._launch()

    def _launch(self) -> float:
        """Start the process; seconds until /api/health answers."""
        started = self.launched_at = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
             "--data-dir", str(self.data_dir), *self.options],
            cwd=self.repo, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        deadline = started + 180
        while self.health_seconds(timeout=2) is None:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        return time.monotonic() - started

    def _terminate(self) -> float:
        """SIGTERM, then SIGKILL after 60 s; seconds until the process was gone."""
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=60)
        return time.monotonic() - started

    def restart(self) -> tuple[float, float]:
        """Stop and start again on the same data directory and port: (seconds to stop,
        seconds from the new process's start until /api/health answers)."""
        stopped_in = self._terminate()
        return stopped_in, self._launch()

    def supports(self, option: str) -> bool:
        """Has this checkout's `serve` that option?"""
        return option in self.help

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

    def request(self, method: str, path: str, body: dict | None = None,
                timeout: float = 60) -> tuple[int | None, dict, dict[str, str]]:
        """(status, JSON body, headers) whatever the status; status None: no answer."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text, headers = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, text, headers = error.code, error.read(), error.headers
        except OSError:  # refused, reset, timed out
            return None, {}, {}
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = {"text": text[:200].decode(errors="replace")}
        return status, answer, dict(headers.items())

    def run_count(self) -> int | None:
        status, answer, _ = self.request("GET", "/api/runs", timeout=120)
        return len(answer["runs"]) if status == 200 else None

    def stop(self) -> None:
        self._terminate()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def milliseconds(seconds: float | None) -> str:
    return "no answer in 5 s" if seconds is None else f"{seconds * 1000:,.0f} ms"


def by_count(statuses: Sequence[int | None]) -> str:
    counts = Counter("no answer" if s is None else str(s) for s in statuses)
    return ", ".join(f"{status} × {count:,}" for status, count in sorted(counts.items()))


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


def too_big_mnist_and_large_cycles(server: Server) -> str:
    if not MNIST_NPZ.exists():
        return f"skipped: no {MNIST_NPZ}"
    if not server.supports("--mnist"):
        return "skipped: this checkout's serve has no --mnist"
    before = server.status()
    status, answer, _ = server.request("POST", "/api/runs?state=paused", HUGE_MNIST, timeout=300)
    time.sleep(2)
    refused = (f"conv(128 filters, 9×9, stride 1) + dense(1024), paused: {status} "
               f"(field {answer.get('field')!r}: {answer.get('error')!r}); server {before} → "
               f"{server.status()}")
    if status == 201:  # an older server built it: give its memory back before going on
        server.request("DELETE", f"/api/runs/{answer['id']}")
    rss: dict[int, float] = {}
    failures: list[str] = []
    start_rss = server.memory_and_threads()[0]
    started = time.monotonic()
    for cycle in range(1, MNIST_CYCLES + 1):
        status, run, _ = server.request("POST", "/api/runs?state=paused", LARGE_MNIST,
                                        timeout=300)
        if status != 201:
            failures.append(f"cycle {cycle}: create {status} {run.get('error')!r}")
            break
        stepped = server.request("POST", f"/api/runs/{run['id']}/step", timeout=300)[0]
        model = server.request("GET", f"/api/runs/{run['id']}/model.json", timeout=300)[0]
        deleted = server.request("DELETE", f"/api/runs/{run['id']}", timeout=300)[0]
        if (stepped, model, deleted) != (200, 200, 204):
            failures.append(f"cycle {cycle}: step {stepped}, model.json {model}, "
                            f"delete {deleted}")
        if cycle in MNIST_REPORTED:
            rss[cycle] = server.memory_and_threads()[0]
    took = time.monotonic() - started
    cycles = ", ".join(f"{cycle}: {mb:,.0f} MB" for cycle, mb in rss.items())
    text = (f"{refused}\n  {MNIST_CYCLES} create-step-model.json-delete cycles of a large "
            f"allowed model (conv 64×5×5, maxpool 2, dense 256; 1,000 training images) in "
            f"{took:.0f} s: RSS {start_rss:,.0f} MB before; after cycle {cycles}")
    if len(rss) == len(MNIST_REPORTED) and MNIST_REPORTED[0] != MNIST_REPORTED[-1]:
        first, last = MNIST_REPORTED[0], MNIST_REPORTED[-1]
        text += (f" ({(rss[last] - rss[first]) / (last - first):+,.1f} MB a cycle after "
                 f"the first)")
    if failures:
        text += "; failures: " + "; ".join(failures)
    return text


def steps_racing_a_delete(server: Server) -> str:
    status, run, _ = server.request("POST", "/api/runs?state=paused", {"seed": "race"})
    if status != 201:
        return f"could not create the paused run: {status} {run.get('error')!r}"
    path = f"/api/runs/{run['id']}"
    deadline = time.monotonic() + 30  # until its first snapshot is out and its thread ends
    while time.monotonic() < deadline:
        status, summary, _ = server.request("GET", path)
        if status == 200 and (summary.get("metrics") or summary).get("trainLoss") is not None:
            break
        time.sleep(0.1)
    time.sleep(1)
    gate = threading.Barrier(RACING_STEPS + 1)
    answers: list[tuple[int | None, float]] = []
    deleted: list[tuple[int | None, float]] = []

    def timed(method: str, into: list) -> None:
        gate.wait()
        started = time.monotonic()
        status = server.request(method, path + ("/step" if method == "POST" else ""),
                                timeout=150)[0]
        into.append((status, time.monotonic() - started))

    threads = [threading.Thread(target=timed, args=("POST", answers))
               for _ in range(RACING_STEPS)]
    threads.insert(RACING_STEPS // 2, threading.Thread(target=timed, args=("DELETE", deleted)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=200)
    slowest = max((seconds for _, seconds in answers), default=0.0)
    delete = (f"{deleted[0][0]} in {deleted[0][1] * 1000:,.0f} ms" if deleted
              else "no answer")
    # Is the run gone afterwards? (A request that misses it in memory while the delete
    # is under way could bring it back from the store.)
    status, summary, _ = server.request("GET", path)
    if status == 200:
        afterwards = (f"afterwards GET of the run: 200, {summary.get('state')} (the deleted "
                      f"run is back; a second DELETE: {server.request('DELETE', path)[0]})")
    else:
        afterwards = f"afterwards GET of the run: {status}"
    return (f"{RACING_STEPS} POST …/step racing one DELETE on a paused run: "
            f"{by_count([s for s, _ in answers])}; slowest step answered in "
            f"{slowest:,.2f} s; the DELETE: {delete}; {afterwards}")


def paused_runs(server: Server) -> str:
    if not server.supports("--max-runs"):
        return "skipped: this checkout's serve has no --max-runs (every paused run is kept)"
    before = server.status()
    statuses: list[int | None] = []
    ids: list[str] = []
    retry_after: set[str] = set()
    started = time.monotonic()
    for i in range(PAUSED_RUNS):
        if time.monotonic() - started > PAUSED_RUNS_LIMIT_S:
            break
        status, answer, headers = server.request("POST", "/api/runs?state=paused",
                                                 {"seed": f"paused-{i}"})
        statuses.append(status)
        if status == 201:
            ids.append(answer["id"])
        elif status == 429:
            retry_after.add(headers.get("Retry-After", "none"))
    took = time.monotonic() - started
    time.sleep(2)
    after = server.status()
    listing_started = time.monotonic()
    listed = server.run_count()
    listing_s = time.monotonic() - listing_started
    cut_short = (f" (stopped after {PAUSED_RUNS_LIMIT_S:.0f} s)"
                 if len(statuses) < PAUSED_RUNS else "")
    retry = f" (Retry-After: {', '.join(sorted(retry_after))})" if retry_after else ""
    listing = ("GET /api/runs failed" if listed is None else
               f"GET /api/runs lists {listed:,} in {listing_s * 1000:,.0f} ms")
    stopped_in, health_in = server.restart()
    all_listed = None
    while time.monotonic() - server.launched_at < 180:
        if (server.run_count() or 0) >= len(ids):
            all_listed = time.monotonic() - server.launched_at
            break
        time.sleep(0.2)
    listed_in = "not within 180 s" if all_listed is None else f"{all_listed:.1f} s"
    brought = ""
    if ids:
        fetch = time.monotonic()
        status = server.request("GET", f"/api/runs/{ids[0]}")[0]
        brought = (f"; GET of the oldest run (brought back from the store): {status} in "
                   f"{(time.monotonic() - fetch) * 1000:,.0f} ms")
    return (f"{len(statuses):,} POST /api/runs?state=paused in {took:.0f} s{cut_short}: "
            f"{by_count(statuses)}{retry}\n"
            f"  server {before} → {after} after them; {listing}\n"
            f"  restart on the same data directory: stopped in {stopped_in:.1f} s; the new "
            f"process answered /api/health {health_in:.1f} s after it started, and "
            f"GET /api/runs listed all {len(ids):,} after {listed_in}{brought}")


CASES: list[tuple[str, Callable[[Server], str]]] = [
    ("idle sockets", idle_sockets),
    ("half-sent headers", half_sent_headers),
    ("trickled requests", trickled_requests),
    ("never-reading stream clients", never_reading_streams),
    ("1 GB bodies", huge_posts),
    ("an MNIST model of gigabytes, then large MNIST runs created and deleted",
     too_big_mnist_and_large_cycles),
    ("steps racing a delete", steps_racing_a_delete),
    (f"{PAUSED_RUNS:,} runs created paused, then a restart", paused_runs),  # last: restarts
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo", type=Path, default=ROOT,
                        help="the checkout whose server is measured (default: this one)")
    args = parser.parse_args()
    repo = args.repo.resolve()
    server = Server(repo, mnist=MNIST_NPZ if MNIST_NPZ.exists() else None)
    try:
        server.settle()
        print(f"server: {repo} on 127.0.0.1:{server.port} (started in {server.started_in:.1f} s"
              f"{', ' + ' '.join(server.options) if server.options else ''}); "
              f"/api/health {milliseconds(server.health_seconds())}; {server.status()}")
        for name, case in CASES:
            before, pid = server.status(), server.process.pid
            started = time.monotonic()
            what = case(server)
            time.sleep(2)  # let the server settle before reading its memory
            after = "the restarted process" if server.process.pid != pid else "after"
            print(f"\n{name} ({time.monotonic() - started:.0f} s)\n  {what}\n"
                  f"  server: {before} before → {server.status()} {after}; /api/health "
                  f"{milliseconds(server.health_seconds())}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
