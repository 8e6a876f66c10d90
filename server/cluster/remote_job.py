"""A job that trains on a Ray node: to its run it is a `Job` like any other.

The front makes every job as on one machine (the problem plug-in checks the spec,
generates the data, draws the initial weights): that local job is the *mirror*. It
never trains; it describes the run, builds the export model, and holds the state
the actor last reported, which is what a moved run continues from. The training
happens in a `JobHost` actor, where the same plug-in makes the same job from the
same spec and `restore`s it to the mirror's state, so a run on the cluster starts
from exactly the weights the front drew.

Losing the actor (its node left the cluster, or it crashed) costs the run only
what it trained since the state the front holds (a chunk for a dense network,
about a second for MNIST; never more than the checkpoint interval): the next call
makes the job again on another host from that state, publishes a `status` event
saying the run moved (and a `notice` the pages show) and carries on. The run, its
thread and its watchers never notice anything else: no error, no 5xx.
"""

from __future__ import annotations

import secrets
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from server.runs.events import EventLog
from server.runs.queue import CoreLostError
from server.runs.run import Job, Progress

if TYPE_CHECKING:
    from server.cluster.host import Reply
    from server.cluster.placement import Host, RayPlacement

MAX_ATTEMPTS = 6  # hosts tried for one call before the run is given up as failed


class HostLostError(RuntimeError):
    """The actor behind `host` is gone (its node left, or it crashed)."""

    def __init__(self, host: Host, reason: str) -> None:
        super().__init__(reason)
        self.host = host


class RemoteJob:
    """The `Job` the runs hold when training happens on the cluster."""

    def __init__(self, spec: dict[str, Any], mirror: Job, placement: RayPlacement) -> None:
        self.key = secrets.token_hex(8)  # the job's name on its host
        self._spec = spec
        self._mirror = mirror
        self._placement = placement
        self.heavy = mirror.heavy
        self._lock = threading.Lock()  # the mirrored state
        self._calling = threading.RLock()  # one call to the host at a time
        self._events: EventLog | None = None
        self._host: Host | None = None
        self._moving_from: Host | None = None  # a lost host whose run waits for a core
        self._training = False  # the last call trained a chunk (the run is running)
        self._epoch = 0  # the epoch the run last reported (what a move announces)
        self._weights = mirror.latest_weights()
        self._metrics = mirror.metrics()
        self._history = mirror.history()

    def __getattr__(self, name: str) -> Any:
        """Anything else a problem reads of its job (its architecture, spec, …): the mirror's."""
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._mirror, name)

    @property
    def host(self) -> Host | None:
        """Where it trains now (None: nowhere yet, or between two hosts)."""
        return self._host

    # -- read from request threads: the mirror's state ---------------------------------

    def describe(self) -> dict[str, Any]:
        return self._mirror.describe()

    def latest_weights(self) -> tuple[int, list[np.ndarray]]:
        with self._lock:
            epoch, weights = self._weights
        return epoch, [w.copy() for w in weights]

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._metrics)

    def history(self) -> Any:
        with self._lock:
            return self._history

    def export_key(self) -> Any:
        return self._mirror.export_key()

    def build_export_model(self) -> Any:
        return self._mirror.build_export_model()

    def timeline(self) -> list[dict[str, Any]]:
        """The kept past states, as the host last reported them (with its history)."""
        self._mirror.restore(*self._state())
        return self._mirror.timeline()

    def state_at(self, epoch: int) -> Any:
        self._mirror.restore(*self._state())
        return self._mirror.state_at(epoch)

    def export_metadata(self) -> dict[str, Any]:
        """The mirror's metadata, after bringing it up to the reported state (its losses)."""
        self._mirror.restore(*self._state())
        return self._mirror.export_metadata()

    def restore(self, epoch: int, weights: list[np.ndarray], metrics: dict[str, Any],
                history: Any) -> None:
        """Before `start`: a saved run; the host restores the same state when it starts."""
        self._mirror.restore(epoch, weights, metrics, history)
        with self._lock:
            self._weights = self._mirror.latest_weights()
            self._metrics = self._mirror.metrics()
            self._history = self._mirror.history()
            self._epoch = epoch

    # -- the run's training thread -----------------------------------------------------

    def start(self, events: EventLog) -> Progress:
        self._events = events
        reply = self._call(None)
        return reply.progress or Progress(self._epoch)

    def train(self, *, single_step: bool) -> Progress:
        self._training = not single_step
        reply = self._call("train", single_step)
        assert reply.progress is not None
        return reply.progress

    def apply(self, changes: dict[str, Any]) -> None:
        self._call("apply", changes)
        # Spec fields changed live (rates, pace, a Regenerate's seed): a move remakes the
        # job from the spec as it is now.
        self._spec = {**self._spec, **{k: v for k, v in changes.items() if k in self._spec}}

    def publish(self) -> None:
        self._call("publish")

    def close(self) -> None:
        with self._calling:
            host, self._host = self._host, None
        if host is not None:
            self._placement.release(host, self)

    def rest(self) -> None:
        """A heavy run stopped training for now: its own actor (and the CPU it reserves)
        goes, in the background (the run may hold its lock). Its newest state comes to the
        front first; its next call makes the job again on a shared host, or on an actor of
        its own once it trains. (MNIST's job keeps its weights about once a second, so a
        rested MNIST run resumes from at most that long before.)"""
        host = self._host
        if host is not None and host.dedicated:
            threading.Thread(target=self._give_back, name=f"rest-{self.key}",
                             daemon=True).start()

    def _give_back(self) -> None:
        with self._calling:
            host = self._host
            if host is None or not host.dedicated:
                return
            try:
                self._take(self._placement.call(host, "sync", self.key))
            except HostLostError:
                pass  # gone already: the mirror holds what it last reported
            self._host = None
            self._training = False
        self._placement.release(host, self)

    # -- inside ----------------------------------------------------------------------------

    def _state(self) -> tuple[int, list[np.ndarray], dict[str, Any], Any]:
        with self._lock:
            epoch, weights = self._weights
            return epoch, weights, dict(self._metrics), self._history

    def _call(self, method: str | None, *args: Any) -> Reply:
        """Call `method` on the job's host (None: only make sure it has one); on a lost
        host, make the job again on another from the mirror's state and call again."""
        with self._calling:
            return self._call_locked(method, *args)

    def _call_locked(self, method: str | None, *args: Any) -> Reply:
        lost, self._moving_from = self._moving_from, None
        for _ in range(MAX_ATTEMPTS):
            try:
                started = self._ensure_host(lost)
                if method is None:
                    return started
                assert self._host is not None
                reply = self._placement.call(self._host, method, self.key, *args)
            except HostLostError as error:
                lost = error.host
                self._placement.lost(lost)
                if self._host is lost:
                    self._host = None
                if lost.dedicated and method == "train" and not self._placement.cpu_free():
                    self._moving_from = lost  # announced once it has a core again
                    raise CoreLostError(f"the node of run {self.key} left; no CPU is free "
                                        "for it elsewhere") from None
                continue
            self._take(reply, trained=method == "train")
            return reply
        raise RuntimeError("no node of the cluster could take this run")

    def _ensure_host(self, lost: Host | None) -> Reply:
        """A host holding the job, made there if needed: a new run, a lost host, or a heavy
        run about to train, which gets an actor (and a core) of its own."""
        host = self._host
        dedicated = self.heavy and (self._training or (lost is not None and lost.dedicated))
        if host is not None and (host.dedicated or not dedicated):
            return _NOTHING
        new = self._placement.host_for(self, dedicated=dedicated)
        reply = self._placement.call(new, "start", self.key, self._spec, self._state())
        self._host = new
        if host is not None:  # a heavy run leaves the shared host it started on
            self._placement.release(host, self)
        self._take(reply)
        if lost is not None and self._events is not None:
            self._announce_move(lost, new)
        return reply

    def _announce_move(self, lost: Host, new: Host) -> None:
        state = "running" if self._training else "paused"
        self._events.publish("status", {  # type: ignore[union-attr]
            "state": state, "epoch": self._epoch,
            "moved": {"from": lost.node_id, "to": new.node_id}})
        self._events.publish("notice", {  # type: ignore[union-attr]
            "message": "The machine that trained this run left the cluster; the run moved "
                       f"to another and carries on from epoch {self._epoch}."})

    def _take(self, reply: Reply, *, trained: bool = False) -> None:
        """Mirror what the host reported, and publish its events to the run's log."""
        with self._lock:
            self._metrics = reply.metrics
            if reply.weights is not None:
                self._weights = reply.weights
            if reply.history is not None:
                self._history = reply.history
            if reply.progress is not None and trained:  # a start says 0 for some jobs
                self._epoch = reply.progress.epoch
        if self._events is not None:
            for kind, data, coalesce in reply.events:
                self._events.publish(kind, data, coalesce=coalesce)


class _Nothing:
    progress = None
    events: list[Any] = []  # noqa: RUF012


_NOTHING: Any = _Nothing()
