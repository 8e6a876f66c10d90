"""Which way is up?: test accuracy and minutes of training per data set and preset,
beside the talk's 83% (its network on 195,000 COCO photos, 40 epochs, 12 hours on a GPU).

Each run goes through the run API as the page makes it (the data set's default
budget unless --epochs), with a client reading its events; the minutes run from the
POST to the status `finished` (data preparation, compilation and evaluations
included). "train acc." is the lab's training accuracy: the last chunk's batches,
dropout on; the gap to the test accuracy is the overfitting lesson.

    .venv/bin/python bench/orientation.py [--datasets digits photos] [--presets talk small]
                                          [--epochs N] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from waitress.server import create_server  # noqa: E402

from server.app import create_app, shutdown  # noqa: E402
from server.config import Config  # noqa: E402
from tests.sse import SSEStream, call  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist.npz"
TALK = 0.83
TARGETS = {"digits": (0.98, 3.0)}  # accuracy, minutes


def one_run(base: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Train a run to its budget, watching its events; its figures."""
    started = time.perf_counter()
    run = call(base, "POST", "/api/runs", spec)
    stream = SSEStream(f"{base}/api/runs/{run['id']}/events", timeout=1800)
    best, evaluation = 0.0, None
    for event in stream:
        if event.kind == "evaluation":
            best = max(best, event.data["testAccuracy"])
            evaluation = event.data
        if event.kind == "status" and event.data["state"] in ("finished", "diverged"):
            break
    minutes = (time.perf_counter() - started) / 60
    stream.close()
    details = call(base, "GET", f"/api/runs/{run['id']}")
    call(base, "DELETE", f"/api/runs/{run['id']}")
    metrics = details["metrics"]
    return {"accuracy": metrics["testAccuracy"], "best": max(best, metrics["testAccuracy"]),
            "train": metrics.get("trainAccuracy"), "minutes": minutes,
            "epochs": details["spec"]["epochs"], "setup": details["setup"],
            "evaluation": evaluation}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="*", default=["digits", "photos"])
    parser.add_argument("--presets", nargs="*", default=["talk", "small"])
    parser.add_argument("--epochs", type=int, default=None, help="default: the data set's")
    parser.add_argument("--image-size", type=int, default=None, help="photos: 32, 48, 64, 96")
    parser.add_argument("--train-images", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mnist", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    app = create_app(Config(data_dir=Path(tempfile.mkdtemp()), warm_up=False,
                            mnist_path=args.mnist if args.mnist.exists() else None))
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    print(f"Which way is up? {os.cpu_count()} cores; the talk: {TALK:.0%} on 40,000 new "
          "COCO photos after 40 epochs of 195,000 (12 h on a GPU)")
    header = (f"{'data set':<8} {'preset':<6} {'input':>8} {'train imgs':>10} {'epochs':>6} "
              f"{'test acc.':>9} {'best':>7} {'train acc.':>10} {'minutes':>7} {'talk':>5} "
              f"{'target':>14}")
    print(header)
    print("-" * len(header))
    try:
        for dataset in args.datasets:
            for preset in args.presets:
                spec: dict[str, Any] = {"problem": "orientation", "dataset": dataset,
                                        "preset": preset, "seed": args.seed}
                if args.epochs:
                    spec["epochs"] = args.epochs
                if args.image_size and dataset != "digits":
                    spec["imageSize"] = args.image_size
                if args.train_images:
                    spec["trainImages"] = args.train_images
                r = one_run(base, spec)
                setup = r["setup"]
                size = f"{setup['imageSize']}²×{setup['channels']}"
                target = TARGETS.get(dataset)
                met = ""
                if target:
                    ok = r["accuracy"] >= target[0] and r["minutes"] <= target[1]
                    met = f"≥{target[0]:.0%} ≤{target[1]:.0f}m {'met' if ok else 'MISSED'}"
                train = f"{r['train']:.2%}" if r["train"] is not None else "-"
                print(f"{dataset:<8} {preset:<6} {size:>8} {setup['trainImages']:>10,} "
                      f"{r['epochs']:>6} {r['accuracy']:>9.2%} {r['best']:>7.2%} "
                      f"{train:>10} {r['minutes']:>7.2f} {TALK:>5.0%} {met:>14}", flush=True)
                evaluation = r["evaluation"] or {}
                per_class = evaluation.get("perClass")
                if per_class:
                    print("    per direction (up, right, down, left): "
                          + ", ".join(f"{a:.1%}" for a in per_class))
                if evaluation.get("perDigit"):
                    ranked = sorted(enumerate(evaluation["perDigit"]), key=lambda p: p[1])
                    print("    hardest digits: " + ", ".join(f"{d} {a:.1%}"
                                                           for d, a in ranked[:3]))
                if evaluation.get("perPhoto"):
                    large = [p for p in evaluation["perPhoto"] if not p["name"].startswith("face")]
                    faces = [p["accuracy"] for p in evaluation["perPhoto"]
                             if p["name"].startswith("face")]
                    text = ", ".join(f"{p['name']} {p['accuracy']:.1%}" for p in large)
                    if faces:
                        text += f"; {len(faces)} faces {sum(faces) / len(faces):.1%}"
                    print(f"    test photos: {text}")
    finally:
        shutdown(app)
        server.close()


if __name__ == "__main__":
    main()
