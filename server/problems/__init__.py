"""The problems this server teaches, as plug-ins: one line each in `PROBLEMS`.

Adding a problem is one new package under `server/problems/` exposing a
`server.problem.Problem` and one line here; the API, runs, store and exporter
reach problems only through this table.
"""

from __future__ import annotations

from typing import Any

from server.problem import JobContext, Problem, Spec
from server.problems.fitting.problem import FITTING
from server.problems.mnist.problem import MNIST
from server.problems.playground.problem import PLAYGROUND
from server.runs.run import Job
from server.values import SpecError

PROBLEMS: dict[str, Problem] = {problem.key: problem for problem in (PLAYGROUND, FITTING, MNIST)}
DEFAULT_PROBLEM = PLAYGROUND

# A spec's `problem` value → its plug-in: the keys and every plug-in's aliases.
_BY_NAME = {name: problem for problem in PROBLEMS.values()
            for name in (problem.key, *problem.aliases)}


def problem_for(raw: dict[str, Any]) -> Problem:
    """The plug-in a spec names in `problem` (the playground when it names none)."""
    name = raw.get("problem")
    if name is None:
        return DEFAULT_PROBLEM
    if not isinstance(name, str) or name not in _BY_NAME:
        raise SpecError("problem", f"must be one of {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


def make_job(raw: Any, context: JobContext) -> tuple[Problem, Spec, Job]:
    """(the plug-in, the validated spec, the job) for a request body or a saved spec.

    A new run (`POST /api/runs`) and a run restored after a restart both come
    through here, so a saved spec is checked exactly like a request's.
    """
    if not isinstance(raw, dict):
        raise SpecError("spec", "the request body must be a JSON object")
    problem = problem_for(raw)
    spec = problem.parse_spec(raw, context.config)
    job = problem.make_job(spec, context)
    if context.placement is not None:  # on a cluster: trained in an actor, mirrored here
        job = context.placement.place(spec.to_json(), job)
    return problem, spec, job
