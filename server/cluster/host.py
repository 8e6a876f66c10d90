"""The body of a Ray actor that trains runs: jobs live here, the front keeps a mirror.

A `JobHost` is an ordinary class; `server.cluster.placement` turns it into a Ray actor
(`ray.remote(JobHost)`), so importing this module imports no Ray. Inside the actor it
is the single-machine server's training half, unchanged: the jobs are made by the
same problem plug-ins from the same specs, and dense jobs train through this
process's own classroom `Scheduler`, so runs that share a host share its stacks
(thirty learners on one node cost one compiled call per round, as on one machine).

Every call answers with a `Reply`: what the job published during the call (its
snapshots, metrics, panels, notices) and what the front needs to mirror it
(metrics, and now and then its weights and history). Events therefore reach the
front as the result of the very call its run's thread awaits: no polling, and the
same rate as on one machine (the job's own chunk sizing decides it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from server.config import Config
from server.problem import JobContext
from server.runs.run import Job, Progress, lower_priority

# Weights up to this size travel with every reply (a dense network: a few hundred floats);
# larger ones (MNIST's models) at most every `SYNC_S`, as MNIST's job itself keeps them.
SMALL_WEIGHTS_BYTES = 64 * 1024
SYNC_S = 1.0  # history and large weights reach the front at least this often


@dataclass
class Reply:
    """What a call did: its progress, its events, and the state the front mirrors."""

    progress: Progress | None
    events: list[tuple[str, dict[str, Any], bool]]  # (kind, data, coalesce)
    metrics: dict[str, Any]
    weights: tuple[int, list[np.ndarray]] | None  # None: unchanged enough to skip
    history: Any = None  # None: not sent this time


class JobMissingError(LookupError):
    """The host does not hold this job (it was made again elsewhere, or the host restarted):
    the front treats it as a lost host and re-creates the job."""


class CapturedEvents:
    """Stands in for the run's `EventLog` inside the actor: keeps what the job publishes
    until the reply carries it to the front (only `publish` is what jobs call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[str, dict[str, Any], bool]] = []

    def publish(self, kind: str, data: dict[str, Any], *, coalesce: bool = False) -> None:
        with self._lock:
            if coalesce:  # only the newest of a coalesced kind matters, as in `EventLog`
                self._events = [e for e in self._events if not (e[2] and e[0] == kind)]
            self._events.append((kind, data, coalesce))

    def drain(self) -> list[tuple[str, dict[str, Any], bool]]:
        with self._lock:
            events, self._events = self._events, []
            return events


_THREAD = threading.local()


def _lower_priority_once() -> None:
    """Ray's call threads train here (a heavy run's chunks, a job's start): nice them as
    the single-machine server nices its training threads, once per thread."""
    if not getattr(_THREAD, "lowered", False):
        lower_priority()
        _THREAD.lowered = True


@dataclass
class _Hosted:
    job: Job
    events: CapturedEvents = field(default_factory=CapturedEvents)
    synced_at: float = 0.0


class JobHost:
    """Runs' jobs in one actor. Threaded (the placement gives it many concurrent calls):
    each run's calls come one at a time from its own thread at the front, and many runs'
    calls wait together in this process's scheduler, which trains them in stacks."""

    def __init__(self, config: Config, workers: int, warm: bool) -> None:
        from server.training.scheduler import Scheduler  # TensorFlow: in the actor only

        self._scheduler = Scheduler(workers=max(1, workers))
        self._context = JobContext(config, self._scheduler)
        self._jobs: dict[str, _Hosted] = {}
        self._lock = threading.Lock()
        self._warm_up: threading.Thread | None = None
        if warm:
            self._warm_up = threading.Thread(target=self._warm, name="warm-up", daemon=True)
            self._warm_up.start()

    def _warm(self) -> None:
        """The default network's trainers compiled before the first learner lands here."""
        from server.problems import make_job

        _, _, job = make_job({"seed": "warm-up"}, self._context)
        self._scheduler.warm(job.architecture)  # type: ignore[attr-defined]

    def warm(self) -> bool:
        """Whether the start-up compilation is done (health's `warm`)."""
        return self._warm_up is None or not self._warm_up.is_alive()

    # -- what the front calls ----------------------------------------------------------

    def node(self) -> str:
        """The Ray node this actor lives on (the placement counts runs per node)."""
        import ray

        return ray.get_runtime_context().get_node_id()

    def start(self, key: str, spec: dict[str, Any],
              state: tuple[int, list[np.ndarray], dict[str, Any], Any] | None) -> Reply:
        """Make the run's job from its spec, continue from `state` (the front's mirror:
        a new run's initial weights, or a moved run's last state) and start it."""
        from server.problems import make_job

        _lower_priority_once()
        _, _, job = make_job(spec, self._context)
        if state is not None:
            job.restore(*state)
        hosted = _Hosted(job)
        with self._lock:
            old = self._jobs.pop(key, None)
            self._jobs[key] = hosted
        if old is not None:
            old.job.close()
        progress = job.start(hosted.events)  # type: ignore[arg-type]
        return self._reply(hosted, progress, force=True)

    def train(self, key: str, single_step: bool) -> Reply:
        _lower_priority_once()  # as a run's own thread on one machine: serving comes first
        hosted = self._hosted(key)
        progress = hosted.job.train(single_step=single_step)
        return self._reply(hosted, progress, force=single_step)

    def apply(self, key: str, changes: dict[str, Any]) -> Reply:
        hosted = self._hosted(key)
        hosted.job.apply(changes)
        return self._reply(hosted, None, force=True)

    def publish(self, key: str) -> Reply:
        hosted = self._hosted(key)
        hosted.job.publish()
        return self._reply(hosted, None, force=True)

    def sync(self, key: str) -> Reply:
        """Everything the front mirrors, now (before the job leaves this host)."""
        return self._reply(self._hosted(key), None, force=True)

    def latest_weights(self, key: str) -> tuple[int, list[np.ndarray]]:
        return self._hosted(key).job.latest_weights()

    def close(self, key: str) -> None:
        with self._lock:
            hosted = self._jobs.pop(key, None)
        if hosted is not None:
            hosted.job.close()

    def runs(self) -> int:
        with self._lock:
            return len(self._jobs)

    # -- inside ----------------------------------------------------------------------------

    def _hosted(self, key: str) -> _Hosted:
        with self._lock:
            hosted = self._jobs.get(key)
        if hosted is None:  # the front re-creates it elsewhere (see `RemoteJob`)
            raise JobMissingError(f"no job {key} on this host")
        return hosted

    @staticmethod
    def _reply(hosted: _Hosted, progress: Progress | None, *, force: bool) -> Reply:
        job = hosted.job
        now = time.monotonic()
        due = force or now - hosted.synced_at >= SYNC_S
        epoch, weights = job.latest_weights()
        small = sum(w.nbytes for w in weights) <= SMALL_WEIGHTS_BYTES
        if due:
            hosted.synced_at = now
        return Reply(progress, hosted.events.drain(), job.metrics(),
                     (epoch, weights) if due or small else None,
                     job.history() if due else None)
