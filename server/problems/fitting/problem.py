"""The fitting lessons as a problem plug-in: their spec, live changes, job and catalogue."""

from __future__ import annotations

from typing import Any

from server.config import Config
from server.problem import JobContext, Problem
from server.problems.fitting.choices import fitting_catalog
from server.problems.fitting.job import FittingJob
from server.problems.fitting.spec import FittingSpec, parse_fitting_changes, parse_fitting_spec
from server.runs.run import Job


class FittingProblem(Problem):
    key = "fitting"
    label = "Fitting a line or a curve"
    page = "/fitting.html"
    aliases = ("curve",)  # the name before: saved runs and links keep working

    def parse_spec(self, raw: dict[str, Any], config: Config) -> FittingSpec:
        return parse_fitting_spec(raw)

    def parse_changes(self, body: dict[str, Any], job: Job) -> dict[str, Any]:
        return parse_fitting_changes(body)

    def make_job(self, spec: FittingSpec, context: JobContext) -> FittingJob:
        return FittingJob(spec, context.pool, max_snapshot_rate=context.config.max_snapshot_rate)

    def catalog(self, config: Config) -> dict[str, Any]:
        return fitting_catalog()


FITTING = FittingProblem()
