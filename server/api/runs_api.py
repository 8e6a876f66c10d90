"""The run API: create, inspect, change, step and delete runs; their event streams and exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from exporter.bundle import TFJS_NAME, PageSources, model_files, package
from exporter.tfjs import DEFAULT_WEIGHTS_PATH, model_json_bytes, write_bytes_atomic
from server.api.errors import error_response
from server.api.json_body import parse_json_body
from server.config import Config
from server.problems import PROBLEMS, make_job
from server.runs.events import SseStream, StreamSlots, json_safe
from server.runs.models import RunModels
from server.runs.run import PAUSED, RUNNING, LimitError, Run, RunRegistry
from server.values import SpecError, whole_number

bp = Blueprint("runs", __name__)


def _registry() -> RunRegistry:
    return current_app.extensions["runs"]


def _models() -> RunModels:
    return current_app.extensions["run_models"]


def _config() -> Config:
    return current_app.config["PLAYGROUND"]


def _run_or_404(run_id: str) -> Run:
    run = _registry().get(run_id)
    if run is None:
        raise RunNotFoundError()
    run.touch()
    return run


class RunNotFoundError(Exception):
    pass


@bp.errorhandler(RunNotFoundError)
def _not_found(_: RunNotFoundError) -> ResponseReturnValue:
    return error_response(404, "id", "no run with this id (it may have been deleted)")


def _json_body() -> Any:
    """The body as JSON; an empty body is an empty object (every field has a default)."""
    return parse_json_body(request.get_data(cache=True))


@bp.get("/api/runs")
def list_runs() -> ResponseReturnValue:
    return jsonify({"runs": _registry().summaries()})


@bp.post("/api/runs")
def create_run() -> ResponseReturnValue:
    body, paused = _json_body(), _start_paused()
    _registry().check_room()  # before the job builds anything
    problem, spec, job = make_job(body, current_app.extensions["job_context"])
    run = _registry().create(problem.key, spec.to_json(), job, paused=paused)
    response = jsonify(run.details())
    response.status_code = 201
    response.headers["Location"] = f"/api/runs/{run.id}"
    return response


def _start_paused() -> bool:
    """`POST /api/runs?state=paused` creates the run paused; `running` (the default) trains."""
    state = request.args.get("state", RUNNING)
    if state not in (RUNNING, PAUSED):
        raise SpecError("state", "must be running or paused")
    return state == PAUSED


@bp.get("/api/runs/<run_id>")
def get_run(run_id: str) -> ResponseReturnValue:
    return jsonify(_run_or_404(run_id).details())


@bp.patch("/api/runs/<run_id>")
def patch_run(run_id: str) -> ResponseReturnValue:
    """`state` is the run's own; every other field is a live change its problem checks."""
    run = _run_or_404(run_id)
    body = _json_body()
    if not isinstance(body, dict):
        raise SpecError("body", "the request body must be a JSON object")
    state = body.get("state")
    if "state" in body and state not in (RUNNING, PAUSED):
        raise SpecError("state", "must be running or paused")
    changes = PROBLEMS[run.kind].parse_changes(
        {key: value for key, value in body.items() if key != "state"}, run.job)
    run.update(changes, state)
    return jsonify(run.summary())


@bp.get("/api/runs/<run_id>/timeline")
def run_timeline(run_id: str) -> ResponseReturnValue:
    """The states the run kept (log-spaced epochs), for the time-travel slider."""
    return jsonify({"moments": _run_or_404(run_id).job.timeline()})


@bp.post("/api/runs/<run_id>/fork")
def fork_run(run_id: str) -> ResponseReturnValue:
    """A new run from a kept state of this one: the same data and settings (the rates as
    they are now), the weights and epoch of `epoch` ("train on from here")."""
    run = _run_or_404(run_id)
    body, paused = _json_body(), _start_paused()
    if not isinstance(body, dict):
        raise SpecError("body", "the request body must be a JSON object")
    epoch = whole_number("epoch", body.get("epoch"), 0, run.epoch)
    saved = run.job.state_at(epoch)
    if saved is None:
        raise SpecError("epoch", f"no state of epoch {epoch} was kept; pick one that "
                                 f"/api/runs/{run.id}/timeline lists")
    _registry().check_room()
    problem, spec, job = make_job(run.spec, current_app.extensions["job_context"])
    job.restore(saved.epoch, saved.weights, saved.metrics, saved.history)
    fork = _registry().create(problem.key, spec.to_json(), job, paused=paused,
                              epoch=saved.epoch, forked_from={"run": run.id, "epoch": epoch})
    response = jsonify(fork.details())
    response.status_code = 201
    response.headers["Location"] = f"/api/runs/{fork.id}"
    return response


@bp.post("/api/runs/<run_id>/step")
def step_run(run_id: str) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    run.step()
    return jsonify(run.summary())


@bp.delete("/api/runs/<run_id>")
def delete_run(run_id: str) -> ResponseReturnValue:
    if not delete_everywhere(run_id):
        raise RunNotFoundError()
    return "", 204


def delete_everywhere(run_id: str) -> bool:
    """Delete a run and all it left: its export model, state, kept zip, TensorBoard events,
    and what only it used of its problem's (uploaded photos). False when there was no
    such run."""
    registry = _registry()
    _models().forget(run_id)  # first: the registry gives the memory back as it deletes
    known = registry.kind_and_spec(run_id)
    if not registry.delete(run_id):
        return False
    current_app.extensions["exports"].remove(run_id)
    current_app.extensions["tensorboard"].forget(run_id)
    if known is not None and known[0] in PROBLEMS:
        PROBLEMS[known[0]].run_deleted(known[1], _config(), lambda: (
            summary["spec"] for summary in registry.summaries()))
    return True


@bp.get("/api/runs/<run_id>/events")
def run_events(run_id: str) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    header = request.headers.get("Last-Event-ID", "").strip()
    # Not an id this stream sent (junk, or one from before a restart): send everything there is.
    last_id = int(header) if header.isascii() and header.isdigit() and len(header) < 20 else 0
    if last_id > run.events.last_id:
        last_id = 0
    heartbeat = _config().heartbeat_s
    slots: StreamSlots = current_app.extensions["stream_slots"]
    if not slots.take():
        raise LimitError(None, f"{slots.limit} event streams are open, the most this server "
                         "allows; close one or try again later")

    run.watch(+1)

    def closed() -> None:
        run.watch(-1)
        slots.give_back()

    return Response(
        SseStream(run.events, last_id, heartbeat, on_close=closed),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.get("/api/runs/<run_id>/model.json")
def model_json(run_id: str) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    topology, _ = _models().tfjs(run)
    return Response(model_json_bytes(topology), mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


@bp.get(f"/api/runs/<run_id>/{DEFAULT_WEIGHTS_PATH}")
def model_weights(run_id: str) -> ResponseReturnValue:
    run = _run_or_404(run_id)
    _, weights = _models().tfjs(run)
    return Response(weights, mimetype="application/octet-stream",
                    headers={"Cache-Control": "no-store"})


@bp.get("/api/runs/<run_id>/code.py")
def keras_code(run_id: str) -> ResponseReturnValue:
    """A runnable Keras script that rebuilds and trains the run's network (`model.fit`)."""
    run = _run_or_404(run_id)
    make_code = getattr(run.job, "keras_code", None)
    code = make_code(run.id) if make_code is not None else None
    if code is None:
        return jsonify({"error": f"a {run.kind} run has no Keras script"}), 404
    return Response(code, mimetype="text/x-python; charset=utf-8",
                    headers={"Cache-Control": "no-store",
                             "Content-Disposition": 'inline; filename="code.py"'})


@bp.get("/api/runs/<run_id>/export.zip")
def export(run_id: str) -> ResponseReturnValue:
    run = _run_or_404(run_id)

    guide = run.job.export_guide()
    # Only the model's own files are made while the model is held (other runs of the same
    # network share it); the zip, with its page and TensorFlow.js, is written after.
    files, steps = _models().with_model(run, lambda model, steps: (model_files(model, guide),
                                                                   steps))
    metadata = json_safe({  # a diverged run's NaN loss is null: JSON has no NaN
        **run.job.export_metadata(),
        "problem": run.kind,
        **(guide.progress(steps) if guide is not None else {"epoch": steps}),
        "exportedAt": datetime.now(UTC).isoformat(timespec="seconds"),
    })
    data = package(files, metadata, guide, _page_sources() if guide else None)
    _keep_export(run.id, data)
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="tf-playground-{run.id[:8]}.zip"'},
    )


def _page_sources() -> PageSources:
    """The exported page is made of the product's own modules and TensorFlow.js build."""
    return PageSources(current_app.config["WEB_DIR"],
                       current_app.config["VENDOR_DIR"] / "@tensorflow/tfjs/dist" / TFJS_NAME)


def _keep_export(run_id: str, data: bytes) -> None:
    """Keep a copy under the data directory, written atomically (temporary file, rename).

    The file name is the server-made run id, never anything a request chose.
    """
    if not current_app.extensions["store"].healthy:
        return
    folder = current_app.extensions["exports"].folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(folder / f"{run_id}.zip", data)
    except OSError as error:
        current_app.logger.error("cannot keep the export of %s: %s", run_id, error)
