"""How the app is served: waitress, with the limits a shared network needs.

Left to its defaults, waitress lets idle and slow clients use the server up: it stops
accepting at its connection limit (320 idle sockets and /api/health no longer answered),
keeps a half-sent request until `channel_timeout` of silence (a client sending a byte now
and then keeps it forever), waits without end for a stream client that stopped reading
(its thread and stream slot with it), and reads a body of up to 1 GB, spooled to a
temporary file, before the app can refuse it. On top of waitress' own options this adds:

- a request must arrive whole within `request_timeout_s` of its first byte, else its
  connection is closed;
- a client that has taken no byte for `stalled_client_s` while bytes wait for it (an event
  stream nobody reads) is cut off, which ends its request: the thread and the stream slot
  come back; a fixed send buffer per connection bounds what waits in the kernel;
- near the connection limit, the connections idle longest (no request being served) are
  closed to make room, so no number of idle sockets keeps a request out;
- a body over the limit is refused from its Content-Length before a byte of it is read,
  and waitress' own rejections answer JSON like the app's (`{"error", "field"}`).

`create_server` builds it for the CLI, the tests and the benches alike.
"""

from __future__ import annotations

import errno
import json
import socket
import struct
import time
from typing import Any

from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import MultiSocketServer, TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from waitress.utilities import RequestEntityTooLarge

from server.config import MAX_BODY_BYTES, Config

# Connections kept free below the limit: idle ones are closed before it is reached.
SPARE_CONNECTIONS = 8

# The kernel's send buffer per connection (Linux doubles it). Left to autotuning it grows to
# 4 MB for a client that never reads: kernel memory held per stalled stream, and 20 s of
# snapshots before the stall shows. 128 KB still sends 100 MB/s on a 1 ms LAN.
SEND_BUFFER_BYTES = 128 * 1024

# Which header or part of the request each of waitress' own rejections is about.
WAITRESS_ERROR_FIELDS = {400: "request", 413: "Content-Length", 431: "headers",
                         501: "Transfer-Encoding"}


def waitress_options(config: Config) -> dict[str, Any]:
    """waitress' own options (the CLI, tests and benchmarks use the same)."""
    return {
        "threads": config.threads,
        # Every open stream holds a connection and a thread; leave room for API calls.
        "connection_limit": config.max_streams + 64,
        # A stream whose client (or the server's sending loop) lags blocks at 64 KB instead
        # of buffering up to waitress' 16 MB: memory stays flat and the run's coalesced
        # snapshots simply skip ahead.
        "outbuf_high_watermark": 64 * 1024,
        # A connection with no request in progress closes after this much silence; streams
        # and requests being served are never closed by it.
        "channel_timeout": config.idle_connection_s,
        # How often the timeouts are checked (waitress' default is 30 s).
        "cleanup_interval": 1,
        # waitress refuses a body of this many bytes or more: one over the app's limit.
        "max_request_body_size": MAX_BODY_BYTES + 1,
        # poll() instead of select(): no 1,024-descriptor ceiling.
        "asyncore_use_poll": True,
        "ident": "tf-playground",
    }


class ListenError(OSError):
    """The server cannot listen where it was told to (port in use, no such address)."""


def bind_sockets(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for `host:port`, one per address the host has, bound before the app
    loads, so a port in use is one clear line at once rather than a traceback after it."""
    try:
        infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM,
                                   socket.IPPROTO_TCP, socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise ListenError(f"cannot listen on {host}:{port}: no such address ({error})") from None
    sockets: list[socket.socket] = []
    seen: set[Any] = set()
    for family, kind, proto, _, address in infos:
        if address in seen:
            continue
        seen.add(address)
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(address)
        except OSError as error:
            sock.close()
            for bound in sockets:
                bound.close()
            raise ListenError(_why_not(host, port, error)) from None
        sockets.append(sock)
    return sockets


def _why_not(host: str, port: int, error: OSError) -> str:
    where = f"cannot listen on {host}:{port}"
    if error.errno == errno.EADDRINUSE:
        return (f"{where}: the port is in use (is tf-playground already running?); "
                "stop that server or pick another port with --port")
    if error.errno == errno.EACCES:
        return f"{where}: permission denied (ports below 1024 need privileges; try --port 5000)"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{where}: this machine has no such address (see --host)"
    return f"{where}: {error.strerror or error}"


class JsonErrorTask(ErrorTask):
    """waitress' own rejections (body too large, malformed request) as the app's JSON."""

    def execute(self) -> None:
        error = self.request.error
        field = WAITRESS_ERROR_FIELDS.get(error.code)
        if isinstance(error, RequestEntityTooLarge):
            limit = self.channel.server.adj.max_request_body_size - 1
            field = "body" if self.request.chunked else "Content-Length"
            reason = f"the body is larger than the {limit:,} bytes this server takes"
        else:
            reason = f"{error.reason.lower()}: {error.body}"
        body = json.dumps({"error": reason, "field": field}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend([("Content-Type", "application/json"),
                                      ("X-Content-Type-Options", "nosniff")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class TimedChannel(HTTPChannel):
    """A connection that remembers when its unfinished request began to arrive."""

    error_task_class = JsonErrorTask
    request_started = 0.0  # time.time() of the unfinished request's first bytes
    _timed_request: Any = None

    def received(self, data: bytes) -> bool:
        result = super().received(data)
        if self.request is not None and self.request is not self._timed_request:
            self._timed_request = self.request
            self.request_started = time.time()
        return result


class GuardedServer(TcpWSGIServer):
    """waitress' TCP server with request deadlines, stalled-client cut-offs and room kept
    free for new connections. Everything here runs on waitress' main loop thread."""

    channel_class = TimedChannel

    def __init__(self, *args: Any, request_timeout_s: float, stalled_client_s: float,
                 **kwargs: Any) -> None:
        self.request_timeout_s = request_timeout_s
        self.stalled_client_s = stalled_client_s
        # Counts of what the guards did (the tests read them).
        self.closed_slow_requests = 0
        self.cut_off_stalled_clients = 0
        self.closed_for_room = 0
        super().__init__(*args, **kwargs)

    def set_socket_options(self, conn: socket.socket) -> None:
        super().set_socket_options(conn)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)

    def readable(self) -> bool:
        if self.accepting:
            self._make_room()
        return super().readable()

    def maintenance(self, now: float) -> None:
        super().maintenance(now)  # idle connections past channel_timeout
        for channel in list(self.active_channels.values()):
            if channel.will_close:
                continue
            if channel.requests:
                if (channel.total_outbufs_len
                        and now - channel.last_activity > self.stalled_client_s):
                    self._cut_off(channel)
            elif (channel.request is not None
                  and now - channel.request_started > self.request_timeout_s):
                channel.will_close = True
                self.closed_slow_requests += 1

    def _cut_off(self, channel: HTTPChannel) -> None:
        """Reset a connection whose client stopped reading. Its socket is not writable, so
        waitress' `will_close` would wait for it for ever; after a shutdown the next poll
        reports a hang-up and waitress closes it, which ends the request it serves."""
        try:
            channel.socket.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
            channel.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            channel.will_close = True
        self.cut_off_stalled_clients += 1

    def _make_room(self) -> None:
        """When fewer than SPARE_CONNECTIONS are left below the limit, close the connections
        idle longest until twice that many are free."""
        limit = self.adj.connection_limit
        if len(self._map) < limit - SPARE_CONNECTIONS:
            return
        to_close = len(self._map) - (limit - 2 * SPARE_CONNECTIONS)
        idle = [channel for channel in self.active_channels.values()
                if not (channel.requests or channel.will_close or channel.close_when_flushed
                        or channel.total_outbufs_len)]
        idle.sort(key=lambda channel: channel.request_started if channel.request is not None
                  else channel.last_activity)
        for channel in idle[:to_close]:
            channel.will_close = True
            self.closed_for_room += 1


def create_server(app: Any, config: Config, sockets: list[socket.socket],
                  **waitress_overrides: Any) -> GuardedServer | MultiSocketServer:
    """A server for `app` on already bound `sockets` (see `bind_sockets`); call `run()`."""
    adjustments = Adjustments(**{**waitress_options(config), **waitress_overrides})
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adjustments.threads)
    channels: dict[int, Any] = {}
    servers = [
        GuardedServer(app, channels, _sock=sock, dispatcher=dispatcher, adj=adjustments,
                      bind_socket=False,
                      sockinfo=(sock.family, sock.type, sock.proto, sock.getsockname()),
                      request_timeout_s=config.request_timeout_s,
                      stalled_client_s=config.stalled_client_s)
        for sock in sockets
    ]
    if len(servers) == 1:
        return servers[0]
    return MultiSocketServer(channels, adjustments,
                             [(s.effective_host, s.effective_port) for s in servers],
                             dispatcher, servers[0].log_info)
