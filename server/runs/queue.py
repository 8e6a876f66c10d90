"""Heavy runs take a core in the order they asked; the others wait, knowing their place.

A heavy run (MNIST, the image labs: its job says `heavy`) keeps a core busy for
minutes, so only as many train at once as the server has cores to spare; the next
ones are `queued`, see their position in the queue (a status event each time it
changes) and start in order when a core frees. Light runs (the playground, the
fitting lessons) never wait here: the scheduler shares the cores among them.
"""

from __future__ import annotations

import threading
from typing import Protocol


class CoreLostError(RuntimeError):
    """A heavy job's core went away under it (its machine left a cluster) and none is free
    now: its run gives the core back and waits in the queue for another, first in line."""


class Queued(Protocol):
    """What the queue needs of a run."""

    def wants_core(self) -> bool:
        """Still wants to train (not paused, stopped or deleted while waiting)."""
        ...

    def queued_at(self, position: int) -> None:
        """Now `position`th in the queue (1: next); 0: it got a core."""
        ...


class CoreQueue:
    """At most `cores` holders at once; the rest wait in order (first come, first served)."""

    def __init__(self, cores: int) -> None:
        self.cores = cores
        self._cond = threading.Condition()
        self._holders: list[Queued] = []
        self._waiting: list[Queued] = []

    def acquire(self, run: Queued, *, first: bool = False) -> bool:
        """Wait for a core (`first`: ahead of the others, for a run that lost the one it
        had); False if the run stopped wanting one while it waited."""
        with self._cond:
            if run in self._holders:
                return True
            if first:
                self._waiting.insert(0, run)
            else:
                self._waiting.append(run)
            self._announce()
            while not (len(self._holders) < self.cores and self._waiting[0] is run):
                if not run.wants_core():
                    self._waiting.remove(run)
                    self._announce()
                    self._cond.notify_all()
                    return False
                self._cond.wait(timeout=0.5)  # also wakes to see a pause or a delete
            self._waiting.pop(0)
            self._holders.append(run)
            run.queued_at(0)
            self._announce()
            self._cond.notify_all()
            return True

    def release(self, run: Queued) -> None:
        with self._cond:
            if run in self._holders:
                self._holders.remove(run)
                self._cond.notify_all()

    def resize(self, cores: int) -> None:
        """The cores to share changed (a cluster's node joined or left): holders keep theirs;
        waiting runs start as soon as the new count allows."""
        with self._cond:
            self.cores = max(1, cores)
            self._cond.notify_all()

    def positions(self) -> tuple[int, int]:
        """(training, waiting) heavy runs: for health."""
        with self._cond:
            return len(self._holders), len(self._waiting)

    def _announce(self) -> None:
        for position, waiting in enumerate(self._waiting, start=1):
            waiting.queued_at(position)
