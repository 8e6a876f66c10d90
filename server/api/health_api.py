"""`GET /api/health`: is the server well, and is it saving runs?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from server.runs.run import RUNNING

bp = Blueprint("health", __name__)


@bp.get("/api/health")
def health() -> ResponseReturnValue:
    store = current_app.extensions["store"]
    runs = current_app.extensions["runs"].all()
    return jsonify({
        "status": "ok" if store.healthy else "degraded",
        "store": {"path": str(store.path), "ok": store.healthy, "error": store.error},
        "runs": len(runs),
        "training": sum(run.state == RUNNING for run in runs),
    })
