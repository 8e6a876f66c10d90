"""A run's event log and its server-sent-events framing.

The log keeps every event that must never be lost (status changes) and only the
newest of each coalesced kind (snapshots): a client that falls behind, or
reconnects with `Last-Event-ID`, gets what it missed without the log growing
with training, and a slow client never makes training wait.
"""

from __future__ import annotations

import bisect
import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


def json_safe(value: Any) -> Any:
    """Replace NaN and ±inf by null: browsers' JSON.parse rejects them (diverged runs have them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Event:
    """One event; its wire form is built once and shared by every client."""

    id: int
    kind: str
    data: dict[str, Any]
    wire: bytes = field(repr=False, compare=False, default=b"")

    @staticmethod
    def make(event_id: int, kind: str, data: dict[str, Any]) -> Event:
        payload = json.dumps(json_safe(data), separators=(",", ":"), allow_nan=False)
        wire = f"id: {event_id}\nevent: {kind}\ndata: {payload}\n\n".encode()
        return Event(event_id, kind, data, wire)


HEARTBEAT = b": heartbeat\n\n"
RETRY = b"retry: 1000\n\n"


class EventLog:
    """Append-only ids; thread-safe; readers block in `wait` until something is newer."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next_id = 1
        self._kept: list[Event] = []
        self._kept_ids: list[int] = []
        self._latest: dict[str, Event] = {}
        self._closed = False

    def publish(self, kind: str, data: dict[str, Any], *, coalesce: bool = False) -> Event:
        """Add an event. With `coalesce`, it replaces the previous event of its kind."""
        with self._cond:
            event = Event.make(self._next_id, kind, data)
            self._next_id += 1
            if coalesce:
                self._latest[kind] = event
            else:
                self._kept.append(event)
                self._kept_ids.append(event.id)
            self._cond.notify_all()
            return event

    def latest(self, kind: str) -> Event | None:
        with self._cond:
            return self._latest.get(kind)

    @property
    def last_id(self) -> int:
        with self._cond:
            return self._next_id - 1

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def close(self) -> None:
        """No more events: open streams end once they have sent what is left."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def since(self, last_id: int) -> list[Event]:
        """Every kept event after `last_id` and the newest coalesced ones after it, in id order."""
        with self._cond:
            return self._since(last_id)

    def wait(self, last_id: int, timeout: float) -> list[Event]:
        """Block until there is something after `last_id`, the log closes, or `timeout` passes."""
        with self._cond:
            self._cond.wait_for(
                lambda: self._closed or self._next_id - 1 > last_id, timeout=timeout
            )
            return self._since(last_id)

    def _since(self, last_id: int) -> list[Event]:
        start = bisect.bisect_right(self._kept_ids, last_id)
        events = self._kept[start:]
        events += [e for e in self._latest.values() if e.id > last_id]
        events.sort(key=lambda e: e.id)
        return events


class StreamSlots:
    """Counts open event streams so a limit can turn the next one away (429)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._open >= self.limit:
                return False
            self._open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._open -= 1

    @property
    def open(self) -> int:
        with self._lock:
            return self._open


class SseStream:
    """The body of one event-stream response.

    WSGI servers iterate it and call `close` when the client goes (even if it went
    before the first byte), so whatever the stream holds is given back exactly once.
    """

    def __init__(self, log: EventLog, last_id: int, heartbeat_s: float,
                 on_close: Callable[[], None]) -> None:
        self._log = log
        self._last_id = last_id
        self._heartbeat_s = heartbeat_s
        self._on_close = on_close
        self._closed = False
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:
        yield RETRY
        sent = self._last_id
        while not self._closed:
            events = self._log.wait(sent, timeout=self._heartbeat_s)
            if events:
                yield b"".join(event.wire for event in events)
                sent = events[-1].id
            elif self._log.closed:
                return
            else:
                yield HEARTBEAT

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._on_close()


def _payload(event: Event) -> bytes:
    """The JSON an event's wire form carries (built once when it was published)."""
    start = event.wire.index(b"\ndata: ") + len(b"\ndata: ")
    return event.wire[start:-2]


class MergedSseStream:
    """One event stream for several runs (a sweep's): each event says whose it is.

    A browser opens at most six connections to a server, so a page watching a
    dozen runs cannot hold a stream per run. This one polls the runs' logs a few
    dozen times a second and sends `event: <kind>` with `data: {"run": id,
    "data": …}`, the data exactly as the run's own stream has it. It has no ids: a
    client that reconnects gets every run's newest status and data again, which is
    all a comparison needs. Training never waits for it (the logs coalesce).
    """

    def __init__(self, logs: dict[str, EventLog], heartbeat_s: float,
                 on_close: Callable[[], None], *, kinds: frozenset[str] | None = None,
                 poll_s: float = 0.04) -> None:
        self._logs = logs
        self._heartbeat_s = heartbeat_s
        self._on_close = on_close
        self._kinds = kinds  # data kinds sent (status always is); None: every kind
        self._poll_s = poll_s
        self._closed = False
        self._lock = threading.Lock()

    def _frames(self, run_id: str, events: list[Event], first: bool) -> list[bytes]:
        if first:  # a new client: the newest status is enough, not the run's whole past
            statuses = [e for e in events if e.kind == "status"]
            events = [e for e in events if e.kind != "status"] + statuses[-1:]
            events.sort(key=lambda e: e.id)
        head = f'{{"run":"{run_id}","data":'.encode()
        return [b"event: " + e.kind.encode() + b"\ndata: " + head + _payload(e) + b"}\n\n"
                for e in events
                if e.kind == "status" or self._kinds is None or e.kind in self._kinds]

    def __iter__(self) -> Iterator[bytes]:
        yield RETRY
        sent = dict.fromkeys(self._logs, 0)
        quiet_since = time.monotonic()
        first = True
        while not self._closed:
            chunks: list[bytes] = []
            for run_id, log in self._logs.items():
                events = log.since(sent[run_id])
                if events:
                    sent[run_id] = events[-1].id
                    chunks += self._frames(run_id, events, first)
            first = False
            now = time.monotonic()
            if chunks:
                yield b"".join(chunks)
                quiet_since = now
            elif all(log.closed for log in self._logs.values()):
                return
            elif now - quiet_since >= self._heartbeat_s:
                yield HEARTBEAT
                quiet_since = now
            time.sleep(self._poll_s)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._on_close()
