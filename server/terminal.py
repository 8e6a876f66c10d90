"""What `tf-playground serve` shows in its terminal: one line with the URL to open, the
addresses learners should use, and none of TensorFlow's C++ start-up chatter.

Why a filter on file descriptor 2: TensorFlow's C++ core logs through absl before anything
can configure it, so `TF_CPP_MIN_LOG_LEVEL` no longer silences "oneDNN custom operations
are on" or absl's "All log messages before absl::InitializeLog() is called are written to
STDERR" (TF 2.17 on). Those are written straight to fd 2, below Python; the only way to
drop them is to own fd 2. `NativeChatterFilter` makes it a pipe and copies every line to
the real stderr except that chatter (absl/glog info and warning lines, the CPU-instructions
notice): errors, tracebacks and everything Python logs still get through.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import re
import socket
import sys
import threading
from collections.abc import Iterable

CHATTER = re.compile(
    # absl: "I0000 00:00:1796299005.741772    8631 port.cc:153] …"
    rb"^(?:[IW]\d{4} \d+:\d+:\d+\.\d+ +\d+ \S+:\d+\] "
    rb"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IW] "  # TensorFlow's own: 2026-… : I tensorflow/…
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .*rebuild TensorFlow"
    rb"|This TensorFlow binary is optimized to use available CPU instructions)"
)
"""A line of native start-up chatter (info and warning level only)."""

# Where a UDP socket would route to: finds the address this machine uses on its network
# without sending anything (connect() on UDP only picks a route). TEST-NET-1, RFC 5737.
_ROUTE_PROBE = ("192.0.2.1", 9)


def is_chatter(line: bytes) -> bool:
    return CHATTER.match(line) is not None


class NativeChatterFilter:
    """Owns fd 2 while started: a thread copies what is written there to the real stderr,
    dropping native chatter lines."""

    def __init__(self) -> None:
        self._stderr: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sys.stderr.flush()
        self._stderr = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self._thread = threading.Thread(target=self._copy, args=(read, self._stderr),
                                        name="stderr-filter", daemon=True)
        self._thread.start()
        # After an uncaught exception's traceback is written (into the pipe): give fd 2
        # back and let the thread copy out what is left before the process ends.
        atexit.register(self.stop)

    def stop(self) -> None:
        """Give fd 2 back (the pipe then ends and the thread writes what is left)."""
        if self._stderr is None:
            return
        sys.stderr.flush()
        os.dup2(self._stderr, 2)
        if self._thread is not None:
            self._thread.join(timeout=2)
        os.close(self._stderr)
        self._stderr = None

    @staticmethod
    def _copy(read: int, stderr: int) -> None:
        with os.fdopen(read, "rb") as pipe:
            for line in pipe:
                if not is_chatter(line):
                    os.write(stderr, line)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    return host in ("", "0.0.0.0", "::", "[::]")


def url(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host.strip("[]")).version == 6:
            host = f"[{host.strip('[]')}]"
    except ValueError:
        pass
    return f"http://{host}:{port}/"


def machine_addresses() -> list[str]:
    """This machine's IPv4 addresses others on its networks can reach (no loopback or
    link-local): the one its default route uses first, then those its name resolves to."""
    found: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)
            found.append(probe.getsockname()[0])
    except OSError:
        pass  # no route: an offline machine
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        found.extend(str(info[4][0]) for info in infos)
    except OSError:
        pass
    return list(dict.fromkeys(a for a in found if _reachable(a)))


def _reachable(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified)


def start_lines(host: str, port: int, allowed_hosts: Iterable[str] = (),
                addresses: Iterable[str] | None = None) -> list[str]:
    """The lines `serve` prints once it listens: the URL to open here and, when it listens
    beyond this machine, the addresses learners should use."""
    if is_loopback(host):
        return [f"tf-playground: open {url(host, port)} (Ctrl+C stops it)"]
    here = url("127.0.0.1", port) if is_wildcard(host) else url(host, port)
    lines = [f"tf-playground: open {here} (Ctrl+C stops it)"]
    if is_wildcard(host):
        reachable = list(addresses if addresses is not None else machine_addresses())
    else:
        reachable = [host]
    learners = [url(a, port) for a in [*reachable, *allowed_hosts]]
    if learners:
        lines.append("tf-playground: learners open " + " or ".join(dict.fromkeys(learners)))
    else:
        lines.append("tf-playground: no network address found; learners cannot reach this "
                     "machine yet")
    return lines
