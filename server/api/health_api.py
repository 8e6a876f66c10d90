"""`GET /api/health`: is the server well, and is it saving runs?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from server.runs.run import QUEUED, RUNNING

bp = Blueprint("health", __name__)


@bp.get("/api/health")
def health() -> ResponseReturnValue:
    store = current_app.extensions["store"]
    registry = current_app.extensions["runs"]
    runs = registry.all()
    warm_up = current_app.extensions.get("warm_up")
    heavy_training, heavy_queued = registry.cores.positions()
    placement = current_app.extensions.get("placement")
    cluster = {"cluster": placement.health()} if placement is not None else {}
    healthy = store.healthy and cluster.get("cluster", {}).get("ok", True)
    return jsonify({
        "status": "ok" if healthy else "degraded",
        "store": {"path": str(store.path), "ok": store.healthy, "error": store.error,
                  "notice": store.notice},
        "runs": len(runs),  # in memory; the store may hold more
        "training": sum(run.state == RUNNING for run in runs),
        "queued": sum(run.state == QUEUED for run in runs),
        "scheduler": {
            # The default network's trainers are compiled (start-up warm-up finished).
            "warm": (warm_up is None or not warm_up.is_alive())
                    and (placement is None or placement.warm()),
            "stacks": [{"shape": [key.num_inputs, *key.hidden_layers, 1], "runs": seats}
                       for key, seats in current_app.extensions["scheduler"].stacks()],
            "heavyRuns": {"training": heavy_training, "queued": heavy_queued,
                          "cores": registry.cores.cores},
        },
        # On a Ray cluster (`serve --ray`): its nodes, CPUs, GPUs and runs on each node.
        **cluster,
    })
