"""Write web/data/dataset-previews.json: a few points of each data set for the picker's previews.

The points come from the server's own generators (noise 0, a fixed seed), so the
previews show the real data sets. Run it again when a data set changes:

    .venv/bin/python tests/browser/make_previews.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from server.problems.playground.datasets import DATASETS, generate

OUTPUT = Path(__file__).resolve().parents[2] / "web" / "data" / "dataset-previews.json"
POINTS_PER_PREVIEW = 250
SEED = "preview"


def build_previews() -> dict[str, list[list[float]]]:
    previews = {}
    for key in DATASETS:
        split = generate(key, 0, 50, SEED)
        points = np.concatenate([split.train, split.test])[:POINTS_PER_PREVIEW]
        previews[key] = [[round(float(v), 2) for v in row] for row in points]
    return previews


if __name__ == "__main__":
    OUTPUT.write_text(json.dumps(build_previews(), separators=(",", ":")) + "\n")
    print(f"wrote {OUTPUT}")
