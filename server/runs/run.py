"""Runs: the unit of training. A run owns its job (data, model, optimizer) and its event log.

`Run` is the same for every problem: the state machine (running, paused,
stopped, diverged, finished), the queue of changes requests leave for the
training thread, single steps, and who is watching. What is trained is a
`Job` (the playground's networks, MNIST, …). Each run has one thread that alone
touches its job, so requests never call TensorFlow on a run's model.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from server.runs.events import EventLog, json_safe
from server.runs.memory import give_memory_back
from server.runs.queue import CoreLostError, CoreQueue
from server.runs.store import RunRecord, RunStore

if TYPE_CHECKING:  # the exporter imports Keras; the run itself needs none of it
    from exporter.guide import ModelGuide

log = logging.getLogger(__name__)

RUNNING, PAUSED = "running", "paused"
QUEUED = "queued"  # a heavy run that wants to train and waits for a core
STOPPED, DIVERGED, FINISHED = "stopped", "diverged", "finished"
ENDED = (STOPPED, DIVERGED, FINISHED)
STEP_TIMEOUT_S = 120.0
PAUSE_TIMEOUT_S = 30.0
CHECKPOINT_S = 5.0  # a run is saved at least this often while it trains
# A running run nobody streams or asks about for this long stops taking cores until
# someone does (a closed tab costs the classroom nothing); the reaper stops it later.
UNWATCHED_S = 15.0
UNWATCHED_POLL_S = 1.0


def public_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without a custom data set's rows (up to 10,000 of them): summaries and
    lists stay small; the rows are saved with the run and come back as its points."""
    return {key: value for key, value in spec.items() if key != "csv"}


class RunStateError(RuntimeError):
    """A request that the run's state does not allow (stepping a running run, …) → 409."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class LimitError(RuntimeError):
    """A configured limit is reached (runs training, open streams) → 429."""

    def __init__(self, field: str | None, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Progress:
    """What a job reports after training: its epoch, and whether it can go on."""

    epoch: int
    healthy: bool = True  # False: the loss became NaN or infinite
    finished: bool = False  # True: the epoch budget is spent


class Job(Protocol):
    """The problem-specific half of a run. Every method but `describe` and `latest_weights`
    runs on the run's training thread."""

    heavy: bool  # trains for minutes on a core (MNIST): waits in the core queue for one

    def describe(self) -> dict[str, Any]:
        """Fields for the creation response and `GET /api/runs/<id>` (points, features, …)."""
        ...

    def start(self, events: EventLog) -> Progress:
        """Build or check out the model, load the data, publish the first snapshot."""
        ...

    def apply(self, changes: dict[str, Any]) -> None:
        """Take changes validated by the API (learning rate, edited weights, …)."""
        ...

    def train(self, *, single_step: bool) -> Progress:
        """Train one chunk (sized for ~30 snapshots/s) or exactly one step; publish."""
        ...

    def publish(self) -> None:
        """Publish a snapshot of the current state (after changes while paused)."""
        ...

    def latest_weights(self) -> tuple[int, list[np.ndarray]]:
        """Thread-safe: the newest healthy weights and their epoch (for exports)."""
        ...

    def metrics(self) -> dict[str, Any]:
        """Thread-safe: the newest losses, accuracies and rates, for summaries."""
        ...

    def close(self) -> None:
        """Give back what was checked out (compiled trainers)."""
        ...

    def rest(self) -> None:
        """The run gave its core back (paused, resting, ended): free what only training
        holds (on a cluster, a heavy run's own actor and its CPU). Must not block: the
        run may hold its lock. The next `train` takes it again."""
        ...

    def history(self) -> Any:
        """Thread-safe: the metric history to save (JSON-able, bounded in size)."""
        ...

    def restore(self, epoch: int, weights: list[np.ndarray], metrics: dict[str, Any],
                history: Any) -> None:
        """Before `start`: continue from a saved state (after a server restart)."""
        ...

    def build_export_model(self) -> Any:
        """Request thread: a fresh Keras model of the same architecture, for exports."""
        ...

    def timeline(self) -> list[dict[str, Any]]:
        """Thread-safe: kept past states (epoch, metrics, weights) for time travel."""
        ...

    def state_at(self, epoch: int) -> Any:
        """Thread-safe: the state after `epoch` to fork from (epoch, weights, metrics,
        history), or None when it was not kept."""
        ...

    def export_key(self) -> Any:
        """What makes two jobs' export models interchangeable (None: this run's alone)."""
        ...

    def export_metadata(self) -> dict[str, Any]:
        """Request thread: what metadata.json says besides epoch, time and the guide."""
        ...

    def export_guide(self) -> ModelGuide | None:
        """Request thread: how to prepare the exported
        model's inputs and what its outputs mean (README.txt, metadata.json,
        predictions.json and the exported page are made from it). None: the zip holds the
        model and metadata only."""
        ...


TRAINING_NICENESS = 5


def lower_priority() -> None:
    """Training is best effort, serving comes first: on Linux a thread has its own nice
    value, so requests and streams keep their share of the cores when runs saturate them."""
    if hasattr(os, "setpriority") and sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINING_NICENESS)
        except OSError:
            pass


@dataclass
class _Pending:
    """Changes requests left for the training thread."""

    changes: dict[str, Any] = field(default_factory=dict)
    steps: list[threading.Event] = field(default_factory=list)
    generation: int = 0

    def __bool__(self) -> bool:
        return bool(self.changes or self.steps)


def merge_changes(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Later values win; lists (edits) accumulate."""
    for key, value in new.items():
        if isinstance(value, list):
            into[key] = [*into.get(key, []), *value]
        else:
            into[key] = value


class Run:
    """One training run: a job, its state, its thread and its event log.

    The thread lives only while there is work: it starts for a new run (a paused
    one too, to publish its untrained network), on a resume, a step or a change,
    and ends when the run is paused with nothing left to do, so a paused or ended
    run holds no thread. The job keeps its model and trainer while paused, so the
    next thread carries on where the last one stopped; the job is closed when the
    run ends, is deleted or the server shuts down.
    """

    def __init__(self, kind: str, spec: dict[str, Any], job: Job, *,
                 store: RunStore | None = None, run_id: str | None = None,
                 created_at: float | None = None, state: str = RUNNING,
                 epoch: int = 0, start_paused: bool = False,
                 cores: CoreQueue | None = None,
                 forked_from: dict[str, Any] | None = None) -> None:
        self.id = run_id or secrets.token_urlsafe(16)  # 128 random bits: unguessable
        self.kind = kind
        self.spec = spec  # live changes of spec fields (rates, pace, seed) are merged in
        self.forked_from = forked_from  # {"run": id, "epoch": n} for a run forked from one
        self.job = job
        self.events = EventLog()
        self.created_at = created_at or time.time()
        self._store = store
        self._saved_at = 0.0
        self._cond = threading.Condition()
        self._state = state
        self._stop_requested = False
        self._cores = cores  # heavy jobs wait here for a core
        self._holds_core = False
        self._lost_core = False  # the core it trained on went away: first in line again
        self._queue_position = 0
        self._pending = _Pending()
        self._epoch = epoch
        # True while no training thread works (none runs, or it is leaving): a pause
        # returns only then, so the epoch it reports is final and a step adds exactly one.
        self._quiescent = True
        self._started = False  # the job's `start` ran (its model and data are ready)
        self.resting = False  # running, but waiting for someone to watch (takes no core)
        self._watchers = 0
        self._last_touched = time.monotonic()
        self._change_generation = 0  # changes requested …
        self._applied_generation = 0  # … and taken by the training thread
        self._publish_status()
        self._thread: threading.Thread | None = None  # the thread that works, while it does
        self._worker: threading.Thread | None = None  # the last one started, for `join`
        if state == RUNNING or start_paused:
            self._ensure_thread()  # a new paused run still publishes its first snapshot
        self.checkpoint(force=True)

    # -- what requests read --------------------------------------------------------

    @property
    def state(self) -> str:
        with self._cond:
            return self._state

    @property
    def epoch(self) -> int:
        with self._cond:
            return self._epoch

    def summary(self) -> dict[str, Any]:
        """What `GET /api/runs` lists for a run: the run's own fields, the job's metrics
        under their own key (a job's metric can never shadow a field of the run)."""
        with self._cond:
            state, epoch, position = self._state, self._epoch, self._queue_position
        summary = {"id": self.id, "problem": self.kind, "state": state, "epoch": epoch,
                   "createdAt": self.created_at, "spec": self.public_spec(),
                   "metrics": json_safe(self.job.metrics())}  # a diverged loss: null
        if state == QUEUED:
            summary["queuePosition"] = position
        return summary

    # -- the core queue (heavy runs) -------------------------------------------------------

    def wants_core(self) -> bool:
        with self._cond:
            return not self._stop_requested and self._state in (RUNNING, QUEUED)

    def queued_at(self, position: int) -> None:
        """The queue's word: `position`th in line, or 0 when the run got its core."""
        with self._cond:
            if self._state not in (RUNNING, QUEUED) or position == self._queue_position:
                return
            self._queue_position = position
            self._state = QUEUED if position else RUNNING
            self._publish_status()

    def public_spec(self) -> dict[str, Any]:
        return public_spec(self.spec)

    def unwatched_and_idle(self) -> bool:
        """Nobody streams it and no thread works for it: it can wait in the store."""
        with self._cond:
            return self._watchers == 0 and self._thread is None

    def details(self) -> dict[str, Any]:
        """The summary, the model's URL and what the job describes (points, features, …)
        under `setup`."""
        details = {**self.summary(), "modelUrl": f"/api/runs/{self.id}/model.json",
                   "setup": self.job.describe()}
        if self.forked_from is not None:
            details["forkedFrom"] = self.forked_from
        return details

    # -- what requests change ----------------------------------------------------------

    def touch(self) -> None:
        with self._cond:
            self._last_touched = time.monotonic()
            self._cond.notify_all()

    def watch(self, delta: int) -> None:
        """A stream opened (+1) or closed (-1); watched runs are never idle."""
        with self._cond:
            self._watchers += delta
            self._last_touched = time.monotonic()
            self._cond.notify_all()

    def _unwatched(self) -> bool:
        """Caller holds the lock: no stream open and no request for `UNWATCHED_S`."""
        return not self._watchers and time.monotonic() - self._last_touched > UNWATCHED_S

    def idle_for(self) -> float:
        with self._cond:
            return 0.0 if self._watchers else time.monotonic() - self._last_touched

    def update(self, changes: dict[str, Any], state: str | None = None) -> None:
        """Apply a PATCH: changes reach the job between chunks; trained weights are kept.

        Returns once the training thread has taken the changes, so what the caller
        reads next (the summary, the next snapshot) already reflects them.
        """
        with self._cond:
            self._last_touched = time.monotonic()
            if self._state in ENDED and (changes or (state and state != self._state)):
                field = "state" if state and state != self._state else next(iter(changes))
                raise RunStateError(field, f"the run has {self._state}; start a new run")
            if changes or state == RUNNING:
                self._ensure_thread()
            if changes:
                merge_changes(self._pending.changes, changes)
                self._change_generation += 1
                generation = self._change_generation
                self._cond.notify_all()
                self._cond.wait_for(
                    lambda: self._applied_generation >= generation or self._stop_requested,
                    timeout=PAUSE_TIMEOUT_S,
                )
            if state == RUNNING and self._state == QUEUED:
                state = None  # it already wants to train: it waits for a core
            if state is not None and state != self._state:
                self._state = state
                self._queue_position = 0
                self._cond.notify_all()
                if state == PAUSED:
                    self._cond.wait_for(
                        lambda: self._quiescent or self._stop_requested, timeout=PAUSE_TIMEOUT_S
                    )
                self._publish_status()
        if state is not None:
            self.checkpoint(force=True)

    def step(self) -> None:
        """Train exactly one step (an epoch for the playground) while paused; wait for it.

        A step that a delete or shutdown overtakes is answered at once (409), never left
        waiting for a thread that will not come.
        """
        done = threading.Event()
        with self._cond:
            self._last_touched = time.monotonic()
            if self._stop_requested:
                raise RunStateError("state", "the run has been deleted or has ended")
            if self._state != PAUSED:
                raise RunStateError("state", f"step needs a paused run; this one is {self._state}")
            self._pending.steps.append(done)
            self._ensure_thread()
            self._cond.notify_all()
        if not done.wait(STEP_TIMEOUT_S):
            raise RunStateError("state", "the step did not finish in time")
        with self._cond:  # halted (deleted, shutting down) before the step could train
            if self._stop_requested and self._state not in ENDED:
                raise RunStateError("state", "the run was deleted before the step")

    def stop(self) -> None:
        """End training (idle, deleted); the weights stay exportable."""
        with self._cond:
            self._stop_requested = True
            changed = self._state in (RUNNING, QUEUED, PAUSED)
            if changed:
                self._state = STOPPED
                self._publish_status()
            close_now = self._thread is None and self._started  # no thread will close it
            self._started = self._started and not close_now
            self._cond.notify_all()
        if close_now:
            self.job.close()
        if changed:
            self.checkpoint(force=True)

    def halt(self) -> None:
        """End the thread but keep the state (shutdown, delete): a running run comes back
        paused. Steps still waiting are released at once; with no thread, the job is
        closed here."""
        with self._cond:
            self._stop_requested = True
            for done in self._pending.steps:
                done.set()
            self._pending.steps.clear()
            close_now = self._thread is None and self._started
            self._started = self._started and not close_now
            self._cond.notify_all()
        if close_now:
            self.job.close()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the last training thread to finish (its final save included)."""
        if self._worker is not None:
            self._worker.join(timeout)

    def disown_store(self) -> None:
        """Save this run no more (it is being deleted)."""
        with self._cond:
            self._store = None

    def checkpoint(self, *, force: bool = False) -> None:
        """Save the run if `CHECKPOINT_S` passed since the last save (or always, if forced)."""
        now = time.time()
        with self._cond:
            store = self._store
        if store is None or (not force and now - self._saved_at < CHECKPOINT_S):
            return
        self._saved_at = now
        with self._cond:
            state, epoch = self._state, self._epoch
        _, weights = self.job.latest_weights()
        store.save(RunRecord(
            id=self.id, kind=self.kind, spec=self.spec, state=state, epoch=epoch,
            created_at=self.created_at, saved_at=now, metrics=json_safe(self.job.metrics()),
            history=json_safe(self.job.history()), weights=weights,
        ))

    def _ensure_thread(self) -> None:
        """Caller holds the lock (or is the constructor)."""
        if self._thread is None and self._state not in ENDED and not self._stop_requested:
            self._quiescent = False
            self._thread = self._worker = threading.Thread(
                target=self._loop, name=f"run-{self.id[:6]}", daemon=True)
            self._thread.start()

    # -- the training thread -------------------------------------------------------------

    def _publish_status(self) -> None:
        """Caller holds the lock."""
        status: dict[str, Any] = {"state": self._state, "epoch": self._epoch}
        if self._state == QUEUED:
            status["position"] = self._queue_position
        self.events.publish("status", status)

    def _take_work(self) -> tuple[_Pending, str] | None:
        """The next work; None when there is none (paused: the thread ends) or the run ends.

        Deciding to leave and clearing `_thread` happen under one lock, so a request that
        brings work afterwards starts a new thread.
        """
        with self._cond:
            # Nobody watches or asks: training waits (costs nothing) until someone does.
            while (self._state in (RUNNING, QUEUED) and not self._pending
                   and not self._stop_requested and self._unwatched()):
                if self._holds_core and self._cores is not None:
                    self._cores.release(self)  # a resting heavy run frees its core
                    self._holds_core = False
                    self.job.rest()
                self.resting = True
                self._cond.wait(timeout=UNWATCHED_POLL_S)
            self.resting = False
            training = self._state in (RUNNING, QUEUED)
            if self._stop_requested or (not training and not self._pending):
                self._thread = None
                self._quiescent = True
                self._cond.notify_all()
                return None
            pending, self._pending = self._pending, _Pending()
            pending.generation = self._change_generation
            return pending, RUNNING if training else self._state

    def _keep_spec_changes(self, changes: dict[str, Any]) -> None:
        """Changes of spec fields become the spec (saved, listed, and what a fork or a
        revival starts from); others (edited weights) live in the weights."""
        updates = {key: value for key, value in changes.items() if key in self.spec}
        if updates:
            with self._cond:
                self.spec = {**self.spec, **updates}

    def _give_core_back(self) -> None:
        """The job lost the core it trained on: queue again (first in line) for another."""
        if self._holds_core and self._cores is not None:
            self._cores.release(self)
        self._holds_core = False
        self._lost_core = True

    def _changes_applied(self, generation: int) -> None:
        with self._cond:
            self._applied_generation = max(self._applied_generation, generation)
            self._cond.notify_all()

    def _loop(self) -> None:
        lower_priority()
        steps_waiting: list[threading.Event] = []
        try:
            self._train_until_idle(steps_waiting)
        except Exception as error:  # a bug or a TensorFlow error must not leave a zombie run
            log.exception("run %s failed", self.id)
            with self._cond:
                self._stop_requested = True
                self._thread = None
                self._quiescent = True
                if self._state not in ENDED:
                    self._state = STOPPED
                    self.events.publish("status", {"state": STOPPED, "epoch": self._epoch,
                                                   "error": f"training failed: {error}"})
                self._cond.notify_all()
        finally:
            for done in steps_waiting:
                done.set()
            if self._holds_core and self._cores is not None:
                self._cores.release(self)
                self._holds_core = False
                self.job.rest()
            with self._cond:
                ending = self._stop_requested and self._started
                self._started = self._started and not ending
            if ending:
                self.job.close()
            self.checkpoint(force=True)

    def _train_until_idle(self, steps_waiting: list[threading.Event]) -> None:
        """The training thread's work; `steps_waiting` is shared so failures release steps."""
        if not self._started:
            self._started = True
            self._record(self.job.start(self.events))
        while (work := self._take_work()) is not None:
            pending, state = work
            steps_waiting[:] = pending.steps
            if pending.changes:
                self.job.apply(pending.changes)
                self._keep_spec_changes(pending.changes)
                self._changes_applied(pending.generation)
            if (state == RUNNING and self.job.heavy and self._cores is not None
                    and not self._holds_core):
                # Waits, `queued`, in order; a run that lost its core goes first in line.
                self._holds_core = self._cores.acquire(self, first=self._lost_core)
                self._lost_core = False
                if not self._holds_core:
                    continue  # paused or deleted while it waited
            if state == RUNNING or pending.steps:
                try:
                    progress = self.job.train(single_step=state != RUNNING)
                except CoreLostError:  # its machine left a cluster, and no other has room
                    self._give_core_back()
                    continue
                if not self._record(progress):
                    break
                self.checkpoint()
            elif pending.changes:
                self.job.publish()
            for done in steps_waiting:
                done.set()
            steps_waiting.clear()
        with self._cond:  # ended by the job (diverged, finished): the thread is gone
            if self._thread is threading.current_thread():
                self._thread = None
                self._quiescent = True
                self._cond.notify_all()

    def _record(self, progress: Progress) -> bool:
        """Keep the epoch; end the run (diverged or finished) when the job says so."""
        with self._cond:
            self._epoch = progress.epoch
            ended = DIVERGED if not progress.healthy else FINISHED if progress.finished else None
            if ended and self._state not in ENDED:
                self._state = ended
                self._stop_requested = True
                self._publish_status()
                self._cond.notify_all()
            return ended is None


JobForRecord = Callable[[RunRecord], tuple[str, Job]]
MAX_DELETED_IDS = 100_000  # remembered so a request racing a delete cannot revive the run


class RunDeletedError(LookupError):
    """The run was deleted while a request was bringing it back from the store."""


def summary_of_record(record: RunRecord) -> dict[str, Any]:
    """A stored run's summary, as `Run.summary` gives it once the run is back in memory."""
    state = PAUSED if record.state in (RUNNING, QUEUED) else record.state
    return {"id": record.id, "problem": record.kind, "state": state, "epoch": record.epoch,
            "createdAt": record.created_at, "spec": public_spec(record.spec),
            "metrics": record.metrics}


class RunRegistry:
    """Every run of this server: the ones in memory, and through the store, the rest.

    At most `max_runs` runs live in memory. Runs saved by an earlier process, or
    evicted to make room, stay in the store: they are listed from it and brought
    back (`job_for_record` makes their job) the first time a request names one, so
    a restart costs nothing per saved run and a long workshop does not grow memory
    without bound. Making room evicts the oldest ended run, then the oldest paused
    one nobody watches; when every run in memory trains or is watched, a new run
    gets 429.
    """

    def __init__(self, *, idle_timeout_s: float, store: RunStore | None = None,
                 heavy_runs: int = 1, max_runs: int = 1_000_000,
                 job_for_record: JobForRecord | None = None) -> None:
        self._store = store
        self.cores = CoreQueue(heavy_runs)
        self._max_runs = max_runs
        self._job_for_record = job_for_record
        self._runs: dict[str, Run] = {}
        self._deleted: dict[str, None] = {}  # recently deleted ids, oldest first
        self._reserved = 0  # runs being made: they count against `max_runs` already
        self._lock = threading.RLock()
        self._idle_timeout_s = idle_timeout_s
        self._closed = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="run-reaper", daemon=True)
        self._reaper.start()

    def check_room(self) -> None:
        """Raise `LimitError` if a new run could not be kept: checked before its job is
        made, so a refused request builds no model."""
        with self._lock:
            if (len(self._runs) + self._reserved >= self._max_runs
                    and self._eviction_candidate() is None):
                raise self._full()

    def create(self, kind: str, spec: dict[str, Any], job: Job, *,
               paused: bool = False, epoch: int = 0,
               forked_from: dict[str, Any] | None = None) -> Run:
        """A new run, training at once, or paused (its first snapshot published, no epoch
        trained) so a page can show the untrained network first. A fork's job comes
        restored to `epoch`."""
        with self._lock:  # room checked and reserved under one lock: two cannot both pass
            self._make_room()
            self._reserved += 1
        try:  # made (its thread started, its first save) outside it: a room arrives at once
            run = Run(kind, spec, job, store=self._store, state=PAUSED if paused else RUNNING,
                      start_paused=paused, cores=self.cores, epoch=epoch,
                      forked_from=forked_from)
        finally:
            with self._lock:
                self._reserved -= 1
        with self._lock:
            self._runs[run.id] = run
        return run

    def restore(self, record: RunRecord, job: Job, kind: str) -> Run:
        """A saved run, back as it was; one that was training comes back paused.

        `kind` is its problem's current name (a run saved under an alias takes it).
        """
        job.restore(record.epoch, record.weights, record.metrics, record.history)
        state = PAUSED if record.state in (RUNNING, QUEUED, PAUSED) else record.state
        with self._lock:
            if record.id in self._deleted:
                raise RunDeletedError(record.id)
            existing = self._runs.get(record.id)
            if existing is not None:  # two requests brought it back at once
                return existing
            self._make_room()
            run = Run(kind, record.spec, job, store=self._store, run_id=record.id,
                      created_at=record.created_at, state=state, epoch=record.epoch,
                      cores=self.cores)
            self._runs[run.id] = run
        return run

    def get(self, run_id: str) -> Run | None:
        """The run, from memory or brought back from the store; None if there is none."""
        with self._lock:
            run = self._runs.get(run_id)
            if run_id in self._deleted:
                return None
        if run is not None or self._store is None or self._job_for_record is None:
            return run
        record = self._store.load(run_id)
        if record is None:
            return None
        try:
            kind, job = self._job_for_record(record)
        except ValueError as error:  # a spec this version cannot train any more
            log.error("cannot bring back run %s: %s", run_id, error)
            return None
        try:
            return self.restore(record, job, kind)
        except RunDeletedError:  # deleted while it was being brought back
            job.close()
            return None

    def all(self) -> list[Run]:
        """The runs in memory, oldest first."""
        with self._lock:
            return sorted(self._runs.values(), key=lambda r: r.created_at)

    def summaries(self) -> list[dict[str, Any]]:
        """Every run's summary, oldest first: those in memory and those only in the store."""
        runs = self.all()
        in_memory = {run.id for run in runs}
        stored = [summary_of_record(record) for record in
                  (self._store.summaries() if self._store is not None else [])
                  if record.id not in in_memory]
        return sorted([run.summary() for run in runs] + stored, key=lambda s: s["createdAt"])

    def delete(self, run_id: str) -> bool:
        """Stop and forget a run, in memory and in the store.

        The id is marked deleted first, so a request racing the delete (a step, a GET)
        cannot bring the run back from the store while its thread winds down.
        """
        with self._lock:
            run = self._runs.pop(run_id, None)
            self._deleted[run_id] = None
            while len(self._deleted) > MAX_DELETED_IDS:
                del self._deleted[next(iter(self._deleted))]
        if run is None:
            if self._store is None or self._store.load(run_id) is None:
                return False
            self._store.delete(run_id)
            return True
        run.disown_store()
        run.halt()
        run.events.close()
        run.join(timeout=10)
        if self._store is not None:
            self._store.delete(run_id)
        del run
        give_memory_back()
        return True

    def _eviction_candidate(self) -> Run | None:
        """Caller holds the lock: the oldest ended run, else the oldest paused run nobody
        watches; never one while the store cannot keep it."""
        if self._store is None or not self._store.healthy:
            return None
        runs = sorted(self._runs.values(), key=lambda r: r.created_at)
        ended = [r for r in runs if r.state in ENDED]
        idle = [r for r in runs if r.state == PAUSED and r.unwatched_and_idle()]
        return (ended or idle or [None])[0]

    def _make_room(self) -> None:
        """Caller holds the lock: evict runs to the store until a new one fits."""
        while len(self._runs) + self._reserved >= self._max_runs:
            run = self._eviction_candidate()
            if run is None:
                raise self._full()
            del self._runs[run.id]
            run.halt()
            run.events.close()
            run.join(timeout=10)
            run.checkpoint(force=True)

    def _full(self) -> LimitError:
        return LimitError(None, f"{len(self._runs)} runs are kept, the most this server "
                          "allows, and each is training or watched; delete one, or try "
                          "again later")

    def close(self) -> None:
        """Halt every run, save it as it is, and stop the reaper (shutdown, test teardown)."""
        self._closed.set()
        for run in self.all():
            run.halt()
            run.events.close()
        for run in self.all():
            run.join(timeout=120)  # a compilation in flight must finish before exit
            run.checkpoint(force=True)

    def reap_idle(self) -> list[str]:
        """Stop runs nobody has watched or touched for the idle timeout; returns their ids."""
        stopped = []
        for run in self.all():
            if run.state in (RUNNING, QUEUED, PAUSED) and run.idle_for() > self._idle_timeout_s:
                run.stop()
                stopped.append(run.id)
        return stopped

    def _reap(self) -> None:
        interval = max(0.05, min(30.0, self._idle_timeout_s / 4))
        while not self._closed.wait(interval):
            self.reap_idle()
