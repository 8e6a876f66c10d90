"""The sweep API: many runs of one base spec with one or two settings varied, compared live.

A sweep's runs are ordinary runs (made by their problem's plug-in, trained by the
same scheduler, streamed, exported, stored); a sweep adds only the list of them and
what each one varies. Every combination is checked by the problem's own
`parse_spec` before any run is made, so a value its field does not allow is a 400
naming `vary.<field>` with the problem's reason, and nothing starts.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from server.api.errors import error_response
from server.api.json_body import parse_json_body
from server.api.runs_api import delete_everywhere
from server.config import Config
from server.problem import Problem
from server.problems import PROBLEMS, problem_for
from server.runs.events import MergedSseStream, StreamSlots, json_safe
from server.runs.run import ENDED, PAUSED, RUNNING, LimitError, Run, RunRegistry, RunStateError
from server.runs.sweeps import Sweep, SweepBook, combinations
from server.values import SpecError

bp = Blueprint("sweeps", __name__)

SWEEP_FIELDS = ("base", "vary")
MAX_HISTORY_POINTS = 500  # per list of a run's history in `?history=1`


def _registry() -> RunRegistry:
    return current_app.extensions["runs"]


def _sweeps() -> SweepBook:
    return current_app.extensions["sweeps"]


def _config() -> Config:
    return current_app.config["PLAYGROUND"]


class SweepNotFoundError(Exception):
    pass


@bp.errorhandler(SweepNotFoundError)
def _not_found(_: SweepNotFoundError) -> ResponseReturnValue:
    return error_response(404, "id", "no sweep with this id (it may have been deleted)")


def _sweep_or_404(sweep_id: str) -> Sweep:
    sweep = _sweeps().get(sweep_id)
    if sweep is None:
        raise SweepNotFoundError()
    return sweep


def _varied_field(error: SpecError, settings: dict[str, Any]) -> str | None:
    """The varied field a problem's error is about (`layers.0.units` is about `layers`)."""
    for name in settings:
        if error.field == name or error.field.startswith((f"{name}.", f"{name}[")):
            return name
    return None


def plan_sweep(body: Any, config: Config
               ) -> tuple[Problem, dict[str, Any], list[tuple[dict[str, Any], Any]]]:
    """(the problem, the base, [(settings, its validated spec)]) for a request, or `SpecError`.

    Only the seed is pinned in the base (the one the base spec would get), so every run
    has the same data and the same starting weights; each run's spec is the base with
    its settings, checked exactly as `POST /api/runs` would check it.
    """
    if not isinstance(body, dict):
        raise SpecError("body", "the request body must be a JSON object {base, vary}")
    for key in body:
        if key not in SWEEP_FIELDS:
            raise SpecError(str(key), "unknown field; a sweep takes base and vary")
    base = body.get("base", {})
    if not isinstance(base, dict):
        raise SpecError("base", "must be a spec object, as POST /api/runs takes")
    settings_list = combinations(body.get("vary"))
    varied = set(settings_list[0])
    try:
        problem = problem_for(base)
        fixed = {key: value for key, value in base.items() if key not in varied}
        base_spec = problem.parse_spec(fixed, config).to_json()
    except SpecError as error:
        raise SpecError(f"base.{error.field}", error.reason) from None
    if "seed" in base_spec and "seed" not in base and "seed" not in varied:
        base = {**base, "seed": base_spec["seed"]}
    planned = []
    for settings in settings_list:
        try:
            planned.append((settings, problem.parse_spec({**base, **settings}, config)))
        except SpecError as error:
            name = _varied_field(error, settings)
            if name is None:
                raise SpecError(f"base.{error.field}", error.reason) from None
            if error.reason.startswith("unknown field"):
                raise SpecError(f"vary.{name}", error.reason) from None
            value = json.dumps(settings[name])
            raise SpecError(f"vary.{name}", f"{value}: {error.reason}") from None
    return problem, base, planned


@bp.get("/api/sweeps")
def list_sweeps() -> ResponseReturnValue:
    return jsonify({"sweeps": [
        {"id": s.id, "problem": s.problem, "createdAt": s.created_at, "vary": s.vary,
         "runs": len(s.runs)} for s in _sweeps().all()]})


@bp.post("/api/sweeps")
def create_sweep() -> ResponseReturnValue:
    state = request.args.get("state", RUNNING)
    if state not in (RUNNING, PAUSED):
        raise SpecError("state", "must be running or paused")
    body = parse_json_body(request.get_data(cache=True))
    problem, base, planned = plan_sweep(body, _config())
    registry = _registry()
    registry.check_room(len(planned))  # before any job builds anything
    context = current_app.extensions["job_context"]
    runs: list[dict[str, Any]] = []
    try:
        for settings, spec in planned:
            job = problem.make_job(spec, context)
            run = registry.create(problem.key, spec.to_json(), job, paused=state == PAUSED)
            runs.append({"id": run.id, "settings": settings})
    except BaseException:  # all or nothing: a sweep never stays half made
        for entry in runs:
            delete_everywhere(entry["id"])
        raise
    sweep = Sweep.new(problem.key, base, body["vary"], runs)
    _sweeps().add(sweep)
    response = jsonify(_details(sweep))
    response.status_code = 201
    response.headers["Location"] = f"/api/sweeps/{sweep.id}"
    return response


def thinned(history: Any, most: int = MAX_HISTORY_POINTS) -> Any:
    """A job's history with every list cut to at most `most` evenly spaced items (the same
    items of lists of one length, so columns stay aligned), the last one kept."""
    if isinstance(history, dict):
        return {key: thinned(value, most) for key, value in history.items()}
    if isinstance(history, list) and len(history) > most:
        step = (len(history) - 1) / (most - 1)
        return [history[round(i * step)] for i in range(most)]
    return history


def _details(sweep: Sweep, *, history: bool = False) -> dict[str, Any]:
    """The sweep with each run's settings, state, epoch, spec and latest metrics (and, if
    asked, each run's metric history as its job keeps it, thinned: a page that opens late
    draws the curves from the start)."""
    registry = _registry()
    runs = []
    for entry in sweep.runs:
        run = registry.get(entry["id"])
        if run is None:  # deleted on its own
            runs.append({"id": entry["id"], "settings": entry["settings"], "state": "deleted"})
            continue
        run.touch()  # someone compares it: it keeps training
        runs.append({**run.summary(), "settings": entry["settings"],
                     "modelUrl": f"/api/runs/{run.id}/model.json"})
        if history:
            runs[-1]["history"] = json_safe(thinned(run.job.history()))
    return {**sweep.to_json(), "page": PROBLEMS[sweep.problem].page
            if sweep.problem in PROBLEMS else None, "runs": runs}


@bp.get("/api/sweeps/<sweep_id>")
def get_sweep(sweep_id: str) -> ResponseReturnValue:
    wants_history = request.args.get("history") in ("1", "true")
    return jsonify(_details(_sweep_or_404(sweep_id), history=wants_history))


@bp.patch("/api/sweeps/<sweep_id>")
def patch_sweep(sweep_id: str) -> ResponseReturnValue:
    """`{state: running | paused}` for every run of the sweep that has not ended."""
    sweep = _sweep_or_404(sweep_id)
    body = parse_json_body(request.get_data(cache=True))
    if not isinstance(body, dict):
        raise SpecError("body", "the request body must be a JSON object")
    for key in body:
        if key != "state":
            raise SpecError(str(key), "unknown field; a sweep takes only state changes")
    state = body.get("state")
    if state not in (RUNNING, PAUSED):
        raise SpecError("state", "must be running or paused")
    for run in _runs_of(sweep):
        if run.state not in ENDED:
            try:
                run.update({}, state)
            except RunStateError:  # it ended meanwhile
                pass
    return jsonify(_details(sweep))


@bp.delete("/api/sweeps/<sweep_id>")
def delete_sweep(sweep_id: str) -> ResponseReturnValue:
    sweep = _sweep_or_404(sweep_id)
    for run_id in sweep.run_ids:
        delete_everywhere(run_id)
    _sweeps().remove(sweep.id)
    return "", 204


def _runs_of(sweep: Sweep) -> list[Run]:
    registry = _registry()
    return [run for run in map(registry.get, sweep.run_ids) if run is not None]


@bp.get("/api/sweeps/<sweep_id>/events")
def sweep_events(sweep_id: str) -> ResponseReturnValue:
    """Every run's events in one stream (`?kinds=snapshot,…` picks the data kinds)."""
    sweep = _sweep_or_404(sweep_id)
    runs = _runs_of(sweep)
    kinds_arg = request.args.get("kinds")
    kinds = frozenset(k for k in kinds_arg.split(",") if k) if kinds_arg else None
    slots: StreamSlots = current_app.extensions["stream_slots"]
    if not slots.take():
        raise LimitError(None, f"{slots.limit} event streams are open, the most this server "
                         "allows; close one or try again later")
    for run in runs:
        run.watch(+1)

    def closed() -> None:
        for run in runs:
            run.watch(-1)
        slots.give_back()

    stream = MergedSseStream({run.id: run.events for run in runs}, _config().heartbeat_s,
                             on_close=closed, kinds=kinds)
    return Response(stream, mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
