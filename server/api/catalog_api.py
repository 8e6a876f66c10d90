"""`GET /api/catalog`: the one catalogue of choices, limits and defaults.

Pages build their controls from it and keep no copy of their own. Each problem
declares its own part (`Problem.catalog`); this document puts them side by side
under the problems' keys, with the list of problems and the pages that show them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from server.config import Config
from server.problems import PROBLEMS
from server.runs.sweeps import MAX_SWEEP_RUNS, MAX_VARIED

bp = Blueprint("catalog", __name__)


@bp.get("/api/catalog")
def catalog() -> ResponseReturnValue:
    return jsonify(build_catalog(current_app.config["PLAYGROUND"]))


def build_catalog(config: Config) -> dict[str, Any]:
    """The JSON document `GET /api/catalog` serves."""
    return {
        "problems": [problem.describe() for problem in PROBLEMS.values()],
        **{key: problem.catalog(config) for key, problem in PROBLEMS.items()},
        "sweeps": {"maxRuns": MAX_SWEEP_RUNS, "maxVaried": MAX_VARIED},
    }
