"""Export figures: each problem's export.zip (a working page) — its size, the time to
answer `GET /api/runs/<id>/export.zip`, and what the page adds to packaging, as a ratio to
the same zip without the page measured in the same run.

Runs the app in-process (Flask's test client: no sockets), trains one run per problem a
little, then exports it `--repeats` times. MNIST is skipped without its data.

    .venv/bin/python bench/export.py [--repeats 20] [--mnist ../shared/data/mnist.npz]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exporter.bundle import PageSources, model_files, package
from server.app import REPO_ROOT, create_app, shutdown
from server.config import Config

PROBLEMS = {
    "playground (default network)": {"seed": "0.1"},
    "fitting (crickets, network of 10)": {"problem": "fitting", "dataset": "crickets",
                                          "model": "network"},
    "mnist (conv preset)": {"problem": "mnist", "preset": "conv", "trainImages": 500,
                            "epochs": 1, "batchSize": 50},
}


def median_ms(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(app: Any, page: PageSources, name: str, spec: dict[str, Any], repeats: int
            ) -> str:
    """One problem's row: train a run a little, pause it, time its exports."""
    client = app.test_client()
    created = client.post("/api/runs", json=spec)
    if created.status_code != 201:
        return f"{name:36} skipped: {created.get_json()['error'][:60]}"
    run_id = created.get_json()["id"]
    while True:
        summary = client.get(f"/api/runs/{run_id}").get_json()
        if summary["epoch"] >= 30 or summary["state"] == "finished":
            break
        time.sleep(0.1)
    client.patch(f"/api/runs/{run_id}", json={"state": "paused"})
    url = f"/api/runs/{run_id}/export.zip"
    size = len(client.get(url).data)
    get_ms = median_ms(lambda: client.get(url), repeats)
    run = app.extensions["runs"].get(run_id)
    guide = run.job.export_guide()
    files, _ = app.extensions["run_models"].with_model(
        run, lambda model, steps: (model_files(model, guide), steps))
    with_page = median_ms(lambda: package(files, {}, guide, page), repeats)
    without = median_ms(lambda: package(files, {}, guide, None), repeats)
    return (f"{name:36} {size / 1024:7.0f} {get_ms:7.0f} {with_page:11.1f} "
            f"{without:13.1f} {with_page / max(without, 1e-3):6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--mnist", type=Path,
                        default=REPO_ROOT.parent / "shared" / "data" / "mnist.npz")
    args = parser.parse_args()
    app = create_app(Config(data_dir=Path(tempfile.mkdtemp(prefix="bench-export-")),
                            mnist_path=args.mnist))
    page = PageSources.of_repo(REPO_ROOT)
    print(f"{'problem':36} {'zip KB':>7} {'GET ms':>7} {'package ms':>11} "
          f"{'without page':>13} {'ratio':>6}")
    try:
        for name, spec in PROBLEMS.items():
            print(measure(app, page, name, spec, args.repeats))
    finally:
        shutdown(app)


if __name__ == "__main__":
    main()
