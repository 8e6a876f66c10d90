"""A classroom on a Ray cluster, and what losing a node costs it.

Starts a local Ray cluster in this process (`ray.cluster_utils.Cluster`: a head and
two worker nodes, each limited to one CPU, every node on 127.0.0.1) and
`tf-playground serve --ray ADDRESS` as the front in its own process (so its CPU can
be read), then:

1. the same room on one machine first, without Ray (`tf-playground serve`, its
   defaults): 40 learners on the default network and 4 MNIST `conv` runs of
   `trainImages` 5,000, watched for `--seconds`: the baseline for MNIST's seconds
   per epoch;
2. that room on the cluster: runs per node, per-learner epochs/s and snapshots/s,
   POST → first trained snapshot, MNIST seconds per epoch (as a ratio to step 1),
   and the front's CPU use;
3. mid-training, one worker node is removed: how long until every run it held
   trained again elsewhere, the epochs each lost (against the checkpoint interval)
   and the 5xx responses the front gave meanwhile (a poller asks all along).

    .venv/bin/python bench/cluster.py [--learners 40] [--mnist-runs 4] [--seconds 40]

Loopback only: the cluster and both servers listen on 127.0.0.1 and every request
goes there; every loop is bounded in count and time; everything is stopped at the end.
"""

from __future__ import annotations

import os

# Before Ray is imported (here and in the servers it starts): every node on loopback.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

import argparse
import random
import statistics
import sys
import threading
import time
import urllib.error
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.classroom import MNIST, Learner, Server, call  # noqa: E402
from server.runs.run import CHECKPOINT_S  # noqa: E402

CONV = {"problem": "mnist", "preset": "conv", "trainImages": 5000, "epochs": 50}


class Watcher(Learner):
    """A learner that also notes the `status` event saying its run moved, and when."""

    def __init__(self, *args: object) -> None:
        super().__init__(*args)  # type: ignore[arg-type]
        self.moved_at: float | None = None
        self.queued_times: list[float] = []

    def _event(self, event: bytes, now: float) -> None:
        if b"event: status" in event and b'"moved"' in event and self.moved_at is None:
            self.moved_at = now
        if b"event: status" in event and b'"queued"' in event:
            self.queued_times.append(now)
        super()._event(event, now)

    def trained_again(self) -> float | None:
        """When the first snapshot after the move showed more epochs than the move's
        restored state (its first sample after the move)."""
        if self.moved_at is None:
            return None
        after = [(t, e) for t, e in self.samples if t >= self.moved_at]
        return next((t for t, e in after if after and e > after[0][1]), None)

    def epochs_lost(self, removed_at: float) -> float | None:
        """The newest epoch seen before the node left minus the one it carried on from."""
        before = [e for t, e in self.samples if t < removed_at]
        after = [e for t, e in self.samples if self.moved_at and t >= self.moved_at]
        if not before or not after:
            return None
        return max(0.0, before[-1] - after[0])


def start_room(port: int, learners: int, mnist_runs: int) -> tuple[list[Watcher], threading.Event]:
    stop = threading.Event()
    begin = time.monotonic() + 0.2
    specs = [{} for _ in range(learners)] + [dict(CONV) for _ in range(mnist_runs)]
    watchers = [Watcher(port, spec, begin + random.random(), stop) for spec in specs]
    for watcher in watchers:
        watcher.start()
    return watchers, stop


def mnist_seconds_per_epoch(watchers: list[Watcher], start: float, end: float) -> list[float]:
    """Each MNIST run's seconds per epoch while it trained within [start, end], from its
    second epoch on (the first includes tracing)."""
    out = []
    for watcher in watchers:
        if watcher.spec.get("problem") != "mnist":
            continue
        inside = [(t, e) for t, e in watcher.samples if start <= t <= end and e >= 1]
        if len(inside) >= 2 and inside[-1][1] > inside[0][1]:
            out.append((inside[-1][0] - inside[0][0]) / (inside[-1][1] - inside[0][1]))
    return sorted(out)


def wait_for_mnist(watchers: list[Watcher], runs: int, limit_s: float = 240) -> None:
    """Until `runs` MNIST runs trained past their second epoch (an actor of their own
    starts by loading TensorFlow), at most `limit_s`; then their start-up is printed."""
    heavy = [w for w in watchers if w.spec.get("problem") == "mnist"]
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and sum(
            any(e >= 2.5 for _, e in w.samples) for w in heavy) < runs:
        time.sleep(1)
    firsts = sorted(w.first_trained - w.posted for w in heavy if w.first_trained)
    if firsts:
        print(f"  MNIST POST → first trained batch: {', '.join(f'{s:.1f}' for s in firsts)} s"
              f" ({len(heavy) - len(firsts)} still queued)")


def report_light(watchers: list[Watcher], start: float, end: float) -> float:
    """Prints the learners' figures; returns the events/s the server streamed to them.
    Rates are taken from 5 s after the room arrived (its first snapshots are not steady)."""
    start += 5
    light = [w for w in watchers if w.spec.get("problem") != "mnist" and w.status == 201]
    waits = sorted(w.first_trained - w.posted for w in light if w.first_trained)
    rates = [w.rates(start, end) for w in light]
    epochs, snapshots = sorted(r[0] for r in rates), sorted(r[1] for r in rates)
    refused = sum(w.status != 201 for w in watchers)
    print(f"  learners {len(light)} (refused {refused}): POST → first trained snapshot median "
          f"{statistics.median(waits):.2f} s, max {waits[-1]:.2f} s"
          + (f" ({len(light) - len(waits)} never trained)" if len(waits) < len(light) else ""))
    print(f"  per learner: epochs/s min {epochs[0]:,.0f}, median {statistics.median(epochs):,.0f};"
          f" snapshots/s min {snapshots[0]:.1f}, median {statistics.median(snapshots):.1f}")
    return sum(snapshots)


def watch(server: Server, seconds: float) -> tuple[float, float, float]:
    """Wait `seconds`; returns the window to measure in and the server's CPU (cores)."""
    begin = time.monotonic()
    cpu_before = server.cpu_seconds()
    time.sleep(seconds)
    end = time.monotonic()
    cores = (server.cpu_seconds() - cpu_before) / (end - begin)
    print(f"  server process: {cores:.2f} cores, memory {server.rss_mb():,.0f} MB")
    return begin, end, cores


class Poller(threading.Thread):
    """A page asking the front all along: counts 5xx answers."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.answers = 0
        self.server_errors = 0

    def run(self) -> None:
        while not self.stop.is_set():
            for path in ("/api/health", "/api/runs"):
                try:
                    status, _ = call(self.port, "GET", path)
                except (urllib.error.URLError, ConnectionError):
                    status = 599
                self.answers += 1
                self.server_errors += status >= 500
            time.sleep(0.1)


def one_machine(args: argparse.Namespace, extra: list[str], mnist_runs: int) -> list[float]:
    """The room on one machine, without Ray; its MNIST runs' seconds per epoch."""
    print("one machine, without Ray:")
    local = Server(extra)
    try:
        watchers, stop = start_room(local.port, args.learners, mnist_runs)
        *window, _ = watch(local, args.seconds)
        report_light(watchers, *window)
        wait_for_mnist(watchers, min(mnist_runs, 1))  # --heavy-runs: half of 2 cores
        stop.set()
        baseline = mnist_seconds_per_epoch(watchers, window[0], time.monotonic())
        if baseline:
            print(f"  MNIST s/epoch while training: {', '.join(f'{s:.1f}' for s in baseline)}"
                  f" ({len(baseline)} of {mnist_runs} trained; the rest queued)")
        local.delete_all()
        return baseline
    finally:
        local.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--mnist-runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the room on one machine (no MNIST ratio then)")
    args = parser.parse_args()
    random.seed(1)
    mnist_runs = args.mnist_runs if MNIST.exists() else 0
    if args.mnist_runs and not MNIST.exists():
        print(f"(no {MNIST}: MNIST runs left out)")
    extra = ["--mnist", str(MNIST)] if MNIST.exists() else []
    print(f"{os.cpu_count()} cores on this machine; {args.learners} learners + {mnist_runs} "
          f"MNIST conv runs (trainImages 5,000); checkpoint interval {CHECKPOINT_S:.0f} s")

    baseline = [] if args.no_baseline else one_machine(args, extra, mnist_runs)

    from ray.cluster_utils import Cluster

    started = time.monotonic()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    workers = [cluster.add_node(num_cpus=1) for _ in range(2)]
    cluster.wait_for_nodes()
    print(f"the cluster (head + 2 workers, 1 CPU each) is up in "
          f"{time.monotonic() - started:.1f} s at {cluster.address}")
    front = Server([*extra, "--ray", cluster.address])
    try:
        # One run per node first: each node's host loads TensorFlow before the room comes.
        probes = [call(front.port, "POST", "/api/runs", {})[1]["id"] for _ in range(3)]
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not all(
                call(front.port, "GET", f"/api/runs/{p}")[1]["epoch"] > 0 for p in probes):
            time.sleep(0.5)
        front.delete_all()
        print("the same room on the cluster, through the front:")
        watchers, stop = start_room(front.port, args.learners, mnist_runs)
        *window, cores = watch(front, args.seconds)
        _, health = call(front.port, "GET", "/api/health")
        print("  runs per node: " + ", ".join(
            f"{'head' if i == 0 else f'worker {i}'} {node['runs']}"
            for i, node in enumerate(health["cluster"]["nodes"])))
        events = report_light(watchers, *window)
        print(f"  the front relayed {events:,.0f} snapshot events/s to {len(watchers)} streams "
              f"(plus MNIST's): {cores / max(events, 1) * 1000:.2f} cores per 1,000 events/s")
        wait_for_mnist(watchers, min(mnist_runs, int(health["cluster"]["cpus"])))
        on_cluster = mnist_seconds_per_epoch(watchers, window[0], time.monotonic())
        if on_cluster:
            ratio = (f" = {statistics.median(on_cluster) / statistics.median(baseline):.2f} × "
                     "one machine's (medians)") if baseline else ""
            print(f"  MNIST s/epoch while training: {', '.join(f'{s:.1f}' for s in on_cluster)}"
                  f" ({len(on_cluster)} of {mnist_runs} trained){ratio}")

        print("a worker node leaves mid-training:")
        poller = Poller(front.port)
        poller.start()
        time.sleep(1)
        removed_at = time.monotonic()
        cluster.remove_node(workers[0])
        deadline = removed_at + 120
        while time.monotonic() < deadline:
            moved = [w for w in watchers if w.moved_at is not None]
            if moved and all(w.trained_again() for w in moved) and \
                    time.monotonic() - removed_at > 15:
                break
            time.sleep(0.5)
        poller.stop.set()
        poller.join(timeout=30)
        stop.set()
        moved = [w for w in watchers if w.moved_at is not None]
        queued = [w for w in watchers if w.spec.get("problem") == "mnist" and w.moved_at is None
                  and w.first_trained is not None and w.first_trained < removed_at
                  and any(t >= removed_at for t in w.queued_times)]
        print(f"  runs it held: {len(moved) + len(queued)}; moved and training again: "
              f"{len(moved)}; waiting in the queue for a free CPU (no node has room): "
              f"{len(queued)}")
        again = [w.trained_again() for w in moved]
        if moved:
            print("  every moved run trained again elsewhere after "
                  + (f"{max(t for t in again if t) - removed_at:.1f} s" if all(again) else
                     f"— {sum(not t for t in again)} did not within 120 s"))
        for kind, label in (("light", "learner"), ("mnist", "MNIST run")):
            runs = [w for w in moved if (w.spec.get("problem") == "mnist") == (kind == "mnist")]
            lost = [(w.epochs_lost(removed_at), w.rates(removed_at - 5, removed_at)[0])
                    for w in runs]
            lost = [(epochs, epochs / rate) for epochs, rate in lost if epochs is not None and rate]
            if lost:
                print(f"  lost per {label}: epochs max {max(e for e, _ in lost):,.2f}, i.e. "
                      f"at most {max(s for _, s in lost):.2f} s of its training (checkpoint "
                      f"interval {CHECKPOINT_S:.0f} s)")
        print(f"  front answers while it happened: {poller.answers}, 5xx: {poller.server_errors};"
              f" streams cut: {sum(1 for w in watchers if w.error)}")
        front.delete_all()
    finally:
        front.stop()
        cluster.shutdown()


if __name__ == "__main__":
    main()
