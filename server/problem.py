"""What a problem plug-in is: the one interface the API, runs, store and exporter know.

A problem (the playground, the fitting lessons, MNIST, …) is a package under
`server/problems/` that exposes one `Problem` and is listed once in
`server.problems.PROBLEMS`. Everything problem-specific sits behind these few
methods, so the rest of the server never asks which problem a run is.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from server.config import Config
from server.runs.run import Job
from server.training.scheduler import Scheduler
from server.values import SpecError

if TYPE_CHECKING:
    from server.cluster.placement import RayPlacement


class Spec(Protocol):
    """A validated, immutable spec (a frozen dataclass); `to_json` parses back to it."""

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class JobContext:
    """What jobs are made with: the server's limits and the scheduler that trains them,
    or, on a Ray cluster (`serve --ray`), the placement that trains them on its nodes."""

    config: Config
    scheduler: Scheduler
    placement: RayPlacement | None = None


class Problem(ABC):
    """One kind of run: how its spec and live changes are checked, its job, its catalogue.

    `key` names it in run summaries and the catalogue; a spec's `problem` field may
    also give one of its `aliases` (the playground takes the classic's
    "classification" and "regression"; an old name keeps saved runs and links working).
    """

    key: str
    label: str
    page: str  # the page that shows its runs
    aliases: tuple[str, ...] = ()

    @abstractmethod
    def parse_spec(self, raw: dict[str, Any], config: Config) -> Spec:
        """Check a request's (or a saved run's) spec; `SpecError` names the first bad field."""

    @abstractmethod
    def parse_changes(self, body: dict[str, Any], job: Job) -> dict[str, Any]:
        """Check a PATCH body's live changes (everything but `state`) for this run's job."""

    @abstractmethod
    def make_job(self, spec: Any, context: JobContext) -> Job:
        """The job that trains a run of this spec (data loaded, model not yet built)."""

    @abstractmethod
    def catalog(self, config: Config) -> dict[str, Any]:
        """This problem's part of `GET /api/catalog`: its choices, limits and defaults."""

    def describe(self) -> dict[str, Any]:
        """The catalogue's line for this problem in `problems`."""
        return {"key": self.key, "label": self.label, "page": self.page,
                "aliases": list(self.aliases)}


def only_state(problem: Problem, body: dict[str, Any]) -> dict[str, Any]:
    """`parse_changes` for a problem whose runs take no live change but their state."""
    for key in body:
        raise SpecError(str(key), f"a {problem.key} run takes only state changes")
    return {}
