"""A proxy cuts the event stream every second; resuming with Last-Event-ID loses nothing."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from typing import Any

from flask import Flask

from tests.sse import SSEStream, call


class CuttingProxy:
    """Forwards TCP to the server and closes every connection every `period` seconds."""

    def __init__(self, upstream_port: int, period: float = 1.0) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.upstream_port = upstream_port
        self.period = period
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()
        threading.Thread(target=self._cut, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self.lock:
                self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _cut(self) -> None:
        while not self.stopped.wait(self.period):
            with self.lock:
                doomed, self.sockets = self.sockets, []
            for s in doomed:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self.cuts += 1

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def test_every_status_and_a_fresh_snapshot_survive_a_connection_cut_every_second(
        live_server: str, app: Flask) -> None:
    run = call(live_server, "POST", "/api/runs", {"seed": "0.8"})
    started = time.monotonic()
    while call(live_server, "GET", f"/api/runs/{run['id']}")["epoch"] == 0:
        assert time.monotonic() - started < 60, "the run did not start training"
        time.sleep(0.05)
    proxy = CuttingProxy(int(live_server.rsplit(":", 1)[1]))
    stop = threading.Event()

    def toggle() -> None:  # status events keep coming while the connection keeps dropping
        state = "paused"
        while not stop.wait(0.4):
            call(live_server, "PATCH", f"/api/runs/{run['id']}", {"state": state})
            state = "running" if state == "paused" else "paused"

    toggler = threading.Thread(target=toggle, daemon=True)
    toggler.start()
    received: list[Any] = []
    reconnects: list[tuple[int, int]] = []  # (best epoch before, first epoch after)
    last_id: int | None = None
    best_epoch = -1
    deadline = time.monotonic() + 8
    try:
        while time.monotonic() < deadline:
            try:
                stream = SSEStream(f"http://127.0.0.1:{proxy.port}/api/runs/{run['id']}/events",
                                   last_event_id=last_id, timeout=5)
                first_snapshot = True
                for event in stream:
                    if event.id is None:
                        continue
                    received.append(event)
                    last_id = event.id
                    if event.kind == "snapshot":
                        if first_snapshot and last_id is not None and best_epoch >= 0:
                            reconnects.append((best_epoch, event.data["epoch"]))
                        first_snapshot = False
                        best_epoch = max(best_epoch, event.data["epoch"])
                    if time.monotonic() > deadline:
                        break
                stream.close()
            except (OSError, http.client.HTTPException, ValueError):
                pass  # cut mid-event or mid-handshake: reconnect, as EventSource does
    finally:
        stop.set()
        toggler.join()
        proxy.close()
    assert proxy.cuts >= 5 and len(reconnects) >= 3
    sent_statuses = [e.id for e in app.extensions["runs"].get(run["id"]).events.since(0)
                     if e.kind == "status" and e.id <= (last_id or 0)]
    got_statuses = sorted({e.id for e in received if e.kind == "status"})
    assert got_statuses == sent_statuses
    assert all(after >= before for before, after in reconnects)
