"""The Flask application factory: one registry of runs, one scheduler that trains them."""

from __future__ import annotations

import atexit
import logging
import threading
from pathlib import Path

from flask import Flask, Response

from server.api import catalog_api, health_api, pages, runs_api
from server.api.errors import register_error_handlers
from server.api.guard import register_request_guard
from server.config import MAX_BODY_BYTES, Config
from server.data_dir_lock import LOCKING_SUPPORTED, DataDirLock
from server.problem import JobContext
from server.problems import make_job
from server.runs.events import StreamSlots
from server.runs.exports import ExportFolder
from server.runs.models import RunModels
from server.runs.run import Job, RunRegistry
from server.runs.store import RunRecord, RunStore
from server.training.scheduler import Scheduler

REPO_ROOT = Path(__file__).resolve().parent.parent

# Pages may load only what this server serves; 'wasm-unsafe-eval' lets the WASM backend compile.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def create_app(config: Config | None = None) -> Flask:
    """Build the app; its registry and scheduler live in `app.extensions`."""
    config = config or Config()
    # Before anything touches the data directory: a second server on it gets
    # DataDirInUseError. One that cannot hold a lock file has a run store to say why.
    data_dir_lock = DataDirLock(config.data_dir)
    try:
        data_dir_lock.acquire()
    except OSError as error:
        logging.getLogger(__name__).error("cannot lock the data directory %s: %s",
                                          config.data_dir, error)
    app = Flask(__name__, static_folder=None)
    app.config.update(
        PLAYGROUND=config,
        WEB_DIR=REPO_ROOT / "web",
        VENDOR_DIR=REPO_ROOT / "node_modules",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    scheduler = Scheduler()
    placement = None
    if config.ray_address is not None:  # Ray is imported only here, only when asked for
        from server.cluster.placement import RayPlacement

        try:
            placement = RayPlacement(config.ray_address, config)
        except BaseException:
            data_dir_lock.release()
            scheduler.close()
            raise
    store = RunStore(config.data_dir)
    context = JobContext(config, scheduler, placement)

    def job_for_record(record: RunRecord) -> tuple[str, Job]:
        """A saved run's job, made from its spec exactly as a request's would be."""
        problem, _, job = make_job(record.spec, context)
        return problem.key, job

    registry = RunRegistry(idle_timeout_s=config.idle_timeout_s, store=store,
                           heavy_runs=placement.cpus() if placement else config.heavy_runs,
                           max_runs=config.max_runs, job_for_record=job_for_record)
    if placement is not None:  # a heavy run per CPU of the cluster, as nodes come and go
        placement.on_capacity = registry.cores.resize
    app.extensions["placement"] = placement
    app.extensions["scheduler"] = scheduler
    app.extensions["runs"] = registry
    app.extensions["run_models"] = RunModels()
    app.extensions["job_context"] = context
    app.extensions["store"] = store
    app.extensions["stream_slots"] = StreamSlots(config.max_streams)
    app.extensions["data_dir_lock"] = data_dir_lock
    app.extensions["exports"] = exports = ExportFolder(config.data_dir)
    if data_dir_lock.held or not LOCKING_SUPPORTED:
        # Zips of deleted runs only when every run is known (the store opened clean).
        known = ({summary["id"] for summary in registry.summaries()}
                 if store.healthy and not store.notice else None)
        exports.sweep(known)
    atexit.register(lambda: shutdown(app))

    register_error_handlers(app)
    register_request_guard(app, config)
    app.register_blueprint(catalog_api.bp)
    app.register_blueprint(health_api.bp)
    app.register_blueprint(runs_api.bp)
    app.register_blueprint(pages.bp)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    if config.warm_up and placement is None:  # on a cluster, each node's host warms up
        # The default network's trainer, compiled before the first learner presses play.
        _, _, default_job = make_job({"seed": "warm-up"}, app.extensions["job_context"])
        warm_up = threading.Thread(target=scheduler.warm, args=(default_job.architecture,),
                                   name="warm-up", daemon=True)
        warm_up.start()
        app.extensions["warm_up"] = warm_up
    return app


def shutdown(app: Flask) -> None:
    """Save and halt every run and wait for compilations in flight: a process that exits
    while XLA compiles in another thread aborts (exit 134) instead of ending cleanly."""
    app.extensions["runs"].close()
    warm_up = app.extensions.get("warm_up")
    if warm_up is not None:
        warm_up.join(timeout=120)
    app.extensions["scheduler"].close()
    if app.extensions.get("placement") is not None:
        app.extensions["placement"].close()
    app.extensions["store"].close()
    app.extensions["data_dir_lock"].release()
