"""HTTP helpers for tests and benchmarks: JSON calls, and a minimal server-sent-events
reader over raw HTTP, so framing is checked as sent."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


def call(base: str, method: str, path: str, body: Any = None) -> Any:
    """One JSON request; the parsed answer (None for an empty body)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        text = response.read()
        return json.loads(text) if text else None


@dataclass
class SSEEvent:
    id: int | None
    kind: str
    data: Any
    comment: str | None = None


class SSEStream:
    """Opens `GET url` with an optional Last-Event-ID and parses the stream line by line."""

    def __init__(self, url: str, last_event_id: int | str | None = None,
                 timeout: float = 15) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", parts.path, headers=headers)
        self.response = self.connection.getresponse()
        self.retry: int | None = None

    def _lines(self) -> Iterator[str]:
        """Lines as they arrive. `read1` returns what a chunk holds now; `readline` on a
        chunked response can wait for more bytes than the next event carries."""
        buffer = b""
        while True:
            data = self.response.read1(65536)
            if not data:
                return
            buffer += data
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                yield line.decode()

    def __iter__(self) -> Iterator[SSEEvent]:
        fields: dict[str, str] = {}
        data: list[str] = []
        for line in self._lines():
            if line == "":
                if data or fields:
                    yield SSEEvent(
                        int(fields["id"]) if "id" in fields else None,
                        fields.get("event", "message"),
                        json.loads("\n".join(data)) if data else None,
                    )
                fields, data = {}, []
            elif line.startswith(":"):
                yield SSEEvent(None, "comment", None, comment=line[1:].strip())
            else:
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "data":
                    data.append(value)
                elif name == "retry":
                    self.retry = int(value)
                else:
                    fields[name] = value

    def take(self, count: int, kinds: tuple[str, ...] = ("snapshot", "status"),
             timeout: float = 30) -> list[SSEEvent]:
        """The next `count` events of the given kinds."""
        got: list[SSEEvent] = []
        deadline = time.monotonic() + timeout
        for event in self:
            if event.kind in kinds:
                got.append(event)
                if len(got) == count:
                    return got
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"only {len(got)} of {count} events arrived")

    def close(self) -> None:
        self.connection.close()
