"""Training-engine figures: epochs/s, POST → first snapshot, PATCH → first snapshot after it.

Runs the real app behind waitress on a free port and watches runs over their
event streams, as a page would. Prints one table; the README quotes it.

    .venv/bin/python bench/engine.py [--seconds 5] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from waitress.server import create_server

from server.app import create_app, shutdown
from server.config import Config
from tests.sse import SSEStream, call

ALL_FEATURES = {k: True for k in ("x", "y", "xSquared", "ySquared", "xTimesY", "sinX", "sinY")}
# Every run trains as fast as it can ("pace": "max"; the page's default paces a run for
# watching). The 3-class spiral with Adam (issue 16: softmax + cross-entropy, a trainer of
# its own) is compared with the two-class default: its ratio should stay above 0.5.
NETWORKS = {
    "default (circle, x1 x2, [4, 2], tanh, batch 10)": {"seed": "0.1", "pace": "max"},
    "largest (7 features, 6 x 8)": {"seed": "0.1", "pace": "max", "networkShape": [8] * 6,
                                    **ALL_FEATURES},
    "3-class spiral, Adam ([4, 2], tanh, batch 10)": {"seed": "0.1", "pace": "max",
                                                      "dataset": "spiral3",
                                                      "optimizer": "adam"},
}
BASELINE = "default (circle, x1 x2, [4, 2], tanh, batch 10)"


def epochs_per_second(base: str, spec: dict, seconds: float) -> float:
    run = call(base, "POST", "/api/runs", spec)
    stream = SSEStream(f"{base}/api/runs/{run['id']}/events")
    first = None
    for event in stream:
        if event.kind != "snapshot" or event.data["epoch"] == 0:
            continue
        now = time.perf_counter()
        if first is None:
            first = (now, event.data["epoch"])
        elif now - first[0] >= seconds:
            stream.close()
            call(base, "DELETE", f"/api/runs/{run['id']}")
            return (event.data["epoch"] - first[1]) / (now - first[0])
    raise RuntimeError("stream ended")


def first_snapshots(base: str, spec: dict) -> tuple[float, float]:
    """Seconds from POST to the first snapshot (epoch 0) and to the first trained one."""
    started = time.perf_counter()
    run = call(base, "POST", "/api/runs", spec)
    stream = SSEStream(f"{base}/api/runs/{run['id']}/events")
    initial = None
    for event in stream:
        if event.kind == "snapshot":
            initial = initial or time.perf_counter() - started
            if event.data["epoch"] > 0:
                trained = time.perf_counter() - started
                stream.close()
                call(base, "DELETE", f"/api/runs/{run['id']}")
                return initial, trained
    raise RuntimeError("stream ended")


def patch_to_effect(base: str, spec: dict) -> float:
    """Seconds from PATCH learningRate to the first snapshot trained with the new rate."""
    run = call(base, "POST", "/api/runs", spec)
    stream = SSEStream(f"{base}/api/runs/{run['id']}/events")
    events = iter(stream)
    while (e := next(events)).kind != "snapshot" or e.data["epoch"] < 1000:
        pass
    started = time.perf_counter()
    call(base, "PATCH", f"/api/runs/{run['id']}", {"learningRate": 0.1})
    for event in events:
        if event.kind == "snapshot" and event.data["learningRate"] == 0.1:
            elapsed = time.perf_counter() - started
            stream.close()
            call(base, "DELETE", f"/api/runs/{run['id']}")
            return elapsed
    raise RuntimeError("stream ended")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    app = create_app(Config(data_dir=Path(tempfile.mkdtemp()), warm_up=False))
    server = create_server(app, host="127.0.0.1", port=0, threads=16)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"

    print(f"tf-playground engine benchmark — {os.cpu_count()} cores, "
          f"{args.seconds:g} s per rate, median of {args.repeats}")
    header = (f"{'network':<48} {'epochs/s':>9} {'vs default':>10} {'compile':>8} "
              f"{'1st snap':>9} {'1st trained':>12} {'PATCH→snap':>11}")
    print(header)
    print("-" * len(header))
    rates: dict[str, float] = {}
    for name, spec in NETWORKS.items():
        _, compile_s = first_snapshots(base, spec)  # cold: compiles this architecture
        rate = rates[name] = epochs_per_second(base, spec, args.seconds)
        warm = [first_snapshots(base, spec) for _ in range(args.repeats)]
        patches = [patch_to_effect(base, spec) for _ in range(args.repeats)]
        print(f"{name:<48} {rate:>9.0f} {rate / rates[BASELINE]:>9.2f}x "
              f"{compile_s * 1000:>6.0f}ms "
              f"{statistics.median(w[0] for w in warm) * 1000:>7.1f}ms "
              f"{statistics.median(w[1] for w in warm) * 1000:>10.1f}ms "
              f"{statistics.median(patches) * 1000:>9.1f}ms")
    shutdown(app)
    server.close()


if __name__ == "__main__":
    main()
