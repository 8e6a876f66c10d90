"""Write web/data/dataset-previews.json: a few points of each data set for the picker's previews.

The points come from the server's own generators (noise 0, a fixed seed), so the
previews show the real data sets. Run it again when a data set changes:

    .venv/bin/python tools/make_previews.py           # rewrite the file
    .venv/bin/python tools/make_previews.py --check   # only say whether it is up to date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's server package, not an installed one

import numpy as np  # noqa: E402

from server.problems.playground.datasets import DATASETS  # noqa: E402
from server.problems.playground.many_classes import (  # noqa: E402
    MANY_CLASS_DATASETS,
    generate_any,
)

OUTPUT = ROOT / "web" / "data" / "dataset-previews.json"
POINTS_PER_PREVIEW = 250
SEED = "preview"


def build_previews() -> dict[str, list[list[float]]]:
    previews = {}
    for key in [*DATASETS, *MANY_CLASS_DATASETS]:
        split = generate_any(key, 0, 50, SEED)
        points = np.concatenate([split.train, split.test])[:POINTS_PER_PREVIEW]
        previews[key] = [[round(float(v), 2) for v in row] for row in points]
    return previews


def render() -> str:
    return json.dumps(build_previews(), separators=(",", ":")) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the file differs from what the "
                             "generators give now")
    parser.add_argument("--output", type=Path, default=OUTPUT,
                        help=f"where to write (default: {OUTPUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text() if args.output.exists() else None
        if current == text:
            print(f"{args.output} is up to date")
            return 0
        print(f"{args.output} is stale: run {Path(__file__).relative_to(ROOT)} without --check")
        return 1
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
