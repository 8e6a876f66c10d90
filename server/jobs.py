"""Which job trains which problem: one place that turns a spec into a job.

Both a new run (`POST /api/runs`) and a run restored after a restart go through
`make_job`, so a saved spec is checked exactly like a request's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from server.config import Config
from server.curve.job import CurveJob
from server.curve.spec import parse_curve_spec
from server.engine import TrainerPool
from server.mnist.data import MnistSource, MnistUnavailableError
from server.mnist.job import MnistJob
from server.mnist.spec import parse_mnist_spec
from server.playground_job import PlaygroundJob
from server.runs import Job, RunRegistry
from server.spec import SpecError, parse_spec
from server.store import RunStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    """What jobs are made with: limits, the compiled-trainer pool, the MNIST source."""

    config: Config
    pool: TrainerPool
    mnist: MnistSource


def make_job(raw: Any, context: JobContext) -> tuple[str, dict[str, Any], Job]:
    """(problem, the full spec as JSON, the job) for a request body or a saved spec."""
    problem = raw.get("problem", "classification") if isinstance(raw, dict) else None
    if problem == "mnist":
        spec = parse_mnist_spec(raw)
        try:
            data = context.mnist.get()
        except MnistUnavailableError as error:
            raise SpecError("problem", str(error)) from error
        return "mnist", spec, MnistJob(spec, data)
    if problem in ("fitting", "curve"):  # "curve": the name before, for saved runs and links
        curve = parse_curve_spec(raw)
        return "fitting", curve.to_json(), CurveJob(
            curve, context.pool, max_snapshot_rate=context.config.max_snapshot_rate)
    playground = parse_spec(raw, context.config)
    job = PlaygroundJob(playground, context.pool,
                        max_snapshot_rate=context.config.max_snapshot_rate)
    return str(playground["problem"]), playground.to_json(), job


def restore_runs(store: RunStore, registry: RunRegistry, context: JobContext) -> int:
    """Bring back every saved run; one whose job cannot be made again is logged and left."""
    restored = 0
    for record in store.load_all():
        try:
            _, _, job = make_job(record.spec, context)
        except (SpecError, ValueError) as error:
            log.error("cannot restore run %s: %s", record.id, error)
            continue
        registry.restore(record, job)
        restored += 1
    return restored
